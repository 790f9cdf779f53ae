"""The installed ``otel-carbon serve`` console script, end to end: the command the collector-tier docs open with."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_carbon import semconv as sc

from ..support.otlp_receiver import OtlpReceiver
from .helpers import CHAT

CONSOLE_SCRIPT = Path(sys.executable).parent / "otel-carbon"


def _read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


def _wait_for(pattern: str, lines: queue.Queue[str], seen: list[str]) -> re.Match[str]:
    while not (match := re.search(pattern, "".join(seen))):
        seen.append(lines.get(timeout=30))
    return match


def test_otel_carbon_serve_enriches_an_exported_genai_span_and_exits_zero_on_sigterm(next_hop: OtlpReceiver) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_CARBON_")}
    process = subprocess.Popen(
        [
            str(CONSOLE_SCRIPT),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--next-hop",
            next_hop.endpoint,
            "--next-hop-insecure",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
    seen: list[str] = []
    try:
        address = _wait_for(r"listening on (127\.0\.0\.1:\d+)", lines, seen).group(1)
        provider = TracerProvider(resource=Resource.create({sc.SERVICE_NAME: "console-script-test"}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=address, insecure=True, timeout=10)))
        with provider.get_tracer("tests.service").start_as_current_span("chat gpt-4o", attributes=CHAT):
            pass
        provider.shutdown()

        (span,) = next_hop.wait_for_spans(1)
        assert span.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 500
        assert isinstance(span.attributes[sc.ENERGY_WH], float) and span.attributes[sc.ENERGY_WH] > 0
        assert isinstance(span.attributes[sc.EMISSIONS_GCO2E], float)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        _wait_for("stopped", lines, seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
