"""``otel-carbon estimate``: the attributes a span of one call would carry, run through the span processor's own
enricher, so the command and the spans cannot disagree."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from otel_carbon import semconv as sc
from otel_carbon.processor.commands.output import PROG, coefficients_for, format_number

if TYPE_CHECKING:
    from otel_carbon.processor.config import CarbonConfig
    from otel_carbon.processor.model import Coefficients


def _count(raw: str) -> int:
    from otel_carbon.processor.model.usage import MAX_TOKENS

    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {raw}")
    if value > MAX_TOKENS:
        raise argparse.ArgumentTypeError(f"exceeds the plausible maximum {MAX_TOKENS}, got {raw}")
    return value


def _seconds(raw: str) -> float:
    from otel_carbon.processor.model.usage import MAX_AUDIO_SECONDS

    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {raw}")
    if value > MAX_AUDIO_SECONDS:
        raise argparse.ArgumentTypeError(f"exceeds the plausible maximum {int(MAX_AUDIO_SECONDS)} s, got {raw}")
    return value


def add_estimate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="M", help="model id as the SDK sends it, e.g. gpt-4o")
    llm = parser.add_argument_group("LLM and embeddings")
    llm.add_argument("--input-tokens", type=_count, metavar="N", help="input tokens, cached ones included")
    llm.add_argument("--output-tokens", type=_count, metavar="N", help="output tokens, reasoning included")
    llm.add_argument("--cached-tokens", type=_count, metavar="N", help="input tokens read from the prompt cache")
    speech = parser.add_argument_group("speech")
    speech.add_argument("--characters", type=_count, metavar="N", help="text to speech: characters of text")
    speech.add_argument("--audio-seconds", type=_seconds, metavar="S", help="speech to text: seconds of audio")
    where = parser.add_argument_group("where")
    where.add_argument("--provider", metavar="P", help="gen_ai.provider.name: openai, anthropic, aws.bedrock, ...")
    where.add_argument(
        "--region", metavar="R", help="grid zone (FR, WORLD) or cloud region (aws:us-east-1); see `otel-carbon regions`"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _check_usage(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    """The component the arguments describe; a usage error (exit 2) naming the argument otherwise."""
    token_flags = (
        ("--input-tokens", args.input_tokens),
        ("--output-tokens", args.output_tokens),
        ("--cached-tokens", args.cached_tokens),
    )
    given_tokens = [flag for flag, value in token_flags if value is not None]
    speech_flags = (("--characters", args.characters), ("--audio-seconds", args.audio_seconds))
    given_speech = [flag for flag, value in speech_flags if value is not None]
    if not given_tokens and not given_speech:
        parser.error("one of the arguments --input-tokens --output-tokens --characters --audio-seconds is required")
    if given_speech and given_tokens:
        parser.error(f"argument {given_speech[0]}: not allowed with argument {given_tokens[0]}")
    if len(given_speech) > 1:
        parser.error("argument --audio-seconds: not allowed with argument --characters")
    if args.cached_tokens is not None and args.cached_tokens > (args.input_tokens or 0):
        parser.error(
            f"argument --cached-tokens: {args.cached_tokens} exceeds --input-tokens {args.input_tokens or 0} "
            "(cached tokens are part of the input)"
        )
    if args.characters is not None:
        return sc.COMPONENT_TTS
    if args.audio_seconds is not None:
        return sc.COMPONENT_STT
    return sc.COMPONENT_LLM


def _check_region(raw: str, parser: argparse.ArgumentParser, config: CarbonConfig) -> str:
    region = raw.strip().lower() if ":" in raw else raw.strip().upper()
    if region not in config.region_choices:
        parser.error(
            f"argument --region: unknown region {raw!r}: use a grid zone (FR, WORLD) or a cloud region "
            "(aws:us-east-1); `otel-carbon regions` lists them"
        )
    return region


def span_attributes(args: argparse.Namespace, component: str, coefficients: Coefficients) -> dict[str, Any]:
    """The attributes a span of this call carries (instrumentation's spelling)."""
    attributes: dict[str, Any] = {sc.GEN_AI_REQUEST_MODEL: args.model}
    if args.provider:
        attributes[sc.GEN_AI_PROVIDER_NAME] = args.provider
    if component == sc.COMPONENT_TTS:
        attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_TEXT_TO_SPEECH
        attributes[sc.TTS_CHARACTERS] = args.characters
        return attributes
    if component == sc.COMPONENT_STT:
        attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_SPEECH_TO_TEXT
        attributes[sc.STT_AUDIO_SECONDS] = args.audio_seconds
        return attributes
    embedding = args.output_tokens is None and coefficients.match_model(sc.COMPONENT_EMBEDDING, args.model).known
    attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_EMBEDDINGS if embedding else sc.OPERATION_CHAT
    attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] = args.input_tokens or 0
    if args.output_tokens is not None:
        attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = args.output_tokens
    if args.cached_tokens:
        attributes[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = args.cached_tokens
    return attributes


def run_estimate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_carbon.processor.config import ENV_REGION, ENV_SPAN_ATTRIBUTES, SPAN_ATTRIBUTES_FULL, CarbonConfig
    from otel_carbon.processor.enrichment import CarbonEnricher

    component = _check_usage(args, parser)
    env = dict(os.environ)
    env.setdefault(ENV_SPAN_ATTRIBUTES, SPAN_ATTRIBUTES_FULL)  # a what-if shows the whole range
    if args.region is not None:
        env[ENV_REGION] = _check_region(args.region, parser, CarbonConfig.from_env({}))
    config = CarbonConfig.from_env(env)
    attributes = span_attributes(args, component, coefficients_for(config, warn=False))
    enrichment = CarbonEnricher(config).enrich(attributes)
    if enrichment is None or sc.ESTIMATE_ERROR in enrichment.attributes:
        reason = "no usage" if enrichment is None else enrichment.attributes[sc.ESTIMATE_ERROR]
        print(f"{PROG}: no estimate: {reason}", file=sys.stderr)
        return 1
    result = estimate_result(args.model, attributes, enrichment.attributes)
    print(json.dumps(result, indent=2) if args.json else _estimate_text(result))
    return 0


def _triple(attributes: Mapping[str, Any], central: str, low: str, high: str) -> dict[str, float | None] | None:
    if central not in attributes:
        return None
    return {"central": attributes[central], "low": attributes.get(low), "high": attributes.get(high)}


def estimate_result(model: str, usage: Mapping[str, Any], attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--json`` document: the enricher's numbers, unrounded, and every attribute it set."""
    result: dict[str, Any] = {
        "model": model,
        "normalised_model": attributes.get(sc.MODEL),
        "model_unknown": bool(attributes.get(sc.MODEL_UNKNOWN, False)),
        "component": attributes.get(sc.COMPONENT),
        "energy_class": attributes.get(sc.ENERGY_CLASS),
        "energy_wh": _triple(attributes, sc.ENERGY_WH, sc.ENERGY_WH_LOW, sc.ENERGY_WH_HIGH),
        "emissions_gco2e": _triple(attributes, sc.EMISSIONS_GCO2E, sc.EMISSIONS_GCO2E_LOW, sc.EMISSIONS_GCO2E_HIGH),
    }
    if sc.WATER_L in attributes:
        result["water_l"] = attributes[sc.WATER_L]
    result.update(
        {
            "region": attributes.get(sc.REGION),
            "grid_intensity_gco2e_per_kwh": attributes.get(sc.GRID_INTENSITY),
            "grid_intensity_source": attributes.get(sc.GRID_INTENSITY_SOURCE),
            "pue": attributes.get(sc.PUE),
            "methodology_version": attributes.get(sc.METHODOLOGY_VERSION),
            "span_attributes": dict(usage),
            "attributes": dict(attributes),
        }
    )
    return result


def _range_text(values: Mapping[str, float | None], unit: str) -> str:
    central, low, high = (values[key] for key in ("central", "low", "high"))
    text = f"{format_number(central or 0.0)} {unit}"
    if low is None or high is None:
        return text
    return f"{text} (range {format_number(low)} to {format_number(high)})"


def _estimate_text(result: Mapping[str, Any]) -> str:
    model = result["normalised_model"] or result["model"]
    known = "not in the catalogue: fallback class" if result["model_unknown"] else "class"
    lines = [
        f"model      {model} ({result['component']}, {known} {result['energy_class']})",
        f"energy     {_range_text(result['energy_wh'], 'Wh')}",
        f"emissions  {_range_text(result['emissions_gco2e'], 'gCO2e')}",
    ]
    if "water_l" in result:
        lines.append(f"water      {format_number(result['water_l'])} L")
    lines.append(
        f"grid       {format_number(result['grid_intensity_gco2e_per_kwh'])} gCO2e/kWh, "
        f"{result['region']} ({result['grid_intensity_source']})"
    )
    lines.append(f"PUE        {format_number(result['pue'])}")
    return "\n".join(lines)
