"""One wrapper factory for every SDK call we trace; it picks sync or async from the wrapped target.

A wrapper starts the CLIENT span, makes the user's call inside it (so nested instrumented calls see
it, see :class:`~otel_carbon.instrumentation._call.CallFrame`), and hands the result to the
endpoint, which ends the span or hooks the result to end it later (streams, unread responses).
The user's exception is recorded and re-raised unchanged; a failure in our own code is logged at
debug level and never changes what the call returns or raises.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Tracer

from otel_carbon.instrumentation._call import Attributes, CallSpan, active_call, split_usage, start_client_span

_logger = logging.getLogger(__name__)

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
Kwargs = Mapping[str, Any]


@dataclass
class WrapperState:
    """What every wrapper of one ``instrument()`` shares; ``active`` turns false at ``uninstrument()``
    so that wrappers the SDK cached in bound methods pass straight through afterwards."""

    tracer: Tracer
    active: bool = True


@dataclass(frozen=True, slots=True)
class CallStart:
    """What is known before the call: the sampling-relevant attributes and any usage known already."""

    operation_name: str
    provider_name: str
    request_model: str | None
    server_address: str | None = None
    server_port: int | None = None
    attributes: Attributes | None = None


class Endpoint(Protocol):
    """One SDK method's part: what the call is, and how its result ends the span."""

    def start(self, instance: Any, kwargs: Kwargs) -> CallStart: ...

    def finish(self, call: CallSpan, result: Any, kwargs: Kwargs) -> Any:
        """End ``call`` from ``result``, or hook ``result`` to end it later; returns what the caller gets."""

    def failure_attributes(self, error: BaseException, kwargs: Kwargs) -> Attributes:
        """Attributes an error still tells (e.g. the billed usage of a completion that failed to parse)."""


def _start(endpoint: Endpoint, state: WrapperState, instance: Any, kwargs: Kwargs) -> CallSpan | None:
    try:
        start = endpoint.start(instance, kwargs)
        start_attributes, known_usage = split_usage(start.attributes or {})
        span = start_client_span(
            state.tracer,
            operation_name=start.operation_name,
            provider_name=start.provider_name,
            request_model=start.request_model,
            server_address=start.server_address,
            server_port=start.server_port,
            attributes=start_attributes,
        )
        return CallSpan(span, known_usage)
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not start a span", exc_info=True)
        return None


def _fail(endpoint: Endpoint, call: CallSpan, error: BaseException, kwargs: Kwargs) -> None:
    try:
        attributes = endpoint.failure_attributes(error, kwargs)
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not read a failed call", exc_info=True)
        attributes = {}
    call.fail(error, attributes)


def _finish(endpoint: Endpoint, call: CallSpan, result: Any, kwargs: Kwargs) -> Any:
    try:
        return endpoint.finish(call, result, kwargs)
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not read the result of a call", exc_info=True)
        call.succeed()
        return result


def make_wrapper(endpoint: Endpoint, state: WrapperState, target: Callable[..., Any]) -> Wrapper:
    """A ``wrapt`` wrapper for ``target``: a coroutine function gets an async wrapper."""
    if _is_coroutine_function(target):
        return _async_wrapper(endpoint, state)
    return _sync_wrapper(endpoint, state)


def _is_coroutine_function(target: Callable[..., Any]) -> bool:
    # SDK decorators (openai's ``required_args``) hide the coroutine function behind functools.wraps.
    try:
        return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(inspect.unwrap(target))
    except ValueError:  # a __wrapped__ cycle
        return False


def _sync_wrapper(endpoint: Endpoint, state: WrapperState) -> Wrapper:
    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not state.active or not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        call = _start(endpoint, state, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            with active_call(call):
                result = wrapped(*args, **kwargs)
        except BaseException as error:
            _fail(endpoint, call, error, kwargs)
            raise
        return _finish(endpoint, call, result, kwargs)

    return traced


def _async_wrapper(endpoint: Endpoint, state: WrapperState) -> Wrapper:
    async def traced(
        wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not state.active or not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        call = _start(endpoint, state, instance, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            with active_call(call):
                result = await wrapped(*args, **kwargs)
        except BaseException as error:
            _fail(endpoint, call, error, kwargs)
            raise
        return _finish(endpoint, call, result, kwargs)

    return traced
