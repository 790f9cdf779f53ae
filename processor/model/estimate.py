"""Energy (Wh), emissions (gCO2e) and water (L) of one call, with a low/high range."""

from __future__ import annotations

from typing import NamedTuple

from otel_carbon.processor.model.coefficients import EnergyClass, Range
from otel_carbon.processor.model.usage import Usage

_ZERO = Range(0.0, 0.0, 0.0)


class Site(NamedTuple):
    """Where the call ran: data-centre and grid factors."""

    pue: Range
    grams_per_kwh: float
    onsite_wue_l_per_kwh: float = 0.0  # litres per kWh of IT energy (cooling)
    offsite_water_l_per_kwh: float = 0.0  # litres per kWh of facility energy (electricity generation)


class Estimate(NamedTuple):
    energy_wh: float
    energy_wh_low: float
    energy_wh_high: float
    emissions_g: float
    emissions_g_low: float
    emissions_g_high: float
    it_energy_wh: float
    water_l: float


def _it_energy_wh(usage: Usage, energy_class: EnergyClass, cached_factor: Range) -> tuple[float, float, float]:
    """IT-level Wh (central, low, high) before PUE."""
    if usage.characters:
        rate = energy_class.per_1k_characters or _ZERO
        units = usage.characters / 1000.0
        return units * rate.central, units * rate.low, units * rate.high
    if usage.audio_seconds:
        rate = energy_class.per_audio_minute or _ZERO
        minutes = usage.audio_seconds / 60.0
        return minutes * rate.central, minutes * rate.low, minutes * rate.high
    rate_in = energy_class.input_per_1k_tokens or _ZERO
    rate_out = energy_class.output_per_1k_tokens or _ZERO
    uncached = (usage.input_tokens - usage.cached_input_tokens) / 1000.0
    cached = usage.cached_input_tokens / 1000.0
    output = usage.output_tokens / 1000.0
    return (
        (uncached + cached * cached_factor.central) * rate_in.central + output * rate_out.central,
        (uncached + cached * cached_factor.low) * rate_in.low + output * rate_out.low,
        (uncached + cached * cached_factor.high) * rate_in.high + output * rate_out.high,
    )


def estimate(
    usage: Usage, energy_class: EnergyClass, site: Site, cached_input_factor: Range, estimated_usage_factor: float
) -> Estimate:
    """Facility energy = IT energy x PUE; emissions = facility energy x grid intensity (location-based);
    water = IT energy x on-site WUE + facility energy x off-site water intensity of electricity.

    The range carries the energy model's uncertainty (coefficients and PUE), widened when the usage was
    estimated rather than reported (low divided, high multiplied by ``estimated_usage_factor``); the grid intensity is a stated input, reported beside the estimate.
    """
    central, low, high = _it_energy_wh(usage, energy_class, cached_input_factor)
    if usage.estimated:
        low, high = low / estimated_usage_factor, high * estimated_usage_factor
    energy = central * site.pue.central
    energy_low = low * site.pue.low
    energy_high = high * site.pue.high
    grams_per_wh = site.grams_per_kwh / 1000.0
    return Estimate(
        energy_wh=energy,
        energy_wh_low=energy_low,
        energy_wh_high=energy_high,
        emissions_g=energy * grams_per_wh,
        emissions_g_low=energy_low * grams_per_wh,
        emissions_g_high=energy_high * grams_per_wh,
        it_energy_wh=central,
        water_l=(central * site.onsite_wue_l_per_kwh + energy * site.offsite_water_l_per_kwh) / 1000.0,
    )
