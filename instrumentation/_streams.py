"""Proxies that end a call's span exactly once while the caller consumes a stream.

The proxies subclass ``wrapt.ObjectProxy`` so ``isinstance(proxy, openai.Stream)`` holds,
attributes pass through and ``with``/``close()`` keep working. The span ends:

* when iteration is exhausted (success);
* when iteration raises (error, re-raised unchanged);
* on ``close()``/``aclose()``/``__exit__``/``__aexit__`` after the underlying stream is closed
  (success, or error when the ``with`` body raised);
* when the HTTP response is closed through ``stream.response`` (what the SDK's ``.stream()``
  helpers do on early exit);
* when an unfinished stream is garbage-collected (error ``_OTHER``, "abandoned stream").

What each chunk means is left to a per-API :class:`StreamAccumulator`.
"""

from __future__ import annotations

import inspect
import logging
from types import TracebackType
from typing import Any, Protocol

import wrapt

from otel_carbon.instrumentation._spans import Attributes, CallSpan

_logger = logging.getLogger(__name__)


class StreamAccumulator(Protocol):
    def observe(self, item: object) -> None:
        """Take note of one item the caller received."""

    def final_attributes(self, *, completed: bool) -> Attributes:
        """Attributes for the span's end; ``completed`` is True only when the stream was exhausted."""


class _StreamEnding:
    """The call span and accumulator of one stream, shared by the stream proxy and its response watcher.

    It holds no reference to the proxy, so the proxy can be collected (and report abandonment)
    while something else still holds the watcher.
    """

    __slots__ = ("call", "accumulator")

    def __init__(self, call: CallSpan, accumulator: StreamAccumulator) -> None:
        self.call = call
        self.accumulator = accumulator

    def observe(self, item: object) -> None:
        try:
            self.accumulator.observe(item)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not read a stream item", exc_info=True)

    def attributes(self, *, completed: bool) -> Attributes:
        try:
            return self.accumulator.final_attributes(completed=completed)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not summarise a stream", exc_info=True)
            return {}

    def succeed(self, *, completed: bool) -> None:
        if not self.call.ended:
            self.call.end(self.attributes(completed=completed))

    def fail(self, error: BaseException) -> None:
        if not self.call.ended:
            self.call.end_with_error(error, self.attributes(completed=False))

    def abandon(self) -> None:
        if not self.call.ended:
            self.call.end_abandoned(self.attributes(completed=False))

    def end_after_exit(self, error: BaseException | None) -> None:
        if error is None:
            self.succeed(completed=False)
        else:
            self.fail(error)


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class _ResponseCloseWatcher(wrapt.ObjectProxy):
    """Stands in for ``stream.response`` so that closing the HTTP response ends the span."""

    def __init__(self, response: Any, ending: _StreamEnding) -> None:
        super().__init__(response)
        self._self_ending = ending

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_ending.succeed(completed=False)

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_ending.succeed(completed=False)


class _TracedStreamBase(wrapt.ObjectProxy):
    def __init__(self, stream: Any, call: CallSpan, accumulator: StreamAccumulator) -> None:
        super().__init__(stream)
        self._self_ending = _StreamEnding(call, accumulator)
        self._self_response_watcher: _ResponseCloseWatcher | None = None

    @property
    def response(self) -> Any:
        if self._self_response_watcher is None:
            self._self_response_watcher = _ResponseCloseWatcher(self.__wrapped__.response, self._self_ending)
        return self._self_response_watcher

    def __del__(self) -> None:
        try:
            ending = self._self_ending
        except Exception:  # noqa: BLE001 - __init__ did not finish
            return
        try:
            ending.abandon()
        except Exception:  # noqa: BLE001 - never raise from __del__
            pass


class TracedStream(_TracedStreamBase):
    """A synchronous stream (``openai.Stream``) that ends its call's span exactly once."""

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        try:
            item = self.__wrapped__.__next__()
        except StopIteration:
            self._self_ending.succeed(completed=True)
            raise
        except BaseException as error:
            self._self_ending.fail(error)
            raise
        self._self_ending.observe(item)
        return item

    def __enter__(self) -> TracedStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, traceback)
        finally:
            self._self_ending.end_after_exit(exc)

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_ending.succeed(completed=False)


class TracedAsyncStream(_TracedStreamBase):
    """An asynchronous stream (``openai.AsyncStream``) that ends its call's span exactly once."""

    def __aiter__(self) -> TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_ending.succeed(completed=True)
            raise
        except BaseException as error:
            self._self_ending.fail(error)
            raise
        self._self_ending.observe(item)
        return item

    async def __aenter__(self) -> TracedAsyncStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, traceback)
        finally:
            self._self_ending.end_after_exit(exc)

    async def close(self) -> Any:
        try:
            return await _maybe_await(self.__wrapped__.close())
        finally:
            self._self_ending.succeed(completed=False)

    async def aclose(self) -> Any:
        stream = self.__wrapped__
        closer = getattr(stream, "aclose", None) or stream.close
        try:
            return await _maybe_await(closer())
        finally:
            self._self_ending.succeed(completed=False)
