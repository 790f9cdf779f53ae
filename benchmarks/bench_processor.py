"""The carbon processor's cost per span, beside a bare SDK span, by instruction counts and by time.

bare:        start a GenAI span with the attributes an instrumentation sets, end it, export it
             through a SimpleSpanProcessor to a no-op exporter.
attributes:  the same with the carbon processor attached to a no-op MeterProvider (estimate and
             span attributes only).
processor:   the carbon processor with an SDK MeterProvider, as shipped. The span path only: the
             histogram records are deferred to collection, whose cost is shown separately as "drain".
Target: processor cost (processor - bare) <= 0.5x the bare span's own cost.

Instructions are callgrind counts of the same loop run for N1 and N2 spans in fresh processes,
(Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and imports cancel out; they are exact and do not depend
on the machine's load. Times are medians of interleaved rounds (each round runs every variant), so
drift hits all variants alike; on a shared machine they spread far more than instructions.

    python benchmarks/bench_processor.py [--spans 5000] [--rounds 7] [--no-callgrind] [--n1 500 --n2 2500]
                                         [--span-attributes minimal|full]
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import statistics
import subprocess
import sys
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
VARIANTS = ("bare", "attributes", "processor")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


class NoOpExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


SETTINGS: dict[str, str] = {}
"""OTEL_CARBON_* settings of the carbon processor (``--span-attributes``)."""


class Run:
    def __init__(self, variant: str) -> None:
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(NoOpExporter()))
        self.reader: InMemoryMetricReader | None = None
        if variant == "attributes":
            attach_processor(tracer_provider, NoOpMeterProvider(), CarbonConfig.from_env(SETTINGS))
        elif variant == "processor":
            self.reader = InMemoryMetricReader()
            attach_processor(
                tracer_provider, MeterProvider(metric_readers=[self.reader]), CarbonConfig.from_env(SETTINGS)
            )
        self.tracer = tracer_provider.get_tracer("bench")

    def spans(self, count: int) -> None:
        tracer = self.tracer
        for _ in range(count):
            span = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=START_ATTRIBUTES)
            span.set_attributes(END_ATTRIBUTES)
            span.end()

    def collect(self) -> None:
        if self.reader is not None:  # a long deadline: callgrind runs the drain about 50x slower
            self.reader.collect(timeout_millis=3_600_000)


def timed(action: Callable[[], None]) -> float:
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def count_only(variant: str, spans: int, collect: bool) -> None:
    """The body measured under callgrind: warm up, then ``spans`` spans (and a collection)."""
    run = Run(variant)
    run.spans(200)
    run.collect()
    gc.collect()
    run.spans(spans)
    if collect:
        run.collect()


def instructions(variant: str, spans: int, collect: bool, python: Sequence[str]) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        *python,
        __file__,
        "--count",
        variant,
        str(spans),
        *(["--span-attributes", SETTINGS["OTEL_CARBON_SPAN_ATTRIBUTES"]] if SETTINGS else []),
    ]
    if collect:
        command.append("--collect")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    match = _COLLECTED.search(result.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from callgrind: {result.stderr[-500:]}")
    return int(match[1])


def per_span_instructions(variant: str, n1: int, n2: int, collect: bool, python: Sequence[str]) -> float:
    return (instructions(variant, n2, collect, python) - instructions(variant, n1, collect, python)) / (n2 - n1)


def report_instructions(n1: int, n2: int) -> None:
    python = [sys.executable, *(["-S"] if sys.flags.no_site else [])]
    counts = {variant: per_span_instructions(variant, n1, n2, False, python) for variant in VARIANTS}
    with_drain = per_span_instructions("processor", n1, n2, True, python)
    bare = counts["bare"]
    print(f"instructions per span (callgrind, N = {n1} vs {n2})")
    print(f"  bare SDK span                      {bare / 1000:8.1f} k")
    print(
        f"  + carbon processor, no-op metrics  {counts['attributes'] / 1000:8.1f} k"
        f"  (+{(counts['attributes'] - bare) / bare:.2f}x)"
    )
    print(
        f"  + carbon processor, SDK metrics    {counts['processor'] / 1000:8.1f} k"
        f"  (+{(counts['processor'] - bare) / bare:.2f}x)  <- span path, target <= 0.50x"
    )
    print(
        f"  drain at collection                {(with_drain - counts['processor']) / 1000:8.1f} k"
        f"  ({(with_drain - counts['processor']) / bare:.2f}x, off the span path)"
    )


def report_times(spans: int, rounds: int) -> None:
    runs = {variant: Run(variant) for variant in VARIANTS}
    for run in runs.values():
        run.spans(1000)  # warm caches and lazy imports
        run.collect()
    times: dict[str, list[float]] = {variant: [] for variant in runs}
    drains: list[float] = []
    for _ in range(rounds):  # interleaved so drift hits all alike
        for variant, run in runs.items():
            times[variant].append(timed(lambda run=run: run.spans(spans)) / spans * 1e6)
        drains.append(timed(runs["processor"].collect) / spans * 1e6)
    bare, attributes, processor = (statistics.median(times[variant]) for variant in runs)
    drain = statistics.median(drains)
    print(f"time per span (median of {rounds} interleaved rounds of {spans} spans)")
    print(f"  bare SDK span                      {bare:8.2f} us")
    print(f"  + carbon processor, no-op metrics  {attributes:8.2f} us  (+{(attributes - bare) / bare:.2f}x)")
    print(
        f"  + carbon processor, SDK metrics    {processor:8.2f} us  (+{(processor - bare) / bare:.2f}x)"
        "  <- span path, target <= 0.50x"
    )
    print(f"  drain at collection                {drain:8.2f} us  ({drain / bare:.2f}x, off the span path)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=5000, help="spans per timed round (below the drain threshold)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n1", type=int, default=500)
    parser.add_argument("--n2", type=int, default=2500)
    parser.add_argument("--no-callgrind", action="store_true", help="times only")
    parser.add_argument("--span-attributes", choices=("minimal", "full"), help="OTEL_CARBON_SPAN_ATTRIBUTES")
    parser.add_argument("--count", nargs=2, metavar=("VARIANT", "SPANS"), help=argparse.SUPPRESS)
    parser.add_argument("--collect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.span_attributes:
        SETTINGS["OTEL_CARBON_SPAN_ATTRIBUTES"] = args.span_attributes
    if args.count:
        count_only(args.count[0], int(args.count[1]), args.collect)
        return
    if not args.no_callgrind:
        if shutil.which("valgrind") is None:
            print("valgrind not found: instruction counts skipped (install valgrind, or pass --no-callgrind)")
        else:
            report_instructions(args.n1, args.n2)
    report_times(args.spans, args.rounds)


if __name__ == "__main__":
    main()
