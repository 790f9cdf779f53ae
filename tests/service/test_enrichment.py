"""What the service does to spans: the in-process processor's attributes, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from google.protobuf.message import DecodeError
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, attach_processor
from otel_carbon.processor.service.decode import MAX_DEPTH, UNDECODABLE, LazyAttributes, decode_value
from otel_carbon.processor.service.wire import ShallowKeyValue, ShallowTraceRequest
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING

from ..support.otlp_receiver import OtlpReceiver
from ..support.telemetry import Telemetry
from .conftest import StartService
from .helpers import (
    CHAT,
    RawSink,
    attribute_bytes,
    make_request,
    make_span,
    nested,
    nested_bytes,
    raw_call,
    with_raw_attribute,
)

GENAI_SPANS = {
    "chat": CHAT,
    "chat-with-agent": {**CHAT, sc.GEN_AI_AGENT_NAME: "support-bot", sc.GEN_AI_CONVERSATION_ID: "c-1"},
    "unknown-model": {**CHAT, sc.GEN_AI_REQUEST_MODEL: "mystery-9000", sc.GEN_AI_RESPONSE_MODEL: "mystery-9000"},
    "embeddings": {
        sc.GEN_AI_OPERATION_NAME: "embeddings",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "text-embedding-3-small",
        sc.GEN_AI_USAGE_INPUT_TOKENS: 2000,
    },
    "tts": {
        sc.GEN_AI_OPERATION_NAME: "text_to_speech",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "tts-1",
        sc.TTS_CHARACTERS: 420,
    },
    "stt": {
        sc.GEN_AI_OPERATION_NAME: "speech_to_text",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "whisper-1",
        sc.STT_AUDIO_SECONDS: 12.5,
    },
    "legacy-names": {
        sc.GEN_AI_SYSTEM: "openai",
        sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        sc.LEGACY_USAGE_PROMPT_TOKENS: 10,
        sc.LEGACY_USAGE_COMPLETION_TOKENS: 20,
    },
    "invalid-usage": {**CHAT, sc.GEN_AI_USAGE_OUTPUT_TOKENS: -5},
    "string-usage": {**CHAT, sc.GEN_AI_USAGE_INPUT_TOKENS: "many"},
}


@pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="in-process span attributes need opentelemetry-sdk >= 1.40")
@pytest.mark.parametrize("case", sorted(GENAI_SPANS))
def test_service_adds_exactly_the_attributes_the_in_process_processor_adds(
    case: str, telemetry: Telemetry, otlp_receiver: OtlpReceiver, start_service: StartService
) -> None:
    attributes = GENAI_SPANS[case]
    attach_processor(telemetry.tracer_provider, telemetry.meter_provider, CarbonConfig.from_env({}))
    with telemetry.tracer_provider.get_tracer("third.party").start_as_current_span("in-process") as span:
        span.set_attributes(attributes)
    in_process = telemetry.spans()
    assert len(in_process) == 1

    service = start_service(otlp_receiver.endpoint)
    plain = TracerProvider(resource=telemetry.tracer_provider.resource)
    plain.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=service.address, insecure=True, timeout=5)))
    with plain.get_tracer("third.party").start_as_current_span("via-service") as span:
        span.set_attributes(attributes)
    plain.shutdown()
    arrived = otlp_receiver.wait_for_spans(2, timeout=10)
    via_service = [span for span in arrived if span.name == "via-service"]
    assert len(via_service) == 1

    assert via_service[0].attributes == in_process[0].attributes
    assert any(key in via_service[0].attributes for key in (sc.ENERGY_WH, sc.ESTIMATE_ERROR))


def _chat_energy_sum(points: list) -> float:
    return sum(point.sum for point in points if point.name == sc.METRIC_ENERGY)


def test_service_records_the_same_energy_as_the_in_process_processor(
    telemetry: Telemetry, next_hop: OtlpReceiver, start_service: StartService
) -> None:
    attach_processor(telemetry.tracer_provider, telemetry.meter_provider, CarbonConfig.from_env({}))
    with telemetry.tracer_provider.get_tracer("t").start_as_current_span("chat") as span:
        span.set_attributes(CHAT)
    in_process = _chat_energy_sum(telemetry.metric_points(sc.METRIC_ENERGY))

    service = start_service(next_hop.endpoint)
    assert raw_call(service.address, make_request(make_span(CHAT)).SerializeToString())[0].name == "OK"
    assert service.flush_metrics()
    assert _chat_energy_sum(next_hop.metric_points()) == pytest.approx(in_process, rel=1e-12)
    assert in_process > 0


def test_spans_without_usage_keep_their_attribute_bytes_in_a_request_that_is_rewritten(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    odd = [
        make_span({"http.method": "GET", "n": 7, "ratio": 0.25, "flag": True}, 1),
        make_span({"blob": b"\x00\xffbytes", "list": ["a", "b"], "map": {"k": [1, 2.5, {"x": True}]}}, 2),
        make_span([("dup", "first"), ("dup", "second"), ("empty", "")], 3),
        make_span({"deep": nested(25)}, 4),
        make_span({"huge": "x" * 1_000_000}, 5),
    ]
    odd[2].attributes.add(key="unset")  # an AnyValue with no value set
    chat = make_span(CHAT, 6, name="chat")
    request = make_request(*odd, chat)
    status, _ = raw_call(service.address, request.SerializeToString())
    assert status.name == "OK"

    (received,) = next_hop.trace_requests()
    spans = received.resource_spans[0].scope_spans[0].spans
    assert [attribute_bytes(span) for span in spans[:5]] == [attribute_bytes(span) for span in odd]
    assert spans[:5] == odd[:5]  # every other field too
    enriched = spans[5]
    assert attribute_bytes(enriched)[: len(chat.attributes)] == attribute_bytes(chat)
    added = {kv.key for kv in enriched.attributes[len(chat.attributes) :]}
    assert sc.ENERGY_WH in added and sc.EMISSIONS_GCO2E in added
    assert enriched.events == chat.events and enriched.trace_id == chat.trace_id


def test_a_request_without_usage_is_forwarded_byte_for_byte(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    payload = make_request(make_span({"db.system": "postgresql", "deep": nested(25)}, 1)).SerializeToString()
    assert raw_call(service.address, payload)[0].name == "OK"
    (received,) = next_hop.trace_requests()
    assert received.SerializeToString() == payload


def test_nesting_beyond_the_protobuf_parse_limit_passes_through_untouched(start_service: StartService) -> None:
    """45 levels exceed the protobuf parser's 100-message depth; the service never parses that deep."""
    deep = nested_bytes(45)
    payload = with_raw_attribute(make_request(make_span(CHAT, 1, name="chat")), 0, "deep", deep)
    with pytest.raises(DecodeError):
        ExportTraceServiceRequest.FromString(payload)
    with RawSink() as sink:
        service = start_service(sink.endpoint)
        assert raw_call(service.address, payload)[0].name == "OK"
        service.stop(grace=0)
        (forwarded,) = sink.payloads
    span = ShallowTraceRequest.FromString(forwarded).resource_spans[0].scope_spans[0].spans[0]
    values = {kv.key: kv.value for kv in span.attributes}
    assert values["deep"] == deep
    assert decode_value(values[sc.ENERGY_WH]) > 0


def _innermost(value: object) -> tuple[object, int]:
    depth = 0
    while isinstance(value, (tuple, Mapping)):
        value = value[0] if isinstance(value, tuple) else next(iter(value.values()))
        depth += 1
    return value, depth


def test_the_decoder_stops_at_its_depth_bound() -> None:
    assert _innermost(decode_value(nested(MAX_DEPTH).SerializeToString())) == ("leaf", MAX_DEPTH)
    assert _innermost(decode_value(nested(MAX_DEPTH + 3).SerializeToString())) == (UNDECODABLE, MAX_DEPTH)
    assert decode_value(nested_bytes(60)) is UNDECODABLE  # beyond the protobuf parser's limit
    assert decode_value(b"\xff\xff\xff") is UNDECODABLE
    attributes = LazyAttributes([ShallowKeyValue(key="k", value=nested(2).SerializeToString())])
    assert "k" in attributes and list(attributes) == ["k"] and attributes.get("missing") is None


def test_deeply_nested_usage_value_gets_an_estimate_error_not_a_crash(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    span = make_span({**CHAT, sc.GEN_AI_USAGE_OUTPUT_TOKENS: nested(20)}, 1)
    assert raw_call(service.address, make_request(span).SerializeToString())[0].name == "OK"
    (arrived,) = next_hop.wait_for_spans(1)
    assert sc.ENERGY_WH not in arrived.attributes
    assert sc.GEN_AI_USAGE_OUTPUT_TOKENS in arrived.attributes[sc.ESTIMATE_ERROR]


def test_spans_enriched_upstream_are_not_enriched_or_counted_again(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    already = make_span({**CHAT, sc.ENERGY_WH: 0.5, sc.COMPONENT: "llm"}, 1)
    payload = make_request(already).SerializeToString()
    assert raw_call(service.address, payload)[0].name == "OK"
    assert next_hop.trace_requests()[0].SerializeToString() == payload
    assert service.flush_metrics()
    assert [point for point in next_hop.metric_points() if point.name == sc.METRIC_ENERGY] == []


def test_span_and_resource_attributes_reach_the_enricher_decoded(
    next_hop: OtlpReceiver, start_service: StartService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = start_service(next_hop.endpoint)
    calls: list[tuple[dict[str, object], dict[str, object]]] = []
    enrich = service._enricher.enrich

    def recording(attributes: Mapping[str, object], resource: Mapping[str, object], resource_key: object) -> object:
        calls.append((dict(attributes), dict(resource)))
        return enrich(attributes, resource, resource_key)

    monkeypatch.setattr(service._enricher, "enrich", recording)
    resource = {sc.SERVICE_NAME: "app", "cloud.provider": "aws", "cloud.region": "eu-west-3"}
    span_attributes = {**CHAT, "tags": ["a", "b"], "ratio": 0.5, "ok": True}
    assert (
        raw_call(service.address, make_request(make_span(span_attributes, 1), resource=resource).SerializeToString())[
            0
        ].name
        == "OK"
    )
    assert calls == [({**span_attributes, "tags": ("a", "b")}, resource)]
    (arrived,) = next_hop.wait_for_spans(1)
    assert arrived.resource == resource


def test_a_large_request_within_the_limit_is_enriched_span_by_span(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    spans = [make_span(CHAT if index % 100 == 0 else {"k": index}, index) for index in range(20_000)]
    payload = make_request(*spans).SerializeToString()
    assert len(payload) < service.config.max_message_bytes
    assert raw_call(service.address, payload, timeout=20)[0].name == "OK"
    (received,) = next_hop.trace_requests()
    out = received.resource_spans[0].scope_spans[0].spans
    assert len(out) == 20_000
    enriched = [span for span in out if any(kv.key == sc.ENERGY_WH for kv in span.attributes)]
    assert len(enriched) == 200
