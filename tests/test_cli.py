"""The ``otel-carbon`` command, as installed (a subprocess) and in process (``main(argv)``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher
from otel_carbon.processor.cli import main
from otel_carbon.processor.commands.catalogue import params_text
from otel_carbon.processor.commands.output import format_number
from otel_carbon.processor.model import load_coefficients
from otel_carbon.processor.model.sites import load_site_tables

SCRIPT = Path(sys.executable).with_name("otel-carbon")


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_CARBON_")}
    return {**env, **extra}


@pytest.fixture(autouse=True)
def _no_carbon_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("OTEL_CARBON_"):
            monkeypatch.delenv(key)


def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=dict(env or clean_env()), timeout=60, check=False
    )


def expected(attributes: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Mapping[str, Any]:
    """What the span processor's enricher says for a span carrying ``attributes``."""
    enrichment = CarbonEnricher(CarbonConfig.from_env({"OTEL_CARBON_SPAN_ATTRIBUTES": "full", **(env or {})})).enrich(
        attributes
    )
    assert enrichment is not None
    return enrichment.attributes


def range_line(label: str, attributes: Mapping[str, Any], key: str, unit: str) -> str:
    central, low, high = (format_number(attributes[name]) for name in (key, f"{key}.low", f"{key}.high"))
    return f"{label:<10} {central} {unit} (range {low} to {high})"


CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 1000,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 500,
    sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 200,
}
CHAT_ARGS = (
    "estimate",
    "--model",
    "gpt-4o",
    "--provider",
    "openai",
    "--input-tokens",
    "1000",
    "--output-tokens",
    "500",
    "--cached-tokens",
    "200",
)


def test_the_script_prints_the_enrichers_numbers_as_text() -> None:
    result = run(*CHAT_ARGS)
    assert result.returncode == 0, result.stderr
    want = expected(CHAT)
    lines = result.stdout.splitlines()
    assert lines[0] == "model      gpt-4o (llm, class llm.frontier)"
    assert range_line("energy", want, sc.ENERGY_WH, "Wh") in lines
    assert range_line("emissions", want, sc.EMISSIONS_GCO2E, "gCO2e") in lines
    assert (
        f"grid       {format_number(want[sc.GRID_INTENSITY])} gCO2e/kWh, {want[sc.REGION]} "
        f"({want[sc.GRID_INTENSITY_SOURCE]})"
    ) in lines
    assert f"PUE        {format_number(want[sc.PUE])}" in lines
    if sc.WATER_L in want:
        assert f"water      {format_number(want[sc.WATER_L])} L" in lines


def test_the_script_prints_the_enrichers_numbers_as_json() -> None:
    result = run(*CHAT_ARGS, "--region", "aws:eu-west-1", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    want = expected(CHAT, {"OTEL_CARBON_REGION": "aws:eu-west-1"})
    assert document["attributes"] == dict(want)
    assert document["energy_wh"] == {
        "central": want[sc.ENERGY_WH],
        "low": want[sc.ENERGY_WH_LOW],
        "high": want[sc.ENERGY_WH_HIGH],
    }
    assert document["emissions_gco2e"] == {
        "central": want[sc.EMISSIONS_GCO2E],
        "low": want[sc.EMISSIONS_GCO2E_LOW],
        "high": want[sc.EMISSIONS_GCO2E_HIGH],
    }
    assert (document["normalised_model"], document["energy_class"], document["model_unknown"]) == (
        "gpt-4o",
        "llm.frontier",
        False,
    )
    assert document["region"] == want[sc.REGION] == "IE"
    assert document["span_attributes"] == CHAT
    assert document["water_l"] == want[sc.WATER_L]


@pytest.mark.parametrize(
    ("args", "attributes"),
    [
        (
            ["--model", "eleven_multilingual_v2", "--provider", "elevenlabs", "--characters", "1200"],
            {
                sc.GEN_AI_OPERATION_NAME: sc.OPERATION_TEXT_TO_SPEECH,
                sc.GEN_AI_REQUEST_MODEL: "eleven_multilingual_v2",
                sc.GEN_AI_PROVIDER_NAME: "elevenlabs",
                sc.TTS_CHARACTERS: 1200,
            },
        ),
        (
            ["--model", "whisper-large-v3", "--audio-seconds", "90.5"],
            {
                sc.GEN_AI_OPERATION_NAME: sc.OPERATION_SPEECH_TO_TEXT,
                sc.GEN_AI_REQUEST_MODEL: "whisper-large-v3",
                sc.STT_AUDIO_SECONDS: 90.5,
            },
        ),
        (
            ["--model", "text-embedding-3-small", "--input-tokens", "5000"],
            {
                sc.GEN_AI_OPERATION_NAME: sc.OPERATION_EMBEDDINGS,
                sc.GEN_AI_REQUEST_MODEL: "text-embedding-3-small",
                sc.GEN_AI_USAGE_INPUT_TOKENS: 5000,
            },
        ),
        (
            [
                "--model",
                "us.anthropic.claude-sonnet-4-20250514-v1:0",
                "--provider",
                "aws.bedrock",
                "--output-tokens",
                "7",
            ],
            {
                sc.GEN_AI_OPERATION_NAME: sc.OPERATION_CHAT,
                sc.GEN_AI_REQUEST_MODEL: "us.anthropic.claude-sonnet-4-20250514-v1:0",
                sc.GEN_AI_PROVIDER_NAME: "aws.bedrock",
                sc.GEN_AI_USAGE_INPUT_TOKENS: 0,
                sc.GEN_AI_USAGE_OUTPUT_TOKENS: 7,
            },
        ),
    ],
    ids=["tts", "stt", "embeddings", "bedrock"],
)
def test_main_estimates_speech_embeddings_and_bedrock_as_spans_would(
    capsys: pytest.CaptureFixture[str], args: list[str], attributes: dict[str, Any]
) -> None:
    assert main(["estimate", *args, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["span_attributes"] == attributes
    assert document["attributes"] == dict(expected(attributes))
    assert document["model_unknown"] is False


def test_an_unknown_model_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--model", "mystery-9000", "--output-tokens", "10"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "model      mystery-9000 (llm, not in the catalogue: fallback class llm.unknown)"
    )


def test_the_config_file_applies_to_estimates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[models."house-llm-7b"]\nclass = "llm.small"\n', encoding="utf-8")
    result = run(
        "estimate", "--model", "house-llm-7b", "--output-tokens", "10", env=clean_env(OTEL_CARBON_CONFIG_FILE=str(path))
    )
    assert result.returncode == 0, result.stderr
    assert "class llm.small" in result.stdout.splitlines()[0]


ERRORS = [
    (["--input-tokens", "-5"], "argument --input-tokens: must not be negative, got -5"),
    (["--output-tokens", "many"], "argument --output-tokens: expected a whole number, got 'many'"),
    (["--input-tokens", "1.5"], "argument --input-tokens: expected a whole number, got '1.5'"),
    (["--input-tokens", "100000001"], "argument --input-tokens: exceeds the plausible maximum 100000000"),
    (["--audio-seconds", "-1"], "argument --audio-seconds: expected a finite number >= 0, got -1"),
    (["--audio-seconds", "nan"], "argument --audio-seconds: expected a finite number >= 0, got nan"),
    (["--characters", "abc"], "argument --characters: expected a whole number, got 'abc'"),
    (["--input-tokens", "5", "--region", "atlantis"], "argument --region: unknown region 'atlantis'"),
    ([], "one of the arguments --input-tokens --output-tokens --characters --audio-seconds is required"),
    (["--input-tokens", "5", "--characters", "9"], "argument --characters: not allowed with argument --input-tokens"),
    (
        ["--output-tokens", "5", "--audio-seconds", "9"],
        "argument --audio-seconds: not allowed with argument --output-tokens",
    ),
    (["--characters", "5", "--audio-seconds", "9"], "argument --audio-seconds: not allowed with argument --characters"),
    (["--input-tokens", "5", "--cached-tokens", "9"], "argument --cached-tokens: 9 exceeds --input-tokens 5"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[" ".join(args) or "no usage" for args, _ in ERRORS])
def test_bad_arguments_exit_2_naming_the_argument(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["estimate", "--model", "gpt-4o", *args])
    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage: otel-carbon estimate")
    assert f"otel-carbon estimate: error: {message}" in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["estimate", "--input-tokens", "5"], "the following arguments are required: --model"),
        (["estimate", "--model", "gpt-4o", "--input-tokens", "-5"], "argument --input-tokens: must not be negative"),
        (["estimate", "--model", "gpt-4o", "--output-tokens", "1", "--region", "XY"], "argument --region: unknown"),
        (["estimate", "--model", "gpt-4o", "--characters", "1", "--input-tokens", "1"], "argument --characters"),
        (["estimate", "--model", "gpt-4o"], "one of the arguments --input-tokens"),
        (["models", "--component", "video"], "argument --component: invalid choice: 'video'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_the_script_exits_2_on_bad_arguments(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_models_lists_the_catalogue() -> None:
    entries = load_coefficients().catalogue_entries()
    result = run("models")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["MODEL", "PROVIDER", "CLASS", "PARAMS", "(B)", "SOURCE"]
    assert len(lines) == len(entries) + 1
    assert ["llama-4-maverick", "meta", "model:llama-4-maverick", "400/17", "meta_llama"] in [
        line.split() for line in lines
    ]
    assert ["gpt-4o", "openai", "llm.frontier", "~440", "ecologits_models"] in [line.split() for line in lines]
    documents = json.loads(run("models", "--json").stdout)
    assert [document["model"] for document in documents] == [entry.name for entry in entries]
    by_name = {document["model"]: document for document in documents}
    assert by_name["gpt-oss-120b"]["params_b"] == 117.0 and by_name["gpt-oss-120b"]["active_params_b"] == 5.1
    assert by_name["gpt-oss-120b"]["source_url"].startswith("https://")
    assert set(by_name["whisper-large-v3"]["coefficients"]) == {"wh_per_audio_minute"}


def test_models_filters_by_provider_and_component(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--provider", "Deepgram", "--component", "tts", "--json"]) == 0
    documents = json.loads(capsys.readouterr().out)
    assert {document["model"] for document in documents} == {"aura", "aura-2"}
    entries = {entry.name: entry for entry in load_coefficients().catalogue_entries()}
    assert params_text(entries["gemma-3n-e4b"]) == "8/4"
    assert params_text(entries["claude-opus-4"]) == "-"


def test_regions_lists_zones_and_cloud_regions() -> None:
    tables = load_site_tables()
    result = run("regions", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["default_zone"] == tables.default_zone
    zones = {zone["zone"]: zone for zone in document["zones"]}
    assert set(zones) == set(tables.grid_by_zone)
    world = tables.grid_by_zone["WORLD"]
    assert zones["WORLD"]["intensity_gco2e_per_kwh"] == world.grams_per_kwh
    assert (zones["WORLD"]["year"], zones["WORLD"]["source"]) == (world.year, world.source_id)
    regions = {region["region"]: region for region in document["cloud_regions"]}
    assert set(regions) == set(tables.cloud_region_zone)
    us = tables.grid_by_zone["US"]
    assert regions["aws:us-east-1"] == {
        "region": "aws:us-east-1",
        "zone": "US",
        "intensity_gco2e_per_kwh": us.grams_per_kwh,
        "year": us.year,
        "source": us.source_id,
    }
    text = run("regions").stdout.splitlines()
    assert text[0] == f"Grid zones (default {tables.default_zone}):"
    assert ["FR", format_number(tables.grid_by_zone["FR"].grams_per_kwh), str(tables.grid_by_zone["FR"].year)] == (
        next(line.split() for line in text if line.startswith("FR "))[:3]
    )
    assert "Cloud regions:" in text


def test_regions_include_the_config_files_zones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[zones.XX]\nintensity = 12.5\nsource = "my utility"\n[cloud_regions]\n"aws:xx-1" = "XX"\n')
    monkeypatch.setenv("OTEL_CARBON_CONFIG_FILE", str(path))
    assert main(["regions", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {"zone": "XX", "source": "my utility", "intensity_gco2e_per_kwh": 12.5}.items() <= next(
        zone for zone in document["zones"] if zone["zone"] == "XX"
    ).items()
    assert next(region for region in document["cloud_regions"] if region["region"] == "aws:xx-1")["zone"] == "XX"


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "otel_carbon.processor",
            "estimate",
            "--model",
            "tts-1",
            "--characters",
            "100",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["energy_class"] == "tts.default"
