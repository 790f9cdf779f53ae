"""Span attributes in, carbon attributes and metric values out. Shared by every place that enriches spans:
the SDK span processor, the collector-tier service, the Rotel adapter and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from otel_carbon import semconv as sc
from otel_carbon.processor.config import ENV_CONFIG_FILE, ENV_GRID_INTENSITY, ENV_PUE, CarbonConfig
from otel_carbon.processor.config_file import UserConfig, UserConfigError, load_user_config
from otel_carbon.processor.grid import LiveGrid, build_live_grid
from otel_carbon.processor.model import Coefficients, Range, Site, Usage, UsageError, estimate, parse_usage
from otel_carbon.processor.model.coefficients import EnergyClass, load_coefficients
from otel_carbon.processor.model.embodied import load_embodied_factor
from otel_carbon.processor.model.location import Location, resolve_location
from otel_carbon.processor.model.sites import SiteTables, load_site_tables
from otel_carbon.processor.model.usage import USAGE_KEYS

_logger = logging.getLogger("otel_carbon")
AttributeValue = str | bool | int | float
_NO_ATTRIBUTES: Mapping[str, object] = {}
_CACHE_SIZE = 1024
WH_TO_JOULES = 3600.0
_MetricSeries = tuple[Mapping[str, str], tuple[tuple[str, str], ...]]
_ProfileKey = tuple[str, str | None, str | None, Location]
_LocationKey = tuple[str | None, object, object, object]


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
    """Everything about a (component, provider, model, location) that does not change from call to call."""

    energy_class: EnergyClass
    site: Site
    low_carbon_share: float | None
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
    """Turns one span's GenAI usage into energy, emissions, water and their provenance.

    With ``live_grid`` (the default) and ``OTEL_CARBON_GRID_PROVIDER`` set, grid intensity comes from a
    live provider refreshed in the background; ``close()`` stops it.
    """

    def __init__(self, config: CarbonConfig, *, live_grid: bool = True) -> None:
        user_config = _load_user_config(config)
        self._coefficients: Coefficients = load_coefficients(user_config)
        self._sites: SiteTables = load_site_tables(user_config.site_overrides() if user_config else None)
        self._config = config
        # A configured intensity wins over live values, so no live grid is started then.
        self._live: LiveGrid | None = build_live_grid(config) if live_grid and config.grid_intensity is None else None
        self._live_basis = (
            sc.BASIS_MARGINAL
            if self._live is not None and self._live.source.endswith(":marginal")
            else sc.BASIS_LIFECYCLE
        )
        self._embodied_g_per_kwh = load_embodied_factor().central if config.embodied else None
        # Zones without a water figure of their own use the world's, rather than counting no water.
        self._default_offsite_water = self._sites.grid_by_zone[self._sites.default_zone].offsite_water_l_per_kwh or 0.0
        self._models = _BoundedLabels(config.max_models)
        self._agents = _BoundedLabels(config.max_agents)
        self._locations: dict[_LocationKey, Location] = {}
        self._profiles: dict[_ProfileKey, _Profile] = {}
        self._agent_metric_series: dict[tuple[_ProfileKey, str], _MetricSeries] = {}

    @property
    def coefficients(self) -> Coefficients:
        return self._coefficients

    @property
    def sites(self) -> SiteTables:
        return self._sites

    def close(self) -> None:
        if self._live is not None:
            self._live.close()

    def enrich(
        self, attributes: Mapping[str, object], resource_attributes: Mapping[str, object] = _NO_ATTRIBUTES
    ) -> Enrichment | None:
        """The carbon attributes for a span's attributes, or None when the span reports no GenAI usage.

        ``resource_attributes`` (``cloud.provider``, ``cloud.region``) locate self-hosted inference.
        """
        if attributes.keys().isdisjoint(USAGE_KEYS):
            return None
        usage = parse_usage(attributes)
        if usage is None:
            return None
        if isinstance(usage, UsageError):
            return Enrichment({sc.ESTIMATE_ERROR: usage.message}, None)
        location = self._location(usage.provider, attributes, resource_attributes)
        key = (usage.component, usage.provider, usage.model, location)
        profile = self._profiles.get(key)
        if profile is None:
            profile = self._cache_profile(key, usage, location)
        span_attributes: dict[str, AttributeValue] = {**profile.static_attributes}
        site = profile.site
        reading = self._live.current(location.zone) if self._live is not None else None
        if reading is not None:
            site = Site(site.pue, reading.grams_per_kwh, site.onsite_wue_l_per_kwh, site.offsite_water_l_per_kwh)
            span_attributes[sc.GRID_INTENSITY] = reading.grams_per_kwh
            span_attributes[sc.GRID_INTENSITY_SOURCE] = reading.source
            span_attributes[sc.GRID_INTENSITY_BASIS] = self._live_basis
        result = estimate(usage, profile.energy_class, site, self._coefficients.cached_input_factor)
        span_attributes[sc.ENERGY_WH] = result.energy_wh
        span_attributes[sc.ENERGY_WH_LOW] = result.energy_wh_low
        span_attributes[sc.ENERGY_WH_HIGH] = result.energy_wh_high
        span_attributes[sc.EMISSIONS_GCO2E] = result.emissions_g
        span_attributes[sc.EMISSIONS_GCO2E_LOW] = result.emissions_g_low
        span_attributes[sc.EMISSIONS_GCO2E_HIGH] = result.emissions_g_high
        span_attributes[sc.WATER_L] = result.water_l
        embodied = None
        if self._embodied_g_per_kwh is not None:
            embodied = span_attributes[sc.EMBODIED_GCO2E] = result.it_energy_wh / 1000.0 * self._embodied_g_per_kwh
        energy_joules = result.energy_wh * WH_TO_JOULES
        metric_attributes, series_key = self._metric_series(key, profile, attributes.get(sc.GEN_AI_AGENT_NAME))
        return Enrichment(
            span_attributes,
            metric_attributes,
            energy_joules,
            result.emissions_g,
            result.water_l,
            None if profile.low_carbon_share is None else energy_joules * profile.low_carbon_share,
            embodied,
            usage.input_tokens,
            usage.output_tokens,
            _text(attributes.get(sc.GEN_AI_CONVERSATION_ID)),
            series_key,
        )

    def _location(
        self, provider: str | None, attributes: Mapping[str, object], resource_attributes: Mapping[str, object]
    ) -> Location:
        key = (
            provider,
            attributes.get(sc.SERVER_ADDRESS),
            resource_attributes.get(sc.CLOUD_PROVIDER),
            resource_attributes.get(sc.CLOUD_REGION),
        )
        location = self._locations.get(key)
        if location is None:
            if len(self._locations) >= _CACHE_SIZE:
                self._locations.clear()
            config = self._config
            location = self._locations[key] = resolve_location(
                attributes,
                resource_attributes,
                self._sites,
                configured_region=config.region,
                self_hosted_region=config.self_hosted_region,
                azure_resources=config.azure_resources,
            )
        return location

    def _cache_profile(self, key: _ProfileKey, usage: Usage, location: Location) -> _Profile:
        if len(self._profiles) >= _CACHE_SIZE:
            self._profiles.clear()
        profile = self._profiles[key] = self._build_profile(usage, location)
        return profile

    def _build_profile(self, usage: Usage, location: Location) -> _Profile:
        config = self._config
        match = self._coefficients.match_model(usage.component, usage.model)
        provider_site = self._sites.provider(usage.provider)
        zone = self._sites.grid_by_zone[location.zone]
        pue = provider_site.pue
        if config.pue is not None:
            pue = Range(config.pue, config.pue, config.pue)
        grams_per_kwh = zone.grams_per_kwh if config.grid_intensity is None else config.grid_intensity
        static: dict[str, AttributeValue] = {
            sc.COMPONENT: usage.component,
            sc.ENERGY_CLASS: match.energy_class.name,
            sc.MODEL: match.normalised_name,
            sc.PUE: pue.central,
            sc.GRID_INTENSITY: grams_per_kwh,
            sc.GRID_INTENSITY_SOURCE: zone.source_id
            if config.grid_intensity is None
            else f"config:{ENV_GRID_INTENSITY}",
            sc.GRID_INTENSITY_BASIS: sc.BASIS_LIFECYCLE if config.grid_intensity is None else sc.BASIS_CONFIGURED,
            sc.EMISSIONS_BASIS: sc.BASIS_LOCATION_BASED,
            sc.REGION: location.zone,
            sc.REGION_SOURCE: location.source,
            sc.METHODOLOGY_VERSION: self._coefficients.methodology_version,
        }
        static[sc.PUE_SOURCE] = provider_site.source_id if config.pue is None else f"config:{ENV_PUE}"
        if location.cloud_region is not None:
            static[sc.CLOUD_REGION_USED] = location.cloud_region
        if zone.low_carbon_share is not None:
            static[sc.LOW_CARBON_SHARE] = zone.low_carbon_share
        if not match.known:
            static[sc.MODEL_UNKNOWN] = True
        site = Site(
            pue,
            grams_per_kwh,
            provider_site.onsite_wue_l_per_kwh.central,
            zone.offsite_water_l_per_kwh if zone.offsite_water_l_per_kwh is not None else self._default_offsite_water,
        )
        metric_attributes = {
            sc.COMPONENT: usage.component,
            sc.GEN_AI_PROVIDER_NAME: usage.provider or sc.OTHER_VALUE,
            sc.MODEL: self._models.label(match.normalised_name or sc.OTHER_VALUE),
            sc.REGION: location.zone,
        }
        return _Profile(match.energy_class, site, zone.low_carbon_share, static, _series(metric_attributes))

    def _metric_series(self, key: _ProfileKey, profile: _Profile, agent: object) -> _MetricSeries:
        if not isinstance(agent, str) or not agent:
            return profile.metric_series
        agent_key = (key, agent)
        cached = self._agent_metric_series.get(agent_key)
        if cached is None:
            if len(self._agent_metric_series) >= _CACHE_SIZE:
                self._agent_metric_series.clear()
            cached = _series({**profile.metric_series[0], sc.GEN_AI_AGENT_NAME: self._agents.label(agent)})
            self._agent_metric_series[agent_key] = cached
        return cached


def _series(attributes: Mapping[str, str]) -> _MetricSeries:
    return attributes, tuple(attributes.items())


def _text(value: object) -> str | None:
    return value if type(value) is str and value else None


def _load_user_config(config: CarbonConfig) -> UserConfig | None:
    if config.config_file is None:
        return None
    try:
        return load_user_config(config.config_file)
    except UserConfigError as error:  # a bad user file must not break the app: one line, then the bundled data
        _logger.warning("otel-carbon: ignoring %s: %s; using the bundled data", ENV_CONFIG_FILE, error)
        return None
