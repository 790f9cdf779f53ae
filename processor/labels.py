"""Bounded metric dimensions and series: a process's metric state stays flat whatever its spans carry."""

from __future__ import annotations

from collections.abc import Mapping

from otel_carbon import semconv as sc

MAX_PROVIDERS = 50
"""Distinct ``gen_ai.provider.name`` values on metrics before ``_other`` (real deployments use a handful)."""
MAX_SERIES = 2000
"""Distinct metric series before new ones merge into one overflow series (the SDK's default limit)."""
OVERFLOW_ATTRIBUTES: Mapping[str, str] = {
    sc.COMPONENT: sc.OTHER_VALUE,
    sc.GEN_AI_PROVIDER_NAME: sc.OTHER_VALUE,
    sc.MODEL: sc.OTHER_VALUE,
    sc.REGION: sc.OTHER_VALUE,
    sc.USAGE_SOURCE: sc.OTHER_VALUE,
}
MetricSeries = tuple[Mapping[str, str], tuple[tuple[str, str], ...]]
"""A series' attributes, and the same as a hashable key for per-series totals."""


class BoundedLabels:
    """Admits the first ``limit`` distinct values of a metric dimension; later ones become ``_other``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._admitted: set[str] = set()

    def label(self, value: str) -> str:
        if value in self._admitted:
            return value
        if len(self._admitted) >= self._limit:
            return sc.OTHER_VALUE
        self._admitted.add(value)
        return value


class BoundedSeries:
    """Admits the first ``limit`` distinct series; later ones share the overflow series."""

    def __init__(self, limit: int = MAX_SERIES) -> None:
        self._limit = limit
        self._admitted: set[tuple[tuple[str, str], ...]] = set()
        self._overflow: MetricSeries = (OVERFLOW_ATTRIBUTES, tuple(OVERFLOW_ATTRIBUTES.items()))

    def series(self, attributes: Mapping[str, str]) -> MetricSeries:
        key = tuple(attributes.items())
        if key not in self._admitted:
            if len(self._admitted) >= self._limit:
                return self._overflow
            self._admitted.add(key)
        return attributes, key
