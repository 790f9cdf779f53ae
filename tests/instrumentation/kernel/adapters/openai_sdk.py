"""The openai SDK in the kernel suite, against the OpenAI stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai

from otel_carbon.instrumentation.openai import OpenAIInstrumentor
from tests.support.standin import StandinServer

from . import KernelAdapter

_MESSAGES: list[Any] = [{"role": "user", "content": "How much energy does this cost?"}]


class _Session:
    def __init__(self, server: StandinServer, client: openai.OpenAI) -> None:
        self.server = server
        self.client = client


@contextmanager
def _session() -> Iterator[_Session]:
    with StandinServer() as server, openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
        yield _Session(server, client)


def _call(session: _Session) -> Any:
    return session.client.chat.completions.create(model="gpt-4o-mini", messages=_MESSAGES)


def _failing_call(session: _Session) -> Any:
    session.server.fail_next(500)
    return session.client.chat.completions.create(model="gpt-4o-mini", messages=_MESSAGES)


def _open_stream(session: _Session) -> Any:
    stream = session.client.chat.completions.create(
        model="gpt-4o-mini", messages=_MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    next(stream)
    return stream


ADAPTER = KernelAdapter(
    name="openai",
    instrumentor=OpenAIInstrumentor,
    session=_session,
    call=_call,
    failing_call=_failing_call,
    open_stream=_open_stream,
    read_rest=list,
    error_type="openai.InternalServerError",
)
