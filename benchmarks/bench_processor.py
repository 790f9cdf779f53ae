"""The carbon processor's cost per span, beside a bare SDK span, measured in one run.

bare:      start a GenAI span with the attributes an instrumentation sets, end it, export it
           through a SimpleSpanProcessor to a no-op exporter.
processor: the same, with the carbon processor attached (attributes + two histogram records
           into an SDK MeterProvider).
Target: processor cost (processor - bare) <= 1.0x the bare span's own cost.

    python benchmarks/bench_processor.py [--spans 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Callable, Sequence

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


def make_run(with_processor: bool) -> Callable[[int], None]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(NoOpExporter()))
    if with_processor:
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
    bare, carbon = make_run(False), make_run(True)
    bare(1000), carbon(1000)  # warm caches and lazy imports
    bare_times, carbon_times = [], []
    for _ in range(args.rounds):  # interleaved so drift hits both alike
        bare_times.append(per_span_microseconds(bare, args.spans))
        carbon_times.append(per_span_microseconds(carbon, args.spans))
    bare_us, carbon_us = statistics.median(bare_times), statistics.median(carbon_times)
    cost = carbon_us - bare_us
    print(f"bare SDK span          {bare_us:7.2f} us")
    print(f"span + carbon processor {carbon_us:7.2f} us")
    print(f"processor cost         {cost:7.2f} us = {cost / bare_us:.2f}x the bare span (target <= 1.00x)")


if __name__ == "__main__":
    main()
