"""The carbon processor: GenAI usage on spans -> energy, emissions and provenance, as attributes and metrics.

One call sets it up in code: ``otel_carbon.processor.configure(tracer_provider, meter_provider)``.
"""

from __future__ import annotations

from otel_carbon.processor.config import CarbonConfig
from otel_carbon.processor.enrichment import CarbonEnricher, Enrichment
from otel_carbon.processor.genai_context import genai_context
from otel_carbon.processor.setup import attach_processor, configure
from otel_carbon.processor.span_processor import CarbonSpanProcessor

__all__ = [
    "CarbonConfig",
    "CarbonEnricher",
    "CarbonSpanProcessor",
    "Enrichment",
    "attach_processor",
    "configure",
    "genai_context",
]
