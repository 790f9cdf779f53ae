"""`serve` settings: flag over environment over default, and errors that name the setting."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from otel_carbon.processor.service import ConfigError, ServeConfig, add_serve_arguments, resolve_config


def _resolve(argv: list[str], env: dict[str, str] | None = None) -> ServeConfig:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return resolve_config(parser.parse_args(argv), env or {})


def test_defaults_are_safe() -> None:
    config = _resolve(["--next-hop", "collector:4317"])
    assert config.listen == "127.0.0.1:4317"
    assert config.next_hop == "collector:4317" and config.next_hop_insecure is False
    assert config.max_message_bytes == 8 * 1024 * 1024
    assert config.bearer_token is None and config.tls_cert_file is None
    assert config.shutdown_grace == config.forward_timeout + 1


def test_a_flag_wins_over_its_environment_variable() -> None:
    env = {
        "OTEL_CARBON_SERVE_NEXT_HOP": "env:4317",
        "OTEL_CARBON_SERVE_FORWARD_TIMEOUT": "2",
        "OTEL_CARBON_SERVE_WORKERS": "4",
    }
    config = _resolve(["--next-hop", "flag:4317", "--forward-timeout", "3"], env)
    assert (config.next_hop, config.forward_timeout, config.workers) == ("flag:4317", 3.0, 4)


@pytest.mark.parametrize(
    ("endpoint", "insecure"),
    [("http://gw:4317", True), ("https://gw:4317", False), ("gw:4317", False), ("[::1]:4317", False)],
)
def test_next_hop_scheme_sets_transport_security(endpoint: str, insecure: bool) -> None:
    config = _resolve(["--next-hop", endpoint])
    assert config.next_hop == endpoint.split("://")[-1] and config.next_hop_insecure is insecure


def test_insecure_from_the_environment() -> None:
    assert _resolve(["--next-hop", "gw:4317"], {"OTEL_CARBON_SERVE_NEXT_HOP_INSECURE": "true"}).next_hop_insecure


@pytest.mark.parametrize(
    ("raw", "size"), [("1048576", 1 << 20), ("16MiB", 16 << 20), ("512 KiB", 512 << 10), ("4mb", 4_000_000)]
)
def test_message_size_units(raw: str, size: int) -> None:
    assert _resolve(["--next-hop", "gw:4317", "--max-message-size", raw]).max_message_bytes == size


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--next-hop", "https://gw:4317", "--next-hop-insecure"], {}, "https"),
        (["--next-hop", "gw:4317/v1/traces"], {}, "no URL path"),
        (["--next-hop", "gw:0"], {}, "real port"),
        (["--next-hop", "gw:4317", "--listen", "::1:4317"], {}, "brackets"),
        (["--next-hop", "gw:4317", "--listen", "host:99999"], {}, "65535"),
        (["--next-hop", "gw:4317", "--max-message-size", "2GiB"], {}, "1GiB"),
        (["--next-hop", "gw:4317", "--workers", "0"], {}, "--workers"),
        (
            ["--next-hop", "gw:4317"],
            {"OTEL_CARBON_SERVE_NEXT_HOP_INSECURE": "maybe"},
            "OTEL_CARBON_SERVE_NEXT_HOP_INSECURE",
        ),
        (["--next-hop", "gw:4317"], {"OTEL_CARBON_SERVE_LOG_LEVEL": "loud"}, "OTEL_CARBON_SERVE_LOG_LEVEL"),
        (
            ["--next-hop", "gw:4317"],
            {"OTEL_CARBON_SERVE_METRICS_INTERVAL": "nan"},
            "OTEL_CARBON_SERVE_METRICS_INTERVAL",
        ),
    ],
)
def test_bad_values_name_the_setting(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _resolve(argv, env)


def test_tls_needs_both_files(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="both or neither"):
        _resolve(["--next-hop", "gw:4317", "--tls-cert-file", str(cert)])


def test_tokens_come_from_a_file_or_the_environment_and_are_never_echoed(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert _resolve(["--next-hop", "gw:4317", "--bearer-token-file", str(token_file)]).bearer_token == "from-file"
    env = {"OTEL_CARBON_SERVE_BEARER_TOKEN": "from-env", "OTEL_CARBON_SERVE_NEXT_HOP_BEARER_TOKEN": "upstream"}
    config = _resolve(["--next-hop", "gw:4317"], env)
    assert (config.bearer_token, config.next_hop_bearer_token) == ("from-env", "upstream")
    assert "from-env" not in repr(config) and "upstream" not in repr(config)
    with pytest.raises(ConfigError, match="printable ASCII") as raised:
        _resolve(["--next-hop", "gw:4317"], {"OTEL_CARBON_SERVE_BEARER_TOKEN": "bad token"})
    assert "bad token" not in str(raised.value)
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    with pytest.raises(ConfigError, match="--bearer-token-file: the token is empty"):
        _resolve(["--next-hop", "gw:4317", "--bearer-token-file", str(empty)])


def test_no_flag_takes_a_secret_on_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    flags = {option for action in parser._actions for option in action.option_strings}
    assert "--bearer-token" not in flags and "--next-hop-bearer-token" not in flags
