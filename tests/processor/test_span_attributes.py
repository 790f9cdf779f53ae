"""Carbon attributes on exported spans: what the in-process processor adds, over OTLP."""

from __future__ import annotations

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonSpanProcessor, attach_processor
from otel_carbon.processor.enrichment import FULL_ONLY_ATTRIBUTES
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING

from ..support.telemetry import Telemetry

pytestmark = pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")

CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 500,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 300,
    sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 100,
}


def emit(telemetry: Telemetry, attributes: dict[str, object], name: str = "chat gpt-4o") -> None:
    with telemetry.tracer_provider.get_tracer("third.party").start_as_current_span(name) as span:
        span.set_attributes(attributes)


MINIMAL_CARBON_ATTRIBUTES = [
    sc.COMPONENT,
    sc.ENERGY_CLASS,
    sc.MODEL,
    sc.PUE,
    sc.GRID_INTENSITY,
    sc.GRID_INTENSITY_SOURCE,
    sc.REGION,
    sc.REGION_SOURCE,
    sc.METHODOLOGY_VERSION,
    sc.ENERGY_WH,
    sc.ENERGY_WH_LOW,
    sc.ENERGY_WH_HIGH,
    sc.EMISSIONS_GCO2E,
    sc.WATER_L,
]


def test_chat_span_carries_energy_emissions_and_provenance_with_exact_types(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    emit(telemetry, CHAT)
    attributes = telemetry.span().attributes
    for key in (sc.ENERGY_WH, sc.ENERGY_WH_LOW, sc.ENERGY_WH_HIGH, sc.EMISSIONS_GCO2E, sc.PUE, sc.GRID_INTENSITY):
        assert type(attributes[key]) is float, key
    assert attributes[sc.COMPONENT] == "llm"
    assert attributes[sc.ENERGY_CLASS] == "llm.frontier"
    assert attributes[sc.MODEL] == "gpt-4o"
    assert attributes[sc.REGION] == "US"
    assert attributes[sc.REGION_SOURCE] == "provider_default"
    assert attributes[sc.GRID_INTENSITY_SOURCE] == "ember-co2js"
    assert type(attributes[sc.WATER_L]) is float and attributes[sc.WATER_L] > 0
    assert attributes[sc.METHODOLOGY_VERSION] == "3"
    assert sc.EMBODIED_GCO2E not in attributes
    assert sc.MODEL_UNKNOWN not in attributes


def test_by_default_a_span_gets_the_estimate_and_what_recomputing_it_needs_in_this_order(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    emit(telemetry, CHAT)
    carbon_keys = [key for key in telemetry.span().attributes if key not in CHAT]
    assert carbon_keys == MINIMAL_CARBON_ATTRIBUTES


def test_full_detail_adds_the_emissions_range_and_constant_provenance(telemetry: Telemetry) -> None:
    config = CarbonConfig.from_env({"OTEL_CARBON_SPAN_ATTRIBUTES": "full"})
    attach_processor(telemetry.tracer_provider, telemetry.meter_provider, config)
    emit(telemetry, CHAT)
    attributes = telemetry.span().attributes
    assert set(attributes) - set(CHAT) - set(MINIMAL_CARBON_ATTRIBUTES) == FULL_ONLY_ATTRIBUTES - {
        sc.CLOUD_REGION_USED  # only when a cloud region is known
    }
    assert attributes[sc.GRID_INTENSITY_BASIS] == "lifecycle"
    assert attributes[sc.EMISSIONS_BASIS] == "location-based"
    assert attributes[sc.PUE_SOURCE] == "microsoft"
    assert type(attributes[sc.LOW_CARBON_SHARE]) is float
    assert attributes[sc.EMISSIONS_GCO2E_LOW] < attributes[sc.EMISSIONS_GCO2E] < attributes[sc.EMISSIONS_GCO2E_HIGH]
    assert attributes[sc.EMISSIONS_GCO2E_LOW] == attributes[sc.ENERGY_WH_LOW] * (attributes[sc.GRID_INTENSITY] / 1000)


def test_chat_energy_follows_the_published_formula(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, CHAT)
    attributes = telemetry.span().attributes
    # llm.frontier: 0.18 Wh/1k input, 0.9 Wh/1k output, cached input at 0.1x; openai PUE 1.18; US 383.55 g/kWh
    expected_wh = ((400 + 100 * 0.1) / 1000 * 0.18 + 300 / 1000 * 0.9) * 1.18
    assert attributes[sc.ENERGY_WH] == pytest.approx(expected_wh, rel=1e-12)
    assert attributes[sc.EMISSIONS_GCO2E] == pytest.approx(expected_wh * 383.55 / 1000, rel=1e-12)
    it_wh = expected_wh / 1.18  # water: on-site WUE 0.3 L/kWh (Azure) + US generation 3.1321 L/kWh
    assert attributes[sc.WATER_L] == pytest.approx((it_wh * 0.3 + expected_wh * 3.1321) / 1000, rel=1e-12)
    assert attributes[sc.ENERGY_WH_LOW] < attributes[sc.ENERGY_WH] < attributes[sc.ENERGY_WH_HIGH]


def test_unknown_model_uses_the_fallback_class_and_says_so(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_REQUEST_MODEL: "mystery-9000", sc.GEN_AI_RESPONSE_MODEL: "mystery-9000"})
    attributes = telemetry.span().attributes
    assert attributes[sc.MODEL_UNKNOWN] is True
    assert attributes[sc.ENERGY_CLASS] == "llm.unknown"
    assert attributes[sc.MODEL] == "mystery-9000"
    assert attributes[sc.ENERGY_WH] > 0


def test_model_family_variant_matches_its_family(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-search-preview-2025-03-11"})
    attributes = telemetry.span().attributes
    assert attributes[sc.ENERGY_CLASS] == "llm.small"
    assert sc.MODEL_UNKNOWN not in attributes


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-5, "is negative"),
        ("12", "is not a number"),
        (True, "is not a number"),
        (10**12, "exceeds the plausible maximum"),
        (2.5, "is not a whole count"),
        (float("nan"), "is not a whole count"),
    ],
)
def test_invalid_token_count_gets_no_estimate_and_an_error_naming_the_attribute(
    telemetry: Telemetry, carbon: CarbonSpanProcessor, value: object, reason: str
) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_USAGE_OUTPUT_TOKENS: value})
    attributes = telemetry.span().attributes
    assert attributes[sc.ESTIMATE_ERROR].startswith(f"{sc.GEN_AI_USAGE_OUTPUT_TOKENS}=")
    assert reason in attributes[sc.ESTIMATE_ERROR]
    assert sc.ENERGY_WH not in attributes
    assert attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 500  # the user's attributes are kept


def test_cache_reads_above_input_tokens_get_an_error(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 900})
    assert "exceeds gen_ai.usage.input_tokens=500" in telemetry.span().attributes[sc.ESTIMATE_ERROR]


@pytest.mark.parametrize(
    "cache_write_key",
    [
        sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
        sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        sc.LEGACY_USAGE_CACHE_CREATION_INPUT_TOKENS,
    ],
)
def test_both_cache_write_spellings_are_read_and_validated(
    telemetry: Telemetry, carbon: CarbonSpanProcessor, cache_write_key: str
) -> None:
    emit(telemetry, {**CHAT, cache_write_key: -1})
    assert telemetry.span().attributes[sc.ESTIMATE_ERROR].startswith(f"{cache_write_key}=-1")


def test_official_genai_openai_span_shape_is_enriched(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 12,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 7,
            sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 0,
            "server.address": "api.openai.com",
        },
        name="chat gpt-4o-mini",
    )
    attributes = telemetry.span().attributes
    assert attributes[sc.ENERGY_CLASS] == "llm.small"
    assert attributes[sc.MODEL] == "gpt-4o-mini"


def test_openllmetry_span_shape_is_enriched(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(
        telemetry,
        {
            sc.GEN_AI_SYSTEM: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4.1",
            sc.LEGACY_USAGE_PROMPT_TOKENS: 40,
            sc.LEGACY_USAGE_COMPLETION_TOKENS: 20,
            sc.LEGACY_USAGE_CACHE_READ_INPUT_TOKENS: 10,
            "llm.request.type": "chat",
        },
        name="openai.chat",
    )
    attributes = telemetry.span().attributes
    assert attributes[sc.COMPONENT] == "llm"
    assert attributes[sc.ENERGY_CLASS] == "llm.frontier"
    assert attributes[sc.PUE] == 1.18


def test_text_to_speech_energy_comes_from_characters(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "text_to_speech",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "tts-1",
            sc.TTS_CHARACTERS: 2000,
        },
        name="text_to_speech tts-1",
    )
    attributes = telemetry.span().attributes
    assert attributes[sc.COMPONENT] == "tts"
    assert attributes[sc.ENERGY_CLASS] == "tts.default"
    assert attributes[sc.ENERGY_WH] == pytest.approx(2 * 0.3 * 1.18, rel=1e-12)


def test_speech_to_text_energy_comes_from_audio_seconds(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "speech_to_text",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "whisper-1",
            sc.STT_AUDIO_SECONDS: 90.0,
        },
        name="speech_to_text whisper-1",
    )
    attributes = telemetry.span().attributes
    assert attributes[sc.COMPONENT] == "stt"
    assert attributes[sc.ENERGY_WH] == pytest.approx(1.5 * 0.1 * 1.18, rel=1e-12)


def test_speech_to_text_without_seconds_gets_an_error(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(
        telemetry,
        {
            sc.GEN_AI_OPERATION_NAME: "speech_to_text",
            sc.GEN_AI_REQUEST_MODEL: "whisper-1",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 10,
        },
    )
    assert (
        telemetry.span().attributes[sc.ESTIMATE_ERROR] == f"{sc.STT_AUDIO_SECONDS} is missing on a speech_to_text span"
    )


def test_span_without_genai_usage_is_left_untouched(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {"http.request.method": "GET", sc.GEN_AI_OPERATION_NAME: "chat"}, name="GET /")
    assert telemetry.span().attributes == {"http.request.method": "GET", sc.GEN_AI_OPERATION_NAME: "chat"}


def test_agent_rollup_span_is_not_counted_twice(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    emit(telemetry, {**CHAT, sc.GEN_AI_OPERATION_NAME: "invoke_agent"}, name="invoke_agent planner")
    assert sc.ENERGY_WH not in telemetry.span().attributes


def test_attaching_twice_adds_one_processor(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    from otel_carbon.processor import attach_processor

    assert attach_processor(telemetry.tracer_provider, telemetry.meter_provider) is carbon
    emit(telemetry, CHAT)
    assert telemetry.span().attributes[sc.ENERGY_WH] > 0
    assert len(telemetry.metric_points(sc.METRIC_ENERGY)) == 1
    assert telemetry.metric_points(sc.METRIC_ENERGY)[0].count == 1
