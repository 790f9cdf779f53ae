"""One traced stream, sync and async, fed by a per-SDK accumulator.

The user keeps the SDK's own stream object: we replace only the iterator it reads from (see
``_stainless.streams``), so ``type(stream)``, ``stream.response`` and ``iter(stream)`` stay the SDK's.
The span ends:

* when iteration is exhausted (success);
* when iteration raises (error, re-raised unchanged);
* when the stream or its HTTP response is closed (success; error when a ``with`` body raised);
* when an unfinished stream is garbage-collected (error ``_OTHER``, "abandoned stream").

What each chunk means is left to a per-API :class:`Accumulator`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from otel_carbon.instrumentation._call import Attributes, CallSpan

_logger = logging.getLogger(__name__)


class Accumulator(Protocol):
    def observe(self, item: object) -> None:
        """Take note of one item the caller received (never its content, only what usage needs)."""

    def result(self, *, completed: bool) -> Attributes:
        """Attributes for the span's end; ``completed`` is True only when the stream was exhausted."""


class StreamEnding:
    """The call span and accumulator of one stream. It holds no reference to the stream object, so the
    stream can be collected (and report abandonment) while the HTTP response still refers to this."""

    __slots__ = ("call", "accumulator", "iterating", "__weakref__")

    def __init__(self, call: CallSpan, accumulator: Accumulator) -> None:
        self.call = call
        self.accumulator = accumulator
        self.iterating = False
        """True while the SDK's own iterator runs: it closes the response itself when it finishes."""

    def observe(self, item: object) -> None:
        try:
            self.accumulator.observe(item)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not read a stream item", exc_info=True)

    def _result(self, *, completed: bool) -> Attributes:
        try:
            return self.accumulator.result(completed=completed)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not summarise a stream", exc_info=True)
            return {}

    def succeed(self, *, completed: bool) -> None:
        if not self.call.ended:
            self.call.succeed(self._result(completed=completed))

    def fail(self, error: BaseException) -> None:
        if not self.call.ended:
            self.call.fail(error, self._result(completed=False))

    def abandon(self) -> None:
        if not self.call.ended:
            self.call.abandon(self._result(completed=False))

    def closed(self) -> None:
        """The stream or its response was closed by the caller (not by the SDK's iterator finishing)."""
        if not self.iterating:
            self.succeed(completed=False)


def traced_iterator(items: Iterator[Any], ending: StreamEnding) -> Iterator[Any]:
    """Yields what ``items`` yields, observing each; ends the call when ``items`` ends or raises."""
    while True:
        ending.iterating = True
        try:
            item = next(items)
        except StopIteration:
            ending.iterating = False
            ending.succeed(completed=True)
            return
        except BaseException as error:
            ending.iterating = False
            ending.fail(error)
            raise
        ending.iterating = False
        ending.observe(item)
        try:
            yield item
        except GeneratorExit:
            # The stream itself is being collected or closed: closing the SDK's iterator closes the
            # response (its own ``finally``), which is not the caller closing it.
            ending.iterating = True
            try:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
            finally:
                ending.iterating = False
            raise


async def traced_async_iterator(items: AsyncIterator[Any], ending: StreamEnding) -> AsyncIterator[Any]:
    """The asynchronous :func:`traced_iterator`."""
    while True:
        ending.iterating = True
        try:
            item = await items.__anext__()
        except StopAsyncIteration:
            ending.iterating = False
            ending.succeed(completed=True)
            return
        except BaseException as error:
            ending.iterating = False
            ending.fail(error)
            raise
        ending.iterating = False
        ending.observe(item)
        try:
            yield item
        except GeneratorExit:
            ending.iterating = True
            try:
                aclose = getattr(items, "aclose", None)
                if aclose is not None:
                    await aclose()
            finally:
                ending.iterating = False
            raise
