"""Setup in code: ``otel_carbon.processor.configure()`` attaches the carbon processor and instruments
the installed SDKs; ``attach_processor()`` only attaches the processor, once per TracerProvider."""

from __future__ import annotations

import logging
import os
import weakref
from importlib.metadata import entry_points

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.environment_variables import OTEL_SDK_DISABLED
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.trace import TracerProvider

from otel_carbon import semconv as sc
from otel_carbon.processor.config import CarbonConfig
from otel_carbon.processor.enrichment import CarbonEnricher
from otel_carbon.processor.metrics import CarbonMetrics
from otel_carbon.processor.span_processor import CarbonSpanProcessor
from otel_carbon.semconv.version import __version__

_logger = logging.getLogger("otel_carbon")
DISTRIBUTION = "otel-carbon"
METER_NAME = "otel_carbon.processor"
_attached: weakref.WeakKeyDictionary[SdkTracerProvider, CarbonSpanProcessor] = weakref.WeakKeyDictionary()


def sdk_disabled() -> bool:
    return os.environ.get(OTEL_SDK_DISABLED, "").strip().lower() == "true"


def attach_processor(
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    config: CarbonConfig | None = None,
) -> CarbonSpanProcessor | None:
    """Add the carbon processor to ``tracer_provider`` (default: the global one); idempotent.

    Returns the processor, or None when there is nothing to attach to (SDK disabled, otel-carbon
    disabled, or not an SDK TracerProvider).
    """
    if sdk_disabled():
        return None
    config = config or CarbonConfig.from_env()
    if not config.enabled:
        return None
    provider = tracer_provider or trace.get_tracer_provider()
    if not isinstance(provider, SdkTracerProvider):
        _logger.warning(
            "otel-carbon: %s is not an SDK TracerProvider; no carbon processor attached", type(provider).__name__
        )
        return None
    existing = _attached.get(provider)
    if existing is not None:
        return existing
    meter = (meter_provider or metrics.get_meter_provider()).get_meter(
        METER_NAME, __version__, schema_url=sc.SCHEMA_URL
    )
    processor = CarbonSpanProcessor(CarbonEnricher(config), CarbonMetrics(meter))
    provider.add_span_processor(processor)
    _attached[provider] = processor
    return processor


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
