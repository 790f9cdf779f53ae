"""`otel-carbon serve` settings: command-line flags, each with an ``OTEL_CARBON_SERVE_*`` fallback.

A flag wins over its environment variable, which wins over the default. Unlike the in-process
settings, a bad value here stops the service: an operator starting a network service wants to
hear about a typo now, not find the default in effect later.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from otel_carbon.processor.config import InvalidValue, parse_bool, parse_int, parse_seconds
from otel_carbon.processor.service import pem

T = TypeVar("T")

ENV_LISTEN = "OTEL_CARBON_SERVE_LISTEN"
ENV_NEXT_HOP = "OTEL_CARBON_SERVE_NEXT_HOP"
ENV_NEXT_HOP_INSECURE = "OTEL_CARBON_SERVE_NEXT_HOP_INSECURE"
ENV_NEXT_HOP_CA_FILE = "OTEL_CARBON_SERVE_NEXT_HOP_CA_FILE"
ENV_NEXT_HOP_BEARER_TOKEN = "OTEL_CARBON_SERVE_NEXT_HOP_BEARER_TOKEN"
ENV_NEXT_HOP_BEARER_TOKEN_FILE = "OTEL_CARBON_SERVE_NEXT_HOP_BEARER_TOKEN_FILE"
ENV_TLS_CERT_FILE = "OTEL_CARBON_SERVE_TLS_CERT_FILE"
ENV_TLS_KEY_FILE = "OTEL_CARBON_SERVE_TLS_KEY_FILE"
ENV_BEARER_TOKEN = "OTEL_CARBON_SERVE_BEARER_TOKEN"
ENV_BEARER_TOKEN_FILE = "OTEL_CARBON_SERVE_BEARER_TOKEN_FILE"
ENV_MAX_MESSAGE_SIZE = "OTEL_CARBON_SERVE_MAX_MESSAGE_SIZE"
ENV_FORWARD_TIMEOUT = "OTEL_CARBON_SERVE_FORWARD_TIMEOUT"
ENV_METRICS_INTERVAL = "OTEL_CARBON_SERVE_METRICS_INTERVAL"
ENV_WORKERS = "OTEL_CARBON_SERVE_WORKERS"
ENV_LOG_LEVEL = "OTEL_CARBON_SERVE_LOG_LEVEL"
ENV_REUSE_PORT = "OTEL_CARBON_SERVE_REUSE_PORT"

DEFAULT_LISTEN = "127.0.0.1:4317"
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
DEFAULT_FORWARD_TIMEOUT = 5.0
DEFAULT_METRICS_INTERVAL = 60.0
DEFAULT_WORKERS = 16
LOG_LEVELS = ("debug", "info", "warning", "error")
_SIZE_UNITS = {
    "": 1,
    **{unit: 1000**power for power, prefix in enumerate("kmg", 1) for unit in (prefix, prefix + "b")},
    **{prefix + "ib": 1024**power for power, prefix in enumerate("kmg", 1)},
}
_MAX_MESSAGE_BOUNDS = (1024, 1024**3)


class ConfigError(ValueError):
    """A bad setting; the message names the flag or environment variable and the value."""


@dataclass(frozen=True)
class ServeConfig:
    next_hop: str
    """host:port of the next OTLP/gRPC hop (a collector's ``otlp`` receiver)."""
    listen: str = DEFAULT_LISTEN
    next_hop_insecure: bool = False
    next_hop_ca_file: Path | None = None
    next_hop_bearer_token: str | None = field(default=None, repr=False)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    bearer_token: str | None = field(default=None, repr=False)
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    forward_timeout: float = DEFAULT_FORWARD_TIMEOUT
    metrics_interval: float = DEFAULT_METRICS_INTERVAL
    workers: int = DEFAULT_WORKERS
    log_level: str = "info"
    reuse_port: bool = False
    """Let several processes listen on one port (SO_REUSEPORT; the kernel spreads connections)."""
    misconfigured_after: int = 5
    """Rejected credentials or failed TLS handshakes in a row at the next hop before health says NOT_SERVING."""

    @property
    def shutdown_grace(self) -> float:
        """An in-flight request ends within the forward timeout, so that is all a drain needs."""
        return self.forward_timeout + 1.0


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` flags to ``parser`` (a subcommand parser or a standalone one)."""
    add = parser.add_argument
    add(
        "--listen",
        metavar="HOST:PORT",
        help=f"address to receive OTLP/gRPC on (${ENV_LISTEN}; default {DEFAULT_LISTEN})",
    )
    add(
        "--next-hop",
        metavar="HOST:PORT",
        help=f"OTLP/gRPC endpoint to forward traces and metrics to (${ENV_NEXT_HOP}; required)",
    )
    add(
        "--next-hop-insecure",
        action="store_const",
        const=True,
        default=None,
        help=f"forward in plaintext instead of TLS (${ENV_NEXT_HOP_INSECURE}=true; an http:// next hop implies it)",
    )
    add(
        "--next-hop-ca-file",
        metavar="PATH",
        help=f"PEM roots to verify the next hop's certificate (${ENV_NEXT_HOP_CA_FILE}; default: system roots)",
    )
    add(
        "--next-hop-bearer-token-file",
        metavar="PATH",
        help=f"file holding a bearer token to send to the next hop (${ENV_NEXT_HOP_BEARER_TOKEN_FILE}, or the token itself in ${ENV_NEXT_HOP_BEARER_TOKEN})",
    )
    add(
        "--tls-cert-file",
        metavar="PATH",
        help=f"PEM server certificate; enables TLS with --tls-key-file (${ENV_TLS_CERT_FILE})",
    )
    add("--tls-key-file", metavar="PATH", help=f"PEM private key of --tls-cert-file (${ENV_TLS_KEY_FILE})")
    add(
        "--bearer-token-file",
        metavar="PATH",
        help=f"file holding the token callers must send as 'authorization: Bearer <token>' (${ENV_BEARER_TOKEN_FILE}, or the token itself in ${ENV_BEARER_TOKEN})",
    )
    add(
        "--max-message-size",
        metavar="SIZE",
        help=f"largest request accepted, bytes or with KiB/MiB (${ENV_MAX_MESSAGE_SIZE}; default 8MiB)",
    )
    add(
        "--forward-timeout",
        metavar="SECONDS",
        help=f"deadline for one forward to the next hop (${ENV_FORWARD_TIMEOUT}; default {DEFAULT_FORWARD_TIMEOUT:g})",
    )
    add(
        "--metrics-interval",
        metavar="SECONDS",
        help=f"how often carbon metrics are exported (${ENV_METRICS_INTERVAL}; default {DEFAULT_METRICS_INTERVAL:g})",
    )
    add("--workers", metavar="N", help=f"requests handled at once (${ENV_WORKERS}; default {DEFAULT_WORKERS})")
    add(
        "--reuse-port",
        action="store_const",
        const=True,
        default=None,
        help=f"let several otel-carbon serve processes share --listen's port, one per core (${ENV_REUSE_PORT}=true)",
    )
    add("--log-level", metavar="LEVEL", help=f"{', '.join(LOG_LEVELS)} (${ENV_LOG_LEVEL}; default info)")


def resolve_config(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ServeConfig:
    """Flags over environment over defaults; raises ConfigError naming the first bad setting."""
    env = os.environ if environ is None else environ
    setting = _Settings(args, env)
    next_hop_raw = setting.raw("next_hop", ENV_NEXT_HOP)
    if next_hop_raw is None:
        raise ConfigError(f"--next-hop (or {ENV_NEXT_HOP}) is required: the OTLP/gRPC endpoint to forward to")
    next_hop, scheme_insecure = setting.parse("next_hop", ENV_NEXT_HOP, _parse_endpoint, None)
    insecure_flag = setting.parse("next_hop_insecure", ENV_NEXT_HOP_INSECURE, parse_bool, None)
    if scheme_insecure is False and insecure_flag:
        raise ConfigError(f"--next-hop={next_hop_raw!r} asks for TLS (https://) but --next-hop-insecure is set")
    cert = setting.parse("tls_cert_file", ENV_TLS_CERT_FILE, _parse_file, None)
    key = setting.parse("tls_key_file", ENV_TLS_KEY_FILE, _parse_file, None)
    if (cert is None) != (key is None):
        raise ConfigError("--tls-cert-file and --tls-key-file go together: give both or neither")
    if cert is not None and key is not None:
        setting.parse("tls_cert_file", ENV_TLS_CERT_FILE, _parse_certificates_file, None)
        setting.parse("tls_key_file", ENV_TLS_KEY_FILE, lambda raw: pem.check_key_pair(cert, _parse_file(raw)), None)
    return ServeConfig(
        next_hop=next_hop,
        listen=setting.parse("listen", ENV_LISTEN, _parse_listen, DEFAULT_LISTEN),
        next_hop_insecure=bool(insecure_flag if insecure_flag is not None else scheme_insecure),
        next_hop_ca_file=setting.parse("next_hop_ca_file", ENV_NEXT_HOP_CA_FILE, _parse_certificates_file, None),
        next_hop_bearer_token=setting.token(
            "next_hop_bearer_token_file", ENV_NEXT_HOP_BEARER_TOKEN_FILE, ENV_NEXT_HOP_BEARER_TOKEN
        ),
        tls_cert_file=cert,
        tls_key_file=key,
        bearer_token=setting.token("bearer_token_file", ENV_BEARER_TOKEN_FILE, ENV_BEARER_TOKEN),
        max_message_bytes=setting.parse(
            "max_message_size", ENV_MAX_MESSAGE_SIZE, _parse_size, DEFAULT_MAX_MESSAGE_BYTES
        ),
        forward_timeout=setting.parse(
            "forward_timeout", ENV_FORWARD_TIMEOUT, lambda raw: parse_seconds(raw, 0.05, 300), DEFAULT_FORWARD_TIMEOUT
        ),
        metrics_interval=setting.parse(
            "metrics_interval", ENV_METRICS_INTERVAL, lambda raw: parse_seconds(raw, 1, 3600), DEFAULT_METRICS_INTERVAL
        ),
        workers=setting.parse("workers", ENV_WORKERS, lambda raw: parse_int(raw, 1, 256), DEFAULT_WORKERS),
        log_level=setting.parse("log_level", ENV_LOG_LEVEL, _parse_log_level, "info"),
        reuse_port=bool(setting.parse("reuse_port", ENV_REUSE_PORT, parse_bool, False)),
    )


class _Settings:
    def __init__(self, args: argparse.Namespace, env: Mapping[str, str]) -> None:
        self._args = args
        self._env = env

    def raw(self, attribute: str, env_name: str) -> str | None:
        value = getattr(self._args, attribute, None)
        if value is not None:
            return value if isinstance(value, str) else str(value)
        raw = self._env.get(env_name)
        return None if raw is None or raw.strip() == "" else raw

    def parse(self, attribute: str, env_name: str, parse: Callable[[str], T], default: T) -> T:
        value = getattr(self._args, attribute, None)
        if value is not None:
            name, raw = "--" + attribute.replace("_", "-"), value
            if isinstance(value, bool):
                return value  # type: ignore[return-value]  # a store_const flag
        else:
            name, raw = env_name, self._env.get(env_name)
            if raw is None or raw.strip() == "":
                return default
        try:
            return parse(str(raw).strip())
        except InvalidValue as invalid:
            raise ConfigError(f"{name}={raw!r}: {invalid}") from None

    def token(self, file_attribute: str, file_env: str, value_env: str) -> str | None:
        """A secret comes from a file or from the environment, never from argv (visible to every local user)."""
        path = self.parse(file_attribute, file_env, _parse_file, None)
        if path is not None:
            try:
                token = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError(
                    f"{self._origin(file_attribute, file_env)}: cannot read the token file: {error}"
                ) from None
            origin = self._origin(file_attribute, file_env)
        else:
            token = (self._env.get(value_env) or "").strip()
            origin = value_env
            if not token:
                return None
        if not token:
            raise ConfigError(f"{origin}: the token is empty")
        if any(ord(char) < 0x21 or ord(char) > 0x7E for char in token):
            # The value is a secret: describe it, never echo it.
            raise ConfigError(f"{origin}: the token must be printable ASCII without spaces")
        return token

    def _origin(self, attribute: str, env_name: str) -> str:
        return "--" + attribute.replace("_", "-") if getattr(self._args, attribute, None) is not None else env_name


def _split_host_port(raw: str) -> tuple[str, int]:
    host, separator, port_text = raw.rpartition(":")
    if not separator or not host or not port_text.isdigit():
        raise InvalidValue("expected HOST:PORT, e.g. 127.0.0.1:4317 or [::1]:4317")
    port = int(port_text)
    if not 0 <= port <= 65535:
        raise InvalidValue("the port must be between 0 and 65535")
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidValue("an IPv6 host goes in brackets: [::1]:4317")
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise InvalidValue("not an IPv6 address in the brackets") from None
    elif ":" in host:
        raise InvalidValue("an IPv6 host goes in brackets: [::1]:4317")
    return host, port


def _parse_listen(raw: str) -> str:
    _split_host_port(raw)
    return raw


def _parse_endpoint(raw: str) -> tuple[str, bool | None]:
    """``host:port``, or ``http://host:port`` (plaintext) / ``https://host:port`` (TLS) as OTLP exporters accept."""
    scheme_insecure: bool | None = None
    rest = raw
    for scheme, insecure in (("http://", True), ("https://", False)):
        if raw.lower().startswith(scheme):
            rest, scheme_insecure = raw[len(scheme) :].rstrip("/"), insecure
    if "/" in rest:
        raise InvalidValue("expected HOST:PORT (OTLP/gRPC has no URL path)")
    _host, port = _split_host_port(rest)
    if port == 0:
        raise InvalidValue("the next hop needs a real port")
    return rest, scheme_insecure


def _parse_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise InvalidValue("no such file")
    return path


def _parse_certificates_file(raw: str) -> Path:
    return pem.certificates_file(_parse_file(raw))


def _parse_size(raw: str) -> int:
    text = raw.replace(" ", "").lower()
    number = text.rstrip("kmgib")
    unit = text[len(number) :]
    if unit not in _SIZE_UNITS or not number.isdigit():
        raise InvalidValue("expected a size in bytes, or with KiB/MiB (e.g. 8MiB)")
    size = int(number) * _SIZE_UNITS[unit]
    low, high = _MAX_MESSAGE_BOUNDS
    if not low <= size <= high:
        raise InvalidValue("expected a size between 1KiB and 1GiB")
    return size


def _parse_log_level(raw: str) -> str:
    level = raw.lower()
    if level not in LOG_LEVELS:
        raise InvalidValue(f"expected one of {', '.join(LOG_LEVELS)}")
    return level
