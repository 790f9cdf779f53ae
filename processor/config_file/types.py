"""What a validated user config file holds, and its one error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from otel_carbon.processor.model.coefficients import CatalogueEntry, EnergyClass
from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.model.tables import Range


class UserConfigError(ValueError):
    """The user config file is unusable; the message names the file, the line and the key."""

    def __init__(self, path: Path, line: int | None, key: str | None, problem: str, column: int | None = None) -> None:
        where = str(path) if line is None else f"{path}:{line}" + ("" if column is None else f":{column}")
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ZoneOverride:
    zone: str
    new: bool  # not in the bundled table
    intensity: float | None = None  # gCO2e/kWh
    source: str | None = None
    year: int | None = None
    low_carbon_share: float | None = None
    renewable_share: float | None = None
    offsite_water_l_per_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class ProviderOverride:
    provider: str
    new: bool  # not in the bundled table
    pue: Range | None = None
    wue: Range | None = None  # on-site, L per kWh of IT energy
    operator: str | None = None
    default_zone: str | None = None
    default_cloud_region: str | None = None
    source: str | None = None


# eq=False: hashed by identity, so load_coefficients can cache per loaded file.
@dataclass(frozen=True, eq=False)
class UserConfig:
    path: Path
    models: Mapping[str, CatalogueEntry]
    """Normalised name -> entry; own coefficients are in ``classes`` as ``model:<name>``."""
    classes: Mapping[str, EnergyClass]
    zones: Mapping[str, ZoneOverride]
    cloud_regions: Mapping[str, str]
    """``aws:us-east-1`` -> grid zone."""
    providers: Mapping[str, ProviderOverride]

    @property
    def source_id(self) -> str:
        """What spans name as the source of a figure the file gives without one."""
        return f"user:{self.path.name}"

    def site_overrides(self) -> dict[str, Any]:
        """Zones, cloud regions and providers in the ``overrides`` shape of ``load_site_tables``."""
        overrides: dict[str, Any] = {}
        if self.zones:
            overrides["zones"] = {code: self._zone_table(zone) for code, zone in self.zones.items()}
        if self.cloud_regions:
            overrides["cloud_regions"] = dict(self.cloud_regions)
        if self.providers:
            default = load_site_tables().default_provider
            overrides["providers"] = {
                name: self._provider_table(provider, default) for name, provider in self.providers.items()
            }
        return overrides

    def _zone_table(self, zone: ZoneOverride) -> dict[str, Any]:
        fields = ("intensity", "year", "low_carbon_share", "renewable_share", "offsite_water_l_per_kwh")
        table: dict[str, Any] = {key: getattr(zone, key) for key in fields if getattr(zone, key) is not None}
        if zone.intensity is not None:
            table["source_id"] = zone.source or self.source_id
        if zone.new and zone.year is None:
            table["year"] = date.today().year  # a figure given without a year is taken as current
        return table

    def _provider_table(self, provider: ProviderOverride, default: Any) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for key in ("operator", "default_zone", "default_cloud_region"):
            if getattr(provider, key) is not None:
                table[key] = getattr(provider, key)
        for key in ("pue", "wue"):
            value = getattr(provider, key)
            if value is not None:
                table[key] = _range_table(value)
        if provider.pue or provider.wue or provider.source:
            table["source_id"] = provider.source or self.source_id
        if provider.new and provider.operator is None:
            # A new provider on no named operator: the unknown-provider defaults fill what the file leaves out.
            table.setdefault("pue", _range_table(default.pue))
            table.setdefault("wue", _range_table(default.onsite_wue_l_per_kwh))
            table.setdefault("source_id", default.source_id)
        return table


def _range_table(value: Range) -> dict[str, float]:
    return {"central": value.central, "low": value.low, "high": value.high}
