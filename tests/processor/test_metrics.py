"""Carbon metrics as exported over OTLP: names, units, buckets and bounded dimensions."""

from __future__ import annotations

import tracemalloc

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher, CarbonSpanProcessor, attach_processor
from otel_carbon.processor.labels import MAX_PROVIDERS
from otel_carbon.processor.metrics import EMISSIONS_BUCKETS_G, ENERGY_BUCKETS_J, CarbonMetrics

from ..support.telemetry import Telemetry

CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 1000,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 1000,
}


def emit(telemetry: Telemetry, attributes: dict[str, object]) -> None:
    with telemetry.tracer_provider.get_tracer("third.party").start_as_current_span("chat") as span:
        span.set_attributes(attributes)


def test_energy_is_a_histogram_in_joules_with_advisory_buckets(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    emit(telemetry, CHAT)
    (point,) = telemetry.metric_points(sc.METRIC_ENERGY)
    assert (point.kind, point.unit) == ("histogram", "J")
    assert point.explicit_bounds == ENERGY_BUCKETS_J
    assert point.count == 1
    # llm.small (0.01 + 0.05 Wh per 1k) x openai PUE 1.18, in joules
    assert point.sum == pytest.approx((0.01 + 0.05) * 1.18 * 3600, rel=1e-12)


def test_emissions_is_a_histogram_in_grams_with_advisory_buckets(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    emit(telemetry, CHAT)
    (point,) = telemetry.metric_points(sc.METRIC_EMISSIONS)
    assert (point.kind, point.unit) == ("histogram", "g")
    assert point.explicit_bounds == EMISSIONS_BUCKETS_G
    # OpenAI serves from the US by default (providers.toml): Ember 2024, 383.55 gCO2e/kWh
    assert point.sum == pytest.approx((0.01 + 0.05) * 1.18 * 0.38355, rel=1e-12)


def test_sum_and_count_give_totals_and_calls(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    for _ in range(3):
        emit(telemetry, CHAT)
    (point,) = telemetry.metric_points(sc.METRIC_ENERGY)
    assert point.count == 3
    assert point.sum == pytest.approx(3 * (0.01 + 0.05) * 1.18 * 3600, rel=1e-12)


def test_dimensions_are_component_provider_normalised_model_and_region(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    emit(
        telemetry,
        {
            **CHAT,
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
            sc.GEN_AI_CONVERSATION_ID: "conv-123",
            "server.address": "api.openai.com",
        },
    )
    (point,) = telemetry.metric_points(sc.METRIC_EMISSIONS)
    assert point.attributes == {
        sc.COMPONENT: "llm",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.MODEL: "gpt-4o-mini",
        sc.REGION: "US",
        sc.USAGE_SOURCE: "reported",
    }


def test_agent_name_is_a_dimension_when_present(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_AGENT_NAME: "booking-agent"})
    (point,) = telemetry.metric_points(sc.METRIC_ENERGY)
    assert point.attributes[sc.GEN_AI_AGENT_NAME] == "booking-agent"


def test_components_are_separate_series(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, CHAT)
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "text_to_speech",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "tts-1",
            sc.TTS_CHARACTERS: 100,
        },
    )
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "speech_to_text",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "whisper-1",
            sc.STT_AUDIO_SECONDS: 3.5,
        },
    )
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "embeddings",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "text-embedding-3-small",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 8,
        },
    )
    components = {point.attributes[sc.COMPONENT] for point in telemetry.metric_points(sc.METRIC_ENERGY)}
    assert components == {"llm", "tts", "stt", "embedding"}


def test_model_dimension_is_bounded(telemetry: Telemetry) -> None:
    attach_processor(
        telemetry.tracer_provider, telemetry.meter_provider, CarbonConfig.from_env({"OTEL_CARBON_MAX_MODELS": "2"})
    )
    for model in ("model-a", "model-b", "model-c", "model-d"):
        emit(telemetry, {**CHAT, sc.GEN_AI_REQUEST_MODEL: model})
    models = sorted(point.attributes[sc.MODEL] for point in telemetry.metric_points(sc.METRIC_ENERGY))
    assert models == ["_other", "model-a", "model-b"]


def test_invalid_usage_records_no_metric(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_USAGE_INPUT_TOKENS: -1})
    assert telemetry.metric_points(sc.METRIC_ENERGY) == []


def test_tokens_are_counted_by_type_on_the_same_series(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, CHAT)
    emit(telemetry, CHAT)
    points = {p.attributes[sc.TOKEN_TYPE]: p for p in telemetry.metric_points(sc.METRIC_TOKENS)}
    assert (points["input"].kind, points["input"].is_monotonic, points["input"].unit) == ("sum", True, "{token}")
    assert (points["input"].value, points["output"].value) == (2000, 2000)
    assert points["input"].attributes[sc.MODEL] == "gpt-4o-mini"


def test_conversations_are_counted_once_and_never_become_a_label(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    for conversation in ("conv-1", "conv-1", "conv-2"):
        emit(telemetry, {**CHAT, sc.GEN_AI_CONVERSATION_ID: conversation, sc.GEN_AI_AGENT_NAME: "booking"})
    (point,) = telemetry.metric_points(sc.METRIC_CONVERSATIONS)
    assert point.value == 2
    assert point.attributes == {sc.GEN_AI_AGENT_NAME: "booking"}
    for other in telemetry.metric_points():
        assert sc.GEN_AI_CONVERSATION_ID not in other.attributes


def test_provider_dimension_is_bounded(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    for index in range(MAX_PROVIDERS + 5):
        emit(telemetry, {**CHAT, sc.GEN_AI_PROVIDER_NAME: f"provider-{index}"})
    providers = {point.attributes[sc.GEN_AI_PROVIDER_NAME] for point in telemetry.metric_points(sc.METRIC_ENERGY)}
    assert len(providers) == MAX_PROVIDERS + 1
    assert sc.OTHER_VALUE in providers


def test_calls_are_counted_by_usage_source(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, CHAT)
    emit(telemetry, {**CHAT, sc.USAGE_SOURCE: sc.USAGE_SOURCE_REPORTED})
    emit(telemetry, {**CHAT, sc.USAGE_SOURCE: sc.USAGE_SOURCE_ESTIMATED})
    counts = {point.attributes[sc.USAGE_SOURCE]: point.count for point in telemetry.metric_points(sc.METRIC_ENERGY)}
    assert counts == {"reported": 2, "estimated": 1}


def test_many_distinct_providers_keep_series_and_memory_flat() -> None:
    """100k distinct providers took the service from 48 to 149 MB (defect 4.3)."""
    reader = InMemoryMetricReader()
    metrics = CarbonMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"))
    enricher = CarbonEnricher(CarbonConfig.from_env({}), live_grid=False)

    def calls(first: int, count: int) -> None:
        for index in range(first, first + count):
            enrichment = enricher.enrich({**CHAT, sc.GEN_AI_PROVIDER_NAME: f"provider-{index}"}, {}, "resource")
            assert enrichment is not None
            metrics.record(enrichment)
        reader.get_metrics_data()

    tracemalloc.start()
    try:
        calls(0, 4000)  # fills the enricher's per-key caches, which are bounded too
        before = tracemalloc.get_traced_memory()[0]
        calls(4000, 6000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 500_000  # before the bound: a series per provider, several MB here
    assert len(metrics._totals) <= MAX_PROVIDERS + 1  # noqa: SLF001 - the per-series state itself
