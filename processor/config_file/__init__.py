"""The user config file (``OTEL_CARBON_CONFIG_FILE``): models, energy classes, grid zones, cloud regions and
providers that add to or override the bundled data. Validated strictly when loaded, with the same value rules
as the bundled data (``model.tables``): the first problem raises one ``UserConfigError`` naming the file, the
line and the key. Nothing in a file, however malformed, raises anything else.

    [models."house-llm-7b"]            # a model: an energy class, or its own coefficients
    class = "llm.small"
    [classes."llm.house"]              # an energy class (IT-level Wh per 1k tokens / 1k characters / audio minute)
    component = "llm"
    input = { central = 0.02, low = 0.01, high = 0.05 }
    output = { central = 0.1, low = 0.05, high = 0.25 }
    [zones.XX]                         # a grid zone: gCO2e/kWh
    intensity = 120.0
    source = "my utility 2025"
    [cloud_regions]                    # a cloud region -> its grid zone
    "aws:us-east-1" = "US"
    [providers.myprovider]             # a gen_ai.provider.name: PUE, WUE (L/kWh), where it serves from
    pue = 1.3

Models and classes are applied by ``load_coefficients(user_config)``; zones, cloud regions and providers by
the site tables loader (``load_site_tables(user_config.site_overrides())``).
"""

from __future__ import annotations

import re
from pathlib import Path

from otel_carbon.processor.config_file.sections import COMPONENTS, SECTIONS, check_model_tables, user_config
from otel_carbon.processor.config_file.toml_lines import key_lines, line_of, nested_deeper
from otel_carbon.processor.config_file.types import ProviderOverride, UserConfig, UserConfigError, ZoneOverride
from otel_carbon.processor.model.tables import (
    MAX_NESTING,
    NestingError,
    TableError,
    TOMLDecodeError,
    format_key,
    parse_toml,
)

__all__ = [
    "COMPONENTS",
    "SECTIONS",
    "ProviderOverride",
    "UserConfig",
    "UserConfigError",
    "ZoneOverride",
    "check_model_tables",
    "key_lines",
    "load_user_config",
]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def load_user_config(path: Path | str) -> UserConfig:
    """The validated file; raises UserConfigError for the first problem found, and nothing else."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserConfigError(path, None, None, f"cannot read the file: {error}") from None
    try:
        return _validated(text, path)
    except UserConfigError:
        raise
    except Exception as error:  # a bug of ours must not break the application either: name the file
        raise UserConfigError(path, None, None, f"cannot be used ({type(error).__name__}: {error})") from None


def _validated(text: str, path: Path) -> UserConfig:
    try:
        raw = parse_toml(text)
    except TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise UserConfigError(path, None, None, f"invalid TOML: {message}") from None
        line, column = int(position[1]), int(position[2])
        raise UserConfigError(path, line, None, f"invalid TOML: {message[: position.start()]}", column) from None
    except TableError as invalid:
        raise _located(text, path, invalid) from None
    try:
        return user_config(raw, path)
    except TableError as invalid:
        raise _located(text, path, invalid) from None


def _located(text: str, path: Path, invalid: TableError) -> UserConfigError:
    try:
        if isinstance(invalid, NestingError) and not invalid.path:  # the parser gave up: find the key ourselves
            found = nested_deeper(text, MAX_NESTING)
            if found is not None:
                return UserConfigError(path, found[1], format_key(found[0]), invalid.problem)
        line = line_of(key_lines(text), invalid.path) if invalid.path else None
    except Exception:  # the scanner is a best effort over a valid document: the key is still named
        line = None
    return UserConfigError(path, line, format_key(invalid.path) if invalid.path else None, invalid.problem)
