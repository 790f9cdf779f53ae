"""Where a key is: the line of each table header and key of a TOML document, for messages naming the line."""

from __future__ import annotations

import re
from collections.abc import Mapping

from otel_carbon.processor.model.tables import KeyPath, parse_toml


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest enclosing key (an inline table, an array, a table header)."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def key_lines(text: str) -> dict[KeyPath, int]:
    """Key path -> line number of every table header and key of a valid TOML document.

    Keys inside inline tables and multi-line values are not listed; their enclosing key is.
    """
    return _scan(text, None)[0]


def nested_deeper(text: str, limit: int) -> tuple[KeyPath, int] | None:
    """The first key whose value nests arrays and inline tables deeper than ``limit``, and its line."""
    return _scan(text, limit)[1]


def _scan(text: str, limit: int | None) -> tuple[dict[KeyPath, int], tuple[KeyPath, int] | None]:
    lines: dict[KeyPath, int] = {}
    key: tuple[KeyPath, int] | None = None  # the key whose value is being scanned
    table: KeyPath = ()
    open_string: str | None = None
    depth = 0
    # TOML ends lines at \n only; str.splitlines would also split at \x85, \u2028, ... inside keys and strings
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if open_string is not None or depth:
            open_string, depth, deepest = _scan_value(line, open_string, depth)
            if limit is not None and key is not None and deepest > limit:
                return lines, key
            continue
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            keys, _ = _parse_key(stripped[2:] if stripped.startswith("[[") else stripped[1:])
            table = tuple(keys)
            _record(lines, table, number)
            continue
        keys, rest = _parse_key(stripped)
        key = (table + tuple(keys), number)
        _record(lines, key[0], number)
        open_string, depth, deepest = _scan_value(rest.lstrip()[1:], None, 0)
        if limit is not None and deepest > limit:
            return lines, key
    return lines, None


def _record(lines: dict[KeyPath, int], path: KeyPath, number: int) -> None:
    for end in range(1, len(path)):
        lines.setdefault(path[:end], number)
    lines[path] = number


def _parse_key(text: str) -> tuple[list[str], str]:
    """A dotted key at the start of ``text``, and what follows it."""
    keys: list[str] = []
    index = 0
    while True:
        while index < len(text) and text[index] in " \t":
            index += 1
        if index < len(text) and text[index] == '"':
            end = index + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            keys.append(parse_toml(f"k = {text[index : end + 1]}")["k"])
            index = end + 1
        elif index < len(text) and text[index] == "'":
            end = text.index("'", index + 1)
            keys.append(text[index + 1 : end])
            index = end + 1
        else:
            bare = re.match(r"[A-Za-z0-9_-]+", text[index:])
            if bare is None:
                return keys, text[index:]
            keys.append(bare.group())
            index += bare.end()
        while index < len(text) and text[index] in " \t":
            index += 1
        if index < len(text) and text[index] == ".":
            index += 1
            continue
        return keys, text[index:]


def _scan_value(text: str, open_string: str | None, depth: int) -> tuple[str | None, int, int]:
    """Follows strings and brackets through one line of a value: (open multi-line string delimiter, depth at the
    end of the line, deepest depth in it)."""
    deepest = depth
    index = 0
    while index < len(text):
        if open_string is not None:
            if text.startswith(open_string, index):
                index += len(open_string)
                open_string = None
                continue
            index += 2 if open_string == '"""' and text[index] == "\\" else 1
            continue
        char = text[index]
        if char == "#":
            break
        if text.startswith('"""', index) or text.startswith("'''", index):
            open_string = text[index : index + 3]
            index += 3
        elif char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
            index += 1
        elif char == "'":
            index = text.find("'", index + 1) + 1 or len(text)
        else:
            if char in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif char in "]}":
                depth -= 1
            index += 1
    return open_string, depth, deepest
