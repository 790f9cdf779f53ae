"""``--reuse-port``: several ``otel-carbon serve`` processes share one port, and the kernel spreads connections."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading

from otel_carbon import semconv as sc

from ..support.otlp_receiver import OtlpReceiver
from .helpers import CHAT, make_request, make_span, raw_call
from .test_console_script import CONSOLE_SCRIPT, _read_lines, _wait_for

PAYLOAD = make_request(make_span(CHAT)).SerializeToString()
CONNECTIONS = 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(port: int, next_hop: str, *extra: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_CARBON_")}
    argv = [
        str(CONSOLE_SCRIPT),
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--next-hop",
        next_hop,
        "--next-hop-insecure",
    ]
    process = subprocess.Popen([*argv, *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
    return process, lines


def test_two_processes_with_reuse_port_serve_one_port_and_both_take_connections(next_hop: OtlpReceiver) -> None:
    port = _free_port()
    processes = [_serve(port, next_hop.endpoint, "--reuse-port") for _ in range(2)]
    try:
        for _, lines in processes:
            _wait_for(rf"listening on 127\.0\.0\.1:{port}\b", lines, [])
        for _ in range(CONNECTIONS):  # raw_call opens a new channel, so a new connection, each time
            assert raw_call(f"127.0.0.1:{port}", PAYLOAD)[0].name == "OK"
        for process, _ in processes:
            process.send_signal(signal.SIGTERM)
        assert [process.wait(timeout=20) for process, _ in processes] == [0, 0]
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
    assert len(next_hop.wait_for_spans(CONNECTIONS)) == CONNECTIONS
    # Each process flushes its metrics on the way out, under its own service.instance.id.
    instances = {
        (point.resource[sc.SERVICE_INSTANCE_ID], point.count)
        for point in next_hop.metric_points()
        if point.name == sc.METRIC_ENERGY
    }
    assert len(instances) == 2 and sum(count for _, count in instances) == CONNECTIONS, instances


def test_without_reuse_port_a_second_process_on_the_port_exits_1(next_hop: OtlpReceiver) -> None:
    port = _free_port()
    first, lines = _serve(port, next_hop.endpoint)
    try:
        _wait_for(rf"listening on 127\.0\.0\.1:{port}\b", lines, [])
        second, _ = _serve(port, next_hop.endpoint)
        assert second.wait(timeout=30) == 1
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=20)
