"""The user config file (``OTEL_CARBON_CONFIG_FILE``): models, energy classes, grid zones, cloud regions and
providers that add to or override the bundled data. Validated strictly when loaded: the first problem raises
one ``UserConfigError`` naming the file, the line and the key.

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

import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from otel_carbon.processor.config import MAX_GRID_INTENSITY, PUE_BOUNDS
from otel_carbon.processor.model.coefficients import (
    BUNDLED,
    COEFFICIENT_KEYS,
    MODEL_CLASS_PREFIX,
    CatalogueEntry,
    Coefficients,
    EnergyClass,
    Range,
    catalogue_entry,
    energy_class,
    infer_component,
    load_coefficients,
    normalise_model_name,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SECTIONS = ("models", "classes", "zones", "cloud_regions", "providers")
COMPONENTS = ("llm", "embedding", "tts", "stt")
COMPONENT_COEFFICIENTS = {
    "llm": ("input", "output"),
    "embedding": ("input",),
    "tts": ("characters",),
    "stt": ("audio_minutes",),
}
MAX_COEFFICIENT = 100.0  # Wh per 1k tokens, 1k characters or audio minute: 40x the highest bundled value
MAX_PARAMS_B = 100_000.0  # 100 T parameters
MAX_WUE = 20.0  # L/kWh; the industry average is about 1.8
MAX_OFFSITE_WATER = 100.0  # L/kWh; the highest bundled country is below 20
YEARS = (1990, 2100)

_CLASS_KEYS = frozenset({"component", *COEFFICIENT_KEYS, "description", "basis", "sources"})
_MODEL_KEYS = frozenset(
    {
        "class",
        "component",
        *COEFFICIENT_KEYS,
        "params_b",
        "active_params_b",
        "params_estimated",
        "source",
        "sources",
        "basis",
        "note",
        "aliases",
    }
)
_ZONE_KEYS = frozenset(
    {"intensity", "source", "year", "low_carbon_share", "renewable_share", "offsite_water_l_per_kwh"}
)
_PROVIDER_KEYS = frozenset({"pue", "wue", "operator", "default_zone", "default_cloud_region", "source"})
_RANGE_KEYS = ("central", "low", "high")
_CLASS_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_ZONE_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,31}$")
_CLOUD_REGION = re.compile(r"^(aws|gcp|azure):[a-z0-9-]+$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_]+$")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")

KeyPath = tuple[str, ...]


class UserConfigError(ValueError):
    """The user config file is unusable; the message names the file, the line and the key."""

    def __init__(self, path: Path, line: int | None, key: str | None, problem: str, column: int | None = None) -> None:
        where = str(path) if line is None else f"{path}:{line}" + ("" if column is None else f":{column}")
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ZoneOverride:
    zone: str
    new: bool  # not in the bundled table
    intensity: float | None = None  # gCO2e/kWh
    source: str | None = None
    year: int | None = None
    low_carbon_share: float | None = None
    renewable_share: float | None = None
    offsite_water_l_per_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class ProviderOverride:
    provider: str
    new: bool  # not in the bundled table
    pue: Range | None = None
    wue: Range | None = None  # on-site, L per kWh of IT energy
    operator: str | None = None
    default_zone: str | None = None
    default_cloud_region: str | None = None
    source: str | None = None


# eq=False: hashed by identity, so load_coefficients can cache per loaded file.
@dataclass(frozen=True, eq=False)
class UserConfig:
    path: Path
    models: Mapping[str, CatalogueEntry]
    """Normalised name -> entry; own coefficients are in ``classes`` as ``model:<name>``."""
    classes: Mapping[str, EnergyClass]
    zones: Mapping[str, ZoneOverride]
    cloud_regions: Mapping[str, str]
    """``aws:us-east-1`` -> grid zone."""
    providers: Mapping[str, ProviderOverride]

    @property
    def source_id(self) -> str:
        """What spans name as the source of a figure the file gives without one."""
        return f"user:{self.path.name}"

    def site_overrides(self) -> dict[str, Any]:
        """Zones, cloud regions and providers in the ``overrides`` shape of ``load_site_tables``."""
        from otel_carbon.processor.model.sites import load_site_tables

        overrides: dict[str, Any] = {}
        if self.zones:
            overrides["zones"] = {code: self._zone_table(zone) for code, zone in self.zones.items()}
        if self.cloud_regions:
            overrides["cloud_regions"] = dict(self.cloud_regions)
        if self.providers:
            default = load_site_tables().default_provider
            overrides["providers"] = {
                name: self._provider_table(provider, default) for name, provider in self.providers.items()
            }
        return overrides

    def _zone_table(self, zone: ZoneOverride) -> dict[str, Any]:
        fields = ("intensity", "year", "low_carbon_share", "renewable_share", "offsite_water_l_per_kwh")
        table: dict[str, Any] = {key: getattr(zone, key) for key in fields if getattr(zone, key) is not None}
        if zone.intensity is not None:
            table["source_id"] = zone.source or self.source_id
        if zone.new and zone.year is None:
            table["year"] = date.today().year  # a figure given without a year is taken as current
        return table

    def _provider_table(self, provider: ProviderOverride, default: Any) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for key in ("operator", "default_zone", "default_cloud_region"):
            if getattr(provider, key) is not None:
                table[key] = getattr(provider, key)
        for key in ("pue", "wue"):
            value = getattr(provider, key)
            if value is not None:
                table[key] = _range_table(value)
        if provider.pue or provider.wue or provider.source:
            table["source_id"] = provider.source or self.source_id
        if provider.new and provider.operator is None:
            # A new provider on no named operator: the unknown-provider defaults fill what the file leaves out.
            table.setdefault("pue", _range_table(default.pue))
            table.setdefault("wue", _range_table(default.onsite_wue_l_per_kwh))
            table.setdefault("source_id", default.source_id)
        return table


def _range_table(value: Range) -> dict[str, float]:
    return {"central": value.central, "low": value.low, "high": value.high}


class _Invalid(Exception):
    def __init__(self, path: KeyPath, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def load_user_config(path: Path | str) -> UserConfig:
    """The validated file; raises UserConfigError for the first problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserConfigError(path, None, None, f"cannot read the file: {error}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise UserConfigError(path, None, None, f"invalid TOML: {message}") from None
        line, column = int(position[1]), int(position[2])
        raise UserConfigError(path, line, None, f"invalid TOML: {message[: position.start()]}", column) from None
    try:
        return _user_config(raw, path)
    except _Invalid as invalid:
        line = _line_of(key_lines(text), invalid.path)
        raise UserConfigError(path, line, format_key(invalid.path), invalid.problem) from None


def check_model_tables(raw_models: Mapping[str, Any], classes: Mapping[str, EnergyClass]) -> None:
    """Validates ``[models]`` tables as the user file's are; raises ValueError naming the key."""
    try:
        _models(_table(("models",), raw_models), classes, BUNDLED)
    except _Invalid as invalid:
        raise ValueError(f"{format_key(invalid.path)}: {invalid.problem}") from None


def _user_config(raw: Mapping[str, Any], path: Path) -> UserConfig:
    from otel_carbon.processor.model.sites import load_site_tables

    for section, value in raw.items():
        if section not in SECTIONS:
            raise _Invalid((section,), f"unknown section (known: {', '.join(SECTIONS)})")
        _table((section,), value)
    bundled = load_coefficients()
    sites = load_site_tables()
    classes = _classes(raw.get("classes", {}), bundled)
    models, own_classes = _models(raw.get("models", {}), {**bundled.classes, **classes}, str(path))
    zones = _zones(raw.get("zones", {}), frozenset(sites.grid_by_zone))
    known_zones = frozenset(sites.grid_by_zone) | frozenset(zones)
    cloud_regions = _cloud_regions(raw.get("cloud_regions", {}), known_zones)
    known_regions = frozenset(sites.cloud_region_zone) | frozenset(cloud_regions)
    operators = {site.operator for site in (*sites.providers.values(), sites.default_provider) if site.operator}
    providers = _providers(
        raw.get("providers", {}), frozenset(sites.providers), known_zones, known_regions, frozenset(operators)
    )
    return UserConfig(path, models, {**classes, **own_classes}, zones, cloud_regions, providers)


# ---- sections ---------------------------------------------------------------------------------------


def _classes(raw: Mapping[str, Any], bundled: Coefficients) -> dict[str, EnergyClass]:
    classes: dict[str, EnergyClass] = {}
    for name, value in raw.items():
        path = ("classes", name)
        table = _table(path, value)
        if name.startswith(MODEL_CLASS_PREFIX):
            raise _Invalid(path, f"the prefix {MODEL_CLASS_PREFIX!r} is reserved for models' own coefficients")
        if not _CLASS_NAME.match(name):
            raise _Invalid(path, "a class name uses letters, digits, '.', '_' and '-' only")
        _known_keys(path, table, _CLASS_KEYS)
        if "component" not in table:
            raise _Invalid(path, f"missing key 'component' (one of {', '.join(COMPONENTS)})")
        component = _component(path + ("component",), table["component"])
        previous = bundled.classes.get(name)
        if previous is not None and previous.component != component:
            raise _Invalid(
                path + ("component",),
                f"{component!r} differs from the bundled class's component {previous.component!r}",
            )
        _coefficients(path, table, component)
        _texts(path, table, ("description", "basis"))
        _text_list(path, table, "sources")
        classes[name] = energy_class(name, table)
    return classes


def _models(
    raw: Mapping[str, Any], classes: Mapping[str, EnergyClass], origin: str
) -> tuple[dict[str, CatalogueEntry], dict[str, EnergyClass]]:
    models: dict[str, CatalogueEntry] = {}
    names: dict[str, str] = {}  # normalised name or alias -> the key that claimed it
    own_classes: dict[str, EnergyClass] = {}
    for key, value in raw.items():
        path = ("models", key)
        table = _table(path, value)
        _known_keys(path, table, _MODEL_KEYS)
        name = normalise_model_name(key)
        if not name:
            raise _Invalid(path, "the model name is empty once normalised")
        _model_class(path, table, classes)
        _model_params(path, table)
        _texts(path, table, ("source", "basis", "note"))
        _text_list(path, table, "sources")
        _text_list(path, table, "aliases")
        if "params_estimated" in table and not isinstance(table["params_estimated"], bool):
            raise _Invalid(
                path + ("params_estimated",), f"expected true or false, got {_describe(table['params_estimated'])}"
            )
        entry, own = catalogue_entry(key, table, classes, origin)
        for claimed in (entry.name, *entry.aliases):
            if not claimed:
                raise _Invalid(path + ("aliases",), "an alias is empty once normalised")
            if claimed in names:
                where = path if claimed == entry.name else path + ("aliases",)
                raise _Invalid(where, f"{claimed!r} is already claimed by models.{format_key((names[claimed],))}")
            names[claimed] = key
        models[entry.name] = entry
        if own is not None:
            own_classes[own.name] = own
    return models, own_classes


def _model_class(path: KeyPath, table: Mapping[str, Any], classes: Mapping[str, EnergyClass]) -> None:
    own = [key for key in COEFFICIENT_KEYS if key in table]
    if "class" in table:
        if own:
            raise _Invalid(path + (own[0],), "a model takes either class or its own coefficients, not both")
        class_name = table["class"]
        if not isinstance(class_name, str):
            raise _Invalid(path + ("class",), f"expected a class name, got {_describe(class_name)}")
        if class_name not in classes:
            known = ", ".join(sorted(name for name in classes if not name.startswith(MODEL_CLASS_PREFIX)))
            raise _Invalid(path + ("class",), f"unknown energy class {class_name!r} (known: {known})")
        if "component" in table:
            component = _component(path + ("component",), table["component"])
            if component != classes[class_name].component:
                raise _Invalid(
                    path + ("component",),
                    f"{component!r} does not match class {class_name!r} ({classes[class_name].component})",
                )
        return
    if not own:
        raise _Invalid(
            path, "missing key 'class' (an energy class) or own coefficients (input/output, characters, audio_minutes)"
        )
    component = (
        _component(path + ("component",), table["component"]) if "component" in table else infer_component(table)
    )
    _coefficients(path, table, component)


def _model_params(path: KeyPath, table: Mapping[str, Any]) -> None:
    total = active = None
    if "params_b" in table:
        total = _number(path + ("params_b",), table["params_b"], 0.0, MAX_PARAMS_B, positive=True)
    if "active_params_b" in table:
        active = _number(path + ("active_params_b",), table["active_params_b"], 0.0, MAX_PARAMS_B, positive=True)
    if total is not None and active is not None and active > total:
        raise _Invalid(path + ("active_params_b",), f"{active:g} exceeds params_b {total:g}")


def _zones(raw: Mapping[str, Any], bundled: frozenset[str]) -> dict[str, ZoneOverride]:
    zones: dict[str, ZoneOverride] = {}
    for code, value in raw.items():
        path = ("zones", code)
        table = _table(path, value)
        if not _ZONE_CODE.match(code):
            raise _Invalid(
                path, "a zone code is an ISO 3166-1 alpha-2 country code (FR), WORLD, or a sub-zone (US-CAL)"
            )
        _known_keys(path, table, _ZONE_KEYS)
        zone = code.upper()
        new = zone not in bundled
        if not table:
            raise _Invalid(path, f"empty zone (keys: {', '.join(sorted(_ZONE_KEYS))})")
        if new and "intensity" not in table:
            raise _Invalid(path, "missing key 'intensity' (gCO2e/kWh) for a zone that is not bundled")
        _texts(path, table, ("source",))
        zones[zone] = ZoneOverride(
            zone=zone,
            new=new,
            intensity=_optional_number(path, table, "intensity", 0.0, MAX_GRID_INTENSITY),
            source=table.get("source"),
            year=_year(path, table),
            low_carbon_share=_optional_number(path, table, "low_carbon_share", 0.0, 1.0),
            renewable_share=_optional_number(path, table, "renewable_share", 0.0, 1.0),
            offsite_water_l_per_kwh=_optional_number(path, table, "offsite_water_l_per_kwh", 0.0, MAX_OFFSITE_WATER),
        )
    return zones


def _cloud_regions(raw: Mapping[str, Any], zones: frozenset[str]) -> dict[str, str]:
    regions: dict[str, str] = {}
    for region, zone in raw.items():
        path = ("cloud_regions", region)
        if not _CLOUD_REGION.match(region.lower()):
            raise _Invalid(path, "a cloud region is <aws|gcp|azure>:<region code>, e.g. aws:us-east-1")
        regions[region.lower()] = _zone_reference(path, zone, zones)
    return regions


def _providers(
    raw: Mapping[str, Any],
    bundled: frozenset[str],
    zones: frozenset[str],
    regions: frozenset[str],
    operators: frozenset[str],
) -> dict[str, ProviderOverride]:
    providers: dict[str, ProviderOverride] = {}
    for name, value in raw.items():
        path = ("providers", name)
        table = _table(path, value)
        _known_keys(path, table, _PROVIDER_KEYS)
        if not table:
            raise _Invalid(path, f"empty provider (keys: {', '.join(sorted(_PROVIDER_KEYS))})")
        _texts(path, table, ("source", "operator"))
        operator = table.get("operator")
        if operator is not None and operators and operator not in operators:
            raise _Invalid(
                path + ("operator",), f"unknown operator {operator!r} (known: {', '.join(sorted(operators))})"
            )
        zone = table.get("default_zone")
        region = table.get("default_cloud_region")
        if region is not None:
            if not isinstance(region, str):
                raise _Invalid(path + ("default_cloud_region",), f"expected a cloud region, got {_describe(region)}")
            if region.lower() not in regions:
                raise _Invalid(
                    path + ("default_cloud_region",),
                    f"unknown cloud region {region!r} (a key of [cloud_regions] or a bundled region such as "
                    "aws:us-east-1; `otel-carbon regions` lists them)",
                )
        providers[name] = ProviderOverride(
            provider=name,
            new=name not in bundled,
            pue=_optional_range(path, table, "pue", *PUE_BOUNDS),
            wue=_optional_range(path, table, "wue", 0.0, MAX_WUE),
            operator=operator,
            default_zone=None if zone is None else _zone_reference(path + ("default_zone",), zone, zones),
            default_cloud_region=None if region is None else region.lower(),
            source=table.get("source"),
        )
    return providers


# ---- values -----------------------------------------------------------------------------------------


def _table(path: KeyPath, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(path, f"expected a table, got {_describe(value)}")
    return value


def _known_keys(path: KeyPath, table: Mapping[str, Any], known: frozenset[str]) -> None:
    for key in table:
        if key not in known:
            raise _Invalid(path + (key,), f"unknown key (known: {', '.join(sorted(known))})")


def _component(path: KeyPath, value: Any) -> str:
    if value not in COMPONENTS:
        raise _Invalid(path, f"unknown component {value!r} (known: {', '.join(COMPONENTS)})")
    return str(value)


def _coefficients(path: KeyPath, table: Mapping[str, Any], component: str) -> None:
    wanted = COMPONENT_COEFFICIENTS[component]
    for key in COEFFICIENT_KEYS:
        if key in table and key not in wanted:
            raise _Invalid(path + (key,), f"not used by component {component!r} (it takes {' and '.join(wanted)})")
    for key in wanted:
        if key not in table:
            raise _Invalid(path, f"missing key {key!r} (component {component!r} takes {' and '.join(wanted)})")
        _range(path + (key,), table[key], 0.0, MAX_COEFFICIENT, positive=True)


def _range(path: KeyPath, value: Any, low: float, high: float, positive: bool = False) -> Range:
    """A number, or a ``{ central, low, high }`` table with low <= central <= high."""
    if not isinstance(value, dict):
        number = _number(path, value, low, high, positive=positive)
        return Range(number, number, number)
    _known_keys(path, value, frozenset(_RANGE_KEYS))
    for key in _RANGE_KEYS:
        if key not in value:
            raise _Invalid(path, f"missing key {key!r} (a range is {{ central = ..., low = ..., high = ... }})")
    central, lowest, highest = (_number(path + (key,), value[key], low, high, positive=positive) for key in _RANGE_KEYS)
    if not lowest <= central <= highest:
        raise _Invalid(
            path, f"expected low <= central <= high, got low = {lowest:g}, central = {central:g}, high = {highest:g}"
        )
    return Range(central, lowest, highest)


def _optional_range(path: KeyPath, table: Mapping[str, Any], key: str, low: float, high: float) -> Range | None:
    return _range(path + (key,), table[key], low, high) if key in table else None


def _number(path: KeyPath, value: Any, low: float, high: float, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(path, f"expected a number, got {_describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise _Invalid(path, f"expected a finite number, got {value!r}")
    if number < 0:
        raise _Invalid(path, f"must not be negative, got {number:g}")
    if positive and number <= low:
        raise _Invalid(path, f"must be greater than {low:g}, got {number:g}")
    if not low <= number <= high:
        raise _Invalid(path, f"expected a value between {low:g} and {high:g}, got {number:g}")
    return number


def _optional_number(path: KeyPath, table: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    return _number(path + (key,), table[key], low, high) if key in table else None


def _year(path: KeyPath, table: Mapping[str, Any]) -> int | None:
    if "year" not in table:
        return None
    value = table["year"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(path + ("year",), f"expected a whole year, got {_describe(value)}")
    if not YEARS[0] <= value <= YEARS[1]:
        raise _Invalid(path + ("year",), f"expected a year between {YEARS[0]} and {YEARS[1]}, got {value}")
    return value


def _zone_reference(path: KeyPath, value: Any, zones: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a zone code, got {_describe(value)}")
    if value.upper() not in zones:
        raise _Invalid(
            path, f"unknown zone {value!r} (a key of [zones] or a bundled zone; `otel-carbon regions` lists them)"
        )
    return value.upper()


def _texts(path: KeyPath, table: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in table and (not isinstance(table[key], str) or not table[key].strip()):
            raise _Invalid(path + (key,), f"expected a non-empty string, got {_describe(table[key])}")


def _text_list(path: KeyPath, table: Mapping[str, Any], key: str) -> None:
    if key not in table:
        return
    value = table[key]
    if not isinstance(value, list):
        raise _Invalid(path + (key,), f"expected an array of strings, got {_describe(value)}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _Invalid(path + (key,), f"expected an array of non-empty strings, found {_describe(item)}")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    return f"{type(value).__name__} {value}"


# ---- where a key is -----------------------------------------------------------------------------------


def format_key(path: KeyPath) -> str:
    """A dotted TOML key: ``models."house-llm-7b".class``."""
    return ".".join(part if _BARE_KEY.match(part) else _quoted(part) for part in path)


def _quoted(part: str) -> str:
    return '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest enclosing key (an inline table, an array, a table header)."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def key_lines(text: str) -> dict[KeyPath, int]:
    """Key path -> line number of every table header and key of a valid TOML document.

    Keys inside inline tables and multi-line values are not listed; their enclosing key is.
    """
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    open_string: str | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        if open_string is not None or depth:
            open_string, depth = _scan_value(line, open_string, depth)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            keys, _ = _parse_key(stripped[2:] if stripped.startswith("[[") else stripped[1:])
            table = tuple(keys)
            _record(lines, table, number)
            continue
        keys, rest = _parse_key(stripped)
        _record(lines, table + tuple(keys), number)
        open_string, depth = _scan_value(rest.lstrip()[1:], None, 0)
    return lines


def _record(lines: dict[KeyPath, int], path: KeyPath, number: int) -> None:
    for end in range(1, len(path)):
        lines.setdefault(path[:end], number)
    lines[path] = number


def _parse_key(text: str) -> tuple[list[str], str]:
    """A dotted key at the start of ``text``, and what follows it."""
    keys: list[str] = []
    index = 0
    while True:
        while index < len(text) and text[index] in " \t":
            index += 1
        if index < len(text) and text[index] == '"':
            end = index + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            keys.append(tomllib.loads(f"k = {text[index : end + 1]}")["k"])
            index = end + 1
        elif index < len(text) and text[index] == "'":
            end = text.index("'", index + 1)
            keys.append(text[index + 1 : end])
            index = end + 1
        else:
            bare = re.match(r"[A-Za-z0-9_-]+", text[index:])
            if bare is None:
                return keys, text[index:]
            keys.append(bare.group())
            index += bare.end()
        while index < len(text) and text[index] in " \t":
            index += 1
        if index < len(text) and text[index] == ".":
            index += 1
            continue
        return keys, text[index:]


def _scan_value(text: str, open_string: str | None, depth: int) -> tuple[str | None, int]:
    """Follows strings and brackets through one line of a value: (open multi-line string delimiter, depth)."""
    index = 0
    while index < len(text):
        if open_string is not None:
            if text.startswith(open_string, index):
                index += len(open_string)
                open_string = None
                continue
            index += 2 if open_string == '"""' and text[index] == "\\" else 1
            continue
        char = text[index]
        if char == "#":
            break
        if text.startswith('"""', index) or text.startswith("'''", index):
            open_string = text[index : index + 3]
            index += 3
        elif char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
            index += 1
        elif char == "'":
            index = text.find("'", index + 1) + 1 or len(text)
        else:
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
            index += 1
    return open_string, depth
