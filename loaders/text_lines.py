"""Reading a binary file as UTF-8 text, one line at a time, knowing where decoding fails.

A text-mode file decodes in blocks of several kilobytes, so a bad byte would be
reported near the start of the file rather than on its own line. Decoding each line
separately keeps the line number exact, and still reads one line at a time.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import BinaryIO, Iterator

from dealgraph.loaders import limits

#: The control characters names, ids and aliases must not hold (C0 but tab and line ends, DEL, C1), in UTF-8.
_CONTROL_BYTES = tuple(bytes([b]) for b in (*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f))
_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def _has_control(raw: bytes) -> bool:
    """Whether ``raw`` holds one of those (one memchr per byte value: a regex over the
    chunk would cost a hundred times as much)."""
    return any(b in raw for b in _CONTROL_BYTES) or (b"\xc2" in raw and _C1.search(raw) is not None)


class Unreadable(Exception):
    """A file that cannot be read as text; ``line`` is where (None: the whole file)."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        super().__init__(message)


class NotUtf8(Unreadable):
    """A line that is not UTF-8; ``line`` is its 1-based number, ``str()`` the message."""

    def __init__(self, line: int, error: UnicodeDecodeError):
        super().__init__(
            line,
            f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at column {error.start + 1}); "
            "save the file as UTF-8"
        )


def decode_line(raw: bytes, number: int) -> str:
    """Line ``number`` of a file as text; a byte-order mark on line 1 is dropped."""
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(number, exc) from None


class TooLarge(Unreadable):
    """A record or file over its size limit (:mod:`loaders.limits`); ``line`` is where."""


class BoundedLines:
    """The lines of a binary file, never holding more than a record's worth of bytes.

    Iterating gives each line as bytes (line end kept); ``number`` is the line last read.
    A line, or a record spanning several lines since the last :meth:`start_record` (with
    ``lines_are_records``: each line is a record), longer than ``max_record`` bytes raises :class:`TooLarge` before it is held whole, and so
    does reading past ``max_file`` bytes (a file that grows while read).
    """

    def __init__(self, f: BinaryIO, max_record: int, max_file: int, lines_are_records: bool = False,
                 offset: int = 0, number: int = 0):
        # (``offset`` and ``number``: ``f`` is positioned after that many bytes and lines)
        self._f = f
        self._max_record = max_record
        self._max_file = max_file
        self._lines_are_records = lines_are_records
        self.number = number
        self._read = offset
        self._record_start = offset

    @property
    def offset(self) -> int:
        """Bytes of the file read so far (where the next line starts)."""
        return self._read

    def start_record(self) -> None:
        """The next line starts a new record."""
        self._record_start = self._read

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self._lines_are_records:
                self._record_start = self._read
            raw = self._f.readline(self._max_record + 1)
            if not raw:
                return
            self.number += 1
            self._read += len(raw)
            if self._read - self._record_start > self._max_record:
                raise TooLarge(
                    self.number,
                    f"record longer than {limits.size_text(self._max_record)}; "
                    "stopped reading this file (is it really a data file?)",
                )
            if self._read > self._max_file:
                raise TooLarge(self.number, f"file grew past {limits.size_text(self._max_file)} while read")
            yield raw


def utf8_lines(lines: BoundedLines) -> Iterator[str]:
    """The lines as text, line ends kept; raises :class:`NotUtf8` (and :class:`TooLarge`)."""
    for raw in lines:
        yield decode_line(raw, lines.number)


def plain_text(raw: bytes, max_line: int) -> str | None:
    """Whole lines of a file as text when reading them one by one could find nothing
    wrong, else ``None`` (read those the careful way: :class:`BoundedLines`, :func:`utf8_lines`).

    Plain means: UTF-8, no control character but tabs and line ends (no NUL, escape, DEL or
    C1 character: names, ids and aliases must not hold them, and the careful way says
    where), every carriage return part of a CRLF line end (so lines end where
    :class:`BoundedLines` ends them), and no line longer than ``max_line`` bytes with its
    line end (a last line without one counts as if it had one). Checked and decoded in C,
    a chunk of lines at a time.
    """
    if _has_control(raw) or raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    if len(raw) > max_line and max(map(len, raw.split(b"\n"))) >= max_line:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_document(raw: bytes) -> str:
    """A whole file's bytes as text (byte-order mark dropped); raises :class:`NotUtf8`
    with the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        shifted = UnicodeDecodeError(exc.encoding, raw[line_start:], exc.start - line_start,
                                     exc.end - line_start, exc.reason)
        raise NotUtf8(line, shifted) from None


def _cannot_read(exc: OSError) -> Unreadable:
    return Unreadable(None, f"cannot read file: {exc.strerror}")


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def open_bytes(path: Path, max_bytes: int, what: str) -> BinaryIO:
    """``path`` opened for reading bytes, after checking it is a regular file of at most
    ``max_bytes`` (``what`` names the kind of file in the message); raises :class:`Unreadable`.

    The file is opened without waiting (a named pipe with no writer would block for ever)
    and checked on the open descriptor, so what is checked is what is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _cannot_read(exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _SPECIAL_FILES if test(info.st_mode)), "not a file")
            link = f" ({path} -> {os.path.realpath(path)})" if os.path.islink(path) else ""
            raise Unreadable(None, f"not a regular file: it is {kind}{link}; only regular files are read")
        if info.st_size > max_bytes:
            raise TooLarge(
                None,
                f"file is {info.st_size:,} bytes, over the {limits.size_text(max_bytes)} "
                f"limit for {what}",
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_document(path: Path, max_bytes: int, what: str) -> str:
    """A whole document file of at most ``max_bytes`` as text; raises :class:`Unreadable`."""
    with open_bytes(path, max_bytes, what) as f:
        try:
            raw = f.read(max_bytes + 1)
        except OSError as exc:
            raise _cannot_read(exc) from None
    if len(raw) > max_bytes:
        raise TooLarge(None, f"file grew past {limits.size_text(max_bytes)} while read")
    return decode_document(raw)
