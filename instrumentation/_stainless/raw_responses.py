"""Proxies for the unparsed responses of ``with_streaming_response`` and ``with_raw_response``.

``with_streaming_response`` hands the caller an ``APIResponse`` whose body has not been read
(for text-to-speech a ``StreamedBinaryAPIResponse``). We never read it ourselves: the span
ends when the caller parses it (usage read from the parsed object), finishes iterating or
reading it, closes it, or drops it unfinished. ``with_raw_response`` on a stream request hands
back a ``LegacyAPIResponse`` whose ``parse()`` yields the stream, which we wrap in turn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

import wrapt

_logger = logging.getLogger(__name__)


class ResponseCompletion(Protocol):
    """How one call ends from its unparsed response; implemented by ``endpoint._Completion``."""

    @property
    def ended(self) -> bool: ...

    def hand_out(self, parsed: Any) -> Any:
        """End the span from a parsed result, or hook a parsed stream; returns what the caller gets."""

    def succeed(self) -> None:
        """End the span although we did not see the parsed body."""

    def fail(self, error: BaseException) -> None: ...

    def abandon(self) -> None: ...


class _TracedResponseBase(wrapt.ObjectProxy):
    def __init__(self, response: Any, completion: ResponseCompletion) -> None:
        super().__init__(response)
        self._self_completion = completion
        self._self_parsed_source: Any = None
        self._self_parsed_result: Any = None

    def _self_hand_out(self, parsed: Any) -> Any:
        # parse() is cached by the SDK; hand out the same traced object for the same parsed one.
        if self._self_parsed_source is not None and parsed is self._self_parsed_source:
            return self._self_parsed_result
        try:
            result = self._self_completion.hand_out(parsed)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not read a parsed response", exc_info=True)
            return parsed
        self._self_parsed_source, self._self_parsed_result = parsed, result
        return result

    def __del__(self) -> None:
        try:
            completion = self._self_completion
            if self._self_parsed_source is None:
                completion.abandon()
        except Exception:  # noqa: BLE001 - never raise from __del__
            pass


class TracedLegacyAPIResponse(_TracedResponseBase):
    """``with_raw_response`` of a stream request: ``parse()`` (sync for both clients) returns the stream."""

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_hand_out(self.__wrapped__.parse(*args, **kwargs))


class TracedAPIResponse(_TracedResponseBase):
    """``with_streaming_response`` on a synchronous client."""

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = self.__wrapped__.parse(*args, **kwargs)
        except BaseException as error:
            self._self_completion.fail(error)
            raise
        return self._self_hand_out(parsed)

    def _self_call_then_end(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = getattr(self.__wrapped__, method)(*args, **kwargs)
        except BaseException as error:
            self._self_completion.fail(error)
            raise
        self._self_completion.succeed()
        return result

    def read(self) -> Any:
        return self._self_call_then_end("read")

    def text(self) -> Any:
        return self._self_call_then_end("text")

    def json(self) -> Any:
        return self._self_call_then_end("json")

    def stream_to_file(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_call_then_end("stream_to_file", *args, **kwargs)

    def write_to_file(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_call_then_end("write_to_file", *args, **kwargs)

    def close(self) -> Any:
        return self._self_call_then_end("close")

    def iter_bytes(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return self._self_iterate(self.__wrapped__.iter_bytes(*args, **kwargs))

    def iter_text(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return self._self_iterate(self.__wrapped__.iter_text(*args, **kwargs))

    def iter_lines(self) -> Iterator[Any]:
        return self._self_iterate(self.__wrapped__.iter_lines())

    def _self_iterate(self, chunks: Iterator[Any]) -> Iterator[Any]:
        completion = self._self_completion
        try:
            yield from chunks
        except GeneratorExit:
            raise  # the caller stopped early; close() ends the span
        except BaseException as error:
            completion.fail(error)
            raise
        completion.succeed()


class TracedAsyncAPIResponse(_TracedResponseBase):
    """``with_streaming_response`` on an asynchronous client."""

    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = await self.__wrapped__.parse(*args, **kwargs)
        except BaseException as error:
            self._self_completion.fail(error)
            raise
        return self._self_hand_out(parsed)

    async def _self_call_then_end(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await getattr(self.__wrapped__, method)(*args, **kwargs)
        except BaseException as error:
            self._self_completion.fail(error)
            raise
        self._self_completion.succeed()
        return result

    async def read(self) -> Any:
        return await self._self_call_then_end("read")

    async def text(self) -> Any:
        return await self._self_call_then_end("text")

    async def json(self) -> Any:
        return await self._self_call_then_end("json")

    async def stream_to_file(self, *args: Any, **kwargs: Any) -> Any:
        return await self._self_call_then_end("stream_to_file", *args, **kwargs)

    async def write_to_file(self, *args: Any, **kwargs: Any) -> Any:
        return await self._self_call_then_end("write_to_file", *args, **kwargs)

    async def close(self) -> Any:
        return await self._self_call_then_end("close")

    def iter_bytes(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._self_iterate(self.__wrapped__.iter_bytes(*args, **kwargs))

    def iter_text(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._self_iterate(self.__wrapped__.iter_text(*args, **kwargs))

    def iter_lines(self) -> AsyncIterator[Any]:
        return self._self_iterate(self.__wrapped__.iter_lines())

    async def _self_iterate(self, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
        completion = self._self_completion
        try:
            async for chunk in chunks:
                yield chunk
        except GeneratorExit:
            raise  # the caller stopped early; close() ends the span
        except BaseException as error:
            completion.fail(error)
            raise
        completion.succeed()
