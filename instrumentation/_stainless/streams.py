"""Hooking a Stainless ``Stream``/``AsyncStream`` instance without replacing it.

The SDK's ``__next__``/``__iter__`` read ``self._iterator``; we put a traced iterator there. Closing
goes through ``stream.response.close()``/``aclose()`` (also what the ``.stream()`` helpers call), which
we hook on that response instance. ``with`` blocks that raise are seen by a class-level hook of
``__exit__``/``__aexit__`` (see :func:`exit_patches`). Type, identity and iterator semantics stay
the SDK's: ``iter(stream)`` is the SDK's fresh generator, and closing it leaves the response open.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from otel_carbon.instrumentation._call import CallSpan
from otel_carbon.instrumentation._instrumentor import Patch
from otel_carbon.instrumentation._streams import (
    Accumulator,
    StreamEnding,
    traced_async_iterator,
    traced_iterator,
)
from otel_carbon.instrumentation._wrap import Wrapper, WrapperState

_logger = logging.getLogger(__name__)

_ENDINGS: weakref.WeakKeyDictionary[Any, StreamEnding] = weakref.WeakKeyDictionary()


def hook_stream(stream: Any, call: CallSpan, accumulator: Accumulator, *, is_async: bool) -> Any:
    """Trace ``stream`` in place and return it (the same object)."""
    ending = StreamEnding(call, accumulator)
    if is_async:
        stream._iterator = traced_async_iterator(stream._iterator, ending)
        _hook_async_close(stream.response, ending)
    else:
        stream._iterator = traced_iterator(stream._iterator, ending)
        _hook_close(stream.response, ending)
    _ENDINGS[stream] = ending
    weakref.finalize(stream, ending.abandon).atexit = False
    return stream


def _hook_close(response: Any, ending: StreamEnding) -> None:
    close = response.close

    def close_and_end() -> Any:
        try:
            return close()
        finally:
            ending.closed()

    response.close = close_and_end


def _hook_async_close(response: Any, ending: StreamEnding) -> None:
    aclose = response.aclose

    async def aclose_and_end() -> Any:
        try:
            return await aclose()
        finally:
            ending.closed()

    response.aclose = aclose_and_end


def _record_with_block_error(args: tuple[Any, ...], instance: Any) -> None:
    try:
        ending = _ENDINGS.get(instance)
        error = args[1] if len(args) >= 2 else None
        if ending is not None and isinstance(error, BaseException):
            ending.fail(error)
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not read a stream's with-block exit", exc_info=True)


def _exit_wrapper(state: WrapperState, original: Callable[..., Any]) -> Wrapper:
    def exit_stream(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if state.active:
            _record_with_block_error(args, instance)
        return wrapped(*args, **kwargs)

    return exit_stream


def _aexit_wrapper(state: WrapperState, original: Callable[..., Any]) -> Wrapper:
    async def aexit_stream(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if state.active:
            _record_with_block_error(args, instance)
        return await wrapped(*args, **kwargs)

    return aexit_stream


def exit_patches(module: str, sync_class: str = "Stream", async_class: str = "AsyncStream") -> tuple[Patch, ...]:
    """The class-level hooks that let a ``with`` block's exception fail the stream's span."""
    return (
        Patch(module, f"{sync_class}.__exit__", _exit_wrapper),
        Patch(module, f"{async_class}.__aexit__", _aexit_wrapper),
    )
