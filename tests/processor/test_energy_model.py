"""The energy model and its data files: pure functions over plain data."""

from __future__ import annotations

import time

import pytest

from otel_carbon.processor.model import Usage, estimate, load_coefficients, parse_usage
from otel_carbon.processor.model.coefficients import normalise_model_name
from otel_carbon.processor.model.estimate import Site
from otel_carbon.processor.model.names import MAX_MODEL_NAME_CHARS
from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.model.tables import read_bundled

OPENAI_PUE = load_site_tables().provider("openai").pue


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/GPT-4o-mini", "gpt-4o-mini"),
        ("gpt-4-0613", "gpt-4"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts"),
        ("mystery-9000", "mystery-9000"),
        ("o3", "o3"),
    ],
)
def test_model_names_normalise(raw: str, normalised: str) -> None:
    assert normalise_model_name(raw) == normalised


def test_every_catalogued_model_maps_to_a_defined_class() -> None:
    coefficients = load_coefficients()
    assert set(coefficients.models.values()) <= set(coefficients.classes)


def test_every_class_has_low_le_central_le_high_and_named_sources() -> None:
    raw = read_bundled("energy_classes.toml")
    for name, table in raw["classes"].items():
        assert table["sources"], name
        for key in ("input", "output", "characters", "audio_minutes"):
            if key in table:
                assert 0 < table[key]["low"] <= table[key]["central"] <= table[key]["high"], (name, key)
        for source in table["sources"]:
            assert {"title", "url", "year", "licence"} <= set(raw["sources"][source]), source


def test_parse_usage_returns_none_for_a_span_without_usage() -> None:
    assert parse_usage({"gen_ai.operation.name": "chat"}) is None


def test_estimate_is_zero_for_zero_usage() -> None:
    coefficients = load_coefficients()
    site = Site(OPENAI_PUE, 473.0)
    result = estimate(
        Usage("llm", "openai", "gpt-4o"),
        coefficients.classes["llm.frontier"],
        site,
        coefficients.cached_input_factor,
        coefficients.estimated_usage_range_factor,
    )
    assert result.energy_wh == result.emissions_g == 0.0


def test_cached_tokens_cost_a_tenth_of_fresh_input() -> None:
    coefficients = load_coefficients()
    energy_class = coefficients.classes["llm.frontier"]
    args = (
        energy_class,
        Site(OPENAI_PUE, 473.0),
        coefficients.cached_input_factor,
        coefficients.estimated_usage_range_factor,
    )
    fresh = estimate(Usage("llm", "openai", "gpt-4o", input_tokens=1000), *args)
    cached = estimate(Usage("llm", "openai", "gpt-4o", input_tokens=1000, cached_input_tokens=1000), *args)
    assert cached.energy_wh == pytest.approx(fresh.energy_wh * 0.1, rel=1e-12)


def test_water_is_on_site_cooling_plus_electricity_generation() -> None:
    coefficients = load_coefficients()
    site = Site(OPENAI_PUE, 473.0, onsite_wue_l_per_kwh=0.3, offsite_water_l_per_kwh=3.91)
    result = estimate(
        Usage("llm", "openai", "gpt-4o", output_tokens=1000),
        coefficients.classes["llm.frontier"],
        site,
        coefficients.cached_input_factor,
        coefficients.estimated_usage_range_factor,
    )
    assert result.it_energy_wh == pytest.approx(0.9, rel=1e-12)
    assert result.water_l == pytest.approx((0.9 * 0.3 + 0.9 * 1.18 * 3.91) / 1000, rel=1e-12)


def test_a_40_kb_model_name_normalises_in_under_50_ms() -> None:
    name = "gpt" + "-0613" * 8_000  # each suffix stripped re-ran every rule over the whole name
    started = time.perf_counter()
    normalised = normalise_model_name(name)
    assert time.perf_counter() - started < 0.05
    assert len(normalised) <= MAX_MODEL_NAME_CHARS


def test_only_the_first_256_characters_of_a_model_name_are_read() -> None:
    assert MAX_MODEL_NAME_CHARS == 256
    assert normalise_model_name("gpt-4o-mini" + "x" * 10_000) == normalise_model_name("gpt-4o-mini" + "x" * 245)
