"""Span attributes in, carbon attributes and metric values out. Shared by every place that enriches spans:
the SDK span processor, the collector-tier service, the Rotel adapter and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from otel_carbon import semconv as sc
from otel_carbon.processor.config import (
    ENV_CONFIG_FILE,
    ENV_GRID_INTENSITY,
    ENV_PUE,
    SPAN_ATTRIBUTES_FULL,
    CarbonConfig,
)
from otel_carbon.processor.config_file import UserConfig, UserConfigError, load_user_config
from otel_carbon.processor.fast_path import SUPPORTED as FAST_PATH_SUPPORTED
from otel_carbon.processor.fast_path import WH_TO_JOULES, AttributeValue, Enrichment, FastEntry, FastKey, fast_key
from otel_carbon.processor.grid import LiveGrid, build_live_grid
from otel_carbon.processor.labels import MAX_PROVIDERS, BoundedLabels, BoundedSeries, MetricSeries
from otel_carbon.processor.model import Coefficients, Range, Site, Usage, UsageError, estimate, parse_usage
from otel_carbon.processor.model.coefficients import EnergyClass, load_coefficients
from otel_carbon.processor.model.embodied import load_embodied_factor
from otel_carbon.processor.model.location import Location, resolve_location
from otel_carbon.processor.model.sites import SiteTables, load_site_tables
from otel_carbon.processor.model.usage import USAGE_KEYS

_logger = logging.getLogger("otel_carbon")
_NO_ATTRIBUTES: Mapping[str, object] = {}
_CACHE_SIZE = 1024
_ProfileKey = tuple[str, str | None, str | None, Location]
_LocationKey = tuple[str | None, object, object, object]


@dataclass(frozen=True, slots=True)
class _Profile:
    """Everything about a (component, provider, model, location) that does not change from call to call."""

    energy_class: EnergyClass
    site: Site
    low_carbon_share: float | None
    static_attributes: Mapping[str, AttributeValue]
    metric_attributes: Mapping[str, str]
    """The series' dimensions, without the agent and the usage source."""


FULL_ONLY_ATTRIBUTES = frozenset(
    {
        sc.EMISSIONS_GCO2E_LOW,
        sc.EMISSIONS_GCO2E_HIGH,
        sc.EMISSIONS_BASIS,
        sc.GRID_INTENSITY_BASIS,
        sc.PUE_SOURCE,
        sc.CLOUD_REGION_USED,
        sc.LOW_CARBON_SHARE,
    }
)
"""Carbon span attributes written only with ``OTEL_CARBON_SPAN_ATTRIBUTES=full``: each exported attribute
costs about 20 k instructions in the OTLP encoder, and these are either provenance that is constant for a
deployment or follow from the others (emissions range = energy range x grid intensity). Where the region
and the grid intensity came from stays: those vary by call and explain a surprising figure."""


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
        self._full = config.span_attributes == SPAN_ATTRIBUTES_FULL
        self._models = BoundedLabels(config.max_models)
        self._agents = BoundedLabels(config.max_agents)
        self._providers = BoundedLabels(MAX_PROVIDERS)
        self._series = BoundedSeries()
        self._locations: dict[_LocationKey, Location] = {}
        self._profiles: dict[_ProfileKey, _Profile] = {}
        self._metric_series_cache: dict[tuple[_ProfileKey, str | None, str], MetricSeries] = {}
        self._fast_entries: dict[FastKey, FastEntry] = {}
        self.fast_path = FAST_PATH_SUPPORTED
        """False sends every span down the reference path (the fast path's equivalence tests compare both)."""

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
        self,
        attributes: Mapping[str, object],
        resource_attributes: Mapping[str, object] = _NO_ATTRIBUTES,
        resource_key: object = None,
    ) -> Enrichment | None:
        """The carbon attributes for a span's attributes, or None when the span reports no GenAI usage.

        ``resource_attributes`` (``cloud.provider``, ``cloud.region``) locate self-hosted inference.
        ``resource_key``, when given, identifies ``resource_attributes`` (same key, same attributes) and
        enables a per-key cache of everything but the usage.
        """
        if attributes.keys().isdisjoint(USAGE_KEYS):
            return None
        usage = parse_usage(attributes)
        if usage is None:
            return None
        if isinstance(usage, UsageError):
            return Enrichment({sc.ESTIMATE_ERROR: usage.message}, None)
        if resource_key is not None and self._live is None and self.fast_path:
            key = fast_key(usage, attributes, resource_key)
            if key is not None:
                entry = self._fast_entries.get(key)
                if entry is not None:
                    return entry.enrich(usage, _text(attributes.get(sc.GEN_AI_CONVERSATION_ID)))
                enrichment = self._enrich(usage, attributes, resource_attributes)
                self._cache_fast_entry(key, usage, attributes, resource_attributes)
                return enrichment
        return self._enrich(usage, attributes, resource_attributes)

    def _cache_fast_entry(
        self, key: FastKey, usage: Usage, attributes: Mapping[str, object], resource_attributes: Mapping[str, object]
    ) -> None:
        location = self._location(attributes, resource_attributes)
        profile_key = (usage.component, usage.provider, usage.model, location)
        profile = self._profiles.get(profile_key) or self._cache_profile(profile_key, usage, location)
        series = self._metric_series(profile_key, profile, attributes)
        if len(self._fast_entries) >= _CACHE_SIZE:
            self._fast_entries.clear()
        self._fast_entries[key] = FastEntry(
            profile.static_attributes,
            profile.energy_class,
            profile.site,
            self._coefficients.cached_input_factor,
            profile.low_carbon_share,
            self._embodied_g_per_kwh,
            series,
            full=self._full,
        )

    def _enrich(
        self, usage: Usage, attributes: Mapping[str, object], resource_attributes: Mapping[str, object]
    ) -> Enrichment:
        """The reference path: every step spelled out, no per-key cache beyond location and profile."""
        location = self._location(attributes, resource_attributes)
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
            if self._full:
                span_attributes[sc.GRID_INTENSITY_BASIS] = self._live_basis
        result = estimate(
            usage,
            profile.energy_class,
            site,
            self._coefficients.cached_input_factor,
            self._coefficients.estimated_usage_range_factor,
        )
        span_attributes[sc.ENERGY_WH] = result.energy_wh
        span_attributes[sc.ENERGY_WH_LOW] = result.energy_wh_low
        span_attributes[sc.ENERGY_WH_HIGH] = result.energy_wh_high
        span_attributes[sc.EMISSIONS_GCO2E] = result.emissions_g
        if self._full:
            span_attributes[sc.EMISSIONS_GCO2E_LOW] = result.emissions_g_low
            span_attributes[sc.EMISSIONS_GCO2E_HIGH] = result.emissions_g_high
        span_attributes[sc.WATER_L] = result.water_l
        embodied = None
        if self._embodied_g_per_kwh is not None:
            embodied = span_attributes[sc.EMBODIED_GCO2E] = result.it_energy_wh / 1000.0 * self._embodied_g_per_kwh
        energy_joules = result.energy_wh * WH_TO_JOULES
        metric_attributes, series_key = self._metric_series(key, profile, attributes)
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

    def _location(self, attributes: Mapping[str, object], resource_attributes: Mapping[str, object]) -> Location:
        key = (  # resolve_location reads only strings of these: anything else (even unhashable) is None
            _str_or_none(attributes.get(sc.GEN_AI_PROVIDER_NAME) or attributes.get(sc.GEN_AI_SYSTEM)),
            _str_or_none(attributes.get(sc.SERVER_ADDRESS)),
            _str_or_none(resource_attributes.get(sc.CLOUD_PROVIDER)),
            _str_or_none(resource_attributes.get(sc.CLOUD_REGION)),
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
        if not self._full:
            static = {key: value for key, value in static.items() if key not in FULL_ONLY_ATTRIBUTES}
        site = Site(
            pue,
            grams_per_kwh,
            provider_site.onsite_wue_l_per_kwh.central,
            zone.offsite_water_l_per_kwh if zone.offsite_water_l_per_kwh is not None else self._default_offsite_water,
        )
        metric_attributes = {
            sc.COMPONENT: usage.component,
            sc.GEN_AI_PROVIDER_NAME: self._providers.label(usage.provider or sc.OTHER_VALUE),
            sc.MODEL: self._models.label(match.normalised_name or sc.OTHER_VALUE),
            sc.REGION: location.zone,
        }
        return _Profile(match.energy_class, site, zone.low_carbon_share, static, metric_attributes)

    def _metric_series(self, key: _ProfileKey, profile: _Profile, attributes: Mapping[str, object]) -> MetricSeries:
        agent = attributes.get(sc.GEN_AI_AGENT_NAME)
        agent = agent if isinstance(agent, str) and agent else None
        source = usage_source(attributes)
        series_key = (key, agent, source)
        cached = self._metric_series_cache.get(series_key)
        if cached is None:
            if len(self._metric_series_cache) >= _CACHE_SIZE:
                self._metric_series_cache.clear()
            metric_attributes = {**profile.metric_attributes, sc.USAGE_SOURCE: source}
            if agent is not None:
                metric_attributes[sc.GEN_AI_AGENT_NAME] = self._agents.label(agent)
            cached = self._metric_series_cache[series_key] = self._series.series(metric_attributes)
        return cached


def usage_source(attributes: Mapping[str, object]) -> str:
    """``estimated`` when the instrumentation says so; usage is otherwise reported by the provider."""
    if attributes.get(sc.USAGE_SOURCE) == sc.USAGE_SOURCE_ESTIMATED:
        return sc.USAGE_SOURCE_ESTIMATED
    return sc.USAGE_SOURCE_REPORTED


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


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
