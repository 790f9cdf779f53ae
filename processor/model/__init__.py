"""The energy model: pure functions over plain data. Usage in, estimate out; no OpenTelemetry types."""

from __future__ import annotations

from otel_carbon.processor.model.coefficients import (
    Coefficients,
    EnergyClass,
    ModelMatch,
    Range,
    load_coefficients,
)
from otel_carbon.processor.model.estimate import Estimate, Site, estimate
from otel_carbon.processor.model.usage import Usage, UsageError, parse_usage

__all__ = [
    "Coefficients",
    "EnergyClass",
    "Estimate",
    "ModelMatch",
    "Range",
    "Site",
    "Usage",
    "UsageError",
    "estimate",
    "load_coefficients",
    "parse_usage",
]
