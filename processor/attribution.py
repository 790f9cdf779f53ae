"""Agent and conversation for GenAI client spans: carried at span start from where the application put them.

Sources, nearest first, for each of ``gen_ai.agent.name`` and ``gen_ai.conversation.id`` separately:

1. the GenAI span's own attribute at start (never overwritten);
2. the nearest enclosing in-process span that has it (``invoke_agent`` -> ``execute_tool`` -> ``chat``,
   or ``invoke_agent`` -> an HTTP span -> ``chat``): the parent's attributes as they are now, else what
   the parent itself inherited when it started;
3. ``genai_context(...)`` (processor/genai_context.py);
4. W3C baggage under the same keys (``gen_ai.agent.name``, ``gen_ai.conversation.id``).

Values are copied onto spans with a ``gen_ai.operation.name`` that is not a roll-up operation, cut to
``MAX_VALUE_LENGTH`` characters. What each span inherited is remembered in a weak map keyed by the span
object, so memory follows the spans still alive and nothing is kept for applications that name no agent.
Only the OpenTelemetry API and the SDK span's attribute map are touched; no OpenTelemetry SDK import.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry import baggage, context, trace

from otel_carbon import semconv as sc
from otel_carbon.processor.genai_context import GenAIAttribution, bounded_text, current_attribution

_NOTHING = GenAIAttribution(None, None)


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
        own = _attributes_of(span)
        inherited = self._inherit(parent_context)
        if inherited is _NOTHING:
            return
        agent, conversation_id = inherited
        if sc.GEN_AI_AGENT_NAME in own:
            agent = None
        if sc.GEN_AI_CONVERSATION_ID in own:
            conversation_id = None
        if agent is None and conversation_id is None:
            return  # the span names both itself: its children read them from it
        self._inherited[span] = GenAIAttribution(agent, conversation_id)
        operation = own.get(sc.GEN_AI_OPERATION_NAME)
        if type(operation) is str and operation not in sc.ROLLUP_OPERATIONS:
            _copy_onto(span, own, agent, conversation_id)

    def inherited(self, span: object) -> GenAIAttribution | None:
        """What ``span`` inherited at start and did not set itself, for spans that turn out to be GenAI later."""
        return self._inherited.get(span)

    def _inherit(self, parent_context: context.Context | None) -> GenAIAttribution:
        parent = trace.get_current_span(parent_context)
        agent = conversation_id = None
        if parent is not trace.INVALID_SPAN:
            attributes = _attributes_of(parent)
            agent = attributes.get(sc.GEN_AI_AGENT_NAME)
            conversation_id = attributes.get(sc.GEN_AI_CONVERSATION_ID)
            if (agent is None or conversation_id is None) and self._inherited:
                remembered = self._inherited.get(parent)
                if remembered is not None:
                    agent = agent if agent is not None else remembered.agent
                    conversation_id = conversation_id if conversation_id is not None else remembered.conversation_id
        if agent is None or conversation_id is None:
            named = current_attribution(parent_context)
            if named is not None:
                agent = agent if agent is not None else named.agent
                conversation_id = conversation_id if conversation_id is not None else named.conversation_id
        if agent is None or conversation_id is None:
            entries = baggage.get_all(parent_context)
            if entries:
                agent = agent if agent is not None else entries.get(sc.GEN_AI_AGENT_NAME)
                conversation_id = (
                    conversation_id if conversation_id is not None else entries.get(sc.GEN_AI_CONVERSATION_ID)
                )
        if agent is None and conversation_id is None:
            return _NOTHING
        return GenAIAttribution(_bounded(agent), _bounded(conversation_id))


def _bounded(value: object) -> str | None:
    # Only strings are names; a parent's non-string value is not guessed at.
    return bounded_text(value) if type(value) is str else None


def _copy_onto(span: Any, own: Mapping[str, Any], agent: str | None, conversation_id: str | None) -> None:
    copied: dict[str, str] = {}
    if agent is not None:
        copied[sc.GEN_AI_AGENT_NAME] = agent
    if conversation_id is not None:
        copied[sc.GEN_AI_CONVERSATION_ID] = conversation_id
    limit = getattr(getattr(span, "_attributes", None), "maxlen", None)
    if limit is not None and len(own) + len(copied) > limit:
        return  # no room: never evict what the instrumentation set
    span.set_attributes(copied)
