"""Typed view of the bundled data files (energy classes, model catalogue, PUE, grid intensity)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from otel_carbon.processor.model import tables
from otel_carbon.processor.model.names import normalise_model_name
from otel_carbon.processor.model.tables import MAX_COEFFICIENT, KeyPath, Range, Source

MODEL_CLASS_PREFIX = "model:"
"""Classes made from a catalogue entry's own coefficients are named ``model:<normalised name>``."""
BUNDLED = "bundled"
# Which coefficient keys of a data table fill which EnergyClass field.
COEFFICIENT_KEYS = {
    "input": "input_per_1k_tokens",
    "output": "output_per_1k_tokens",
    "characters": "per_1k_characters",
    "audio_minutes": "per_audio_minute",
}


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
class CatalogueEntry:
    """One model of the catalogue (models.toml or the user config file), as ``otel-carbon models`` lists it."""

    name: str  # normalised name: the lookup key
    provider: str | None  # the part of the key before "/" (openai/gpt-4o -> openai)
    energy_class: str  # a class name; "model:<name>" when the entry has its own coefficients
    component: str
    params_b: float | None = None  # billions of parameters, total
    active_params_b: float | None = None  # billions active per token (MoE)
    params_estimated: bool = False  # a third party's guess for an undisclosed model
    source: str | None = None  # a [sources] id (bundled) or free text (user file)
    aliases: tuple[str, ...] = ()
    note: str | None = None
    origin: str = BUNDLED  # "bundled" or the user config file it came from


@dataclass(frozen=True, slots=True)
class ModelMatch:
    normalised_name: str
    energy_class: EnergyClass
    known: bool
    entry: CatalogueEntry | None = None


@dataclass(frozen=True, slots=True)
class Coefficients:
    methodology_version: str
    cached_input_factor: Range
    estimated_usage_range_factor: float
    """Low divided, high multiplied by this when the usage itself was estimated (METHODOLOGY.md §4)."""
    classes: Mapping[str, EnergyClass]
    fallback_class_by_component: Mapping[str, str]
    models: Mapping[str, str]
    catalogue: Mapping[str, CatalogueEntry] = field(default_factory=dict)
    """Every normalised name and alias -> its entry (``models`` maps the same keys to class names)."""
    sources: Mapping[str, Source] = field(default_factory=dict)
    """Citations of energy_classes.toml and models.toml, by id."""

    def match_model(self, component: str, model: str | None) -> ModelMatch:
        """The class of the longest catalogued name that is ``model`` or a prefix of it at a "-" boundary
        and belongs to ``component`` (a TTS model never gets an LLM class); else the component's fallback."""
        normalised = normalise_model_name(model) if model else ""
        candidate = normalised
        while candidate:
            class_name = self.models.get(candidate)
            if class_name is not None:
                energy_class = self.classes[class_name]
                if energy_class.component == component:
                    return ModelMatch(normalised, energy_class, True, self.catalogue.get(candidate))
            candidate, _, _ = candidate.rpartition("-")
        fallback = self.classes[self.fallback_class_by_component[component]]
        return ModelMatch(normalised, fallback, known=False)

    def catalogue_entries(self) -> tuple[CatalogueEntry, ...]:
        """Each catalogued model once (not once per alias), by provider and name."""
        unique = {id(entry): entry for entry in self.catalogue.values()}
        return tuple(sorted(unique.values(), key=lambda entry: (entry.provider or "", entry.name)))


class CatalogueOverlay(Protocol):
    """What a user config file adds to the catalogue (config_file.UserConfig is one)."""

    @property
    def models(self) -> Mapping[str, CatalogueEntry]: ...

    @property
    def classes(self) -> Mapping[str, EnergyClass]: ...


def energy_class(name: str, table: Mapping[str, Any], path: KeyPath = ()) -> EnergyClass:
    """A class from a data table: ``component`` (inferred for a model's own coefficients) and checked ranges."""
    path = path or ("classes", name)
    ranges = {
        attribute: tables.optional_range(path, table, key, 0.0, MAX_COEFFICIENT, positive=True)
        for key, attribute in COEFFICIENT_KEYS.items()
    }
    return EnergyClass(name=name, component=infer_component(table), **ranges)


def infer_component(table: Mapping[str, Any]) -> str:
    if "component" in table:
        return str(table["component"])
    if "characters" in table:
        return "tts"
    if "audio_minutes" in table:
        return "stt"
    return "llm" if "output" in table else "embedding"


def _classes(raw: Mapping[str, Any]) -> dict[str, EnergyClass]:
    return {name: energy_class(name, tables.table(("classes", name), table)) for name, table in raw.items()}


def catalogue_entry(
    key: str, table: Mapping[str, Any], classes: Mapping[str, EnergyClass], origin: str = BUNDLED
) -> tuple[CatalogueEntry, EnergyClass | None]:
    """A ``[models."<provider>/<name>"]`` table -> its entry, and its own class when it has coefficients.

    ``classes`` resolves a ``class`` reference (to learn the component); the caller has checked it exists.
    """
    name = normalise_model_name(key)
    provider = key.rpartition("/")[0].strip().lower() or None
    own = None
    if "class" in table:
        class_name = str(table["class"])
        if class_name not in classes:
            raise tables.TableError(("models", key, "class"), f"unknown energy class {class_name!r}")
        component = classes[class_name].component
    else:
        class_name = MODEL_CLASS_PREFIX + name
        own = energy_class(class_name, table, ("models", key))
        component = own.component
    entry = CatalogueEntry(
        name=name,
        provider=provider,
        energy_class=class_name,
        component=component,
        params_b=_optional_float(table, "params_b"),
        active_params_b=_optional_float(table, "active_params_b"),
        params_estimated=bool(table.get("params_estimated", False)),
        source=table.get("source"),
        aliases=tuple(dict.fromkeys(normalise_model_name(alias) for alias in table.get("aliases", ()))),
        note=table.get("note"),
        origin=origin,
    )
    return entry, own


def _optional_float(table: Mapping[str, Any], key: str) -> float | None:
    return float(table[key]) if key in table else None


def _catalogue(
    raw_models: Mapping[str, Any], classes: dict[str, EnergyClass]
) -> tuple[dict[str, CatalogueEntry], dict[str, str]]:
    """Entries by name and alias, and name/alias -> class name; own classes are added to ``classes``."""
    catalogue: dict[str, CatalogueEntry] = {}
    for key, table in raw_models.items():
        entry, own = catalogue_entry(key, table, classes)
        for name in (entry.name, *entry.aliases):
            if name in catalogue:
                raise tables.TableError(
                    ("models", key), f"{name!r} is already {catalogue[name].name!r}'s name or alias"
                )
            catalogue[name] = entry
        if own is not None:
            classes[own.name] = own
    return catalogue, _class_names(catalogue)


def _class_names(catalogue: Mapping[str, CatalogueEntry]) -> dict[str, str]:
    return {name: entry.energy_class for name, entry in catalogue.items()}


def _with_user_models(
    catalogue: dict[str, CatalogueEntry], classes: dict[str, EnergyClass], user_config: CatalogueOverlay
) -> dict[str, str]:
    """Layers the user file's classes and models over the bundled ones; returns name/alias -> class name.

    A user entry replaces the bundled entry of the same name, including under the bundled entry's aliases.
    """
    classes.update(user_config.classes)
    for entry in user_config.models.values():
        replaced = catalogue.get(entry.name)
        names: Iterable[str] = (entry.name, *entry.aliases)
        if replaced is not None and replaced.name == entry.name:
            names = (*names, *(alias for alias in replaced.aliases if catalogue.get(alias) is replaced))
        for name in names:
            catalogue[name] = entry
    return _class_names(catalogue)


def _sources(*files: Mapping[str, Any]) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for raw in files:
        for source_id, table in raw.get("sources", {}).items():
            if source_id in sources:
                raise tables.TableError(("sources", source_id), "defined twice")
            year = table.get("year")
            sources[source_id] = Source(source_id, str(table["title"]), str(table["url"]), year, str(table["licence"]))
    return sources


@lru_cache(maxsize=16)
def load_coefficients(user_config: CatalogueOverlay | None = None) -> Coefficients:
    """The bundled coefficients, with the user config file's models and classes layered on top.

    ``user_config`` comes from ``load_user_config``, which has validated it against the bundled data.
    Raises TableError naming the bundled file and key if a bundled table breaks a rule.
    """
    energy = tables.read_bundled("energy_classes.toml")
    catalogue_file = tables.read_bundled("models.toml")
    classes = tables.bundled_check("energy_classes.toml", lambda: _classes(energy["classes"]))
    catalogue, models = tables.bundled_check("models.toml", lambda: _catalogue(catalogue_file["models"], classes))
    if user_config is not None:
        models = _with_user_models(catalogue, classes, user_config)
    cached = energy["cached_input"]
    return Coefficients(
        methodology_version=str(energy["methodology"]["version"]),
        cached_input_factor=tables.bundled_check(
            "energy_classes.toml",
            lambda: Range(
                *(tables.number(("cached_input", key), cached[key], 0.0, 1.0) for key in ("factor", "low", "high"))
            ),
        ),
        estimated_usage_range_factor=tables.bundled_check(
            "energy_classes.toml",
            lambda: tables.number(
                ("methodology", "estimated_usage_range_factor"),
                energy["methodology"]["estimated_usage_range_factor"],
                1.0,
                10.0,
            ),
        ),
        classes=classes,
        fallback_class_by_component=dict(energy["fallback"]),
        models=models,
        catalogue=catalogue,
        sources=_sources(energy, catalogue_file),
    )
