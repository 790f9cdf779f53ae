"""Enrich the spans of one trace export request, as the SDK processor would enrich them in-process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from otel_carbon import semconv as sc
from otel_carbon.processor.enrichment import CarbonEnricher, Enrichment
from otel_carbon.processor.model.usage import USAGE_KEYS
from otel_carbon.processor.service.decode import LazyAttributes, encode_attributes, encode_value
from otel_carbon.processor.service.wire import ShallowTraceRequest

_logger = logging.getLogger("otel_carbon")

# A span enriched upstream (by an app running the in-process processor, or an earlier otel-carbon
# hop) had its metrics recorded there; enriching it again would count it twice.
_ENRICHED_MARKERS = (sc.ENERGY_WH, sc.ESTIMATE_ERROR)
# Attribute keys are plain UTF-8 on the wire: a request in which no usage key occurs anywhere has
# nothing to enrich, which a substring search finds out far faster than a parse.
_USAGE_NEEDLES = tuple(sorted(key.encode() for key in USAGE_KEYS))
_EMPTY: Mapping[str, object] = {}


def may_carry_usage(payload: bytes) -> bool:
    return any(needle in payload for needle in _USAGE_NEEDLES)


@dataclass
class RequestStats:
    enriched: int = 0
    failed: int = 0


def enrich_request(
    request: ShallowTraceRequest,
    enricher: CarbonEnricher,
    record: Callable[[Enrichment], None],
) -> RequestStats:
    """Add carbon attributes to every span with GenAI usage and ``record`` its metrics.

    A span that cannot be estimated for an unexpected reason is left exactly as it came.
    """
    stats = RequestStats()
    for resource_spans in request.resource_spans:
        resource: Mapping[str, object] | None = None
        resource_key: bytes = b""
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attributes = LazyAttributes(span.attributes)
                if attributes.keys().isdisjoint(USAGE_KEYS) or any(m in attributes for m in _ENRICHED_MARKERS):
                    continue
                if resource is None:
                    has_resource = resource_spans.HasField("resource")
                    resource = LazyAttributes(resource_spans.resource.attributes) if has_resource else _EMPTY
                    # Equal bytes, equal resource attributes: the enricher's per-key cache may reuse its work.
                    resource_key = resource_spans.resource.SerializeToString() if has_resource else b""
                try:
                    enrichment = enricher.enrich(attributes, resource, resource_key)
                    if enrichment is None:
                        continue
                    appended, replaced = _encode(attributes, enrichment.attributes)
                except Exception:  # one odd span must not fail the batch
                    stats.failed += 1
                    _logger.debug("otel-carbon serve: could not estimate a span; passing it through", exc_info=True)
                    continue
                for key_value, value in replaced:
                    key_value.value = value
                # One parse of the concatenated fields appends them all, far cheaper than a message each.
                span.MergeFromString(appended)
                stats.enriched += 1
                record(enrichment)
    return stats


def _encode(existing: LazyAttributes, additions: Mapping[str, object]) -> tuple[bytes, list[tuple[Any, bytes]]]:
    """Like the SDK's ``set_attributes``: an existing key gets the new value, other keys are appended."""
    if existing.keys().isdisjoint(additions):  # the usual case: nothing to replace
        return encode_attributes(additions), []
    appended: dict[str, object] = {}
    replaced: list[tuple[Any, bytes]] = []
    for key, value in additions.items():
        key_value = existing.key_value(key)
        if key_value is None:
            appended[key] = value
        else:
            replaced.append((key_value, encode_value(value)))
    return encode_attributes(appended), replaced
