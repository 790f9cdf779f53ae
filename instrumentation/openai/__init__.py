"""OpenTelemetry instrumentation of the ``openai`` SDK (2.x and 3.x): chat completions, responses,
embeddings, text-to-speech, transcriptions and translations, sync and async.

Usage::

    from otel_carbon.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)

Instrument before creating clients: ``with_raw_response``/``with_streaming_response`` bind the
SDK method when first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import get_tracer
from wrapt import wrap_function_wrapper

from otel_carbon import semconv
from otel_carbon.instrumentation.openai import wrappers
from otel_carbon.instrumentation.openai.package import _instruments
from otel_carbon.semconv.version import __version__

__all__ = ["OpenAIInstrumentor"]

_CHAT = "openai.resources.chat.completions.completions"
_RESPONSES = "openai.resources.responses.responses"
_EMBEDDINGS = "openai.resources.embeddings"
_SPEECH = "openai.resources.audio.speech"
_TRANSCRIPTIONS = "openai.resources.audio.transcriptions"
_TRANSLATIONS = "openai.resources.audio.translations"

_WRAPPED_METHODS: tuple[tuple[str, str, Callable[[wrappers.WrapperContext], Any]], ...] = (
    (_CHAT, "Completions.create", wrappers.chat_completions),
    (_CHAT, "AsyncCompletions.create", wrappers.async_chat_completions),
    (_CHAT, "Completions.parse", wrappers.chat_completions),
    (_CHAT, "AsyncCompletions.parse", wrappers.async_chat_completions),
    (_RESPONSES, "Responses.create", wrappers.responses),
    (_RESPONSES, "AsyncResponses.create", wrappers.async_responses),
    (_RESPONSES, "Responses.parse", wrappers.responses),
    (_RESPONSES, "AsyncResponses.parse", wrappers.async_responses),
    (_EMBEDDINGS, "Embeddings.create", wrappers.embeddings),
    (_EMBEDDINGS, "AsyncEmbeddings.create", wrappers.async_embeddings),
    (_SPEECH, "Speech.create", wrappers.speech),
    (_SPEECH, "AsyncSpeech.create", wrappers.async_speech),
    (_TRANSCRIPTIONS, "Transcriptions.create", wrappers.transcriptions),
    (_TRANSCRIPTIONS, "AsyncTranscriptions.create", wrappers.async_transcriptions),
    (_TRANSLATIONS, "Translations.create", wrappers.translations),
    (_TRANSLATIONS, "AsyncTranslations.create", wrappers.async_translations),
)


def _owner_and_method(module_name: str, target: str) -> tuple[Any, str] | None:
    """The class holding ``target`` ("Class.method") if this openai version has it."""
    class_name, method_name = target.split(".")
    try:
        owner = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return None
    return (owner, method_name) if hasattr(owner, method_name) else None


class OpenAIInstrumentor(BaseInstrumentor):
    """Emits a CLIENT span with usage for each OpenAI call; never computes energy."""

    _context: wrappers.WrapperContext | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        import openai  # noqa: F401 - a missing SDK must raise ModuleNotFoundError here

        tracer = get_tracer(
            __name__,
            __version__,
            tracer_provider=kwargs.get("tracer_provider"),
            schema_url=semconv.SCHEMA_URL,
        )
        context = wrappers.WrapperContext(tracer=tracer)
        for module_name, target, wrapper_factory in _WRAPPED_METHODS:
            if _owner_and_method(module_name, target) is not None:
                wrap_function_wrapper(module_name, target, wrapper_factory(context))
        self._context = context

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._context is not None:
            self._context.active = False
            self._context = None
        for module_name, target, _ in _WRAPPED_METHODS:
            found = _owner_and_method(module_name, target)
            if found is not None:
                unwrap(*found)
