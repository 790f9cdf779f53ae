from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support.otlp_receiver import OtlpReceiver
from .support.telemetry import Telemetry


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture
def telemetry(otlp_receiver: OtlpReceiver) -> Iterator[Telemetry]:
    otlp_receiver.clear()
    telemetry = Telemetry(otlp_receiver)
    try:
        yield telemetry
    finally:
        otlp_receiver.clear()
        telemetry.shutdown()


@pytest.fixture(autouse=True)
def _openai_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
