"""An OTLP/gRPC receiver on loopback that accepts every Export and answers without decoding it.

A benchmark sink must cost the measured application nothing: this one registers the three OTLP
collector services (traces, metrics, logs) with identity (bytes) deserializers, counts requests and
bytes, and answers each Export with an empty message (``b""`` is a valid empty protobuf response).

    python benchmarks/null_otlp_sink.py          # prints "null OTLP sink listening at 127.0.0.1:PORT"

It runs until SIGTERM or SIGINT, then prints what it received on stderr.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent import futures

import grpc

EXPORT_SERVICES = (
    "opentelemetry.proto.collector.trace.v1.TraceService",
    "opentelemetry.proto.collector.metrics.v1.MetricsService",
    "opentelemetry.proto.collector.logs.v1.LogsService",
)


class ReceivedCounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.payload_bytes = 0

    def handler_for(self, service: str) -> grpc.RpcMethodHandler:
        def export(request: bytes, context: grpc.ServicerContext) -> bytes:
            with self._lock:
                self.requests[service] = self.requests.get(service, 0) + 1
                self.payload_bytes += len(request)
            return b""

        return grpc.unary_unary_rpc_method_handler(export)


def start_sink(port: int = 0) -> tuple[grpc.Server, int, ReceivedCounts]:
    counts = ReceivedCounts()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    for service in EXPORT_SERVICES:
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {"Export": counts.handler_for(service)}),)
        )
    bound_port = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server, bound_port, counts


def main() -> None:
    server, port, counts = start_sink()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"null OTLP sink listening at 127.0.0.1:{port}", flush=True)
    stop.wait()
    server.stop(grace=1).wait()
    short_names = {service: service.rsplit(".", 1)[1] for service in EXPORT_SERVICES}
    received = ", ".join(f"{short_names[service]} {count}" for service, count in sorted(counts.requests.items()))
    print(f"null OTLP sink received {received or 'nothing'}; {counts.payload_bytes} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
