"""Shared expectations for the OpenAI instrumentation tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import openai
from openai.types.chat import ChatCompletionMessageParam

from otel_carbon import semconv
from tests.support.standin import StandinServer, silence_wav

from ..support.otlp_receiver import ExportedSpan

T = TypeVar("T")


class AsyncRunner(Protocol):
    """The ``run_async`` fixture: runs ``scenario(async_client)`` to completion on a fresh event loop."""

    def __call__(self, scenario: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T: ...


OPENAI_MAJOR = int(openai.__version__.split(".")[0])
CHAT_MODEL = "gpt-4o-mini"
PROMPT_TEXT = "How much energy does this question cost?"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": PROMPT_TEXT}]


def assert_attributes(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Same names, same values and same Python types (``1 == 1.0 == True`` would hide a wrong type)."""
    assert actual == expected
    assert {name: type(value) for name, value in actual.items()} == {
        name: type(value) for name, value in expected.items()
    }


def start_attributes(standin: StandinServer, operation: str, model: str) -> dict[str, Any]:
    """What every span carries from its start."""
    address, port = standin.base_url.split("//")[1].split("/")[0].split(":")
    return {
        semconv.GEN_AI_OPERATION_NAME: operation,
        semconv.GEN_AI_PROVIDER_NAME: "openai",
        semconv.GEN_AI_REQUEST_MODEL: model,
        semconv.SERVER_ADDRESS: address,
        semconv.SERVER_PORT: int(port),
    }


def chat_usage_attributes(usage: Any) -> dict[str, Any]:
    """The span attributes a ``CompletionUsage`` from the stand-in must produce."""
    return {
        semconv.GEN_AI_USAGE_INPUT_TOKENS: usage.prompt_tokens,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: usage.completion_tokens,
        semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage.prompt_tokens_details.cached_tokens,
        semconv.GEN_AI_USAGE_AUDIO_INPUT_TOKENS: usage.prompt_tokens_details.audio_tokens,
        semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: usage.completion_tokens_details.reasoning_tokens,
        semconv.GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS: usage.completion_tokens_details.audio_tokens,
        semconv.USAGE_SOURCE: semconv.USAGE_SOURCE_REPORTED,
    }


def responses_usage_attributes(usage: Any) -> dict[str, Any]:
    return {
        semconv.GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
        semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage.input_tokens_details.cached_tokens,
        semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: usage.output_tokens_details.reasoning_tokens,
        semconv.USAGE_SOURCE: semconv.USAGE_SOURCE_REPORTED,
    }


def assert_failed(span: ExportedSpan, error_type: str) -> None:
    assert span.status_code == "ERROR"
    assert span.attributes[semconv.ERROR_TYPE] == error_type


def assert_abandoned(span: ExportedSpan) -> None:
    assert (span.status_code, span.status_message) == ("ERROR", "abandoned stream")
    assert span.attributes[semconv.ERROR_TYPE] == "_OTHER"


def mid_stream_error_type() -> str:
    """What the SDK raises when the connection drops mid-stream: openai 3 wraps the transport error."""
    return "openai.APIConnectionError" if OPENAI_MAJOR >= 3 else "httpx.RemoteProtocolError"


def wav_bytes(seconds: float, sample_rate: int = 8000) -> bytes:
    return silence_wav(seconds, sample_rate)
