"""An attribute key that is not UTF-8 costs that attribute, never the batch (OTLP keys are proto3 strings)."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_carbon import semconv as sc

from ..support.otlp_receiver import OtlpReceiver
from .conftest import StartService
from .helpers import CHAT, make_request, make_span, raw_call

PLACEHOLDER = "\x01" * 7


def _request_with_invalid_keys() -> bytes:
    """Two GenAI spans; the first and the resource each carry one attribute whose key is invalid UTF-8."""
    request = make_request(
        make_span({**CHAT, PLACEHOLDER: "span-level"}, index=0),
        make_span(CHAT, index=1),
        resource={sc.SERVICE_NAME: "raw-client", PLACEHOLDER: "resource-level"},
    )
    payload = request.SerializeToString()
    assert payload.count(PLACEHOLDER.encode()) == 2
    return payload.replace(PLACEHOLDER.encode(), b"\xff\xfe bad!")  # same length, so every size prefix holds


def test_a_key_that_is_not_utf8_drops_that_attribute_and_the_batch_is_enriched_and_forwarded(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    code, _ = raw_call(service.address, _request_with_invalid_keys())
    assert code.name == "OK"

    spans = next_hop.wait_for_spans(2)
    assert len(spans) == 2
    for span in spans:
        assert span.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 500
        assert isinstance(span.attributes[sc.ENERGY_WH], float)
        assert span.resource == {sc.SERVICE_NAME: "raw-client"}
    (forwarded,) = next_hop.trace_requests()
    assert isinstance(forwarded, ExportTraceServiceRequest)
    resource_spans = forwarded.resource_spans[0]
    assert resource_spans.resource.dropped_attributes_count == 1
    assert [span.dropped_attributes_count for span in resource_spans.scope_spans[0].spans] == [1, 0]


def test_dropped_keys_are_counted_in_a_metric(next_hop: OtlpReceiver, start_service: StartService) -> None:
    service = start_service(next_hop.endpoint)
    assert raw_call(service.address, _request_with_invalid_keys())[0].name == "OK"
    assert service.flush_metrics()
    (point,) = [p for p in next_hop.metric_points() if p.name == sc.METRIC_SERVE_DROPPED_ATTRIBUTES]
    assert point.value == 2 and point.kind == "sum" and point.is_monotonic is True
    assert point.unit == "{attribute}"


def test_a_request_that_is_not_protobuf_is_still_invalid_argument(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    assert raw_call(service.address, b"\xff\xfe\xfd\x00garbage")[0].name == "INVALID_ARGUMENT"
    assert next_hop.export_calls == 0
