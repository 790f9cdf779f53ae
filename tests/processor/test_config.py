"""OTEL_CARBON_* settings: each bad value is one log line naming it, then the default."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher

CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 1000,
}


def enrich(env: dict[str, str]) -> dict[str, object]:
    enrichment = CarbonEnricher(CarbonConfig.from_env(env)).enrich(CHAT)
    assert enrichment is not None
    return dict(enrichment.attributes)


def test_region_selects_the_bundled_grid_intensity() -> None:
    attributes = enrich({"OTEL_CARBON_REGION": "fr"})
    assert (attributes[sc.REGION], attributes[sc.GRID_INTENSITY]) == ("FR", 44.18)


def test_grid_intensity_value_overrides_the_table_and_is_named_as_source() -> None:
    attributes = enrich({"OTEL_CARBON_GRID_INTENSITY": "120.5"})
    assert attributes[sc.GRID_INTENSITY] == 120.5
    assert attributes[sc.GRID_INTENSITY_SOURCE] == "config:OTEL_CARBON_GRID_INTENSITY"


def test_pue_overrides_every_provider() -> None:
    attributes = enrich({"OTEL_CARBON_PUE": "1.4"})
    assert attributes[sc.PUE] == 1.4
    assert attributes[sc.ENERGY_WH] == pytest.approx(0.9 * 1.4, rel=1e-12)


def test_disabled_config_attaches_nothing() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    from otel_carbon.processor import attach_processor

    assert attach_processor(TracerProvider(), config=CarbonConfig.from_env({"OTEL_CARBON_ENABLED": "false"})) is None


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("OTEL_CARBON_REGION", "atlantis", "unknown region"),
        ("OTEL_CARBON_GRID_INTENSITY", "-3", "expected gCO2e/kWh between 0 and 2000"),
        ("OTEL_CARBON_GRID_INTENSITY", "lots", "not a number"),
        ("OTEL_CARBON_PUE", "0.5", "expected a PUE between 1 and 3"),
        ("OTEL_CARBON_PUE", "inf", "not a finite number"),
        ("OTEL_CARBON_ENABLED", "maybe", "expected true or false"),
        ("OTEL_CARBON_MAX_MODELS", "0", "expected a whole number between 1 and 10000"),
        ("OTEL_CARBON_CONFIG_FILE", "/nonexistent/models.toml", "no such file"),
    ],
)
def test_bad_value_logs_one_line_naming_variable_and_value_then_uses_the_default(
    caplog: pytest.LogCaptureFixture, variable: str, value: str, reason: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        config = CarbonConfig.from_env({variable: value})
    assert config == CarbonConfig.from_env({})
    (record,) = caplog.records
    assert variable in record.getMessage()
    assert repr(value) in record.getMessage()
    assert reason in record.getMessage()


def test_models_file_adds_a_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models.toml"
    models.write_text('[models."house-llm-7b"]\nclass = "llm.small"\n', encoding="utf-8")
    enrichment = CarbonEnricher(CarbonConfig.from_env({"OTEL_CARBON_CONFIG_FILE": str(models)})).enrich(
        {**CHAT, sc.GEN_AI_REQUEST_MODEL: "house-llm-7b"}
    )
    assert enrichment is not None
    assert enrichment.attributes[sc.ENERGY_CLASS] == "llm.small"


def test_models_file_with_an_unknown_class_is_ignored_with_one_line(tmp_path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models.toml"
    models.write_text('[models."house-llm-7b"]\nclass = "llm.tiny"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        enricher = CarbonEnricher(CarbonConfig.from_env({"OTEL_CARBON_CONFIG_FILE": str(models)}))
    (record,) = caplog.records
    assert "OTEL_CARBON_CONFIG_FILE" in record.getMessage() and "'llm.tiny'" in record.getMessage()
    enrichment = enricher.enrich({**CHAT, sc.GEN_AI_REQUEST_MODEL: "house-llm-7b"})
    assert enrichment is not None and enrichment.attributes[sc.MODEL_UNKNOWN] is True


def test_embodied_emissions_are_off_by_default_and_separate_when_on() -> None:
    assert sc.EMBODIED_GCO2E not in enrich({})
    attributes = enrich({"OTEL_CARBON_EMBODIED": "true"})
    it_wh = attributes[sc.ENERGY_WH] / attributes[sc.PUE]  # type: ignore[operator]
    assert attributes[sc.EMBODIED_GCO2E] == pytest.approx(it_wh / 1000 * 37.4, rel=1e-12)
    assert attributes[sc.EMISSIONS_GCO2E] == enrich({})[sc.EMISSIONS_GCO2E]  # never added to the operational figure


def test_each_setting_declares_its_variable_and_default_once() -> None:
    declared = [item for item in dataclasses.fields(CarbonConfig) if "env" in item.metadata]
    variables = [item.metadata["env"] for item in declared]
    assert len(set(variables)) == len(variables) and all(name.startswith("OTEL_CARBON_") for name in variables)
    assert CarbonConfig.from_env({}, region_choices=frozenset()) == CarbonConfig()
