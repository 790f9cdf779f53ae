"""Building OTLP requests and calling the service on a raw channel, with a deadline on every call."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_carbon import semconv as sc

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
METRICS_EXPORT = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
CALL_TIMEOUT = 5.0

CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 500,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 300,
    sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 100,
}


def any_value(value: object) -> AnyValue:
    if isinstance(value, AnyValue):
        return value
    if value is None:
        return AnyValue()
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, Mapping):
        result = AnyValue()
        result.kvlist_value.values.extend(KeyValue(key=k, value=any_value(v)) for k, v in value.items())
        return result
    if isinstance(value, (list, tuple)):
        result = AnyValue()
        result.array_value.values.extend(any_value(item) for item in value)
        return result
    raise TypeError(type(value))


def key_values(attributes: Mapping[str, object] | Sequence[tuple[str, object]]) -> list[KeyValue]:
    items = attributes.items() if isinstance(attributes, Mapping) else attributes
    return [KeyValue(key=key, value=any_value(value)) for key, value in items]


def make_span(
    attributes: Mapping[str, object] | Sequence[tuple[str, object]], index: int = 0, name: str = "span"
) -> Span:
    span = Span(
        trace_id=(index + 1).to_bytes(16, "big"),
        span_id=(index + 1).to_bytes(8, "big"),
        name=name,
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=1_700_000_000_000_000_000 + index,
        end_time_unix_nano=1_700_000_001_000_000_000 + index,
    )
    span.attributes.extend(key_values(attributes))
    span.events.add(name="event", time_unix_nano=1_700_000_000_500_000_000).attributes.extend(key_values({"e": 1}))
    return span


def make_request(
    *spans: Span, resource: Mapping[str, object] | None = None, scope: str = "tests.service"
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(key_values(resource or {sc.SERVICE_NAME: "raw-client"}))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.spans.extend(spans)
    return request


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def nested_bytes(depth: int) -> bytes:
    """A serialized AnyValue ``depth`` kvlist/array levels deep, encoded by hand: the protobuf runtime
    refuses to build (or parse) messages nested beyond 100 levels, which ~40 levels of these reach."""
    value = _field(1, b"leaf")  # AnyValue.string_value
    for level in range(depth):
        if level % 2:
            value = _field(5, _field(1, value))  # AnyValue.array_value -> ArrayValue.values
        else:
            key_value = _field(1, f"level{level}".encode()) + _field(2, value)
            value = _field(6, _field(1, key_value))  # AnyValue.kvlist_value -> KeyValueList.values -> KeyValue
    return value


def nested(depth: int) -> AnyValue:
    """A value ``depth`` kvlist/array levels deep (up to ~25 levels, where the runtime still copes)."""
    return AnyValue.FromString(nested_bytes(depth))


def with_raw_attribute(request: ExportTraceServiceRequest, span_index: int, key: str, value: bytes) -> bytes:
    """``request`` serialized, with one more attribute appended to a span of its first scope, given as raw
    AnyValue bytes (a repeated field may continue anywhere in a message)."""
    from otel_carbon.processor.service.wire import ShallowTraceRequest

    shallow = ShallowTraceRequest.FromString(request.SerializeToString())
    shallow.resource_spans[0].scope_spans[0].spans[span_index].attributes.add(key=key, value=value)
    return shallow.SerializeToString()


def raw_call(
    address: str,
    payload: bytes,
    method: str = TRACE_EXPORT,
    metadata: Sequence[tuple[str, str]] = (),
    credentials: grpc.ChannelCredentials | None = None,
    timeout: float = CALL_TIMEOUT,
) -> tuple[grpc.StatusCode, str]:
    """Send raw bytes; the status code and details (OK and the response's length on success)."""
    options = [("grpc.max_send_message_length", -1)]
    channel = (
        grpc.insecure_channel(address, options=options)
        if credentials is None
        else grpc.secure_channel(address, credentials, options=options)
    )
    with channel:
        try:
            response = channel.unary_unary(method)(payload, timeout=timeout, metadata=tuple(metadata))
        except grpc.RpcError as error:
            assert isinstance(error, grpc.Call)
            return error.code(), error.details() or ""
        return grpc.StatusCode.OK, str(len(response))


def attribute_bytes(span: Span) -> list[bytes]:
    return [kv.SerializeToString() for kv in span.attributes]


def self_signed_certificate(directory: Path) -> tuple[Path, Path] | None:
    """A throwaway certificate for 127.0.0.1 and localhost (openssl CLI), or None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


class RawSink:
    """A next hop that keeps the trace payloads it receives as bytes, however deeply they nest."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self._server: grpc.Server | None = None
        self.endpoint = ""

    def __enter__(self) -> RawSink:
        from concurrent import futures

        def export(payload: bytes, context: grpc.ServicerContext) -> bytes:
            self.payloads.append(payload)
            return b""

        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=2), options=[("grpc.max_receive_message_length", -1)]
        )
        handler = grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.trace.v1.TraceService",
            {"Export": grpc.unary_unary_rpc_method_handler(export)},
        )
        server.add_generic_rpc_handlers([handler])
        self.endpoint = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
        server.start()
        self._server = server
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.stop(grace=None).wait()
