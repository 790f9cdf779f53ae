"""Read and validate what a call used, from a plain mapping of span attributes."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from otel_carbon import semconv as sc
from otel_carbon.semconv import usage as codec

MAX_TOKENS = 100_000_000
MAX_CHARACTERS = 100_000_000
MAX_AUDIO_SECONDS = 7 * 24 * 3600.0

_LLM_OPERATIONS = frozenset({sc.OPERATION_CHAT, sc.OPERATION_TEXT_COMPLETION, sc.OPERATION_GENERATE_CONTENT})
USAGE_KEYS = frozenset(
    (
        *codec.READ_KEYS["input_tokens"],
        *codec.READ_KEYS["output_tokens"],
        *codec.READ_KEYS["tts_characters"],
        *codec.READ_KEYS["stt_audio_seconds"],
    )
)
"""A span carrying none of these has nothing to estimate."""
MAX_COPIED_VALUE_CHARS = 128
"""Longest excerpt of an input value copied into ``otel_carbon.estimate.error``."""
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = MAX_COPIED_VALUE_CHARS


class Usage(NamedTuple):
    """What one call used; built on the hot path, hence a tuple."""

    component: str
    provider: str | None
    model: str | None
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    characters: int = 0
    audio_seconds: float = 0.0
    estimated: bool = False
    """The span says (some of) its usage was estimated, not reported: the range is widened."""


@dataclass(frozen=True, slots=True)
class UsageError:
    """Why no estimate was made; ``message`` names the offending attribute and value."""

    message: str


class _Invalid(Exception):
    pass


def bounded_repr(value: object) -> str:
    """``repr(value)`` cut to :data:`MAX_COPIED_VALUE_CHARS` characters, so a huge input cannot
    make a huge attribute (a span forwarded several times larger than it came in)."""
    try:
        text = _SHORT_REPR.repr(value)  # never builds the whole repr of a huge value
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not break the user's span.end()
        text = f"<{type(value).__name__}>"
    if len(text) > MAX_COPIED_VALUE_CHARS:
        return text[:MAX_COPIED_VALUE_CHARS] + "…"
    return text


def _count(key: str, value: object, maximum: float) -> int:
    if type(value) is int and 0 <= value <= maximum:  # the common case, checked first for speed
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{key}={bounded_repr(value)} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _Invalid(f"{key}={bounded_repr(value)} is not a whole count")
        value = int(value)
    if value < 0:
        raise _Invalid(f"{key}={bounded_repr(value)} is negative")
    if value > maximum:
        raise _Invalid(f"{key}={bounded_repr(value)} exceeds the plausible maximum {int(maximum)}")
    return value


def _seconds(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{key}={bounded_repr(value)} is not a number")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise _Invalid(f"{key}={bounded_repr(value)} is not a finite non-negative number")
    if seconds > MAX_AUDIO_SECONDS:
        raise _Invalid(f"{key}={bounded_repr(value)} exceeds the plausible maximum {int(MAX_AUDIO_SECONDS)} s")
    return seconds


def _tokens(attributes: Mapping[str, object], field: str) -> int:
    found = codec.first_present(attributes, field)
    return _count(found[0], found[1], MAX_TOKENS) if found else 0


def _text(attributes: Mapping[str, object], key: str) -> str | None:
    value = attributes.get(key)
    return value if type(value) is str and value else None


def _component(operation: str | None, attributes: Mapping[str, object]) -> str:
    if operation in _LLM_OPERATIONS:
        return sc.COMPONENT_LLM
    if operation == sc.OPERATION_TEXT_TO_SPEECH or (operation is None and sc.TTS_CHARACTERS in attributes):
        return sc.COMPONENT_TTS
    if operation == sc.OPERATION_SPEECH_TO_TEXT or (operation is None and sc.STT_AUDIO_SECONDS in attributes):
        return sc.COMPONENT_STT
    if operation == sc.OPERATION_EMBEDDINGS:
        return sc.COMPONENT_EMBEDDING
    return sc.COMPONENT_LLM


def parse_usage(attributes: Mapping[str, object]) -> Usage | UsageError | None:
    """The usage a span reports, a reason it cannot be used, or None when it reports none.

    Spans of roll-up operations (agents, tools, workflows) return None: their children carry the usage.
    """
    get = attributes.get
    operation = _text(attributes, sc.GEN_AI_OPERATION_NAME)
    if operation in sc.ROLLUP_OPERATIONS:
        return None
    component = _component(operation, attributes)
    provider = _text(attributes, sc.GEN_AI_PROVIDER_NAME) or _text(attributes, sc.GEN_AI_SYSTEM)
    model = _text(attributes, sc.GEN_AI_RESPONSE_MODEL) or _text(attributes, sc.GEN_AI_REQUEST_MODEL)
    estimated = codec.is_estimated(attributes)
    try:
        if component == sc.COMPONENT_TTS:
            value = get(sc.TTS_CHARACTERS)
            if value is None:
                return UsageError(f"{sc.TTS_CHARACTERS} is missing on a {operation} span")
            characters = _count(sc.TTS_CHARACTERS, value, MAX_CHARACTERS)
            return Usage(component, provider, model, characters=characters, estimated=estimated)
        if component == sc.COMPONENT_STT:
            value = get(sc.STT_AUDIO_SECONDS)
            if value is None:
                return UsageError(f"{sc.STT_AUDIO_SECONDS} is missing on a {operation} span")
            seconds = _seconds(sc.STT_AUDIO_SECONDS, value)
            return Usage(component, provider, model, audio_seconds=seconds, estimated=estimated)
        input_found = codec.first_present(attributes, "input_tokens")
        output_found = codec.first_present(attributes, "output_tokens")
        if input_found is None and output_found is None:
            return None
        input_tokens = _count(*input_found, MAX_TOKENS) if input_found else 0
        output_tokens = _count(*output_found, MAX_TOKENS) if output_found else 0
        cached = _tokens(attributes, "cache_read_input_tokens")
        _tokens(attributes, "cache_write_input_tokens")  # validated; cache writes are ordinary input work
    except _Invalid as invalid:
        return UsageError(str(invalid))
    if cached > input_tokens:
        return UsageError(
            f"{sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS}={cached} exceeds "
            f"{sc.GEN_AI_USAGE_INPUT_TOKENS}={input_tokens}, which must include cached tokens"
        )
    return Usage(component, provider, model, input_tokens, cached, output_tokens, estimated=estimated)
