"""Configuration from ``OTEL_CARBON_*`` environment variables.

A bad value never breaks the application: it is logged once, naming the variable and the value,
and the default is used instead.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

_logger = logging.getLogger("otel_carbon")
T = TypeVar("T")

ENV_ENABLED = "OTEL_CARBON_ENABLED"
ENV_REGION = "OTEL_CARBON_REGION"
ENV_GRID_INTENSITY = "OTEL_CARBON_GRID_INTENSITY"
ENV_PUE = "OTEL_CARBON_PUE"
ENV_MODELS_FILE = "OTEL_CARBON_MODELS_FILE"
ENV_MAX_MODELS = "OTEL_CARBON_MAX_MODELS"
ENV_MAX_AGENTS = "OTEL_CARBON_MAX_AGENTS"
ENV_CONFIGURE_SDK = "OTEL_CARBON_CONFIGURE_SDK"

MAX_GRID_INTENSITY = 2000.0  # above any grid on record (pure lignite ~1,100 gCO2e/kWh)
PUE_BOUNDS = (1.0, 3.0)


class InvalidValue(ValueError):
    pass


@dataclass(frozen=True)
class CarbonConfig:
    enabled: bool = True
    region: str | None = None
    """Grid region (ISO 3166-1 alpha-2 code or WORLD); None means the bundled default."""
    grid_intensity: float | None = None
    """gCO2e/kWh that overrides the region's table value."""
    pue: float | None = None
    """Overrides every provider's PUE."""
    models_file: Path | None = None
    max_models: int = 200
    max_agents: int = 100
    region_choices: frozenset[str] = field(default_factory=frozenset, compare=False, repr=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, region_choices: frozenset[str] | None = None
    ) -> CarbonConfig:
        env = os.environ if environ is None else environ
        choices = region_choices if region_choices is not None else _bundled_regions()
        return cls(
            enabled=read_setting(env, ENV_ENABLED, parse_bool, True),
            region=read_setting(env, ENV_REGION, lambda raw: _parse_region(raw, choices), None),
            grid_intensity=read_setting(env, ENV_GRID_INTENSITY, _parse_grid_intensity, None),
            pue=read_setting(env, ENV_PUE, _parse_pue, None),
            models_file=read_setting(env, ENV_MODELS_FILE, _parse_existing_file, None),
            max_models=read_setting(env, ENV_MAX_MODELS, lambda raw: _parse_int(raw, 1, 10_000), 200),
            max_agents=read_setting(env, ENV_MAX_AGENTS, lambda raw: _parse_int(raw, 1, 10_000), 100),
            region_choices=choices,
        )


def _bundled_regions() -> frozenset[str]:
    from otel_carbon.processor.model import load_coefficients

    return frozenset(load_coefficients().grid_by_region)


def read_setting(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw.strip())
    except InvalidValue as invalid:
        _logger.warning("otel-carbon: ignoring %s=%r: %s; using the default (%r)", name, raw, invalid, default)
        return default


def parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise InvalidValue("expected true or false")


def _parse_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValue("not a number") from None
    if not math.isfinite(value):
        raise InvalidValue("not a finite number")
    return value


def _parse_grid_intensity(raw: str) -> float:
    value = _parse_float(raw)
    if not 0.0 <= value <= MAX_GRID_INTENSITY:
        raise InvalidValue(f"expected gCO2e/kWh between 0 and {MAX_GRID_INTENSITY:g}")
    return value


def _parse_pue(raw: str) -> float:
    value = _parse_float(raw)
    low, high = PUE_BOUNDS
    if not low <= value <= high:
        raise InvalidValue(f"expected a PUE between {low:g} and {high:g}")
    return value


def _parse_int(raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidValue("not a whole number") from None
    if not low <= value <= high:
        raise InvalidValue(f"expected a whole number between {low} and {high}")
    return value


def _parse_region(raw: str, choices: frozenset[str]) -> str:
    region = raw.upper()
    if region not in choices:
        raise InvalidValue(f"unknown region; known: {', '.join(sorted(choices))}")
    return region


def _parse_existing_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise InvalidValue("no such file")
    return path
