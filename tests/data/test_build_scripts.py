"""processor/data/build/grid_from_owid.py regenerates grid.toml from each upstream format (small fixtures)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ISO2 = {
    "CAF": "CF",
    "CHL": "CL",
    "DEU": "DE",
    "FRA": "FR",
    "ISL": "IS",
    "OWID_KOS": "XK",
    "SWE": "SE",
    "TLS": "TL",
    "XKX": "XK",
}


def _load_script() -> ModuleType:
    path = ROOT / "processor" / "data" / "build" / "grid_from_owid.py"
    spec = importlib.util.spec_from_file_location("grid_from_owid", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


build = _load_script()


def _generate(base: Any, ember: Any = None, water_year: int = 2025) -> tuple[dict[str, Any], list[str]]:
    water_csv = FIXTURES / "electricity_mixes.csv"
    text, skipped = build.generate(
        base,
        ember,
        build.read_water_csv(water_csv),
        build.read_ecologits_world(water_csv, water_year),
        water_year,
        ISO2.get,
        "grid_from_owid.py (test)",
    )
    return tomllib.loads(text), skipped


def test_owid_csv_takes_each_countrys_latest_year_with_an_intensity() -> None:
    table, skipped = _generate(build.read_owid_csv(FIXTURES / "owid-energy-data.csv"))
    zones = table["zones"]
    assert zones["FR"] == {
        "intensity": 44.18,
        "year": 2024,
        "source_id": "owid-energy",
        "low_carbon_share": 0.9516,
        "renewable_share": 0.286,
        "shares_year": 2024,
        "shares_source_id": "owid-energy",
        "offsite_water_l_per_kwh": 3.6737,
        "water_source_id": "ecologits-water",
    }
    assert zones["DE"] == {
        "intensity": 344.14,
        "year": 2024,
        "source_id": "owid-energy",
        "low_carbon_share": 0.594,
        "renewable_share": 0.594,
        "shares_year": 2024,
        "shares_source_id": "owid-energy",
    }
    assert zones["XK"]["low_carbon_share"] == 0.055 and "renewable_share" not in zones["XK"]
    # aggregates (Europe, OWID_EU27) are not countries; Atlantis has no ISO-2 code; a zero intensity is no data
    assert sorted(zones) == ["DE", "FR", "WORLD", "XK"]
    assert skipped == ["ATL", "CAF"]
    assert table["default_zone"] == "WORLD"
    assert table["sources"]["owid-energy"]["year"] == 2024


def test_world_is_the_sources_world_row_in_whole_grams_with_a_stable_id() -> None:
    table, _ = _generate(build.read_owid_csv(FIXTURES / "owid-energy-data.csv"))
    assert table["zones"]["WORLD"] == {
        "intensity": 473.0,
        "year": 2024,
        "source_id": "ember-owid-2023",
        "low_carbon_share": 0.409,
        "renewable_share": 0.32,
        "shares_year": 2024,
        "shares_source_id": "owid-energy",
        "offsite_water_l_per_kwh": 3.908,
        "water_source_id": "ecologits-water",
    }
    assert "owid-energy World 2024: 473.05 gCO2e/kWh" in table["sources"]["ember-owid-2023"]["title"]


def test_codecarbon_json_with_ember_intensity_is_the_shipped_recipe() -> None:
    base = build.read_codecarbon_json(FIXTURES / "global_energy_mix.json")
    ember = build.read_ember_json(FIXTURES / "average-intensities.json")
    table, skipped = _generate(base, ember)
    zones = table["zones"]
    assert zones["FR"] == {
        "intensity": 44.18,
        "year": 2024,
        "source_id": "ember-co2js",
        "low_carbon_share": 0.9116,  # 501.72 / 550.38 TWh
        "renewable_share": 0.2223,  # 122.36 / 550.38 TWh
        "shares_year": 2021,
        "shares_source_id": "owid-codecarbon",
        "offsite_water_l_per_kwh": 3.6737,
        "water_source_id": "ecologits-water",
    }
    assert zones["CL"]["intensity"] == 265.52 and zones["CL"]["low_carbon_share"] == 0.4271  # NaN fields ignored
    assert zones["IS"]["low_carbon_share"] == 1.0  # rounded TWh put low-carbon a hair above the total
    assert zones["TL"] == {  # not in Ember: CodeCarbon's intensity and year
        "intensity": 698.113,
        "year": 2021,
        "source_id": "owid-codecarbon",
        "low_carbon_share": 0.0,
        "renewable_share": 0.0,
        "shares_year": 2021,
        "shares_source_id": "owid-codecarbon",
    }
    assert zones["XK"] == {"intensity": 958.72, "year": 2024, "source_id": "ember-co2js"}
    assert zones["WORLD"]["intensity"] == 473.0 and zones["WORLD"]["year"] == 2024
    assert skipped == []
    assert list(table["sources"]) == ["ember-owid-2023", "ember-co2js", "owid-codecarbon", "ecologits-water"]
    assert table["sources"]["owid-codecarbon"]["year"] == 2021
    for source in table["sources"].values():
        assert {"title", "url", "year", "licence"} == set(source)


def test_without_a_world_row_the_world_comes_from_ecologits() -> None:
    table, _ = _generate(build.read_codecarbon_json(FIXTURES / "global_energy_mix.json"), water_year=2025)
    assert table["zones"]["WORLD"]["intensity"] == 473.0  # WOR gwp 0.47301 kg/kWh
    assert table["zones"]["WORLD"]["year"] == 2025
    assert "ecologits-water World 2025: 473.01 gCO2e/kWh" in table["sources"]["ember-owid-2023"]["title"]


def test_the_command_line_writes_the_same_table(tmp_path: Path) -> None:
    pytest.importorskip("pycountry")
    output = tmp_path / "grid.toml"
    arguments = [
        "--codecarbon-json",
        str(FIXTURES / "global_energy_mix.json"),
        "--ember-json",
        str(FIXTURES / "average-intensities.json"),
        "--water-csv",
        str(FIXTURES / "electricity_mixes.csv"),
        "--water-year",
        "2025",
        "--output",
        str(output),
    ]
    assert build.main(arguments) == 0
    table = tomllib.loads(output.read_text(encoding="utf-8"))
    expected, _ = _generate(
        build.read_codecarbon_json(FIXTURES / "global_energy_mix.json"),
        build.read_ember_json(FIXTURES / "average-intensities.json"),
    )
    assert table == expected
    assert (
        "# Command: grid_from_owid.py --codecarbon-json global_energy_mix.json --ember-json average-intensities.json "
        "--water-csv electricity_mixes.csv --water-year 2025" in output.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (["--help"], 0),
        ([], 2),  # one base input is required
        (["--owid-csv", "a.csv", "--codecarbon-json", "b.json"], 2),  # and only one
        (["--owid-csv", "a.csv", "--water-csv", "w.csv"], 2),  # the water file needs its year
    ],
)
def test_arguments(arguments: list[str], code: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build.main(arguments)
    assert exit_info.value.code == code
