"""Property: whatever TOML a user writes, loading it returns a config the enricher can use, or raises one
UserConfigError that names the file, and the key and its line when a key is at fault; nothing else escapes,
and the message stays short."""

from __future__ import annotations

import json
import math
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_carbon.processor.config_file import SECTIONS, UserConfig, UserConfigError, load_user_config
from otel_carbon.processor.model.coefficients import load_coefficients
from otel_carbon.processor.model.sites import load_site_tables

KNOWN_KEYS = (
    "class", "component", "input", "output", "characters", "audio_minutes", "params_b", "active_params_b",
    "params_estimated", "aliases", "source", "sources", "intensity", "year", "low_carbon_share", "renewable_share",
    "offsite_water_l_per_kwh", "pue", "wue", "operator", "default_zone", "default_cloud_region", "central", "low",
    "high", "description", "basis", "note",
)  # fmt: skip
NAMES = ("llm.small", "llm.house", "openai/gpt-4o", "house-llm-7b", "FR", "XX", "aws:us-east-1", "openai", "")
MAX_MESSAGE = 1200

keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(NAMES), st.text(max_size=12))
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(NAMES),
    st.text(max_size=20),
    st.text(min_size=500, max_size=2000),
    st.dates(),
    st.datetimes(),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
deep = st.integers(min_value=1, max_value=400).map(lambda depth: ("deep", depth))
entries = st.dictionaries(keys, st.one_of(values, deep), max_size=6)
sections = st.one_of(st.sampled_from(SECTIONS), st.text(max_size=10))
documents = st.dictionaries(
    sections, st.dictionaries(st.one_of(st.sampled_from(NAMES), keys), entries, max_size=3), max_size=4
)


def toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    if isinstance(value, tuple):  # ("deep", n): n nested arrays, past any recursion limit
        return "[" * value[1] + "]" * value[1]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{ " + ", ".join(f"{toml_key(key)} = {toml_value(item)}" for key, item in value.items()) + " }"


def toml_document(document: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines: list[str] = []
    for section, tables in document.items():
        for name, table in tables.items():
            lines.append(f"[{toml_key(section)}.{toml_key(name)}]")
            lines.extend(f"{toml_key(key)} = {toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_loads_or_is_one_clear_error_naming_key_and_line(document: dict[str, Any]) -> None:
    text = toml_document(document)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conf.toml"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_user_config(path)
        except UserConfigError as error:
            message = str(error)
            assert message.startswith(f"{path}")
            assert "cannot be used" not in message  # our own failure, not the file's
            assert len(message) <= len(str(path)) + MAX_MESSAGE
            if error.key is not None:
                assert error.line is not None and 1 <= error.line <= text.count("\n")
                assert message.startswith(f"{path}:{error.line}: {error.key}: ")
            return
    assert isinstance(loaded, UserConfig)
    load_coefficients(loaded)  # what the enricher then does with it must not raise either
    load_site_tables(loaded.site_overrides())
