"""A Stainless SDK method as a kernel :class:`~otel_carbon.instrumentation._wrap.Endpoint`: it routes
what the SDK returned (parsed object, stream, raw or streaming response) to the call's end."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_carbon.instrumentation._call import Attributes, CallSpan
from otel_carbon.instrumentation._stainless import client
from otel_carbon.instrumentation._stainless.raw_responses import (
    TracedAPIResponse,
    TracedAsyncAPIResponse,
    TracedLegacyAPIResponse,
)
from otel_carbon.instrumentation._stainless.streams import hook_stream
from otel_carbon.instrumentation._streams import Accumulator
from otel_carbon.instrumentation._wrap import CallStart

_logger = logging.getLogger(__name__)

Kwargs = Mapping[str, Any]


def _nothing(*_: Any) -> Attributes:
    return {}


@dataclass(frozen=True)
class Api:
    """What one SDK method is, and how its results become span attributes (the per-SDK part)."""

    operation_name: str
    request_attributes: Callable[[Kwargs], Attributes]
    """Attributes known before the call (usage known from the request, e.g. TTS characters, included)."""
    result_attributes: Callable[[Any, Kwargs], Attributes]
    """Attributes read from the SDK's parsed (non-stream) result."""
    stream_accumulator: Callable[[Kwargs], Accumulator]
    unread_attributes: Callable[[Kwargs], Attributes]
    """Attributes for a call whose body the caller consumed without us seeing it parsed."""
    failure_attributes: Callable[[BaseException, Kwargs], Attributes] = field(default=_nothing)
    """Attributes an exception still tells (billed usage on a parse failure after a 200)."""


@dataclass(frozen=True)
class StainlessEndpoint:
    api: Api
    provider_name: str
    stream_classes: Callable[[], tuple[type, type]]
    """(sync, async) stream classes of the SDK, imported lazily."""

    def start(self, instance: Any, kwargs: Kwargs) -> CallStart:
        address, port = client.server_address_and_port(instance)
        return CallStart(
            operation_name=self.api.operation_name,
            provider_name=self.provider_name,
            request_model=client.request_model(kwargs),
            server_address=address,
            server_port=port,
            attributes=self.api.request_attributes(kwargs),
        )

    def finish(self, call: CallSpan, result: Any, kwargs: Kwargs) -> Any:
        return _Completion(self, kwargs, call).finish(result)

    def failure_attributes(self, error: BaseException, kwargs: Kwargs) -> Attributes:
        return self.api.failure_attributes(error, kwargs)


class _Completion:
    """Ends one call from whatever the SDK returned (see ``raw_responses.ResponseCompletion``)."""

    __slots__ = ("_endpoint", "_kwargs", "_call", "_stream_accumulator")

    def __init__(self, endpoint: StainlessEndpoint, kwargs: Kwargs, call: CallSpan) -> None:
        self._endpoint = endpoint
        self._kwargs = kwargs
        self._call = call
        self._stream_accumulator: Accumulator | None = None

    def finish(self, result: Any) -> Any:
        if isinstance(result, self._endpoint.stream_classes()):
            return self.hand_out(result)
        mode = client.raw_response_mode(self._kwargs)
        if mode is not None:
            if inspect.iscoroutinefunction(getattr(type(result), "parse", None)):
                return TracedAsyncAPIResponse(result, self)
            if mode == "stream":
                return TracedAPIResponse(result, self)
            if client.is_stream_request(self._kwargs):
                return TracedLegacyAPIResponse(result, self)
            # with_raw_response of a plain request: the body is already read and parse() is cached.
            self._call.succeed(self._endpoint.api.result_attributes(result.parse(), self._kwargs))
            return result
        return self.hand_out(result)

    def hand_out(self, parsed: Any) -> Any:
        """End the call from a parsed result, or hook a parsed stream; returns what the caller gets."""
        sync_stream, async_stream = self._endpoint.stream_classes()
        if isinstance(parsed, (sync_stream, async_stream)):
            self._stream_accumulator = self._endpoint.api.stream_accumulator(self._kwargs)
            return hook_stream(parsed, self._call, self._stream_accumulator, is_async=isinstance(parsed, async_stream))
        self._call.succeed(self._endpoint.api.result_attributes(parsed, self._kwargs))
        return parsed

    def succeed(self) -> None:
        """End the call although we did not see the parsed body."""
        if self._call.ended:
            return
        self._call.succeed(self._summary(stream_first=True))

    def fail(self, error: BaseException) -> None:
        self._call.fail(error)

    def abandon(self) -> None:
        if not self._call.ended:
            self._call.abandon(self._summary(stream_first=False))

    def _summary(self, *, stream_first: bool) -> Attributes:
        try:
            if stream_first and self._stream_accumulator is not None:
                return self._stream_accumulator.result(completed=False)
            return self._endpoint.api.unread_attributes(self._kwargs)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not summarise an unread response", exc_info=True)
            return {}
