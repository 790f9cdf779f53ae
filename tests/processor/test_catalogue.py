"""The model catalogue (data/models.toml) and model-id normalisation."""

from __future__ import annotations

import pytest

from otel_carbon.processor.config_file import check_model_tables
from otel_carbon.processor.model import load_coefficients
from otel_carbon.processor.model.coefficients import MODEL_CLASS_PREFIX, _catalogue, _classes
from otel_carbon.processor.model.names import normalise_model_name
from otel_carbon.processor.model.tables import read_bundled

COEFFICIENTS = load_coefficients()
ENTRIES = COEFFICIENTS.catalogue_entries()
RAW = read_bundled("models.toml")
COMPONENTS = ("llm", "embedding", "tts", "stt")


def entry(name: str):  # type: ignore[no-untyped-def]
    (found,) = [candidate for candidate in ENTRIES if candidate.name == name]
    return found


def test_at_least_150_models_across_the_providers_and_speech_vendors() -> None:
    assert len(ENTRIES) >= 150
    providers = {candidate.provider for candidate in ENTRIES}
    assert {
        "openai",
        "anthropic",
        "google",
        "mistral",
        "meta",
        "deepseek",
        "qwen",
        "cohere",
        "xai",
        "elevenlabs",
        "deepgram",
        "assemblyai",
        "cartesia",
        "google-cloud",
        "nvidia",
    } <= providers
    names = {candidate.name for candidate in ENTRIES}
    assert {"gemini-2.5-pro", "gemma-3-27b", "claude-sonnet-4", "grok-4", "command-a", "qwen3-235b-a22b"} <= names
    speech = {
        "tts-1",
        "gpt-4o-mini-tts",
        "gpt-4o-transcribe",
        "eleven_multilingual_v2",
        "eleven_turbo_v2_5",
        "eleven_flash_v2_5",
        "eleven_v3",
        "scribe_v1",
        "aura-2",
        "nova-3",
        "nova-2",
        "best",
        "nano",
        "universal",
        "slam-1",
        "sonic-2",
        "sonic-turbo",
        "ink-whisper",
        "chirp",
        "chirp_2",
        "neural2",
        "wavenet",
        "studio",
        "journey",
        "whisper-large-v3",
        "whisper-large-v3-turbo",
        "distil-large-v3",
        "parakeet-tdt-0.6b-v2",
        "canary-1b-flash",
    }
    assert speech <= names
    assert {candidate.component for candidate in ENTRIES} == set(COMPONENTS)


def test_the_bundled_tables_pass_the_user_file_validation() -> None:
    check_model_tables(RAW["models"], COEFFICIENTS.classes)


def test_every_model_class_exists_and_matches_its_component() -> None:
    for candidate in ENTRIES:
        energy_class = COEFFICIENTS.classes[candidate.energy_class]
        assert energy_class.component == candidate.component, candidate.name
        if candidate.energy_class.startswith(MODEL_CLASS_PREFIX):
            assert candidate.energy_class == MODEL_CLASS_PREFIX + candidate.name


def test_keys_and_aliases_are_already_normalised_and_unique() -> None:
    claimed: set[str] = set()
    for key, table in RAW["models"].items():
        provider, _, name = key.partition("/")
        assert provider and normalise_model_name(key) == name, key
        for alias in table.get("aliases", []):
            assert normalise_model_name(alias) == alias, (key, alias)
        for claim in (name, *table.get("aliases", [])):
            assert claim not in claimed, claim
            claimed.add(claim)


def test_a_name_claimed_twice_is_an_error() -> None:
    classes = _classes(read_bundled("energy_classes.toml")["classes"])
    raw = {"a/one": {"class": "llm.small", "aliases": ["two"]}, "b/two": {"class": "llm.small"}}
    with pytest.raises(ValueError, match="'two' is already 'one'"):
        _catalogue(raw, classes)


def test_every_model_cites_a_source_with_title_url_year_and_licence() -> None:
    for candidate in ENTRIES:
        source = COEFFICIENTS.sources[candidate.source]  # type: ignore[index]
        assert source.title and source.url and source.year and source.licence, candidate.name


def test_parameter_counts_are_plausible_and_cited() -> None:
    with_params = [candidate for candidate in ENTRIES if candidate.params_b is not None]
    assert len(with_params) >= 100
    for candidate in with_params:
        assert 0 < candidate.params_b <= 2000, candidate.name  # type: ignore[operator]
        if candidate.active_params_b is not None:
            assert 0 < candidate.active_params_b <= candidate.params_b, candidate.name  # type: ignore[operator]
        assert candidate.source in COEFFICIENTS.sources
    for candidate in ENTRIES:
        assert candidate.params_b is not None or not candidate.params_estimated, candidate.name
    published = {
        "gpt-oss-120b": (117.0, 5.1),
        "gpt-oss-20b": (21.0, 3.6),
        "llama-3.1-405b": (405.0, 405.0),
        "llama-4-maverick": (400.0, 17.0),
        "deepseek-v3.1": (671.0, 37.0),
        "qwen3-235b-a22b": (235.0, 22.0),
        "mixtral-8x7b": (46.7, 12.9),
        "whisper-large-v3": (1.55, 1.55),
    }
    for name, (total, active) in published.items():
        assert (entry(name).params_b, entry(name).active_params_b) == (total, active), name
    assert entry("gpt-4o").params_estimated and entry("gpt-4o").source == "ecologits_models"


def test_measured_llms_carry_ml_energy_coefficients() -> None:
    measured = {
        "llama-3.1-8b": 0.095,
        "llama-3.1-70b": 0.563,
        "llama-3.1-405b": 2.430,
        "qwen3-8b": 0.097,
        "qwen3-32b": 0.275,
        "qwen3-235b-a22b": 1.486,
        "gemma-3-27b": 0.306,
        "deepseek-v3.1": 1.936,
        "deepseek-r1": 2.376,
        "gpt-oss-120b": 0.223,
    }
    for name, joules_per_token in measured.items():
        energy_class = COEFFICIENTS.classes[MODEL_CLASS_PREFIX + name]
        output, input_ = energy_class.output_per_1k_tokens, energy_class.input_per_1k_tokens
        assert output is not None and input_ is not None
        assert output.central == pytest.approx(joules_per_token * 1.6 / 3.6, rel=5e-3), name
        assert input_.central == pytest.approx(0.2 * output.central, rel=5e-3), name
        assert 0 < output.low <= output.central <= output.high, name
        table = RAW["models"][f"{entry(name).provider}/{name}"]
        assert f"{joules_per_token}" in table["basis"] and table["sources"] == ["mlenergy_v3", "prefill_ratio"]


def test_own_coefficients_cite_energy_sources() -> None:
    for key, table in RAW["models"].items():
        if "class" in table:
            continue
        assert table["basis"] and table["sources"], key
        for source in table["sources"]:
            assert source in COEFFICIENTS.sources, (key, source)


def test_every_alias_resolves_to_its_entry() -> None:
    aliases = 0
    for candidate in ENTRIES:
        for alias in candidate.aliases:
            match = COEFFICIENTS.match_model(candidate.component, alias)
            assert match.entry is candidate and match.known, alias
            aliases += 1
    assert aliases >= 50


def test_a_model_never_gets_a_class_of_another_component() -> None:
    for candidate in ENTRIES:
        for component in COMPONENTS:
            match = COEFFICIENTS.match_model(component, candidate.name)
            assert match.energy_class.component == component, (candidate.name, component)
    assert COEFFICIENTS.match_model("llm", "tts-1").energy_class.name == "llm.unknown"
    assert COEFFICIENTS.match_model("tts", "gpt-4o").energy_class.name == "tts.unknown"
    assert COEFFICIENTS.match_model("stt", "nova-pro").entry.name == "nova"  # type: ignore[union-attr]
    assert COEFFICIENTS.match_model("llm", "nova-pro").entry.name == "nova-pro"  # type: ignore[union-attr]


NORMALISED = [
    # dated snapshots, -latest, OpenAI MMDD
    ("gpt-4o-2024-08-06", "gpt-4o", "gpt-4o"),
    ("openai/GPT-4o-mini", "gpt-4o-mini", "gpt-4o-mini"),
    ("gpt-4-0613", "gpt-4", "gpt-4"),
    ("chatgpt-4o-latest", "chatgpt-4o", "chatgpt-4o"),
    ("o3-2025-04-16", "o3", "o3"),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", "claude-3-5-sonnet"),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet", "claude-3-7-sonnet"),
    ("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet", "claude-3-5-sonnet"),
    ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5", "claude-sonnet-4-5"),
    # Bedrock model ids, cross-region inference profiles, context-window variants
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet", "claude-3-5-sonnet"),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet", "claude-3-5-sonnet"),
    ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet", "claude-3-7-sonnet"),
    ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4", "claude-sonnet-4"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku", "claude-3-haiku"),
    ("anthropic.claude-3-haiku-20240307-v1:0:200k", "claude-3-haiku", "claude-3-haiku"),
    ("anthropic.claude-instant-v1", "claude-instant", "claude-instant"),
    ("meta.llama3-1-70b-instruct-v1:0", "llama3-1-70b-instruct", "llama-3.1-70b"),
    ("us.meta.llama3-3-70b-instruct-v1:0", "llama3-3-70b-instruct", "llama-3.3-70b"),
    ("meta.llama4-maverick-17b-instruct-v1:0", "llama4-maverick-17b-instruct", "llama-4-maverick"),
    ("mistral.mistral-large-2407-v1:0", "mistral-large", "mistral-large"),
    ("mistral.mixtral-8x7b-instruct-v0:1", "mixtral-8x7b-instruct", "mixtral-8x7b"),
    ("amazon.nova-pro-v1:0", "nova-pro", "nova-pro"),
    ("cohere.command-r-plus-v1:0", "command-r-plus", "command-r-plus"),
    ("deepseek.r1-v1:0", "deepseek-r1", "deepseek-r1"),
    ("us.deepseek.r1-v1:0", "deepseek-r1", "deepseek-r1"),
    ("openai.gpt-oss-120b-1:0", "gpt-oss-120b", "gpt-oss-120b"),
    ("qwen.qwen3-235b-a22b-2507-v1:0", "qwen3-235b-a22b", "qwen3-235b-a22b"),
    ("ai21.jamba-1-5-large-v1:0", "jamba-1-5-large", "jamba-1.5-large"),
    # Bedrock ARNs: foundation model and (cross-region) inference profile
    (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "claude-3-5-sonnet",
        "claude-3-5-sonnet",
    ),
    (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "claude-3-7-sonnet",
        "claude-3-7-sonnet",
    ),
    (
        "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0",
        "llama3-2-3b-instruct",
        "llama-3.2-3b",
    ),
    ("arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3", "a1b2c3", None),
    # Vertex AI publisher models and resource names; Gemini API "models/" and -00N versions
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet", "claude-3-5-sonnet"),
    ("claude-opus-4-1@20250805", "claude-opus-4-1", "claude-opus-4-1"),
    ("publishers/anthropic/models/claude-3-opus@20240229", "claude-3-opus", "claude-3-opus"),
    (
        "projects/my-project/locations/us-central1/publishers/google/models/gemini-1.5-pro-002",
        "gemini-1.5-pro",
        "gemini-1.5-pro",
    ),
    ("models/gemini-2.0-flash-001", "gemini-2.0-flash", "gemini-2.0-flash"),
    ("models/gemini-1.5-flash-latest", "gemini-1.5-flash", "gemini-1.5-flash"),
    ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash-preview", "gemini-2.5-flash"),
    ("gemini-2.5-flash-lite-preview-09-2025", "gemini-2.5-flash-lite-preview", "gemini-2.5-flash-lite"),
    ("gemini-2.0-flash-thinking-exp-01-21", "gemini-2.0-flash-thinking-exp", "gemini-2.0-flash"),
    ("gemini-embedding-001", "gemini-embedding", "gemini-embedding"),
    ("text-embedding-004", "text-embedding-004", "text-embedding-004"),
    # routers, hosts and local runtimes
    ("accounts/fireworks/models/llama-v3p1-70b-instruct", "llama-v3p1-70b-instruct", "llama-3.1-70b"),
    (
        "together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
        "meta-llama-3.1-405b-instruct-turbo",
        "llama-3.1-405b",
    ),
    ("openrouter/anthropic/claude-3.7-sonnet:thinking", "claude-3-7-sonnet-thinking", "claude-3-7-sonnet"),
    ("meta-llama/llama-3.1-8b-instruct:free", "llama-3.1-8b-instruct-free", "llama-3.1-8b"),
    ("llama3.1:8b", "llama3.1-8b", "llama-3.1-8b"),
    ("llama3.1:latest", "llama3.1", "llama-3.1-8b"),
    ("deepseek-r1:70b", "deepseek-r1-70b", "deepseek-r1-distill-llama-70b"),
    ("groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile", "llama-3.3-70b"),
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "qwen3-235b-a22b-instruct", "qwen3-235b-a22b"),
    # Mistral YYMM, Cohere MM-YYYY, xAI MMDD
    ("mistral-large-2411", "mistral-large", "mistral-large"),
    ("mistral-small-latest", "mistral-small", "mistral-small"),
    ("command-r-plus-08-2024", "command-r-plus", "command-r-plus"),
    ("grok-2-1212", "grok-2", "grok-2"),
    # speech: Google voice names, vendor voices, self-hosted checkpoints
    ("en-US-Neural2-A", "neural2-a", "neural2"),
    ("en-US-Chirp3-HD-Charon", "chirp3-hd-charon", "chirp3-hd"),
    ("aura-2-thalia-en", "aura-2-thalia-en", "aura-2"),
    ("sonic-2-2025-03-07", "sonic-2", "sonic-2"),
    ("gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts", "gpt-4o-mini-tts"),
    ("Systran/faster-whisper-large-v3", "faster-whisper-large-v3", "whisper-large-v3"),
    ("distil-whisper/distil-large-v3", "distil-large-v3", "distil-large-v3"),
    ("mystery-9000", "mystery-9000", None),
]


@pytest.mark.parametrize(("raw", "normalised", "catalogued"), NORMALISED, ids=[case[0] for case in NORMALISED])
def test_model_ids_normalise_and_resolve(raw: str, normalised: str, catalogued: str | None) -> None:
    assert normalise_model_name(raw) == normalised
    if catalogued is None:
        assert not any(COEFFICIENTS.match_model(component, raw).known for component in COMPONENTS)
        return
    match = COEFFICIENTS.match_model(entry(catalogued).component, raw)
    assert match.known and match.entry is entry(catalogued)
    assert match.energy_class.name == entry(catalogued).energy_class


def test_normalisation_is_cached_and_whitespace_insensitive() -> None:
    assert normalise_model_name("  GPT-4o-2024-08-06 ") == "gpt-4o"
    assert normalise_model_name.cache_info().hits >= 0  # an lru_cache: pure and cheap on the hot path
    assert normalise_model_name("") == ""
