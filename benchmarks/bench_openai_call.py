"""An instrumented openai chat call beside the same call uninstrumented, in one run.

The OpenAI stand-in runs in its own process on 127.0.0.1 (answers in well under 2 ms). The
instrumented rounds run the whole otel-carbon stack: the OpenAI instrumentation, the carbon
processor with its two histograms in an SDK MeterProvider, and a BatchSpanProcessor exporting
to a no-op exporter. Rounds alternate (uninstrument / instrument) so drift hits both alike.
Target: instrumented <= 1.08x uninstrumented.

    python benchmarks/bench_openai_call.py [--calls 200] [--rounds 15] [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import openai
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from otel_carbon.processor import CarbonConfig, attach_processor

ROOT = Path(__file__).resolve().parents[1]

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Book a table for two at eight."}]


class NoOpExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def start_standin() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.standin.server"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, line.split(" at ")[1].split(" ")[0]


def per_call_milliseconds(client: openai.OpenAI, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    return (time.perf_counter() - started) / calls * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--verbose", action="store_true", help="print every round")
    args = parser.parse_args()
    process, base_url = start_standin()
    try:
        spans_only = TracerProvider()
        spans_only.add_span_processor(BatchSpanProcessor(NoOpExporter()))
        with_carbon = TracerProvider()
        with_carbon.add_span_processor(BatchSpanProcessor(NoOpExporter()))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        attach_processor(with_carbon, meter_provider, CarbonConfig.from_env({}))
        instrumentor = OpenAIInstrumentor()
        client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
        per_call_milliseconds(client, 50)  # warm the connection pool and lazy imports
        times: dict[str, list[float]] = {"plain": [], "spans": [], "carbon": []}
        for _ in range(args.rounds):
            times["plain"].append(per_call_milliseconds(client, args.calls))
            for variant, provider in (("spans", spans_only), ("carbon", with_carbon)):
                instrumentor.instrument(tracer_provider=provider)
                times[variant].append(per_call_milliseconds(client, args.calls))
                instrumentor.uninstrument()
        plain_ms, spans_ms, carbon_ms = (statistics.median(times[variant]) for variant in times)
        if args.verbose:
            for variant, values in times.items():
                print(variant, " ".join(f"{value:.3f}" for value in values))
        print(f"uninstrumented chat call              {plain_ms:7.3f} ms")
        print(f"instrumented, spans only              {spans_ms:7.3f} ms  ({spans_ms / plain_ms:.3f}x)")
        print(
            f"instrumented + carbon processor       {carbon_ms:7.3f} ms  ({carbon_ms / plain_ms:.3f}x, target <= 1.08x)"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
