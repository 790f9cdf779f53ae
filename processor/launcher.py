"""Entry-point hooks run by ``opentelemetry-instrument``; they never raise into the application.

The launcher configures an SDK only when a configurator (e.g. opentelemetry-distro's) is
installed. So that ``pip install otel-carbon[otlp]`` alone is a complete zero-code setup, the
pre-instrument hook configures the SDK from the standard ``OTEL_*`` variables when nothing else
did, defaulting the trace and metric exporters to OTLP as opentelemetry-distro does. Vendor
distros configure first and are left alone.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import entry_points

from opentelemetry import trace
from opentelemetry.environment_variables import OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER

from otel_carbon.processor.config import ENV_CONFIGURE_SDK, parse_bool, read_setting
from otel_carbon.processor.setup import attach_processor, sdk_disabled

_logger = logging.getLogger("otel_carbon")
_EXPORTER_GROUPS = {
    OTEL_TRACES_EXPORTER: "opentelemetry_traces_exporter",
    OTEL_METRICS_EXPORTER: "opentelemetry_metrics_exporter",
}


def configure_sdk_if_missing() -> None:
    try:
        if sdk_disabled() or not read_setting(os.environ, ENV_CONFIGURE_SDK, parse_bool, True):
            return
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            _default_exporters_to_otlp()
            from opentelemetry.sdk._configuration import _OTelSDKConfigurator

            _OTelSDKConfigurator().configure()
            _logger.info(
                "otel-carbon: no OpenTelemetry SDK was configured; configured it from OTEL_* variables "
                "(set %s=false to leave it unconfigured)",
                ENV_CONFIGURE_SDK,
            )
    except Exception:
        _logger.warning("otel-carbon: could not configure the OpenTelemetry SDK", exc_info=True)


def attach_to_global_providers() -> None:
    try:
        attach_processor()
    except Exception:
        _logger.warning("otel-carbon: could not attach the carbon processor", exc_info=True)


def _default_exporters_to_otlp() -> None:
    for variable, group in _EXPORTER_GROUPS.items():
        if variable not in os.environ and entry_points(group=group, name="otlp"):
            os.environ[variable] = "otlp"
