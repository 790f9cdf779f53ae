"""Usage estimated from what a call showed when the provider reported none (streams without usage,
aborted streams). Only lengths are kept: no content is recorded anywhere."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping

from otel_carbon import semconv
from otel_carbon.semconv.usage import Usage

_logger = logging.getLogger("otel_carbon.instrumentation")

CHARACTERS_PER_TOKEN = 4
"""OpenAI's rule of thumb for English text; METHODOLOGY.md §4 says why the range is widened."""
_NOT_TEXT_KEYS = frozenset({"image_url", "input_audio", "file", "file_data", "image", "audio", "data"})
_MAX_DEPTH = 32

_logged: set[str] = set()
_logged_lock = threading.Lock()


def tokens_from_characters(characters: int) -> int:
    return math.ceil(characters / CHARACTERS_PER_TOKEN) if characters > 0 else 0


def text_characters(value: object, depth: int = 0) -> int:
    """Characters of text in a request structure (messages, input, tools); images, audio and files
    are skipped so that base64 data is not counted as text."""
    if isinstance(value, str):
        return len(value)
    if depth >= _MAX_DEPTH:
        return 0
    if isinstance(value, Mapping):
        return sum(
            text_characters(item, depth + 1)
            for key, item in value.items()
            if not (isinstance(key, str) and key in _NOT_TEXT_KEYS)
        )
    if isinstance(value, (list, tuple)):
        return sum(text_characters(item, depth + 1) for item in value)
    return 0


def estimated_usage(*, input_characters: int, output_characters: int, missing: str | None) -> Usage:
    """Input and output tokens estimated from characters, marked as estimated."""
    return Usage(
        input_tokens=tokens_from_characters(input_characters),
        output_tokens=tokens_from_characters(output_characters),
        missing=missing,
        source=semconv.USAGE_SOURCE_ESTIMATED,
        estimated=("input_tokens", "output_tokens"),
    )


def log_estimate_once(advice: str) -> None:
    """Say once per process (per piece of advice) that usage is being estimated, and how to fix it."""
    with _logged_lock:
        if advice in _logged:
            return
        _logged.add(advice)
    _logger.warning("otel-carbon: %s", advice)
