"""The instrumentor's life cycle: instrument, suppress, uninstrument, and what it declares."""

from __future__ import annotations

import sys

import openai
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation

from otel_carbon import semconv
from otel_carbon.instrumentation._stainless.client import server_address_and_port
from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from otel_carbon.semconv.version import __version__

from ..support.telemetry import Telemetry
from ._expectations import CHAT_MODEL, MESSAGES


def _chat(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)


def test_declares_the_openai_versions_it_supports() -> None:
    assert OpenAIInstrumentor().instrumentation_dependencies() == ("openai >= 2.0.0, < 4",)


@pytest.mark.usefixtures("instrument_openai")
def test_spans_carry_the_instrumentation_scope_and_version(telemetry: Telemetry, client: openai.OpenAI) -> None:
    _chat(client)

    span = telemetry.span()
    assert (span.scope_name, telemetry.receiver.spans()[0].scope_version) == (
        "otel_carbon.instrumentation.openai",
        __version__,
    )


@pytest.mark.usefixtures("instrument_openai")
def test_suppressed_instrumentation_emits_no_span(telemetry: Telemetry, client: openai.OpenAI) -> None:
    with suppress_instrumentation():
        _chat(client)

    assert telemetry.spans() == []


def test_uninstrumented_calls_emit_no_span(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: OpenAIInstrumentor
) -> None:
    instrument_openai.uninstrument()

    _chat(client)

    assert telemetry.spans() == []


def test_uninstrument_restores_the_original_methods(instrument_openai: OpenAIInstrumentor) -> None:
    from openai.resources.chat.completions.completions import Completions

    assert isinstance(vars(Completions)["create"], wrapt.FunctionWrapper)
    instrument_openai.uninstrument()

    assert not isinstance(vars(Completions)["create"], wrapt.FunctionWrapper)


def test_methods_bound_before_uninstrument_pass_straight_through(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: OpenAIInstrumentor
) -> None:
    create_raw = client.chat.completions.with_raw_response.create  # binds the wrapped method now
    instrument_openai.uninstrument()

    create_raw(model=CHAT_MODEL, messages=MESSAGES)

    assert telemetry.spans() == []


def test_instrumenting_twice_still_emits_one_span_per_call(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: OpenAIInstrumentor
) -> None:
    instrument_openai.instrument(tracer_provider=telemetry.tracer_provider)

    _chat(client)

    assert len(telemetry.spans()) == 1


def test_instrument_after_uninstrument_emits_spans_again(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: OpenAIInstrumentor
) -> None:
    instrument_openai.uninstrument()
    instrument_openai.instrument(tracer_provider=telemetry.tracer_provider)

    _chat(client)

    assert len(telemetry.spans()) == 1


def test_a_missing_openai_package_raises_module_not_found_from_instrument(
    instrumentor: OpenAIInstrumentor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)

    with pytest.raises(ModuleNotFoundError):
        instrumentor.instrument(skip_dep_check=True)


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.openai.com/v1", ("api.openai.com", None)),
        ("http://localhost/v1", ("localhost", None)),
        ("http://127.0.0.1:8080/v1", ("127.0.0.1", 8080)),
        ("https://llm.internal:8443/v1", ("llm.internal", 8443)),
    ],
)
def test_server_port_is_left_out_when_it_is_the_scheme_default(base_url: str, expected: tuple[str, int | None]) -> None:
    with openai.OpenAI(base_url=base_url, api_key="test") as configured:
        assert server_address_and_port(configured.chat.completions) == expected


@pytest.mark.usefixtures("instrument_openai")
def test_attribute_names_come_from_the_semconv_module(telemetry: Telemetry, client: openai.OpenAI) -> None:
    _chat(client)

    names = {value for name, value in vars(semconv).items() if name.isupper() and isinstance(value, str)}
    assert set(telemetry.span().attributes) <= names
