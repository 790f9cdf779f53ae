"""``otel-carbon models`` and ``otel-carbon regions``: the model catalogue, grid zones and cloud regions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from otel_carbon.processor.commands.output import PROG, coefficients_for, format_number, text_table, user_config_or_none

if TYPE_CHECKING:
    from otel_carbon.processor.model import Coefficients


def add_models_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", metavar="P", help="only this provider's models (openai, anthropic, ...)")
    parser.add_argument("--component", choices=("llm", "embedding", "tts", "stt"), help="only this component")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run_models(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_carbon.processor.config import CarbonConfig

    coefficients = coefficients_for(CarbonConfig.from_env(), warn=True)
    entries = [
        entry
        for entry in coefficients.catalogue_entries()
        if (args.provider is None or entry.provider == args.provider.lower())
        and (args.component is None or entry.component == args.component)
    ]
    if args.json:
        print(json.dumps([_model_json(entry, coefficients) for entry in entries], indent=2))
        return 0
    rows = [
        (entry.name, entry.provider or "-", entry.energy_class, params_text(entry), entry.source or "-")
        for entry in entries
    ]
    print(text_table(("MODEL", "PROVIDER", "CLASS", "PARAMS (B)", "SOURCE"), rows))
    return 0


def params_text(entry: Any) -> str:
    """``8``, ``109/17`` (total/active), ``~440`` (a third party's guess) or ``-``."""
    if entry.params_b is None:
        return "-"
    text = f"{entry.params_b:g}"
    if entry.active_params_b is not None and entry.active_params_b != entry.params_b:
        text += f"/{entry.active_params_b:g}"
    return f"~{text}" if entry.params_estimated else text


def _model_json(entry: Any, coefficients: Coefficients) -> dict[str, Any]:
    energy_class = coefficients.classes[entry.energy_class]
    source = coefficients.sources.get(entry.source) if entry.source else None
    rates = {
        "input_wh_per_1k_tokens": energy_class.input_per_1k_tokens,
        "output_wh_per_1k_tokens": energy_class.output_per_1k_tokens,
        "wh_per_1k_characters": energy_class.per_1k_characters,
        "wh_per_audio_minute": energy_class.per_audio_minute,
    }
    return {
        "model": entry.name,
        "provider": entry.provider,
        "component": entry.component,
        "class": entry.energy_class,
        "params_b": entry.params_b,
        "active_params_b": entry.active_params_b,
        "params_estimated": entry.params_estimated,
        "aliases": list(entry.aliases),
        "source": entry.source,
        "source_title": source.title if source else None,
        "source_url": source.url if source else None,
        "note": entry.note,
        "origin": entry.origin,
        "coefficients": {
            key: {"central": rate.central, "low": rate.low, "high": rate.high}
            for key, rate in rates.items()
            if rate is not None
        },
    }


def add_regions_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def run_regions(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_carbon.processor.config import CarbonConfig
    from otel_carbon.processor.model.sites import load_site_tables

    user_config = user_config_or_none(CarbonConfig.from_env(), warn=True)
    tables = load_site_tables()
    if user_config is not None:
        try:
            tables = load_site_tables(user_config.site_overrides())
        except ValueError as error:
            print(f"{PROG}: ignoring the zones and providers of {user_config.path}: {error}", file=sys.stderr)
    zones = [
        {
            "zone": zone.zone,
            "intensity_gco2e_per_kwh": zone.grams_per_kwh,
            "year": zone.year,
            "source": zone.source_id,
            "low_carbon_share": zone.low_carbon_share,
            "renewable_share": zone.renewable_share,
            "offsite_water_l_per_kwh": zone.offsite_water_l_per_kwh,
        }
        for zone in sorted(tables.grid_by_zone.values(), key=lambda zone: zone.zone)
    ]
    regions = []
    for region, code in sorted(tables.cloud_region_zone.items()):
        zone = tables.grid_by_zone[code]
        regions.append(
            {
                "region": region,
                "zone": code,
                "intensity_gco2e_per_kwh": zone.grams_per_kwh,
                "year": zone.year,
                "source": zone.source_id,
            }
        )
    if args.json:
        print(json.dumps({"default_zone": tables.default_zone, "zones": zones, "cloud_regions": regions}, indent=2))
        return 0
    print(f"Grid zones (default {tables.default_zone}):")
    print(
        text_table(
            ("ZONE", "gCO2e/kWh", "YEAR", "SOURCE"),
            [(z["zone"], format_number(z["intensity_gco2e_per_kwh"]), str(z["year"]), z["source"]) for z in zones],
        )
    )
    print("\nCloud regions:")
    print(
        text_table(
            ("REGION", "ZONE", "gCO2e/kWh", "YEAR", "SOURCE"),
            [
                (r["region"], r["zone"], format_number(r["intensity_gco2e_per_kwh"]), str(r["year"]), r["source"])
                for r in regions
            ],
        )
    )
    return 0
