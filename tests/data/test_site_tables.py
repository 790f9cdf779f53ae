"""The bundled tables of where inference runs: grid.toml, cloud_regions.toml, providers.toml."""

from __future__ import annotations

import pytest

from otel_carbon.processor.config import CarbonConfig, _bundled_regions
from otel_carbon.processor.model.sites import SiteTables, load_site_tables

PROVIDERS = (
    "openai",
    "azure.ai.openai",
    "azure.ai.inference",
    "anthropic",
    "aws.bedrock",
    "gcp.gemini",
    "gcp.vertex_ai",
    "gcp.gen_ai",
    "mistral_ai",
    "cohere",
    "deepseek",
    "groq",
    "x_ai",
    "perplexity",
    "elevenlabs",
    "deepgram",
    "assemblyai",
    "cartesia",
)


@pytest.fixture(scope="module")
def tables() -> SiteTables:
    return load_site_tables()


def _assert_cited(tables: SiteTables, source_id: str | None) -> None:
    assert source_id in tables.sources, source_id
    source = tables.sources[source_id]
    assert source.title and source.url and source.licence, source_id
    assert 1990 <= source.year <= 2030, source_id


def test_every_zone_has_a_plausible_intensity_year_shares_and_cited_sources(tables: SiteTables) -> None:
    assert len(tables.grid_by_zone) >= 200
    for code, zone in tables.grid_by_zone.items():
        assert zone.zone == code
        assert code == "WORLD" or (len(code) == 2 and code.isupper()), code
        assert 0 < zone.grams_per_kwh <= 2000, code
        assert 2015 <= zone.year <= 2030, code
        _assert_cited(tables, zone.source_id)
        for share in (zone.low_carbon_share, zone.renewable_share):
            assert share is None or 0.0 <= share <= 1.0, code
        if zone.low_carbon_share is not None and zone.renewable_share is not None:
            assert zone.renewable_share <= zone.low_carbon_share, code  # renewables are part of low-carbon
        if zone.low_carbon_share is not None or zone.renewable_share is not None:
            assert zone.shares_year is not None, code
            _assert_cited(tables, zone.shares_source_id)
        if zone.offsite_water_l_per_kwh is not None:
            assert 0 < zone.offsite_water_l_per_kwh < 100, code
            _assert_cited(tables, zone.water_source_id)
    assert tables.default_zone == "WORLD"


@pytest.mark.parametrize(
    ("zone", "grams", "year"),
    [
        # Ember yearly data via co2.js average-intensities.json
        ("FR", 44.18, 2024),
        ("DE", 344.14, 2024),
        ("US", 383.55, 2024),
        ("SE", 35.82, 2024),
        ("IN", 708.32, 2024),
        ("GB", 210.89, 2024),
        ("IE", 279.7, 2024),
        ("CN", 559.55, 2024),
        ("XK", 958.72, 2024),
        # Only in CodeCarbon's OWID extract
        ("TL", 698.113, 2021),
        # Ember 2024 World 473.05, EcoLogits WOR 473.01: whole grams
        ("WORLD", 473.0, 2024),
    ],
)
def test_intensity_matches_the_source(tables: SiteTables, zone: str, grams: float, year: int) -> None:
    assert (tables.grid_by_zone[zone].grams_per_kwh, tables.grid_by_zone[zone].year) == (grams, year)


def test_shares_and_water_match_the_sources(tables: SiteTables) -> None:
    france = tables.grid_by_zone["FR"]
    # CodeCarbon global_energy_mix.json FRA 2021: low-carbon 501.72, renewables 122.36 of 550.38 TWh
    assert (france.low_carbon_share, france.renewable_share, france.shares_year) == (0.9116, 0.2223, 2021)
    # EcoLogits electricity_mixes.csv, column wue
    assert france.offsite_water_l_per_kwh == 3.6737
    assert tables.grid_by_zone["US"].offsite_water_l_per_kwh == 3.1321
    assert tables.grid_by_zone["WORLD"].offsite_water_l_per_kwh == 3.908
    # CodeCarbon SWE 2021: 168.71 and 115.74 of 171.77 TWh
    assert (tables.grid_by_zone["SE"].low_carbon_share, tables.grid_by_zone["SE"].renewable_share) == (0.9822, 0.6738)


def test_every_cloud_region_maps_to_a_grid_zone(tables: SiteTables) -> None:
    for region, zone in tables.cloud_region_zone.items():
        assert zone in tables.grid_by_zone, region
        assert region == region.lower() and region.split(":")[0] in ("aws", "gcp", "azure"), region
    for cloud, at_least in (("aws", 35), ("gcp", 40), ("azure", 60)):
        assert sum(region.startswith(f"{cloud}:") for region in tables.cloud_region_zone) >= at_least, cloud
        _assert_cited(tables, f"{cloud}-regions")


@pytest.mark.parametrize(
    ("region", "zone"),
    [
        ("aws:us-east-1", "US"),
        ("aws:eu-west-1", "IE"),
        ("aws:eu-north-1", "SE"),
        ("aws:ap-south-1", "IN"),
        ("gcp:europe-west4", "NL"),
        ("gcp:europe-west1", "BE"),
        ("gcp:us-central1", "US"),
        ("azure:swedencentral", "SE"),
        ("azure:westeurope", "NL"),
        ("azure:northeurope", "IE"),
        ("azure:eastus2", "US"),
    ],
)
def test_cloud_region_spot_checks(tables: SiteTables, region: str, zone: str) -> None:
    assert tables.cloud_region_zone[region] == zone


def test_every_provider_has_ordered_factors_a_known_default_location_and_a_source(tables: SiteTables) -> None:
    assert set(PROVIDERS) <= set(tables.providers)
    for site in (*tables.providers.values(), tables.default_provider):
        assert 1.0 <= site.pue.low <= site.pue.central <= site.pue.high <= 2.0, site.provider
        wue = site.onsite_wue_l_per_kwh
        assert 0.0 <= wue.low <= wue.central <= wue.high <= 5.0, site.provider
        assert site.default_zone in tables.grid_by_zone, site.provider
        if site.default_cloud_region is not None:
            assert tables.cloud_region_zone[site.default_cloud_region] == site.default_zone, site.provider
        _assert_cited(tables, site.source_id)


def test_provider_spot_checks(tables: SiteTables) -> None:
    openai = tables.provider("openai")
    assert (openai.pue.central, openai.onsite_wue_l_per_kwh.central, openai.default_zone) == (1.18, 0.30, "US")
    assert tables.provider("gcp.vertex_ai").pue.central == 1.09
    assert tables.provider("aws.bedrock").default_cloud_region == "aws:us-east-1"
    assert tables.provider("mistral_ai").pue.central == 1.16
    assert tables.provider_zone("mistral_ai").zone == "SE"
    assert tables.provider_zone("deepseek").zone == "CN"
    assert tables.provider("someone-new") is tables.default_provider
    assert tables.provider_zone("someone-new").zone == "WORLD"


def test_zone_for_accepts_zone_codes_and_cloud_regions(tables: SiteTables) -> None:
    assert tables.zone_for("fr") is tables.grid_by_zone["FR"]
    assert tables.zone_for("AWS:EU-WEST-1") is tables.grid_by_zone["IE"]
    assert tables.zone_for("atlantis") is None
    assert tables.zone_for("aws:atlantis-1") is None
    assert tables.zone_for(None) is None


def test_bundled_tables_are_loaded_once() -> None:
    assert load_site_tables() is load_site_tables()


def test_overrides_update_entries_key_by_key_and_add_new_ones() -> None:
    tables = load_site_tables(
        {
            "zones": {"fr": {"intensity": 50.0}, "AQ": {"intensity": 10.0, "year": 2026, "source_id": "config"}},
            "cloud_regions": {"AWS:AQ-SOUTH-1": "aq"},
            "providers": {"openai": {"default_cloud_region": "azure:swedencentral"}},
        }
    )
    assert (tables.grid_by_zone["FR"].grams_per_kwh, tables.grid_by_zone["FR"].year) == (50.0, 2024)
    assert tables.zone_for("aws:aq-south-1") is tables.grid_by_zone["AQ"]
    assert tables.provider_zone("openai").zone == "SE"
    assert tables.provider("openai").pue.central == 1.18
    assert load_site_tables().grid_by_zone["FR"].grams_per_kwh == 44.18  # the bundled tables are untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cloud_regions": {"aws:x-1": "ZZ"}}, "unknown zone 'ZZ'"),
        ({"zones": {"ZZ": {"intensity": 1.0}}}, "zones.ZZ: missing 'year'"),
        ({"providers": {"new": {"operator": "nobody"}}}, "unknown operator 'nobody'"),
        ({"providers": {"openai": {"default_zone": "ZZ"}}}, "openai: unknown default_zone"),
        ({"operators": {"azure": {"pue": {"central": 1.0, "low": 1.1, "high": 1.2}}}}, "low <= central <= high"),
    ],
)
def test_bad_overrides_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_site_tables(overrides)


def test_region_setting_accepts_zones_and_cloud_regions() -> None:
    regions = _bundled_regions()
    assert {"WORLD", "FR", "US", "aws:us-east-1", "gcp:europe-west4", "azure:swedencentral"} <= regions
    assert CarbonConfig.from_env({"OTEL_CARBON_REGION": "AWS:EU-WEST-1"}).region == "aws:eu-west-1"
    assert CarbonConfig.from_env({"OTEL_CARBON_REGION": "se"}).region == "SE"
