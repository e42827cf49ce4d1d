"""Reading a binary file as UTF-8 text, one line at a time, knowing where decoding fails.

A text-mode file decodes in blocks of several kilobytes, so a bad byte would be
reported near the start of the file rather than on its own line. Decoding each line
separately keeps the line number exact, and still reads one line at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterator


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


def utf8_lines(f: BinaryIO) -> Iterator[str]:
    """The lines of the binary file ``f`` as text, line ends kept; raises :class:`NotUtf8`."""
    for number, raw in enumerate(f, start=1):
        yield decode_line(raw, number)


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


def open_bytes(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes (to stream it); raises :class:`Unreadable`."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise _cannot_read(exc) from None


def read_document(path: Path) -> str:
    """A whole (small) document file as text; raises :class:`Unreadable`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _cannot_read(exc) from None
    return decode_document(raw)
