"""Memory over 100,000 GenAI spans through the carbon processor: no per-call growth.

Every span carries a unique response id and conversation id (which must never become metric
series), spread over more models and agents than the series bounds admit. Python heap
(tracemalloc) and the number of metric series are printed at checkpoints.

    python benchmarks/bench_memory.py [--spans 100000]
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
from collections.abc import Sequence

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from otel_carbon.processor import CarbonConfig, attach_processor


class NoOpExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def series_count(reader: InMemoryMetricReader) -> int:
    data = reader.get_metrics_data()
    if data is None:
        return 0
    return sum(
        len(metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=100_000)
    args = parser.parse_args()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(NoOpExporter()))
    reader = InMemoryMetricReader()
    attach_processor(tracer_provider, MeterProvider(metric_readers=[reader]), CarbonConfig.from_env({}))
    tracer = tracer_provider.get_tracer("bench")
    checkpoints = {args.spans // 5, args.spans * 2 // 5, args.spans * 3 // 5, args.spans * 4 // 5, args.spans}
    tracemalloc.start()
    baseline = 0
    for call in range(1, args.spans + 1):
        with tracer.start_as_current_span("chat") as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": f"house-model-{call % 500}",
                    "gen_ai.agent.name": f"agent-{call % 300}",
                    "gen_ai.conversation.id": f"conversation-{call}",
                    "gen_ai.response.id": f"response-{call}",
                    "gen_ai.usage.input_tokens": 100 + call % 50,
                    "gen_ai.usage.output_tokens": 20 + call % 30,
                }
            )
        if call == args.spans // 5:  # past warm-up: every bounded cache and label set is full
            gc.collect()
            baseline = tracemalloc.get_traced_memory()[0]
        if call in checkpoints:
            gc.collect()
            heap = tracemalloc.get_traced_memory()[0]
            print(
                f"{call:>7} spans: heap {heap / 1024:8.1f} KiB (+{(heap - baseline) / 1024:6.1f} KiB since {args.spans // 5:,}), "
                f"metric series {series_count(reader)}"
            )


if __name__ == "__main__":
    main()
