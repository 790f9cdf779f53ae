"""The sections of the user config file, each checked against the bundled data with the shared value rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otel_carbon.processor.config_file.types import ProviderOverride, UserConfig, ZoneOverride
from otel_carbon.processor.model import tables as rules
from otel_carbon.processor.model.coefficients import (
    BUNDLED,
    COEFFICIENT_KEYS,
    MODEL_CLASS_PREFIX,
    CatalogueEntry,
    Coefficients,
    EnergyClass,
    catalogue_entry,
    energy_class,
    infer_component,
    load_coefficients,
    normalise_model_name,
)
from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.model.tables import (
    MAX_COEFFICIENT,
    MAX_GRID_INTENSITY,
    MAX_OFFSITE_WATER,
    MAX_PARAMS_B,
    MAX_WUE,
    PUE_BOUNDS,
    KeyPath,
    TableError,
    format_key,
)

SECTIONS = ("models", "classes", "zones", "cloud_regions", "providers")
COMPONENTS = ("llm", "embedding", "tts", "stt")
COMPONENT_COEFFICIENTS = {
    "llm": ("input", "output"),
    "embedding": ("input",),
    "tts": ("characters",),
    "stt": ("audio_minutes",),
}
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
_CLASS_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_ZONE_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,31}$")
_CLOUD_REGION = re.compile(r"^(aws|gcp|azure):[a-z0-9-]+$")


def check_model_tables(raw_models: Mapping[str, Any], classes: Mapping[str, EnergyClass]) -> None:
    """Validates ``[models]`` tables as the user file's are; raises TableError naming the key."""
    _models(rules.table(("models",), raw_models), classes, BUNDLED)


def user_config(raw: Mapping[str, Any], path: Path) -> UserConfig:
    """The file's document, validated against the bundled data; raises TableError for the first problem."""
    for section, value in raw.items():
        if section not in SECTIONS:
            raise TableError((section,), f"unknown section (known: {', '.join(SECTIONS)})")
        rules.table((section,), value)
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


def _classes(raw: Mapping[str, Any], bundled: Coefficients) -> dict[str, EnergyClass]:
    classes: dict[str, EnergyClass] = {}
    for name, value in raw.items():
        path = ("classes", name)
        table = rules.table(path, value)
        if name.startswith(MODEL_CLASS_PREFIX):
            raise TableError(path, f"the prefix {MODEL_CLASS_PREFIX!r} is reserved for models' own coefficients")
        if not _CLASS_NAME.match(name):
            raise TableError(path, "a class name uses letters, digits, '.', '_' and '-' only")
        rules.known_keys(path, table, _CLASS_KEYS)
        if "component" not in table:
            raise TableError(path, f"missing key 'component' (one of {', '.join(COMPONENTS)})")
        component = _component(path + ("component",), table["component"])
        previous = bundled.classes.get(name)
        if previous is not None and previous.component != component:
            raise TableError(
                path + ("component",),
                f"{component!r} differs from the bundled class's component {previous.component!r}",
            )
        _coefficients(path, table, component)
        rules.texts(path, table, ("description", "basis"))
        rules.text_list(path, table, "sources")
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
        table = rules.table(path, value)
        rules.known_keys(path, table, _MODEL_KEYS)
        name = normalise_model_name(key)
        if not name:
            raise TableError(path, "the model name is empty once normalised")
        _model_class(path, table, classes)
        _model_params(path, table)
        rules.texts(path, table, ("source", "basis", "note"))
        rules.text_list(path, table, "sources")
        rules.text_list(path, table, "aliases")
        if "params_estimated" in table and not isinstance(table["params_estimated"], bool):
            raise TableError(
                path + ("params_estimated",), f"expected true or false, got {rules.describe(table['params_estimated'])}"
            )
        entry, own = catalogue_entry(key, table, classes, origin)
        for claimed in (entry.name, *entry.aliases):
            if not claimed:
                raise TableError(path + ("aliases",), "an alias is empty once normalised")
            if claimed in names:
                where = path if claimed == entry.name else path + ("aliases",)
                raise TableError(where, f"{claimed!r} is already claimed by models.{format_key((names[claimed],))}")
            names[claimed] = key
        models[entry.name] = entry
        if own is not None:
            own_classes[own.name] = own
    return models, own_classes


def _model_class(path: KeyPath, table: Mapping[str, Any], classes: Mapping[str, EnergyClass]) -> None:
    own = [key for key in COEFFICIENT_KEYS if key in table]
    if "class" in table:
        if own:
            raise TableError(path + (own[0],), "a model takes either class or its own coefficients, not both")
        class_name = table["class"]
        if not isinstance(class_name, str):
            raise TableError(path + ("class",), f"expected a class name, got {rules.describe(class_name)}")
        if class_name not in classes:
            known = ", ".join(sorted(name for name in classes if not name.startswith(MODEL_CLASS_PREFIX)))
            raise TableError(path + ("class",), f"unknown energy class {class_name!r} (known: {known})")
        if "component" in table:
            component = _component(path + ("component",), table["component"])
            if component != classes[class_name].component:
                raise TableError(
                    path + ("component",),
                    f"{component!r} does not match class {class_name!r} ({classes[class_name].component})",
                )
        return
    if not own:
        raise TableError(
            path, "missing key 'class' (an energy class) or own coefficients (input/output, characters, audio_minutes)"
        )
    component = (
        _component(path + ("component",), table["component"]) if "component" in table else infer_component(table)
    )
    _coefficients(path, table, component)


def _model_params(path: KeyPath, table: Mapping[str, Any]) -> None:
    total = active = None
    if "params_b" in table:
        total = rules.number(path + ("params_b",), table["params_b"], 0.0, MAX_PARAMS_B, positive=True)
    if "active_params_b" in table:
        active = rules.number(path + ("active_params_b",), table["active_params_b"], 0.0, MAX_PARAMS_B, positive=True)
    if total is not None and active is not None and active > total:
        raise TableError(path + ("active_params_b",), f"{active:g} exceeds params_b {total:g}")


def _zones(raw: Mapping[str, Any], bundled: frozenset[str]) -> dict[str, ZoneOverride]:
    zones: dict[str, ZoneOverride] = {}
    for code, value in raw.items():
        path = ("zones", code)
        table = rules.table(path, value)
        if not _ZONE_CODE.match(code):
            raise TableError(
                path, "a zone code is an ISO 3166-1 alpha-2 country code (FR), WORLD, or a sub-zone (US-CAL)"
            )
        rules.known_keys(path, table, _ZONE_KEYS)
        zone = code.upper()
        new = zone not in bundled
        if not table:
            raise TableError(path, f"empty zone (keys: {', '.join(sorted(_ZONE_KEYS))})")
        if new and "intensity" not in table:
            raise TableError(path, "missing key 'intensity' (gCO2e/kWh) for a zone that is not bundled")
        rules.texts(path, table, ("source",))
        zones[zone] = ZoneOverride(
            zone=zone,
            new=new,
            intensity=rules.optional_number(path, table, "intensity", 0.0, MAX_GRID_INTENSITY),
            source=table.get("source"),
            year=rules.year(path, table),
            low_carbon_share=rules.optional_number(path, table, "low_carbon_share", 0.0, 1.0),
            renewable_share=rules.optional_number(path, table, "renewable_share", 0.0, 1.0),
            offsite_water_l_per_kwh=rules.optional_number(
                path, table, "offsite_water_l_per_kwh", 0.0, MAX_OFFSITE_WATER
            ),
        )
    return zones


def _cloud_regions(raw: Mapping[str, Any], zones: frozenset[str]) -> dict[str, str]:
    regions: dict[str, str] = {}
    for region, zone in raw.items():
        path = ("cloud_regions", region)
        if not _CLOUD_REGION.match(region.lower()):
            raise TableError(path, "a cloud region is <aws|gcp|azure>:<region code>, e.g. aws:us-east-1")
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
        table = rules.table(path, value)
        rules.known_keys(path, table, _PROVIDER_KEYS)
        if not table:
            raise TableError(path, f"empty provider (keys: {', '.join(sorted(_PROVIDER_KEYS))})")
        rules.texts(path, table, ("source", "operator"))
        operator = table.get("operator")
        if operator is not None and operators and operator not in operators:
            raise TableError(
                path + ("operator",), f"unknown operator {operator!r} (known: {', '.join(sorted(operators))})"
            )
        zone = table.get("default_zone")
        region = table.get("default_cloud_region")
        if region is not None:
            if not isinstance(region, str):
                raise TableError(
                    path + ("default_cloud_region",), f"expected a cloud region, got {rules.describe(region)}"
                )
            if region.lower() not in regions:
                raise TableError(
                    path + ("default_cloud_region",),
                    f"unknown cloud region {region!r} (a key of [cloud_regions] or a bundled region such as "
                    "aws:us-east-1; `otel-carbon regions` lists them)",
                )
        providers[name] = ProviderOverride(
            provider=name,
            new=name not in bundled,
            pue=rules.optional_range(path, table, "pue", *PUE_BOUNDS),
            wue=rules.optional_range(path, table, "wue", 0.0, MAX_WUE),
            operator=operator,
            default_zone=None if zone is None else _zone_reference(path + ("default_zone",), zone, zones),
            default_cloud_region=None if region is None else region.lower(),
            source=table.get("source"),
        )
    return providers


def _component(path: KeyPath, value: Any) -> str:
    if value not in COMPONENTS:
        raise TableError(path, f"unknown component {value!r} (known: {', '.join(COMPONENTS)})")
    return str(value)


def _coefficients(path: KeyPath, table: Mapping[str, Any], component: str) -> None:
    wanted = COMPONENT_COEFFICIENTS[component]
    for key in COEFFICIENT_KEYS:
        if key in table and key not in wanted:
            raise TableError(path + (key,), f"not used by component {component!r} (it takes {' and '.join(wanted)})")
    for key in wanted:
        if key not in table:
            raise TableError(path, f"missing key {key!r} (component {component!r} takes {' and '.join(wanted)})")
        rules.range_value(path + (key,), table[key], 0.0, MAX_COEFFICIENT, positive=True)


def _zone_reference(path: KeyPath, value: Any, zones: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise TableError(path, f"expected a zone code, got {rules.describe(value)}")
    if value.upper() not in zones:
        raise TableError(
            path, f"unknown zone {value!r} (a key of [zones] or a bundled zone; `otel-carbon regions` lists them)"
        )
    return value.upper()
