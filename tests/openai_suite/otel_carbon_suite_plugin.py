"""pytest plugin: instrument openai with otel-carbon before openai-python's own tests import it.

Loaded with ``-p otel_carbon_suite_plugin`` (this folder on PYTHONPATH) by run.sh's instrumented run.
Spans go through an SDK TracerProvider with the carbon processor to an exporter that counts them,
so every wrapped call runs the whole in-process path; the count is printed at the end of the session.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from otel_carbon.processor import CarbonConfig, attach_processor


class CountingExporter(SpanExporter):
    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


_exporter = CountingExporter()


def pytest_configure(config: pytest.Config) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(_exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    attach_processor(tracer_provider, meter_provider, CarbonConfig.from_env({}))
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def pytest_unconfigure(config: pytest.Config) -> None:
    print(f"\notel-carbon instrumentation: {_exporter.spans} spans ended in this process")
