"""Where inference runs: grid zones, cloud regions, providers' data-centre factors (typed view of data files).

Data files (processor/data/):
  grid.toml           country grid zones: intensity, year, low-carbon and renewable share, off-site water
  cloud_regions.toml  AWS / GCP / Azure region -> grid zone
  providers.toml      gen_ai.provider.name -> PUE, on-site WUE, default serving zone / cloud region
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from otel_carbon.processor.model.coefficients import Range


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


@dataclass(frozen=True, slots=True)
class ProviderSite:
    """A provider's data-centre factors and where it serves from when the call does not say."""

    provider: str
    pue: Range
    onsite_wue_l_per_kwh: Range  # litres per kWh of IT energy
    default_zone: str | None
    default_cloud_region: str | None  # e.g. "azure:eastus2"
    source_id: str


@dataclass(frozen=True, slots=True)
class SiteTables:
    grid_by_zone: Mapping[str, GridZone]
    default_zone: str
    providers: Mapping[str, ProviderSite]
    default_provider: ProviderSite
    cloud_region_zone: Mapping[
        str, str
    ]  # "aws:us-east-1" -> "US", "gcp:europe-west4" -> "NL", "azure:swedencentral" -> "SE"

    def provider(self, name: str | None) -> ProviderSite:
        return self.providers.get(name or "", self.default_provider)
