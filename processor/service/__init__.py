"""`otel-carbon serve`: the carbon processor as an OTLP/gRPC service between collectors.

``add_serve_arguments`` and ``run_serve`` import nothing beyond the standard library until the
service actually runs, so a CLI can offer ``serve`` without the ``serve`` extra installed.
"""

from __future__ import annotations

from otel_carbon.processor.service.options import ConfigError, ServeConfig, add_serve_arguments, resolve_config
from otel_carbon.processor.service.run import run_serve

__all__ = ["ConfigError", "ServeConfig", "add_serve_arguments", "resolve_config", "run_serve"]
