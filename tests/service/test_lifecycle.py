"""Health, graceful drain, the process entry point and its exit codes."""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from otel_carbon import semconv as sc
from otel_carbon.processor.service import add_serve_arguments, run_serve
from otel_carbon.processor.service.server import TRACE_SERVICE, BindError, CarbonService

from ..support.otlp_receiver import OtlpReceiver
from .conftest import StartService
from .helpers import CHAT, make_request, make_span, raw_call

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
PAYLOAD = make_request(make_span(CHAT)).SerializeToString()


def _check(address: str, service: str = "") -> int:
    with grpc.insecure_channel(address) as channel:
        return (
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=2).status
        )


def _in_background(address: str, results: list[tuple[grpc.StatusCode, str]]) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(raw_call(address, PAYLOAD, timeout=10)), daemon=True)
    thread.start()
    return thread


def test_health_is_serving_then_not_serving_while_in_flight_requests_drain(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    assert _check(service.address) == SERVING
    assert _check(service.address, TRACE_SERVICE) == SERVING

    channel = grpc.insecure_channel(service.address)
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert next(watch).status == SERVING

    next_hop.delay_next(1, 1.0)
    results: list[tuple[grpc.StatusCode, str]] = []
    sender = _in_background(service.address, results)
    assert next_hop.wait_for_export_calls(1, timeout=5) == 1  # the request is in flight at the next hop
    stopper = threading.Thread(target=service.stop, kwargs={"grace": 5.0}, daemon=True)
    stopper.start()
    assert next(watch).status == NOT_SERVING
    sender.join(timeout=10)
    assert results and results[0][0].name == "OK", results  # drained, not cut off
    assert len(next_hop.spans()) == 1
    watch.cancel()
    channel.close()
    stopper.join(timeout=10)
    assert not stopper.is_alive()
    with pytest.raises(grpc.RpcError):
        _check(service.address)


def _read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


ServeProcess = tuple[subprocess.Popen[str], queue.Queue[str], threading.Thread, str]


@pytest.fixture
def serve_process(next_hop: OtlpReceiver) -> Iterator[ServeProcess]:
    token = "subprocess-token-not-for-logs"
    env = {**os.environ, "OTEL_CARBON_SERVE_BEARER_TOKEN": token, "OTEL_CARBON_SERVE_NEXT_HOP": next_hop.endpoint}
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_carbon.processor.service", "--listen", "127.0.0.1:0", "--next-hop-insecure"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    try:
        yield process, lines, reader, token
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_the_process_drains_an_in_flight_request_on_sigterm_and_exits_zero(
    next_hop: OtlpReceiver, serve_process: ServeProcess
) -> None:
    process, lines, reader, token = serve_process
    seen: list[str] = []
    while not (match := re.search(r"listening on (127\.0\.0\.1:\d+)", "".join(seen))):
        seen.append(lines.get(timeout=20))
    address = match.group(1)

    next_hop.delay_next(1, 1.5)
    results: list[tuple[grpc.StatusCode, str]] = []
    thread = threading.Thread(
        target=lambda: results.append(
            raw_call(address, PAYLOAD, metadata=(("authorization", f"Bearer {token}"),), timeout=10)
        ),
        daemon=True,
    )
    thread.start()
    assert next_hop.wait_for_export_calls(1, timeout=10) == 1
    process.send_signal(signal.SIGTERM)
    thread.join(timeout=15)
    assert results and results[0][0].name == "OK", results
    assert process.wait(timeout=15) == 0
    reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get_nowait())
    output = "".join(seen)
    assert "stopped" in output
    assert token not in output
    assert len(next_hop.spans()) == 1
    # The final metric export happens on the way out.
    assert any(point.name == sc.METRIC_ENERGY for point in next_hop.metric_points())


@pytest.mark.parametrize(
    ("argv", "env", "named"),
    [
        ([], {}, "--next-hop"),
        (["--next-hop", "collector"], {}, "--next-hop='collector'"),
        (["--next-hop", "127.0.0.1:4317", "--forward-timeout", "-1"], {}, "--forward-timeout='-1'"),
        (
            ["--next-hop", "127.0.0.1:4317"],
            {"OTEL_CARBON_SERVE_MAX_MESSAGE_SIZE": "lots"},
            "OTEL_CARBON_SERVE_MAX_MESSAGE_SIZE='lots'",
        ),
        (
            ["--next-hop", "127.0.0.1:4317"],
            {"OTEL_CARBON_SERVE_LISTEN": "0.0.0.0"},
            "OTEL_CARBON_SERVE_LISTEN='0.0.0.0'",
        ),
        (["--next-hop", "127.0.0.1:4317", "--tls-cert-file", "/no/such.pem"], {}, "--tls-cert-file='/no/such.pem'"),
    ],
)
def test_a_bad_setting_is_one_clear_error_and_exit_code_2(
    argv: list[str],
    env: dict[str, str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in [name for name in os.environ if name.startswith("OTEL_CARBON_SERVE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    assert run_serve(parser.parse_args(argv)) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and named in error, error


def test_serve_plugs_into_a_subcommand_parser() -> None:
    parser = argparse.ArgumentParser(prog="otel-carbon")
    serve = parser.add_subparsers(dest="command").add_parser("serve")
    add_serve_arguments(serve)
    serve.set_defaults(handler=run_serve)
    args = parser.parse_args(["serve", "--next-hop", "127.0.0.1:4317", "--next-hop-insecure"])
    assert args.handler is run_serve and args.next_hop == "127.0.0.1:4317" and args.next_hop_insecure is True


def test_a_port_in_use_is_a_bind_error(next_hop: OtlpReceiver, start_service: StartService) -> None:
    first = start_service(next_hop.endpoint)
    second = CarbonService(replace(first.config, listen=first.address))
    try:
        with pytest.raises(BindError, match="cannot listen"):
            second.start()
    finally:
        second.stop(grace=0)
