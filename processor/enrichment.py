"""Span attributes in, carbon attributes and metric values out. Shared by every place that enriches spans."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from otel_carbon import semconv as sc
from otel_carbon.processor.config import ENV_CONFIG_FILE, ENV_GRID_INTENSITY, CarbonConfig
from otel_carbon.processor.model import (
    Coefficients,
    Pue,
    Range,
    Usage,
    UsageError,
    estimate,
    load_coefficients,
    parse_usage,
)
from otel_carbon.processor.model.coefficients import EnergyClass
from otel_carbon.processor.model.estimate import Site
from otel_carbon.processor.model.grid import resolve_grid
from otel_carbon.processor.model.usage import USAGE_KEYS

_logger = logging.getLogger("otel_carbon")
AttributeValue = str | bool | int | float
_ProfileKey = tuple[str, str | None, str | None]
_NO_ATTRIBUTES: Mapping[str, object] = {}
_MetricSeries = tuple[Mapping[str, str], tuple[tuple[str, str], ...]]


def _series(attributes: Mapping[str, str]) -> _MetricSeries:
    return attributes, tuple(attributes.items())


def _text(value: object) -> str | None:
    return value if type(value) is str and value else None
_PROFILE_CACHE_SIZE = 1024
WH_TO_JOULES = 3600.0


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


@dataclass(frozen=True, slots=True)
class _Profile:
    energy_class: EnergyClass
    site: Site
    static_attributes: Mapping[str, AttributeValue]
    metric_series: _MetricSeries


class _BoundedLabels:
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


class CarbonEnricher:
    def __init__(self, config: CarbonConfig, coefficients: Coefficients | None = None) -> None:
        self._coefficients = coefficients or _load(config)
        self._pue_override = config.pue
        self._grid = resolve_grid(
            self._coefficients, config.region, config.grid_intensity, f"config:{ENV_GRID_INTENSITY}"
        )
        self._models = _BoundedLabels(config.max_models)
        self._agents = _BoundedLabels(config.max_agents)
        self._profiles: dict[_ProfileKey, _Profile] = {}
        self._agent_metric_series: dict[tuple[_ProfileKey, str], _MetricSeries] = {}

    def enrich(
        self, attributes: Mapping[str, object], resource_attributes: Mapping[str, object] = _NO_ATTRIBUTES
    ) -> Enrichment | None:
        """The carbon attributes for a span's attributes, or None when the span reports no GenAI usage.

        ``resource_attributes`` (``cloud.region``, ``cloud.provider``) locate self-hosted inference.
        """
        if attributes.keys().isdisjoint(USAGE_KEYS):
            return None
        usage = parse_usage(attributes)
        if usage is None:
            return None
        if isinstance(usage, UsageError):
            return Enrichment({sc.ESTIMATE_ERROR: usage.message}, None)
        key = (usage.component, usage.provider, usage.model)
        profile = self._profile(key, usage)
        result = estimate(usage, profile.energy_class, profile.site, self._coefficients.cached_input_factor)
        metric_attributes, series_key = self._metric_attributes(key, profile, attributes.get(sc.GEN_AI_AGENT_NAME))
        return Enrichment(
            {
                **profile.static_attributes,
                sc.ENERGY_WH: result.energy_wh,
                sc.ENERGY_WH_LOW: result.energy_wh_low,
                sc.ENERGY_WH_HIGH: result.energy_wh_high,
                sc.EMISSIONS_GCO2E: result.emissions_g,
                sc.EMISSIONS_GCO2E_LOW: result.emissions_g_low,
                sc.EMISSIONS_GCO2E_HIGH: result.emissions_g_high,
            },
            metric_attributes,
            result.energy_wh * WH_TO_JOULES,
            result.emissions_g,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            conversation_id=_text(attributes.get(sc.GEN_AI_CONVERSATION_ID)),
            series_key=series_key,
        )

    def _profile(self, key: _ProfileKey, usage: Usage) -> _Profile:
        profile = self._profiles.get(key)
        if profile is None:
            if len(self._profiles) >= _PROFILE_CACHE_SIZE:
                self._profiles.clear()
            profile = self._profiles[key] = self._build_profile(usage)
        return profile

    def _build_profile(self, usage: Usage) -> _Profile:
        match = self._coefficients.match_model(usage.component, usage.model)
        pue = self._coefficients.pue_for(usage.provider)
        if self._pue_override is not None:
            pue = Pue(Range(self._pue_override, self._pue_override, self._pue_override), "config:OTEL_CARBON_PUE")
        static: dict[str, AttributeValue] = {
            sc.COMPONENT: usage.component,
            sc.ENERGY_CLASS: match.energy_class.name,
            sc.MODEL: match.normalised_name,
            sc.PUE: pue.value.central,
            sc.GRID_INTENSITY: self._grid.grams_per_kwh,
            sc.GRID_INTENSITY_SOURCE: self._grid.source,
            sc.REGION: self._grid.region,
            sc.METHODOLOGY_VERSION: self._coefficients.methodology_version,
        }
        if not match.known:
            static[sc.MODEL_UNKNOWN] = True
        metric_attributes = {
            sc.COMPONENT: usage.component,
            sc.GEN_AI_PROVIDER_NAME: usage.provider or sc.OTHER_VALUE,
            sc.MODEL: self._models.label(match.normalised_name or sc.OTHER_VALUE),
            sc.REGION: self._grid.region,
        }
        site = Site(pue.value, self._grid.grams_per_kwh)
        return _Profile(match.energy_class, site, static, _series(metric_attributes))

    def _metric_attributes(self, key: _ProfileKey, profile: _Profile, agent: object) -> _MetricSeries:
        if not isinstance(agent, str) or not agent:
            return profile.metric_series
        agent_key = (key, agent)
        cached = self._agent_metric_series.get(agent_key)
        if cached is None:
            if len(self._agent_metric_series) >= _PROFILE_CACHE_SIZE:
                self._agent_metric_series.clear()
            cached = _series({**profile.metric_series[0], sc.GEN_AI_AGENT_NAME: self._agents.label(agent)})
            self._agent_metric_series[agent_key] = cached
        return cached


def _load(config: CarbonConfig) -> Coefficients:
    if config.config_file is None:
        return load_coefficients()
    try:
        return load_coefficients(config.config_file)
    except Exception as error:  # a bad user file must not break the app
        _logger.warning(
            "otel-carbon: ignoring %s=%s: %s; using the bundled catalogue", ENV_CONFIG_FILE, config.config_file, error
        )
        return load_coefficients()
