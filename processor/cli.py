"""``otel-carbon``: estimate one call, list the model catalogue, list grid zones and cloud regions, serve.

Each subcommand lives in ``otel_carbon.processor.commands`` (``serve`` in ``otel_carbon.processor.service``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from otel_carbon.processor.commands.catalogue import (
    add_models_arguments,
    add_regions_arguments,
    run_models,
    run_regions,
)
from otel_carbon.processor.commands.estimate import add_estimate_arguments, run_estimate
from otel_carbon.processor.commands.output import PROG
from otel_carbon.processor.service import add_serve_arguments, run_serve
from otel_carbon.semconv.version import __version__


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, argparse.ArgumentParser], int]
    epilog: str | None = None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.command_run(args, args.command_parser))
    except BrokenPipeError:  # `otel-carbon models | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Energy (Wh), emissions (gCO2e) and water of LLM, TTS and STT calls."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help, epilog=command.epilog)
        command.add_arguments(sub)
        sub.set_defaults(command_run=command.run, command_parser=sub)
    return parser


COMMANDS: dict[str, Command] = {
    "estimate": Command(
        "estimate the energy, emissions and water of one call",
        add_estimate_arguments,
        run_estimate,
        "OTEL_CARBON_* settings (OTEL_CARBON_CONFIG_FILE, OTEL_CARBON_REGION, OTEL_CARBON_GRID_INTENSITY, "
        "OTEL_CARBON_PUE, ...) apply as they do to spans; --region overrides OTEL_CARBON_REGION.",
    ),
    "models": Command("list the model catalogue", add_models_arguments, run_models),
    "regions": Command(
        "list grid zones and cloud regions with their carbon intensity", add_regions_arguments, run_regions
    ),
    "serve": Command("run the OTLP/gRPC carbon processor service (collector tier)", add_serve_arguments, run_serve),
}
