"""Near the SDK's attribute count limit, carbon attributes never evict the span's own: what fits is
added (most important first), what does not is counted as dropped (defect 4.2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, attach_processor
from otel_carbon.processor.span_processor import PRIORITY, SDK_HAS_ON_ENDING

from ..support.otlp_receiver import ExportedSpan, OtlpReceiver

pytestmark = pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")

GENAI = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 500,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 300,
}
CARBON_ATTRIBUTES_BY_DEFAULT = 14


@pytest.fixture
def export(otlp_receiver: OtlpReceiver) -> Iterator[object]:
    otlp_receiver.clear()
    providers: list[TracerProvider] = []

    def run(limit: int, own_attribute_count: int) -> ExportedSpan:
        provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=limit))
        providers.append(provider)
        provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=otlp_receiver.endpoint, insecure=True))
        )
        attach_processor(provider, NoOpMeterProvider(), CarbonConfig.from_env({}))
        own = {**GENAI, **{f"app.prompt.{index}": "x" for index in range(own_attribute_count - len(GENAI))}}
        with provider.get_tracer("third.party").start_as_current_span("chat gpt-4o") as span:
            span.set_attributes(own)
        (exported,) = otlp_receiver.spans()
        assert {key: exported.attributes[key] for key in own} == own, "an own attribute was evicted"
        return exported

    yield run
    for provider in providers:
        provider.shutdown()
    otlp_receiver.clear()


def carbon_keys(span: ExportedSpan) -> list[str]:
    return [key for key in span.attributes if key.startswith("otel_carbon.")]


def test_at_the_default_limit_120_own_attributes_all_stay_and_8_carbon_ones_fit(export) -> None:  # type: ignore[no-untyped-def]
    span = export(128, 120)
    assert len(span.attributes) == 128
    assert set(carbon_keys(span)) == set(PRIORITY[1:9])  # the 8 most important after the error
    assert span.dropped_attributes_count == CARBON_ATTRIBUTES_BY_DEFAULT - 8


def test_at_a_limit_of_20_the_estimate_itself_comes_first(export) -> None:  # type: ignore[no-untyped-def]
    span = export(20, 17)
    assert set(carbon_keys(span)) == {sc.EMISSIONS_GCO2E, sc.ENERGY_WH, sc.WATER_L}
    assert span.dropped_attributes_count == CARBON_ATTRIBUTES_BY_DEFAULT - 3


def test_a_span_already_at_its_limit_keeps_everything_and_counts_every_carbon_attribute_dropped(export) -> None:  # type: ignore[no-untyped-def]
    span = export(20, 20)
    assert carbon_keys(span) == []
    assert span.dropped_attributes_count == CARBON_ATTRIBUTES_BY_DEFAULT


def test_with_room_for_all_nothing_is_dropped(export) -> None:  # type: ignore[no-untyped-def]
    span = export(128, 20)
    assert len(carbon_keys(span)) == CARBON_ATTRIBUTES_BY_DEFAULT
    assert span.dropped_attributes_count == 0
