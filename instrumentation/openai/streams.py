"""Per-API accumulators: what a traced stream records from the items the caller receives.

When the provider reports no usage (chat streams without ``stream_options.include_usage``, aborted
streams), the usage is estimated from the lengths of the streamed text and of the request's text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv
from otel_carbon.instrumentation._call import Attributes
from otel_carbon.instrumentation._estimates import estimated_usage, log_estimate_once, text_characters
from otel_carbon.instrumentation._stainless.client import given
from otel_carbon.instrumentation.openai import extractors
from otel_carbon.semconv.usage import to_attributes

INCLUDE_USAGE_ADVICE = (
    "an OpenAI chat stream reported no usage, so its tokens are estimated from the text's length "
    '(otel_carbon.usage.source="estimated"); pass stream_options={"include_usage": True} to '
    "chat.completions.create(stream=True) to record the provider's own numbers"
)
ABORTED_STREAM_ADVICE = (
    "an OpenAI stream ended before its usage arrived, so its tokens are estimated from the text's length "
    '(otel_carbon.usage.source="estimated"); read streams to the end to record the provider\'s own numbers'
)
_REQUEST_TEXT_ARGUMENTS = ("messages", "input", "instructions", "tools", "functions", "prompt")


def request_characters(kwargs: Mapping[str, Any]) -> int:
    """Characters of the request's text (never stored: only the count leaves this function)."""
    return sum(text_characters(given(kwargs, name)) for name in _REQUEST_TEXT_ARGUMENTS)


def _estimate(kwargs: Mapping[str, Any], output_characters: int, missing: str) -> Attributes:
    advice = INCLUDE_USAGE_ADVICE if missing == semconv.USAGE_MISSING_STREAM_WITHOUT_USAGE else ABORTED_STREAM_ADVICE
    log_estimate_once(advice)
    usage = estimated_usage(
        input_characters=request_characters(kwargs), output_characters=output_characters, missing=missing
    )
    return to_attributes(usage)


def _delta_characters(delta: Any) -> int:
    characters = 0
    for text in (getattr(delta, "content", None), getattr(delta, "refusal", None)):
        if isinstance(text, str):
            characters += len(text)
    for tool_call in getattr(delta, "tool_calls", None) or ():
        function = getattr(tool_call, "function", None)
        for text in (getattr(function, "name", None), getattr(function, "arguments", None)):
            if isinstance(text, str):
                characters += len(text)
    return characters


def _missing(reason: str) -> dict[str, AttributeValue]:
    return {semconv.USAGE_MISSING: reason}


class ChatStreamAccumulator:
    """``ChatCompletionChunk``s: usage arrives only on the final chunk (empty ``choices``), and only
    when the caller asked for it with ``stream_options={"include_usage": True}``."""

    def __init__(self, kwargs: Mapping[str, Any], *, usage_requested: bool) -> None:
        self._kwargs = kwargs
        self._usage_requested = usage_requested
        self._output_characters = 0
        self._response_id: str | None = None
        self._response_model: str | None = None
        self._finish_reasons: dict[int, str] = {}
        self._usage: dict[str, AttributeValue] = {}

    def observe(self, item: object) -> None:
        self._response_id = self._response_id or getattr(item, "id", None)
        self._response_model = self._response_model or getattr(item, "model", None)
        for choice in getattr(item, "choices", None) or ():
            reason = getattr(choice, "finish_reason", None)
            if isinstance(reason, str) and reason:
                self._finish_reasons[getattr(choice, "index", 0)] = reason
            self._output_characters += _delta_characters(getattr(choice, "delta", None))
        usage = getattr(item, "usage", None)
        if usage is not None:
            self._usage = to_attributes(extractors.chat_usage(usage))

    def result(self, *, completed: bool) -> Attributes:
        attributes: dict[str, AttributeValue] = {}
        if isinstance(self._response_id, str) and self._response_id:
            attributes[semconv.GEN_AI_RESPONSE_ID] = self._response_id
        if isinstance(self._response_model, str) and self._response_model:
            attributes[semconv.GEN_AI_RESPONSE_MODEL] = self._response_model
        if self._finish_reasons:
            attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(
                self._finish_reasons[index] for index in sorted(self._finish_reasons)
            )
        if self._usage:
            attributes.update(self._usage)
        elif not self._usage_requested:
            attributes.update(
                _estimate(self._kwargs, self._output_characters, semconv.USAGE_MISSING_STREAM_WITHOUT_USAGE)
            )
        elif completed:
            attributes.update(_missing(semconv.USAGE_MISSING_NO_USAGE_IN_RESPONSE))
        else:
            attributes.update(_estimate(self._kwargs, self._output_characters, semconv.USAGE_MISSING_STREAM_INCOMPLETE))
        return attributes


class ResponsesStreamAccumulator:
    """Responses API events: the terminal ``response.completed``/``.incomplete``/``.failed`` event
    carries the whole response, usage included."""

    _TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
    _TEXT_DELTA_EVENTS = frozenset(
        {"response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta"}
    )

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._kwargs = kwargs
        self._output_characters = 0
        self._started: dict[str, AttributeValue] = {}
        self._final: dict[str, AttributeValue] | None = None

    def observe(self, item: object) -> None:
        event_type = getattr(item, "type", None)
        if event_type in self._TEXT_DELTA_EVENTS:
            delta = getattr(item, "delta", None)
            if isinstance(delta, str):
                self._output_characters += len(delta)
            return
        response = getattr(item, "response", None)
        if response is None:
            return
        if event_type in self._TERMINAL_EVENTS:
            self._final = extractors.response_attributes(response)
            if event_type == "response.failed":
                error = getattr(response, "error", None)
                code = getattr(error, "code", None)
                self._final[semconv.ERROR_TYPE] = code if isinstance(code, str) and code else semconv.ERROR_TYPE_OTHER
        elif not self._started:
            started = extractors.response_attributes(response)
            started.pop(semconv.USAGE_MISSING, None)
            self._started = started

    def result(self, *, completed: bool) -> Attributes:
        if self._final is not None:
            return {**self._started, **self._final}
        if completed:
            return {**self._started, **_missing(semconv.USAGE_MISSING_NO_USAGE_IN_RESPONSE)}
        estimate = _estimate(self._kwargs, self._output_characters, semconv.USAGE_MISSING_STREAM_INCOMPLETE)
        return {**self._started, **estimate}


class TranscriptionStreamAccumulator:
    """Transcription events: ``transcript.text.done`` carries token usage; the seconds come from the file."""

    def __init__(self, audio_seconds: Callable[[], Attributes]) -> None:
        self._audio_seconds = audio_seconds
        self._usage: dict[str, AttributeValue] = {}

    def observe(self, item: object) -> None:
        if getattr(item, "type", None) == "transcript.text.done":
            self._usage = dict(extractors.transcription_token_attributes(item))

    def result(self, *, completed: bool) -> Attributes:
        attributes: dict[str, AttributeValue] = dict(self._usage)
        attributes.update(self._audio_seconds())
        return attributes


class NoUsageAccumulator:
    """Streams whose usage is fully known from the request (text-to-speech characters)."""

    def observe(self, item: object) -> None:
        pass

    def result(self, *, completed: bool) -> Attributes:
        return {}
