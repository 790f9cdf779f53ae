"""The application measured by bench_user_path.py: an openai client making chat calls in a loop.

It knows nothing about OpenTelemetry; run it plain or under ``opentelemetry-instrument``. After a
warm-up it runs ``gc.collect()``, then times ``--calls`` calls and a final flush of whatever
telemetry pipeline the launcher installed (so spans still queued in the batch processor are paid for
inside the window, as a long-running app pays for them), and prints one JSON line with the figures.

With ``--callgrind`` (the process runs under ``valgrind --tool=callgrind --instr-atstart=no``) it
switches instruction collection on just before the timed loop and off after the flush.

    python benchmarks/user_path_app.py --base-url http://127.0.0.1:PORT/v1 [--stream] [--calls 300]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time

import openai

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Book a table for two at eight."}]
MODEL = "gpt-4o-mini"


def chat_call(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]


def streamed_chat_call(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    for _chunk in stream:
        pass


def flush_telemetry() -> None:
    """Export what the launcher's providers still hold; nothing to do when the app runs plain."""
    trace, metrics = sys.modules.get("opentelemetry.trace"), sys.modules.get("opentelemetry.metrics")
    if trace is None or metrics is None:  # plain run: OpenTelemetry was never imported
        return
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            force_flush()


def set_callgrind_collection(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "--instr=on" if on else "--instr=off", str(os.getpid())],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key="bench", max_retries=0)
    call = streamed_chat_call if args.stream else chat_call
    for _ in range(args.warmup):
        call(client)
    flush_telemetry()
    gc.collect()
    if args.callgrind:
        set_callgrind_collection(True)
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    for _ in range(args.calls):
        call(client)
    flush_telemetry()
    wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
    if args.callgrind:
        set_callgrind_collection(False)
    print(
        json.dumps(
            {
                "openai": openai.__version__,
                "calls": args.calls,
                "wall_us": wall / args.calls * 1e6,
                "cpu_us": cpu / args.calls * 1e6,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
