"""Duration of an uploaded audio file, read with tinytag (headers and frames, never the samples)."""

from __future__ import annotations

import io
import logging
import math
import os
from typing import Any

from tinytag import TinyTag

_logger = logging.getLogger(__name__)


def audio_duration_seconds(upload: Any) -> float | None:
    """Seconds of audio in an upload as SDKs accept it, or None when it cannot be read.

    Accepts bytes, a path (``str`` or ``os.PathLike``), a seekable binary file object (its
    position is restored afterwards) and the ``(filename, content[, content_type[, headers]])``
    tuple form.
    """
    try:
        return _duration_of(upload)
    except Exception:  # noqa: BLE001 - an unreadable upload is an expected outcome
        _logger.debug("otel-carbon: could not read the audio duration", exc_info=True)
        return None


def _duration_of(upload: Any) -> float | None:
    if isinstance(upload, tuple):
        return _duration_of(upload[1]) if len(upload) >= 2 else None
    if isinstance(upload, (bytes, bytearray, memoryview)):
        return _valid(TinyTag.get(file_obj=io.BytesIO(bytes(upload))).duration)
    if isinstance(upload, (str, os.PathLike)):
        return _valid(TinyTag.get(filename=os.fspath(upload)).duration)
    return _duration_of_file_object(upload)


def _duration_of_file_object(file_object: Any) -> float | None:
    if getattr(file_object, "closed", False):
        return None
    seekable = getattr(file_object, "seekable", None)
    if seekable is None or not seekable():
        return None
    position = file_object.tell()
    try:
        file_object.seek(0)
        return _valid(TinyTag.get(file_obj=file_object).duration)
    finally:
        file_object.seek(position)


def _valid(duration: float | None) -> float | None:
    if duration is None or not math.isfinite(duration) or duration < 0:
        return None
    return float(duration)
