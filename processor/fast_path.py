"""The enricher's per-key fast path: one cache entry per (usage kind, model, provider, address, agent,
usage source, resource) holding the static attributes and the coefficients already multiplied out.

``FastEntry.enrich`` does ``estimate()``'s arithmetic in ``estimate()``'s order, so results are identical
to the last bit (tests/processor/test_fast_path.py compares both paths over randomised spans). Only token
usage reported by the provider takes it; anything unusual goes down the reference path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from otel_carbon import semconv as sc
from otel_carbon.processor.labels import MetricSeries
from otel_carbon.processor.model import Range, Site, Usage
from otel_carbon.processor.model.coefficients import EnergyClass

AttributeValue = str | bool | int | float
WH_TO_JOULES = 3600.0
FastKey = tuple[object, ...]
_ZERO = Range(0.0, 0.0, 0.0)
_KNOWN_USAGE_FIELDS = frozenset(
    ("component", "provider", "model", "input_tokens", "cached_input_tokens", "output_tokens")
    + ("characters", "audio_seconds", "estimated")
)
SUPPORTED = set(Usage._fields) <= _KNOWN_USAGE_FIELDS
"""False when ``Usage`` has grown a field this arithmetic does not know: the enricher then takes the
reference path for every span (slower, never wrong) until the fast path learns it."""


class Enrichment(NamedTuple):
    """What to add to one span, and what to record for it."""

    attributes: Mapping[str, AttributeValue]
    metric_attributes: Mapping[str, str] | None
    """None when there is no estimate to record (the attributes then say why)."""
    energy_joules: float = 0.0
    emissions_grams: float = 0.0
    water_litres: float = 0.0
    low_carbon_joules: float | None = None
    """The low-carbon part of the energy, when the grid's low-carbon share is known."""
    embodied_grams: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    conversation_id: str | None = None
    series_key: tuple[tuple[str, str], ...] = ()
    """``metric_attributes`` as a hashable value, for per-series totals."""


def fast_key(usage: Usage, attributes: Mapping[str, object], resource_key: object) -> FastKey | None:
    """The cache key of a span, or None when it must take the reference path."""
    if usage.characters or usage.audio_seconds or getattr(usage, "estimated", False):
        return None
    get = attributes.get
    provider, system = get(sc.GEN_AI_PROVIDER_NAME), get(sc.GEN_AI_SYSTEM)
    address, agent, source = get(sc.SERVER_ADDRESS), get(sc.GEN_AI_AGENT_NAME), get(sc.USAGE_SOURCE)
    for value in (provider, system, address, agent, source):
        if value is not None and type(value) is not str:
            return None
    return (usage.component, usage.model, provider, system, address, agent, source, resource_key)


class FastEntry:
    __slots__ = (
        "_static",
        "_cached_factor",
        "_rate_in",
        "_rate_out",
        "_pue",
        "_grams_per_wh",
        "_onsite_wue",
        "_offsite_water",
        "_low_carbon_share",
        "_embodied_g_per_kwh",
        "_metric_attributes",
        "_series_key",
        "_full",
    )

    def __init__(
        self,
        static_attributes: Mapping[str, AttributeValue],
        energy_class: EnergyClass,
        site: Site,
        cached_input_factor: Range,
        low_carbon_share: float | None,
        embodied_g_per_kwh: float | None,
        series: MetricSeries,
        *,
        full: bool,
    ) -> None:
        self._static = dict(static_attributes)
        self._cached_factor = cached_input_factor
        self._rate_in = energy_class.input_per_1k_tokens or _ZERO
        self._rate_out = energy_class.output_per_1k_tokens or _ZERO
        self._pue = site.pue
        self._grams_per_wh = site.grams_per_kwh / 1000.0
        self._onsite_wue = site.onsite_wue_l_per_kwh
        self._offsite_water = site.offsite_water_l_per_kwh
        self._low_carbon_share = low_carbon_share
        self._embodied_g_per_kwh = embodied_g_per_kwh
        self._metric_attributes, self._series_key = series
        self._full = full

    def enrich(self, usage: Usage, conversation_id: str | None) -> Enrichment:
        factor, rate_in, rate_out, pue = self._cached_factor, self._rate_in, self._rate_out, self._pue
        uncached = (usage.input_tokens - usage.cached_input_tokens) / 1000.0
        cached = usage.cached_input_tokens / 1000.0
        output = usage.output_tokens / 1000.0
        central = (uncached + cached * factor.central) * rate_in.central + output * rate_out.central
        energy = central * pue.central
        energy_low = ((uncached + cached * factor.low) * rate_in.low + output * rate_out.low) * pue.low
        energy_high = ((uncached + cached * factor.high) * rate_in.high + output * rate_out.high) * pue.high
        grams_per_wh = self._grams_per_wh
        emissions = energy * grams_per_wh
        water = (central * self._onsite_wue + energy * self._offsite_water) / 1000.0
        attributes = self._static.copy()
        attributes[sc.ENERGY_WH] = energy
        attributes[sc.ENERGY_WH_LOW] = energy_low
        attributes[sc.ENERGY_WH_HIGH] = energy_high
        attributes[sc.EMISSIONS_GCO2E] = emissions
        if self._full:
            attributes[sc.EMISSIONS_GCO2E_LOW] = energy_low * grams_per_wh
            attributes[sc.EMISSIONS_GCO2E_HIGH] = energy_high * grams_per_wh
        attributes[sc.WATER_L] = water
        embodied = None
        if self._embodied_g_per_kwh is not None:
            embodied = attributes[sc.EMBODIED_GCO2E] = central / 1000.0 * self._embodied_g_per_kwh
        energy_joules = energy * WH_TO_JOULES
        share = self._low_carbon_share
        return Enrichment(
            attributes,
            self._metric_attributes,
            energy_joules,
            emissions,
            water,
            None if share is None else energy_joules * share,
            embodied,
            usage.input_tokens,
            usage.output_tokens,
            conversation_id,
            self._series_key,
        )
