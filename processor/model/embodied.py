"""Embodied hardware emissions per kWh of IT energy (SCI's M term), from data/embodied.toml."""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources

from otel_carbon.processor.model.coefficients import Range

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@cache
def load_embodied_factor() -> Range:
    """gCO2e of manufacturing emissions allocated to each kWh of IT energy (central, low, high)."""
    text = resources.files("otel_carbon.processor").joinpath("data", "embodied.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["embodied"]
    return Range(float(table["grams_per_kwh_it"]), float(table["low"]), float(table["high"]))
