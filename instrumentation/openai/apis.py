"""What differs between the OpenAI APIs we wrap: operation name, and how usage is read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv
from otel_carbon.instrumentation._call import Attributes
from otel_carbon.instrumentation._stainless import client
from otel_carbon.instrumentation._stainless.endpoint import Api
from otel_carbon.instrumentation._streams import Accumulator
from otel_carbon.instrumentation.audio import audio_duration_seconds
from otel_carbon.instrumentation.openai import extractors
from otel_carbon.instrumentation.openai.streams import (
    ChatStreamAccumulator,
    NoUsageAccumulator,
    ResponsesStreamAccumulator,
    TranscriptionStreamAccumulator,
)

Kwargs = Mapping[str, Any]


def _stream_flag(kwargs: Kwargs) -> dict[str, AttributeValue]:
    return {semconv.GEN_AI_REQUEST_STREAM: True} if client.is_stream_request(kwargs) else {}


def _usage_requested(kwargs: Kwargs) -> bool:
    stream_options = client.given(kwargs, "stream_options")
    return isinstance(stream_options, Mapping) and stream_options.get("include_usage") is True


def _response_not_read(kwargs: Kwargs) -> Attributes:
    return {semconv.USAGE_MISSING: semconv.USAGE_MISSING_RESPONSE_NOT_READ}


def _nothing(kwargs: Kwargs) -> Attributes:
    return {}


def _speech_request_attributes(kwargs: Kwargs) -> Attributes:
    attributes = extractors.speech_request_attributes(kwargs)
    if client.raw_response_mode(kwargs) == "stream" or client.is_stream_request(kwargs):
        attributes[semconv.GEN_AI_REQUEST_STREAM] = True
    return attributes


def _audio_seconds_from_file(kwargs: Kwargs) -> Attributes:
    seconds = audio_duration_seconds(client.given(kwargs, "file"))
    return extractors.audio_seconds_attributes(seconds, semconv.AUDIO_SECONDS_SOURCE_FILE)


def _speech_to_text_attributes(result: Any, kwargs: Kwargs) -> Attributes:
    attributes: dict[str, AttributeValue] = dict(extractors.transcription_token_attributes(result))
    reported_seconds = extractors.reported_audio_seconds(result)
    if reported_seconds is not None:
        attributes.update(extractors.audio_seconds_attributes(reported_seconds, semconv.AUDIO_SECONDS_SOURCE_RESPONSE))
    else:
        # text/srt/vtt bodies, token-billed models and translations report no duration.
        attributes.update(_audio_seconds_from_file(kwargs))
    return attributes


def _billed_before_parse_failure(error: BaseException, kwargs: Kwargs) -> Attributes:
    """``parse()`` raises ``LengthFinishReasonError`` after a 200 whose completion was billed."""
    completion = getattr(error, "completion", None)
    if completion is None or type(error).__name__ != "LengthFinishReasonError":
        return {}
    return extractors.chat_completion_attributes(completion)


def _no_stream(kwargs: Kwargs) -> Accumulator:
    return NoUsageAccumulator()


CHAT_COMPLETIONS = Api(
    operation_name=semconv.OPERATION_CHAT,
    request_attributes=_stream_flag,
    result_attributes=lambda result, kwargs: extractors.chat_completion_attributes(result),
    stream_accumulator=lambda kwargs: ChatStreamAccumulator(kwargs, usage_requested=_usage_requested(kwargs)),
    unread_attributes=_response_not_read,
    failure_attributes=_billed_before_parse_failure,
)

RESPONSES = Api(
    operation_name=semconv.OPERATION_CHAT,
    request_attributes=_stream_flag,
    result_attributes=lambda result, kwargs: extractors.response_attributes(result),
    stream_accumulator=lambda kwargs: ResponsesStreamAccumulator(kwargs),
    unread_attributes=_response_not_read,
)

EMBEDDINGS = Api(
    operation_name=semconv.OPERATION_EMBEDDINGS,
    request_attributes=_nothing,
    result_attributes=lambda result, kwargs: extractors.embedding_attributes(result),
    stream_accumulator=_no_stream,
    unread_attributes=_response_not_read,
)

SPEECH = Api(
    operation_name=semconv.OPERATION_TEXT_TO_SPEECH,
    request_attributes=_speech_request_attributes,
    result_attributes=lambda result, kwargs: {},
    stream_accumulator=_no_stream,
    unread_attributes=_nothing,
)

_SPEECH_TO_TEXT = Api(
    operation_name=semconv.OPERATION_SPEECH_TO_TEXT,
    request_attributes=_stream_flag,
    result_attributes=_speech_to_text_attributes,
    stream_accumulator=lambda kwargs: TranscriptionStreamAccumulator(lambda: _audio_seconds_from_file(kwargs)),
    unread_attributes=_audio_seconds_from_file,
)
TRANSCRIPTIONS = _SPEECH_TO_TEXT
TRANSLATIONS = _SPEECH_TO_TEXT
