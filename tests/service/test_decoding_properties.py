"""Property-based: the service's OTLP decoding and encoding over open-ended input.

Random and mutated ExportTraceServiceRequest bytes and random AnyValue trees never make the service
fail a request with anything but INVALID_ARGUMENT, never change what it was sent, never grow a request
by more than a bounded amount per span; and the hand-written attribute encoder writes exactly the
bytes the protobuf runtime writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_carbon import semconv as sc
from otel_carbon.processor import CarbonConfig
from otel_carbon.processor.service import ServeConfig
from otel_carbon.processor.service.decode import encode_attributes
from otel_carbon.processor.service.server import CarbonService, _Reject
from otel_carbon.processor.service.wire import ShallowTraceRequest

from .helpers import CHAT, any_value, make_request, make_span

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MAX_GROWTH_PER_SPAN = 2048
"""Bytes the carbon attributes may add to one span: ~20 bounded keys and values."""


@pytest.fixture(scope="module")
def service() -> Iterator[CarbonService]:
    config = ServeConfig(next_hop="127.0.0.1:9", listen="127.0.0.1:0", next_hop_insecure=True)
    service = CarbonService(config, CarbonConfig.from_env({}), MeterProvider(metric_readers=[InMemoryMetricReader()]))
    yield service
    service.stop(grace=0)


def _enrich(service: CarbonService, payload: bytes) -> bytes | None:
    """What the service would forward, or None when it answers INVALID_ARGUMENT; anything else fails the test."""
    try:
        return service._enrich(payload)
    except _Reject as reject:
        assert reject.code == grpc.StatusCode.INVALID_ARGUMENT, reject.details
        return None


scalars = st.one_of(
    st.text(max_size=40),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
)


any_values = st.recursive(
    st.one_of(scalars, st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
usage_keys = st.sampled_from(sorted(CHAT) + [sc.GEN_AI_USAGE_OUTPUT_TOKENS, "gen_ai.usage.reasoning_tokens"])
span_attributes = st.dictionaries(st.one_of(usage_keys, st.text(max_size=12)), any_values, max_size=10)


def _spans_request(attribute_sets: list[dict[str, object]], resource: dict[str, object]) -> bytes:
    spans = []
    for index, attributes in enumerate(attribute_sets):
        span = make_span({}, index=index)
        span.attributes.extend(KeyValue(key=key, value=any_value(value)) for key, value in attributes.items())
        spans.append(span)
    request = make_request(*spans)
    request.resource_spans[0].resource.attributes.extend(
        KeyValue(key=key, value=any_value(value)) for key, value in resource.items()
    )
    return request.SerializeToString()


@FAST
@given(
    st.lists(st.one_of(span_attributes, st.just(dict(CHAT))), min_size=1, max_size=4),
    st.dictionaries(st.sampled_from([sc.CLOUD_PROVIDER, sc.CLOUD_REGION, "x"]), any_values, max_size=3),
)
def test_random_attribute_trees_are_kept_and_growth_is_bounded(
    service: CarbonService, attribute_sets: list[dict[str, object]], resource: dict[str, object]
) -> None:
    payload = _spans_request(attribute_sets, resource)
    forwarded = _enrich(service, payload)
    assert forwarded is not None  # valid OTLP is never refused
    assert len(forwarded) <= len(payload) + MAX_GROWTH_PER_SPAN * len(attribute_sets)
    before, after = ExportTraceServiceRequest.FromString(payload), ExportTraceServiceRequest.FromString(forwarded)
    for sent, received in zip(
        before.resource_spans[0].scope_spans[0].spans, after.resource_spans[0].scope_spans[0].spans, strict=True
    ):
        received_attributes = _pairs(received.attributes)
        sent_keys = {kv.key for kv in sent.attributes}
        carbon = {kv.key for kv in received.attributes} - sent_keys
        assert all(key.startswith("otel_carbon.") for key in carbon)
        # Every attribute sent arrives byte for byte, except a carbon key the sender already set.
        for kv in sent.attributes:
            if not kv.key.startswith("otel_carbon."):
                assert (kv.key, kv.value.SerializeToString()) in received_attributes
        assert (sent.name, sent.span_id, list(sent.events)) == (received.name, received.span_id, list(received.events))
    assert _pairs(before.resource_spans[0].resource.attributes) == _pairs(after.resource_spans[0].resource.attributes)


def _pairs(key_values: object) -> list[tuple[str, bytes]]:
    """(key, value bytes): an empty AnyValue and an absent one are the same value, and the shallow
    schema writes neither."""
    return [(kv.key, kv.value.SerializeToString()) for kv in key_values]  # type: ignore[attr-defined]


def _mutations() -> st.SearchStrategy[bytes]:
    base = make_request(*(make_span(CHAT, index=i) for i in range(3))).SerializeToString()
    flips = st.lists(st.tuples(st.integers(0, len(base) - 1), st.integers(0, 255)), min_size=1, max_size=8)
    cut = st.integers(0, len(base))

    def mutate(edits: list[tuple[int, int]], end: int) -> bytes:
        mutated = bytearray(base)
        for position, byte in edits:
            mutated[position] = byte
        return bytes(mutated[:end]) if end < len(base) // 2 else bytes(mutated)

    return st.builds(mutate, flips, cut)


@FAST
@given(st.one_of(st.binary(max_size=600), _mutations()))
def test_random_and_mutated_request_bytes_are_forwarded_bounded_or_refused_as_invalid_argument(
    service: CarbonService, payload: bytes
) -> None:
    forwarded = _enrich(service, payload)
    if forwarded is not None:
        # Forwarded bytes may be as corrupt inside a span's other fields as they came: only the shallow
        # path to the attributes was read.
        spans = sum(
            len(scope.spans)
            for resource in ShallowTraceRequest.FromString(forwarded).resource_spans
            for scope in resource.scope_spans
        )
        assert len(forwarded) <= len(payload) + MAX_GROWTH_PER_SPAN * spans


attribute_values = st.one_of(
    st.text(max_size=60),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=40), attribute_values, max_size=25))
def test_the_attribute_encoder_writes_what_protobuf_writes(additions: dict[str, object]) -> None:
    expected = Span(attributes=[KeyValue(key=key, value=any_value(value)) for key, value in additions.items()])
    assert encode_attributes(additions) == expected.SerializeToString()
    assert encode_attributes(additions) == expected.SerializeToString()  # and again, from the caches


def test_nan_is_encoded_with_its_bits() -> None:
    (kv,) = Span.FromString(encode_attributes({"x": math.nan})).attributes
    assert math.isnan(kv.value.double_value)
