"""Zero-code: a plain app run under ``opentelemetry-instrument`` exports carbon spans and metrics over OTLP/gRPC."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING
from tests.support.standin import StandinServer

from ..support.otlp_receiver import OtlpReceiver

APP = Path(__file__).with_name("app.py")
LAUNCHER = Path(sys.executable).with_name("opentelemetry-instrument")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "voice_agent.py"
SCOPE = "otel_carbon.instrumentation.openai"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinServer]:
    with StandinServer() as server:
        yield server


def run_app(receiver: OtlpReceiver, standin: StandinServer, **extra_env: str) -> subprocess.CompletedProcess[str]:
    receiver.clear()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "OPENAI_"))}
    env.update(
        STANDIN_BASE_URL=standin.base_url,
        OTEL_SERVICE_NAME="zero-code-app",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{receiver.endpoint}",
        OTEL_EXPORTER_OTLP_INSECURE="true",
        OTEL_METRIC_EXPORT_INTERVAL="3600000",
        **extra_env,
    )
    return subprocess.run(
        [str(LAUNCHER), sys.executable, str(APP)], env=env, capture_output=True, text=True, timeout=120, check=True
    )


def test_the_app_behaves_exactly_as_without_instrumentation(
    otlp_receiver: OtlpReceiver, standin: StandinServer
) -> None:
    plain = subprocess.run(
        [sys.executable, str(APP)],
        env={**os.environ, "STANDIN_BASE_URL": standin.base_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run_app(otlp_receiver, standin).stdout == plain.stdout


@pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")
def test_every_call_exports_a_span_with_carbon_attributes(otlp_receiver: OtlpReceiver, standin: StandinServer) -> None:
    run_app(otlp_receiver, standin)
    spans = {span.name: span for span in otlp_receiver.wait_for_spans(3) if span.scope_name == SCOPE}
    assert set(spans) == {"chat gpt-4o-mini", "text_to_speech tts-1", "speech_to_text whisper-1"}
    for span in spans.values():
        assert span.resource["service.name"] == "zero-code-app"
        assert type(span.attributes[sc.ENERGY_WH]) is float and span.attributes[sc.ENERGY_WH] > 0
        assert type(span.attributes[sc.EMISSIONS_GCO2E]) is float
        assert span.attributes[sc.METHODOLOGY_VERSION] == "3"
        # the stand-in listens on loopback: self-hosted, with no cloud.region resource -> the world average
        assert (span.attributes[sc.REGION], span.attributes[sc.REGION_SOURCE]) == ("WORLD", "default")
    assert spans["text_to_speech tts-1"].attributes[sc.TTS_CHARACTERS] == len("Hello there, general Kenobi.")
    assert spans["speech_to_text whisper-1"].attributes[sc.STT_AUDIO_SECONDS] == pytest.approx(3.0)


def test_every_call_records_one_energy_and_one_emissions_point(
    otlp_receiver: OtlpReceiver, standin: StandinServer
) -> None:
    run_app(otlp_receiver, standin)
    points = otlp_receiver.wait_for_metric_points(2)
    energy = {p.attributes[sc.COMPONENT]: p for p in points if p.name == sc.METRIC_ENERGY}
    emissions = {p.attributes[sc.COMPONENT]: p for p in points if p.name == sc.METRIC_EMISSIONS}
    assert set(energy) == set(emissions) == {"llm", "tts", "stt"}
    assert all(point.count == 1 and point.unit == "J" for point in energy.values())
    assert all(point.count == 1 and point.unit == "g" for point in emissions.values())
    assert energy["llm"].attributes == {
        sc.COMPONENT: "llm",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.MODEL: "gpt-4o-mini",
        sc.REGION: "WORLD",
        sc.USAGE_SOURCE: "reported",
    }


@pytest.mark.skipif(SDK_HAS_ON_ENDING, reason="only SDKs without the on-ending hook are metrics-only")
def test_an_sdk_without_on_ending_gets_metrics_and_one_warning(
    otlp_receiver: OtlpReceiver, standin: StandinServer
) -> None:
    result = run_app(otlp_receiver, standin)
    assert result.stderr.count("has no on-ending hook") == 1
    assert all(sc.ENERGY_WH not in span.attributes for span in otlp_receiver.wait_for_spans(3))


def test_sdk_disabled_exports_nothing(otlp_receiver: OtlpReceiver, standin: StandinServer) -> None:
    result = run_app(otlp_receiver, standin, OTEL_SDK_DISABLED="true")
    assert "reply:" in result.stdout
    assert otlp_receiver.spans() == [] and otlp_receiver.metric_points() == []


def test_a_bad_setting_is_one_line_on_stderr_and_the_default(
    otlp_receiver: OtlpReceiver, standin: StandinServer
) -> None:
    result = run_app(otlp_receiver, standin, OTEL_CARBON_PUE="lots")
    assert result.stderr.count("OTEL_CARBON_PUE='lots'") == 1
    assert "heard:" in result.stdout
    if SDK_HAS_ON_ENDING:
        chat = next(s for s in otlp_receiver.wait_for_spans(3) if s.name == "chat gpt-4o-mini")
        assert chat.attributes[sc.PUE] == 1.18


@pytest.mark.skipif(
    not SDK_HAS_ON_ENDING, reason="the demo prints span attributes, which need opentelemetry-sdk >= 1.40"
)
def test_the_readme_demo_prints_every_call_and_the_totals() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    result = subprocess.run(
        [
            str(LAUNCHER),
            "--traces_exporter",
            "none",
            "--metrics_exporter",
            "none",
            sys.executable,
            str(EXAMPLE),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.count("chat gpt-4o-mini") == 3
    assert result.stdout.count("speech_to_text whisper-1") == 3
    assert result.stdout.count("text_to_speech tts-1") == 1
    assert "Totals by component" in result.stdout and "  all     7 calls" in result.stdout
    assert result.stderr == ""
