"""Pure functions from OpenAI SDK results to span attributes; usage is written through the
:mod:`otel_carbon.semconv.usage` codec.

Everything is read with ``getattr``: the SDK's models differ between majors (openai 3 uses
httpx2, openai 2 httpx), and OpenAI-compatible servers leave fields out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv
from otel_carbon.instrumentation._stainless.client import given
from otel_carbon.semconv.usage import Usage, reported, to_attributes


def _put_int(attributes: dict[str, AttributeValue], name: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        attributes[name] = value


def _put_str(attributes: dict[str, AttributeValue], name: str, value: Any) -> None:
    if isinstance(value, str) and value:
        attributes[name] = value


def finish_reasons(choices: Iterable[Any]) -> tuple[str, ...]:
    return tuple(
        reason
        for reason in (getattr(choice, "finish_reason", None) for choice in choices)
        if isinstance(reason, str) and reason
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def chat_usage(usage: Any) -> Usage:
    """``CompletionUsage`` (chat completions, embeddings); ``prompt_tokens`` already counts cached ones."""
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return reported(
        input_tokens=_count(getattr(usage, "prompt_tokens", None)),
        output_tokens=_count(getattr(usage, "completion_tokens", None)),
        cache_read_input_tokens=_count(getattr(prompt_details, "cached_tokens", None)),
        cache_write_input_tokens=_count(getattr(prompt_details, "cache_write_tokens", None)),
        audio_input_tokens=_count(getattr(prompt_details, "audio_tokens", None)),
        reasoning_output_tokens=_count(getattr(completion_details, "reasoning_tokens", None)),
        audio_output_tokens=_count(getattr(completion_details, "audio_tokens", None)),
    )


def responses_usage(usage: Any) -> Usage:
    """``ResponseUsage`` (Responses API) and ``UsageTokens`` (gpt-4o transcription)."""
    input_details = getattr(usage, "input_tokens_details", None) or getattr(usage, "input_token_details", None)
    output_details = getattr(usage, "output_tokens_details", None)
    return reported(
        input_tokens=_count(getattr(usage, "input_tokens", None)),
        output_tokens=_count(getattr(usage, "output_tokens", None)),
        cache_read_input_tokens=_count(getattr(input_details, "cached_tokens", None)),
        cache_write_input_tokens=_count(getattr(input_details, "cache_write_tokens", None)),
        audio_input_tokens=_count(getattr(input_details, "audio_tokens", None)),
        reasoning_output_tokens=_count(getattr(output_details, "reasoning_tokens", None)),
    )


def _with_usage(attributes: dict[str, AttributeValue], usage: Usage) -> dict[str, AttributeValue]:
    if usage.input_tokens is None:
        usage = Usage(missing=semconv.USAGE_MISSING_NO_USAGE_IN_RESPONSE)
    attributes.update(to_attributes(usage))
    return attributes


def chat_completion_attributes(completion: Any) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    _put_str(attributes, semconv.GEN_AI_RESPONSE_ID, getattr(completion, "id", None))
    _put_str(attributes, semconv.GEN_AI_RESPONSE_MODEL, getattr(completion, "model", None))
    reasons = finish_reasons(getattr(completion, "choices", None) or ())
    if reasons:
        attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    return _with_usage(attributes, chat_usage(getattr(completion, "usage", None)))


def response_attributes(response: Any) -> dict[str, AttributeValue]:
    """A Responses API ``Response`` (also the one inside ``response.completed`` stream events)."""
    attributes: dict[str, AttributeValue] = {}
    _put_str(attributes, semconv.GEN_AI_RESPONSE_ID, getattr(response, "id", None))
    _put_str(attributes, semconv.GEN_AI_RESPONSE_MODEL, getattr(response, "model", None))
    return _with_usage(attributes, responses_usage(getattr(response, "usage", None)))


def embedding_attributes(result: Any) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    _put_str(attributes, semconv.GEN_AI_RESPONSE_MODEL, getattr(result, "model", None))
    return _with_usage(attributes, chat_usage(getattr(result, "usage", None)))


def speech_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {semconv.GEN_AI_OUTPUT_TYPE: semconv.OUTPUT_TYPE_SPEECH}
    text = given(kwargs, "input")
    if isinstance(text, str):
        attributes.update(to_attributes(reported(tts_characters=len(text))))
    return attributes


def reported_audio_seconds(result: Any) -> float | None:
    """Seconds the provider reported: ``usage`` of type "duration", else verbose_json ``duration``."""
    usage = getattr(result, "usage", None)
    if getattr(usage, "type", None) == "duration":
        seconds = getattr(usage, "seconds", None)
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            return float(seconds)
    duration = getattr(result, "duration", None)
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        return float(duration)
    return None


def transcription_token_attributes(result: Any) -> dict[str, AttributeValue]:
    """Token usage of token-billed transcription models (``usage.type == "tokens"``)."""
    usage = getattr(result, "usage", None)
    if getattr(usage, "type", None) != "tokens":
        return {}
    return to_attributes(responses_usage(usage))


def audio_seconds_attributes(seconds: float | None, source: str) -> dict[str, AttributeValue]:
    if seconds is None:
        return to_attributes(Usage(missing=semconv.USAGE_MISSING_AUDIO_UNREADABLE))
    return to_attributes(reported(stt_audio_seconds=seconds, stt_audio_seconds_source=source))
