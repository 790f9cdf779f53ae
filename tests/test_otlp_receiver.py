from __future__ import annotations

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from .support.otlp_receiver import OtlpReceiver
from .support.telemetry import SERVICE_NAME, Telemetry


def _ended_span(name: str) -> ReadableSpan:
    with TracerProvider().get_tracer("test").start_as_current_span(name) as span:
        pass
    return span


def test_span_attributes_arrive_with_exact_python_types(telemetry: Telemetry) -> None:
    tracer = telemetry.tracer_provider.get_tracer("wire.test", "1.2.3")
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as span:
        span.set_attributes(
            {"text": "hello", "count": 3, "ratio": 0.5, "flag": True, "models": ["a", "b"], "sizes": [1, 2]}
        )
        span.add_event("carbon.estimated", {"energy.wh": 1.25})
        span.set_status(StatusCode.ERROR, "boom")

    exported = telemetry.span()

    assert exported.attributes == {
        "text": "hello",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "models": ("a", "b"),
        "sizes": (1, 2),
    }
    assert [type(value) for value in exported.attributes.values()] == [str, int, float, bool, tuple, tuple]
    assert (exported.name, exported.kind, exported.status_code, exported.status_message) == (
        "chat gpt-4o",
        "CLIENT",
        "ERROR",
        "boom",
    )
    assert (exported.scope_name, exported.scope_version) == ("wire.test", "1.2.3")
    assert exported.resource["service.name"] == SERVICE_NAME
    assert exported.events == (("carbon.estimated", {"energy.wh": 1.25}),)
    assert len(exported.trace_id) == 32 and len(exported.span_id) == 16 and exported.parent_span_id == ""
    assert exported.end_time_unix_nano >= exported.start_time_unix_nano > 0


def test_child_span_carries_its_parent_span_id(telemetry: Telemetry) -> None:
    tracer = telemetry.tracer_provider.get_tracer("wire.test")
    with tracer.start_as_current_span("parent"):
        with tracer.start_as_current_span("child"):
            pass

    spans = {span.name: span for span in telemetry.spans()}

    assert spans["child"].parent_span_id == spans["parent"].span_id
    assert spans["child"].trace_id == spans["parent"].trace_id


def test_histogram_with_advisory_buckets_arrives_with_bounds_count_and_sum(telemetry: Telemetry) -> None:
    meter = telemetry.meter_provider.get_meter("wire.test")
    histogram = meter.create_histogram(
        "gen_ai.energy", unit="Wh", description="Energy per call", explicit_bucket_boundaries_advisory=[1.0, 10.0]
    )
    histogram.record(0.5, {"model": "m"})
    histogram.record(5.0, {"model": "m"})
    histogram.record(50.0, {"model": "m"})

    [point] = telemetry.metric_points("gen_ai.energy")

    assert (point.kind, point.unit, point.description, point.temporality) == (
        "histogram",
        "Wh",
        "Energy per call",
        "CUMULATIVE",
    )
    assert point.explicit_bounds == (1.0, 10.0)
    assert point.bucket_counts == (1, 1, 1)
    assert (point.count, point.sum) == (3, 55.5)
    assert point.attributes == {"model": "m"}
    assert point.scope_name == "wire.test"
    assert point.resource["service.name"] == SERVICE_NAME


def test_counter_arrives_as_monotonic_sum_with_integer_value(telemetry: Telemetry) -> None:
    counter = telemetry.meter_provider.get_meter("wire.test").create_counter("calls")
    counter.add(2)
    counter.add(3)

    [point] = telemetry.metric_points("calls")

    assert (point.kind, point.value, point.is_monotonic) == ("sum", 5, True)
    assert type(point.value) is int


def test_repeated_metric_reads_do_not_duplicate_points(telemetry: Telemetry) -> None:
    telemetry.meter_provider.get_meter("wire.test").create_counter("calls").add(1)

    telemetry.metric_points("calls")

    assert len(telemetry.metric_points("calls")) == 1


def test_fail_next_fails_one_export_and_the_next_succeeds(otlp_receiver: OtlpReceiver) -> None:
    otlp_receiver.clear()
    exporter = OTLPSpanExporter(endpoint=otlp_receiver.endpoint, insecure=True, timeout=5)
    otlp_receiver.fail_next(1, code=grpc.StatusCode.PERMISSION_DENIED)
    try:
        assert exporter.export([_ended_span("rejected")]) == SpanExportResult.FAILURE
        assert exporter.export([_ended_span("accepted")]) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()

    assert [span.name for span in otlp_receiver.wait_for_spans(1)] == ["accepted"]


def test_retryable_failure_is_retried_by_the_exporter(otlp_receiver: OtlpReceiver) -> None:
    otlp_receiver.clear()
    exporter = OTLPSpanExporter(endpoint=otlp_receiver.endpoint, insecure=True, timeout=5)
    otlp_receiver.fail_next(1, code=grpc.StatusCode.UNAVAILABLE)
    try:
        assert exporter.export([_ended_span("retried")]) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()

    assert [span.name for span in otlp_receiver.spans()] == ["retried"]


def test_endpoint_requires_a_started_receiver() -> None:
    with pytest.raises(RuntimeError):
        _ = OtlpReceiver().endpoint
