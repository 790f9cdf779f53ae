"""Model ids as SDKs, routers and clouds spell them -> the catalogue's normalised names. Pure and cached."""

from __future__ import annotations

import re
from functools import lru_cache

# Bedrock model ids: an optional cross-region inference-profile prefix, then the vendor:
# anthropic.claude-3-5-sonnet-20241022-v2:0, us.anthropic.claude-sonnet-4-20250514-v1:0, global.anthropic...
_BEDROCK_ID = re.compile(
    r"^(?:(?:us|eu|apac|global|us-gov|jp|au|ca)\.)?"
    r"(?P<vendor>anthropic|meta|amazon|mistral|cohere|ai21|deepseek|openai|qwen|writer|moonshot|moonshotai|minimax)"
    r"\.(?P<name>[^.].*)$"
)
# Bedrock revision and context-window tags (":0", ":0:200k"), and the version ("-v2") or bare revision
# ("gpt-oss-120b-1") they follow.
_REVISION_TAG = re.compile(r"(?::\d+)?:\d+k?$")
_VERSION_BEFORE_REVISION = re.compile(r"-v?\d+$")
_BEDROCK_VERSION = re.compile(r"-v\d+$")
# A bare version left by a Bedrock id such as deepseek.r1-v1:0 or deepseek.v3-v1:0: keep the vendor.
_BARE_VERSION = re.compile(r"^[a-z]?\d[\w.]*$")
# Vertex AI publisher models: claude-3-5-sonnet-v2@20241022, mistral-large@2407.
_VERTEX_VERSION = re.compile(r"(?:-v\d+)?@[\w.-]*$")
# Google Cloud TTS voice names carry a locale and a voice letter: en-US-Neural2-A, en-US-Chirp3-HD-Charon.
_GOOGLE_VOICE = re.compile(
    r"^[a-z]{2,3}-[a-z]{2}-(?=standard|wavenet|neural2|studio|journey|polyglot|news|casual|chirp)"
)
_SUFFIXES = (
    re.compile(r"-latest$"),
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # 2024-08-06
    re.compile(r"-20\d{6}$"),  # 20241022
    re.compile(r"-(?:0[1-9]|1[0-2])-20\d\d$"),  # Cohere 08-2024, Gemini preview 09-2025
    re.compile(r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$"),  # Gemini preview 05-20
    re.compile(r"-(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"),  # OpenAI 0613, xAI 1212
    re.compile(r"-2[3-9](?:0[1-9]|1[0-2])$"),  # Mistral and Qwen YYMM: 2411, 2507
)
_GEMINI_VERSION = re.compile(r"^(gemini-.+)-0\d\d$")  # gemini-1.5-pro-002
MAX_MODEL_NAME_CHARS = 256
"""Only this many characters of a model id are read: real ids are far shorter, and every step below
then costs a bounded time whatever a caller sends (a 40 kB id took seconds when read whole)."""


def normalise_model_name(model: str) -> str:
    """``openai/GPT-4o-2024-08-06`` -> ``gpt-4o``; reads at most ``MAX_MODEL_NAME_CHARS`` characters.

    Lower case; the path before the last ``/`` dropped (router and provider prefixes, ``models/``,
    Vertex and Fireworks resource paths, Bedrock ARNs); Bedrock vendor, region-profile, version and
    revision parts dropped; Vertex ``@version`` dropped; Ollama and OpenRouter tags (``llama3.1:8b``,
    ``:free``) joined with ``-`` (``:latest`` dropped); dots in Claude names become ``-``; Google TTS
    voice locales dropped; then dated, ``-latest``, YYMM and Gemini ``-00N`` suffixes removed.
    """
    return _normalise_bounded(model[:MAX_MODEL_NAME_CHARS])


@lru_cache(maxsize=4096)
def _normalise_bounded(model: str) -> str:
    name = model.strip().lower().rsplit("/", 1)[-1]
    bedrock = _BEDROCK_ID.match(name)
    vendor = None
    if bedrock is not None:
        vendor, name = bedrock["vendor"], bedrock["name"]
    if _REVISION_TAG.search(name):
        name = _VERSION_BEFORE_REVISION.sub("", _REVISION_TAG.sub("", name))
    elif vendor is not None:
        name = _BEDROCK_VERSION.sub("", name)
    if vendor is not None and _BARE_VERSION.match(name):
        name = f"{vendor}-{name}"
    if "@" in name:
        name = _VERTEX_VERSION.sub("", name)
    if ":" in name:
        base, _, tag = name.partition(":")
        name = base if tag == "latest" else f"{base}-{tag.replace(':', '-')}"
    if name.startswith("claude"):
        name = name.replace(".", "-")
    name = _GOOGLE_VOICE.sub("", name)
    return _strip_suffixes(name)


normalise_model_name.cache_info = _normalise_bounded.cache_info  # type: ignore[attr-defined]


def _strip_suffixes(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            stripped = suffix.sub("", name)
            if stripped != name and stripped:
                name, changed = stripped, True
        gemini = _GEMINI_VERSION.match(name)
        if gemini is not None:
            name, changed = gemini[1], True
    return name
