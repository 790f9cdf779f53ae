"""otel-carbon: energy and carbon of generative-AI calls, in the telemetry you already run.

Zero-code: ``opentelemetry-instrument python app.py``. In code: ``otel_carbon.configure()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from otel_carbon.version import __version__

if TYPE_CHECKING:
    from otel_carbon._configure import configure

__all__ = ["__version__", "configure"]


def __getattr__(name: str) -> Any:
    # Lazy so that importing an instrumentation module does not load the processor.
    if name == "configure":
        from otel_carbon._configure import configure

        return configure
    raise AttributeError(f"module 'otel_carbon' has no attribute {name!r}")
