"""Where inference runs: grid zones, cloud regions, providers' data-centre factors (typed view of data files).

Data files (processor/data/):
  grid.toml           country grid zones: intensity, year, low-carbon and renewable share, off-site water
  cloud_regions.toml  AWS / GCP / Azure region -> grid zone
  providers.toml      gen_ai.provider.name -> PUE, on-site WUE, default serving zone / cloud region
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from otel_carbon.processor.model.coefficients import Range

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# The data folder is package otel_carbon.processor.data; it has no __init__.py, so it is read through its parent.
DATA_PACKAGE = "otel_carbon.processor"


@dataclass(frozen=True, slots=True)
class Source:
    """A citation from a data file's ``[sources.<id>]`` table; spans carry the id."""

    id: str
    title: str
    url: str
    year: int
    licence: str


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
    shares); a new one must be complete. Raises ValueError for a missing key or a reference to an
    unknown zone, cloud region or operator.
    """
    if not overrides:
        return _bundled()
    return _tables(_layered(_bundled_raw(), overrides))


@cache
def _bundled() -> SiteTables:
    return _tables(_bundled_raw())


def _read_toml(name: str) -> dict[str, Any]:
    text = resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _bundled_raw() -> dict[str, Any]:
    """The three files as one mapping in the ``overrides`` shape."""
    grid = _read_toml("grid.toml")
    cloud = _read_toml("cloud_regions.toml")
    providers = _read_toml("providers.toml")
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
            _require(source_id not in merged, f"sources.{source_id} is defined twice")
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
    _require(default_zone in zones, f"default_zone {default_zone!r} is not in zones")
    for region, zone in cloud.items():
        _require(zone in zones, f"cloud_regions: {region} maps to unknown zone {zone!r}")
    operators = raw["operators"]
    providers = {name: _provider(name, table, operators) for name, table in raw["providers"].items()}
    default_provider = _provider("default", raw["default"], operators)
    for site in (*providers.values(), default_provider):
        _require(site.default_zone is None or site.default_zone in zones, f"{site.provider}: unknown default_zone")
        _require(
            site.default_cloud_region is None or site.default_cloud_region in cloud,
            f"{site.provider}: unknown default_cloud_region {site.default_cloud_region!r}",
        )
    sources = {source_id: _source(source_id, table) for source_id, table in raw.get("sources", {}).items()}
    return SiteTables(zones, default_zone, providers, default_provider, cloud, sources)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _field(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ValueError(f"{where}: missing {key!r}")
    return table[key]


def _optional_float(table: Mapping[str, Any], key: str) -> float | None:
    return float(table[key]) if key in table else None


def _optional_int(table: Mapping[str, Any], key: str) -> int | None:
    return int(table[key]) if key in table else None


def _zone(code: str, table: Mapping[str, Any]) -> GridZone:
    where = f"zones.{code}"
    return GridZone(
        zone=code,
        grams_per_kwh=float(_field(table, "intensity", where)),
        year=int(_field(table, "year", where)),
        source_id=str(_field(table, "source_id", where)),
        low_carbon_share=_optional_float(table, "low_carbon_share"),
        renewable_share=_optional_float(table, "renewable_share"),
        offsite_water_l_per_kwh=_optional_float(table, "offsite_water_l_per_kwh"),
        shares_year=_optional_int(table, "shares_year"),
        shares_source_id=table.get("shares_source_id"),
        water_source_id=table.get("water_source_id"),
    )


def _range(table: Mapping[str, Any], where: str) -> Range:
    central, low, high = (float(_field(table, key, where)) for key in ("central", "low", "high"))
    _require(low <= central <= high, f"{where}: expected low <= central <= high")
    return Range(central, low, high)


def _provider(name: str, table: Mapping[str, Any], operators: Mapping[str, Any]) -> ProviderSite:
    """A provider's own ``pue`` / ``wue`` / ``source_id`` where set, else its operator's."""
    where = "default" if name == "default" else f"providers.{name}"
    operator_name = table.get("operator")
    operator: Mapping[str, Any] = {}
    if operator_name is not None:
        _require(operator_name in operators, f"{where}: unknown operator {operator_name!r}")
        operator = operators[operator_name]
    factors = {**operator, **table}
    default_zone = table.get("default_zone")
    default_cloud_region = table.get("default_cloud_region")
    return ProviderSite(
        provider=name,
        pue=_range(_field(factors, "pue", where), f"{where}.pue"),
        onsite_wue_l_per_kwh=_range(_field(factors, "wue", where), f"{where}.wue"),
        default_zone=None if default_zone is None else str(default_zone).upper(),
        default_cloud_region=None if default_cloud_region is None else str(default_cloud_region).lower(),
        source_id=str(_field(factors, "source_id", where)),
        operator=operator_name,
    )


def _source(source_id: str, table: Mapping[str, Any]) -> Source:
    where = f"sources.{source_id}"
    return Source(
        id=source_id,
        title=str(_field(table, "title", where)),
        url=str(_field(table, "url", where)),
        year=int(_field(table, "year", where)),
        licence=str(_field(table, "licence", where)),
    )
