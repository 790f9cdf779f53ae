"""The user config file (OTEL_CARBON_CONFIG_FILE): what it adds, and one exact file:line:key message per problem."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig, CarbonEnricher
from otel_carbon.processor.config_file import UserConfigError, key_lines, load_user_config
from otel_carbon.processor.model import load_coefficients, sites, tables
from otel_carbon.processor.model.sites import load_site_tables

VALID = """\
# models, classes, zones, cloud regions and providers of one deployment
[models."house-llm-7b"]
class = "llm.house"
params_b = 7
source = "our model card"
aliases = ["house-7b"]

[models."acme/voice-1"]
characters = { central = 0.5, low = 0.2, high = 1.0 }

[models."openai/gpt-4o"]
class = "llm.small"

[classes."llm.house"]
component = "llm"
input = { central = 0.02, low = 0.01, high = 0.05 }
output = { central = 0.1, low = 0.05, high = 0.25 }
description = "our 7 B model on our GPUs"

[classes."tts.light"]
component = "tts"
characters = { central = 0.04, low = 0.01, high = 0.2 }

[zones.XX]
intensity = 120.0
source = "my utility 2025"

[cloud_regions]
"aws:xx-north-1" = "XX"

[providers.myprovider]
pue = 1.3
default_cloud_region = "aws:xx-north-1"
"""
CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_USAGE_INPUT_TOKENS: 1000,
    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 1000,
}


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    path = tmp_path / "otel-carbon.toml"
    path.write_text(VALID, encoding="utf-8")
    return path


def enricher(path: Path) -> CarbonEnricher:
    return CarbonEnricher(CarbonConfig.from_env({"OTEL_CARBON_CONFIG_FILE": str(path)}))


def test_a_valid_file_adds_a_model_and_its_class(valid: Path) -> None:
    config = load_user_config(valid)
    assert set(config.models) == {"house-llm-7b", "voice-1", "gpt-4o"}
    house = config.models["house-llm-7b"]
    assert (house.energy_class, house.params_b, house.source, house.aliases) == (
        "llm.house",
        7.0,
        "our model card",
        ("house-7b",),
    )
    assert house.origin == str(valid)
    coefficients = load_coefficients(config)
    for model in ("house-llm-7b", "House-7B", "myhost/house-llm-7b-2025-01-01"):
        match = coefficients.match_model("llm", model)
        assert match.known and match.energy_class.name == "llm.house", model
    enrichment = enricher(valid).enrich({**CHAT, sc.GEN_AI_REQUEST_MODEL: "house-llm-7b"})
    assert enrichment is not None
    pue = enrichment.attributes[sc.PUE]
    assert enrichment.attributes[sc.ENERGY_CLASS] == "llm.house"
    assert enrichment.attributes[sc.ENERGY_WH] == pytest.approx((0.02 + 0.1) * pue, rel=1e-12)


def test_own_coefficients_make_a_model_class(valid: Path) -> None:
    coefficients = load_coefficients(load_user_config(valid))
    match = coefficients.match_model("tts", "acme/voice-1")
    assert match.energy_class.name == "model:voice-1"
    assert match.energy_class.per_1k_characters is not None and match.energy_class.per_1k_characters.central == 0.5
    assert match.entry is not None and match.entry.provider == "acme"


def test_a_file_overrides_bundled_models_and_classes(valid: Path) -> None:
    coefficients = load_coefficients(load_user_config(valid))
    assert coefficients.match_model("llm", "gpt-4o-2024-08-06").energy_class.name == "llm.small"
    kokoro = coefficients.match_model("tts", "kokoro-82m").energy_class  # a bundled model of an overridden class
    assert kokoro.per_1k_characters is not None and kokoro.per_1k_characters.central == 0.04
    assert load_coefficients().match_model("llm", "gpt-4o").energy_class.name == "llm.frontier"


def test_a_file_overriding_a_bundled_model_also_takes_its_aliases(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[models."meta/llama-3.1-8b"]\nclass = "llm.large"\n', encoding="utf-8")
    coefficients = load_coefficients(load_user_config(path))
    for model in ("llama-3.1-8b-instruct", "llama3.1:8b", "meta.llama3-1-8b-instruct-v1:0"):
        assert coefficients.match_model("llm", model).energy_class.name == "llm.large", model


def test_zones_cloud_regions_and_providers_are_carried_for_the_site_tables(valid: Path) -> None:
    config = load_user_config(valid)
    assert config.zones["XX"].intensity == 120.0 and config.zones["XX"].source == "my utility 2025"
    assert config.cloud_regions == {"aws:xx-north-1": "XX"}
    assert config.providers["myprovider"].pue is not None and config.providers["myprovider"].pue.central == 1.3
    tables = load_site_tables(config.site_overrides())
    zone = tables.zone_for("aws:xx-north-1")
    assert zone is not None and (zone.grams_per_kwh, zone.source_id) == (120.0, "my utility 2025")
    site = tables.provider("myprovider")
    assert site.pue.central == 1.3 and site.source_id == "user:otel-carbon.toml"
    assert tables.provider_zone("myprovider").zone == "XX"


def test_an_empty_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    config = load_user_config(path)
    assert not (config.models or config.classes or config.zones or config.cloud_regions or config.providers)
    assert config.site_overrides() == {}


def known_classes() -> str:
    return ", ".join(sorted(name for name in load_coefficients().classes if not name.startswith("model:")))


ERRORS = [
    (
        "unknown class",
        '# my models\n\n[models."house-llm-7b"]\nparams_b = 7\n\nclass = "llm.tiny"\n',
        "6: models.\"house-llm-7b\".class: unknown energy class 'llm.tiny' (known: {known})",
    ),
    (
        "syntax",
        '[models."x"]\nclass = \n',
        "2:9: invalid TOML: Invalid value",
    ),
    (
        "unknown section",
        '[modles."x"]\nclass = "llm.small"\n',
        "1: modles: unknown section (known: models, classes, zones, cloud_regions, providers)",
    ),
    (
        "unknown key",
        '[models.x]\nclass = "llm.small"\nklass = "llm.small"\n',
        "3: models.x.klass: unknown key (known: active_params_b, aliases, audio_minutes, basis, characters, class, "
        "component, input, note, output, params_b, params_estimated, source, sources)",
    ),
    (
        "wrong type",
        '[models.x]\nclass = "llm.small"\nparams_b = "seven"\n',
        "3: models.x.params_b: expected a number, got string 'seven'",
    ),
    (
        "class of a wrong type",
        "[models.x]\nclass = 3\n",
        "2: models.x.class: expected a class name, got number 3",
    ),
    (
        "negative",
        '[classes."llm.house"]\ncomponent = "llm"\ninput = 0.02\noutput = { central = -0.1, low = 0.05, high = 0.2 }\n',
        '4: classes."llm.house".output.central: must not be negative, got -0.1',
    ),
    (
        "absurd",
        '[classes."llm.house"]\ncomponent = "llm"\ninput = 0.02\noutput = 5000\n',
        '4: classes."llm.house".output: expected a value between 0 and 100, got 5000',
    ),
    (
        "zero",
        '[classes."llm.house"]\ncomponent = "llm"\ninput = 0\noutput = 0.1\n',
        '3: classes."llm.house".input: must be greater than 0, got 0',
    ),
    (
        "low above central",
        '[classes."llm.house"]\ncomponent = "llm"\ninput = 0.02\noutput = { central = 0.1, low = 0.2, high = 0.3 }\n',
        '4: classes."llm.house".output: expected low <= central <= high, got low = 0.2, central = 0.1, high = 0.3',
    ),
    (
        "central above high",
        '[models."m"]\naudio_minutes = { central = 0.5, low = 0.1, high = 0.3 }\n',
        "2: models.m.audio_minutes: expected low <= central <= high, got low = 0.1, central = 0.5, high = 0.3",
    ),
    (
        "unknown component",
        '[classes."video.default"]\ncomponent = "video"\n',
        "2: classes.\"video.default\".component: unknown component 'video' (known: llm, embedding, tts, stt)",
    ),
    (
        "missing component",
        '[classes."llm.house"]\noutput = 0.1\n',
        "1: classes.\"llm.house\": missing key 'component' (one of llm, embedding, tts, stt)",
    ),
    (
        "coefficient of another component",
        '[models."acme/voice"]\ncomponent = "tts"\ncharacters = 0.3\noutput = 1.0\n',
        "4: models.\"acme/voice\".output: not used by component 'tts' (it takes characters)",
    ),
    (
        "class and own coefficients",
        '[models."acme/voice"]\nclass = "tts.default"\ncharacters = 0.3\n',
        '3: models."acme/voice".characters: a model takes either class or its own coefficients, not both',
    ),
    (
        "a bundled class changes component",
        '[classes."llm.small"]\ncomponent = "tts"\ncharacters = 1\n',
        "2: classes.\"llm.small\".component: 'tts' differs from the bundled class's component 'llm'",
    ),
    (
        "inline table",
        '[models]\n"a" = { class = "llm.small" }\n"b" = { class = "llm.tiny" }\n',
        "3: models.b.class: unknown energy class 'llm.tiny' (known: {known})",
    ),
    (
        "after a multi-line array and string",
        '[models.m]\nclass = "llm.small"\naliases = [\n  "m1",\n  "m2",\n]\nnote = """\nclass = 1\n"""\n'
        "[models.n]\nclass = true\n",
        "11: models.n.class: expected a class name, got boolean true",
    ),
    (
        "same model twice",
        '[models."GPT-X"]\nclass = "llm.small"\n\n[models."openai/gpt-x"]\nclass = "llm.small"\n',
        '4: models."openai/gpt-x": \'gpt-x\' is already claimed by models."GPT-X"',
    ),
    (
        "active above total",
        '[models.m]\nclass = "llm.small"\nparams_b = 7\nactive_params_b = 8\n',
        "4: models.m.active_params_b: 8 exceeds params_b 7",
    ),
    (
        "negative grid intensity",
        "[zones.FR]\nintensity = -5.0\n",
        "2: zones.FR.intensity: must not be negative, got -5",
    ),
    (
        "absurd grid intensity",
        '[zones.XX]\nintensity = 50000\nsource = "x"\n',
        "2: zones.XX.intensity: expected a value between 0 and 2000, got 50000",
    ),
    (
        "a new zone without intensity",
        '[zones.XX]\nsource = "x"\n',
        "1: zones.XX: missing key 'intensity' (gCO2e/kWh) for a zone that is not bundled",
    ),
    (
        "a PUE below 1",
        "[providers.openai]\npue = 0.5\n",
        "2: providers.openai.pue: expected a value between 1 and 3, got 0.5",
    ),
    (
        "an unknown zone",
        '[cloud_regions]\n"aws:xx-north-1" = "QQ"\n',
        "2: cloud_regions.\"aws:xx-north-1\": unknown zone 'QQ' (a key of [zones] or a bundled zone; "
        "`otel-carbon regions` lists them)",
    ),
    (
        "a share above 1",
        "[zones.FR]\nrenewable_share = 1.5\n",
        "2: zones.FR.renewable_share: expected a value between 0 and 1, got 1.5",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_each_problem_is_one_message_naming_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "myconf.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserConfigError) as raised:
        load_user_config(path)
    assert str(raised.value) == f"{path}:" + expected.replace("{known}", known_classes())


def test_an_unreadable_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserConfigError, match=r"missing\.toml: cannot read the file"):
        load_user_config(tmp_path / "missing.toml")


def test_a_bad_file_logs_one_warning_and_the_bundled_data_is_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "myconf.toml"
    path.write_text('[models."house-llm-7b"]\nclass = "llm.tiny"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        bad = enricher(path)
    (record,) = caplog.records
    assert f"{path}:2: models.\"house-llm-7b\".class: unknown energy class 'llm.tiny'" in record.getMessage()
    assert "OTEL_CARBON_CONFIG_FILE" in record.getMessage()
    enrichment = bad.enrich({**CHAT, sc.GEN_AI_REQUEST_MODEL: "gpt-4o"})
    assert enrichment is not None and enrichment.attributes[sc.ENERGY_CLASS] == "llm.frontier"


def test_key_lines_follow_headers_dotted_keys_and_quoted_keys() -> None:
    text = '[a."b.c"]\nx = 1\ny.z = "#not a comment"  # comment\n[[arr]]\n\'lit\' = 2\n'
    assert key_lines(text) == {
        ("a",): 1,
        ("a", "b.c"): 1,
        ("a", "b.c", "x"): 2,
        ("a", "b.c", "y"): 3,
        ("a", "b.c", "y", "z"): 3,
        ("arr",): 4,
        ("arr", "lit"): 5,
    }


# --- a malformed file never breaks the application (defect 4.6) ---------------------------------------------


def deeply_nested(tmp_path: Path, depth: int) -> Path:
    path = tmp_path / "deep.toml"
    path.write_text('[models."house-llm-7b"]\nclass = "llm.small"\naliases = ' + "[" * depth + "]" * depth + "\n")
    return path


@pytest.mark.parametrize("depth", [9, 1000, 100_000])
def test_a_deeply_nested_file_is_one_error_naming_the_file(tmp_path: Path, depth: int) -> None:
    path = deeply_nested(tmp_path, depth)
    with pytest.raises(UserConfigError) as raised:
        load_user_config(path)
    assert str(raised.value) == f'{path}:3: models."house-llm-7b".aliases: nested deeper than 8 levels'


def test_nesting_within_the_bound_is_judged_by_the_usual_rules(tmp_path: Path) -> None:
    path = deeply_nested(tmp_path, 8)
    with pytest.raises(UserConfigError) as raised:
        load_user_config(path)
    assert str(raised.value) == (
        f'{path}:3: models."house-llm-7b".aliases: expected an array of non-empty strings, found an array'
    )


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_configure_with_a_deeply_nested_file_warns_once_and_uses_the_bundled_data(
    tmp_path: Path, depth: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    from otel_carbon.processor import configure

    path = deeply_nested(tmp_path, depth)
    monkeypatch.setenv("OTEL_CARBON_CONFIG_FILE", str(path))
    with caplog.at_level(logging.WARNING, logger="otel_carbon"):
        processor = configure(TracerProvider(), MeterProvider(), instrument=False)
    assert processor is not None
    # An SDK without the on-ending hook adds its own warning; exactly one names the file.
    (record,) = [record for record in caplog.records if "OTEL_CARBON_CONFIG_FILE" in record.getMessage()]
    assert f"ignoring OTEL_CARBON_CONFIG_FILE: {path}" in record.getMessage()
    assert "nested deeper than 8 levels; using the bundled data" in record.getMessage()


def test_an_app_under_opentelemetry_instrument_runs_with_a_deeply_nested_file(tmp_path: Path) -> None:
    path = deeply_nested(tmp_path, 100_000)
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env.update(
        OTEL_CARBON_CONFIG_FILE=str(path),
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
    )
    launcher = Path(sys.executable).with_name("opentelemetry-instrument")
    run = subprocess.run(
        [str(launcher), sys.executable, "-c", "print('the app ran')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (run.returncode, run.stdout) == (0, "the app ran\n")
    assert "Traceback" not in run.stderr
    assert run.stderr.count(f"ignoring OTEL_CARBON_CONFIG_FILE: {path}") == 1


# --- bundled data is held to the same rules -----------------------------------------------------------------


@pytest.fixture
def corrupt_bundled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, dict[str, Any]], None]]:
    """Replaces what a bundled file reads as; every cache of the bundled data is emptied then and at the end."""
    read = tables.read_bundled
    corrupted: dict[str, dict[str, Any]] = {}
    caches = (load_coefficients, sites._bundled)

    def corrupt(name: str, document: dict[str, Any]) -> None:
        corrupted[name] = document
        for cache in caches:
            cache.cache_clear()

    monkeypatch.setattr(tables, "read_bundled", lambda name: corrupted.get(name) or read(name))
    yield corrupt
    monkeypatch.undo()
    for cache in caches:
        cache.cache_clear()


BAD_RANGE = {"central": 0.1, "low": 0.2, "high": 0.3}


def test_a_corrupted_bundled_class_is_refused_with_the_message_a_user_file_gets(
    tmp_path: Path, corrupt_bundled: Callable[[str, dict[str, Any]], None]
) -> None:
    path = tmp_path / "myconf.toml"
    path.write_text(
        '[classes."llm.small"]\ncomponent = "llm"\ninput = 0.1\noutput = { central = 0.1, low = 0.2, high = 0.3 }\n'
    )
    with pytest.raises(UserConfigError) as user_error:
        load_user_config(path)
    energy = tables.read_bundled("energy_classes.toml")
    energy = {
        **energy,
        "classes": {**energy["classes"], "llm.small": {**energy["classes"]["llm.small"], "output": BAD_RANGE}},
    }
    corrupt_bundled("energy_classes.toml", energy)
    with pytest.raises(tables.TableError) as bundled_error:
        load_coefficients()
    problem = 'classes."llm.small".output: expected low <= central <= high, got low = 0.2, central = 0.1, high = 0.3'
    assert str(user_error.value) == f"{path}:4: {problem}"
    assert str(bundled_error.value) == f"energy_classes.toml: {problem}"


def test_a_corrupted_bundled_provider_is_refused_with_the_message_a_user_file_gets(
    tmp_path: Path, corrupt_bundled: Callable[[str, dict[str, Any]], None]
) -> None:
    path = tmp_path / "myconf.toml"
    path.write_text("[providers.openai]\npue = nan\n")
    with pytest.raises(UserConfigError) as user_error:
        load_user_config(path)
    providers = tables.read_bundled("providers.toml")
    openai = {**providers["providers"]["openai"], "pue": math.nan}
    corrupt_bundled("providers.toml", {**providers, "providers": {**providers["providers"], "openai": openai}})
    with pytest.raises(tables.TableError) as bundled_error:
        load_site_tables()
    assert str(user_error.value) == f"{path}:2: providers.openai.pue: expected a finite number, got nan"
    assert str(bundled_error.value).endswith(": providers.openai.pue: expected a finite number, got nan")
