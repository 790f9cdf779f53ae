"""Reading an upload's audio duration in every form the SDKs accept."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from otel_carbon.instrumentation.audio import audio_duration_seconds

from ._expectations import wav_bytes

AUDIO = wav_bytes(2.5)


def test_bytes() -> None:
    assert audio_duration_seconds(AUDIO) == 2.5


def test_path_object_and_string_path(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(AUDIO)

    assert audio_duration_seconds(path) == 2.5
    assert audio_duration_seconds(str(path)) == 2.5


def test_file_object_keeps_its_position() -> None:
    upload = io.BytesIO(AUDIO)
    upload.seek(100)

    assert audio_duration_seconds(upload) == 2.5
    assert upload.tell() == 100


def test_open_file_keeps_its_position_and_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(AUDIO)
    with path.open("rb") as upload:
        upload.read(10)

        assert audio_duration_seconds(upload) == 2.5
        assert (upload.tell(), upload.closed) == (10, False)


@pytest.mark.parametrize(
    "upload",
    [("clip.wav", AUDIO), ("clip.wav", AUDIO, "audio/wav"), ("clip.wav", AUDIO, "audio/wav", {"x-clip": "1"})],
)
def test_tuple_forms_use_their_content(upload: tuple[object, ...]) -> None:
    assert audio_duration_seconds(upload) == 2.5


def test_closed_file_is_unreadable() -> None:
    upload = io.BytesIO(AUDIO)
    upload.close()

    assert audio_duration_seconds(upload) is None


def test_non_seekable_stream_is_left_untouched() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            raise AssertionError("a non-seekable upload must not be read")

    assert audio_duration_seconds(Pipe()) is None


@pytest.mark.parametrize("upload", [b"not audio", b"", None, 42, ("name-only",), "/no/such/file.wav"])
def test_unreadable_uploads_give_none(upload: object) -> None:
    assert audio_duration_seconds(upload) is None
