"""The live grid the configuration asks for, or None (the bundled table then applies everywhere)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from otel_carbon.processor.config import (
    ENV_ELECTRICITYMAPS_TOKEN,
    ENV_GRID_API_URL,
    ENV_GRID_PROVIDER,
    ENV_WATTTIME_PASSWORD,
    ENV_WATTTIME_USERNAME,
    CarbonConfig,
)
from otel_carbon.processor.grid.live import LiveGrid
from otel_carbon.processor.grid.providers import (
    ElectricityMapsProvider,
    GridProvider,
    UkCarbonIntensityProvider,
    WattTimeProvider,
)

_logger = logging.getLogger("otel_carbon")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def build_live_grid(config: CarbonConfig) -> LiveGrid | None:
    """A LiveGrid for OTEL_CARBON_GRID_PROVIDER; None when none is set or its credentials are missing."""
    if not config.enabled or config.grid_provider is None:
        return None
    provider = _provider(config)
    if provider is None:
        return None
    return LiveGrid(provider, refresh_seconds=config.grid_refresh_seconds, timeout_seconds=config.grid_timeout_seconds)


def _provider(config: CarbonConfig) -> GridProvider | None:
    name = config.grid_provider
    if name == "uk-carbon-intensity":
        return UkCarbonIntensityProvider(config.grid_api_url)
    if name == "electricitymaps":
        if not config.electricitymaps_token:
            _missing(name, [ENV_ELECTRICITYMAPS_TOKEN])
            return None
        _warn_if_cleartext(config.grid_api_url, name)
        return ElectricityMapsProvider(config.electricitymaps_token, config.grid_api_url)
    if name == "watttime":
        username, password = config.watttime_username, config.watttime_password
        if not username or not password:
            missing = [ENV_WATTTIME_USERNAME] if not username else []
            _missing(name, missing + ([ENV_WATTTIME_PASSWORD] if not password else []))
            return None
        _warn_if_cleartext(config.grid_api_url, name)
        return WattTimeProvider(username, password, config.grid_api_url)
    return None  # config only admits the names above


def _missing(provider: str, variables: list[str]) -> None:
    _logger.warning(
        "otel-carbon: %s=%s needs %s; live grid intensity is off, the bundled table applies",
        ENV_GRID_PROVIDER,
        provider,
        " and ".join(variables),
    )


def _warn_if_cleartext(url: str | None, provider: str) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme == "http" and (parts.hostname or "") not in _LOOPBACK_HOSTS:
        _logger.warning(
            "otel-carbon: %s is plain http; %s credentials are sent unencrypted", ENV_GRID_API_URL, provider
        )
