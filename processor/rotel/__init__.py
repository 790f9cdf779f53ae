"""The carbon enrichment inside the Rotel collector, as a Python trace processor.

    PYTHONPATH="$(python -m otel_carbon.processor.rotel --pythonpath)" \\
        rotel-agent start --otlp-with-trace-processor "$(python -m otel_carbon.processor.rotel)" ...

(``rotel-agent`` is the ``rotel`` binary as PyPI's ``rotel`` package ships it, next to ``rotel/__init__.py``.)
Rotel embeds its own CPython 3.11 (it links ``libpython3.11``), whose ``sys.path`` does not include the
environment otel-carbon is installed in; ``PYTHONPATH`` points it there.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

from otel_carbon.processor.rotel.adapter import RotelCarbonProcessor, scalar_attributes

__all__ = ["RotelCarbonProcessor", "pythonpath", "scalar_attributes", "trace_processor_path"]


def trace_processor_path() -> Path:
    """The file to pass to ``rotel start --otlp-with-trace-processor``."""
    return Path(__file__).resolve().with_name("trace_processor.py")


def pythonpath() -> str:
    """A ``PYTHONPATH`` value under which rotel's Python imports this otel-carbon install and its dependencies."""
    directories = dict.fromkeys(sysconfig.get_path(name) for name in ("purelib", "platlib"))
    return os.pathsep.join(directories)
