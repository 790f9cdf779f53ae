"""The delivery guarantee, counted: at least once while the upstream retries, with every span sent
matched against the spans that reached the next hop (lost = sent and never received; duplicates =
received more than once). See docs/collector-tier.md, "Delivery guarantee"."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from ..support.otlp_receiver import OtlpReceiver
from .conftest import StartService
from .helpers import CHAT

SLOW = pytest.mark.skipif(
    os.environ.get("OTEL_CARBON_SLOW_TESTS") != "1", reason="20-s outage: set OTEL_CARBON_SLOW_TESTS=1"
)


@dataclass(frozen=True)
class Tally:
    sent: int
    received: int
    lost: int
    duplicates: int


def _deliver(
    address: str,
    next_hop: OtlpReceiver,
    *,
    exporter_timeout: float | None,
    seconds: float,
    outage: tuple[float, float] | None = None,
    rate: float = 100.0,
) -> Tally:
    """Spans at ``rate`` for ``seconds`` through an SDK BatchSpanProcessor + OTLP exporter (``None``:
    the exporter's default timeout), with the next hop down from ``outage[0]`` for ``outage[1]`` s."""
    exporter = OTLPSpanExporter(endpoint=address, insecure=True, timeout=exporter_timeout)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100, max_export_batch_size=64))
    tracer = provider.get_tracer("tests.service.delivery")
    if outage is not None:
        down_at, down_for = outage
        threading.Timer(down_at, next_hop.stop).start()
        threading.Timer(down_at + down_for, next_hop.start).start()
    sent = 0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        with tracer.start_as_current_span(f"call-{sent}", attributes=CHAT):
            sent += 1
        time.sleep(max(0.0, sent / rate - elapsed))
    if outage is not None:
        time.sleep(max(0.0, outage[0] + outage[1] - (time.monotonic() - started)) + 0.2)
    provider.shutdown()  # flushes what is queued, each batch within its exporter's retry budget
    received = Counter(span.name for span in next_hop.spans())
    expected = {f"call-{index}" for index in range(sent)}
    assert set(received) <= expected
    return Tally(
        sent=sent,
        received=len(received),
        lost=len(expected - set(received)),
        duplicates=sum(received.values()) - len(received),
    )


def test_a_short_outage_of_the_next_hop_loses_nothing(next_hop: OtlpReceiver, start_service: StartService) -> None:
    service = start_service(next_hop.endpoint)
    tally = _deliver(service.address, next_hop, exporter_timeout=None, seconds=3.0, outage=(0.5, 1.5))
    print(f"short outage: {tally}")
    assert tally.sent >= 200 and tally.lost == 0, tally


def test_a_slow_next_hop_yields_duplicates_never_losses(next_hop: OtlpReceiver, start_service: StartService) -> None:
    """The next hop keeps a request that outlives our forward timeout, but the upstream is told UNAVAILABLE
    and sends it again: at least once, not exactly once."""
    service = start_service(next_hop.endpoint, forward_timeout=0.3)
    next_hop.delay_next(3, 0.8)
    tally = _deliver(service.address, next_hop, exporter_timeout=None, seconds=2.0)
    print(f"slow next hop: {tally}")
    assert tally.lost == 0 and tally.duplicates > 0, tally


def test_an_outage_longer_than_the_upstream_retry_budget_loses_and_a_longer_budget_does_not(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    """The 20-s outage below, shortened: a 4-s outage against a 1-s exporter budget and a 12-s one."""
    service = start_service(next_hop.endpoint)
    short_budget = _deliver(service.address, next_hop, exporter_timeout=1.0, seconds=2.0, outage=(0.3, 4.0))
    assert short_budget.lost > 0, short_budget
    next_hop.clear()
    long_budget = _deliver(service.address, next_hop, exporter_timeout=12.0, seconds=2.0, outage=(0.3, 4.0))
    print(f"4-s outage: 1-s budget {short_budget}; 12-s budget {long_budget}")
    assert long_budget.lost == 0, long_budget


@SLOW
def test_a_20_second_outage_loses_with_the_exporters_default_timeout_and_nothing_with_a_60_second_one(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    default = _deliver(service.address, next_hop, exporter_timeout=None, seconds=4.0, outage=(1.0, 20.0), rate=50)
    assert default.lost > 0, default  # the exporter's 10-s budget (retries at 1, 2, 4 s) runs out
    next_hop.clear()
    patient = _deliver(service.address, next_hop, exporter_timeout=60.0, seconds=4.0, outage=(1.0, 20.0), rate=50)
    assert patient.lost == 0, patient
    print(f"20-s outage: default timeout {default}; 60-s timeout {patient}")
