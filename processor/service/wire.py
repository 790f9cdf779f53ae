"""A shallow view of ExportTraceServiceRequest: just the path to span and resource attributes.

Parsed with this schema, a request costs a parse of its outer structure only: every other span
field (ids, events, links, ...) is kept as unknown-field bytes and written back as it came, and
an attribute's ``AnyValue`` stays raw bytes until the enricher reads it. So attribute values are
forwarded byte for byte, and nesting of any depth passes through instead of hitting the protobuf
parser's recursion limit (100 levels, which the full schema reaches at ~30 levels of kvlist).
Field numbers are those of opentelemetry-proto (collector/trace/v1, trace/v1, resource/v1,
common/v1); the wire format is the same, so the bytes round-trip into the real messages.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "otel_carbon.service.shallow"
_Field = descriptor_pb2.FieldDescriptorProto
_REPEATED, _OPTIONAL = _Field.LABEL_REPEATED, _Field.LABEL_OPTIONAL
_Schema = dict[str, tuple[tuple[str, int, int, int, str | None], ...]]
_SCHEMA: _Schema = {
    "KeyValue": (("key", 1, _Field.TYPE_STRING, _OPTIONAL, None), ("value", 2, _Field.TYPE_BYTES, _OPTIONAL, None)),
    "Resource": (("attributes", 1, _Field.TYPE_MESSAGE, _REPEATED, "KeyValue"),),
    "Span": (("attributes", 9, _Field.TYPE_MESSAGE, _REPEATED, "KeyValue"),),
    "ScopeSpans": (("spans", 2, _Field.TYPE_MESSAGE, _REPEATED, "Span"),),
    "ResourceSpans": (
        ("resource", 1, _Field.TYPE_MESSAGE, _OPTIONAL, "Resource"),
        ("scope_spans", 2, _Field.TYPE_MESSAGE, _REPEATED, "ScopeSpans"),
    ),
    "ExportTraceServiceRequest": (("resource_spans", 1, _Field.TYPE_MESSAGE, _REPEATED, "ResourceSpans"),),
}
# The same path with keys as bytes (so invalid UTF-8 parses) and the dropped-attribute counts
# (Resource.dropped_attributes_count = 2, Span.dropped_attributes_count = 10), for the rare request
# whose keys the strict schema refuses.
_LENIENT_SCHEMA: _Schema = {
    **_SCHEMA,
    "KeyValue": (("key", 1, _Field.TYPE_BYTES, _OPTIONAL, None), ("value", 2, _Field.TYPE_BYTES, _OPTIONAL, None)),
    "Resource": (*_SCHEMA["Resource"], ("dropped_attributes_count", 2, _Field.TYPE_UINT32, _OPTIONAL, None)),
    "Span": (*_SCHEMA["Span"], ("dropped_attributes_count", 10, _Field.TYPE_UINT32, _OPTIONAL, None)),
}


def _build(package: str, schema: _Schema) -> dict[str, Any]:
    file = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax="proto3")
    for name, fields in schema.items():
        message = file.message_type.add(name=name)
        for field_name, number, field_type, label, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=field_type, label=label)
            if type_name is not None:
                field.type_name = f".{package}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}")) for name in schema}


_CLASSES = _build(_PACKAGE, _SCHEMA)
ShallowTraceRequest: Any = _CLASSES["ExportTraceServiceRequest"]
"""``resource_spans[].resource.attributes[]`` and ``resource_spans[].scope_spans[].spans[].attributes[]``,
each a ``KeyValue`` with ``key: str`` and ``value: bytes`` (a serialized AnyValue)."""
ShallowKeyValue: Any = _CLASSES["KeyValue"]
_LenientTraceRequest: Any = _build(f"{_PACKAGE}.lenient", _LENIENT_SCHEMA)["ExportTraceServiceRequest"]


def without_undecodable_keys(payload: bytes) -> tuple[bytes, int]:
    """``payload`` without the span and resource attributes whose key is not UTF-8, each counted in its
    owner's ``dropped_attributes_count`` as OTLP defines it; and how many were dropped.

    Raises DecodeError if the payload is not an ExportTraceServiceRequest for another reason.
    """
    request = _LenientTraceRequest.FromString(payload)
    dropped = 0
    for resource_spans in request.resource_spans:
        if resource_spans.HasField("resource"):
            dropped += _drop_undecodable(resource_spans.resource)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                dropped += _drop_undecodable(span)
    return request.SerializeToString(), dropped


def _drop_undecodable(owner: Any) -> int:
    kept = [kv for kv in owner.attributes if _is_utf8(kv.key)]
    dropped = len(owner.attributes) - len(kept)
    if dropped:
        del owner.attributes[:]
        owner.attributes.extend(kept)
        owner.dropped_attributes_count = min(owner.dropped_attributes_count + dropped, 0xFFFFFFFF)
    return dropped


def _is_utf8(key: bytes) -> bool:
    try:
        key.decode()
    except UnicodeDecodeError:
        return False
    return True
