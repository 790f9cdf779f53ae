"""Configuration from ``OTEL_CARBON_*`` environment variables.

A bad value never breaks the application: it is logged once, naming the variable and the value,
and the default is used instead.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.model.tables import MAX_GRID_INTENSITY, PUE_BOUNDS

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


class InvalidValue(ValueError):
    pass


def _bundled_regions() -> frozenset[str]:
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


def _parse_region(raw: str, *, choices: frozenset[str]) -> str:
    """A grid zone (``FR``, ``WORLD``) or a cloud region (``aws:us-east-1``)."""
    region = raw.lower() if ":" in raw else raw.upper()
    if region not in choices:
        zones = sorted(choice for choice in choices if ":" not in choice)
        raise InvalidValue(
            f"unknown region; use a grid zone ({', '.join(zones[:12])}, ...) or a cloud region such as aws:us-east-1; "
            "`otel-carbon regions` lists them all"
        )
    return region


def _parse_azure_resources(raw: str, *, choices: frozenset[str]) -> dict[str, str]:
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


def _parse_span_attributes(raw: str) -> str:
    level = raw.lower()
    if level not in (SPAN_ATTRIBUTES_MINIMAL, SPAN_ATTRIBUTES_FULL):
        raise InvalidValue(f"expected {SPAN_ATTRIBUTES_MINIMAL} or {SPAN_ATTRIBUTES_FULL}")
    return level


def _parse_existing_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise InvalidValue("no such file")
    return path


def setting(
    env: str, parse: Callable[..., Any], default: Any = None, *, regions: bool = False, secret: bool = False
) -> Any:
    """A CarbonConfig field read from ``env`` by ``parse`` (given the region choices too when ``regions``).

    Each setting's variable, parser and default are declared here once; ``from_env`` reads them all.
    """
    metadata = {"env": env, "parse": parse, "regions": regions}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata, repr=not secret)
    return field(default=default, metadata=metadata, repr=not secret)


def _text(raw: str) -> str:
    return raw


@dataclass(frozen=True)
class CarbonConfig:
    enabled: bool = setting(ENV_ENABLED, parse_bool, True)
    region: str | None = setting(ENV_REGION, _parse_region, regions=True)
    """Where all calls run: a grid zone (ISO 3166-1 alpha-2 code, WORLD) or a cloud region such as
    ``aws:us-east-1``; None means: resolve per call."""
    self_hosted_region: str | None = setting(ENV_SELF_HOSTED_REGION, _parse_region, regions=True)
    """Where calls to a loopback or private address run, when the resource has no cloud.region."""
    azure_resources: Mapping[str, str] = setting(ENV_AZURE_RESOURCES, _parse_azure_resources, {}, regions=True)
    """Azure OpenAI resource name -> Azure region (``myres`` -> ``eastus2``)."""
    grid_intensity: float | None = setting(ENV_GRID_INTENSITY, _parse_grid_intensity)
    """gCO2e/kWh that overrides the region's table value."""
    pue: float | None = setting(ENV_PUE, _parse_pue)
    """Overrides every provider's PUE."""
    config_file: Path | None = setting(ENV_CONFIG_FILE, _parse_existing_file)
    """User TOML adding or overriding models, classes, regions and providers."""
    max_models: int = setting(ENV_MAX_MODELS, lambda raw: parse_int(raw, 1, 10_000), 200)
    max_agents: int = setting(ENV_MAX_AGENTS, lambda raw: parse_int(raw, 1, 10_000), 100)
    grid_provider: str | None = setting(ENV_GRID_PROVIDER, _parse_grid_provider)
    """Live grid intensity: electricitymaps, watttime or uk-carbon-intensity; None uses the bundled table."""
    grid_api_url: str | None = setting(ENV_GRID_API_URL, _parse_url)
    electricitymaps_token: str | None = setting(ENV_ELECTRICITYMAPS_TOKEN, _text, secret=True)
    watttime_username: str | None = setting(ENV_WATTTIME_USERNAME, _text, secret=True)
    watttime_password: str | None = setting(ENV_WATTTIME_PASSWORD, _text, secret=True)
    grid_refresh_seconds: float = setting(ENV_GRID_REFRESH_SECONDS, lambda raw: parse_seconds(raw, 10, 86_400), 300.0)
    grid_timeout_seconds: float = setting(ENV_GRID_TIMEOUT_SECONDS, lambda raw: parse_seconds(raw, 0.1, 60), 5.0)
    embodied: bool = setting(ENV_EMBODIED, parse_bool, False)
    """Also report embodied hardware emissions per call (SCI's M term), separately."""
    span_attributes: str = setting(ENV_SPAN_ATTRIBUTES, _parse_span_attributes, SPAN_ATTRIBUTES_MINIMAL)
    """``minimal``: the estimate and what recomputing it needs; ``full`` adds ranges of emissions and provenance."""
    region_choices: frozenset[str] = field(default_factory=frozenset, compare=False, repr=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, region_choices: frozenset[str] | None = None
    ) -> CarbonConfig:
        env = os.environ if environ is None else environ
        choices = region_choices if region_choices is not None else _bundled_regions()
        values: dict[str, Any] = {}
        for declared in fields(cls):
            if "env" not in declared.metadata:
                continue
            parse = declared.metadata["parse"]
            if declared.metadata["regions"]:
                parse = partial(parse, choices=choices)
            default = declared.default_factory() if declared.default is MISSING else declared.default  # type: ignore[misc]
            values[declared.name] = read_setting(env, declared.metadata["env"], parse, default)
        return cls(**values, region_choices=choices)
