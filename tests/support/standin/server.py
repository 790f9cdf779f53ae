"""A small OpenAI-compatible HTTP server on loopback, for the demo and the tests.

It answers chat completions, responses, embeddings, speech, transcriptions and translations
(JSON and SSE streams) with deterministic bodies and usage derived from the request's size,
in well under 2 ms. Tests can script failures::

    with StandinServer() as standin:
        client = openai.OpenAI(base_url=standin.base_url, api_key="test", max_retries=0)
        standin.fail_next(429)          # the next request gets an OpenAI-style 429
        standin.break_stream_after(2)   # the next stream is cut after two events

Run it on its own with ``python -m tests.support.standin.server``.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from . import openai_payloads as payloads

__all__ = ["RecordedRequest", "StandinServer"]

_SPEECH_PIECE_BYTES = 1024
_HEADER_PARSER = BytesHeaderParser()


@dataclass(frozen=True)
class RecordedRequest:
    """What the stand-in received: the JSON body, or the form fields of a multipart upload."""

    path: str
    body: dict[str, Any]
    file_bytes: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Reply:
    status: int
    content_type: str
    body: bytes = b""
    events: list[bytes] | None = None
    """SSE events sent with chunked transfer encoding, one chunk each."""


class _Script:
    """Failures scripted by a test, consumed by the next requests (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._break_after: int | None = None

    def fail_next(self, status: int, times: int) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def break_stream_after(self, chunks: int) -> None:
        with self._lock:
            self._break_after = chunks

    def take_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def take_break(self) -> int | None:
        with self._lock:
            chunks, self._break_after = self._break_after, None
            return chunks

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._break_after = None


def _json_reply(body: dict[str, Any], status: int = 200) -> _Reply:
    return _Reply(status, "application/json", json.dumps(body).encode())


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], bytes]:
    """Form fields and the uploaded file of a ``multipart/form-data`` body.

    Parts are split on the boundary by hand (the stdlib ``email`` parser takes milliseconds on
    an audio upload); each part's headers go through the ``email`` header parser.
    """
    header = _HEADER_PARSER.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n")
    boundary = header.get_param("boundary")
    fields: dict[str, str] = {}
    upload = b""
    if not isinstance(boundary, str):
        return fields, upload
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        raw_headers, _, payload = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        payload = payload.removesuffix(b"\r\n")
        part_headers = _HEADER_PARSER.parsebytes(raw_headers + b"\r\n\r\n")
        name = part_headers.get_param("name", header="content-disposition")
        if part_headers.get_param("filename", header="content-disposition") is not None or name == "file":
            upload = payload
        elif isinstance(name, str):
            fields[name] = payload.decode("utf-8", "replace")
    return fields, upload


def _route_json(path: str, request: dict[str, Any]) -> _Reply | None:
    streaming = request.get("stream") is True
    if path == "/v1/chat/completions":
        if streaming:
            return _Reply(200, "text/event-stream", events=payloads.chat_completion_events(request))
        return _json_reply(payloads.chat_completion(request))
    if path == "/v1/responses":
        if streaming:
            return _Reply(200, "text/event-stream", events=payloads.response_events(request))
        return _json_reply(payloads.response(request))
    if path == "/v1/embeddings":
        return _json_reply(payloads.embeddings(request))
    if path == "/v1/audio/speech":
        return _Reply(200, "audio/wav", payloads.speech_wav(str(request.get("input", ""))))
    return None


def _route_upload(path: str, fields: dict[str, str], upload: bytes) -> _Reply | None:
    tasks = {"/v1/audio/transcriptions": "transcribe", "/v1/audio/translations": "translate"}
    task = tasks.get(path)
    if task is None:
        return None
    model = fields.get("model", "whisper-1")
    if task == "transcribe" and fields.get("stream") == "true":
        return _Reply(200, "text/event-stream", events=payloads.transcription_events(model, upload))
    content_type, body = payloads.speech_to_text(task, model, fields.get("response_format", "json"), upload)
    return _Reply(200, content_type, body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small writes must not wait for delayed ACKs
    server: _StandinHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self._read_body()
        content_type = self.headers.get("Content-Type", "")
        reply: _Reply | None
        if content_type.startswith("multipart/form-data"):
            fields, upload = _parse_multipart(content_type, body)
            self.server.record(RecordedRequest(self.path, dict(fields), len(upload), dict(self.headers)))
            reply = _route_upload(self.path, fields, upload)
        else:
            request = json.loads(body or b"{}")
            self.server.record(RecordedRequest(self.path, request, None, dict(self.headers)))
            reply = _route_json(self.path, request)
        failure = self.server.script.take_failure()
        if failure is not None:
            reply = _json_reply(payloads.error_body(failure), failure)
        elif reply is None:
            reply = _json_reply(
                {
                    "error": {
                        "message": f"No stand-in for {self.path}",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "unknown_url",
                    }
                },
                404,
            )
        self._send(reply)

    def _read_body(self) -> bytes:
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        # httpx streams uploads of unknown length (file objects it cannot measure) in chunks.
        pieces: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(pieces)
            pieces.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, reply: _Reply) -> None:
        break_after = self.server.script.take_break() if reply.status == 200 else None
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("x-request-id", "req_standin")
        if reply.events is None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self._write_body(reply.body, break_after)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for number, event in enumerate(reply.events):
            if break_after is not None and number >= break_after:
                self._break_connection()
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        self.wfile.write(b"0\r\n\r\n")

    def _write_body(self, body: bytes, break_after: int | None) -> None:
        if break_after is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[: break_after * _SPEECH_PIECE_BYTES])
        self._break_connection()

    def _break_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _StandinHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that drop a connection (a test abandoning a stream) are expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], record: Callable[[RecordedRequest], None]) -> None:
        super().__init__(address, _Handler)
        self.script = _Script()
        self.record = record


class StandinServer:
    """An OpenAI stand-in on ``127.0.0.1`` at a free port; ``base_url`` ends in ``/v1``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._server: _StandinHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._requests_lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    @property
    def base_url(self) -> str:
        port = self._running().server_address[1]
        return f"http://{self._address[0]}:{port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received so far, oldest first."""
        with self._requests_lock:
            return list(self._requests)

    def start(self) -> StandinServer:
        if self._server is None:
            self._server = _StandinHTTPServer(self._address, self._record)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-standin", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with an OpenAI-style error of this HTTP status."""
        self._running().script.fail_next(status, times)

    def break_stream_after(self, chunks: int) -> None:
        """Cut the next successful response after ``chunks`` SSE events (or 1 KiB pieces of audio)."""
        self._running().script.break_stream_after(chunks)

    def reset(self) -> None:
        """Forget scripted failures and recorded requests."""
        self._running().script.reset()
        with self._requests_lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._requests_lock:
            self._requests.append(request)

    def _running(self) -> _StandinHTTPServer:
        if self._server is None:
            raise RuntimeError("the stand-in server is not running; call start() first")
        return self._server

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    with StandinServer() as standin:
        print(f"OpenAI stand-in listening at {standin.base_url} (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
