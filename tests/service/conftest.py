from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from otel_carbon.processor import CarbonConfig
from otel_carbon.processor.service import ServeConfig
from otel_carbon.processor.service.server import CarbonService

from ..support.otlp_receiver import OtlpReceiver

StartService = Callable[..., CarbonService]


@pytest.fixture
def next_hop() -> Iterator[OtlpReceiver]:
    """A next hop of the test's own, for tests that stop it, delay it or count what reaches it."""
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture
def start_service() -> Iterator[StartService]:
    """Start services on 127.0.0.1:0 with deterministic carbon settings; all are stopped at teardown."""
    services: list[CarbonService] = []

    def start(next_hop: str, **overrides: object) -> CarbonService:
        config = replace(
            ServeConfig(next_hop=next_hop, listen="127.0.0.1:0", next_hop_insecure=True, metrics_interval=3600),
            **overrides,
        )
        service = CarbonService(config, CarbonConfig.from_env({}))
        services.append(service)
        service.start()
        return service

    yield start
    for service in reversed(services):  # a service may be the next hop of one started after it
        service.stop(grace=0)
