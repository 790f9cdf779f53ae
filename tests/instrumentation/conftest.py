from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import openai
import pytest

from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from tests.support.standin import StandinServer

from ..support.telemetry import Telemetry
from ._expectations import AsyncRunner

T = TypeVar("T")


@pytest.fixture(scope="session")
def _standin_server() -> Iterator[StandinServer]:
    with StandinServer() as server:
        yield server


@pytest.fixture
def standin(_standin_server: StandinServer) -> Iterator[StandinServer]:
    _standin_server.reset()
    yield _standin_server
    _standin_server.reset()


@pytest.fixture
def instrumentor() -> Iterator[OpenAIInstrumentor]:
    instrumentor = OpenAIInstrumentor()
    yield instrumentor
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


@pytest.fixture
def instrument_openai(telemetry: Telemetry, instrumentor: OpenAIInstrumentor) -> OpenAIInstrumentor:
    instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    return instrumentor


@pytest.fixture
def client(standin: StandinServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=standin.base_url, api_key="test", max_retries=0) as sync_client:
        yield sync_client


@pytest.fixture
def run_async(standin: StandinServer) -> AsyncRunner:
    """Run ``scenario(async_client)`` on a fresh event loop with a fresh ``AsyncOpenAI`` client."""

    def run(scenario: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
        async def with_client() -> T:
            async with openai.AsyncOpenAI(base_url=standin.base_url, api_key="test", max_retries=0) as async_client:
                return await scenario(async_client)

        return asyncio.run(with_client())

    return run
