"""CSV source: a header row, then one record per row, read one row at a time.

The header decides what the file holds: with a ``source`` or ``target`` column it holds
relationships; otherwise with an ``entity`` column it holds figures; otherwise entities. Cells are strings; ``aliases`` are separated by ``;``
(split in validation).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Iterator

from loaders import limits
from loaders.records import (
    ALLOWED_FIELDS,
    REQUIRED_FIELDS,
    Location,
    Problem,
    Record,
    RecordType,
    record_type,
)
from loaders.text_lines import BoundedLines, NotUtf8, TooLarge, Unreadable, open_bytes, utf8_lines

_PLURAL_TYPE = {"entity": "entities", "relationship": "relationships", "figure": "figures"}


class CsvSource:
    """Streams the records of one CSV file (UTF-8, an optional BOM, RFC 4180 quoting).

    Each record's line is the physical line its row starts on, so a row whose quoted
    cell spans several lines is reported where it begins.
    """

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
            lines = BoundedLines(f, limits.MAX_RECORD_BYTES, limits.MAX_STREAM_FILE_BYTES)
            try:
                yield from self._rows(name, lines)
            except TooLarge as exc:
                yield Problem(Location(name, exc.line), str(exc))

    def _rows(self, name: str, lines: BoundedLines) -> Iterator[Record | Problem]:
        # strict: a stray quote or a quote left open is an error, not silently kept.
        reader = csv.reader(utf8_lines(lines), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield Problem(Location(name, 1), f"malformed CSV: {exc}")
            return
        except NotUtf8 as exc:
            yield Problem(Location(name, exc.line), str(exc))
            return
        if not header or not any(c.strip() for c in header):
            yield Problem(
                Location(name, 1), "no header row (expected the column names on line 1)"
            )
            return
        columns = [c.strip() for c in header]
        kind = record_type(columns)
        unknown, fatal = _header_problems(columns, kind)
        yield from (Problem(Location(name, 1), message) for message in unknown + fatal)
        if fatal:
            return  # rows cannot be read meaningfully without these columns
        allowed = set(ALLOWED_FIELDS[kind])
        keep = [(i, c) for i, c in enumerate(columns) if c in allowed]
        while True:
            # line_num counts physical lines consumed so far: the next row starts after them.
            start = reader.line_num + 1
            lines.start_record()
            try:
                row = next(reader)
            except StopIteration:
                return
            except TooLarge as exc:  # reported where the row starts, not where it overflowed
                yield Problem(Location(name, start), str(exc))
                return
            except csv.Error as exc:
                yield Problem(Location(name, start), f"malformed CSV: {exc}")
                continue
            except NotUtf8 as exc:
                # One problem per file: a wrong encoding is rarely confined to one line.
                yield Problem(Location(name, exc.line), str(exc))
                return
            if not any(cell.strip() for cell in row):
                continue  # blank lines and rows of empty cells (spreadsheet exports)
            if len(row) != len(columns):
                yield Problem(
                    Location(name, start), f"expected {len(columns)} fields, got {len(row)}"
                )
                continue
            yield Record(Location(name, start), kind, {c: row[i] for i, c in keep})


def _header_problems(columns: list[str], kind: RecordType) -> tuple[list[str], list[str]]:
    """Messages about the header row: ``(unknown columns, fatal problems)``.

    Unknown columns are reported and their cells left out; duplicate or missing
    required columns make the rows unreadable.
    """
    allowed = ALLOWED_FIELDS[kind]
    unknown = [c for c in columns if c not in allowed]
    unknown_messages = []
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        unknown_messages.append(
            f"unknown column{plural} {', '.join(map(repr, unknown))}; "
            f"allowed for {_PLURAL_TYPE[kind]}: {', '.join(allowed)}"
        )
    fatal = [f"duplicate column {c!r}" for c, n in Counter(columns).items() if n > 1]
    required = REQUIRED_FIELDS[kind]
    fatal += [
        f"missing required column {c!r} ({_PLURAL_TYPE[kind]} need {', '.join(required)})"
        for c in required
        if c not in columns
    ]
    return unknown_messages, fatal
