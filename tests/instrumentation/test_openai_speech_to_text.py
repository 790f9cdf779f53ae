"""Transcriptions and translations: audio seconds from the response when reported, else from the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openai
import pytest

from otel_carbon import semconv
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import AsyncRunner, assert_attributes, assert_failed, start_attributes, wav_bytes

pytestmark = [
    pytest.mark.usefixtures("instrument_openai"),
    # openai 3 deprecates translations; the warning is the SDK's, not ours.
    pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning"),
]

SECONDS = 1.5
AUDIO = wav_bytes(SECONDS)
UPLOAD = ("meeting.wav", AUDIO, "audio/wav")


def _seconds(standin: StandinServer, model: str, source: str) -> dict[str, Any]:
    return {
        **start_attributes(standin, "speech_to_text", model),
        semconv.STT_AUDIO_SECONDS: SECONDS,
        semconv.STT_AUDIO_SECONDS_SOURCE: source,
        semconv.USAGE_SOURCE: semconv.USAGE_SOURCE_REPORTED,
    }


def test_whisper_json_takes_seconds_from_the_duration_usage(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    transcription = client.audio.transcriptions.create(model="whisper-1", file=UPLOAD)

    assert transcription.usage.type == "duration"
    span = telemetry.span()
    assert (span.name, span.kind) == ("speech_to_text whisper-1", "CLIENT")
    assert_attributes(span.attributes, _seconds(standin, "whisper-1", "response"))


def test_verbose_json_takes_seconds_from_the_response_duration(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    transcription = client.audio.transcriptions.create(model="whisper-1", file=UPLOAD, response_format="verbose_json")

    assert transcription.duration == SECONDS
    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "response"))


def test_text_format_reads_seconds_from_the_uploaded_file(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    text = client.audio.transcriptions.create(model="whisper-1", file=UPLOAD, response_format="text")

    assert isinstance(text, str)
    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "file"))


@pytest.mark.parametrize("response_format", ["srt", "vtt"])
def test_subtitle_formats_read_seconds_from_the_uploaded_file(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer, response_format: str
) -> None:
    client.audio.transcriptions.create(model="whisper-1", file=UPLOAD, response_format=response_format)

    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "file"))


def test_token_billed_model_records_tokens_and_seconds_from_the_file(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    transcription = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=UPLOAD)

    usage = transcription.usage
    assert usage.type == "tokens"
    assert_attributes(
        telemetry.span().attributes,
        {
            **_seconds(standin, "gpt-4o-transcribe", "file"),
            semconv.GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
            semconv.GEN_AI_USAGE_AUDIO_INPUT_TOKENS: usage.input_token_details.audio_tokens,
        },
    )


def test_file_object_upload_is_measured_and_its_position_restored(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    upload = io.BytesIO(AUDIO)
    upload.name = "meeting.wav"

    client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="text")

    assert upload.tell() == len(AUDIO)  # where the SDK left it after reading
    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "file"))


def test_path_upload_is_measured(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer, tmp_path: Path
) -> None:
    path = tmp_path / "meeting.wav"
    path.write_bytes(AUDIO)

    client.audio.transcriptions.create(model="whisper-1", file=path, response_format="text")

    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "file"))


def test_unreadable_audio_without_reported_duration_is_marked_unreadable(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    client.audio.transcriptions.create(
        model="whisper-1", file=("noise.webm", b"\x1aE\xdf\xa3 not audio tinytag reads"), response_format="text"
    )

    assert_attributes(
        telemetry.span().attributes,
        {
            **start_attributes(standin, "speech_to_text", "whisper-1"),
            semconv.USAGE_MISSING: semconv.USAGE_MISSING_AUDIO_UNREADABLE,
        },
    )


def test_async_transcription_records_seconds(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> Any:
        return await async_client.audio.transcriptions.create(model="whisper-1", file=UPLOAD)

    run_async(scenario)

    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "response"))


def test_translation_json_reads_seconds_from_the_uploaded_file(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    translation = client.audio.translations.create(model="whisper-1", file=UPLOAD)

    assert translation.text
    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "file"))


def test_translation_verbose_json_takes_seconds_from_the_response(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    client.audio.translations.create(model="whisper-1", file=UPLOAD, response_format="verbose_json")

    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "response"))


def test_async_translation_records_seconds(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> Any:
        return await async_client.audio.translations.create(model="whisper-1", file=UPLOAD, response_format="text")

    run_async(scenario)

    assert_attributes(telemetry.span().attributes, _seconds(standin, "whisper-1", "file"))


def test_rate_limit_error_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.fail_next(429)

    with pytest.raises(openai.RateLimitError):
        client.audio.transcriptions.create(model="whisper-1", file=UPLOAD)

    span = telemetry.span()
    assert_failed(span, "openai.RateLimitError")
    assert semconv.STT_AUDIO_SECONDS not in span.attributes


def test_streamed_transcription_records_tokens_from_the_done_event_and_seconds_from_the_file(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    stream = client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=UPLOAD, stream=True)
    assert isinstance(stream, openai.Stream)
    events = list(stream)

    usage = events[-1].usage
    assert events[-1].type == "transcript.text.done"
    assert_attributes(
        telemetry.span().attributes,
        {
            **_seconds(standin, "gpt-4o-mini-transcribe", "file"),
            semconv.GEN_AI_REQUEST_STREAM: True,
            semconv.GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
            semconv.GEN_AI_USAGE_AUDIO_INPUT_TOKENS: usage.input_token_details.audio_tokens,
        },
    )


def test_an_upload_our_code_cannot_measure_never_changes_the_call(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    class UploadThatCannotSayIfSeekable(io.BytesIO):
        def seekable(self) -> bool:  # httpx never asks; our duration reader does
            raise OSError("this upload cannot tell whether it is seekable")

    upload = UploadThatCannotSayIfSeekable(AUDIO)
    upload.name = "meeting.wav"

    text = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="text")

    assert text.startswith("Stand-in transcribe")
    span = telemetry.span()
    assert span.status_code == "UNSET"
    assert span.attributes[semconv.USAGE_MISSING] == semconv.USAGE_MISSING_AUDIO_UNREADABLE
