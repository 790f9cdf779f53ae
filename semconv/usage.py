"""What one GenAI call used, as one typed record, and its one codec to and from span attributes.

The instrumentation writes usage only through :func:`to_attributes`; the processor reads it only
through :data:`READ_KEYS` / :func:`from_attributes`, which also accept the spellings other producers
still emit (OpenLLMetry and pre-1.37 GenAI conventions). This module has no dependencies beyond
:mod:`otel_carbon.semconv`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Final

from otel_carbon import semconv as sc

AttributeValue = str | bool | int | float | tuple[str, ...]

_INT_FIELDS: Final = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "reasoning_output_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
    "tts_characters",
)

WRITE_KEYS: Final[Mapping[str, str]] = {
    "input_tokens": sc.GEN_AI_USAGE_INPUT_TOKENS,
    "output_tokens": sc.GEN_AI_USAGE_OUTPUT_TOKENS,
    "cache_read_input_tokens": sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    "cache_write_input_tokens": sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
    "reasoning_output_tokens": sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    "audio_input_tokens": sc.GEN_AI_USAGE_AUDIO_INPUT_TOKENS,
    "audio_output_tokens": sc.GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS,
    "tts_characters": sc.TTS_CHARACTERS,
    "stt_audio_seconds": sc.STT_AUDIO_SECONDS,
}
"""Field -> the one attribute name otel-carbon writes."""

READ_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    **{field: (key,) for field, key in WRITE_KEYS.items()},
    "input_tokens": (sc.GEN_AI_USAGE_INPUT_TOKENS, sc.LEGACY_USAGE_PROMPT_TOKENS),
    "output_tokens": (sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.LEGACY_USAGE_COMPLETION_TOKENS),
    "cache_read_input_tokens": (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, sc.LEGACY_USAGE_CACHE_READ_INPUT_TOKENS),
    "cache_write_input_tokens": (
        sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
        sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        sc.LEGACY_USAGE_CACHE_CREATION_INPUT_TOKENS,
    ),
}
"""Field -> attribute names read, in order of preference (the current spelling first)."""

_FIELD_OF_KEY: Final = {key: field for field, key in WRITE_KEYS.items()}


@dataclass(frozen=True, slots=True)
class Usage:
    """What a call used. None means "not known", which is different from 0."""

    input_tokens: int | None = None
    """All input tokens, cached ones included (the GenAI conventions' definition)."""
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None
    audio_input_tokens: int | None = None
    audio_output_tokens: int | None = None
    tts_characters: int | None = None
    stt_audio_seconds: float | None = None
    stt_audio_seconds_source: str | None = None
    """``response`` (provider-reported) or ``file`` (read from the upload)."""
    missing: str | None = None
    """Why (some of) the usage is not reported, e.g. ``stream_without_usage``."""
    source: str | None = None
    """``reported`` or ``estimated``; None when the record carries no numbers."""
    estimated: tuple[str, ...] = ()
    """The fields (names as in this class) that were estimated rather than reported."""

    @property
    def has_numbers(self) -> bool:
        return any(getattr(self, field) is not None for field in WRITE_KEYS)

    def merged(self, other: Usage) -> Usage:
        """This record with ``other``'s known values taking precedence."""
        known = {field.name: getattr(other, field.name) for field in fields(other)}
        return replace(self, **{name: value for name, value in known.items() if value is not None and value != ()})


def reported(**values: int | float | str | None) -> Usage:
    """A record of provider-reported numbers (``source`` set when any number is known)."""
    usage = Usage(**values)  # type: ignore[arg-type]
    return replace(usage, source=sc.USAGE_SOURCE_REPORTED) if usage.has_numbers else usage


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def to_attributes(usage: Usage) -> dict[str, AttributeValue]:
    """The span attributes of a usage record; unknown values are left out."""
    attributes: dict[str, AttributeValue] = {}
    for field in _INT_FIELDS:
        value = getattr(usage, field)
        if _is_count(value):
            attributes[WRITE_KEYS[field]] = value
    seconds = usage.stt_audio_seconds
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds) and seconds >= 0:
        attributes[sc.STT_AUDIO_SECONDS] = float(seconds)
        if usage.stt_audio_seconds_source:
            attributes[sc.STT_AUDIO_SECONDS_SOURCE] = usage.stt_audio_seconds_source
    if usage.missing:
        attributes[sc.USAGE_MISSING] = usage.missing
    if usage.source:
        attributes[sc.USAGE_SOURCE] = usage.source
    estimated = tuple(WRITE_KEYS[field] for field in usage.estimated if WRITE_KEYS.get(field) in attributes)
    if estimated:
        attributes[sc.USAGE_ESTIMATED] = estimated
    return attributes


def first_present(attributes: Mapping[str, object], field: str) -> tuple[str, object] | None:
    """The (attribute name, raw value) a span gives for ``field``, legacy spellings included."""
    for key in READ_KEYS[field]:
        value = attributes.get(key)
        if value is not None:
            return key, value
    return None


def _text(value: object) -> str | None:
    return value if type(value) is str and value else None


def from_attributes(attributes: Mapping[str, object]) -> Usage:
    """The usage record a span carries. Values of the wrong type are left out (as unknown);
    the processor validates raw values itself through :func:`first_present` to say what was wrong."""
    values: dict[str, object] = {}
    for field in _INT_FIELDS:
        found = first_present(attributes, field)
        if found is not None and _is_count(found[1]):
            values[field] = found[1]
    seconds = attributes.get(sc.STT_AUDIO_SECONDS)
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds) and seconds >= 0:
        values["stt_audio_seconds"] = float(seconds)
        values["stt_audio_seconds_source"] = _text(attributes.get(sc.STT_AUDIO_SECONDS_SOURCE))
    estimated_keys = attributes.get(sc.USAGE_ESTIMATED)
    estimated: tuple[str, ...] = ()
    if isinstance(estimated_keys, (list, tuple)):
        estimated = tuple(
            _FIELD_OF_KEY[key] for key in estimated_keys if isinstance(key, str) and _FIELD_OF_KEY.get(key) in values
        )
    return Usage(
        **values,  # type: ignore[arg-type]
        missing=_text(attributes.get(sc.USAGE_MISSING)),
        source=_text(attributes.get(sc.USAGE_SOURCE)),
        estimated=estimated,
    )


def is_estimated(attributes: Mapping[str, object]) -> bool:
    """True when the span says (some of) its usage was estimated rather than reported."""
    return attributes.get(sc.USAGE_SOURCE) == sc.USAGE_SOURCE_ESTIMATED
