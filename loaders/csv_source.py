"""CSV source: a header row, then one record per row, read one row at a time.

The header decides what the file holds: with a ``source`` or ``target`` column it holds
relationships; otherwise with an ``entity`` column it holds figures; otherwise entities. Cells are strings; ``aliases`` are separated by ``;``
(split in validation).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Generator, Iterator

from dealgraph.loaders import limits
from dealgraph.loaders.records import (
    ALLOWED_FIELDS,
    REQUIRED_FIELDS,
    Location,
    Problem,
    Record,
    RecordType,
    record_type,
)
from dealgraph.loaders.text_lines import (
    BoundedLines,
    NotUtf8,
    TooLarge,
    Unreadable,
    open_bytes,
    plain_text,
    utf8_lines,
)

_PLURAL_TYPE = {"entity": "entities", "relationship": "relationships", "figure": "figures"}


#: Bytes read at a time by :meth:`CsvSource.chunks` (the first chunks are smaller). Small
#: enough that a chunk's rows stay in the CPU caches while they are checked column by
#: column: a quarter less time in pass 2 than with chunks of a megabyte.
CHUNK_BYTES = 64 << 10
FIRST_CHUNK_BYTES = 16 << 10


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What a CSV file's header says: the type of its records and where each field is."""

    path: str
    kind: RecordType
    columns: tuple[str, ...]
    #: ``(column index, field)`` of each known column (unknown ones are left out)
    keep: tuple[tuple[int, str], ...]

    def field_index(self, name: str) -> int | None:
        """The column of field ``name``, or ``None`` if the file has no such column."""
        return next((i for i, c in self.keep if c == name), None)

    def record(self, line: int, row: list[str]) -> Record | Problem | None:
        """The record of the row starting on ``line``; ``None`` for a blank row."""
        if not any(cell.strip() for cell in row):
            return None  # blank lines and rows of empty cells (spreadsheet exports)
        if len(row) != len(self.columns):
            return Problem(
                Location(self.path, line), f"expected {len(self.columns)} fields, got {len(row)}"
            )
        return Record(Location(self.path, line), self.kind, {c: row[i] for i, c in self.keep})


@dataclass(frozen=True, slots=True)
class RowChunk:
    """Rows read in bulk, each exactly one physical line: ``rows[k]`` is on line
    ``first_line + k`` (blank lines give empty rows). :meth:`CsvLayout.record` makes
    a row what :meth:`CsvSource.records` would give for it."""

    layout: CsvLayout
    first_line: int
    rows: list[list[str]]


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
                reader = csv.reader(utf8_lines(lines), strict=True)
                layout = yield from self._header(name, reader)
                if layout is not None:
                    yield from self._body(layout, lines, reader)
            except TooLarge as exc:
                yield Problem(Location(name, exc.line), str(exc))

    def chunks(self, chunk_bytes: int | None = None) -> Iterator[RowChunk | Record | Problem]:
        """The file's rows in bulk where that is safe, else its records and problems:
        together exactly what :meth:`records` gives, in the same order.

        The header is read as :meth:`records` reads it. Then the file is read
        ``chunk_bytes`` (:data:`CHUNK_BYTES`) at a time, cut after the last line end: a chunk whose bytes are
        plain (:func:`~loaders.text_lines.plain_text`) and whose rows are one line each
        is parsed whole by ``csv.reader`` and handed on as a :class:`RowChunk`; any
        other chunk (a bad byte, an error, a quoted cell over several lines) is read
        the careful way, record by record, up to the first record that starts after it.
        """
        name = str(self.path)
        chunk_bytes = chunk_bytes or CHUNK_BYTES
        max_record, max_file = limits.MAX_RECORD_BYTES, limits.MAX_STREAM_FILE_BYTES
        try:
            f = open_bytes(self.path, max_file, limits.STREAM_FILES)
        except Unreadable as exc:
            yield Problem(Location(name), str(exc))
            return
        with f:
            lines = BoundedLines(f, max_record, max_file)
            try:
                reader = csv.reader(utf8_lines(lines), strict=True)
                layout = yield from self._header(name, reader)
                if layout is None:
                    return
                offset, line = lines.offset, reader.line_num
                # The first chunks are small: a reader after the first rows only pays for those.
                size = min(FIRST_CHUNK_BYTES, chunk_bytes)
                while raw := f.read(size):
                    cut = raw.rfind(b"\n") + 1
                    if 0 < cut < len(raw):  # the rest starts the next chunk
                        raw = raw[:cut]
                        f.seek(offset + cut)
                    end = offset + len(raw)
                    rows = None
                    if end <= max_file and (cut or len(raw) < size):
                        rows = _single_line_rows(plain_text(raw, max_record))
                    size = min(2 * size, chunk_bytes)
                    if rows is not None:
                        yield RowChunk(layout, line + 1, rows)
                        offset, line = end, line + len(rows)
                        continue
                    f.seek(offset)
                    lines = BoundedLines(f, max_record, max_file, offset=offset, number=line)
                    reader = csv.reader(utf8_lines(lines), strict=True)
                    if (yield from self._body(layout, lines, reader, line, stop_at=end)):
                        return
                    offset, line = lines.offset, line + reader.line_num
            except TooLarge as exc:
                yield Problem(Location(name, exc.line), str(exc))

    def _header(self, name: str, reader) -> Generator[Problem, None, CsvLayout | None]:
        """Read the header row: the file's layout, or ``None`` if its rows cannot be read."""
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield Problem(Location(name, 1), f"malformed CSV: {exc}")
            return None
        except NotUtf8 as exc:
            yield Problem(Location(name, exc.line), str(exc))
            return None
        if not header or not any(c.strip() for c in header):
            yield Problem(
                Location(name, 1), "no header row (expected the column names on line 1)"
            )
            return None
        columns = [c.strip() for c in header]
        kind = record_type(columns)
        unknown, fatal = _header_problems(columns, kind)
        for message in unknown + fatal:
            yield Problem(Location(name, 1), message)
        if fatal:
            return None  # rows cannot be read meaningfully without these columns
        allowed = set(ALLOWED_FIELDS[kind])
        keep = tuple((i, c) for i, c in enumerate(columns) if c in allowed)
        return CsvLayout(name, kind, tuple(columns), keep)

    def _body(
        self, layout: CsvLayout, lines: BoundedLines, reader, line_base: int = 0,
        stop_at: int | None = None,
    ) -> Generator[Record | Problem, None, bool]:
        """Read records one by one (until the first that starts at byte ``stop_at`` or
        later); True if the file is done with (at its end, or no longer readable)."""
        name = layout.path
        while stop_at is None or lines.offset < stop_at:
            # line_num counts physical lines consumed so far: the next row starts after them.
            start = line_base + reader.line_num + 1
            lines.start_record()
            try:
                row = next(reader)
            except StopIteration:
                return True
            except TooLarge as exc:  # reported where the row starts, not where it overflowed
                yield Problem(Location(name, start), str(exc))
                return True
            except csv.Error as exc:
                yield Problem(Location(name, start), f"malformed CSV: {exc}")
                continue
            except NotUtf8 as exc:
                # One problem per file: a wrong encoding is rarely confined to one line.
                yield Problem(Location(name, exc.line), str(exc))
                return True
            item = layout.record(start, row)
            if item is not None:
                yield item
        return False


def _single_line_rows(text: str | None) -> list[list[str]] | None:
    """The rows of these whole lines if each row is exactly one line, else ``None``."""
    if text is None:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    # One row per line end (and one for a last line without one): no row took two lines.
    lines = text.count("\n") + (not text.endswith("\n"))
    return rows if len(rows) == lines else None


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
