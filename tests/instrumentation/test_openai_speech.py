"""Text-to-speech: characters from the request; streamed audio ends the span exactly once."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import openai
import pytest

from otel_carbon import semconv
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import (
    OPENAI_MAJOR,
    AsyncRunner,
    assert_abandoned,
    assert_attributes,
    assert_failed,
    start_attributes,
)

pytestmark = pytest.mark.usefixtures("instrument_openai")

TTS_MODEL = "tts-1"
TEXT = "The grid is greener at noon."


def _speech(standin: StandinServer, *, stream: bool = False) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        **start_attributes(standin, "text_to_speech", TTS_MODEL),
        semconv.GEN_AI_OUTPUT_TYPE: "speech",
        semconv.TTS_CHARACTERS: len(TEXT),
        semconv.USAGE_SOURCE: semconv.USAGE_SOURCE_REPORTED,
    }
    if stream:
        attributes[semconv.GEN_AI_REQUEST_STREAM] = True
    return attributes


def _streaming_create(client: openai.OpenAI) -> Any:
    return client.audio.speech.with_streaming_response.create(model=TTS_MODEL, voice="alloy", input=TEXT)


def test_create_records_characters_and_speech_output(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    audio = client.audio.speech.create(model=TTS_MODEL, voice="alloy", input=TEXT)

    assert audio.content.startswith(b"RIFF")
    span = telemetry.span()
    assert (span.name, span.kind, span.status_code) == ("text_to_speech tts-1", "CLIENT", "UNSET")
    assert_attributes(span.attributes, _speech(standin))


def test_async_create_records_characters(telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> bytes:
        audio = await async_client.audio.speech.create(model=TTS_MODEL, voice="alloy", input=TEXT)
        return audio.content

    assert run_async(scenario).startswith(b"RIFF")
    assert_attributes(telemetry.span().attributes, _speech(standin))


def test_streaming_response_iterated_to_the_end_ends_the_span_once(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    with _streaming_create(client) as response:
        assert isinstance(response, openai._response.StreamedBinaryAPIResponse)
        audio = b"".join(response.iter_bytes(512))
        assert len(telemetry.spans()) == 1

    assert audio.startswith(b"RIFF")
    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert_attributes(span.attributes, _speech(standin, stream=True))


def test_streaming_response_left_unread_ends_the_span_when_closed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    with _streaming_create(client) as response:
        assert telemetry.spans() == []
        assert response.status_code == 200

    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert_attributes(span.attributes, _speech(standin, stream=True))


def test_streaming_response_written_to_a_file_ends_the_span(
    telemetry: Telemetry, client: openai.OpenAI, tmp_path: Path
) -> None:
    target = tmp_path / "speech.wav"
    with _streaming_create(client) as response:
        response.stream_to_file(target)

    assert target.read_bytes().startswith(b"RIFF")
    assert telemetry.span().status_code == "UNSET"


def test_abandoned_streaming_response_is_ended_when_garbage_collected(
    telemetry: Telemetry, client: openai.OpenAI
) -> None:
    manager = _streaming_create(client)
    response = manager.__enter__()
    del manager, response
    gc.collect()

    assert_abandoned(telemetry.span())


def test_connection_dropped_mid_audio_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.break_stream_after(1)

    with pytest.raises(Exception) as raised:
        with _streaming_create(client) as response:
            for _ in response.iter_bytes(256):
                pass

    span = telemetry.span()
    assert span.status_code == "ERROR"
    assert span.attributes[semconv.ERROR_TYPE] == f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    expected_module = "httpx2" if OPENAI_MAJOR >= 3 else "httpx"
    assert span.attributes[semconv.ERROR_TYPE].startswith(expected_module + ".")


def test_async_streaming_response_iterated_to_the_end_ends_the_span_once(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> bytes:
        async with async_client.audio.speech.with_streaming_response.create(
            model=TTS_MODEL, voice="alloy", input=TEXT
        ) as response:
            assert isinstance(response, openai._response.AsyncStreamedBinaryAPIResponse)
            return b"".join([chunk async for chunk in response.iter_bytes()])

    assert run_async(scenario).startswith(b"RIFF")
    assert_attributes(telemetry.span().attributes, _speech(standin, stream=True))


def test_async_streaming_response_closed_unread_ends_the_span(telemetry: Telemetry, run_async: AsyncRunner) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        async with async_client.audio.speech.with_streaming_response.create(model=TTS_MODEL, voice="alloy", input=TEXT):
            pass

    run_async(scenario)

    assert telemetry.span().status_code == "UNSET"


def test_server_error_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.fail_next(500)

    with pytest.raises(openai.InternalServerError):
        client.audio.speech.create(model=TTS_MODEL, voice="alloy", input=TEXT)

    span = telemetry.span()
    assert_failed(span, "openai.InternalServerError")
    assert span.attributes[semconv.TTS_CHARACTERS] == len(TEXT)
