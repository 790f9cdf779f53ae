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
ENV_CONFIG_FILE = "OTEL_CARBON_CONFIG_FILE"
ENV_SELF_HOSTED_REGION = "OTEL_CARBON_SELF_HOSTED_REGION"
ENV_AZURE_RESOURCES = "OTEL_CARBON_AZURE_RESOURCES"
ENV_GRID_PROVIDER = "OTEL_CARBON_GRID_PROVIDER"
ENV_GRID_API_URL = "OTEL_CARBON_GRID_API_URL"
ENV_ELECTRICITYMAPS_TOKEN = "OTEL_CARBON_ELECTRICITYMAPS_TOKEN"
ENV_WATTTIME_USERNAME = "OTEL_CARBON_WATTTIME_USERNAME"
ENV_WATTTIME_PASSWORD = "OTEL_CARBON_WATTTIME_PASSWORD"
ENV_GRID_REFRESH_SECONDS = "OTEL_CARBON_GRID_REFRESH_SECONDS"
ENV_GRID_TIMEOUT_SECONDS = "OTEL_CARBON_GRID_TIMEOUT_SECONDS"
ENV_EMBODIED = "OTEL_CARBON_EMBODIED"
ENV_MAX_MODELS = "OTEL_CARBON_MAX_MODELS"
ENV_MAX_AGENTS = "OTEL_CARBON_MAX_AGENTS"
ENV_CONFIGURE_SDK = "OTEL_CARBON_CONFIGURE_SDK"
ENV_SPAN_ATTRIBUTES = "OTEL_CARBON_SPAN_ATTRIBUTES"
SPAN_ATTRIBUTES_MINIMAL, SPAN_ATTRIBUTES_FULL = "minimal", "full"

GRID_PROVIDERS = frozenset({"electricitymaps", "watttime", "uk-carbon-intensity"})
MAX_GRID_INTENSITY = 2000.0  # above any grid on record (pure lignite ~1,100 gCO2e/kWh)
PUE_BOUNDS = (1.0, 3.0)


class InvalidValue(ValueError):
    pass


@dataclass(frozen=True)
class CarbonConfig:
    enabled: bool = True
    region: str | None = None
    """Where all calls run: a grid zone (ISO 3166-1 alpha-2 code, WORLD) or a cloud region such as
    ``aws:us-east-1``; None means: resolve per call."""
    self_hosted_region: str | None = None
    """Where calls to a loopback or private address run, when the resource has no cloud.region."""
    azure_resources: Mapping[str, str] = field(default_factory=dict)
    """Azure OpenAI resource name -> Azure region (``myres`` -> ``eastus2``)."""
    grid_intensity: float | None = None
    """gCO2e/kWh that overrides the region's table value."""
    pue: float | None = None
    """Overrides every provider's PUE."""
    config_file: Path | None = None
    """User TOML adding or overriding models, classes, regions and providers."""
    max_models: int = 200
    max_agents: int = 100
    grid_provider: str | None = None
    """Live grid intensity: electricitymaps, watttime or uk-carbon-intensity; None uses the bundled table."""
    grid_api_url: str | None = None
    electricitymaps_token: str | None = field(default=None, repr=False)
    watttime_username: str | None = field(default=None, repr=False)
    watttime_password: str | None = field(default=None, repr=False)
    grid_refresh_seconds: float = 300.0
    grid_timeout_seconds: float = 5.0
    embodied: bool = False
    """Also report embodied hardware emissions per call (SCI's M term), separately."""
    span_attributes: str = SPAN_ATTRIBUTES_MINIMAL
    """``minimal``: the estimate and what recomputing it needs; ``full`` adds ranges of emissions and provenance."""
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
            self_hosted_region=read_setting(env, ENV_SELF_HOSTED_REGION, lambda raw: _parse_region(raw, choices), None),
            azure_resources=read_setting(
                env, ENV_AZURE_RESOURCES, lambda raw: _parse_azure_resources(raw, choices), {}
            ),
            config_file=read_setting(env, ENV_CONFIG_FILE, _parse_existing_file, None),
            max_models=read_setting(env, ENV_MAX_MODELS, lambda raw: parse_int(raw, 1, 10_000), 200),
            max_agents=read_setting(env, ENV_MAX_AGENTS, lambda raw: parse_int(raw, 1, 10_000), 100),
            grid_provider=read_setting(env, ENV_GRID_PROVIDER, _parse_grid_provider, None),
            grid_api_url=read_setting(env, ENV_GRID_API_URL, _parse_url, None),
            electricitymaps_token=env.get(ENV_ELECTRICITYMAPS_TOKEN) or None,
            watttime_username=env.get(ENV_WATTTIME_USERNAME) or None,
            watttime_password=env.get(ENV_WATTTIME_PASSWORD) or None,
            grid_refresh_seconds=read_setting(
                env, ENV_GRID_REFRESH_SECONDS, lambda raw: parse_seconds(raw, 10, 86_400), 300.0
            ),
            grid_timeout_seconds=read_setting(
                env, ENV_GRID_TIMEOUT_SECONDS, lambda raw: parse_seconds(raw, 0.1, 60), 5.0
            ),
            embodied=read_setting(env, ENV_EMBODIED, parse_bool, False),
            span_attributes=read_setting(env, ENV_SPAN_ATTRIBUTES, _parse_span_attributes, SPAN_ATTRIBUTES_MINIMAL),
            region_choices=choices,
        )


def _bundled_regions() -> frozenset[str]:
    from otel_carbon.processor.model.sites import load_site_tables

    tables = load_site_tables()
    return frozenset(tables.grid_by_zone) | frozenset(tables.cloud_region_zone)


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


def parse_int(raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidValue("not a whole number") from None
    if not low <= value <= high:
        raise InvalidValue(f"expected a whole number between {low} and {high}")
    return value


def _parse_region(raw: str, choices: frozenset[str]) -> str:
    """A grid zone (``FR``, ``WORLD``) or a cloud region (``aws:us-east-1``)."""
    region = raw.lower() if ":" in raw else raw.upper()
    if region not in choices:
        zones = sorted(choice for choice in choices if ":" not in choice)
        raise InvalidValue(
            f"unknown region; use a grid zone ({', '.join(zones[:12])}, ...) or a cloud region such as aws:us-east-1; "
            "`otel-carbon regions` lists them all"
        )
    return region


def _parse_azure_resources(raw: str, choices: frozenset[str]) -> dict[str, str]:
    resources: dict[str, str] = {}
    for item in raw.split(","):
        name, separator, region = item.strip().partition("=")
        if not separator or not name.strip() or not region.strip():
            raise InvalidValue("expected name=azure-region pairs separated by commas, e.g. myres=eastus2")
        cloud_region = f"azure:{region.strip().lower()}"
        if cloud_region not in choices:
            raise InvalidValue(f"unknown Azure region {region.strip()!r}")
        resources[name.strip().lower()] = cloud_region
    return resources


def _parse_grid_provider(raw: str) -> str:
    provider = raw.lower()
    if provider not in GRID_PROVIDERS:
        raise InvalidValue(f"expected one of {', '.join(sorted(GRID_PROVIDERS))}")
    return provider


def _parse_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise InvalidValue("expected an http:// or https:// URL")
    return raw.rstrip("/")


def parse_seconds(raw: str, low: float, high: float) -> float:
    value = _parse_float(raw)
    if not low <= value <= high:
        raise InvalidValue(f"expected seconds between {low:g} and {high:g}")
    return value


def _parse_existing_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise InvalidValue("no such file")
    return path


def _parse_span_attributes(raw: str) -> str:
    level = raw.lower()
    if level not in (SPAN_ATTRIBUTES_MINIMAL, SPAN_ATTRIBUTES_FULL):
        raise InvalidValue(f"expected {SPAN_ATTRIBUTES_MINIMAL} or {SPAN_ATTRIBUTES_FULL}")
    return level
