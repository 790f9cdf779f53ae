"""Every exported span's carbon attributes can be recomputed exactly from its other attributes, the
methodology version and the data files (METHODOLOGY.md, section 1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonSpanProcessor, attach_processor
from otel_carbon.processor.model import load_coefficients
from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING

from ..support.telemetry import Telemetry

pytestmark = pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")

BATCH: list[dict[str, object]] = [
    {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1234,
        "gen_ai.usage.output_tokens": 567,
        "gen_ai.usage.cache_read.input_tokens": 200,
    },
    {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "server.address": "bedrock-runtime.eu-west-3.amazonaws.com",
        "gen_ai.usage.input_tokens": 3000,
        "gen_ai.usage.output_tokens": 800,
    },
    {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "gcp.vertex_ai",
        "gen_ai.request.model": "gemini-2.5-flash",
        "server.address": "europe-west4-aiplatform.googleapis.com",
        "gen_ai.usage.input_tokens": 90,
        "gen_ai.usage.output_tokens": 45,
    },
    {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "llama-3.1-8b-instruct",
        "server.address": "127.0.0.1",
        "gen_ai.usage.input_tokens": 50,
        "gen_ai.usage.output_tokens": 700,
    },
    {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "text-embedding-3-large",
        "gen_ai.usage.input_tokens": 8191,
    },
    {
        "gen_ai.operation.name": "text_to_speech",
        "gen_ai.provider.name": "elevenlabs",
        "gen_ai.request.model": "eleven_multilingual_v2",
        "otel_carbon.tts.characters": 1500,
    },
    {
        "gen_ai.operation.name": "speech_to_text",
        "gen_ai.provider.name": "deepgram",
        "gen_ai.request.model": "nova-3",
        "otel_carbon.stt.audio.seconds": 93.5,
    },
    {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "mistral_ai",
        "gen_ai.request.model": "a-model-nobody-knows",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 20,
    },
]


def recompute(attributes: Mapping[str, Any]) -> dict[str, float]:
    """METHODOLOGY.md section 1, written out independently of the enricher."""
    coefficients, sites = load_coefficients(), load_site_tables()
    assert attributes[sc.METHODOLOGY_VERSION] == coefficients.methodology_version == "3"
    energy_class = coefficients.classes[attributes[sc.ENERGY_CLASS]]
    pue = sites.provider(attributes.get(sc.GEN_AI_PROVIDER_NAME)).pue
    assert attributes[sc.PUE] == pue.central
    zone = sites.grid_by_zone[attributes[sc.REGION]]
    offsite = zone.offsite_water_l_per_kwh
    if offsite is None:
        offsite = sites.grid_by_zone[sites.default_zone].offsite_water_l_per_kwh
    wue = sites.provider(attributes.get(sc.GEN_AI_PROVIDER_NAME)).onsite_wue_l_per_kwh.central
    it = {}
    for level in ("central", "low", "high"):
        if sc.TTS_CHARACTERS in attributes:
            it[level] = attributes[sc.TTS_CHARACTERS] / 1000.0 * getattr(energy_class.per_1k_characters, level)
        elif sc.STT_AUDIO_SECONDS in attributes:
            it[level] = attributes[sc.STT_AUDIO_SECONDS] / 60.0 * getattr(energy_class.per_audio_minute, level)
        else:
            cached = attributes.get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 0)
            uncached = (attributes.get(sc.GEN_AI_USAGE_INPUT_TOKENS, 0) - cached) / 1000.0
            output = attributes.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 0) / 1000.0
            factor = getattr(coefficients.cached_input_factor, level)
            rate_out = getattr(energy_class.output_per_1k_tokens, level) if energy_class.output_per_1k_tokens else 0.0
            it[level] = (uncached + cached / 1000.0 * factor) * getattr(energy_class.input_per_1k_tokens, level) + (
                output * rate_out
            )
    energy = {level: it[level] * getattr(pue, level) for level in it}
    grams_per_wh = attributes[sc.GRID_INTENSITY] / 1000.0
    return {
        sc.ENERGY_WH: energy["central"],
        sc.ENERGY_WH_LOW: energy["low"],
        sc.ENERGY_WH_HIGH: energy["high"],
        sc.EMISSIONS_GCO2E: energy["central"] * grams_per_wh,
        sc.EMISSIONS_GCO2E_LOW: energy["low"] * grams_per_wh,
        sc.EMISSIONS_GCO2E_HIGH: energy["high"] * grams_per_wh,
        sc.WATER_L: (it["central"] * wue + energy["central"] * offsite) / 1000.0,
    }


def test_a_batch_of_exported_spans_recomputes_to_the_last_digit(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("any.instrumentation")
    for attributes in BATCH:
        with tracer.start_as_current_span("genai call") as span:
            span.set_attributes(attributes)  # type: ignore[arg-type]
    spans = telemetry.spans()
    assert len(spans) == len(BATCH)
    for span in spans:
        expected = recompute(span.attributes)
        assert {key: span.attributes[key] for key in expected if key in span.attributes} == {
            key: value for key, value in expected.items() if key in span.attributes
        }, span.attributes
        assert sc.EMISSIONS_GCO2E in span.attributes and sc.ENERGY_WH_LOW in span.attributes


def test_with_full_detail_the_emissions_range_recomputes_too(telemetry: Telemetry) -> None:
    config = CarbonConfig.from_env({"OTEL_CARBON_SPAN_ATTRIBUTES": "full"})
    attach_processor(telemetry.tracer_provider, telemetry.meter_provider, config)
    tracer = telemetry.tracer_provider.get_tracer("any.instrumentation")
    for attributes in BATCH:
        with tracer.start_as_current_span("genai call") as span:
            span.set_attributes(attributes)  # type: ignore[arg-type]
    for span in telemetry.spans():
        expected = recompute(span.attributes)
        assert {key: span.attributes[key] for key in expected} == expected, span.attributes
