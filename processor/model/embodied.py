"""Embodied hardware emissions per kWh of IT energy (SCI's M term), from data/embodied.toml."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from otel_carbon.processor.model import tables
from otel_carbon.processor.model.tables import MAX_EMBODIED, Range


@cache
def load_embodied_factor() -> Range:
    """gCO2e of manufacturing emissions allocated to each kWh of IT energy (central, low, high)."""
    table = tables.read_bundled("embodied.toml")["embodied"]
    return tables.bundled_check("embodied.toml", lambda: _factor(table))


def _factor(table: Mapping[str, Any]) -> Range:
    as_range = {"central": table.get("grams_per_kwh_it"), "low": table.get("low"), "high": table.get("high")}
    return tables.range_value(("embodied",), as_range, 0.0, MAX_EMBODIED)
