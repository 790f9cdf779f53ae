"""`otel-carbon serve` speed and memory, measured from outside as deployed.

throughput   the service in its own process(es) (``--processes N`` shares one port with --reuse-port),
             a load generator in its own process (N client threads sending pre-serialized requests of
             --batch spans), a next hop in this process that answers at once. GenAI spans and spans
             without usage (the pass-through), and the same load sent straight to the next hop.
instructions callgrind, per span of a --batch-span request through the service's request path (shallow
             parse, enrich, metric records, serialize): (Ir(hi requests) - Ir(lo requests)) / spans,
             so interpreter start-up and warm-up cancel out.
memory       --memory SPANS: GenAI spans with a fresh conversation id each through one service process;
             its RSS after warm-up and every tenth of the way.

    python benchmarks/bench_service.py [--seconds 5] [--clients 4] [--batch 512] [--processes 1]
    python benchmarks/bench_service.py --instructions
    python benchmarks/bench_service.py --memory 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

sys.path.insert(0, os.path.dirname(__file__))
from bench_processor import END_ATTRIBUTES, START_ATTRIBUTES  # noqa: E402

TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
GENAI_ATTRIBUTES = {**START_ATTRIBUTES, **END_ATTRIBUTES}
PLAIN_ATTRIBUTES = {
    "http.request.method": "POST",
    "url.full": "https://shop.example/api/cart",
    "http.response.status_code": 200,
    "server.address": "shop.example",
    "user_agent.original": "python-requests/2.32",
}
REQUEST_MARK = b"REQ00000"
"""Stands in each conversation id of a --memory request; replaced by the request number."""
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _value(value: object) -> AnyValue:
    if isinstance(value, str):
        return AnyValue(string_value=value)
    return AnyValue(int_value=value) if isinstance(value, int) else AnyValue(double_value=value)


def request_bytes(batch: int, attributes: dict[str, object], conversations: bool = False) -> bytes:
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
        if conversations:
            conversation = f"conv-{REQUEST_MARK.decode()}-{index:05d}"
            span.attributes.add(key="gen_ai.conversation.id").value.string_value = conversation
        scope_spans.spans.append(span)
    return request.SerializeToString()


# --- processes ---------------------------------------------------------------------------------


class NextHop:
    """Answers every Export at once, without decoding."""

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


def start_services(next_hop: str, processes: int) -> tuple[list[subprocess.Popen[str]], str]:
    """``processes`` services on one port (with --reuse-port when more than one)."""
    port = 0
    started: list[subprocess.Popen[str]] = []
    console = shutil.which("otel-carbon", path=os.path.dirname(sys.executable))
    command = [console, "serve"] if console else [sys.executable, "-m", "otel_carbon.processor.service"]
    for _ in range(processes):
        if processes > 1 and not port:
            port = _free_port()
        argv = [*command, "--listen", f"127.0.0.1:{port}", "--next-hop", next_hop, "--next-hop-insecure"]
        argv += ["--metrics-interval", "10"] + (["--reuse-port"] if processes > 1 else [])
        process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        started.append(process)
        address = _listening(process)
        port = int(address.rpartition(":")[2])
    return started, f"127.0.0.1:{port}"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"listening on (\S+)", process.stderr.readline())
        if match:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
            return match.group(1)
    process.kill()
    raise RuntimeError("the service did not start")


def stop_services(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


# --- load generator (its own process) ------------------------------------------------------------


def generate(address: str, kind: str, batch: int, clients: int, seconds: float, spans_limit: int) -> dict[str, float]:
    """Send for ``seconds`` (or until ``spans_limit`` spans); spans sent per second, as JSON on stdout."""
    attributes = GENAI_ATTRIBUTES if kind != "plain" else PLAIN_ATTRIBUTES
    template = request_bytes(batch, attributes, conversations=kind == "conversations")
    sent = [0] * clients
    requests = iter(range(1, 1 << 62))
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1)]) as channel:
            export = channel.unary_unary(TRACE_EXPORT)
            export(template, timeout=30)  # connect before the clock matters
            while time.monotonic() < stop and sum(sent) < spans_limit:
                payload = template
                if kind == "conversations":
                    with lock:
                        number = next(requests)
                    payload = template.replace(REQUEST_MARK, f"{number:08d}"[-8:].encode())
                try:
                    export(payload, timeout=30)
                except grpc.RpcError:  # counted as not sent; an overloaded machine must not end the run
                    continue
                sent[index] += batch

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"spans": sum(sent), "seconds": elapsed, "spans_per_second": sum(sent) / elapsed}


def run_generator(
    address: str, kind: str, args: argparse.Namespace, spans_limit: int = 1 << 62
) -> subprocess.Popen[str]:
    argv = [sys.executable, __file__, "--generate", address, "--kind", kind, "--batch", str(args.batch)]
    argv += ["--clients", str(args.clients), "--seconds", str(args.seconds), "--spans-limit", str(spans_limit)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def generated(process: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = process.communicate(timeout=7200)
    return json.loads(out.strip().splitlines()[-1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measured(address: str, kind: str, args: argparse.Namespace, pids: list[int]) -> tuple[float, float]:
    """Spans/s, and the service's CPU microseconds per span (what a core's worth of it would do: 1e6 / that)."""
    before = cpu_seconds(pids)
    result = generated(run_generator(address, kind, args))
    return result["spans_per_second"], (cpu_seconds(pids) - before) / result["spans"] * 1e6


def throughput(args: argparse.Namespace) -> None:
    with NextHop() as next_hop:
        direct = generated(run_generator(next_hop.endpoint, "genai", args))["spans_per_second"]
        services, address = start_services(next_hop.endpoint, args.processes)
        pids = [process.pid for process in services]
        try:
            genai, genai_cpu = measured(address, "genai", args, pids)
            plain, plain_cpu = measured(address, "plain", args, pids)
        finally:
            stop_services(services)
    print(
        f"throughput on loopback ({args.processes} service process(es), load generator in its own process, "
        f"{args.clients} clients, {args.batch}-span requests, {args.seconds:g} s each, {os.cpu_count()} CPUs)"
    )
    print(f"  straight to the next hop (no service)     {direct:10,.0f} spans/s")
    print(f"  through the service, every span GenAI     {genai:10,.0f} spans/s   service CPU {genai_cpu:6.1f} us/span")
    print(f"  through the service, no span GenAI        {plain:10,.0f} spans/s   service CPU {plain_cpu:6.1f} us/span")
    print(f"  load average {os.getloadavg()[0]:.1f} (wall-time figures are only as good as the machine is idle)")


# --- instructions --------------------------------------------------------------------------------


def enrich_requests(kind: str, batch: int, requests: int) -> None:
    """The service's request path, ``requests`` times, after two warm-up requests."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from otel_carbon.processor import CarbonConfig
    from otel_carbon.processor.service import ServeConfig
    from otel_carbon.processor.service.server import CarbonService

    payload = request_bytes(batch, GENAI_ATTRIBUTES if kind == "genai" else PLAIN_ATTRIBUTES)
    reader = InMemoryMetricReader()
    service = CarbonService(
        ServeConfig(next_hop="127.0.0.1:9", next_hop_insecure=True),
        CarbonConfig.from_env({}),
        MeterProvider(metric_readers=[reader]),
    )
    for _ in range(2 + requests):
        service._enrich(payload)
    reader.collect(timeout_millis=10**9)  # a collection, so deferred metric work is counted too (slow under valgrind)


def instructions_per_span(kind: str, batch: int, low: int, high: int) -> float:
    def collected(requests: int) -> int:
        with tempfile.TemporaryDirectory() as directory:
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={Path(directory) / 'out'}"]
            argv += [sys.executable, __file__, "--enrich", kind, "--batch", str(batch), "--requests", str(requests)]
            result = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=True)
        match = _COLLECTED.search(result.stderr)
        assert match, result.stderr[-2000:]
        return int(match.group(1))

    return (collected(high) - collected(low)) / ((high - low) * batch)


# --- memory --------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def memory(args: argparse.Namespace, total: int) -> None:
    warm_up = max(args.batch * 200, total // 20)
    with NextHop() as next_hop:
        services, address = start_services(next_hop.endpoint, 1)
        pid = services[0].pid
        try:
            started = time.monotonic()
            args.seconds = 1e9
            generated(run_generator(address, "conversations", args, warm_up))
            samples = [(warm_up, rss_kib(pid))]
            step = (total - warm_up) // 10
            for tenth in range(1, 11):
                generated(run_generator(address, "conversations", args, step))
                samples.append((warm_up + tenth * step, rss_kib(pid)))
                print(f"  {samples[-1][0]:>12,} spans  RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True)
            elapsed = time.monotonic() - started
        finally:
            stop_services(services)
    first, last = samples[0][1], samples[-1][1]
    print(
        f"memory: {samples[-1][0]:,} GenAI spans ({args.batch}-span requests, a fresh conversation id per span) "
        f"in {elapsed:.0f} s; RSS after warm-up ({warm_up:,} spans) {first / 1024:.1f} MiB, at the end "
        f"{last / 1024:.1f} MiB ({(last - first) / 1024:+.1f} MiB), peak {max(s for _, s in samples) / 1024:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--instructions", action="store_true", help="callgrind instructions per span")
    parser.add_argument("--memory", type=int, metavar="SPANS", help="RSS over SPANS GenAI spans")
    parser.add_argument("--generate", metavar="ADDRESS", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="genai", help=argparse.SUPPRESS)
    parser.add_argument("--spans-limit", type=int, default=1 << 62, help=argparse.SUPPRESS)
    parser.add_argument("--enrich", metavar="KIND", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.generate:
        print(json.dumps(generate(args.generate, args.kind, args.batch, args.clients, args.seconds, args.spans_limit)))
    elif args.enrich:
        enrich_requests(args.enrich, args.batch, args.requests)
    elif args.instructions:
        print(f"instructions per span of a {args.batch}-span request (callgrind, 1 vs 3 requests)")
        for kind in ("genai", "plain"):
            print(f"  {kind:6}  {instructions_per_span(kind, args.batch, 1, 3):10,.0f}", flush=True)
    elif args.memory:
        memory(args, args.memory)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
