"""The carbon processor: GenAI usage on spans -> energy, emissions and provenance, as attributes and metrics."""

from __future__ import annotations

from otel_carbon.processor.attach import attach_processor
from otel_carbon.processor.config import CarbonConfig
from otel_carbon.processor.enrichment import CarbonEnricher, Enrichment
from otel_carbon.processor.span_processor import CarbonSpanProcessor

__all__ = ["CarbonConfig", "CarbonEnricher", "CarbonSpanProcessor", "Enrichment", "attach_processor"]
