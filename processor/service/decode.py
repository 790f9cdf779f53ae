"""OTLP ``AnyValue`` bytes <-> the Python values the SDK keeps on a span, as the enricher expects them.

Values are decoded when read: the enricher looks at a handful of keys, so a span's huge prompt
attribute or deep kvlist is never even parsed unless it is one of them. Nesting beyond
``MAX_DEPTH`` (or beyond what the protobuf parser accepts) decodes to ``UNDECODABLE``, a value no
enricher check accepts; the attribute's bytes are forwarded as they came either way.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, KeysView, Mapping
from types import MappingProxyType
from typing import Any, Final

from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

MAX_DEPTH: Final = 8


class _Undecodable:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<undecodable or too deeply nested value>"


UNDECODABLE: Final = _Undecodable()


def to_python(value: AnyValue, depth: int = 0) -> object:
    """str, bool, int, float and bytes as themselves; arrays as tuples (as the SDK stores sequences);
    kvlists as read-only mappings; an empty AnyValue as None."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind is None:
        return None
    if depth >= MAX_DEPTH:
        return UNDECODABLE
    if kind == "array_value":
        return tuple(to_python(item, depth + 1) for item in value.array_value.values)
    if kind == "kvlist_value":
        return MappingProxyType({kv.key: to_python(kv.value, depth + 1) for kv in value.kvlist_value.values})
    return value.bytes_value


def decode_value(raw: bytes) -> object:
    # Fast path for the common case, a short string or a small int as producers encode them
    # (tag, one-byte length or varint, nothing else); anything else goes to the protobuf parser.
    size = len(raw)
    if size >= 2:
        tag, first = raw[0], raw[1]
        if tag == 0x0A and first < 0x80 and size == 2 + first:
            try:
                return raw[2:].decode()
            except UnicodeDecodeError:
                return UNDECODABLE
        if tag == 0x18 and size <= 4 and raw[-1] < 0x80 and all(byte >= 0x80 for byte in raw[1:-1]):
            value = 0
            for shift, byte in enumerate(raw[1:]):
                value |= (byte & 0x7F) << (7 * shift)
            return value
    try:
        return to_python(AnyValue.FromString(raw))
    except DecodeError:
        return UNDECODABLE


def encode_value(value: object) -> bytes:
    """One enricher value (str, bool, int or float) as a serialized AnyValue, encoded directly: a
    GenAI span gets ~15 of these, and building messages for them costs more than estimating."""
    if isinstance(value, str):
        return _length_delimited(_STRING_VALUE, value.encode())
    if isinstance(value, bool):  # before int: bool is an int
        return _BOOL_TRUE if value else _BOOL_FALSE
    if isinstance(value, int):
        return _INT_VALUE + _varint(value & 0xFFFFFFFFFFFFFFFF)  # int64: two's complement, as protobuf does
    if isinstance(value, float):
        return _DOUBLE_VALUE + _DOUBLE.pack(value)
    raise TypeError(f"cannot encode {type(value).__name__} as an OTLP attribute value")


def encode_attribute(key: str, value: object) -> bytes:
    """A span's ``attributes`` field (number 9) holding one KeyValue, ready to append to a span's bytes.

    Most carbon attributes (class, model, PUE, grid, region, ...) repeat across spans, so encodings
    are remembered; the type is part of the key because ``True == 1 == 1.0``.
    """
    cache_key = (key, type(value), value)
    encoded = _ENCODED.get(cache_key)
    if encoded is None:
        key_value = _length_delimited(_KEY, key.encode()) + _length_delimited(_VALUE, encode_value(value))
        encoded = _length_delimited(_SPAN_ATTRIBUTES, key_value)
        if len(_ENCODED) >= _ENCODED_LIMIT:
            _ENCODED.clear()
        _ENCODED[cache_key] = encoded
    return encoded


def encode_attributes(additions: Mapping[str, object]) -> bytes:
    """``encode_attribute`` for each item, concatenated: the bytes of one ``MergeFromString``.

    A double's field is a per-key constant prefix and eight bytes, so the seven doubles of an estimate
    are a prefix lookup and a ``struct`` pack each, and never crowd the cache of repeating values.
    """
    parts: list[bytes] = []
    append = parts.append
    for key, value in additions.items():
        if value.__class__ is float:
            prefix = _DOUBLE_PREFIXES.get(key)
            if prefix is None:
                prefix = _double_prefix(key)
            append(prefix)
            append(_DOUBLE.pack(value))  # type: ignore[arg-type]
        else:
            append(encode_attribute(key, value))
    return b"".join(parts)


def _double_prefix(key: str) -> bytes:
    encoded = encode_attribute(key, 0.0)[: -_DOUBLE.size]
    if len(_DOUBLE_PREFIXES) >= _ENCODED_LIMIT:
        _DOUBLE_PREFIXES.clear()
    _DOUBLE_PREFIXES[key] = encoded
    return encoded


_ENCODED: dict[tuple[str, type, object], bytes] = {}
_DOUBLE_PREFIXES: dict[str, bytes] = {}
_ENCODED_LIMIT = 4096


# Field tags: AnyValue.string_value = 1, bool_value = 2, int_value = 3, double_value = 4;
# KeyValue.key = 1, value = 2; Span.attributes = 9.
_STRING_VALUE, _KEY, _VALUE, _SPAN_ATTRIBUTES = b"\x0a", b"\x0a", b"\x12", b"\x4a"
_BOOL_TRUE, _BOOL_FALSE, _INT_VALUE, _DOUBLE_VALUE = b"\x10\x01", b"\x10\x00", b"\x18", b"\x21"
_DOUBLE = struct.Struct("<d")


def _varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _length_delimited(tag: bytes, payload: bytes) -> bytes:
    return tag + _varint(len(payload)) + payload


class LazyAttributes(Mapping[str, object]):
    """A read-only mapping over shallow KeyValues (``key``, raw ``value``) that decodes a value when read.

    For a repeated key (invalid OTLP) the last one wins, as it would in the SDK's dict.
    """

    __slots__ = ("_index",)

    def __init__(self, key_values: Iterable[Any]) -> None:
        self._index: dict[str, Any] = {kv.key: kv for kv in key_values}

    def key_value(self, key: str) -> Any | None:
        return self._index.get(key)

    def keys(self) -> KeysView[str]:
        return self._index.keys()

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __getitem__(self, key: str) -> object:
        return decode_value(self._index[key].value)

    def get(self, key: str, default: object = None) -> object:
        kv = self._index.get(key)
        return default if kv is None else decode_value(kv.value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)
