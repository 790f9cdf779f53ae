"""The SDK span processor: adds carbon attributes to GenAI spans before they are exported, and records metrics.

Attributes can only be added between ``Span.end()`` setting the end time and the exporting
processors' ``on_end``: the SDK's on-ending hook (opentelemetry-sdk >= 1.40). Every released SDK
already treats the span as ended there, so ``set_attribute`` is dropped; the processor writes into
the span's attribute map directly and prefers the public call on SDKs that keep spans mutable
during on-ending (open-telemetry/opentelemetry-python#5613). On older SDKs, or if that write
fails, metrics still flow and one warning says why.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from otel_carbon import semconv as sc
from otel_carbon.processor.attribution import Attribution
from otel_carbon.processor.enrichment import CarbonEnricher, Enrichment
from otel_carbon.processor.metrics import CarbonMetrics

_logger = logging.getLogger("otel_carbon")
SDK_HAS_ON_ENDING = hasattr(SpanProcessor, "_on_ending")
_resource_generations = itertools.count(1)
"""Process-wide, so processors sharing an enricher never give two resources the same cache key."""


def _attribute_map(span: ReadableSpan) -> Mapping[str, Any]:
    bounded = getattr(span, "_attributes", None)
    # BoundedAttributes.get() raises and catches KeyError for every absent key; its plain dict does not.
    return getattr(bounded, "_dict", None) or span.attributes or {}


PRIORITY = (
    sc.ESTIMATE_ERROR,
    sc.EMISSIONS_GCO2E,
    sc.ENERGY_WH,
    sc.WATER_L,
    sc.MODEL,
    sc.REGION,
    sc.ENERGY_CLASS,
    sc.METHODOLOGY_VERSION,
    sc.PUE,
    sc.GRID_INTENSITY,
)
"""What goes first when the span's attribute count limit leaves room for only some carbon attributes."""


def fitting(
    existing: Mapping[str, Any], attributes: Mapping[str, Any], limit: int | None
) -> tuple[dict[str, Any], int]:
    """The carbon attributes that fit under ``limit`` without evicting any of the span's own, and how many do not.

    When all fit they keep the enricher's order; otherwise the most important (``PRIORITY``) go first.
    """
    room = None if limit is None else limit - len(existing)
    if room is None or room >= len(attributes):
        return attributes, 0
    replacing = {key: value for key, value in attributes.items() if key in existing}  # take no room
    new_keys = [key for key in PRIORITY if key in attributes and key not in existing]
    new_keys += [key for key in attributes if key not in existing and key not in PRIORITY]
    kept = new_keys[: max(room, 0)]
    chosen = {key: attributes[key] for key in attributes if key in replacing or key in kept}
    return chosen, len(new_keys) - len(kept)


def _write_into_ended_span(bounded: Any, attributes: Mapping[str, Any]) -> int:
    """Write into the span's ``BoundedAttributes``, which the SDK froze (>= 1.43) when the span ended.

    Values are plain str/float/bool made by the enricher, so ``__setitem__``'s per-item validation
    (and its eviction of the oldest attribute when full) is bypassed. Returns how many did not fit.
    """
    raw: dict[str, Any] = bounded._dict
    max_length = bounded.max_value_len
    with bounded._lock:
        chosen, dropped = fitting(raw, attributes, bounded.maxlen)
        if max_length is not None:
            chosen = {k: v[:max_length] if type(v) is str else v for k, v in chosen.items()}
        raw.update(chosen)
        bounded.dropped += dropped
    return dropped


class CarbonSpanProcessor(SpanProcessor):
    def __init__(self, enricher: CarbonEnricher, metrics: CarbonMetrics) -> None:
        self._enricher = enricher
        self._metrics = metrics
        self._attributes_enabled = SDK_HAS_ON_ENDING
        self._warned: set[str] = set()
        self._resource: tuple[object, Mapping[str, Any], int] = (None, {}, 0)
        """The last span's resource (held, so its identity cannot be reused), its attributes, and a
        generation number that keys the enricher's cache: ``Resource.__hash__`` is a ``json.dumps``."""
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
            resource = span.resource  # one per provider: convert its attributes once
            cached = self._resource
            if cached[0] is not resource:
                attributes = dict(resource.attributes) if resource is not None else {}
                cached = self._resource = (resource, attributes, next(_resource_generations))
            return self._enricher.enrich(_attribute_map(span), cached[1], cached[2])
        except Exception:  # telemetry must never fail the user's call
            self._warn_once("enrich", "otel-carbon: could not estimate a span; skipping it", exc_info=True)
            return None

    def _record(self, enrichment: Enrichment) -> None:
        if enrichment.metric_attributes is None:
            return
        try:
            self._metrics.record(enrichment)
        except Exception:
            self._warn_once("metrics", "otel-carbon: could not record carbon metrics", exc_info=True)

    def _write_attributes(self, span: Span, attributes: Mapping[str, Any]) -> None:
        try:
            bounded = span._attributes  # noqa: SLF001 - see module docstring
            if span.is_recording():
                chosen, dropped = fitting(_attribute_map(span), attributes, bounded.maxlen)
                span.set_attributes(chosen)
                bounded.dropped += dropped
            else:
                dropped = _write_into_ended_span(bounded, attributes)
            if dropped:
                self._warn_once(
                    "limit",
                    f"otel-carbon: {dropped} carbon attribute(s) did not fit under the span attribute count limit "
                    f"({bounded.maxlen}, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) and were counted as dropped; the span's "
                    "own attributes are kept",
                )
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
