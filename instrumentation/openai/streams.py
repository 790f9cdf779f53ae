"""Per-API accumulators: what the stream proxies record from the items the caller receives."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv
from otel_carbon.instrumentation._spans import Attributes
from otel_carbon.instrumentation.openai import extractors


def _missing(reason: str) -> dict[str, AttributeValue]:
    return {semconv.USAGE_MISSING: reason}


class ChatStreamAccumulator:
    """``ChatCompletionChunk``s: usage arrives only on the final chunk (empty ``choices``), and only
    when the caller asked for it with ``stream_options={"include_usage": True}``."""

    def __init__(self, *, usage_requested: bool) -> None:
        self._usage_requested = usage_requested
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
        usage = getattr(item, "usage", None)
        if usage is not None:
            self._usage = extractors.chat_usage_attributes(usage)

    def final_attributes(self, *, completed: bool) -> Attributes:
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
            attributes.update(_missing(semconv.USAGE_MISSING_STREAM_WITHOUT_USAGE))
        elif completed:
            attributes.update(_missing(semconv.USAGE_MISSING_NO_USAGE_IN_RESPONSE))
        else:
            attributes.update(_missing(semconv.USAGE_MISSING_STREAM_INCOMPLETE))
        return attributes


class ResponsesStreamAccumulator:
    """Responses API events: the terminal ``response.completed``/``.incomplete``/``.failed`` event
    carries the whole response, usage included."""

    _TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})

    def __init__(self) -> None:
        self._started: dict[str, AttributeValue] = {}
        self._final: dict[str, AttributeValue] | None = None

    def observe(self, item: object) -> None:
        event_type = getattr(item, "type", None)
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

    def final_attributes(self, *, completed: bool) -> Attributes:
        if self._final is not None:
            return {**self._started, **self._final}
        reason = semconv.USAGE_MISSING_NO_USAGE_IN_RESPONSE if completed else semconv.USAGE_MISSING_STREAM_INCOMPLETE
        return {**self._started, **_missing(reason)}


class TranscriptionStreamAccumulator:
    """Transcription events: ``transcript.text.done`` carries token usage; the seconds come from the file."""

    def __init__(self, audio_seconds: Callable[[], Attributes]) -> None:
        self._audio_seconds = audio_seconds
        self._usage: dict[str, AttributeValue] = {}

    def observe(self, item: object) -> None:
        if getattr(item, "type", None) == "transcript.text.done":
            self._usage = extractors.transcription_token_attributes(item)

    def final_attributes(self, *, completed: bool) -> Attributes:
        attributes: dict[str, AttributeValue] = dict(self._usage)
        attributes.update(self._audio_seconds())
        return attributes


class NoUsageAccumulator:
    """Streams whose usage is fully known from the request (text-to-speech characters)."""

    def observe(self, item: object) -> None:
        pass

    def final_attributes(self, *, completed: bool) -> Attributes:
        return {}


class UnreadResponseAccumulator:
    """A ``with_streaming_response`` body the caller read without ``parse()``: we never read it ourselves."""

    def __init__(self, attributes: Attributes) -> None:
        self._attributes = attributes

    def observe(self, item: object) -> None:
        pass

    def final_attributes(self, *, completed: bool) -> Attributes:
        return self._attributes
