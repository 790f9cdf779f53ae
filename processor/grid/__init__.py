"""Optional live grid carbon intensity (Electricity Maps, WattTime, UK Carbon Intensity), refreshed off the call path."""

from __future__ import annotations

from otel_carbon.processor.grid.build import build_live_grid
from otel_carbon.processor.grid.http import FetchError
from otel_carbon.processor.grid.live import LiveGrid, LiveReading
from otel_carbon.processor.grid.providers import (
    ElectricityMapsProvider,
    GridProvider,
    Sample,
    UkCarbonIntensityProvider,
    WattTimeProvider,
)

__all__ = [
    "ElectricityMapsProvider",
    "FetchError",
    "GridProvider",
    "LiveGrid",
    "LiveReading",
    "Sample",
    "UkCarbonIntensityProvider",
    "WattTimeProvider",
    "build_live_grid",
]
