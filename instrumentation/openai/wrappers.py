"""Wrapper factories, one per OpenAI API kind, sync and async.

Each factory takes a :class:`WrapperContext` and returns a ``wrapt`` wrapper. A wrapper
starts the CLIENT span, makes the user's call, and ends the span from the result, or hands
the caller a proxy that ends it later (streams, unread responses). The user's exception is
recorded and re-raised unchanged; a failure in our own code is logged at debug level and
never changes what the call returns or raises.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Tracer

from otel_carbon import semconv
from otel_carbon.instrumentation._spans import CallSpan, start_client_span
from otel_carbon.instrumentation._streams import StreamAccumulator, TracedAsyncStream, TracedStream
from otel_carbon.instrumentation.openai import extractors
from otel_carbon.instrumentation.openai.apis import (
    CHAT_COMPLETIONS,
    EMBEDDINGS,
    RESPONSES,
    SPEECH,
    TRANSCRIPTIONS,
    TRANSLATIONS,
    OpenAIApi,
)
from otel_carbon.instrumentation.openai.raw_responses import (
    TracedAPIResponse,
    TracedAsyncAPIResponse,
    TracedLegacyAPIResponse,
)

_logger = logging.getLogger(__name__)

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
AsyncWrapper = Callable[[Callable[..., Awaitable[Any]], Any, tuple[Any, ...], dict[str, Any]], Awaitable[Any]]


@dataclass
class WrapperContext:
    """What every wrapper of one ``instrument()`` needs; ``active`` turns false at ``uninstrument()``
    so that wrappers the SDK cached in bound methods pass straight through afterwards."""

    tracer: Tracer
    active: bool = True


@functools.lru_cache(maxsize=1)
def _stream_classes() -> tuple[type, type]:
    import openai

    return openai.Stream, openai.AsyncStream


class _CallCompletion:
    """Ends one call's span from whatever the SDK returned (see ``raw_responses.ResponseCompletion``)."""

    __slots__ = ("_api", "_kwargs", "_call", "_stream_accumulator")

    def __init__(self, api: OpenAIApi, kwargs: Mapping[str, Any], call: CallSpan) -> None:
        self._api = api
        self._kwargs = kwargs
        self._call = call
        self._stream_accumulator: StreamAccumulator | None = None

    @property
    def ended(self) -> bool:
        return self._call.ended

    def finish(self, result: Any) -> Any:
        sync_stream, async_stream = _stream_classes()
        if isinstance(result, (sync_stream, async_stream)):
            return self.finish_parsed(result)
        mode = extractors.raw_response_mode(self._kwargs)
        if mode is not None:
            if _has_async_parse(result):
                return TracedAsyncAPIResponse(result, self)
            if mode == "stream":
                return TracedAPIResponse(result, self)
            if extractors.is_stream_request(self._kwargs):
                return TracedLegacyAPIResponse(result, self)
            # with_raw_response of a plain request: the body is already read and parse() is cached.
            self._call.end(self._api.result_attributes(result.parse(), self._kwargs))
            return result
        self._call.end(self._api.result_attributes(result, self._kwargs))
        return result

    def finish_parsed(self, parsed: Any) -> Any:
        sync_stream, async_stream = _stream_classes()
        if isinstance(parsed, (sync_stream, async_stream)):
            self._stream_accumulator = self._api.stream_accumulator(self._kwargs)
            proxy = TracedStream if isinstance(parsed, sync_stream) else TracedAsyncStream
            return proxy(parsed, self._call, self._stream_accumulator)
        self._call.end(self._api.result_attributes(parsed, self._kwargs))
        return parsed

    def finish_unread(self) -> None:
        if self._call.ended:
            return
        try:
            if self._stream_accumulator is not None:
                attributes = self._stream_accumulator.final_attributes(completed=False)
            else:
                attributes = self._api.unread_attributes(self._kwargs)
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not summarise an unread response", exc_info=True)
            attributes = {}
        self._call.end(attributes)

    def fail(self, error: BaseException) -> None:
        self._call.end_with_error(error)

    def abandon(self) -> None:
        if self._call.ended:
            return
        try:
            attributes = self._api.unread_attributes(self._kwargs)
        except Exception:  # noqa: BLE001
            attributes = {}
        self._call.end_abandoned(attributes)


def _has_async_parse(result: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(type(result), "parse", None))


def _start(api: OpenAIApi, context: WrapperContext, instance: Any, kwargs: Mapping[str, Any]) -> CallSpan | None:
    try:
        server_address, server_port = extractors.server_address_and_port(instance)
        span = start_client_span(
            context.tracer,
            operation_name=api.operation_name,
            provider_name=semconv.PROVIDER_OPENAI,
            request_model=extractors.request_model(kwargs),
            server_address=server_address,
            server_port=server_port,
            attributes=api.request_attributes(kwargs),
        )
        return CallSpan(span)
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not start a span for %s", api.operation_name, exc_info=True)
        return None


def _finish(api: OpenAIApi, kwargs: Mapping[str, Any], call: CallSpan, result: Any) -> Any:
    try:
        return _CallCompletion(api, kwargs, call).finish(result)
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not read the result of %s", api.operation_name, exc_info=True)
        call.end()
        return result


def _sync_wrapper(api: OpenAIApi, context: WrapperContext) -> Wrapper:
    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not context.active or not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        call = _start(api, context, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            with trace.use_span(call.span, record_exception=False, set_status_on_exception=False):
                result = wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_with_error(error)
            raise
        return _finish(api, kwargs, call, result)

    return traced


def _async_wrapper(api: OpenAIApi, context: WrapperContext) -> AsyncWrapper:
    async def traced(
        wrapped: Callable[..., Awaitable[Any]], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not context.active or not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        call = _start(api, context, instance, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            with trace.use_span(call.span, record_exception=False, set_status_on_exception=False):
                result = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_with_error(error)
            raise
        return _finish(api, kwargs, call, result)

    return traced


def chat_completions(context: WrapperContext) -> Wrapper:
    return _sync_wrapper(CHAT_COMPLETIONS, context)


def async_chat_completions(context: WrapperContext) -> AsyncWrapper:
    return _async_wrapper(CHAT_COMPLETIONS, context)


def responses(context: WrapperContext) -> Wrapper:
    return _sync_wrapper(RESPONSES, context)


def async_responses(context: WrapperContext) -> AsyncWrapper:
    return _async_wrapper(RESPONSES, context)


def embeddings(context: WrapperContext) -> Wrapper:
    return _sync_wrapper(EMBEDDINGS, context)


def async_embeddings(context: WrapperContext) -> AsyncWrapper:
    return _async_wrapper(EMBEDDINGS, context)


def speech(context: WrapperContext) -> Wrapper:
    return _sync_wrapper(SPEECH, context)


def async_speech(context: WrapperContext) -> AsyncWrapper:
    return _async_wrapper(SPEECH, context)


def transcriptions(context: WrapperContext) -> Wrapper:
    return _sync_wrapper(TRANSCRIPTIONS, context)


def async_transcriptions(context: WrapperContext) -> AsyncWrapper:
    return _async_wrapper(TRANSCRIPTIONS, context)


def translations(context: WrapperContext) -> Wrapper:
    return _sync_wrapper(TRANSLATIONS, context)


def async_translations(context: WrapperContext) -> AsyncWrapper:
    return _async_wrapper(TRANSLATIONS, context)
