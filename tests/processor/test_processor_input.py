"""Whatever a span carries, the processor never raises, never writes a non-finite number, and never
changes an attribute the user or the instrumentation set."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher, attach_processor
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING

KEYS = [
    sc.GEN_AI_OPERATION_NAME,
    sc.GEN_AI_PROVIDER_NAME,
    sc.GEN_AI_SYSTEM,
    sc.GEN_AI_REQUEST_MODEL,
    sc.GEN_AI_RESPONSE_MODEL,
    sc.SERVER_ADDRESS,
    sc.GEN_AI_AGENT_NAME,
    sc.GEN_AI_CONVERSATION_ID,
    sc.USAGE_SOURCE,
    sc.GEN_AI_USAGE_INPUT_TOKENS,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS,
    sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    sc.LEGACY_USAGE_PROMPT_TOKENS,
    sc.TTS_CHARACTERS,
    sc.STT_AUDIO_SECONDS,
]
scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=40),
    st.sampled_from(["chat", "embeddings", "text_to_speech", "speech_to_text", "openai", "gpt-4o", "127.0.0.1"]),
)
attribute_values = st.one_of(scalars, st.lists(scalars, max_size=3).map(tuple))
anything = st.one_of(attribute_values, st.none(), st.binary(max_size=8), st.dictionaries(st.text(max_size=3), scalars))
usage = {sc.GEN_AI_USAGE_INPUT_TOKENS: 10}  # present, so garbage elsewhere reaches the estimate

ENRICHER = CarbonEnricher(CarbonConfig.from_env({"OTEL_CARBON_EMBODIED": "true"}), live_grid=False)
EXPORTER = InMemorySpanExporter()
READER = InMemoryMetricReader()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
attach_processor(provider, MeterProvider(metric_readers=[READER]), CarbonConfig.from_env({}))
TRACER = provider.get_tracer("any")


def finite_numbers(values: Any) -> bool:
    return all(math.isfinite(value) for value in values if isinstance(value, float))


@settings(max_examples=200, deadline=None)
@given(attributes=st.dictionaries(st.sampled_from(KEYS), anything, max_size=10))
def test_garbage_in_a_plain_mapping_never_raises_nor_yields_a_non_finite_number(attributes: dict[str, Any]) -> None:
    enrichment = ENRICHER.enrich({**usage, **attributes}, {sc.CLOUD_REGION: attributes.get(sc.SERVER_ADDRESS)}, 1)
    if enrichment is not None:
        assert finite_numbers(enrichment.attributes.values())
        assert finite_numbers(enrichment[2:9])


@pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")
@settings(max_examples=80, deadline=None)
@given(attributes=st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), attribute_values, max_size=12))
def test_garbage_on_a_span_never_raises_and_the_users_attributes_are_exported_unchanged(
    attributes: dict[str, Any],
) -> None:
    EXPORTER.clear()
    span = TRACER.start_span("call")
    span.set_attributes({**usage, **attributes})
    own = dict(span.attributes)  # as the SDK kept them
    span.end()
    (exported,) = EXPORTER.get_finished_spans()
    assert {key: exported.attributes[key] for key in own if key in exported.attributes} == own
    assert set(own) <= set(exported.attributes)
    assert finite_numbers(value for key, value in exported.attributes.items() if key not in own)
    READER.get_metrics_data()  # the deferred records are drained here: they must not raise either
