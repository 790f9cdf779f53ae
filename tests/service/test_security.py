"""Bearer-token auth, TLS, size limits and hostile input: clean errors, nothing forwarded, the process lives on."""

from __future__ import annotations

import logging
from pathlib import Path

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_carbon import semconv as sc

from ..support.otlp_receiver import OtlpReceiver
from .conftest import StartService
from .helpers import CHAT, make_request, make_span, raw_call, self_signed_certificate

TOKEN = "s3cret-Token-that-must-never-be-logged"
HEALTHY_PAYLOAD = make_request(make_span(CHAT)).SerializeToString()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pair = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if pair is None:
        pytest.skip("needs the openssl command to make a test certificate")
    return pair


def _send_span(address: str, **exporter_options: object) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=address, timeout=5, **exporter_options)))
    with provider.get_tracer("t").start_as_current_span("chat") as span:
        span.set_attributes(CHAT)
    provider.shutdown()


def test_missing_or_wrong_token_is_unauthenticated_nothing_is_forwarded_and_the_token_is_never_logged(
    next_hop: OtlpReceiver, start_service: StartService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = start_service(next_hop.endpoint, bearer_token=TOKEN)
    assert TOKEN not in repr(service.config)
    for metadata in (
        (),
        (("authorization", "Bearer wrong"),),
        (("authorization", TOKEN),),
        (("authorization", f"Basic {TOKEN}"),),
    ):
        status, details = raw_call(service.address, HEALTHY_PAYLOAD, metadata=metadata)
        assert status is grpc.StatusCode.UNAUTHENTICATED, metadata
        assert TOKEN not in details
    _send_span(service.address, insecure=True, headers={"authorization": "Bearer nope"})
    assert next_hop.export_calls == 0
    assert any("bearer token" in record.getMessage() for record in caplog.records)

    assert raw_call(service.address, HEALTHY_PAYLOAD, metadata=(("authorization", f"bearer {TOKEN}"),))[0].name == "OK"
    _send_span(service.address, insecure=True, headers={"authorization": f"Bearer {TOKEN}"})
    assert len(next_hop.wait_for_spans(2)) == 2
    assert all(TOKEN not in record.getMessage() and TOKEN not in str(record.args) for record in caplog.records)


def test_tls_round_trip_with_the_real_exporter(
    certificate: tuple[Path, Path], next_hop: OtlpReceiver, start_service: StartService
) -> None:
    cert, key = certificate
    service = start_service(next_hop.endpoint, tls_cert_file=cert, tls_key_file=key, bearer_token=TOKEN)
    roots = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    _send_span(service.address, credentials=roots, headers={"authorization": f"Bearer {TOKEN}"})
    (arrived,) = next_hop.wait_for_spans(1)
    assert arrived.attributes[sc.ENERGY_WH] > 0
    # A plaintext client cannot talk to the TLS port.
    assert raw_call(service.address, HEALTHY_PAYLOAD, timeout=2)[0] is grpc.StatusCode.UNAVAILABLE


def test_a_chain_of_two_services_over_tls_enriches_once(
    certificate: tuple[Path, Path], next_hop: OtlpReceiver, start_service: StartService
) -> None:
    """edge (plaintext) -> gateway (TLS + token) -> collector: the gateway passes the enriched span on."""
    cert, key = certificate
    gateway = start_service(next_hop.endpoint, tls_cert_file=cert, tls_key_file=key, bearer_token=TOKEN)
    edge = start_service(gateway.address, next_hop_insecure=False, next_hop_ca_file=cert, next_hop_bearer_token=TOKEN)
    assert raw_call(edge.address, HEALTHY_PAYLOAD)[0].name == "OK"
    (span,) = next_hop.wait_for_spans(1)
    assert span.attributes[sc.ENERGY_WH] > 0
    assert gateway.flush_metrics() and edge.flush_metrics()
    energy = [point for point in next_hop.metric_points() if point.name == sc.METRIC_ENERGY]
    assert [point.count for point in energy] == [1]  # recorded by the edge only; the edge's metrics crossed TLS too


def test_a_request_over_the_size_limit_is_resource_exhausted_and_the_service_still_serves(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint, max_message_bytes=64 * 1024)
    big = make_request(make_span({**CHAT, "prompt": "x" * 100_000})).SerializeToString()
    assert raw_call(service.address, big)[0] is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert next_hop.export_calls == 0
    assert raw_call(service.address, HEALTHY_PAYLOAD)[0].name == "OK"


def _million_spans() -> bytes:
    """An ExportTraceServiceRequest with 10^6 spans, concatenated as bytes (building it as messages takes long)."""

    def field(number: int, payload: bytes) -> bytes:
        length, header = len(payload), bytearray([number << 3 | 2])
        while True:
            byte, length = length & 0x7F, length >> 7
            header.append(byte | (0x80 if length else 0))
            if not length:
                return bytes(header) + payload

    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="s").SerializeToString()
    scope_spans = field(2, span) * 1_000_000
    return field(1, field(2, scope_spans))


def test_a_million_span_request_is_bounded_by_the_default_size_limit(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    payload = _million_spans()
    assert len(payload) > service.config.max_message_bytes
    assert raw_call(service.address, payload, timeout=20)[0] is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert next_hop.export_calls == 0
    assert raw_call(service.address, HEALTHY_PAYLOAD)[0].name == "OK"


@pytest.mark.parametrize(
    "garbage",
    [b"\xff" * 64, b"\x0a\xff\xff\xff\xff\x0f", b"\x0a\x05abc", bytes(range(256)) * 16],
    ids=["bad-varint", "huge-length", "truncated", "noise"],
)
def test_bad_protobuf_is_invalid_argument_and_the_service_still_serves(
    garbage: bytes, next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint)
    status, details = raw_call(service.address, garbage)
    assert status is grpc.StatusCode.INVALID_ARGUMENT, details
    assert next_hop.export_calls == 0
    assert raw_call(service.address, HEALTHY_PAYLOAD)[0].name == "OK"


def test_an_unknown_method_is_unimplemented(next_hop: OtlpReceiver, start_service: StartService) -> None:
    service = start_service(next_hop.endpoint)
    status, _ = raw_call(
        service.address, b"", method="/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"
    )
    assert status is grpc.StatusCode.UNIMPLEMENTED


def test_an_unexpected_error_costs_one_request_not_the_process(
    next_hop: OtlpReceiver, start_service: StartService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = start_service(next_hop.endpoint)
    monkeypatch.setattr(service, "_enrich", lambda payload: 1 / 0)
    assert raw_call(service.address, HEALTHY_PAYLOAD)[0] is grpc.StatusCode.INTERNAL
    monkeypatch.undo()
    assert raw_call(service.address, HEALTHY_PAYLOAD)[0].name == "OK"
