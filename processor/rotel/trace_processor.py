"""Rotel trace processor: ``rotel start --otlp-with-trace-processor <this file>``.

Rotel loads this file into its embedded Python and calls ``process_spans`` for every batch.
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path


def _make_otel_carbon_importable() -> None:
    # Rotel's Python has its own sys.path. PYTHONPATH entries are on it, but their .pth files (an
    # editable install's import hook) are not read: addsitedir reads them. Installed from a wheel,
    # this file sits in site-packages/otel_carbon/processor/rotel/, which then works without PYTHONPATH.
    entries = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    installed_into = Path(__file__).resolve().parents[3]
    if (installed_into / "otel_carbon").is_dir():
        entries.append(str(installed_into))
    for entry in entries:
        if entry not in sys.path:
            sys.path.insert(0, entry)
        site.addsitedir(entry)


_make_otel_carbon_importable()

try:
    from otel_carbon.processor.config import CarbonConfig
    from otel_carbon.processor.enrichment import AttributeValue, CarbonEnricher
    from otel_carbon.processor.rotel.adapter import RotelCarbonProcessor
except ImportError as error:
    raise ImportError(
        f"otel-carbon is not importable from rotel's Python {sys.version.split()[0]} ({error}); set "
        'PYTHONPATH="$(python -m otel_carbon.processor.rotel --pythonpath)" with the Python 3.11 '
        "environment otel-carbon is installed in"
    ) from error

from rotel_sdk.open_telemetry.common.v1 import AnyValue, KeyValue  # noqa: E402  (exists only inside rotel)


def _key_value(key: str, value: AttributeValue) -> KeyValue:
    return KeyValue(key, AnyValue(value))


_processor = RotelCarbonProcessor(CarbonEnricher(CarbonConfig.from_env()), _key_value)


def process_spans(resource_spans: object) -> None:
    _processor.process_spans(resource_spans)
