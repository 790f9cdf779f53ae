"""The carbon processor's cost per span, beside a bare SDK span, measured in one run.

bare:        start a GenAI span with the attributes an instrumentation sets, end it, export it
             through a SimpleSpanProcessor to a no-op exporter.
attributes:  the same with the carbon processor attached to a no-op MeterProvider (estimate and
             span attributes only).
processor:   the carbon processor with an SDK MeterProvider (attributes + two histogram records).
Target: processor cost (processor - bare) <= 1.0x the bare span's own cost.

    python benchmarks/bench_processor.py [--spans 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence

from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from otel_carbon.processor import CarbonConfig, attach_processor

START_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "server.address": "api.openai.com",
}
END_ATTRIBUTES = {
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-123",
    "gen_ai.usage.input_tokens": 812,
    "gen_ai.usage.output_tokens": 164,
    "gen_ai.usage.cache_read.input_tokens": 512,
}


class NoOpExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def make_run(variant: str) -> Callable[[int], None]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(NoOpExporter()))
    if variant == "attributes":
        attach_processor(tracer_provider, NoOpMeterProvider(), CarbonConfig.from_env({}))
    elif variant == "processor":
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        attach_processor(tracer_provider, meter_provider, CarbonConfig.from_env({}))
    tracer = tracer_provider.get_tracer("bench")

    def run(spans: int) -> None:
        for _ in range(spans):
            span = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=START_ATTRIBUTES)
            span.set_attributes(END_ATTRIBUTES)
            span.end()

    return run


def per_span_microseconds(run: Callable[[int], None], spans: int) -> float:
    gc.collect()
    started = time.perf_counter()
    run(spans)
    return (time.perf_counter() - started) / spans * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    runs = {variant: make_run(variant) for variant in ("bare", "attributes", "processor")}
    for run in runs.values():
        run(1000)  # warm caches and lazy imports
    times: dict[str, list[float]] = {variant: [] for variant in runs}
    for _ in range(args.rounds):  # interleaved so drift hits all alike
        for variant, run in runs.items():
            times[variant].append(per_span_microseconds(run, args.spans))
    bare, attributes, processor = (statistics.median(times[variant]) for variant in runs)
    print(f"bare SDK span                      {bare:7.2f} us")
    print(
        f"+ carbon processor, no-op metrics  {attributes:7.2f} us  (estimate + attributes: {(attributes - bare) / bare:.2f}x)"
    )
    print(
        f"+ carbon processor, SDK metrics    {processor:7.2f} us  (two histogram records: {(processor - attributes) / bare:.2f}x)"
    )
    print(
        f"processor cost                     {processor - bare:7.2f} us = {(processor - bare) / bare:.2f}x the bare span (target <= 1.00x)"
    )


if __name__ == "__main__":
    main()
