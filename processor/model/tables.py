"""The one reader of TOML data and the one set of value rules, for the bundled data files and the user's file alike.

A value is checked where it is read: a number is finite and within its plausible bounds, a range is
``{ central, low, high }`` with low <= central <= high. The first problem raises ``TableError`` naming the
key; the user config file adds its path and line, a bundled file its name.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError
# The data folder is package otel_carbon.processor.data; it has no __init__.py, so it is read through its parent.
DATA_PACKAGE = "otel_carbon.processor"

MAX_GRID_INTENSITY = 2000.0  # gCO2e/kWh: above any grid on record (pure lignite ~1,100)
PUE_BOUNDS = (1.0, 3.0)
MAX_COEFFICIENT = 100.0  # Wh per 1k tokens, 1k characters or audio minute: 40x the highest bundled value
MAX_PARAMS_B = 100_000.0  # 100 T parameters
MAX_WUE = 20.0  # L/kWh; the industry average is about 1.8
MAX_OFFSITE_WATER = 100.0  # L/kWh; the highest bundled country is below 20
MAX_EMBODIED = 1000.0  # gCO2e per kWh of IT energy; the bundled central value is about 40
YEARS = (1990, 2100)
MAX_NESTING = 8  # arrays and inline tables inside one key; no data file needs more than 3
RANGE_KEYS = ("central", "low", "high")

KeyPath = tuple[str, ...]
T = TypeVar("T")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class Range:
    central: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Source:
    """A citation from a data file's ``[sources.<id>]`` table; spans carry the id."""

    id: str
    title: str
    url: str
    year: int
    licence: str


class TableError(ValueError):
    """A data table breaks a rule; ``path`` is the key, ``problem`` says what is wrong with it."""

    def __init__(self, path: KeyPath, problem: str) -> None:
        super().__init__(f"{format_key(path)}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


class NestingError(TableError):
    """A value nests arrays or inline tables deeper than MAX_NESTING (``path`` is empty when the parser gave up)."""


def parse_toml(text: str) -> dict[str, Any]:
    """The document; raises TOMLDecodeError, or NestingError for nesting deeper than MAX_NESTING."""
    try:
        document = tomllib.loads(text)
    except RecursionError:
        raise NestingError((), f"nested deeper than {MAX_NESTING} levels") from None
    check_nesting(document)
    return document


def check_nesting(document: Mapping[str, Any]) -> None:
    """Raises TableError naming the first key whose value nests arrays or inline tables too deeply."""
    stack: list[tuple[KeyPath, Any, int]] = [((key,), value, 0) for key, value in document.items()]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict):
            stack.extend((path + (key,), item, depth) for key, item in value.items())
        elif isinstance(value, list):
            if depth >= MAX_NESTING:
                raise NestingError(path, f"nested deeper than {MAX_NESTING} levels")
            stack.extend((path, item, depth + 1) for item in value)


def read_bundled(name: str) -> dict[str, Any]:
    """A bundled data file; any problem raises TableError naming the file (a broken install)."""
    text = resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    try:
        return parse_toml(text)
    except TOMLDecodeError as error:
        raise TableError((), f"{name}: invalid TOML: {error}") from None


def bundled_check(name: str, check: Callable[[], T]) -> T:
    """``check()`` over a bundled file's tables, a TableError prefixed with the file's name."""
    try:
        return check()
    except TableError as error:
        raise TableError((), f"{name}: {error}") from None


def format_key(path: KeyPath) -> str:
    """A dotted TOML key: ``models."house-llm-7b".class``."""
    return ".".join(part if _BARE_KEY.match(part) else _quoted(part) for part in path)


def _quoted(part: str) -> str:
    return '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'


def describe(value: Any) -> str:
    """A short description of a value for a message, never longer than about 80 characters."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {_bounded(repr(value))}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (int, float)):
        return f"number {_bounded(repr(value))}"
    return f"{type(value).__name__} {_bounded(str(value))}"


def _bounded(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def table(path: KeyPath, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TableError(path, f"expected a table, got {describe(value)}")
    return value


def known_keys(path: KeyPath, value: Mapping[str, Any], known: frozenset[str]) -> None:
    for key in value:
        if key not in known:
            raise TableError(path + (key,), f"unknown key (known: {', '.join(sorted(known))})")


def field(value: Mapping[str, Any], path: KeyPath, key: str) -> Any:
    if key not in value:
        raise TableError(path, f"missing {key!r}")
    return value[key]


def number(path: KeyPath, value: Any, low: float, high: float, positive: bool = False) -> float:
    """A finite number in [low, high] (in (low, high] when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TableError(path, f"expected a number, got {describe(value)}")
    figure = float(value)
    if not math.isfinite(figure):
        raise TableError(path, f"expected a finite number, got {value!r}")
    if figure < 0:
        raise TableError(path, f"must not be negative, got {figure:g}")
    if positive and figure <= low:
        raise TableError(path, f"must be greater than {low:g}, got {figure:g}")
    if not low <= figure <= high:
        raise TableError(path, f"expected a value between {low:g} and {high:g}, got {figure:g}")
    return figure


def optional_number(path: KeyPath, value: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    return number(path + (key,), value[key], low, high) if key in value else None


def range_value(path: KeyPath, value: Any, low: float, high: float, positive: bool = False) -> Range:
    """A number, or a ``{ central, low, high }`` table with low <= central <= high."""
    if not isinstance(value, dict):
        figure = number(path, value, low, high, positive=positive)
        return Range(figure, figure, figure)
    known_keys(path, value, frozenset(RANGE_KEYS))
    for key in RANGE_KEYS:
        if key not in value:
            raise TableError(path, f"missing key {key!r} (a range is {{ central = ..., low = ..., high = ... }})")
    central, lowest, highest = (number(path + (key,), value[key], low, high, positive=positive) for key in RANGE_KEYS)
    if not lowest <= central <= highest:
        raise TableError(
            path, f"expected low <= central <= high, got low = {lowest:g}, central = {central:g}, high = {highest:g}"
        )
    return Range(central, lowest, highest)


def optional_range(
    path: KeyPath, value: Mapping[str, Any], key: str, low: float, high: float, positive: bool = False
) -> Range | None:
    return range_value(path + (key,), value[key], low, high, positive) if key in value else None


def year(path: KeyPath, value: Mapping[str, Any], key: str = "year") -> int | None:
    if key not in value:
        return None
    given = value[key]
    if isinstance(given, bool) or not isinstance(given, int):
        raise TableError(path + (key,), f"expected a whole year, got {describe(given)}")
    if not YEARS[0] <= given <= YEARS[1]:
        raise TableError(path + (key,), f"expected a year between {YEARS[0]} and {YEARS[1]}, got {given}")
    return given


def texts(path: KeyPath, value: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in value and (not isinstance(value[key], str) or not value[key].strip()):
            raise TableError(path + (key,), f"expected a non-empty string, got {describe(value[key])}")


def text_list(path: KeyPath, value: Mapping[str, Any], key: str) -> None:
    if key not in value:
        return
    given = value[key]
    if not isinstance(given, list):
        raise TableError(path + (key,), f"expected an array of strings, got {describe(given)}")
    for item in given:
        if not isinstance(item, str) or not item.strip():
            raise TableError(path + (key,), f"expected an array of non-empty strings, found {describe(item)}")
