"""The user's objects stay the SDK's: types, identities and iterator semantics of instrumented
streams are those of the real openai SDK (over the stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from otel_carbon import semconv

from ..support.telemetry import Telemetry
from ._expectations import CHAT_MODEL, MESSAGES, AsyncRunner

pytestmark = pytest.mark.usefixtures("instrument_openai")

WITH_USAGE: Any = {"include_usage": True}


def _http_response_type(client: openai.OpenAI) -> type:
    return type(client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES).http_response)


def _stream(client: openai.OpenAI) -> openai.Stream[Any]:
    return client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE)


def test_the_stream_and_its_response_are_the_sdk_types(client: openai.OpenAI) -> None:
    response_type = _http_response_type(client)
    stream = _stream(client)

    assert type(stream) is openai.Stream
    assert type(stream.response) is response_type
    stream.close()


def test_iterating_a_stream_gives_a_fresh_iterator_as_the_sdk_does(client: openai.OpenAI) -> None:
    with _stream(client) as stream:
        assert iter(stream) is not stream


def test_closing_an_iterator_over_the_stream_leaves_the_response_readable(
    client: openai.OpenAI, telemetry: Telemetry
) -> None:
    stream = _stream(client)
    iterator = iter(stream)
    next(iterator)
    iterator.close()

    rest = list(stream)

    assert rest and rest[-1].usage is not None
    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_REPORTED


def test_closing_a_generator_that_yields_from_the_stream_leaves_the_response_readable(
    client: openai.OpenAI, telemetry: Telemetry
) -> None:
    stream = _stream(client)

    def relay() -> Iterator[Any]:
        yield from stream

    relayed = relay()
    next(relayed)
    relayed.close()

    assert list(stream)
    assert telemetry.span().attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_REPORTED


def test_a_parsed_raw_stream_is_the_sdk_stream(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE
    )
    stream = raw.parse()

    assert type(stream) is openai.Stream
    assert list(stream)


def test_the_async_stream_and_its_response_are_the_sdk_types(run_async: AsyncRunner, telemetry: Telemetry) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> tuple[type, type, type, bool, int]:
        raw = await async_client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES)
        stream = await async_client.chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=WITH_USAGE
        )
        iterator = stream.__aiter__()
        fresh = iterator is not stream
        await iterator.__anext__()
        await iterator.aclose()
        rest = [chunk async for chunk in stream]
        return type(stream), type(stream.response), type(raw.http_response), fresh, len(rest)

    stream_type, response_type, http_response_type, fresh, rest = run_async(scenario)

    assert stream_type is openai.AsyncStream
    assert response_type is http_response_type
    assert fresh and rest > 0
    assert telemetry.spans()[-1].attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_REPORTED
