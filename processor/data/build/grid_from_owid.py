"""Rebuild processor/data/grid.toml: country grid carbon intensity, low-carbon and renewable share, off-site water.

Inputs (download them first; the script reads local files only):

  --owid-csv        Our World in Data energy dataset, owid-energy-data.csv (github.com/owid/energy-data, CC BY 4.0):
                    columns iso_code, country, year, carbon_intensity_elec, low_carbon_share_elec,
                    renewables_share_elec (shares in %). Each country's latest year with an intensity.
  --codecarbon-json CodeCarbon codecarbon/data/private_infra/global_energy_mix.json (MIT; OWID/Ember figures):
                    per ISO-3 code carbon_intensity, low_carbon_TWh, renewables_TWh, total_TWh, year.
  --ember-json      optional, replaces intensity and year: Ember yearly emissions intensity via The Green Web
                    Foundation co2.js data/output/average-intensities.json (per ISO-3 code: year,
                    emissions_intensity_gco2_per_kwh; "World" row).
  --water-csv       optional: EcoLogits ecologits/data/electricity_mixes.csv, column wue (L/kWh), row WOR = world.

The shipped table was produced from --codecarbon-json (commit 0963f17, data year 2021: shares, and the
intensity of the one country Ember lacks) with --ember-json (co2.js commit 6628f83, Ember data years 2022-2024,
2024 for every large grid) and --water-csv (EcoLogits commit 0adc8ab). The exact command is in docs/data-sources.md.

ISO-3 -> ISO-2 uses pycountry (pip install pycountry), needed by this script only, never at run time.
The TOML is written by hand: the schema is flat (strings, integers, floats).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "grid.toml"
WORLD = "WORLD"
# Spans carry this id for the world default (otel_carbon.grid.intensity.source); dashboards group by it,
# so it stays the same across data refreshes.
WORLD_SOURCE_ID = "ember-owid-2023"
SHARE_DIGITS = 4
# Codes the ISO 3166 library does not know: Kosovo's user-assigned code in Ember and OWID.
ISO3_OVERRIDES = {"XKX": "XK", "OWID_KOS": "XK"}

Iso2 = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str
    year: int
    licence: str


@dataclass(frozen=True, slots=True)
class Row:
    """One country (ISO-3 key) or the world, as read from an input."""

    intensity: float | None
    year: int | None
    source_id: str | None
    low_carbon_share: float | None = None
    renewable_share: float | None = None
    shares_year: int | None = None
    shares_source_id: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """Rows keyed by ISO-3 code, the world row, and the citation they all share."""

    rows: Mapping[str, Row]
    world: Row | None
    source: Source


# ---- readers ------------------------------------------------------------------------------------


def _number(raw: object) -> float | None:
    if raw is None or raw == "":
        return None
    value = float(raw)  # type: ignore[arg-type]
    return None if math.isnan(value) else value


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    # TWh figures are rounded to 0.01, so a 100 % low-carbon grid can come out a hair above 1.
    return round(min(part / whole, 1.0), SHARE_DIGITS)


def _percent(raw: object) -> float | None:
    value = _number(raw)
    return None if value is None else round(min(value / 100.0, 1.0), SHARE_DIGITS)


def read_owid_csv(path: Path) -> Table:
    """Each country's latest year with ``carbon_intensity_elec``; shares from that same year."""
    latest: dict[str, dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            key = "World" if record["country"] == "World" else record["iso_code"]
            if not key or (key.startswith("OWID_") and key not in ISO3_OVERRIDES):
                continue
            if _number(record.get("carbon_intensity_elec")) is None:
                continue
            if key not in latest or int(record["year"]) > int(latest[key]["year"]):
                latest[key] = record
    years = [int(record["year"]) for record in latest.values()]
    source = Source(
        "owid-energy",
        "Our World in Data energy dataset (owid-energy-data.csv): carbon_intensity_elec (lifecycle, production-based), "
        "low_carbon_share_elec, renewables_share_elec; Ember and Energy Institute data",
        "https://github.com/owid/energy-data",
        max(years, default=0),
        "CC BY 4.0 (Our World in Data, Ember)",
    )
    rows = {key: _owid_row(record, source.id) for key, record in latest.items()}
    return Table({k: v for k, v in rows.items() if k != "World"}, rows.get("World"), source)


def _owid_row(record: Mapping[str, str], source_id: str) -> Row:
    year = int(record["year"])
    low_carbon = _percent(record.get("low_carbon_share_elec"))
    renewable = _percent(record.get("renewables_share_elec"))
    has_shares = low_carbon is not None or renewable is not None
    return Row(
        _number(record["carbon_intensity_elec"]),
        year,
        source_id,
        low_carbon,
        renewable,
        year if has_shares else None,
        source_id if has_shares else None,
    )


def read_codecarbon_json(path: Path) -> Table:
    """CodeCarbon's OWID extract: one record per ISO-3 code, shares computed from TWh of generation."""
    raw: Mapping[str, Mapping[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    years = [int(record["year"]) for record in raw.values()]
    source = Source(
        "owid-codecarbon",
        "Our World in Data energy dataset (Ember, Energy Institute) as extracted by CodeCarbon "
        "(codecarbon/data/private_infra/global_energy_mix.json): carbon_intensity, low_carbon_TWh, "
        "renewables_TWh, total_TWh",
        "https://github.com/mlco2/codecarbon/blob/master/codecarbon/data/private_infra/global_energy_mix.json",
        max(years, default=0),
        "CC BY 4.0 (Our World in Data, Ember); CodeCarbon MIT",
    )
    rows: dict[str, Row] = {}
    for iso3, record in raw.items():
        year = int(record["year"])
        total = _number(record.get("total_TWh"))
        low_carbon = _share(_number(record.get("low_carbon_TWh")), total)
        renewable = _share(_number(record.get("renewables_TWh")), total)
        has_shares = low_carbon is not None or renewable is not None
        rows[iso3] = Row(
            _number(record.get("carbon_intensity")),
            year,
            source.id,
            low_carbon,
            renewable,
            year if has_shares else None,
            source.id if has_shares else None,
        )
    return Table(rows, None, source)


def read_ember_json(path: Path) -> Table:
    """co2.js ``average-intensities.json``: Ember's latest year per country; region aggregates are skipped."""
    raw: Mapping[str, Mapping[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    years = [int(record["year"]) for record in raw.values()]
    source = Source(
        "ember-co2js",
        "Ember yearly electricity data: CO2 intensity of electricity generation (lifecycle emission factors), "
        "latest year per country, as published in The Green Web Foundation co2.js "
        "(data/output/average-intensities.json)",
        "https://ember-energy.org/data/yearly-electricity-data/ ; https://github.com/thegreenwebfoundation/co2.js",
        max(years, default=0),
        "CC BY 4.0 (Ember); co2.js Apache-2.0",
    )
    rows: dict[str, Row] = {}
    world: Row | None = None
    for key, record in raw.items():
        row = Row(_number(record["emissions_intensity_gco2_per_kwh"]), int(record["year"]), source.id)
        if key == "World":
            world = row
        elif record.get("country_code"):
            rows[str(record["country_code"])] = row
    return Table(rows, world, source)


def read_water_csv(path: Path) -> dict[str, float]:
    """EcoLogits ``electricity_mixes.csv``: ISO-3 (or WOR) -> litres of water consumed per kWh generated."""
    return {name: float(record["wue"]) for name, record in _ecologits_records(path).items() if record.get("wue")}


def read_ecologits_world(path: Path, year: int) -> Row | None:
    """EcoLogits' WOR row as a world intensity (its ``gwp`` column is kgCO2e/kWh, OWID/Ember-derived)."""
    gwp = _number(_ecologits_records(path).get("WOR", {}).get("gwp"))
    return None if gwp is None else Row(round(gwp * 1000.0, 6), year, "ecologits-water")


def _ecologits_records(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {record["name"]: record for record in csv.DictReader(handle)}


def water_source(year: int) -> Source:
    return Source(
        "ecologits-water",
        "EcoLogits ecologits/data/electricity_mixes.csv, column wue: water consumed generating one kWh "
        "(off-site water intensity of electricity, WRI method); row WOR also gives a world gwp",
        "https://github.com/genai-impact/ecologits/blob/main/ecologits/data/electricity_mixes.csv",
        year,
        "MPL-2.0 (EcoLogits)",
    )


# ---- merge --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Zone:
    row: Row
    water: float | None
    water_source_id: str | None


def merge(base: Table, ember: Table | None) -> dict[str, Row]:
    """Base rows (intensity and shares); Ember's newer intensity and year where it has the country."""
    rows = dict(base.rows)
    if ember is not None:
        for iso3, fresh in ember.rows.items():
            old = rows.get(iso3)
            rows[iso3] = (
                fresh
                if old is None
                else replace(old, intensity=fresh.intensity, year=fresh.year, source_id=fresh.source_id)
            )
    return rows


def world_row(candidates: Sequence[tuple[Row | None, str]]) -> tuple[Row, str]:
    """The first world row with an intensity, and the phrase that says where it came from."""
    for row, source_id in candidates:
        if row is not None and row.intensity:
            return row, f"{source_id} World {row.year}: {row.intensity:g} gCO2e/kWh"
    raise SystemExit("no world row in the inputs: pass --ember-json, --owid-csv or --water-csv")


def build_zones(rows: Mapping[str, Row], water: Mapping[str, float], iso2: Iso2) -> tuple[dict[str, Zone], list[str]]:
    """ISO-2 keyed zones; ISO-3 codes with no ISO-2 or no positive intensity are returned as skipped."""
    zones: dict[str, Zone] = {}
    skipped: list[str] = []
    for iso3, row in sorted(rows.items()):
        code = iso2(iso3)
        if code is None or row.intensity is None or row.intensity <= 0:
            skipped.append(iso3)
            continue
        litres = water.get(iso3)
        zones[code] = Zone(row, litres, "ecologits-water" if litres is not None else None)
    return zones, skipped


def pycountry_iso2(iso3: str) -> str | None:
    if iso3 in ISO3_OVERRIDES:
        return ISO3_OVERRIDES[iso3]
    import pycountry  # build-time only

    country = pycountry.countries.get(alpha_3=iso3)
    return None if country is None else str(country.alpha_2)


# ---- output -------------------------------------------------------------------------------------


def _toml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _table(name: str, fields: Mapping[str, object]) -> list[str]:
    return [f"[{name}]", *(f"{key} = {_toml(value)}" for key, value in fields.items() if value is not None), ""]


def render(zones: Mapping[str, Zone], world: Zone, sources: Sequence[Source], header: Sequence[str]) -> str:
    lines = [*(f"# {line}".rstrip() for line in header), "", f'default_zone = "{WORLD}"', ""]
    for source in sources:
        lines += _table(f"sources.{source.id}", {k: getattr(source, k) for k in ("title", "url", "year", "licence")})
    for code, zone in [(WORLD, world), *sorted(zones.items())]:
        row = zone.row
        fields = {
            "intensity": row.intensity,
            "year": row.year,
            "source_id": row.source_id,
            "low_carbon_share": row.low_carbon_share,
            "renewable_share": row.renewable_share,
            "shares_year": row.shares_year,
            "shares_source_id": row.shares_source_id,
            "offsite_water_l_per_kwh": zone.water,
            "water_source_id": zone.water_source_id,
        }
        lines += _table(f"zones.{code}", fields)
    return "\n".join(lines)


HEADER = (
    "Grid carbon intensity by country: gCO2e per kWh generated, lifecycle emission factors, production-based",
    "(location-based average, imports excluded), with the data year; low-carbon (nuclear + renewables) and",
    "renewable share of generation (0..1) and the water consumed generating one kWh (L/kWh) where known.",
    "Keys are ISO 3166-1 alpha-2 codes; WORLD is the default when the location is unknown (whole grams: the",
    "fallback for an unknown location, where more digits would be false precision).",
    "Citations: [sources.<id>]; every zone names its source_id (intensity), shares_source_id, water_source_id.",
    "",
    "GENERATED FILE, do not edit: processor/data/build/grid_from_owid.py (see docs/data-sources.md).",
)


def generate(
    base: Table,
    ember: Table | None,
    water: Mapping[str, float],
    water_world: Row | None,
    water_year: int | None,
    iso2: Iso2,
    command: str,
) -> tuple[str, list[str]]:
    """The grid.toml text and the ISO-3 codes left out."""
    zones, skipped = build_zones(merge(base, ember), water, iso2)
    candidates = [
        (ember.world if ember else None, ember.source.id if ember else ""),
        (base.world, base.source.id),
        (water_world, "ecologits-water"),
    ]
    world, world_basis = world_row(candidates)
    world_zone = Zone(
        replace(world, intensity=float(round(world.intensity or 0.0)), source_id=WORLD_SOURCE_ID),
        water.get("WOR"),
        "ecologits-water" if "WOR" in water else None,
    )
    world_source = Source(
        WORLD_SOURCE_ID,
        f"World average lifecycle carbon intensity of electricity generation, rounded to whole grams ({world_basis})",
        "https://ember-energy.org/data/yearly-electricity-data/ ; https://ourworldindata.org/grapher/carbon-intensity-electricity",
        world.year or 0,
        "CC BY 4.0 (Ember, Our World in Data)",
    )
    sources = [world_source, *([ember.source] if ember else []), base.source]
    if water:
        sources.append(water_source(water_year or 0))
    return render(zones, world_zone, sources, [*HEADER, f"Command: {command}"]) + "\n", skipped


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="grid_from_owid.py", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    base = parser.add_mutually_exclusive_group(required=True)
    base.add_argument("--owid-csv", type=Path, help="owid-energy-data.csv (Our World in Data)")
    base.add_argument("--codecarbon-json", type=Path, help="CodeCarbon global_energy_mix.json")
    parser.add_argument("--ember-json", type=Path, help="co2.js average-intensities.json: newer intensity and year")
    parser.add_argument("--water-csv", type=Path, help="EcoLogits electricity_mixes.csv (column wue)")
    parser.add_argument("--water-year", type=int, help="year of the EcoLogits file version (required with --water-csv)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: processor/data/grid.toml")
    args = parser.parse_args(argv)
    if args.water_csv is not None and args.water_year is None:
        parser.error("--water-year is required with --water-csv")
    return args


def command_line(args: argparse.Namespace) -> str:
    """The invocation with file names only, so the header does not depend on where the inputs were saved."""
    parts = ["grid_from_owid.py"]
    for option in ("owid_csv", "codecarbon_json", "ember_json", "water_csv"):
        path = getattr(args, option)
        if path is not None:
            parts += [f"--{option.replace('_', '-')}", path.name]
    if args.water_year is not None:
        parts += ["--water-year", str(args.water_year)]
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    base = read_owid_csv(args.owid_csv) if args.owid_csv else read_codecarbon_json(args.codecarbon_json)
    ember = read_ember_json(args.ember_json) if args.ember_json else None
    water = read_water_csv(args.water_csv) if args.water_csv else {}
    water_world = read_ecologits_world(args.water_csv, args.water_year) if args.water_csv else None
    text, skipped = generate(base, ember, water, water_world, args.water_year, pycountry_iso2, command_line(args))
    args.output.write_text(text, encoding="utf-8")
    if skipped:
        print(f"left out (no ISO 3166 alpha-2 code or no positive intensity): {', '.join(skipped)}", file=sys.stderr)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
