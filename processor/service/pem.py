"""PEM files checked at start: gRPC reads them only when it first binds or connects, and then says
"Failed to bind to address" or answers every forward UNAVAILABLE, naming no file."""

from __future__ import annotations

import ssl
from pathlib import Path

from otel_carbon.processor.config import InvalidValue


def certificates_file(path: Path) -> Path:
    """``path`` if it holds at least one PEM certificate that OpenSSL accepts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as error:
        raise InvalidValue(f"not a PEM certificate file ({_reason(error)})") from None
    return path


def check_key_pair(cert: Path, key: Path) -> None:
    """Raise InvalidValue (about the key) unless ``key`` is a PEM private key matching ``cert``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    except ssl.SSLError as error:
        if "KEY_VALUES_MISMATCH" in str(error):
            raise InvalidValue("this private key does not belong to the certificate of --tls-cert-file") from None
        raise InvalidValue(f"not a PEM private key ({_reason(error)})") from None
    except (OSError, ValueError) as error:
        raise InvalidValue(f"cannot read the private key ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return str(reason) if reason else str(error)[:120]
