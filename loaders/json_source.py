"""JSON sources: one document per file (``.json``), or one record per line (``.jsonl``/``.ndjson``).

For ``.json`` the top-level mapping and its two lists are walked with the standard
library's decoder (``raw_decode`` at a position), so every record is reported at the
exact line its ``{`` is on, at no extra parsing cost. The document is read whole: JSON
documents are meant to be small; use JSON Lines or CSV for big inputs.

Python's decoder is more lenient than JSON, and both sources close the gaps: ``NaN`` and
``Infinity`` (not JSON), numbers out of a float's range (``1e400``, an integer of 400
digits) and a key repeated in one object (the decoder keeps the last one silently) are
problems, not data; so is nesting deeper than :data:`loaders.limits.MAX_NESTING`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Iterator

from dealgraph.loaders import limits
from dealgraph.loaders.document import (
    DocumentSource,
    EXPECTED_DOCUMENT,
    SECTIONS,
    item_to_record,
    not_a_list_problem,
    unknown_key_problem,
)
from dealgraph.loaders.records import InvalidValue, Location, Problem, Record, record_type, type_name
from dealgraph.loaders.text_lines import BoundedLines, NotUtf8, TooLarge, Unreadable, decode_line, open_bytes

_WHITESPACE = re.compile(r"[ \t\n\r]*")

#: Digits of the largest integer read as a number: 10**308 still fits a float.
MAX_INTEGER_DIGITS = 308


def too_deep() -> str:
    return f"lists or mappings nested more than {limits.MAX_NESTING} deep; records hold plain values"


class _ObjectWithRepeats(dict):
    """A JSON object in which some key appeared more than once (``repeated`` names them)."""

    repeated: list[str]


#: The types a decoded JSON container can have.
_CONTAINERS = frozenset({dict, list, _ObjectWithRepeats})


def _object(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated = [k for k, _ in pairs if k in seen or seen.add(k)]
        obj = _ObjectWithRepeats(obj)
        obj.repeated = list(dict.fromkeys(repeated))
    return obj


def _float(text: str) -> float | InvalidValue:
    value = float(text)
    if math.isfinite(value):
        return value
    return InvalidValue(f"{_shown(text)} is too large for a number")


def _int(text: str) -> int | InvalidValue:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INTEGER_DIGITS:
        return InvalidValue(f"an integer of {digits} digits is too large for a number")
    return int(text)


def _constant(text: str) -> InvalidValue:
    return InvalidValue(f"{text} is not valid JSON (JSON numbers are finite)")


def _shown(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]}"


#: The standard decoder with the gaps closed (see the module docstring).
DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_float=_float, parse_int=_int, parse_constant=_constant
)


def value_problems(value: dict) -> list[str]:
    """Messages about one decoded record: repeated keys, nesting deeper than the limit."""
    # A type test, not getattr: a failed attribute lookup raises inside, once per record.
    repeated = value.repeated if type(value) is _ObjectWithRepeats else ()
    messages = [f"duplicate field {k!r}" for k in repeated]
    if _CONTAINERS.isdisjoint(map(type, value.values())):  # the usual flat record, checked in C
        return messages
    stack = [(v, 2) for v in value.values() if isinstance(v, (dict, list))]
    while stack:
        item, depth = stack.pop()
        if depth > limits.MAX_NESTING:
            messages.append(too_deep())
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))
    return messages


class JsonLinesSource:
    """Streams a JSON Lines file: each non-blank line is one JSON object (one record)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def records(self) -> Iterator[Record | Problem]:
        name = str(self.path)
        try:
            f = open_bytes(self.path, limits.MAX_STREAM_FILE_BYTES, limits.STREAM_FILES)
        except Unreadable as exc:
            yield Problem(Location(name), str(exc))
            return
        with f:
            lines = BoundedLines(f, limits.MAX_RECORD_BYTES, limits.MAX_STREAM_FILE_BYTES, lines_are_records=True)
            try:
                for raw in lines:
                    yield from self._line_records(name, lines.number, raw)
            except TooLarge as exc:
                yield Problem(Location(name, exc.line), str(exc))

    def object_records(self, where: Location, value: dict) -> Iterator[Record | Problem]:
        """The record(s) for one JSON object read at ``where``."""
        yield Record(where, record_type(value), value)

    def _line_records(self, name: str, line_no: int, raw: bytes) -> Iterator[Record | Problem]:
        where = Location(name, line_no)
        try:
            line = decode_line(raw, line_no)
        except NotUtf8 as exc:
            yield Problem(where, str(exc))
            return
        if not line.strip():
            return
        try:
            value = DECODER.decode(line.rstrip("\r\n"))  # columns count on this line
        except json.JSONDecodeError as exc:
            yield Problem(where, f"invalid JSON: {exc.msg} (column {exc.colno})")
            return
        except RecursionError:
            yield Problem(where, too_deep())
            return
        if not isinstance(value, dict):
            yield Problem(where, f"expected one JSON object per line, got {type_name(value)}")
            return
        for message in value_problems(value):
            yield Problem(where, message)
        yield from self.object_records(where, value)


class JsonSource(DocumentSource):
    """Reads one JSON document ``{"entities": [...], "relationships": [...]}``."""

    what = "JSON documents (use JSON Lines or CSV for more)"

    def max_bytes(self) -> int:
        return limits.MAX_JSON_DOCUMENT_BYTES

    def parse(self, name: str, text: str) -> Iterator[Record | Problem]:
        try:
            yield from _DocumentScanner(name, text).records()
        except json.JSONDecodeError as exc:
            message = f"invalid JSON: {exc.msg} (column {exc.colno})"
            yield Problem(Location(name, exc.lineno), message)
        except _TooDeep as exc:
            yield Problem(exc.where, f"{too_deep()}; stopped reading this file")


class _TooDeep(Exception):
    def __init__(self, where: Location):
        self.where = where


class _DocumentScanner:
    """Walks the top-level object and its lists, decoding one value at a time.

    Malformed JSON surfaces as ``json.JSONDecodeError`` with the line and column of the
    fault, positioned in the whole text, exactly as ``json.loads`` would report it.
    """

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self._line = 1
        self._line_pos = 0

    def records(self) -> Iterator[Record | Problem]:
        pos = self._skip(0)
        if self._char(pos) != "{":
            value, end = self._decode(pos)
            self._expect_end(end)
            yield Problem(self._where(pos), f"{EXPECTED_DOCUMENT}, got {type_name(value)}")
            return
        pos = self._skip(pos + 1)
        if self._char(pos) == "}":
            self._expect_end(pos + 1)
            return
        seen = set()
        while True:
            if self._char(pos) != '"':
                raise self._error("Expecting property name enclosed in double quotes", pos)
            key_where = self._where(pos)
            key, pos = self._decode(pos)
            pos = self._skip(pos)
            if self._char(pos) != ":":
                raise self._error("Expecting ':' delimiter", pos)
            pos = self._skip(pos + 1)
            if key in seen:
                yield Problem(key_where, f"duplicate top-level key {key!r}")
            seen.add(key)
            if key in SECTIONS and self._char(pos) == "[":
                pos = yield from self._section(key, pos)
            else:
                value, pos = self._decode(pos)
                if key in SECTIONS and value is not None:
                    yield not_a_list_problem(key_where, key, value)
                elif (problem := unknown_key_problem(key_where, key)) is not None:
                    yield problem
            pos = self._skip(pos)
            if self._char(pos) == "}":
                self._expect_end(pos + 1)
                return
            if self._char(pos) != ",":
                raise self._error("Expecting ',' delimiter", pos)
            pos = self._skip(pos + 1)

    def _section(self, key: str, pos: int):
        """Yield the records of the list starting at ``pos`` (a ``[``); return the end."""
        pos = self._skip(pos + 1)
        if self._char(pos) == "]":
            return pos + 1
        while True:
            where = self._where(pos)
            item, end = self._decode(pos)
            if end - pos > limits.MAX_RECORD_BYTES:
                yield Problem(where, f"record longer than {limits.size_text(limits.MAX_RECORD_BYTES)}")
            else:
                if isinstance(item, dict):
                    yield from (Problem(where, m) for m in value_problems(item))
                yield item_to_record(where, key, item)
            pos = self._skip(end)
            if self._char(pos) == "]":
                return pos + 1
            if self._char(pos) != ",":
                raise self._error("Expecting ',' delimiter", pos)
            pos = self._skip(pos + 1)

    def _decode(self, pos: int) -> tuple[object, int]:
        try:
            return DECODER.raw_decode(self.text, pos)
        except RecursionError:
            raise _TooDeep(self._where(pos)) from None

    def _skip(self, pos: int) -> int:
        return _WHITESPACE.match(self.text, pos).end()

    def _char(self, pos: int) -> str:
        return self.text[pos : pos + 1]

    def _where(self, pos: int) -> Location:
        # Positions only move forward, so lines are counted once over the whole text.
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return Location(self.name, self._line)

    def _expect_end(self, pos: int) -> None:
        pos = self._skip(pos)
        if pos != len(self.text):
            raise self._error("Extra data", pos)

    def _error(self, message: str, pos: int) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, self.text, pos)
