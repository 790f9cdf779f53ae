"""The per-key fast path and the deferred histogram records change nothing that is exported: over randomised
spans, the same attributes in the same order and the same metric points as the reference path (every
step spelled out, histograms recorded inline), both run side by side in one process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher, CarbonSpanProcessor
from otel_carbon.processor.enrichment import Enrichment
from otel_carbon.processor.fast_path import SUPPORTED as FAST_PATH_SUPPORTED
from otel_carbon.processor.metrics import CarbonMetrics
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING

pytestmark = pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")

RESOURCES = (
    Resource.create({"service.name": "app"}),
    Resource.create({"service.name": "gpu", "cloud.provider": "aws", "cloud.region": "eu-west-3"}),
)
PARENT = SpanContext(0x1234, 0x5678, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))


class InlineMetrics(CarbonMetrics):
    """The reference: each call's figures recorded at once, as before the records were deferred."""

    def record(self, enrichment: Enrichment) -> None:
        super().record(enrichment)
        self.drain()


class Path:
    def __init__(self, *, reference: bool) -> None:
        config = CarbonConfig.from_env({"OTEL_CARBON_EMBODIED": "true"})
        self.enricher = CarbonEnricher(config, live_grid=False)
        self.enricher.fast_path = not reference
        self.reader = InMemoryMetricReader()
        meter = MeterProvider(metric_readers=[self.reader]).get_meter("otel-carbon")
        metrics = (InlineMetrics if reference else CarbonMetrics)(meter)
        self.exporter = InMemorySpanExporter()
        self.tracers = []
        for resource in RESOURCES:
            provider = TracerProvider(resource=resource)
            provider.add_span_processor(CarbonSpanProcessor(self.enricher, metrics))
            provider.add_span_processor(SimpleSpanProcessor(self.exporter))
            self.tracers.append(provider.get_tracer("any"))

    def emit(self, calls: list[tuple[int, dict[str, Any], bool]]) -> list[tuple[Any, ...]]:
        self.exporter.clear()
        for resource_index, attributes, in_parent in calls:
            token = context_api.attach(trace.set_span_in_context(NonRecordingSpan(PARENT))) if in_parent else None
            try:
                self.tracers[resource_index].start_span("call", attributes=attributes).end()
            finally:
                if token is not None:
                    context_api.detach(token)
        return [(list(span.attributes.items()), span.dropped_attributes) for span in self.exporter.get_finished_spans()]

    def points(self) -> list[tuple[Any, ...]]:
        data = self.reader.get_metrics_data()
        found = []
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    for point in metric.data.data_points:
                        values = {k: v for k, v in vars(point).items() if "time" not in k and k != "exemplars"}
                        exemplars = [(e.value, e.span_id, e.trace_id) for e in getattr(point, "exemplars", ())]
                        found.append((metric.name, sorted(values.items(), key=str), exemplars))
        return sorted(found, key=str)


@pytest.fixture(scope="module")
def paths() -> Iterator[tuple[Path, Path]]:
    yield Path(reference=False), Path(reference=True)


def optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


tokens = st.one_of(st.integers(0, 5000), st.sampled_from([0, 10**9, -1, 2.0, "7"]))
span_attributes = st.fixed_dictionaries(
    {},
    optional={
        sc.GEN_AI_OPERATION_NAME: st.sampled_from(
            ["chat", "embeddings", "text_completion", "generate_content", "text_to_speech", "invoke_agent"]
        ),
        sc.GEN_AI_PROVIDER_NAME: st.sampled_from(["openai", "aws.bedrock", "gcp.vertex_ai", "anthropic", "acme", ""]),
        sc.GEN_AI_SYSTEM: st.sampled_from(["openai", "az.ai.inference"]),
        sc.GEN_AI_REQUEST_MODEL: st.sampled_from(["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "mystery-9000"]),
        sc.GEN_AI_RESPONSE_MODEL: st.sampled_from(["gpt-4o-2024-08-06", "us.anthropic.claude-sonnet-4-20250514-v1:0"]),
        sc.SERVER_ADDRESS: st.sampled_from(
            ["api.openai.com", "bedrock-runtime.eu-west-3.amazonaws.com", "127.0.0.1", "myres.openai.azure.com"]
        ),
        sc.GEN_AI_AGENT_NAME: st.sampled_from(["booking", "support", ""]),
        sc.GEN_AI_CONVERSATION_ID: st.sampled_from(["c1", "c2", "c3"]),
        sc.USAGE_SOURCE: st.sampled_from([sc.USAGE_SOURCE_REPORTED, sc.USAGE_SOURCE_ESTIMATED]),
        sc.GEN_AI_USAGE_INPUT_TOKENS: tokens,
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: tokens,
        sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: st.integers(0, 3000),
        sc.TTS_CHARACTERS: st.integers(0, 2000),
        sc.STT_AUDIO_SECONDS: st.floats(0, 600),
        sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: st.integers(0, 3000),
        sc.GEN_AI_USAGE_AUDIO_INPUT_TOKENS: st.integers(0, 3000),
        sc.GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS: st.integers(0, 3000),
        sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: st.integers(0, 3000),
        sc.LEGACY_USAGE_PROMPT_TOKENS: st.integers(0, 3000),
    },
)
calls = st.lists(st.tuples(st.integers(0, 1), span_attributes, st.booleans()), min_size=1, max_size=15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=calls)
def test_randomised_spans_get_the_same_attributes_in_the_same_order_and_the_same_metric_points(
    paths: tuple[Path, Path], calls: list[tuple[int, dict[str, Any], bool]]
) -> None:
    fast, reference = paths
    assert fast.emit(calls) == reference.emit(calls)
    assert fast.points() == reference.points()


def test_the_fast_path_is_taken(paths: tuple[Path, Path]) -> None:
    """Fails when the usage record grows a field the fast path's arithmetic does not know yet."""
    assert FAST_PATH_SUPPORTED
    fast, _ = paths
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 5}
    fast.emit([(0, chat, False), (0, chat, False)])
    assert fast.enricher._fast_entries  # noqa: SLF001 - the cache under test
