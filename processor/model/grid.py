"""Which grid intensity applies to a call. v1: the configured region or value, else the bundled default."""

from __future__ import annotations

from otel_carbon.processor.model.coefficients import Coefficients, GridIntensity


def resolve_grid(
    coefficients: Coefficients, region: str | None, intensity_override: float | None, override_source: str
) -> GridIntensity:
    """The grid intensity for ``region`` (bundled table), replaced by ``intensity_override`` when given."""
    table = coefficients.grid_by_region[region or coefficients.default_region]
    if intensity_override is None:
        return table
    return GridIntensity(intensity_override, table.region, override_source)
