"""Agent and conversation reach GenAI client spans and the metrics: from an enclosing span, baggage or the helper."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import openai
import pytest
from opentelemetry import baggage, context

from otel_carbon import semconv as sc
from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from otel_carbon.processor import CarbonSpanProcessor, genai_context
from otel_carbon.processor.genai_context import MAX_VALUE_LENGTH

from ..support.otlp_receiver import ExportedSpan
from ..support.standin import StandinServer
from ..support.telemetry import Telemetry

CHAT_START = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
}
USAGE = {sc.GEN_AI_USAGE_INPUT_TOKENS: 100, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 20}


def chat(telemetry: Telemetry, **own: str) -> None:
    """A GenAI client span as instrumentations make it: operation at start, usage at the end."""
    tracer = telemetry.tracer_provider.get_tracer("third.party")
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes={**CHAT_START, **own}) as span:
        span.set_attributes(USAGE)


@contextmanager
def enclosing(telemetry: Telemetry, name: str, attributes: dict[str, str]) -> Iterator[None]:
    with telemetry.tracer_provider.get_tracer("a.framework").start_as_current_span(name, attributes=attributes):
        yield


def invoke_agent(telemetry: Telemetry, agent: str = "booking", conversation: str = "c-42") -> object:
    return enclosing(
        telemetry,
        f"invoke_agent {agent}",
        {
            sc.GEN_AI_OPERATION_NAME: "invoke_agent",
            sc.GEN_AI_AGENT_NAME: agent,
            sc.GEN_AI_CONVERSATION_ID: conversation,
        },
    )


def named(telemetry: Telemetry, name: str) -> ExportedSpan:
    (span,) = [span for span in telemetry.spans() if span.name == name]
    return span


def attribution(span: ExportedSpan) -> tuple[object, object]:
    return span.attributes.get(sc.GEN_AI_AGENT_NAME), span.attributes.get(sc.GEN_AI_CONVERSATION_ID)


def test_chat_inherits_agent_and_conversation_from_its_parent_span(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    with invoke_agent(telemetry):
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_chat_inherits_through_a_tool_span(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with (
        invoke_agent(telemetry),
        enclosing(telemetry, "execute_tool search", {sc.GEN_AI_OPERATION_NAME: "execute_tool"}),
    ):
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_chat_inherits_from_a_grandparent_through_a_non_genai_span(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    with invoke_agent(telemetry), enclosing(telemetry, "POST /tools", {"http.request.method": "POST"}):
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")
    assert attribution(named(telemetry, "POST /tools")) == (None, None)


def test_the_nearest_enclosing_value_wins_per_attribute(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with (
        invoke_agent(telemetry, agent="router", conversation="c-1"),
        enclosing(telemetry, "invoke_agent flights", {sc.GEN_AI_AGENT_NAME: "flights"}),
    ):
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("flights", "c-1")


def test_a_value_set_on_the_enclosing_span_after_it_started_is_inherited(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    with telemetry.tracer_provider.get_tracer("a.framework").start_as_current_span("invoke_agent") as agent_span:
        agent_span.set_attribute(sc.GEN_AI_AGENT_NAME, "late-named")
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("late-named", None)


def test_the_spans_own_values_win(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with invoke_agent(telemetry):
        chat(telemetry, **{sc.GEN_AI_AGENT_NAME: "own-agent", sc.GEN_AI_CONVERSATION_ID: "own-conversation"})
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("own-agent", "own-conversation")


def test_roll_up_spans_are_left_untouched(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with (
        invoke_agent(telemetry),
        enclosing(telemetry, "execute_tool search", {sc.GEN_AI_OPERATION_NAME: "execute_tool"}),
        enclosing(telemetry, "invoke_agent inner", {sc.GEN_AI_OPERATION_NAME: "invoke_agent"}),
    ):
        chat(telemetry)
    assert attribution(named(telemetry, "execute_tool search")) == (None, None)
    assert attribution(named(telemetry, "invoke_agent inner")) == (None, None)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_spans_without_an_operation_name_are_left_untouched(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with invoke_agent(telemetry), enclosing(telemetry, "db query", {"db.system.name": "postgresql"}):
        pass
    assert attribution(named(telemetry, "db query")) == (None, None)


def test_chat_takes_agent_and_conversation_from_baggage(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    upstream = baggage.set_baggage(sc.GEN_AI_AGENT_NAME, "from-baggage")
    upstream = baggage.set_baggage(sc.GEN_AI_CONVERSATION_ID, "c-baggage", upstream)
    token = context.attach(upstream)
    try:
        chat(telemetry)
    finally:
        context.detach(token)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("from-baggage", "c-baggage")


def test_an_enclosing_span_wins_over_baggage(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    token = context.attach(baggage.set_baggage(sc.GEN_AI_AGENT_NAME, "from-baggage"))
    try:
        with invoke_agent(telemetry):
            chat(telemetry)
    finally:
        context.detach(token)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_the_helper_names_agent_and_conversation_in_a_with_block(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    with genai_context(agent="booking", conversation_id="c-42"):
        chat(telemetry)
    chat(telemetry)
    first, after = [span for span in telemetry.spans() if span.name == "chat gpt-4o-mini"]
    assert attribution(first) == ("booking", "c-42")
    assert attribution(after) == (None, None)


def test_the_helper_decorates_a_function(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    @genai_context(agent="booking", conversation_id="c-42")
    def answer() -> str:
        chat(telemetry)
        return "done"

    assert answer() == "done"
    assert answer.__name__ == "answer"
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_the_helper_decorates_a_coroutine_function(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    @genai_context(agent="booking", conversation_id="c-42")
    async def answer() -> str:
        await asyncio.sleep(0)
        chat(telemetry)
        return "done"

    assert asyncio.iscoroutinefunction(answer)
    assert asyncio.run(answer()) == "done"
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_the_helper_is_an_async_context_manager(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    async def turn() -> None:
        async with genai_context(agent="booking", conversation_id="c-42"):
            chat(telemetry)

    asyncio.run(turn())
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("booking", "c-42")


def test_nested_helpers_override_what_they_name_and_inherit_the_rest(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    with genai_context(agent="router", conversation_id="c-42"), genai_context(agent="flights"):
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("flights", "c-42")


def test_the_helper_keeps_values_in_process_unless_asked_to_propagate(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    with genai_context(agent="booking", conversation_id="c-42"):
        assert baggage.get_all() == {}
    with genai_context(agent="booking", conversation_id="c-42", propagate=True):
        assert baggage.get_all() == {sc.GEN_AI_AGENT_NAME: "booking", sc.GEN_AI_CONVERSATION_ID: "c-42"}


def test_the_helper_works_without_an_sdk() -> None:
    with genai_context(agent="booking", conversation_id="c-42"):
        pass


def test_copied_values_are_cut_to_a_bound_and_the_enclosing_span_keeps_its_own(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    long_agent, long_conversation = "ä" * 10_000, "c" * 1_000_000
    with invoke_agent(telemetry, agent=long_agent, conversation=long_conversation):
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == (
        "ä" * MAX_VALUE_LENGTH,
        "c" * MAX_VALUE_LENGTH,
    )
    assert attribution(named(telemetry, f"invoke_agent {long_agent}")) == (long_agent, long_conversation)


def test_the_metrics_carry_the_inherited_agent_and_count_its_conversations(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    for conversation in ("c-1", "c-1", "c-2"):
        with invoke_agent(telemetry, agent="booking", conversation=conversation):
            chat(telemetry)
    (energy,) = telemetry.metric_points(sc.METRIC_ENERGY)
    assert energy.attributes[sc.GEN_AI_AGENT_NAME] == "booking"
    assert energy.count == 3
    (conversations,) = telemetry.metric_points(sc.METRIC_CONVERSATIONS)
    assert (conversations.value, conversations.attributes) == (2, {sc.GEN_AI_AGENT_NAME: "booking"})
    for point in telemetry.metric_points():
        assert sc.GEN_AI_CONVERSATION_ID not in point.attributes


def test_the_helper_reaches_the_metrics(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with genai_context(agent="booking", conversation_id="c-7"):
        chat(telemetry)
    (emissions,) = telemetry.metric_points(sc.METRIC_EMISSIONS)
    assert emissions.attributes[sc.GEN_AI_AGENT_NAME] == "booking"
    (conversations,) = telemetry.metric_points(sc.METRIC_CONVERSATIONS)
    assert conversations.value == 1


def test_an_openai_call_under_the_instrumentation_inherits_from_an_invoke_agent_span(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    try:
        with (
            StandinServer() as standin,
            openai.OpenAI(base_url=standin.base_url, api_key="test", max_retries=0) as client,
            invoke_agent(telemetry, agent="booking", conversation="c-42"),
        ):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    finally:
        instrumentor.uninstrument()
    (span,) = [span for span in telemetry.spans() if span.attributes.get(sc.GEN_AI_OPERATION_NAME) == "chat"]
    assert span.scope_name == "otel_carbon.instrumentation.openai"
    assert attribution(span) == ("booking", "c-42")
    (energy,) = telemetry.metric_points(sc.METRIC_ENERGY)
    assert energy.attributes[sc.GEN_AI_AGENT_NAME] == "booking"
    (conversations,) = telemetry.metric_points(sc.METRIC_CONVERSATIONS)
    assert (conversations.value, conversations.attributes) == (1, {sc.GEN_AI_AGENT_NAME: "booking"})


def test_a_span_that_names_only_its_operation_at_start_is_attributed(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    # OpenLLMetry (0.62) starts its chat span with gen_ai.operation.name alone and sets the rest later.
    tracer = telemetry.tracer_provider.get_tracer("opentelemetry.instrumentation.openai.v1")
    with (
        invoke_agent(telemetry),
        tracer.start_as_current_span("openai.chat", attributes={sc.GEN_AI_OPERATION_NAME: "chat"}) as span,
    ):
        span.set_attributes({sc.GEN_AI_SYSTEM: "openai", sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini", **USAGE})
    assert attribution(named(telemetry, "openai.chat")) == ("booking", "c-42")


def test_concurrent_decorated_coroutines_keep_their_own_agent(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    def agent_turn(agent: str) -> Callable[[], Awaitable[None]]:
        @genai_context(agent=agent, conversation_id=f"c-{agent}")
        async def turn() -> None:
            await asyncio.sleep(0)
            chat(telemetry, **{"turn": agent})

        return turn

    async def both() -> None:
        await asyncio.gather(agent_turn("flights")(), agent_turn("hotels")())

    asyncio.run(both())
    by_turn = {span.attributes["turn"]: attribution(span) for span in telemetry.spans()}
    assert by_turn == {"flights": ("flights", "c-flights"), "hotels": ("hotels", "c-hotels")}


def test_no_room_under_the_attribute_limit_leaves_the_spans_own_attributes_whole(
    telemetry: Telemetry, carbon: CarbonSpanProcessor
) -> None:
    own = {**CHAT_START, **{f"app.attribute.{index}": index for index in range(127 - len(CHAT_START))}}
    tracer = telemetry.tracer_provider.get_tracer("third.party")
    with invoke_agent(telemetry), tracer.start_as_current_span("full chat", attributes=own):
        pass
    span = named(telemetry, "full chat")
    assert span.attributes == own


def test_the_helper_bounds_what_it_names(telemetry: Telemetry, carbon: CarbonSpanProcessor) -> None:
    with genai_context(agent="a" * 1000, conversation_id=42):  # type: ignore[arg-type]
        chat(telemetry)
    assert attribution(named(telemetry, "chat gpt-4o-mini")) == ("a" * MAX_VALUE_LENGTH, "42")


def test_the_helper_refuses_to_decorate_a_generator_function() -> None:
    def stream() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match="generator"):
        genai_context(agent="booking")(stream)
