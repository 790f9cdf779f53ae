"""Write METHODOLOGY.md's generated tables from the code and data, so the documentation cannot drift:
the energy classes with their sources, and a comparison of our estimates with published anchors
for the same work.

    python docs/methodology_tables.py            rewrite the tables in METHODOLOGY.md
    python docs/methodology_tables.py --check    exit 1 if METHODOLOGY.md is out of date

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

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from otel_carbon.processor import CarbonConfig, CarbonEnricher

METHODOLOGY = Path(__file__).resolve().parent.parent / "METHODOLOGY.md"
ANCHORS_SECTION = ("<!-- anchors:begin -->", "<!-- anchors:end -->")
CLASSES_SECTION = ("<!-- classes:begin -->", "<!-- classes:end -->")
ECOLOGITS_COLUMN = 6
ANCHORS_FILE = Path(__file__).with_name("anchors.toml")


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


def _load_anchors() -> tuple[Anchor, ...]:
    from otel_carbon.processor.model.tables import read_bundled

    multiplier = float(read_bundled("energy_classes.toml")["methodology"]["gpu_to_it_multiplier"])
    anchors = []
    for table in tomllib.loads(ANCHORS_FILE.read_text(encoding="utf-8"))["anchors"]:
        per_token = table.get("joules_per_token")
        ecologits = table.get("ecologits", [None, None])
        anchors.append(
            Anchor(
                name=table["name"],
                published_wh=table["published_wh"]
                if per_token is None
                else per_token * table["output_tokens"] * multiplier / 3600,
                source=table["source"]
                if per_token is None
                else f"{per_token} J/token GPU x {multiplier} IT overhead; {table['source']}",
                provider=table["provider"],
                model=table["model"],
                input_tokens=table["input_tokens"],
                output_tokens=table["output_tokens"],
                ecologits_provider=ecologits[0],
                ecologits_model=ecologits[1],
                facility=per_token is None,
            )
        )
    return tuple(anchors)


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


def classes_table() -> str:
    from otel_carbon.processor.model.tables import read_bundled

    energy = read_bundled("energy_classes.toml")
    units = {
        "input": "Wh/1k input tokens",
        "output": "Wh/1k output tokens",
        "characters": "Wh/1k characters",
        "audio_minutes": "Wh/audio minute",
    }
    rows = ["| Class | Rate | Central | Low–high | Basis | Sources |", "|---|---|---|---|---|---|"]
    for name, table in energy["classes"].items():
        sources = "; ".join(
            f"{energy['sources'][source]['title']} ({energy['sources'][source]['year']}, {energy['sources'][source]['licence']})"
            for source in table["sources"]
        )
        for key, unit in units.items():
            if key in table:
                rate = table[key]
                rows.append(
                    f"| `{name}` | {unit} | {rate['central']:g} | {rate['low']:g}–{rate['high']:g} | {table['basis']} | {sources} |"
                )
    cached = energy["cached_input"]
    rows.append(
        f"| cached input | × input rate | {cached['factor']:g} | {cached['low']:g}–{cached['high']:g} | {cached['source']} | {cached['licence']} |"
    )
    return "\n".join(rows)


def anchors_table() -> str:
    rows = [
        "| Anchor | Scenario | Published Wh | otel-carbon Wh (low–high) | In range | Class | EcoLogits 0.11 Wh |",
        "|---|---|---|---|---|---|---|",
    ]
    for anchor in _load_anchors():
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


def _sections() -> dict[tuple[str, str], str]:
    return {CLASSES_SECTION: classes_table(), ANCHORS_SECTION: anchors_table()}


def _replace(document: str, section: tuple[str, str], content: str) -> str:
    begin, end = section
    head, _, rest = document.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{content}\n{end}{tail}"


def _current(document: str, section: tuple[str, str]) -> str:
    begin, end = section
    return document.partition(begin)[2].partition(end)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if METHODOLOGY.md is out of date")
    args = parser.parse_args(argv)
    document = METHODOLOGY.read_text(encoding="utf-8")
    sections = _sections()
    if args.check:
        stale = [
            begin
            for (begin, end), fresh in sections.items()
            if _without_ecologits(_current(document, (begin, end))) != _without_ecologits(fresh)
        ]
        if stale:
            print(
                f"{METHODOLOGY.name} is out of date ({', '.join(stale)}): run python docs/methodology_tables.py",
                file=sys.stderr,
            )
            return 1
        return 0
    for section, fresh in sections.items():
        document = _replace(document, section, fresh)
    METHODOLOGY.write_text(document, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
