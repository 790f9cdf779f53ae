"""`otel-carbon serve` speed: spans/s through the service on loopback, and the per-span cost of
enrichment in the service beside the in-process processor's, in one run.

per-span cost (one process, interleaved rounds, medians):
  in-process   the SDK carbon processor's cost per GenAI span (span with processor + SDK metrics
               minus a bare span), as in bench_processor.py.
  service      what the service spends per span of a 512-span request: shallow parse, enrich,
               two histogram records, serialize; for a request of GenAI spans and for one with none
               (the usual pass-through, which is a parse and a substring search).
throughput (the service in its own process, as deployed; client and next hop in this one):
  N client threads send pre-serialized 512-span requests through the service to a next hop that
  answers at once; beside it the same traffic sent straight to the next hop.

    python benchmarks/bench_service.py [--seconds 3] [--clients 4] [--batch 512]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_carbon.processor import CarbonConfig
from otel_carbon.processor.service import ServeConfig
from otel_carbon.processor.service.server import CarbonService

sys.path.insert(0, os.path.dirname(__file__))
from bench_processor import END_ATTRIBUTES, START_ATTRIBUTES, make_run  # noqa: E402

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
GENAI_ATTRIBUTES = {**START_ATTRIBUTES, **END_ATTRIBUTES}
PLAIN_ATTRIBUTES = {
    "http.request.method": "POST",
    "url.full": "https://shop.example/api/cart",
    "http.response.status_code": 200,
    "server.address": "shop.example",
    "user_agent.original": "python-requests/2.32",
}


def _value(value: object) -> AnyValue:
    if isinstance(value, str):
        return AnyValue(string_value=value)
    return AnyValue(int_value=value) if isinstance(value, int) else AnyValue(double_value=value)


def request_bytes(batch: int, attributes: dict[str, object]) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "bench"
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "bench"
    for index in range(batch):
        span = Span(
            trace_id=(index + 1).to_bytes(16, "big"),
            span_id=(index + 1).to_bytes(8, "big"),
            name="chat gpt-4o-mini",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=1_700_000_000_000_000_000,
            end_time_unix_nano=1_700_000_001_000_000_000,
        )
        span.attributes.extend(KeyValue(key=key, value=_value(value)) for key, value in attributes.items())
        scope_spans.spans.append(span)
    return request.SerializeToString()


# --- per-span cost -----------------------------------------------------------------------------


def in_process_run(with_processor: bool) -> Callable[[int], None]:
    return make_run("processor" if with_processor else "bare")


def service_run(payload: bytes, batch: int) -> Callable[[int], None]:
    config = ServeConfig(next_hop="127.0.0.1:9", next_hop_insecure=True)
    service = CarbonService(config, CarbonConfig.from_env({}), MeterProvider(metric_readers=[InMemoryMetricReader()]))

    def run(spans: int) -> None:
        for _ in range(max(1, spans // batch)):
            service._enrich(payload)  # what a trace request costs before it is forwarded

    return run


def per_span_microseconds(run: Callable[[int], None], spans: int) -> float:
    gc.collect()
    started = time.perf_counter()
    run(spans)
    return (time.perf_counter() - started) / spans * 1e6


def per_span_costs(batch: int, spans: int, rounds: int) -> dict[str, float]:
    runs = {
        "bare": in_process_run(False),
        "in-process": in_process_run(True),
        "service-genai": service_run(request_bytes(batch, GENAI_ATTRIBUTES), batch),
        "service-plain": service_run(request_bytes(batch, PLAIN_ATTRIBUTES), batch),
    }
    for run in runs.values():
        run(2 * batch)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            times[name].append(per_span_microseconds(run, spans))
    return {name: statistics.median(values) for name, values in times.items()}


# --- throughput --------------------------------------------------------------------------------


class NextHop:
    """Answers every Export at once."""

    def __enter__(self) -> NextHop:
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.max_receive_message_length", -1)]
        )
        handlers = [
            grpc.method_handlers_generic_handler(
                f"opentelemetry.proto.collector.{signal}.v1.{name}Service",
                {"Export": grpc.unary_unary_rpc_method_handler(lambda payload, context: b"")},
            )
            for signal, name in (("trace", "Trace"), ("metrics", "Metrics"))
        ]
        self.server.add_generic_rpc_handlers(handlers)
        self.endpoint = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop(grace=None).wait()


def start_service(next_hop: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_carbon.processor.service", "--listen", "127.0.0.1:0"]
        + ["--next-hop", next_hop, "--next-hop-insecure", "--metrics-interval", "10"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        match = re.search(r"listening on (\S+)", line)
        if match:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
            return process, match.group(1)
    process.kill()
    raise RuntimeError("the service did not start")


def spans_per_second(address: str, payload: bytes, batch: int, clients: int, seconds: float) -> float:
    sent = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1)]) as channel:
            export = channel.unary_unary(TRACE_EXPORT)
            export(payload, timeout=10)  # connect before the clock matters
            while time.monotonic() < stop:
                export(payload, timeout=10)
                sent[index] += batch

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sent) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--spans", type=int, default=20480)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    costs = per_span_costs(args.batch, args.spans, args.rounds)
    in_process = costs["in-process"] - costs["bare"]
    print(f"per-span cost ({args.batch}-span requests, medians of {args.rounds} rounds)")
    print(
        f"  in-process processor (processor - bare SDK span) {in_process:7.2f} us   (bare span {costs['bare']:.2f} us)"
    )
    print(f"  service, GenAI spans (parse+enrich+record+write)  {costs['service-genai']:7.2f} us")
    print(f"  service, spans without usage (pass-through)       {costs['service-plain']:7.2f} us")

    genai, plain = request_bytes(args.batch, GENAI_ATTRIBUTES), request_bytes(args.batch, PLAIN_ATTRIBUTES)
    with NextHop() as next_hop:
        direct = spans_per_second(next_hop.endpoint, genai, args.batch, args.clients, args.seconds)
        process, address = start_service(next_hop.endpoint)
        try:
            through_genai = spans_per_second(address, genai, args.batch, args.clients, args.seconds)
            through_plain = spans_per_second(address, plain, args.batch, args.clients, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"throughput on loopback ({args.clients} clients, {args.batch}-span requests, {os.cpu_count()} CPUs)")
    print(f"  straight to the next hop (no service)           {direct:10,.0f} spans/s")
    print(f"  through the service, every span GenAI           {through_genai:10,.0f} spans/s")
    print(f"  through the service, no span GenAI              {through_plain:10,.0f} spans/s")


if __name__ == "__main__":
    main()
