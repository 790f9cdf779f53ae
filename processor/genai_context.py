"""``genai_context``: name the agent and conversation of the GenAI calls made inside a block or function.

For applications whose framework sets neither ``gen_ai.agent.name`` nor ``gen_ai.conversation.id`` on an
enclosing span. Only the OpenTelemetry API is used: without an SDK (or without the carbon processor) the
helper costs a context switch and does nothing else. The carbon processor reads the values at each span's
start and copies them onto GenAI client spans (processor/attribution.py).

By default the values stay in the process (a private context key): a conversation id is not sent to
other services. ``propagate=True`` also puts them in W3C baggage, under the same keys as the span
attributes, so that instrumented downstream services attribute their calls too.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple, TypeVar

from opentelemetry import baggage, context

from otel_carbon import semconv as sc

MAX_VALUE_LENGTH = 256
"""Characters kept of an agent name or conversation id copied onto a span (longer values are cut)."""

_Function = TypeVar("_Function", bound=Callable[..., Any])


class GenAIAttribution(NamedTuple):
    """An agent name and conversation id in the context; None where not given (an outer value applies)."""

    agent: str | None
    conversation_id: str | None


GENAI_CONTEXT_KEY = context.create_key("otel_carbon.genai_context")


def current_attribution(parent_context: context.Context | None = None) -> GenAIAttribution | None:
    """What the innermost ``genai_context`` names in ``parent_context`` (default: the current context)."""
    value = context.get_value(GENAI_CONTEXT_KEY, parent_context)
    return value if isinstance(value, GenAIAttribution) else None


def bounded_text(value: object) -> str | None:
    """``value`` as a non-empty string of at most ``MAX_VALUE_LENGTH`` characters, or None."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    return text[:MAX_VALUE_LENGTH] or None


class genai_context:  # noqa: N801 - used like contextlib's lower-case context managers
    """Context manager and decorator naming the agent and conversation of the GenAI calls inside it.

    ::

        with genai_context(agent="booking", conversation_id="c-42"):
            client.chat.completions.create(...)

        @genai_context(agent="booking")
        async def answer(question: str) -> str: ...

    As a decorator it wraps functions and coroutine functions; a generator function is refused (a
    context attached across ``yield`` would leak into the caller): use ``with`` inside it. Nested blocks override what they
    name and inherit the rest. A value set on an enclosing span
    (for example an ``invoke_agent`` span's ``gen_ai.agent.name``) wins over this helper, which
    wins over baggage; a GenAI span's own value always wins.
    """

    def __init__(
        self, agent: str | None = None, conversation_id: str | None = None, *, propagate: bool = False
    ) -> None:
        self._agent = bounded_text(agent)
        self._conversation_id = bounded_text(conversation_id)
        self._propagate = propagate
        self._tokens: list[object] = []

    def __enter__(self) -> genai_context:
        self._tokens.append(context.attach(self._context()))
        return self

    def __exit__(
        self, error_type: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        context.detach(self._tokens.pop())  # type: ignore[arg-type]

    async def __aenter__(self) -> genai_context:
        return self.__enter__()

    async def __aexit__(
        self, error_type: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.__exit__(error_type, error, traceback)

    def __call__(self, function: _Function) -> _Function:
        if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
            raise TypeError("genai_context cannot decorate a generator function: use `with genai_context(...)` in it")
        # Each call attaches its own context, so one decorated function may run concurrently.
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                token = context.attach(self._context())
                try:
                    return await function(*args, **kwargs)
                finally:
                    context.detach(token)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            token = context.attach(self._context())
            try:
                return function(*args, **kwargs)
            finally:
                context.detach(token)

        return run  # type: ignore[return-value]

    def _context(self) -> context.Context:
        outer = current_attribution()
        agent, conversation_id = self._agent, self._conversation_id
        if outer is not None:
            agent = agent or outer.agent
            conversation_id = conversation_id or outer.conversation_id
        new_context = context.set_value(GENAI_CONTEXT_KEY, GenAIAttribution(agent, conversation_id))
        if self._propagate:
            if self._agent is not None:
                new_context = baggage.set_baggage(sc.GEN_AI_AGENT_NAME, self._agent, new_context)
            if self._conversation_id is not None:
                new_context = baggage.set_baggage(sc.GEN_AI_CONVERSATION_ID, self._conversation_id, new_context)
        return new_context
