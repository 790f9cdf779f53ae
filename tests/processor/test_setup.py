"""Setting up: one call in code, and the launcher hooks beside other distros."""

from __future__ import annotations

import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from otel_carbon import semconv as sc
from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from otel_carbon.processor import configure, launcher
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry


@pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")
def test_configure_is_one_call_that_instruments_and_attaches(telemetry: Telemetry) -> None:
    processor = configure(telemetry.tracer_provider, telemetry.meter_provider)
    try:
        assert processor is not None
        with StandinServer() as standin:
            openai.OpenAI(base_url=standin.base_url, api_key="test", max_retries=0).embeddings.create(
                model="text-embedding-3-small", input="hello"
            )
        span = telemetry.span()
        assert span.scope_name == "otel_carbon.instrumentation.openai"
        assert span.attributes[sc.COMPONENT] == "embedding"
        assert telemetry.metric_points(sc.METRIC_ENERGY)[0].attributes[sc.COMPONENT] == "embedding"
        assert configure(telemetry.tracer_provider, telemetry.meter_provider) is processor
    finally:
        OpenAIInstrumentor().uninstrument()


def test_pre_instrument_hook_leaves_an_sdk_configured_by_another_distro_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    vendor_provider = TracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: vendor_provider)
    configured: list[bool] = []
    monkeypatch.setattr(
        "opentelemetry.sdk._configuration._OTelSDKConfigurator.configure",
        lambda self, **kwargs: configured.append(True),
    )
    launcher.configure_sdk_if_missing()
    assert configured == []


def test_pre_instrument_hook_configures_the_sdk_when_nothing_did(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    configured: list[bool] = []
    monkeypatch.setattr(
        "opentelemetry.sdk._configuration._OTelSDKConfigurator.configure",
        lambda self, **kwargs: configured.append(True),
    )
    launcher.configure_sdk_if_missing()
    assert configured == [True]
    import os

    assert os.environ["OTEL_TRACES_EXPORTER"] == "otlp"


@pytest.mark.parametrize(("variable", "value"), [("OTEL_CARBON_CONFIGURE_SDK", "false"), ("OTEL_SDK_DISABLED", "true")])
def test_pre_instrument_hook_can_be_told_not_to_configure(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())
    configured: list[bool] = []
    monkeypatch.setattr(
        "opentelemetry.sdk._configuration._OTelSDKConfigurator.configure",
        lambda self, **kwargs: configured.append(True),
    )
    launcher.configure_sdk_if_missing()
    assert configured == []


def test_post_instrument_hook_never_raises_into_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(launcher, "attach_processor", broken)
    launcher.attach_to_global_providers()
