"""The kernel's call lifecycle, run against every SDK adapter in ``adapters/``: success, error,
abandonment, ending exactly once, never raising into the caller, and counting nested calls once."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from otel_carbon import semconv
from otel_carbon.semconv.usage import WRITE_KEYS

from ...support.otlp_receiver import ExportedSpan
from ...support.telemetry import Telemetry
from .adapters import ADAPTERS, KernelAdapter
from .gateway import GATEWAY_PROVIDER, Gateway, GatewayInstrumentor

_USAGE_NUMBERS = frozenset(WRITE_KEYS.values())


@pytest.fixture(params=ADAPTERS, ids=[adapter.name for adapter in ADAPTERS])
def adapter(request: pytest.FixtureRequest) -> KernelAdapter:
    return request.param


@pytest.fixture
def session(adapter: KernelAdapter) -> Iterator[Any]:
    with adapter.session() as session:
        yield session


@pytest.fixture
def instrumented(adapter: KernelAdapter, telemetry: Telemetry) -> Iterator[None]:
    instrumentor = adapter.instrumentor()
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    yield
    instrumentor.uninstrument()


def _carries_usage(span: ExportedSpan) -> bool:
    return any(key in span.attributes for key in _USAGE_NUMBERS)


@pytest.mark.usefixtures("instrumented")
def test_a_successful_call_ends_one_client_span_with_reported_usage(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry
) -> None:
    adapter.call(session)

    span = telemetry.span()
    assert (span.kind, span.status_code) == ("CLIENT", "UNSET")
    assert _carries_usage(span)
    assert span.attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_REPORTED


@pytest.mark.usefixtures("instrumented")
def test_a_failed_call_re_raises_and_ends_one_failed_span(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry
) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - each SDK raises its own type
        adapter.failing_call(session)

    span = telemetry.span()
    assert span.status_code == "ERROR"
    assert span.attributes[semconv.ERROR_TYPE] == adapter.error_type
    assert type(raised.value).__qualname__ in adapter.error_type


@pytest.mark.usefixtures("instrumented")
def test_a_stream_dropped_unfinished_ends_as_abandoned_when_collected(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry
) -> None:
    stream = adapter.open_stream(session)
    del stream
    gc.collect()

    span = telemetry.span()
    assert (span.status_code, span.status_message) == ("ERROR", "abandoned stream")
    assert span.attributes[semconv.ERROR_TYPE] == semconv.ERROR_TYPE_OTHER


@pytest.mark.usefixtures("instrumented")
def test_a_stream_ends_exactly_once_however_many_ways_it_is_left(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry
) -> None:
    stream = adapter.open_stream(session)
    adapter.read_rest(stream)
    stream.close()
    stream.close()
    with stream:
        pass
    del stream
    gc.collect()

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_REPORTED


class _BrokenSpan(trace.NonRecordingSpan):
    def set_attributes(self, attributes: Any) -> None:
        raise RuntimeError("telemetry is broken")

    def set_attribute(self, key: str, value: Any) -> None:
        raise RuntimeError("telemetry is broken")

    def set_status(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("telemetry is broken")

    def end(self, end_time: int | None = None) -> None:
        raise RuntimeError("telemetry is broken")


class _BrokenTracer(trace.Tracer):
    def __init__(self, *, fail_at_start: bool) -> None:
        self._fail_at_start = fail_at_start

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        if self._fail_at_start:
            raise RuntimeError("telemetry is broken")
        return _BrokenSpan(trace.INVALID_SPAN_CONTEXT)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class _BrokenTracerProvider(TracerProvider):
    def __init__(self, *, fail_at_start: bool) -> None:
        super().__init__()
        self._fail_at_start = fail_at_start

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _BrokenTracer(fail_at_start=self._fail_at_start)


@pytest.mark.parametrize("fail_at_start", [True, False], ids=["span cannot start", "span cannot end"])
def test_broken_telemetry_never_reaches_the_caller(adapter: KernelAdapter, session: Any, fail_at_start: bool) -> None:
    instrumentor = adapter.instrumentor()
    instrumentor.instrument(tracer_provider=_BrokenTracerProvider(fail_at_start=fail_at_start))
    try:
        result = adapter.call(session)
        stream = adapter.open_stream(session)
        rest = adapter.read_rest(stream)
    finally:
        instrumentor.uninstrument()

    assert result is not None
    assert rest


@pytest.fixture
def gateway(telemetry: Telemetry) -> Iterator[Gateway]:
    instrumentor = GatewayInstrumentor()
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    yield Gateway()
    instrumentor.uninstrument()


def _gateway_and_sdk_spans(telemetry: Telemetry) -> tuple[ExportedSpan, ExportedSpan]:
    spans = telemetry.spans()
    assert len(spans) == 2
    outer = next(span for span in spans if span.attributes[semconv.GEN_AI_PROVIDER_NAME] == GATEWAY_PROVIDER)
    inner = next(span for span in spans if span is not outer)
    assert inner.parent_span_id == outer.span_id
    return outer, inner


@pytest.mark.usefixtures("instrumented")
def test_a_call_made_through_an_instrumented_wrapper_carries_usage_on_one_span_only(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry, gateway: Gateway
) -> None:
    gateway.complete(lambda: adapter.call(session))

    outer, inner = _gateway_and_sdk_spans(telemetry)
    assert _carries_usage(inner)
    assert not _carries_usage(outer)
    assert outer.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_COUNTED_IN_NESTED_CALL
    assert semconv.USAGE_SOURCE not in outer.attributes


@pytest.mark.usefixtures("instrumented")
def test_a_stream_made_through_an_instrumented_wrapper_carries_usage_on_one_span_only(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry, gateway: Gateway
) -> None:
    def stream_to_the_end() -> list[Any]:
        return adapter.read_rest(adapter.open_stream(session))

    gateway.complete(stream_to_the_end)

    outer, inner = _gateway_and_sdk_spans(telemetry)
    assert _carries_usage(inner) and not _carries_usage(outer)


@pytest.mark.usefixtures("instrumented")
def test_an_async_wrapper_is_guarded_as_well(
    adapter: KernelAdapter, session: Any, telemetry: Telemetry, gateway: Gateway
) -> None:
    asyncio.run(gateway.acomplete(lambda: adapter.call(session)))

    outer, inner = _gateway_and_sdk_spans(telemetry)
    assert _carries_usage(inner) and not _carries_usage(outer)


def test_a_wrapper_that_calls_no_instrumented_sdk_carries_its_own_usage(telemetry: Telemetry, gateway: Gateway) -> None:
    gateway.complete(lambda: "answered from a cache")

    span = telemetry.span()
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert semconv.USAGE_MISSING not in span.attributes


def test_the_wrapper_factory_picks_async_from_the_target(telemetry: Telemetry, gateway: Gateway) -> None:
    result = asyncio.run(gateway.acomplete(lambda: "answer"))

    assert result == "answer"
    assert telemetry.span().attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 11
