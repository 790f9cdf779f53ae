"""Chat completions without streaming: one CLIENT span per call, with the usage OpenAI reported."""

from __future__ import annotations

import openai
import pytest
from openai.types.chat import ChatCompletion

from otel_carbon import semconv
from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import (
    CHAT_MODEL,
    MESSAGES,
    PROMPT_TEXT,
    AsyncRunner,
    assert_attributes,
    assert_failed,
    chat_usage_attributes,
    start_attributes,
)

pytestmark = pytest.mark.usefixtures("instrument_openai")


def _completion_attributes(standin: StandinServer, completion: ChatCompletion) -> dict[str, object]:
    return {
        **start_attributes(standin, "chat", CHAT_MODEL),
        semconv.GEN_AI_RESPONSE_ID: completion.id,
        semconv.GEN_AI_RESPONSE_MODEL: completion.model,
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
        **chat_usage_attributes(completion.usage),
    }


def test_create_emits_one_client_span_named_after_operation_and_model(
    telemetry: Telemetry, client: openai.OpenAI
) -> None:
    client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    span = telemetry.span()
    assert (span.name, span.kind, span.status_code) == ("chat gpt-4o-mini", "CLIENT", "UNSET")
    assert span.scope_name == "otel_carbon.instrumentation.openai"


def test_create_records_request_response_and_usage_attributes(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    completion = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    assert completion.usage is not None and completion.usage.prompt_tokens_details.cached_tokens > 0
    assert_attributes(telemetry.span().attributes, _completion_attributes(standin, completion))


def test_create_returns_the_same_object_an_uninstrumented_call_returns(
    telemetry: Telemetry, client: openai.OpenAI, instrument_openai: OpenAIInstrumentor
) -> None:
    instrumented = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)
    instrument_openai.uninstrument()
    plain = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    assert type(instrumented) is ChatCompletion
    assert instrumented == plain


def test_async_create_records_the_same_attributes(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> ChatCompletion:
        return await async_client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    completion = run_async(scenario)

    assert type(completion) is ChatCompletion
    assert_attributes(telemetry.span().attributes, _completion_attributes(standin, completion))


def test_parse_is_instrumented_although_it_bypasses_create(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    completion = client.chat.completions.parse(model=CHAT_MODEL, messages=MESSAGES)

    assert_attributes(telemetry.span().attributes, _completion_attributes(standin, completion))


def test_async_parse_is_instrumented(telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> ChatCompletion:
        return await async_client.chat.completions.parse(model=CHAT_MODEL, messages=MESSAGES)

    completion = run_async(scenario)

    assert_attributes(telemetry.span().attributes, _completion_attributes(standin, completion))


def test_with_raw_response_reads_usage_from_the_cached_parse(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=MESSAGES)

    assert raw.http_response.status_code == 200
    assert_attributes(telemetry.span().attributes, _completion_attributes(standin, raw.parse()))


def test_with_streaming_response_parsed_by_the_caller_records_usage(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    with client.chat.completions.with_streaming_response.create(model=CHAT_MODEL, messages=MESSAGES) as response:
        completion = response.parse()

    assert_attributes(telemetry.span().attributes, _completion_attributes(standin, completion))


def test_with_streaming_response_never_read_by_us_is_marked_response_not_read(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    with client.chat.completions.with_streaming_response.create(model=CHAT_MODEL, messages=MESSAGES) as response:
        body = response.json()

    assert isinstance(body, dict)
    assert_attributes(
        telemetry.span().attributes,
        {
            **start_attributes(standin, "chat", CHAT_MODEL),
            semconv.USAGE_MISSING: semconv.USAGE_MISSING_RESPONSE_NOT_READ,
        },
    )


def test_rate_limit_error_reaches_the_caller_and_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.fail_next(429)

    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    assert raised.value.status_code == 429
    span = telemetry.span()
    assert_failed(span, "openai.RateLimitError")
    assert span.status_message == str(raised.value)
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in span.attributes


def test_server_error_reaches_the_caller_and_marks_the_span_failed(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    standin.fail_next(500)

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    assert_failed(telemetry.span(), "openai.InternalServerError")


def test_async_rate_limit_error_marks_the_span_failed(
    telemetry: Telemetry, run_async: AsyncRunner, standin: StandinServer
) -> None:
    standin.fail_next(429)

    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        await async_client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    with pytest.raises(openai.RateLimitError):
        run_async(scenario)

    assert_failed(telemetry.span(), "openai.RateLimitError")


def test_no_prompt_or_completion_text_is_recorded(telemetry: Telemetry, client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    recorded = " ".join(str(value) for value in telemetry.span().attributes.values())
    assert PROMPT_TEXT not in recorded
    assert str(completion.choices[0].message.content) not in recorded


def test_parse_cut_off_by_the_token_limit_still_records_the_billed_usage(
    telemetry: Telemetry, client: openai.OpenAI, standin: StandinServer
) -> None:
    with pytest.raises(openai.LengthFinishReasonError) as raised:
        client.chat.completions.parse(model=CHAT_MODEL, messages=MESSAGES, max_completion_tokens=1)

    completion = raised.value.completion
    span = telemetry.span()
    assert_failed(span, "openai.LengthFinishReasonError")
    assert_attributes(
        span.attributes,
        {
            **_completion_attributes(standin, completion),
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("length",),
            semconv.ERROR_TYPE: "openai.LengthFinishReasonError",
        },
    )


def test_async_parse_cut_off_by_the_token_limit_still_records_the_billed_usage(
    telemetry: Telemetry, run_async: AsyncRunner
) -> None:
    async def scenario(async_client: openai.AsyncOpenAI) -> None:
        await async_client.chat.completions.parse(model=CHAT_MODEL, messages=MESSAGES, max_completion_tokens=1)

    with pytest.raises(openai.LengthFinishReasonError):
        run_async(scenario)

    attributes = telemetry.span().attributes
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 1
    assert attributes[semconv.USAGE_SOURCE] == semconv.USAGE_SOURCE_REPORTED
