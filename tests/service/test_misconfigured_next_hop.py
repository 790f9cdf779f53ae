"""Bad TLS material fails at start naming the file; a next hop that refuses our settings turns health NOT_SERVING."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from otel_carbon.processor.service import add_serve_arguments, run_serve
from otel_carbon.processor.service.server import BindError, CarbonService

from ..support.otlp_receiver import OtlpReceiver
from .conftest import StartService
from .helpers import CHAT, make_request, make_span, raw_call, self_signed_certificate

PAYLOAD = make_request(make_span(CHAT)).SerializeToString()
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _pair(directory: Path) -> tuple[Path, Path]:
    pair = self_signed_certificate(directory)
    if pair is None:
        pytest.skip("needs the openssl command to make a test certificate")
    return pair


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _pair(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _pair(tmp_path_factory.mktemp("other-tls"))


def _status(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2).status


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    for name in (
        "OTEL_CARBON_SERVE_TLS_CERT_FILE",
        "OTEL_CARBON_SERVE_TLS_KEY_FILE",
        "OTEL_CARBON_SERVE_NEXT_HOP_CA_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    code = run_serve(parser.parse_args(["--next-hop", "127.0.0.1:4317", "--listen", "127.0.0.1:0", *argv]))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("content", ["", "garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_a_ca_file_without_a_certificate_is_exit_2_naming_the_setting_and_file(
    content: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(content)
    code, error = _run(["--next-hop-ca-file", str(ca)], monkeypatch, capsys)
    assert code == 2
    assert f"--next-hop-ca-file={str(ca)!r}" in error and "not a PEM certificate file" in error, error


def test_a_garbage_server_certificate_is_exit_2_naming_the_file(
    certificate: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "cert.pem"
    bad.write_text("garbage")
    code, error = _run(["--tls-cert-file", str(bad), "--tls-key-file", str(certificate[1])], monkeypatch, capsys)
    assert code == 2 and f"--tls-cert-file={str(bad)!r}" in error and "Failed to bind" not in error, error


@pytest.mark.parametrize("which", ["garbage", "swapped", "mismatched"])
def test_a_bad_private_key_is_exit_2_naming_the_key_file(
    which: str,
    certificate: tuple[Path, Path],
    other_certificate: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cert, key = certificate
    if which == "garbage":
        key = tmp_path / "key.pem"
        key.write_text("garbage")
    elif which == "swapped":
        key = cert
    else:
        key = other_certificate[1]
    code, error = _run(["--tls-cert-file", str(cert), "--tls-key-file", str(key)], monkeypatch, capsys)
    assert code == 2 and f"--tls-key-file={str(key)!r}" in error and "Failed to bind" not in error, error


def test_a_service_built_with_bad_tls_files_names_the_file_when_it_binds(
    certificate: tuple[Path, Path], other_certificate: tuple[Path, Path], next_hop: OtlpReceiver
) -> None:
    from otel_carbon.processor.service import ServeConfig

    config = ServeConfig(
        next_hop=next_hop.endpoint,
        listen="127.0.0.1:0",
        next_hop_insecure=True,
        tls_cert_file=certificate[0],
        tls_key_file=other_certificate[1],
    )
    service = CarbonService(config)
    try:
        with pytest.raises(BindError, match=r"--tls-key-file=.*does not belong"):
            service.start()
    finally:
        service.stop(grace=0)


def test_a_wrong_next_hop_token_turns_health_not_serving_and_logs_the_setting(
    certificate: tuple[Path, Path],
    next_hop: OtlpReceiver,
    start_service: StartService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = start_service(next_hop.endpoint, bearer_token="the-right-token")
    edge = start_service(gateway.address, next_hop_bearer_token="a-wrong-token", misconfigured_after=3)
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        for attempt in range(3):
            assert _status(edge.address) == SERVING, attempt
            assert raw_call(edge.address, PAYLOAD)[0].name == "UNAVAILABLE"  # the upstream keeps the data
    assert _status(edge.address) == NOT_SERVING
    (line,) = [r.getMessage() for r in caplog.records if "NOT_SERVING" in r.getMessage()]
    assert "rejects our credentials" in line and "--next-hop-bearer-token-file" in line
    assert "a-wrong-token" not in caplog.text


def test_a_next_hop_whose_certificate_our_ca_does_not_sign_turns_health_not_serving(
    certificate: tuple[Path, Path],
    other_certificate: tuple[Path, Path],
    next_hop: OtlpReceiver,
    start_service: StartService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = start_service(next_hop.endpoint, tls_cert_file=certificate[0], tls_key_file=certificate[1])
    edge = start_service(
        gateway.address, next_hop_insecure=False, next_hop_ca_file=other_certificate[0], misconfigured_after=2
    )
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        for _ in range(2):
            assert raw_call(edge.address, PAYLOAD)[0].name == "UNAVAILABLE"
    assert _status(edge.address) == NOT_SERVING
    assert any("--next-hop-ca-file" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_an_outage_of_the_next_hop_keeps_health_serving(next_hop: OtlpReceiver, start_service: StartService) -> None:
    service = start_service(next_hop.endpoint, misconfigured_after=1)
    next_hop.stop()
    for _ in range(3):
        assert raw_call(service.address, PAYLOAD)[0].name == "UNAVAILABLE"
    assert _status(service.address) == SERVING


def test_health_returns_to_serving_after_a_forward_succeeds(
    next_hop: OtlpReceiver, start_service: StartService
) -> None:
    service = start_service(next_hop.endpoint, misconfigured_after=1)
    next_hop.fail_next(1, grpc.StatusCode.UNAUTHENTICATED)
    assert raw_call(service.address, PAYLOAD)[0].name == "UNAVAILABLE"
    assert _status(service.address) == NOT_SERVING
    assert raw_call(service.address, PAYLOAD)[0].name == "OK"
    assert _status(service.address) == SERVING
