"""Typed view of the bundled data files (energy classes, model catalogue, PUE, grid intensity)."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DATA_PACKAGE = "otel_carbon.processor"
# 2024-08-06, 20241022, and OpenAI's older MMDD snapshots (0613, 1106).
_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|20\d{6}|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01]))$")
_PROVIDER_PREFIX = re.compile(r"^[a-z0-9_.-]+/")


@dataclass(frozen=True, slots=True)
class Range:
    central: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class EnergyClass:
    """IT-level energy per unit of work: Wh per 1k tokens, per 1k characters, or per audio minute."""

    name: str
    component: str
    input_per_1k_tokens: Range | None = None
    output_per_1k_tokens: Range | None = None
    per_1k_characters: Range | None = None
    per_audio_minute: Range | None = None


@dataclass(frozen=True, slots=True)
class Pue:
    value: Range
    source: str


@dataclass(frozen=True, slots=True)
class GridIntensity:
    """Grid carbon intensity in gCO2e/kWh, where it applies and where the number comes from."""

    grams_per_kwh: float
    region: str
    source: str


@dataclass(frozen=True, slots=True)
class ModelMatch:
    normalised_name: str
    energy_class: EnergyClass
    known: bool


@dataclass(frozen=True, slots=True)
class Coefficients:
    methodology_version: str
    cached_input_factor: Range
    classes: Mapping[str, EnergyClass]
    fallback_class_by_component: Mapping[str, str]
    models: Mapping[str, str]
    pue_by_provider: Mapping[str, Pue]
    default_pue: Pue
    grid_by_region: Mapping[str, GridIntensity]
    default_region: str

    def match_model(self, component: str, model: str | None) -> ModelMatch:
        normalised = normalise_model_name(model) if model else ""
        class_name = self._class_for(normalised)
        if class_name is not None:
            energy_class = self.classes[class_name]
            if energy_class.component == component:
                return ModelMatch(normalised, energy_class, known=True)
        fallback = self.classes[self.fallback_class_by_component[component]]
        return ModelMatch(normalised, fallback, known=False)

    def _class_for(self, normalised: str) -> str | None:
        candidate = normalised
        while candidate:
            found = self.models.get(candidate)
            if found is not None:
                return found
            candidate, _, _ = candidate.rpartition("-")
        return None

    def pue_for(self, provider: str | None) -> Pue:
        return self.pue_by_provider.get(provider or "", self.default_pue)


def normalise_model_name(model: str) -> str:
    """``openai/GPT-4o-2024-08-06`` -> ``gpt-4o``: lower case, no provider prefix, no date suffix."""
    name = _PROVIDER_PREFIX.sub("", model.strip().lower())
    return _DATE_SUFFIX.sub("", name)


def _range(table: Mapping[str, Any]) -> Range:
    return Range(float(table["central"]), float(table["low"]), float(table["high"]))


def _optional_range(table: Mapping[str, Any], key: str) -> Range | None:
    return _range(table[key]) if key in table else None


def _read_toml(name: str) -> dict[str, Any]:
    text = resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _classes(raw: Mapping[str, Any]) -> dict[str, EnergyClass]:
    return {
        name: EnergyClass(
            name=name,
            component=table["component"],
            input_per_1k_tokens=_optional_range(table, "input"),
            output_per_1k_tokens=_optional_range(table, "output"),
            per_1k_characters=_optional_range(table, "characters"),
            per_audio_minute=_optional_range(table, "audio_minutes"),
        )
        for name, table in raw.items()
    }


def _pue(table: Mapping[str, Any]) -> Pue:
    return Pue(Range(float(table["pue"]), float(table["low"]), float(table["high"])), str(table["source"]))


def _models(raw: Mapping[str, Any]) -> dict[str, str]:
    return {
        normalise_model_name(model): class_name
        for section, table in raw.items()
        if section != "meta"
        for model, class_name in table.items()
    }


def _grid(raw: Mapping[str, Any]) -> dict[str, GridIntensity]:
    return {
        region: GridIntensity(float(table["intensity"]), region, str(table["source_id"]))
        for region, table in raw["regions"].items()
    }


@cache
def load_coefficients(models_file: Path | None = None) -> Coefficients:
    """The bundled coefficients, with ``models_file`` (TOML, same shape as data/models.toml) layered on top."""
    energy = _read_toml("energy_classes.toml")
    classes = _classes(energy["classes"])
    models = _models(_read_toml("models.toml"))
    if models_file is not None:
        models.update(_models(tomllib.loads(models_file.read_text(encoding="utf-8"))))
        unknown = sorted({c for c in models.values() if c not in classes})
        if unknown:
            raise ValueError(f"{models_file}: unknown energy class {unknown[0]!r}; known: {', '.join(sorted(classes))}")
    pue = _read_toml("pue.toml")
    grid = _read_toml("grid.toml")
    return Coefficients(
        methodology_version=str(energy["methodology"]["version"]),
        cached_input_factor=Range(
            float(energy["cached_input"]["factor"]),
            float(energy["cached_input"]["low"]),
            float(energy["cached_input"]["high"]),
        ),
        classes=classes,
        fallback_class_by_component=dict(energy["fallback"]),
        models=models,
        pue_by_provider={provider: _pue(table) for provider, table in pue["providers"].items()},
        default_pue=_pue(pue["default"]),
        grid_by_region=_grid(grid),
        default_region=str(grid["default_region"]),
    )
