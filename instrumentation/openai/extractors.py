"""Pure functions from OpenAI request arguments and SDK results to span attributes.

Everything is read with ``getattr``: the SDK's models differ between majors (openai 3 uses
httpx2, openai 2 httpx), and OpenAI-compatible servers leave fields out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv
from otel_carbon.instrumentation._spans import Attributes

_SENTINEL_TYPE_NAMES = frozenset({"NotGiven", "Omit"})
_DEFAULT_PORTS = {"https": 443, "http": 80}


def is_given(value: Any) -> bool:
    """False for None and the SDK's ``NOT_GIVEN``/``omit`` sentinels."""
    return value is not None and type(value).__name__ not in _SENTINEL_TYPE_NAMES


def given(kwargs: Mapping[str, Any], name: str) -> Any:
    value = kwargs.get(name)
    return value if is_given(value) else None


def request_model(kwargs: Mapping[str, Any]) -> str | None:
    model = given(kwargs, "model")
    return model if isinstance(model, str) and model else None


def is_stream_request(kwargs: Mapping[str, Any]) -> bool:
    return given(kwargs, "stream") is True


def raw_response_mode(kwargs: Mapping[str, Any]) -> str | None:
    """The ``X-Stainless-Raw-Response`` header value set by ``with_raw_response`` ("true"/"raw")
    or ``with_streaming_response`` ("stream"), or None for a plain call."""
    headers = given(kwargs, "extra_headers")
    if not isinstance(headers, Mapping):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "x-stainless-raw-response":
            return value if isinstance(value, str) else None
    return None


def server_address_and_port(instance: Any) -> tuple[str | None, int | None]:
    """Host and (non-default) port of the client's ``base_url``."""
    base_url = getattr(getattr(instance, "_client", None), "base_url", None)
    host = getattr(base_url, "host", None)
    if not isinstance(host, str) or not host:
        return None, None
    port = getattr(base_url, "port", None)
    scheme = getattr(base_url, "scheme", None)
    default_port = _DEFAULT_PORTS.get(scheme) if isinstance(scheme, str) else None
    if not isinstance(port, int) or isinstance(port, bool) or port == default_port:
        return host, None
    return host, port


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


def chat_usage_attributes(usage: Any) -> dict[str, AttributeValue]:
    """``CompletionUsage`` (chat completions, embeddings); ``prompt_tokens`` already counts cached ones."""
    attributes: dict[str, AttributeValue] = {}
    _put_int(attributes, semconv.GEN_AI_USAGE_INPUT_TOKENS, getattr(usage, "prompt_tokens", None))
    _put_int(attributes, semconv.GEN_AI_USAGE_OUTPUT_TOKENS, getattr(usage, "completion_tokens", None))
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    _put_int(attributes, semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, getattr(prompt_details, "cached_tokens", None))
    _put_int(
        attributes, semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, getattr(prompt_details, "cache_write_tokens", None)
    )
    _put_int(attributes, semconv.GEN_AI_USAGE_AUDIO_INPUT_TOKENS, getattr(prompt_details, "audio_tokens", None))
    completion_details = getattr(usage, "completion_tokens_details", None)
    _put_int(
        attributes, semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, getattr(completion_details, "reasoning_tokens", None)
    )
    _put_int(attributes, semconv.GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS, getattr(completion_details, "audio_tokens", None))
    return attributes


def responses_usage_attributes(usage: Any) -> dict[str, AttributeValue]:
    """``ResponseUsage`` (Responses API) and ``UsageTokens`` (gpt-4o transcription)."""
    attributes: dict[str, AttributeValue] = {}
    _put_int(attributes, semconv.GEN_AI_USAGE_INPUT_TOKENS, getattr(usage, "input_tokens", None))
    _put_int(attributes, semconv.GEN_AI_USAGE_OUTPUT_TOKENS, getattr(usage, "output_tokens", None))
    input_details = getattr(usage, "input_tokens_details", None) or getattr(usage, "input_token_details", None)
    _put_int(attributes, semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, getattr(input_details, "cached_tokens", None))
    _put_int(
        attributes, semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, getattr(input_details, "cache_write_tokens", None)
    )
    _put_int(attributes, semconv.GEN_AI_USAGE_AUDIO_INPUT_TOKENS, getattr(input_details, "audio_tokens", None))
    output_details = getattr(usage, "output_tokens_details", None)
    _put_int(
        attributes, semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, getattr(output_details, "reasoning_tokens", None)
    )
    return attributes


def _with_usage(attributes: dict[str, AttributeValue], usage_attributes: Attributes) -> dict[str, AttributeValue]:
    if semconv.GEN_AI_USAGE_INPUT_TOKENS in usage_attributes:
        attributes.update(usage_attributes)
    else:
        attributes[semconv.USAGE_MISSING] = semconv.USAGE_MISSING_NO_USAGE_IN_RESPONSE
    return attributes


def chat_completion_attributes(completion: Any) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    _put_str(attributes, semconv.GEN_AI_RESPONSE_ID, getattr(completion, "id", None))
    _put_str(attributes, semconv.GEN_AI_RESPONSE_MODEL, getattr(completion, "model", None))
    reasons = finish_reasons(getattr(completion, "choices", None) or ())
    if reasons:
        attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    return _with_usage(attributes, chat_usage_attributes(getattr(completion, "usage", None)))


def response_attributes(response: Any) -> dict[str, AttributeValue]:
    """A Responses API ``Response`` (also the one inside ``response.completed`` stream events)."""
    attributes: dict[str, AttributeValue] = {}
    _put_str(attributes, semconv.GEN_AI_RESPONSE_ID, getattr(response, "id", None))
    _put_str(attributes, semconv.GEN_AI_RESPONSE_MODEL, getattr(response, "model", None))
    return _with_usage(attributes, responses_usage_attributes(getattr(response, "usage", None)))


def embedding_attributes(result: Any) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    _put_str(attributes, semconv.GEN_AI_RESPONSE_MODEL, getattr(result, "model", None))
    usage_attributes = chat_usage_attributes(getattr(result, "usage", None))
    return _with_usage(attributes, usage_attributes)


def speech_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {semconv.GEN_AI_OUTPUT_TYPE: semconv.OUTPUT_TYPE_SPEECH}
    text = given(kwargs, "input")
    if isinstance(text, str):
        attributes[semconv.TTS_CHARACTERS] = len(text)
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
    return responses_usage_attributes(usage)


def audio_seconds_attributes(seconds: float | None, source: str) -> dict[str, AttributeValue]:
    if seconds is None:
        return {semconv.USAGE_MISSING: semconv.USAGE_MISSING_AUDIO_UNREADABLE}
    return {semconv.STT_AUDIO_SECONDS: seconds, semconv.STT_AUDIO_SECONDS_SOURCE: source}
