"""One GET that returns JSON, over the stdlib: bounded in time and size, never redirected, secret-free errors."""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from otel_carbon.semconv.version import __version__

MAX_BODY_BYTES = 1 << 20
USER_AGENT = f"otel-carbon/{__version__}"


class FetchError(Exception):
    """A failed request or an unusable answer.

    The message is safe to log: a short reason and the HTTP status, never a URL, header or body.
    """

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason if status is None else f"HTTP {status}")
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would resend our auth headers to wherever a redirect points; a 3xx is a failure instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get_json(url: str, headers: Mapping[str, str], timeout: float) -> object:
    """The decoded JSON body of ``GET url``; raises FetchError for anything but a 2xx JSON answer in time."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
    deadline = time.monotonic() + timeout
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = _read(response, deadline)
    except urllib.error.HTTPError as error:
        try:
            status = error.code
            retry_after = parse_retry_after(error.headers.get("Retry-After")) if error.headers else None
        finally:
            error.close()
        raise FetchError("HTTP error", status, retry_after) from None
    except urllib.error.URLError as error:
        reason = "timeout" if isinstance(error.reason, TimeoutError) else "connection failed"
        raise FetchError(reason) from None
    except TimeoutError:
        raise FetchError("timeout") from None
    except (OSError, http.client.HTTPException):
        raise FetchError("connection failed") from None
    try:
        return json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        raise FetchError("malformed response") from None


def _read(response: http.client.HTTPResponse, deadline: float) -> bytes:
    """The body, failing past ``deadline`` (the socket timeout bounds each read, not the whole body)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise FetchError("response too large")
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
