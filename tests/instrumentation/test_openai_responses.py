"""The Responses API: usage from the response, or from the terminal event of a stream."""

from __future__ import annotations

import gc
import math
from typing import Any

import openai
import pydantic
import pytest
from openai.types.responses import Response

from otel_carbon import semconv
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import (
    CHAT_MODEL,
    AsyncRunner,
    assert_abandoned,
    assert_attributes,
    assert_failed,
    mid_stream_error_type,
    responses_usage_attributes,
    start_attributes,
)

pytestmark = pytest.mark.usefixtures("instrument_openai")

PROMPT = "Name one renewable energy source."


class Answer(pydantic.BaseModel):
    source: str


def _response_attributes(standin: StandinServer, response: Any, *, stream: bool = False) -> dict[str, Any]:
    attributes = {
        **start_attributes(standin, "chat", CHAT_MODEL),
        semconv.GEN_AI_RESPONSE_ID: response.id,
        semconv.GEN_AI_RESPONSE_MODEL: response.model,
        **responses_usage_attributes(response.usage),
    }
    if stream:
        attributes[semconv.GEN_AI_REQUEST_STREAM] = True
    return attributes


def test_create_records_usage_as_chat(telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer) -> None:
    response = client.responses.create(model=CHAT_MODEL, input=PROMPT)

    span = telemetry.span()
    assert (span.name, span.kind) == ("chat gpt-4o-mini", "CLIENT")
    assert type(response) is Response
    assert_attributes(span.attributes, _response_attributes(standin, response))


def test_async_create_records_usage(telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> Response:
        return await async_client.responses.create(model=CHAT_MODEL, input=PROMPT)

    response = run_async(scenario)

    assert_attributes(telemetry.span().attributes, _response_attributes(standin, response))


def test_parse_with_a_text_format_is_instrumented(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    parsed = client.responses.parse(model=CHAT_MODEL, input=PROMPT, text_format=Answer)

    assert isinstance(parsed.output_parsed, Answer)
    assert_attributes(telemetry.span().attributes, _response_attributes(standin, parsed))


def test_async_parse_is_instrumented(telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> Any:
        return await async_client.responses.parse(model=CHAT_MODEL, input=PROMPT, text_format=Answer)

    parsed = run_async(scenario)

    assert_attributes(telemetry.span().attributes, _response_attributes(standin, parsed))


def test_stream_records_usage_from_the_completed_event(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    stream = client.responses.create(model=CHAT_MODEL, input=PROMPT, stream=True)
    assert isinstance(stream, openai.Stream)
    events = list(stream)

    completed = events[-1]
    assert completed.type == "response.completed"
    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert_attributes(span.attributes, _response_attributes(standin, completed.response, stream=True))


def test_stream_helper_records_usage(telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer) -> None:
    with client.responses.stream(model=CHAT_MODEL, input=PROMPT) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()

    assert_attributes(telemetry.span().attributes, _response_attributes(standin, final, stream=True))


def test_stream_closed_before_completion_is_marked_incomplete(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    stream = client.responses.create(model=CHAT_MODEL, input=PROMPT, stream=True)
    created = next(stream)
    stream.close()

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert_attributes(
        span.attributes,
        {
            **start_attributes(standin, "chat", CHAT_MODEL),
            semconv.GEN_AI_REQUEST_STREAM: True,
            semconv.GEN_AI_RESPONSE_ID: created.response.id,
            semconv.GEN_AI_RESPONSE_MODEL: CHAT_MODEL,
            semconv.USAGE_MISSING: semconv.USAGE_MISSING_STREAM_INCOMPLETE,
            # Aborted before the usage arrived: estimated from the prompt's length (nothing streamed yet).
            semconv.GEN_AI_USAGE_INPUT_TOKENS: math.ceil(len(PROMPT) / 4),
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 0,
            semconv.USAGE_SOURCE: semconv.USAGE_SOURCE_ESTIMATED,
            semconv.USAGE_ESTIMATED: (semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_OUTPUT_TOKENS),
        },
    )


def test_abandoned_stream_is_ended_when_garbage_collected(telemetry: Telemetry, client: openai.OpenAI) -> None:
    stream = client.responses.create(model=CHAT_MODEL, input=PROMPT, stream=True)
    next(stream)
    del stream
    gc.collect()

    assert_abandoned(telemetry.span())


def test_connection_dropped_mid_stream_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.break_stream_after(3)

    with pytest.raises(Exception) as raised:  # noqa: B017 - the type differs by openai major; checked below
        list(client.responses.create(model=CHAT_MODEL, input=PROMPT, stream=True))

    assert f"{type(raised.value).__module__}.{type(raised.value).__qualname__}" == mid_stream_error_type()
    span = telemetry.span()
    assert_failed(span, mid_stream_error_type())
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_STREAM_INCOMPLETE


def test_async_stream_records_usage(telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> list[Any]:
        stream = await async_client.responses.create(model=CHAT_MODEL, input=PROMPT, stream=True)
        assert isinstance(stream, openai.AsyncStream)
        return [event async for event in stream]

    events = run_async(scenario)

    assert_attributes(telemetry.span().attributes, _response_attributes(standin, events[-1].response, stream=True))


def test_async_stream_helper_records_usage(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> Any:
        async with async_client.responses.stream(model=CHAT_MODEL, input=PROMPT) as stream:
            async for _ in stream:
                pass
            return await stream.get_final_response()

    final = run_async(scenario)

    assert_attributes(telemetry.span().attributes, _response_attributes(standin, final, stream=True))


def test_server_error_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.fail_next(500)

    with pytest.raises(openai.InternalServerError):
        client.responses.create(model=CHAT_MODEL, input=PROMPT)

    assert_failed(telemetry.span(), "openai.InternalServerError")
