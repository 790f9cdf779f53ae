"""What agent/conversation attribution adds to a span's start, with and without an enclosing agent.

Starts ``--spans`` GenAI client spans (operation name at start, as instrumentations do) under an SDK
TracerProvider with the carbon processor, with the processor's attribution on (``real``) or replaced
by a no-op (``noop``); the difference is the cost attribution adds per span. Scenarios:

none:        no enclosing agent, no helper, no baggage (what every span pays)
parent:      the chat span's parent is an invoke_agent span naming agent and conversation
grandparent: invoke_agent -> an HTTP span -> chat (the HTTP span's inherited values are remembered)
helper:      inside ``genai_context(agent=..., conversation_id=...)``

Instruction counts (run each mode under callgrind; startup is the same, so the difference / spans is
the per-span cost):

    for mode in real noop; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python benchmarks/bench_attribution.py --scenario parent --mode $mode --spans 5000 2>&1 | grep refs; done

Measured (opentelemetry-sdk 1.45.2, CPython 3.11, shared 2-core machine): a bare span start is about
115 k instructions (``--spans 0`` vs 5000 with ``noop``); attribution adds 3.5 k (none), 18.7 k
(parent), 22.2 k (grandparent), 17.6 k (helper) per span.

Time (both modes in one run, interleaved rounds; wall time spreads widely on a shared machine):

    python benchmarks/bench_attribution.py --timing
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from opentelemetry.sdk.trace import TracerProvider

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, attach_processor, genai_context

CHAT_START = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
}
AGENT = {sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: "booking", sc.GEN_AI_CONVERSATION_ID: "c-42"}
SCENARIOS = ("none", "parent", "grandparent", "helper")


class _NoAttribution:
    def on_start(self, span: object, parent_context: object) -> None:
        pass


def build(mode: str) -> TracerProvider:
    provider = TracerProvider()
    processor = attach_processor(provider, None, CarbonConfig.from_env({}))
    assert processor is not None
    if mode == "noop":
        processor._attribution = _NoAttribution()  # type: ignore[assignment]  # noqa: SLF001
    return provider


@contextmanager
def enclosing(provider: TracerProvider, scenario: str) -> Iterator[None]:
    tracer = provider.get_tracer("a.framework")
    surround: AbstractContextManager[object] = nullcontext()
    if scenario in ("parent", "grandparent"):
        surround = tracer.start_as_current_span("invoke_agent booking", attributes=AGENT)
    elif scenario == "helper":
        surround = genai_context(agent="booking", conversation_id="c-42")
    with surround:
        if scenario == "grandparent":
            with tracer.start_as_current_span("POST /tools", attributes={"http.request.method": "POST"}):
                yield
        else:
            yield


def start_spans(provider: TracerProvider, scenario: str, spans: int) -> Callable[[], None]:
    tracer = provider.get_tracer("third.party")

    def run() -> None:
        with enclosing(provider, scenario):
            for _ in range(spans):
                tracer.start_span("chat gpt-4o-mini", attributes=CHAT_START)  # never ended: only the start

    return run


def timing(spans: int, rounds: int) -> None:
    for scenario in SCENARIOS:
        runs = {mode: start_spans(build(mode), scenario, spans) for mode in ("real", "noop")}
        seconds: dict[str, list[float]] = {"real": [], "noop": []}
        for _ in range(rounds):
            for mode, run in runs.items():
                gc.collect()
                started = time.perf_counter()
                run()
                seconds[mode].append(time.perf_counter() - started)
        real, noop = (statistics.median(seconds[mode]) / spans * 1e6 for mode in ("real", "noop"))
        print(f"{scenario:12s} span start {noop:6.2f} us without attribution, +{real - noop:5.2f} us with it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=SCENARIOS, default="none")
    parser.add_argument("--mode", choices=("real", "noop"), default="real")
    parser.add_argument("--spans", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--timing", action="store_true")
    arguments = parser.parse_args()
    if arguments.timing:
        timing(arguments.spans, arguments.rounds)
        return
    start_spans(build(arguments.mode), arguments.scenario, arguments.spans)()


if __name__ == "__main__":
    main()
