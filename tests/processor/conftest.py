from __future__ import annotations

import pytest

from otel_carbon.processor import CarbonConfig, CarbonSpanProcessor, attach_processor

from ..support.telemetry import Telemetry


@pytest.fixture
def carbon(telemetry: Telemetry) -> CarbonSpanProcessor:
    """The carbon processor attached after the exporting processor, as the launcher hook does."""
    processor = attach_processor(telemetry.tracer_provider, telemetry.meter_provider, CarbonConfig.from_env({}))
    assert processor is not None
    return processor
