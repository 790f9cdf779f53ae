"""Forwarding: synchronous, retryable when the next hop is down or slow, exactly once after recovery."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_carbon import semconv as sc

from ..support.otlp_receiver import OtlpReceiver
from .conftest import StartService
from .helpers import CHAT, METRICS_EXPORT, make_request, make_span, raw_call


def _spans(count: int, prefix: str) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for index in range(count):
        with provider.get_tracer("t").start_as_current_span(f"{prefix}-{index}") as span:
            span.set_attributes(CHAT)
    return list(memory.get_finished_spans())


def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in record.getMessage() for record in caplog.records):
            return
        time.sleep(0.02)
    raise AssertionError(f"no log record containing {text!r}")


def test_carbon_metrics_reach_the_next_hop_with_names_units_and_a_per_instance_resource(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    replicas = [start_service(next_hop.endpoint), start_service(next_hop.endpoint)]
    for replica in replicas:
        assert raw_call(replica.address, make_request(make_span(CHAT)).SerializeToString())[0].name == "OK"
        assert replica.flush_metrics()
    points = {(point.name, point.resource[sc.SERVICE_INSTANCE_ID]): point for point in next_hop.metric_points()}
    energy = [point for (name, _), point in points.items() if name == sc.METRIC_ENERGY]
    emissions = [point for (name, _), point in points.items() if name == sc.METRIC_EMISSIONS]
    assert len(energy) == len(emissions) == 2  # one series per replica: they sum in Prometheus
    assert {point.unit for point in energy} == {sc.METRIC_ENERGY_UNIT} == {"J"}
    assert {point.unit for point in emissions} == {sc.METRIC_EMISSIONS_UNIT} == {"g"}
    assert all(point.kind == "histogram" and point.count == 1 and point.sum > 0 for point in energy + emissions)
    assert {point.resource[sc.SERVICE_NAME] for point in energy} == {"otel-carbon"}
    assert energy[0].attributes[sc.MODEL] == "gpt-4o"


def test_next_hop_down_answers_unavailable_and_the_retrying_exporter_delivers_every_span_exactly_once(
    start_service: StartService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="otel_carbon")
    receiver = OtlpReceiver()
    receiver.start()
    try:
        service = start_service(receiver.endpoint, forward_timeout=1.0)
        exporter = OTLPSpanExporter(endpoint=service.address, insecure=True, timeout=20)
        before, during, after = _spans(3, "before"), _spans(4, "during"), _spans(2, "after")

        assert exporter.export(before) is SpanExportResult.SUCCESS
        receiver.stop()
        result: list[SpanExportResult] = []
        sender = threading.Thread(target=lambda: result.append(exporter.export(during)), daemon=True)
        sender.start()
        _wait_for_log(caplog, "next hop UNAVAILABLE")  # the exporter got UNAVAILABLE and is backing off
        receiver.start()  # same port
        sender.join(timeout=20)
        assert result == [SpanExportResult.SUCCESS]
        assert exporter.export(after) is SpanExportResult.SUCCESS
        exporter.shutdown()

        service.stop(grace=0)

        sent = [span.context.span_id for span in before + during + after]
        arrived = [int(span.span_id, 16) for span in receiver.spans()]
        assert sorted(arrived) == sorted(sent)  # all of them, none twice
    finally:
        receiver.stop()


def test_a_slow_next_hop_answers_unavailable_within_the_forward_timeout(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint, forward_timeout=0.3)
    next_hop.delay_next(1, 2.0)
    started = time.monotonic()
    status, details = raw_call(service.address, make_request(make_span(CHAT)).SerializeToString())
    assert status.name == "UNAVAILABLE", details
    assert "DEADLINE_EXCEEDED" in details
    assert time.monotonic() - started < 1.5


def test_the_callers_deadline_bounds_the_forward(next_hop: OtlpReceiver, start_service: StartService) -> None:
    service = start_service(next_hop.endpoint, forward_timeout=10.0)
    next_hop.delay_next(1, 2.0)
    status, details = raw_call(service.address, make_request(make_span(CHAT)).SerializeToString(), timeout=0.5)
    # The service answers before the caller gives up (UNAVAILABLE), or the caller's own deadline fires.
    assert status.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED"), details


def test_the_next_hops_verdict_on_the_data_is_relayed_and_its_outage_is_not(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    import grpc

    service = start_service(next_hop.endpoint)
    payload = make_request(make_span(CHAT)).SerializeToString()
    for injected, answered in (
        (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (grpc.StatusCode.UNAVAILABLE, "UNAVAILABLE"),
        (grpc.StatusCode.UNAUTHENTICATED, "UNAVAILABLE"),  # this hop's credentials: keep the data
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"),
    ):
        next_hop.fail_next(1, injected)
        assert raw_call(service.address, payload)[0].name == answered, injected


def test_metrics_and_logs_requests_are_forwarded_untouched(next_hop: OtlpReceiver, start_service: StartService) -> None:
    service = start_service(next_hop.endpoint)
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add(name="app.requests", unit="1")
    metric.sum.data_points.add(as_int=3, time_unix_nano=1)
    assert raw_call(service.address, request.SerializeToString(), method=METRICS_EXPORT)[0].name == "OK"
    assert [(point.name, point.value) for point in next_hop.metric_points()] == [("app.requests", 3)]
    logs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    assert raw_call(service.address, b"", method=logs)[0].name == "OK"
    assert next_hop.export_calls == 2
