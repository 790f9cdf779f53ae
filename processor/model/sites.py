"""Where inference runs: grid zones, cloud regions, providers' data-centre factors (typed view of data files).

Data files (processor/data/):
  grid.toml           country grid zones: intensity, year, low-carbon and renewable share, off-site water
  cloud_regions.toml  AWS / GCP / Azure region -> grid zone
  providers.toml      gen_ai.provider.name -> PUE, on-site WUE, default serving zone / cloud region
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from otel_carbon.processor.model import tables
from otel_carbon.processor.model.tables import (
    MAX_GRID_INTENSITY,
    MAX_OFFSITE_WATER,
    MAX_WUE,
    PUE_BOUNDS,
    KeyPath,
    Range,
    Source,
    TableError,
)


@dataclass(frozen=True, slots=True)
class GridZone:
    """One grid zone (a country, ISO 3166-1 alpha-2, or ``WORLD``) from the bundled table."""

    zone: str
    grams_per_kwh: float
    year: int
    source_id: str
    low_carbon_share: float | None  # 0..1 of generation: nuclear + renewables
    renewable_share: float | None  # 0..1 of generation
    offsite_water_l_per_kwh: float | None  # water consumed generating one kWh
    shares_year: int | None = None  # the shares may come from an older year than the intensity
    shares_source_id: str | None = None
    water_source_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderSite:
    """A provider's data-centre factors and where it serves from when the call does not say."""

    provider: str
    pue: Range
    onsite_wue_l_per_kwh: Range  # litres per kWh of IT energy
    default_zone: str | None
    default_cloud_region: str | None  # e.g. "azure:eastus2"
    source_id: str
    operator: str | None = None  # key of providers.toml [operators]: who runs the data centres


@dataclass(frozen=True, slots=True)
class SiteTables:
    grid_by_zone: Mapping[str, GridZone]
    default_zone: str
    providers: Mapping[str, ProviderSite]
    default_provider: ProviderSite
    cloud_region_zone: Mapping[
        str, str
    ]  # "aws:us-east-1" -> "US", "gcp:europe-west4" -> "NL", "azure:swedencentral" -> "SE"
    sources: Mapping[str, Source] = field(default_factory=dict)  # every data file's [sources], by id

    def provider(self, name: str | None) -> ProviderSite:
        return self.providers.get(name or "", self.default_provider)

    def zone_for(self, region: str | None) -> GridZone | None:
        """The grid zone of a zone code (``FR``, ``world``) or a cloud region (``aws:us-east-1``); None if unknown."""
        if not region:
            return None
        key = region.strip()
        if ":" in key:
            zone = self.cloud_region_zone.get(key.lower())
            return None if zone is None else self.grid_by_zone.get(zone)
        return self.grid_by_zone.get(key.upper())

    def provider_zone(self, name: str | None) -> GridZone:
        """Where a provider serves from when the call does not say: its default cloud region's zone, else its
        default zone, else the table's default zone."""
        site = self.provider(name)
        found = self.zone_for(site.default_cloud_region) or self.zone_for(site.default_zone)
        return found or self.grid_by_zone[self.default_zone]


def load_site_tables(overrides: Mapping[str, Any] | None = None) -> SiteTables:
    """The bundled tables, with ``overrides`` layered on top.

    ``overrides`` has the shape of the data files merged: ``zones``, ``cloud_regions`` (region -> zone),
    ``operators``, ``providers``, ``default`` and ``sources`` tables and a ``default_zone`` key. An entry
    that exists is updated key by key (``{"zones": {"FR": {"intensity": 50.0}}}`` keeps FR's year and
    shares); a new one must be complete. Raises TableError (a ValueError) for a missing key or a reference to an
    unknown zone, cloud region or operator (a TableError, a ValueError).
    """
    if not overrides:
        return _bundled()
    return _tables(_layered(_bundled_raw(), overrides))


@cache
def _bundled() -> SiteTables:
    return tables.bundled_check("grid.toml, cloud_regions.toml or providers.toml", lambda: _tables(_bundled_raw()))


def _bundled_raw() -> dict[str, Any]:
    """The three files as one mapping in the ``overrides`` shape."""
    grid = tables.read_bundled("grid.toml")
    cloud = tables.read_bundled("cloud_regions.toml")
    providers = tables.read_bundled("providers.toml")
    return {
        "default_zone": grid["default_zone"],
        "zones": grid["zones"],
        "cloud_regions": cloud["regions"],
        "operators": providers["operators"],
        "providers": providers["providers"],
        "default": providers["default"],
        "sources": _sources(grid, cloud, providers),
    }


def _sources(*files: Mapping[str, Any]) -> dict[str, Any]:
    """All files' [sources] tables as one; an id may be defined once."""
    merged: dict[str, Any] = {}
    for raw in files:
        for source_id, table in raw.get("sources", {}).items():
            _require(source_id not in merged, ("sources", source_id), "defined twice")
            merged[source_id] = table
    return merged


def _layered(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if key in _ENTRY_TABLES:
            normalise = _ENTRY_TABLES[key]
            entries = dict(base[key])
            for name, entry in value.items():
                name = normalise(name)
                entries[name] = {**entries.get(name, {}), **entry}
            merged[key] = entries
        elif key == "cloud_regions":
            merged[key] = {**base[key], **{region.lower(): zone for region, zone in value.items()}}
        elif key == "default":
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


_ENTRY_TABLES = {"zones": str.upper, "operators": str, "providers": str, "sources": str}


def _tables(raw: Mapping[str, Any]) -> SiteTables:
    zones = {code.upper(): _zone(code.upper(), table) for code, table in raw["zones"].items()}
    cloud = {region.lower(): str(zone).upper() for region, zone in raw["cloud_regions"].items()}
    default_zone = str(raw["default_zone"]).upper()
    _require(default_zone in zones, ("default_zone",), f"{default_zone!r} is not in zones")
    for region, zone in cloud.items():
        _require(zone in zones, ("cloud_regions", region), f"maps to unknown zone {zone!r}")
    operators = raw["operators"]
    providers = {name: _provider(name, table, operators) for name, table in raw["providers"].items()}
    default_provider = _provider("default", raw["default"], operators)
    for site in (*providers.values(), default_provider):
        path = _provider_path(site.provider)
        _require(site.default_zone is None or site.default_zone in zones, path, "unknown default_zone")
        _require(
            site.default_cloud_region is None or site.default_cloud_region in cloud,
            path,
            f"unknown default_cloud_region {site.default_cloud_region!r}",
        )
    sources = {source_id: _source(source_id, table) for source_id, table in raw.get("sources", {}).items()}
    return SiteTables(zones, default_zone, providers, default_provider, cloud, sources)


def _require(condition: bool, path: KeyPath, problem: str) -> None:
    if not condition:
        raise TableError(path, problem)


def _provider_path(name: str) -> KeyPath:
    return ("default",) if name == "default" else ("providers", name)


def _optional_int(table: Mapping[str, Any], key: str) -> int | None:
    return int(table[key]) if key in table else None


def _zone(code: str, table: Mapping[str, Any]) -> GridZone:
    path = ("zones", code)
    tables.table(path, table)
    return GridZone(
        zone=code,
        grams_per_kwh=tables.number(
            path + ("intensity",), tables.field(table, path, "intensity"), 0.0, MAX_GRID_INTENSITY
        ),
        year=int(tables.field(table, path, "year")),
        source_id=str(tables.field(table, path, "source_id")),
        low_carbon_share=tables.optional_number(path, table, "low_carbon_share", 0.0, 1.0),
        renewable_share=tables.optional_number(path, table, "renewable_share", 0.0, 1.0),
        offsite_water_l_per_kwh=tables.optional_number(path, table, "offsite_water_l_per_kwh", 0.0, MAX_OFFSITE_WATER),
        shares_year=_optional_int(table, "shares_year"),
        shares_source_id=table.get("shares_source_id"),
        water_source_id=table.get("water_source_id"),
    )


def _provider(name: str, table: Mapping[str, Any], operators: Mapping[str, Any]) -> ProviderSite:
    """A provider's own ``pue`` / ``wue`` / ``source_id`` where set, else its operator's."""
    path = _provider_path(name)
    tables.table(path, table)
    operator_name = table.get("operator")
    operator: Mapping[str, Any] = {}
    if operator_name is not None:
        _require(operator_name in operators, path, f"unknown operator {operator_name!r}")
        operator = operators[operator_name]
    factors = {**operator, **table}
    default_zone = table.get("default_zone")
    default_cloud_region = table.get("default_cloud_region")
    return ProviderSite(
        provider=name,
        pue=tables.range_value(path + ("pue",), tables.field(factors, path, "pue"), *PUE_BOUNDS),
        onsite_wue_l_per_kwh=tables.range_value(path + ("wue",), tables.field(factors, path, "wue"), 0.0, MAX_WUE),
        default_zone=None if default_zone is None else str(default_zone).upper(),
        default_cloud_region=None if default_cloud_region is None else str(default_cloud_region).lower(),
        source_id=str(tables.field(factors, path, "source_id")),
        operator=operator_name,
    )


def _source(source_id: str, table: Mapping[str, Any]) -> Source:
    path = ("sources", source_id)
    return Source(
        id=source_id,
        title=str(tables.field(table, path, "title")),
        url=str(tables.field(table, path, "url")),
        year=int(tables.field(table, path, "year")),
        licence=str(tables.field(table, path, "licence")),
    )
