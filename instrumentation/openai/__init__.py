"""OpenTelemetry instrumentation of the ``openai`` SDK (2.x and 3.x): chat completions, responses,
embeddings, text-to-speech, transcriptions and translations, sync and async.

Usage::

    from otel_carbon.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)

Instrument before creating clients: ``with_raw_response``/``with_streaming_response`` bind the
SDK method when first used. This module is only what to wrap; the kernel does the rest.
"""

from __future__ import annotations

import functools

from otel_carbon import semconv
from otel_carbon.instrumentation._instrumentor import CarbonInstrumentor, Patch, traced_call
from otel_carbon.instrumentation._stainless.endpoint import Api, StainlessEndpoint
from otel_carbon.instrumentation._stainless.streams import exit_patches
from otel_carbon.instrumentation.openai import apis
from otel_carbon.instrumentation.openai.package import _instruments

__all__ = ["OpenAIInstrumentor"]


@functools.lru_cache(maxsize=1)
def _stream_classes() -> tuple[type, type]:
    import openai

    return openai.Stream, openai.AsyncStream


def _endpoint(api: Api) -> StainlessEndpoint:
    return StainlessEndpoint(api, semconv.PROVIDER_OPENAI, _stream_classes)


_CHAT = "openai.resources.chat.completions.completions"
_RESPONSES = "openai.resources.responses.responses"
_EMBEDDINGS = "openai.resources.embeddings"
_SPEECH = "openai.resources.audio.speech"
_TRANSCRIPTIONS = "openai.resources.audio.transcriptions"
_TRANSLATIONS = "openai.resources.audio.translations"

_ENDPOINTS: tuple[tuple[str, tuple[str, ...], Api], ...] = (
    (_CHAT, ("Completions.create", "Completions.parse"), apis.CHAT_COMPLETIONS),
    (_RESPONSES, ("Responses.create", "Responses.parse"), apis.RESPONSES),
    (_EMBEDDINGS, ("Embeddings.create",), apis.EMBEDDINGS),
    (_SPEECH, ("Speech.create",), apis.SPEECH),
    (_TRANSCRIPTIONS, ("Transcriptions.create",), apis.TRANSCRIPTIONS),
    (_TRANSLATIONS, ("Translations.create",), apis.TRANSLATIONS),
)

PATCHES: tuple[Patch, ...] = (
    *(
        traced_call(module, f"{prefix}{target}", _endpoint(api))
        for module, targets, api in _ENDPOINTS
        for target in targets
        for prefix in ("", "Async")
    ),
    *exit_patches("openai._streaming"),
)


class OpenAIInstrumentor(CarbonInstrumentor):
    """Emits a CLIENT span with usage for each OpenAI call; never computes energy."""

    sdk_module = "openai"
    instruments = _instruments
    patches = PATCHES
