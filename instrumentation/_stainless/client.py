"""Reading a Stainless SDK call's arguments and client: ``NOT_GIVEN``/``Omit``, the raw-response
header, ``base_url`` -> ``server.address``/``server.port``. Everything is read with ``getattr``:
SDK majors differ (openai 3 uses httpx2, openai 2 httpx)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SENTINEL_TYPE_NAMES = frozenset({"NotGiven", "Omit"})
_DEFAULT_PORTS = {"https": 443, "http": 80}


def is_given(value: Any) -> bool:
    """False for None and the SDK's ``NOT_GIVEN``/``omit`` sentinels."""
    return value is not None and type(value).__name__ not in _SENTINEL_TYPE_NAMES


def given(kwargs: Mapping[str, Any], name: str) -> Any:
    value = kwargs.get(name)
    return value if is_given(value) else None


def request_model(kwargs: Mapping[str, Any]) -> str | None:
    model = given(kwargs, "model")
    return model if isinstance(model, str) and model else None


def is_stream_request(kwargs: Mapping[str, Any]) -> bool:
    return given(kwargs, "stream") is True


def raw_response_mode(kwargs: Mapping[str, Any]) -> str | None:
    """The ``X-Stainless-Raw-Response`` header value set by ``with_raw_response`` ("true"/"raw")
    or ``with_streaming_response`` ("stream"), or None for a plain call."""
    headers = given(kwargs, "extra_headers")
    if not isinstance(headers, Mapping):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "x-stainless-raw-response":
            return value if isinstance(value, str) else None
    return None


def server_address_and_port(instance: Any) -> tuple[str | None, int | None]:
    """Host and (non-default) port of the client's ``base_url``."""
    base_url = getattr(getattr(instance, "_client", None), "base_url", None)
    host = getattr(base_url, "host", None)
    if not isinstance(host, str) or not host:
        return None, None
    port = getattr(base_url, "port", None)
    scheme = getattr(base_url, "scheme", None)
    default_port = _DEFAULT_PORTS.get(scheme) if isinstance(scheme, str) else None
    if not isinstance(port, int) or isinstance(port, bool) or port == default_port:
        return host, None
    return host, port
