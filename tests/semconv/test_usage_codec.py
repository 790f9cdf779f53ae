"""The one usage record and its attribute codec: what the instrumentation writes, the processor reads."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from otel_carbon import semconv as sc
from otel_carbon.semconv.usage import WRITE_KEYS, Usage, from_attributes, to_attributes

_COUNT = st.one_of(st.none(), st.integers(min_value=0, max_value=2**62))
_ANY_ATTRIBUTE_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.text(max_size=30), max_size=3),
)
_TEXT = st.one_of(st.none(), st.text(min_size=1, max_size=20))


@st.composite
def usage_records(draw: st.DrawFn) -> Usage:
    seconds = draw(st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e9, allow_nan=False)))
    counts = {field: draw(_COUNT) for field in WRITE_KEYS if field != "stt_audio_seconds"}
    known = [field for field, value in {**counts, "stt_audio_seconds": seconds}.items() if value is not None]
    estimated = draw(st.lists(st.sampled_from(known), unique=True)) if known else []
    return Usage(
        **counts,
        stt_audio_seconds=seconds,
        stt_audio_seconds_source=draw(_TEXT) if seconds is not None else None,
        missing=draw(_TEXT),
        source=draw(st.one_of(st.none(), st.sampled_from([sc.USAGE_SOURCE_REPORTED, sc.USAGE_SOURCE_ESTIMATED]))),
        estimated=tuple(field for field in WRITE_KEYS if field in estimated),
    )


@settings(max_examples=300, deadline=None)
@given(usage_records())
def test_every_usage_record_survives_a_round_trip_through_span_attributes(usage: Usage) -> None:
    assert from_attributes(to_attributes(usage)) == usage


def test_a_usage_record_is_written_under_the_genai_and_otel_carbon_names() -> None:
    usage = Usage(
        input_tokens=10,
        output_tokens=4,
        cache_read_input_tokens=3,
        cache_write_input_tokens=2,
        reasoning_output_tokens=1,
        audio_input_tokens=5,
        audio_output_tokens=6,
        source=sc.USAGE_SOURCE_ESTIMATED,
        estimated=("input_tokens", "output_tokens"),
    )
    assert to_attributes(usage) == {
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.usage.cache_read.input_tokens": 3,
        "gen_ai.usage.cache_write.input_tokens": 2,
        "gen_ai.usage.reasoning.output_tokens": 1,
        "gen_ai.usage.audio.input_tokens": 5,
        "gen_ai.usage.audio.output_tokens": 6,
        "otel_carbon.usage.source": "estimated",
        "otel_carbon.usage.estimated": ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"),
    }


def test_speech_usage_is_written_as_characters_and_seconds_with_their_source() -> None:
    assert to_attributes(Usage(tts_characters=12)) == {"otel_carbon.tts.characters": 12}
    assert to_attributes(Usage(stt_audio_seconds=2.5, stt_audio_seconds_source="file")) == {
        "otel_carbon.stt.audio.seconds": 2.5,
        "otel_carbon.stt.audio.seconds.source": "file",
    }


def test_legacy_openllmetry_spellings_are_read() -> None:
    usage = from_attributes(
        {
            "gen_ai.usage.prompt_tokens": 7,
            "gen_ai.usage.completion_tokens": 3,
            "gen_ai.usage.cache_read_input_tokens": 2,
            "gen_ai.usage.cache_creation_input_tokens": 1,
        }
    )
    assert usage == Usage(input_tokens=7, output_tokens=3, cache_read_input_tokens=2, cache_write_input_tokens=1)


def test_the_current_spelling_wins_over_a_legacy_one() -> None:
    usage = from_attributes({"gen_ai.usage.input_tokens": 9, "gen_ai.usage.prompt_tokens": 7})
    assert usage.input_tokens == 9


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted({*WRITE_KEYS.values(), sc.USAGE_ESTIMATED})), _ANY_ATTRIBUTE_VALUE))
def test_values_of_the_wrong_type_are_read_as_unknown_never_raised(attributes: dict[str, object]) -> None:
    usage = from_attributes(attributes)
    assert all(
        value is None or (type(value) is int and value >= 0) for value in (usage.input_tokens, usage.tts_characters)
    )
