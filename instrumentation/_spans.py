"""Starting, enriching and ending the CLIENT span of one SDK call.

Nothing here raises: a failure in telemetry code is logged at debug level and the user's
call goes on as if it were not instrumented.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from otel_carbon import semconv

_logger = logging.getLogger(__name__)

Attributes = Mapping[str, AttributeValue]

ABANDONED_STREAM_DESCRIPTION = "abandoned stream"


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


class CallSpan:
    """The span of one SDK call; it ends exactly once, whichever path gets there first.

    Streams, streamed HTTP responses and garbage collection can all race to end the same call,
    possibly from different threads, so ending is guarded by a lock.
    """

    __slots__ = ("span", "_ended", "_lock")

    def __init__(self, span: Span) -> None:
        self.span = span
        self._ended = False
        self._lock = threading.Lock()

    @property
    def ended(self) -> bool:
        return self._ended

    def end(self, attributes: Attributes | None = None) -> None:
        """End successfully; the status stays UNSET as instrumentation libraries should leave it."""
        if self._claim_end():
            self._finish(attributes, error=None, error_name=None, description=None)

    def end_with_error(self, error: BaseException, attributes: Attributes | None = None) -> None:
        if self._claim_end():
            self._finish(attributes, error=error, error_name=None, description=None)

    def end_abandoned(self, attributes: Attributes | None = None) -> None:
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
            if attributes:
                self.span.set_attributes(attributes)
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
