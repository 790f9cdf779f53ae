"""The SDK span processor: adds carbon attributes to GenAI spans before they are exported, and records metrics.

Attributes can only be added between ``Span.end()`` setting the end time and the exporting
processors' ``on_end``: the SDK's on-ending hook (opentelemetry-sdk >= 1.40). Every released SDK
already treats the span as ended there, so ``set_attribute`` is dropped; the processor writes into
the span's attribute map directly and prefers the public call on SDKs that keep spans mutable
during on-ending (open-telemetry/opentelemetry-python#5613). On older SDKs, or if that write
fails, metrics still flow and one warning says why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from otel_carbon.processor.attribution import Attribution
from otel_carbon.processor.enrichment import CarbonEnricher, Enrichment
from otel_carbon.processor.metrics import CarbonMetrics

_logger = logging.getLogger("otel_carbon")
SDK_HAS_ON_ENDING = hasattr(SpanProcessor, "_on_ending")


def _attribute_map(span: ReadableSpan) -> Mapping[str, Any]:
    bounded = getattr(span, "_attributes", None)
    # BoundedAttributes.get() raises and catches KeyError for every absent key; its plain dict does not.
    return getattr(bounded, "_dict", None) or span.attributes or {}


def _write_into_ended_span(bounded: Any, attributes: Mapping[str, Any]) -> None:
    """Write into the span's ``BoundedAttributes``, which the SDK froze (>= 1.43) when the span ended.

    Values are plain str/float/bool made by the enricher, so the per-item validation of
    ``__setitem__`` is skipped when the attribute count limit leaves room for all of them.
    """
    raw: dict[str, Any] = bounded._dict
    with bounded._lock:
        if bounded.maxlen is None or len(raw) + len(attributes) <= bounded.maxlen:
            raw.update(attributes)
            return
    was_immutable = getattr(bounded, "_immutable", False)
    bounded._immutable = False
    try:
        for key, value in attributes.items():
            bounded[key] = value  # honours the limit: counts as dropped attributes
    finally:
        bounded._immutable = was_immutable


class CarbonSpanProcessor(SpanProcessor):
    def __init__(self, enricher: CarbonEnricher, metrics: CarbonMetrics) -> None:
        self._enricher = enricher
        self._metrics = metrics
        self._attributes_enabled = SDK_HAS_ON_ENDING
        self._warned: set[str] = set()
        self._resource: tuple[object, Mapping[str, Any]] = (None, {})
        self._attribution = Attribution()
        if not SDK_HAS_ON_ENDING:
            self._warn_once(
                "sdk",
                "otel-carbon: this opentelemetry-sdk has no on-ending hook (needs >= 1.40); carbon "
                "attributes will not be added to spans, carbon metrics are still recorded",
            )

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            self._attribution.on_start(span, parent_context)
        except Exception:  # telemetry must never fail the user's call
            self._warn_once("attribution", "otel-carbon: could not attribute a span to its agent", exc_info=True)

    def _on_ending(self, span: Span) -> None:
        enrichment = self._enrich(span)
        if enrichment is None:
            return
        if self._attributes_enabled:
            self._write_attributes(span, enrichment.attributes)
        self._record(enrichment)

    def on_end(self, span: ReadableSpan) -> None:
        if SDK_HAS_ON_ENDING:
            return
        enrichment = self._enrich(span)
        if enrichment is not None:
            self._record(enrichment)

    def shutdown(self) -> None:
        self._enricher.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def _enrich(self, span: ReadableSpan) -> Enrichment | None:
        try:
            return self._enricher.enrich(_attribute_map(span), self._resource_map(span))
        except Exception:  # telemetry must never fail the user's call
            self._warn_once("enrich", "otel-carbon: could not estimate a span; skipping it", exc_info=True)
            return None

    def _resource_map(self, span: ReadableSpan) -> Mapping[str, Any]:
        resource = span.resource  # one per provider: convert its attributes once
        if self._resource[0] is not resource:
            self._resource = (resource, dict(resource.attributes) if resource is not None else {})
        return self._resource[1]

    def _record(self, enrichment: Enrichment) -> None:
        if enrichment.metric_attributes is None:
            return
        try:
            self._metrics.record(enrichment)
        except Exception:
            self._warn_once("metrics", "otel-carbon: could not record carbon metrics", exc_info=True)

    def _write_attributes(self, span: Span, attributes: Mapping[str, Any]) -> None:
        try:
            if span.is_recording():
                span.set_attributes(attributes)
                return
            _write_into_ended_span(span._attributes, attributes)  # noqa: SLF001 - see module docstring
        except Exception:
            self._attributes_enabled = False
            self._warn_once(
                "attributes",
                "otel-carbon: this opentelemetry-sdk does not accept attributes while a span ends; "
                "carbon attributes are disabled, carbon metrics are still recorded",
                exc_info=True,
            )

    def _warn_once(self, key: str, message: str, exc_info: bool = False) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _logger.warning(message, exc_info=exc_info)
