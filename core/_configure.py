"""``otel_carbon.configure()``: the one call for applications that build their own providers."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider

from otel_carbon.processor import CarbonConfig, CarbonSpanProcessor, attach_processor

_logger = logging.getLogger("otel_carbon")
DISTRIBUTION = "otel-carbon"


def configure(
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    *,
    config: CarbonConfig | None = None,
    instrument: bool = True,
) -> CarbonSpanProcessor | None:
    """Attach the carbon processor and, with ``instrument``, instrument every installed SDK we support.

    Providers default to the global ones; configuration defaults to ``OTEL_CARBON_*`` variables.
    Safe to call more than once.
    """
    processor = attach_processor(tracer_provider, meter_provider, config)
    if instrument:
        _instrument_installed_sdks(tracer_provider)
    return processor


def _instrument_installed_sdks(tracer_provider: TracerProvider | None) -> None:
    for entry_point in entry_points(group="opentelemetry_instrumentor"):
        if entry_point.dist is None or entry_point.dist.name != DISTRIBUTION:
            continue
        try:
            instrumentor = entry_point.load()()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=tracer_provider)
        except ModuleNotFoundError:
            continue  # the SDK this instrumentor wraps is not installed
        except Exception:
            _logger.warning("otel-carbon: could not load instrumentor %s", entry_point.name, exc_info=True)
