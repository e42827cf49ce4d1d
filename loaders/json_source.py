"""JSON sources: one document per file (``.json``), or one record per line (``.jsonl``/``.ndjson``).

For ``.json`` the top-level mapping and its two lists are walked with the standard
library's decoder (``raw_decode`` at a position), so every record is reported at the
exact line its ``{`` is on, at no extra parsing cost. The document is read whole: JSON
documents are meant to be small; use JSON Lines or CSV for big inputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

from loaders.document import (
    DocumentSource,
    EXPECTED_DOCUMENT,
    SECTIONS,
    item_to_record,
    not_a_list_problem,
    unknown_key_problem,
)
from loaders.records import Location, Problem, Record, record_type, type_name
from loaders.text_lines import NotUtf8, Unreadable, decode_line, open_bytes

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class JsonLinesSource:
    """Streams a JSON Lines file: each non-blank line is one JSON object (one record)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def records(self) -> Iterator[Record | Problem]:
        name = str(self.path)
        try:
            f = open_bytes(self.path)
        except Unreadable as exc:
            yield Problem(Location(name), str(exc))
            return
        with f:
            for line_no, raw in enumerate(f, start=1):
                where = Location(name, line_no)
                try:
                    line = decode_line(raw, line_no)
                except NotUtf8 as exc:
                    yield Problem(where, str(exc))
                    continue
                if not line.strip():
                    continue
                try:
                    value = json.loads(line.rstrip("\r\n"))  # columns count on this line
                except json.JSONDecodeError as exc:
                    yield Problem(where, f"invalid JSON: {exc.msg} (column {exc.colno})")
                    continue
                if not isinstance(value, dict):
                    message = f"expected one JSON object per line, got {type_name(value)}"
                    yield Problem(where, message)
                    continue
                yield Record(where, record_type(value), value)


class JsonSource(DocumentSource):
    """Reads one JSON document ``{"entities": [...], "relationships": [...]}``."""

    def parse(self, name: str, text: str) -> Iterator[Record | Problem]:
        try:
            yield from _DocumentScanner(name, text).records()
        except json.JSONDecodeError as exc:
            message = f"invalid JSON: {exc.msg} (column {exc.colno})"
            yield Problem(Location(name, exc.lineno), message)


class _DocumentScanner:
    """Walks the top-level object and its lists, decoding one value at a time.

    Malformed JSON surfaces as ``json.JSONDecodeError`` with the line and column of the
    fault, positioned in the whole text, exactly as ``json.loads`` would report it.
    """

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.decoder = json.JSONDecoder()
        self._line = 1
        self._line_pos = 0

    def records(self) -> Iterator[Record | Problem]:
        pos = self._skip(0)
        if self._char(pos) != "{":
            value, end = self.decoder.raw_decode(self.text, pos)
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
            key, pos = self.decoder.raw_decode(self.text, pos)
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
                value, pos = self.decoder.raw_decode(self.text, pos)
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
            item, pos = self.decoder.raw_decode(self.text, pos)
            yield item_to_record(where, key, item)
            pos = self._skip(pos)
            if self._char(pos) == "]":
                return pos + 1
            if self._char(pos) != ",":
                raise self._error("Expecting ',' delimiter", pos)
            pos = self._skip(pos + 1)

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
