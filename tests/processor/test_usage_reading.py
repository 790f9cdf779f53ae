"""The processor reads usage through the semconv codec: bounded error messages, estimated usage widened."""

from __future__ import annotations

import pytest

from otel_carbon.processor.model import Usage, UsageError, estimate, load_coefficients, parse_usage
from otel_carbon.processor.model.estimate import Site
from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.model.usage import MAX_COPIED_VALUE_CHARS


@pytest.mark.parametrize(
    "bad_value",
    ["x" * 1_000_000, ("x" * 1_000_000,) * 50, -(10**1_000), 1e300],
    ids=["1 MB string", "list of 1 MB strings", "huge negative int", "huge float"],
)
def test_an_estimate_error_copies_at_most_a_short_excerpt_of_the_bad_value(bad_value: object) -> None:
    error = parse_usage({"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": bad_value})
    assert isinstance(error, UsageError)
    assert error.message.startswith("gen_ai.usage.input_tokens=")
    assert len(error.message) <= MAX_COPIED_VALUE_CHARS + 100


def test_a_span_marked_estimated_gives_an_estimated_usage() -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 50,
        "otel_carbon.usage.source": "estimated",
        "otel_carbon.usage.estimated": ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"],
    }
    usage = parse_usage(attributes)
    assert isinstance(usage, Usage)
    assert (usage.input_tokens, usage.output_tokens, usage.estimated) == (100, 50, True)


def test_reported_usage_is_not_estimated() -> None:
    usage = parse_usage(
        {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 1, "otel_carbon.usage.source": "reported"}
    )
    assert isinstance(usage, Usage) and usage.estimated is False


def test_estimated_usage_widens_the_range_by_the_documented_factor_and_keeps_the_central_value() -> None:
    coefficients = load_coefficients()
    pue = load_site_tables().provider("openai").pue
    args = (
        coefficients.classes["llm.frontier"],
        Site(pue, 400.0),
        coefficients.cached_input_factor,
        coefficients.estimated_usage_range_factor,
    )
    reported = estimate(Usage("llm", "openai", "gpt-4o", 1000, 0, 500), *args)
    estimated = estimate(Usage("llm", "openai", "gpt-4o", 1000, 0, 500, estimated=True), *args)
    assert estimated.energy_wh == reported.energy_wh
    assert estimated.energy_wh_low == pytest.approx(reported.energy_wh_low / 2.0)
    assert estimated.energy_wh_high == pytest.approx(reported.energy_wh_high * 2.0)
