"""The carbon enrichment inside the real Rotel collector (PyPI ``rotel``), and its adapter in plain Python."""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher
from otel_carbon.processor.rotel import RotelCarbonProcessor, pythonpath, trace_processor_path

from ..support.otlp_receiver import ExportedSpan, OtlpReceiver

RESOURCE = {"service.name": "rotel-carbon-test", "cloud.provider": "aws", "cloud.region": "eu-west-1"}
CHAT = {
    sc.GEN_AI_OPERATION_NAME: sc.OPERATION_CHAT,
    sc.GEN_AI_PROVIDER_NAME: sc.PROVIDER_OPENAI,
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 1200,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 350,
}
SPANS: dict[str, Mapping[str, Any]] = {
    "chat": CHAT,
    "unknown-model": {**CHAT, sc.GEN_AI_REQUEST_MODEL: "in-house-llm-7b"},
    "bad-usage": {**CHAT, sc.GEN_AI_USAGE_OUTPUT_TOKENS: -1},
    "plain": {"http.request.method": "GET", "url.path": "/health", "retries": 2, "ok": True, "ratio": 0.5},
    "already-enriched": {**CHAT, sc.ENERGY_WH: 0.25},
    "with-array": {"http.request.method": "GET", "tags": ("first", "second", "third")},
}


def _typed(attributes: Mapping[str, Any]) -> dict[str, tuple[type, Any]]:
    # True == 1 and 1 == 1.0 in Python: compare the types the OTLP values arrived with too.
    return {key: (type(value), value) for key, value in attributes.items()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rotel_agent() -> Path:
    spec = importlib.util.find_spec("rotel")
    if spec is None or spec.origin is None:
        pytest.skip("PyPI `rotel` is not installed (the `rotel` extra: cp311 manylinux_2_34 wheels only)")
    agent = Path(spec.origin).with_name("rotel-agent")
    try:
        version = subprocess.run([agent, "--version"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        pytest.skip(f"{agent} cannot run here: {error}")
    if version.returncode != 0:
        pytest.skip(f"{agent} cannot run here (it links libpython3.11): {version.stderr.strip()}")
    return agent


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rotel-agent exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"rotel-agent did not listen on 127.0.0.1:{port} within {timeout}s:\n{log.read_text()}")


@dataclass
class RotelRun:
    received: dict[str, ExportedSpan]
    log: str


@pytest.fixture(scope="module")
def rotel_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RotelRun]:
    """One rotel-agent with the carbon trace processor between the real OTLP exporter and a loopback receiver."""
    agent = _rotel_agent()
    workdir = tmp_path_factory.mktemp("rotel")
    log = workdir / "rotel.log"
    grpc_port, http_port = _free_port(), _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "ROTEL_"))}
    env["PYTHONPATH"] = pythonpath()
    receiver = OtlpReceiver()
    receiver.start()
    process: subprocess.Popen[bytes] | None = None
    provider: TracerProvider | None = None
    try:
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    agent,
                    "start",
                    "--otlp-grpc-endpoint",
                    f"127.0.0.1:{grpc_port}",
                    "--otlp-http-endpoint",
                    f"127.0.0.1:{http_port}",
                    "--exporter",
                    "otlp",
                    "--otlp-exporter-endpoint",
                    f"http://{receiver.endpoint}",
                    "--otlp-with-trace-processor",
                    str(trace_processor_path()),
                    "--pid-file",
                    str(workdir / "rotel.pid"),
                    "--log-file",
                    str(workdir / "rotel-daemon.log"),
                ],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(grpc_port, process, log)
        provider = TracerProvider(resource=Resource.create(RESOURCE))
        provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True))
        )
        tracer = provider.get_tracer("otel-carbon-rotel-test")
        for name, attributes in SPANS.items():
            tracer.start_span(name, attributes=attributes).end()
        spans = receiver.wait_for_spans(len(SPANS), timeout=30.0)
        yield RotelRun({span.name: span for span in spans}, log.read_text())
    finally:
        if provider is not None:
            provider.shutdown()
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        receiver.stop()


@pytest.mark.parametrize("name", ["chat", "unknown-model", "bad-usage"])
def test_a_genai_span_arrives_with_exactly_the_enrichers_attributes(rotel_run: RotelRun, name: str) -> None:
    assert name in rotel_run.received, rotel_run.log
    span = rotel_run.received[name]
    sent = SPANS[name]
    expected = CarbonEnricher(CarbonConfig.from_env({})).enrich(sent, span.resource)
    assert expected is not None
    added = {key: value for key, value in span.attributes.items() if key not in sent}
    assert _typed(added) == _typed(expected.attributes)
    assert _typed({key: span.attributes[key] for key in sent}) == _typed(sent)


def test_the_chat_span_carries_energy_and_emissions(rotel_run: RotelRun) -> None:
    attributes = rotel_run.received["chat"].attributes
    assert attributes[sc.ENERGY_WH] > 0
    assert attributes[sc.EMISSIONS_GCO2E] > 0
    assert attributes[sc.ENERGY_WH_LOW] <= attributes[sc.ENERGY_WH] <= attributes[sc.ENERGY_WH_HIGH]


def test_the_processor_logged_no_failure(rotel_run: RotelRun) -> None:
    assert "otel-carbon:" not in rotel_run.log  # its one warning goes to rotel's stderr


@pytest.mark.parametrize("name", ["plain", "already-enriched"])
def test_other_spans_pass_through_untouched(rotel_run: RotelRun, name: str) -> None:
    assert name in rotel_run.received, rotel_run.log
    assert _typed(rotel_run.received[name].attributes) == _typed(SPANS[name])


@pytest.mark.xfail(
    strict=True,
    reason="rotel 0.0.1-alpha10 reverses array values of any span whose attributes a Python processor reads; "
    "when this passes, drop the note in collector-config/README.md (Rotel)",
)
def test_array_attributes_keep_their_order(rotel_run: RotelRun) -> None:
    assert rotel_run.received["with-array"].attributes == SPANS["with-array"]


# --- the adapter in plain Python, with stand-ins for rotel_sdk's classes -----------------------------


@dataclass
class FakeAnyValue:
    value: Any


@dataclass
class FakeKeyValue:
    key: str
    value: FakeAnyValue | None


@dataclass
class FakeSpan:
    attributes: list[FakeKeyValue]


@dataclass
class FakeScopeSpans:
    spans: list[FakeSpan]


@dataclass
class FakeResource:
    attributes: list[FakeKeyValue] = field(default_factory=list)


@dataclass
class FakeResourceSpans:
    scope_spans: list[FakeScopeSpans]
    resource: FakeResource | None = None


def _key_values(attributes: Mapping[str, Any]) -> list[FakeKeyValue]:
    return [FakeKeyValue(key, FakeAnyValue(value)) for key, value in attributes.items()]


def _make_key_value(key: str, value: Any) -> FakeKeyValue:
    return FakeKeyValue(key, FakeAnyValue(value))


def _as_dict(span: FakeSpan) -> dict[str, Any]:
    return {kv.key: kv.value.value for kv in span.attributes if kv.value is not None}


def test_the_adapter_reads_scalars_and_passes_the_resource() -> None:
    enricher = CarbonEnricher(CarbonConfig.from_env({}))
    span = FakeSpan([*_key_values(CHAT), FakeKeyValue("empty", None), _make_key_value("list", object())])
    resource = FakeResource(_key_values(RESOURCE))
    RotelCarbonProcessor(enricher, _make_key_value).process_spans(FakeResourceSpans([FakeScopeSpans([span])], resource))
    expected = CarbonEnricher(CarbonConfig.from_env({})).enrich(CHAT, RESOURCE)
    assert expected is not None
    added = {key: value for key, value in _as_dict(span).items() if key not in CHAT and key != "list"}
    assert added == dict(expected.attributes)


def test_a_failure_leaves_the_span_untouched_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    def broken_key_value(key: str, value: Any) -> FakeKeyValue:
        if key == sc.EMISSIONS_GCO2E:
            raise TypeError("unsupported value")
        return _make_key_value(key, value)

    processor = RotelCarbonProcessor(CarbonEnricher(CarbonConfig.from_env({})), broken_key_value)
    spans = [FakeSpan(_key_values(CHAT)), FakeSpan(_key_values(CHAT))]
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        processor.process_spans(FakeResourceSpans([FakeScopeSpans(spans)]))
        processor.process_spans(object())  # not a ResourceSpans at all
    assert [_as_dict(span) for span in spans] == [dict(CHAT), dict(CHAT)]
    assert len(caplog.records) == 1
    assert "spans pass through unchanged" in caplog.records[0].getMessage()
