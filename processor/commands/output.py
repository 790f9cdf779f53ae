"""What the subcommands share: the program name, number and table formatting, the user config file as spans see it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otel_carbon.processor.config import CarbonConfig
    from otel_carbon.processor.config_file import UserConfig
    from otel_carbon.processor.model import Coefficients

PROG = "otel-carbon"


def user_config_or_none(config: CarbonConfig, warn: bool) -> UserConfig | None:
    """The OTEL_CARBON_CONFIG_FILE's contents; a bad file is reported (when ``warn``) and skipped, as spans do."""
    from otel_carbon.processor.config import ENV_CONFIG_FILE
    from otel_carbon.processor.config_file import UserConfigError, load_user_config

    if config.config_file is None:
        return None
    try:
        return load_user_config(config.config_file)
    except UserConfigError as error:
        if warn:
            print(f"{PROG}: ignoring {ENV_CONFIG_FILE}: {error}; using the bundled data", file=sys.stderr)
        return None


def coefficients_for(config: CarbonConfig, warn: bool) -> Coefficients:
    from otel_carbon.processor.model import load_coefficients

    return load_coefficients(user_config_or_none(config, warn))


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )


def format_number(value: float) -> str:
    return f"{value:.4g}"
