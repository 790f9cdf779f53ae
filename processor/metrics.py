"""The two instruments. A histogram's sum is the total and its count the number of calls."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.metrics import Meter
from otel_carbon import semconv as sc

# Per-call energy spans ~0.1 J (a short embedding) to ~100 kJ (a long reasoning answer).
ENERGY_BUCKETS_J = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)
# Emissions buckets are decades and half-decades so alert thresholds (1 g, 0.3 g, ...) sit on edges.
EMISSIONS_BUCKETS_G = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


class CarbonMetrics:
    def __init__(self, meter: Meter) -> None:
        self._energy = meter.create_histogram(
            sc.METRIC_ENERGY,
            unit=sc.METRIC_ENERGY_UNIT,
            description="Estimated facility energy of one GenAI call (LLM, embedding, TTS or STT)",
            explicit_bucket_boundaries_advisory=list(ENERGY_BUCKETS_J),
        )
        self._emissions = meter.create_histogram(
            sc.METRIC_EMISSIONS,
            unit=sc.METRIC_EMISSIONS_UNIT,
            description="Estimated location-based emissions of one GenAI call, grams CO2e",
            explicit_bucket_boundaries_advisory=list(EMISSIONS_BUCKETS_G),
        )

    def record(self, energy_joules: float, emissions_grams: float, attributes: Mapping[str, str]) -> None:
        self._energy.record(energy_joules, attributes)
        self._emissions.record(emissions_grams, attributes)
