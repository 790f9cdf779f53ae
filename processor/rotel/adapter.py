"""Carbon attributes for rotel ``ResourceSpans``.

Free of ``rotel_sdk`` (which exists only inside the rotel binary): the caller passes the function
that builds a ``KeyValue``, so this module also runs, and is tested, in plain Python.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from otel_carbon import semconv as sc
from otel_carbon.processor.enrichment import AttributeValue, CarbonEnricher

_logger = logging.getLogger("otel_carbon")
_SCALARS = (str, bool, int, float)
# A span enriched upstream (the in-process SDK processor) must not get its keys a second time.
_ENRICHED_MARKERS = (sc.ENERGY_WH, sc.ESTIMATE_ERROR)

KeyValueFactory = Callable[[str, AttributeValue], Any]
"""``lambda key, value: KeyValue(key, AnyValue(value))`` inside rotel."""


def scalar_attributes(key_values: Iterable[Any] | None) -> dict[str, object]:
    """rotel ``KeyValue``s -> ``{key: value}``; the enrichment reads only scalars, so arrays and maps are left out."""
    attributes: dict[str, object] = {}
    for key_value in key_values or ():
        any_value = key_value.value
        value = None if any_value is None else any_value.value
        if isinstance(value, _SCALARS):
            attributes[key_value.key] = value
    return attributes


class RotelCarbonProcessor:
    """Appends ``CarbonEnricher.enrich`` attributes to every GenAI span; never raises."""

    def __init__(self, enricher: CarbonEnricher, key_value: KeyValueFactory) -> None:
        self._enricher = enricher
        self._key_value = key_value
        self._warned = False

    def process_spans(self, resource_spans: Any) -> None:
        try:
            resource = resource_spans.resource
            resource_attributes = scalar_attributes(resource.attributes if resource is not None else None)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self._enrich(span, resource_attributes)
        except Exception:
            self._warn_once()

    def _enrich(self, span: Any, resource_attributes: dict[str, object]) -> None:
        try:
            attributes = scalar_attributes(span.attributes)
            if not attributes.keys().isdisjoint(_ENRICHED_MARKERS):
                return
            enrichment = self._enricher.enrich(attributes, resource_attributes)
            if enrichment is None:
                return
            # Built before the first append, so a failure leaves the span as it came.
            additions = [self._key_value(key, value) for key, value in enrichment.attributes.items()]
            span_attributes = span.attributes
            for key_value in additions:
                span_attributes.append(key_value)
        except Exception:
            self._warn_once()

    def _warn_once(self) -> None:
        if not self._warned:
            self._warned = True
            _logger.warning("otel-carbon: rotel trace processor failed; spans pass through unchanged", exc_info=True)
