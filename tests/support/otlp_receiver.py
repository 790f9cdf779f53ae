from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


@dataclass(frozen=True)
class ExportedSpan:
    name: str
    kind: str
    attributes: dict[str, Any]
    status_code: str
    status_message: str
    scope_name: str
    scope_version: str
    resource: dict[str, Any]
    trace_id: str
    span_id: str
    parent_span_id: str
    events: tuple[tuple[str, dict[str, Any]], ...]
    start_time_unix_nano: int
    end_time_unix_nano: int
    dropped_attributes_count: int = 0


@dataclass(frozen=True)
class MetricPoint:
    name: str
    unit: str
    description: str
    kind: str
    attributes: dict[str, Any]
    value: float | int | None
    count: int | None
    sum: float | None
    bucket_counts: tuple[int, ...]
    explicit_bounds: tuple[float, ...]
    is_monotonic: bool | None
    temporality: str
    scope_name: str
    resource: dict[str, Any]


def decode_any_value(value: AnyValue) -> Any:
    field = value.WhichOneof("value")
    if field is None:
        return None
    if field == "array_value":
        return tuple(decode_any_value(item) for item in value.array_value.values)
    if field == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return getattr(value, field)


def decode_attributes(key_values: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: decode_any_value(kv.value) for kv in key_values}


def _enum_suffix(enum_name: str, prefix: str) -> str:
    return enum_name.removeprefix(prefix)


def _decode_span(span: trace_pb2.Span, scope: Any, resource: dict[str, Any]) -> ExportedSpan:
    return ExportedSpan(
        name=span.name,
        kind=_enum_suffix(trace_pb2.Span.SpanKind.Name(span.kind), "SPAN_KIND_"),
        attributes=decode_attributes(span.attributes),
        status_code=_enum_suffix(trace_pb2.Status.StatusCode.Name(span.status.code), "STATUS_CODE_"),
        status_message=span.status.message,
        scope_name=scope.name,
        scope_version=scope.version,
        resource=resource,
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex(),
        events=tuple((event.name, decode_attributes(event.attributes)) for event in span.events),
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano,
        dropped_attributes_count=span.dropped_attributes_count,
    )


def _temporality(value: int) -> str:
    if value == metrics_pb2.AGGREGATION_TEMPORALITY_UNSPECIFIED:
        return ""
    return _enum_suffix(metrics_pb2.AggregationTemporality.Name(value), "AGGREGATION_TEMPORALITY_")


def _decode_metric(metric: metrics_pb2.Metric, scope_name: str, resource: dict[str, Any]) -> list[MetricPoint]:
    kind = metric.WhichOneof("data")
    data = getattr(metric, kind)
    common = {
        "name": metric.name,
        "unit": metric.unit,
        "description": metric.description,
        "kind": kind,
        "is_monotonic": data.is_monotonic if kind == "sum" else None,
        "temporality": _temporality(data.aggregation_temporality) if kind != "gauge" else "",
        "scope_name": scope_name,
        "resource": resource,
    }
    points = []
    for point in data.data_points:
        if kind in ("sum", "gauge"):
            points.append(
                MetricPoint(
                    **common,
                    attributes=decode_attributes(point.attributes),
                    value=getattr(point, point.WhichOneof("value") or "as_int"),
                    count=None,
                    sum=None,
                    bucket_counts=(),
                    explicit_bounds=(),
                )
            )
        else:
            buckets = point.positive.bucket_counts if kind == "exponential_histogram" else point.bucket_counts
            points.append(
                MetricPoint(
                    **common,
                    attributes=decode_attributes(point.attributes),
                    value=None,
                    count=point.count,
                    sum=point.sum if point.HasField("sum") else None,
                    bucket_counts=tuple(buckets),
                    explicit_bounds=tuple(getattr(point, "explicit_bounds", ())),
                )
            )
    return points


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.spans: list[ExportedSpan] = []
        self.metric_points: list[MetricPoint] = []
        self.failures: list[grpc.StatusCode] = []
        self.trace_requests: list[Any] = []
        self.delays: list[float] = []
        self.export_calls = 0

    def begin_call(self) -> None:
        """Count the call, then hold it for a delay set by ``OtlpReceiver.delay_next``."""
        with self.lock:
            self.export_calls += 1
            delay = self.delays.pop(0) if self.delays else 0.0
            self.lock.notify_all()
        if delay:
            time.sleep(delay)

    def take_failure(self) -> grpc.StatusCode | None:
        with self.lock:
            return self.failures.pop(0) if self.failures else None


def _failing(store: _Store, context: grpc.ServicerContext) -> None:
    store.begin_call()
    code = store.take_failure()
    if code is not None:
        context.abort(code, "failure injected by OtlpReceiver.fail_next")


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, store: _Store) -> None:
        self._store = store

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        _failing(self._store, context)
        decoded = [
            _decode_span(span, scope_spans.scope, decode_attributes(resource_spans.resource.attributes))
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self._store.lock:
            self._store.spans.extend(decoded)
            self._store.trace_requests.append(request)
            self._store.lock.notify_all()
        return trace_service_pb2.ExportTraceServiceResponse()


class _MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, store: _Store) -> None:
        self._store = store

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        _failing(self._store, context)
        decoded = [
            point
            for resource_metrics in request.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            for point in _decode_metric(
                metric, scope_metrics.scope.name, decode_attributes(resource_metrics.resource.attributes)
            )
        ]
        with self._store.lock:
            self._store.metric_points.extend(decoded)
            self._store.lock.notify_all()
        return metrics_service_pb2.ExportMetricsServiceResponse()


class _LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, store: _Store) -> None:
        self._store = store

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        _failing(self._store, context)
        return logs_service_pb2.ExportLogsServiceResponse()


class OtlpReceiver:
    """A loopback OTLP/gRPC receiver that decodes what real exporters send."""

    def __init__(self, port: int = 0) -> None:
        self._store = _Store()
        self._server: grpc.Server | None = None
        self._port = port
        """0 picks a free port on the first start; a restart after ``stop()`` binds the same port again."""

    def start(self) -> None:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self._store), server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_MetricsService(self._store), server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_LogsService(self._store), server)
        self._port = server.add_insecure_port(f"127.0.0.1:{self._port}")
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None

    def __enter__(self) -> OtlpReceiver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("OtlpReceiver is not started")
        return f"127.0.0.1:{self._port}"

    def clear(self) -> None:
        with self._store.lock:
            self._store.spans.clear()
            self._store.metric_points.clear()
            self._store.failures.clear()
            self._store.trace_requests.clear()
            self._store.delays.clear()
            self._store.export_calls = 0

    def clear_metrics(self) -> None:
        with self._store.lock:
            self._store.metric_points.clear()

    def fail_next(self, n: int = 1, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE) -> None:
        """Make the next ``n`` export calls (any signal) fail with ``code``."""
        with self._store.lock:
            self._store.failures.extend([code] * n)

    def delay_next(self, n: int = 1, seconds: float = 1.0) -> None:
        """Make the next ``n`` export calls (any signal) wait ``seconds`` before they answer."""
        with self._store.lock:
            self._store.delays.extend([seconds] * n)

    @property
    def export_calls(self) -> int:
        """Export calls received (any signal, failed ones too) since the last ``clear()``."""
        with self._store.lock:
            return self._store.export_calls

    def wait_for_export_calls(self, count: int, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        with self._store.lock:
            while self._store.export_calls < count and (remaining := deadline - time.monotonic()) > 0:
                self._store.lock.wait(remaining)
            return self._store.export_calls

    def trace_requests(self) -> list[trace_service_pb2.ExportTraceServiceRequest]:
        """The trace requests as received, for byte-level comparisons."""
        with self._store.lock:
            return list(self._store.trace_requests)

    def spans(self) -> list[ExportedSpan]:
        with self._store.lock:
            return list(self._store.spans)

    def metric_points(self) -> list[MetricPoint]:
        with self._store.lock:
            return list(self._store.metric_points)

    def wait_for_spans(self, count: int, timeout: float = 10.0) -> list[ExportedSpan]:
        """Wait until at least ``count`` spans arrived; returns what arrived either way."""
        return self._wait(lambda: self._store.spans, count, timeout)

    def wait_for_metric_points(self, count: int, timeout: float = 10.0) -> list[MetricPoint]:
        return self._wait(lambda: self._store.metric_points, count, timeout)

    def _wait(self, items: Callable[[], list[Any]], count: int, timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self._store.lock:
            while len(items()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._store.lock.wait(remaining)
            return list(items())
