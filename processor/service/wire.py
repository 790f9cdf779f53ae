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
_SCHEMA: dict[str, tuple[tuple[str, int, int, int, str | None], ...]] = {
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


def _build() -> dict[str, Any]:
    file = descriptor_pb2.FileDescriptorProto(
        name="otel_carbon_service_shallow.proto", package=_PACKAGE, syntax="proto3"
    )
    for name, fields in _SCHEMA.items():
        message = file.message_type.add(name=name)
        for field_name, number, field_type, label, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=field_type, label=label)
            if type_name is not None:
                field.type_name = f".{_PACKAGE}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}")) for name in _SCHEMA}


_CLASSES = _build()
ShallowTraceRequest: Any = _CLASSES["ExportTraceServiceRequest"]
"""``resource_spans[].resource.attributes[]`` and ``resource_spans[].scope_spans[].spans[].attributes[]``,
each a ``KeyValue`` with ``key: str`` and ``value: bytes`` (a serialized AnyValue)."""
ShallowKeyValue: Any = _CLASSES["KeyValue"]
