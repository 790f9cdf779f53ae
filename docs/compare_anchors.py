"""Compare otel-carbon's estimates with published anchors for the same work, and write the table
into METHODOLOGY.md so the documentation cannot drift from the code.

    python docs/compare_anchors.py            rewrite the table in METHODOLOGY.md
    python docs/compare_anchors.py --check    exit 1 if METHODOLOGY.md is out of date

EcoLogits (0.11) is run side by side for the same calls when it is installed
(`pip install 'ecologits>=0.11,<0.12'`); without it, --check ignores that column.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher

METHODOLOGY = Path(__file__).resolve().parent.parent / "METHODOLOGY.md"
BEGIN, END = "<!-- anchors:begin -->", "<!-- anchors:end -->"
ECOLOGITS_COLUMN = 6
ML_ENERGY_IT_MULTIPLIER = 1.6  # host CPU/DRAM + idle over accelerator-only energy (Google, arXiv 2508.15734)


@dataclass(frozen=True)
class Anchor:
    name: str
    published_wh: float
    source: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    ecologits_provider: str | None = None
    ecologits_model: str | None = None
    facility: bool = True
    """False: the anchor is IT-level (accelerator x documented overhead); compare before PUE."""


def _ml_energy(model: str, joules_per_token: float, output_tokens: int, ecologits_model: str | None) -> Anchor:
    return Anchor(
        name=f"ML.ENERGY v3: {model}",
        published_wh=joules_per_token * output_tokens * ML_ENERGY_IT_MULTIPLIER / 3600,
        source=f"{joules_per_token} J/token GPU at batch 128 x {ML_ENERGY_IT_MULTIPLIER} IT overhead",
        provider="self_hosted",
        model=model,
        input_tokens=100,
        output_tokens=output_tokens,
        ecologits_provider="huggingface_hub" if ecologits_model else None,
        ecologits_model=ecologits_model,
        facility=False,
    )


ANCHORS = (
    Anchor(
        "Google: median Gemini Apps text prompt",
        0.24,
        "Elsworth et al. 2025 (arXiv 2508.15734), comprehensive boundary; tokens not disclosed: 300 in / 200 out assumed",
        "gcp.gemini",
        "gemini-2.5-pro",
        300,
        200,
        "google_genai",
        "gemini-2.5-pro",
    ),
    Anchor(
        "OpenAI: average ChatGPT query",
        0.34,
        "Altman, 'The Gentle Singularity', 2025; no method disclosed: gpt-4o, 500 in / 300 out assumed",
        "openai",
        "gpt-4o",
        500,
        300,
        "openai",
        "gpt-4o",
    ),
    Anchor(
        "Epoch AI: GPT-4o typical query",
        0.3,
        "You 2025, epoch.ai; 500 output tokens, PUE 1.2 in the source",
        "openai",
        "gpt-4o",
        100,
        500,
        "openai",
        "gpt-4o",
    ),
    Anchor(
        "Oviedo et al.: frontier model median query",
        0.34,
        "arXiv 2509.20241 (Microsoft), 500 in / 300 out median",
        "openai",
        "gpt-4.1",
        500,
        300,
        "openai",
        "gpt-4.1",
    ),
    _ml_energy("llama-3.1-8b-instruct", 0.095, 400, "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    _ml_energy("llama-3.1-70b-instruct", 0.563, 400, "meta-llama/Meta-Llama-3.1-70B-Instruct"),
    _ml_energy("llama-3.1-405b-instruct", 2.430, 400, "meta-llama/Meta-Llama-3.1-405B-Instruct-FP8"),
    _ml_energy("qwen3-235b-a22b-instruct-2507", 1.486, 400, None),
    _ml_energy("deepseek-v3.1", 1.936, 400, None),
)


def _ours(anchor: Anchor) -> tuple[float, float, float, str]:
    enricher = CarbonEnricher(CarbonConfig.from_env({}))
    enrichment = enricher.enrich(
        {
            sc.GEN_AI_OPERATION_NAME: sc.OPERATION_CHAT,
            sc.GEN_AI_PROVIDER_NAME: anchor.provider,
            sc.GEN_AI_REQUEST_MODEL: anchor.model,
            sc.GEN_AI_USAGE_INPUT_TOKENS: anchor.input_tokens,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: anchor.output_tokens,
        }
    )
    assert enrichment is not None and sc.ENERGY_WH in enrichment.attributes, anchor
    attributes = enrichment.attributes
    scale = 1.0 if anchor.facility else 1.0 / float(attributes[sc.PUE])  # type: ignore[arg-type]
    energy_class = str(attributes[sc.ENERGY_CLASS]) + (" (unknown model)" if attributes.get(sc.MODEL_UNKNOWN) else "")
    return (
        float(attributes[sc.ENERGY_WH]) * scale,  # type: ignore[arg-type]
        float(attributes[sc.ENERGY_WH_LOW]) * scale,  # type: ignore[arg-type]
        float(attributes[sc.ENERGY_WH_HIGH]) * scale,  # type: ignore[arg-type]
        energy_class,
    )


def _ecologits(anchor: Anchor) -> str:
    if anchor.ecologits_provider is None or anchor.ecologits_model is None:
        return "not covered"
    try:
        from ecologits.tracers.utils import llm_impacts
    except ImportError:
        return "not installed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        impacts = llm_impacts(
            provider=anchor.ecologits_provider,
            model_name=anchor.ecologits_model,
            output_token_count=anchor.output_tokens,
            request_latency=math.inf,
            electricity_mix_zone="WOR",
        )
    if impacts is None or impacts.energy is None:
        return "not covered"
    value = impacts.energy.value  # kWh: a number or a RangeValue(min, max)
    low, high = (value.min, value.max) if hasattr(value, "min") else (value, value)
    return f"{low * 1000:.3g}–{high * 1000:.3g}"


def table() -> str:
    rows = [
        "| Anchor | Scenario | Published Wh | otel-carbon Wh (low–high) | In range | Class | EcoLogits 0.11 Wh |",
        "|---|---|---|---|---|---|---|",
    ]
    for anchor in ANCHORS:
        central, low, high, energy_class = _ours(anchor)
        inside = "yes" if low <= anchor.published_wh <= high else "**no**"
        level = "facility" if anchor.facility else "IT level"
        rows.append(
            f"| {anchor.name} | {anchor.model}, {anchor.input_tokens} in / {anchor.output_tokens} out, {level}; "
            f"{anchor.source} | {anchor.published_wh:.3g} | {central:.3g} ({low:.3g}–{high:.3g}) | {inside} | "
            f"`{energy_class}` | {_ecologits(anchor)} |"
        )
    return "\n".join(rows)


def _without_ecologits(text: str) -> list[list[str]]:
    return [line.split("|")[:ECOLOGITS_COLUMN] for line in text.strip().splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if METHODOLOGY.md is out of date")
    args = parser.parse_args(argv)
    document = METHODOLOGY.read_text(encoding="utf-8")
    head, _, rest = document.partition(BEGIN)
    current, _, tail = rest.partition(END)
    fresh = table()
    if args.check:
        if _without_ecologits(current) != _without_ecologits(fresh):
            print(f"{METHODOLOGY.name} is out of date: run python docs/compare_anchors.py", file=sys.stderr)
            return 1
        return 0
    METHODOLOGY.write_text(f"{head}{BEGIN}\n{fresh}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
