"""Embeddings: input tokens only."""

from __future__ import annotations

import openai
import pytest
from openai.types import CreateEmbeddingResponse

from otel_carbon import semconv
from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import AsyncRunner, assert_attributes, assert_failed, start_attributes

pytestmark = pytest.mark.usefixtures("instrument_openai")

EMBEDDING_MODEL = "text-embedding-3-small"
TEXTS = ["solar", "wind", "hydro"]


def _embedding_attributes(standin: StandinServer, result: CreateEmbeddingResponse) -> dict[str, object]:
    return {
        **start_attributes(standin, "embeddings", EMBEDDING_MODEL),
        semconv.GEN_AI_RESPONSE_MODEL: result.model,
        semconv.GEN_AI_USAGE_INPUT_TOKENS: result.usage.prompt_tokens,
        semconv.USAGE_SOURCE: semconv.USAGE_SOURCE_REPORTED,
    }


def test_create_records_input_tokens(telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer) -> None:
    result = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)

    span = telemetry.span()
    assert (span.name, span.kind) == ("embeddings text-embedding-3-small", "CLIENT")
    assert len(result.data) == 3
    assert_attributes(span.attributes, _embedding_attributes(standin, result))


def test_create_returns_what_an_uninstrumented_call_returns(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: OpenAIInstrumentor
) -> None:
    instrumented = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)
    instrument_openai.uninstrument()
    plain = client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)

    assert type(instrumented) is CreateEmbeddingResponse
    assert instrumented == plain


def test_async_create_records_input_tokens(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> CreateEmbeddingResponse:
        return await async_client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)

    result = run_async(scenario)

    assert_attributes(telemetry.span().attributes, _embedding_attributes(standin, result))


def test_with_raw_response_records_input_tokens(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    raw = client.embeddings.with_raw_response.create(model=EMBEDDING_MODEL, input=TEXTS)

    assert_attributes(telemetry.span().attributes, _embedding_attributes(standin, raw.parse()))


def test_rate_limit_error_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.fail_next(429)

    with pytest.raises(openai.RateLimitError):
        client.embeddings.create(model=EMBEDDING_MODEL, input=TEXTS)

    assert_failed(telemetry.span(), "openai.RateLimitError")
