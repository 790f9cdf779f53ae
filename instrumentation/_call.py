"""The one call lifecycle: start the CLIENT span of one SDK call, then succeed, fail or abandon it,
exactly once; and the nesting guard that keeps nested GenAI calls from being counted twice.

Nothing here raises: a failure in telemetry code is logged at debug level and the user's
call goes on as if it were not instrumented.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv
from otel_carbon.semconv.usage import WRITE_KEYS

_logger = logging.getLogger(__name__)

Attributes = Mapping[str, AttributeValue]

ABANDONED_STREAM_DESCRIPTION = "abandoned stream"
_USAGE_NUMBER_KEYS = frozenset(WRITE_KEYS.values())
_USAGE_KEYS = _USAGE_NUMBER_KEYS | {
    semconv.USAGE_MISSING,
    semconv.USAGE_SOURCE,
    semconv.USAGE_ESTIMATED,
    semconv.STT_AUDIO_SECONDS_SOURCE,
}


def span_name(operation_name: str, request_model: str | None) -> str:
    return f"{operation_name} {request_model}" if request_model else operation_name


def error_type(error: BaseException) -> str:
    """The exception's fully-qualified type name, as the SDK's ``exception.type`` spells it."""
    try:
        error_class = type(error)
        module = error_class.__module__
        qualified_name = error_class.__qualname__
        if module and module != "builtins":
            return f"{module}.{qualified_name}"
        return qualified_name or semconv.ERROR_TYPE_OTHER
    except Exception:  # noqa: BLE001 - a hostile __module__ must not break the user's call
        return semconv.ERROR_TYPE_OTHER


def split_usage(attributes: Attributes) -> tuple[dict[str, AttributeValue], dict[str, AttributeValue]]:
    """(start attributes, usage attributes) of what is known before the call."""
    start: dict[str, AttributeValue] = {}
    usage: dict[str, AttributeValue] = {}
    for key, value in attributes.items():
        (usage if key in _USAGE_KEYS else start)[key] = value
    return start, usage


def start_client_span(
    tracer: Tracer,
    *,
    operation_name: str,
    provider_name: str,
    request_model: str | None,
    server_address: str | None,
    server_port: int | None,
    attributes: Attributes | None = None,
) -> Span:
    """Start (but do not activate) a CLIENT span with the sampling-relevant attributes set."""
    start_attributes: dict[str, AttributeValue] = {
        semconv.GEN_AI_OPERATION_NAME: operation_name,
        semconv.GEN_AI_PROVIDER_NAME: provider_name,
    }
    if request_model:
        start_attributes[semconv.GEN_AI_REQUEST_MODEL] = request_model
    if server_address:
        start_attributes[semconv.SERVER_ADDRESS] = server_address
    if server_port is not None:
        start_attributes[semconv.SERVER_PORT] = server_port
    if attributes:
        start_attributes.update(attributes)
    return tracer.start_span(
        span_name(operation_name, request_model), kind=SpanKind.CLIENT, attributes=start_attributes
    )


def record_error(span: Span, error: BaseException) -> None:
    """Mark the span failed with ``error.type`` and status ERROR."""
    try:
        span.set_attribute(semconv.ERROR_TYPE, error_type(error))
        span.set_status(Status(StatusCode.ERROR, _describe(error)))
    except Exception:  # noqa: BLE001
        _logger.debug("otel-carbon: could not record an error on the span", exc_info=True)


def _describe(error: BaseException) -> str:
    try:
        return str(error) or type(error).__name__
    except Exception:  # noqa: BLE001
        return type(error).__name__


class CallFrame:
    """One instrumented GenAI call in progress, as seen by calls nested inside it (the nesting guard).

    The innermost instrumented call carries the usage: it is the one that saw the provider's own
    response (and its server address, which the processor needs for the region). An enclosing call
    (LiteLLM over openai, any wrapper over an instrumented client) still gets its span, for the trace,
    but without usage and with ``otel_carbon.usage.missing = "counted_in_nested_call"``.
    """

    __slots__ = ("parent", "nested_usage")

    def __init__(self, parent: CallFrame | None) -> None:
        self.parent = parent
        self.nested_usage = False

    def report_usage_to_enclosing_calls(self) -> None:
        frame = self.parent
        while frame is not None and not frame.nested_usage:
            frame.nested_usage = True
            frame = frame.parent


_CALL_FRAME_KEY = context_api.create_key("otel_carbon.genai_call")


def current_frame() -> CallFrame | None:
    frame = context_api.get_value(_CALL_FRAME_KEY)
    return frame if isinstance(frame, CallFrame) else None


@contextmanager
def active_call(call: CallSpan) -> Iterator[None]:
    """Make ``call`` the current span and the enclosing GenAI call of whatever runs inside."""
    token = context_api.attach(context_api.set_value(_CALL_FRAME_KEY, call.frame, trace.set_span_in_context(call.span)))
    try:
        yield
    finally:
        context_api.detach(token)


def _carries_usage(attributes: Attributes) -> bool:
    return any(key in attributes for key in _USAGE_NUMBER_KEYS)


def _without_usage(attributes: Attributes) -> dict[str, AttributeValue]:
    kept = {key: value for key, value in attributes.items() if key not in _USAGE_KEYS}
    kept[semconv.USAGE_MISSING] = semconv.USAGE_MISSING_COUNTED_IN_NESTED_CALL
    return kept


class CallSpan:
    """The span of one SDK call: ``succeed``, ``fail`` or ``abandon``, and it ends exactly once,
    whichever path gets there first.

    Streams, streamed HTTP responses and garbage collection can all race to end the same call,
    possibly from different threads, so ending is guarded by a lock.
    """

    __slots__ = ("span", "frame", "_known_usage", "_ended", "_lock")

    def __init__(self, span: Span, known_usage: Attributes | None = None) -> None:
        self.span = span
        self.frame = CallFrame(current_frame())
        self._known_usage = known_usage
        """Usage known from the request (e.g. TTS characters): set at the end, so the nesting guard can drop it."""
        self._ended = False
        self._lock = threading.Lock()

    @property
    def ended(self) -> bool:
        return self._ended

    def succeed(self, attributes: Attributes | None = None) -> None:
        """End successfully; the status stays UNSET as instrumentation libraries should leave it."""
        if self._claim_end():
            self._finish(attributes, error=None, error_name=None, description=None)

    def fail(self, error: BaseException, attributes: Attributes | None = None) -> None:
        if self._claim_end():
            self._finish(attributes, error=error, error_name=None, description=None)

    def abandon(self, attributes: Attributes | None = None) -> None:
        """End a call whose result was garbage-collected before it was consumed or closed."""
        if self._claim_end():
            self._finish(
                attributes,
                error=None,
                error_name=semconv.ERROR_TYPE_OTHER,
                description=ABANDONED_STREAM_DESCRIPTION,
            )

    def _claim_end(self) -> bool:
        try:
            with self._lock:
                if self._ended:
                    return False
                self._ended = True
                return True
        except Exception:  # noqa: BLE001
            return False

    def _finish(
        self,
        attributes: Attributes | None,
        *,
        error: BaseException | None,
        error_name: str | None,
        description: str | None,
    ) -> None:
        try:
            if self._known_usage:
                attributes = {**self._known_usage, **(attributes or {})}
            if attributes:
                if self.frame.nested_usage:
                    attributes = _without_usage(attributes)
                elif _carries_usage(attributes):
                    self.frame.report_usage_to_enclosing_calls()
                self.span.set_attributes(attributes)
            elif self.frame.nested_usage:
                self.span.set_attributes(_without_usage({}))
            if error is not None:
                record_error(self.span, error)
            elif error_name is not None:
                self.span.set_attribute(semconv.ERROR_TYPE, error_name)
                self.span.set_status(Status(StatusCode.ERROR, description))
            elif attributes and semconv.ERROR_TYPE in attributes:
                # The provider reported a failure in-band (e.g. a ``response.failed`` stream event).
                self.span.set_status(Status(StatusCode.ERROR, str(attributes[semconv.ERROR_TYPE])))
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not finish span attributes", exc_info=True)
        try:
            self.span.end()
        except Exception:  # noqa: BLE001
            _logger.debug("otel-carbon: could not end the span", exc_info=True)
