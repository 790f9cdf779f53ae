"""One GET that returns JSON, over the stdlib: bounded in time and size, never redirected, secret-free errors.

The time bound is one deadline for the whole request: connecting, the status line and headers, and the body.
A socket timeout alone bounds each read, so a server sending one byte at a time could hold a refresh forever.
"""

from __future__ import annotations

import email.utils
import http.client
import io
import json
import socket
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


class _DeadlineReader(io.RawIOBase):
    """The socket's own reader, each read waiting at most until the deadline; past it, TimeoutError."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # keeps the socket open while the response is read
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(remaining)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """The connection's socket as http.client sees it: its response is read through a _DeadlineReader."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _connection_class(base: type[http.client.HTTPConnection], deadline: float) -> type[http.client.HTTPConnection]:
    class DeadlineConnection(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            self.timeout = max(deadline - time.monotonic(), 0.001)
            super().connect()
            self.sock = _DeadlineSocket(self.sock, deadline)  # type: ignore[assignment]

    return DeadlineConnection


class _DeadlineHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    def __init__(self, deadline: float) -> None:
        urllib.request.HTTPHandler.__init__(self)
        urllib.request.HTTPSHandler.__init__(self)
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_class(http.client.HTTPConnection, self._deadline), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = _connection_class(http.client.HTTPSConnection, self._deadline)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


def get_json(url: str, headers: Mapping[str, str], timeout: float) -> object:
    """The decoded JSON body of ``GET url``; raises FetchError for anything but a 2xx JSON answer in time."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_NoRedirect, _DeadlineHandler(deadline))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = _read(response)
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


def _read(response: http.client.HTTPResponse) -> bytes:
    """The body, bounded in size (the connection's deadline bounds it in time)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise FetchError("response too large")
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
