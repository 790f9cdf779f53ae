"""Agent and conversation for GenAI client spans: carried at span start from where the application put them.

Sources, nearest first, for each of ``gen_ai.agent.name`` and ``gen_ai.conversation.id`` separately:

1. the GenAI span's own attribute at start (never overwritten);
2. the nearest enclosing in-process span that has it (``invoke_agent`` -> ``execute_tool`` -> ``chat``,
   or ``invoke_agent`` -> an HTTP span -> ``chat``): the parent's attributes as they are now, else what
   the parent itself inherited when it started;
3. ``genai_context(...)`` (processor/genai_context.py);
4. W3C baggage under the same keys (``gen_ai.agent.name``, ``gen_ai.conversation.id``).

Values are copied onto spans with a ``gen_ai.operation.name`` that is not a roll-up operation, cut to
``MAX_VALUE_LENGTH`` characters; their children then read the values from them. What any other span
inherited is remembered in a weak map keyed by the span object, so memory follows the spans still alive
and nothing is kept for applications that name no agent.
Only the OpenTelemetry API and the SDK span's attribute map are touched; no OpenTelemetry SDK import.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry import baggage, context, trace

from otel_carbon import semconv as sc
from otel_carbon.processor.genai_context import GENAI_CONTEXT_KEY, MAX_VALUE_LENGTH, GenAIAttribution

_Inherited = tuple[str | None, str | None]
_NOTHING: _Inherited = (None, None)
# Context keys of the current span and of baggage (stable since opentelemetry-api 1.0): three dict lookups
# per span start instead of get_current_span's abstract isinstance check and a copy of the baggage.
_SPAN_KEY = getattr(trace, "_SPAN_KEY", None)
_BAGGAGE_KEY = getattr(baggage, "_BAGGAGE_KEY", None)


def _attributes_of(span: object) -> Mapping[str, Any]:
    bounded = getattr(span, "_attributes", None)
    # An SDK span's BoundedAttributes: read its plain dict (its get() raises and catches for absent keys).
    raw = getattr(bounded, "_dict", None)
    if raw is not None:
        return raw
    return bounded if isinstance(bounded, Mapping) else {}


class Attribution:
    """Inherits agent and conversation at each span's start and copies them onto GenAI client spans."""

    def __init__(self) -> None:
        self._inherited: weakref.WeakKeyDictionary[object, GenAIAttribution] = weakref.WeakKeyDictionary()

    def on_start(self, span: Any, parent_context: context.Context | None) -> None:
        inherited = self._inherit(parent_context if parent_context is not None else context.get_current())
        if inherited is _NOTHING:
            return
        own = _attributes_of(span)
        agent, conversation_id = inherited
        if sc.GEN_AI_AGENT_NAME in own:
            agent = None
        if sc.GEN_AI_CONVERSATION_ID in own:
            conversation_id = None
        if agent is None and conversation_id is None:
            return  # the span names both itself: its children read them from it
        operation = own.get(sc.GEN_AI_OPERATION_NAME)
        if (
            type(operation) is str
            and operation not in sc.ROLLUP_OPERATIONS
            and _copy_onto(span, agent, conversation_id)
        ):
            return  # its children read the values from its attributes
        self._inherited[span] = GenAIAttribution(agent, conversation_id)

    def _inherit(self, parent_context: Mapping[object, object]) -> _Inherited:
        parent = parent_context.get(_SPAN_KEY) if _SPAN_KEY is not None else trace.get_current_span(parent_context)
        agent = conversation_id = None
        if parent is not None:
            attributes = _attributes_of(parent)
            agent = attributes.get(sc.GEN_AI_AGENT_NAME)
            conversation_id = attributes.get(sc.GEN_AI_CONVERSATION_ID)
            if (agent is None or conversation_id is None) and self._inherited:
                remembered = self._inherited.get(parent)
                if remembered is not None:
                    agent = agent if agent is not None else remembered.agent
                    conversation_id = conversation_id if conversation_id is not None else remembered.conversation_id
        if agent is None or conversation_id is None:
            named = parent_context.get(GENAI_CONTEXT_KEY)
            if isinstance(named, GenAIAttribution):
                agent = agent if agent is not None else named.agent
                conversation_id = conversation_id if conversation_id is not None else named.conversation_id
        if agent is None or conversation_id is None:
            entries = parent_context.get(_BAGGAGE_KEY) if _BAGGAGE_KEY is not None else baggage.get_all(parent_context)
            if entries:
                agent = agent if agent is not None else entries.get(sc.GEN_AI_AGENT_NAME)
                conversation_id = (
                    conversation_id if conversation_id is not None else entries.get(sc.GEN_AI_CONVERSATION_ID)
                )
        if agent is None and conversation_id is None:
            return _NOTHING
        # Only non-empty strings are names (a non-string value is not guessed at), cut to the bound.
        return (
            agent[:MAX_VALUE_LENGTH] if type(agent) is str and agent else None,
            conversation_id[:MAX_VALUE_LENGTH] if type(conversation_id) is str and conversation_id else None,
        )


def _copy_onto(span: Any, agent: str | None, conversation_id: str | None) -> bool:
    """Add the values the span lacks; False when there is no room (never evict the span's own)."""
    copied: dict[str, str] = {}
    if agent is not None:
        copied[sc.GEN_AI_AGENT_NAME] = agent
    if conversation_id is not None:
        copied[sc.GEN_AI_CONVERSATION_ID] = conversation_id
    bounded = getattr(span, "_attributes", None)
    limit = getattr(bounded, "maxlen", None)
    if limit is not None and len(bounded) + len(copied) > limit:
        return False
    raw, lock = getattr(bounded, "_dict", None), getattr(bounded, "_lock", None)
    if type(raw) is not dict or lock is None or getattr(bounded, "_immutable", True) or not span.is_recording():
        span.set_attributes(copied)
        return True
    # Plain bounded strings need none of the SDK's per-value cleaning but its value length limit.
    value_limit = getattr(bounded, "max_value_len", None)
    with lock:
        for key, value in copied.items():
            raw[key] = value if value_limit is None else value[:value_limit]
    return True
