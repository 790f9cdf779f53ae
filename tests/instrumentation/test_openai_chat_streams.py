"""Chat completion streams: the span ends exactly once, however the caller leaves the stream."""

from __future__ import annotations

import gc
import logging
import math
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionStreamOptionsParam

from otel_carbon import semconv
from otel_carbon.instrumentation import _estimates
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import (
    CHAT_MODEL,
    MESSAGES,
    PROMPT_TEXT,
    AsyncRunner,
    assert_abandoned,
    assert_attributes,
    assert_failed,
    chat_usage_attributes,
    mid_stream_error_type,
    start_attributes,
)

pytestmark = pytest.mark.usefixtures("instrument_openai")

WITH_USAGE: ChatCompletionStreamOptionsParam = {"include_usage": True}


def _stream(client: openai.OpenAI, **extra: Any) -> Any:
    return client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True, **extra)


def _streamed_start(standin: StandinServer) -> dict[str, Any]:
    return {**start_attributes(standin, "chat", CHAT_MODEL), semconv.GEN_AI_REQUEST_STREAM: True}


def test_stream_is_still_an_openai_stream(telemetry: Telemetry, client: openai.OpenAI) -> None:
    stream = _stream(client)

    assert isinstance(stream, openai.Stream)
    assert stream.response.status_code == 200
    stream.close()


def test_exhausted_stream_with_include_usage_records_the_final_usage_chunk(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    chunks = list(_stream(client, stream_options=WITH_USAGE))

    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert_attributes(
        span.attributes,
        {
            **_streamed_start(standin),
            semconv.GEN_AI_RESPONSE_ID: usage_chunk.id,
            semconv.GEN_AI_RESPONSE_MODEL: CHAT_MODEL,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
            **chat_usage_attributes(usage_chunk.usage),
        },
    )


def test_stream_yields_the_same_chunks_as_an_uninstrumented_stream(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: Any
) -> None:
    instrumented = list(_stream(client, stream_options=WITH_USAGE))
    instrument_openai.uninstrument()
    plain = list(_stream(client, stream_options=WITH_USAGE))

    assert instrumented == plain


def test_stream_without_include_usage_is_estimated_from_the_streamed_and_the_prompt_text(
    telemetry: Telemetry, client: openai.OpenAI
) -> None:
    chunks = list(_stream(client))

    streamed = "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)
    attributes = telemetry.span().attributes
    assert attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_WITHOUT_USAGE
    assert attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_ESTIMATED
    assert attributes[semconv.USAGE_ESTIMATED] == (
        semconv.GEN_AI_USAGE_INPUT_TOKENS,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    )
    # 4 characters per token; the request's text is the message's role and content.
    assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == math.ceil(len("user" + PROMPT_TEXT) / 4)
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == math.ceil(len(streamed) / 4) > 0


def test_the_include_usage_fix_is_logged_once_per_process(
    telemetry: Telemetry, client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    _estimates._logged.clear()
    with caplog.at_level(logging.WARNING, logger="otel_carbon.instrumentation"):
        list(_stream(client))
        list(_stream(client))

    advice = [record.getMessage() for record in caplog.records if "include_usage" in record.getMessage()]
    assert len(advice) == 1
    assert 'stream_options={"include_usage": True}' in advice[0]


def test_no_content_of_the_request_or_the_stream_is_recorded(telemetry: Telemetry, client: openai.OpenAI) -> None:
    chunks = list(_stream(client))

    streamed = "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)
    values = [str(value) for value in telemetry.span().attributes.values()]
    assert not any(PROMPT_TEXT in value or (streamed and streamed in value) for value in values)


def test_stream_options_are_never_injected_into_the_request(client: openai.OpenAI, standin: StandinServer) -> None:
    list(_stream(client))

    assert "stream_options" not in standin.requests[-1].body


def test_stream_closed_early_ends_once_as_incomplete(telemetry: Telemetry, client: openai.OpenAI) -> None:
    stream = _stream(client, stream_options=WITH_USAGE)
    next(stream)
    stream.close()
    stream.close()

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


def test_with_block_left_early_ends_the_span_once(telemetry: Telemetry, client: openai.OpenAI) -> None:
    with _stream(client, stream_options=WITH_USAGE) as stream:
        assert isinstance(stream, openai.Stream)
        next(stream)

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


def test_exception_raised_inside_the_with_block_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI
) -> None:
    with pytest.raises(KeyError):
        with _stream(client, stream_options=WITH_USAGE) as stream:
            next(stream)
            raise KeyError("the caller's own bug")

    assert_failed(telemetry.span(), "KeyError")


def test_abandoned_stream_is_ended_when_garbage_collected(telemetry: Telemetry, client: openai.OpenAI) -> None:
    stream = _stream(client, stream_options=WITH_USAGE)
    next(stream)
    del stream
    gc.collect()

    span = telemetry.span()
    assert_abandoned(span)
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


def test_connection_dropped_mid_stream_re_raises_and_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.break_stream_after(2)
    received = []

    with pytest.raises(Exception) as raised:
        for chunk in _stream(client, stream_options=WITH_USAGE):
            received.append(chunk)

    assert len(received) == 2
    span = telemetry.span()
    assert_failed(span, mid_stream_error_type())
    assert f"{type(raised.value).__module__}.{type(raised.value).__qualname__}" == mid_stream_error_type()
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


def test_stream_helper_goes_through_create_and_records_usage(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    with client.chat.completions.stream(model=CHAT_MODEL, messages=MESSAGES, stream_options=WITH_USAGE) as stream:
        for _ in stream:
            pass
        completion = stream.get_final_completion()

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert_attributes(
        span.attributes,
        {
            **_streamed_start(standin),
            semconv.GEN_AI_RESPONSE_ID: completion.id,
            semconv.GEN_AI_RESPONSE_MODEL: CHAT_MODEL,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
            **chat_usage_attributes(completion.usage),
        },
    )


def test_stream_helper_left_early_ends_the_span_when_the_helper_closes(
    telemetry: Telemetry, client: openai.OpenAI
) -> None:
    with client.chat.completions.stream(model=CHAT_MODEL, messages=MESSAGES, stream_options=WITH_USAGE) as stream:
        next(iter(stream))
        # The helper closes the HTTP response itself, not the raw stream we handed it.
        assert telemetry.spans() == []

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


def test_with_raw_response_stream_is_traced_once_parsed(telemetry: Telemetry, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE
    )
    stream = raw.parse()

    assert isinstance(stream, openai.Stream)
    assert raw.parse() is stream
    chunks = list(stream)
    assert telemetry.span().attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == chunks[-1].usage.prompt_tokens


def test_async_stream_exhausted_records_usage(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> list[Any]:
        stream = await async_client.chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE
        )
        assert isinstance(stream, openai.AsyncStream)
        return [chunk async for chunk in stream]

    chunks = run_async(scenario)

    assert_attributes(
        telemetry.span().attributes,
        {
            **_streamed_start(standin),
            semconv.GEN_AI_RESPONSE_ID: chunks[-1].id,
            semconv.GEN_AI_RESPONSE_MODEL: CHAT_MODEL,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
            **chat_usage_attributes(chunks[-1].usage),
        },
    )


def test_async_with_block_left_early_ends_the_span_once(telemetry: Telemetry, run_async: AsyncRunner) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        stream = await async_client.chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE
        )
        async with stream as entered:
            assert entered is stream
            await stream.__anext__()

    run_async(scenario)

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


@pytest.mark.skipif(not hasattr(openai.AsyncStream, "aclose"), reason="this openai's AsyncStream has no aclose()")
def test_async_stream_closed_early_with_aclose_ends_the_span_once(telemetry: Telemetry, run_async: AsyncRunner) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        stream = await async_client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True)
        await stream.__anext__()
        await stream.aclose()
        await stream.close()

    run_async(scenario)

    assert telemetry.span().status_code == "UNSET"


def test_async_abandoned_stream_is_ended_when_garbage_collected(telemetry: Telemetry, run_async: AsyncRunner) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        stream = await async_client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True)
        await stream.__anext__()
        del stream
        gc.collect()

    run_async(scenario)

    assert_abandoned(telemetry.span())


def test_async_connection_dropped_mid_stream_marks_the_span_failed(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    standin.break_stream_after(1)

    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        stream = await async_client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True)
        async for _ in stream:
            pass

    with pytest.raises(Exception) as raised:  # noqa: B017 - the type differs by openai major; checked below
        run_async(scenario)

    assert_failed(telemetry.span(), mid_stream_error_type())
    assert f"{type(raised.value).__module__}.{type(raised.value).__qualname__}" == mid_stream_error_type()


def test_async_stream_helper_records_usage(telemetry: Telemetry, run_async: AsyncRunner) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> Any:
        async with async_client.chat.completions.stream(
            model=CHAT_MODEL, messages=MESSAGES, stream_options=WITH_USAGE
        ) as stream:
            async for _ in stream:
                pass
            return await stream.get_final_completion()

    completion = run_async(scenario)

    assert telemetry.span().attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == completion.usage.completion_tokens


def test_with_streaming_response_of_a_stream_is_traced_once_parsed(telemetry: Telemetry, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(
        model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE
    ) as response:
        stream = response.parse()
        assert isinstance(stream, openai.Stream)
        chunks = list(stream)

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == chunks[-1].usage.completion_tokens
