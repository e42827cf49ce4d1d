"""Finding input files and picking the source that reads each one (by extension).

A source is an object with ``records()``: a generator of :class:`~loaders.records.Record`
and :class:`~loaders.records.Problem` items, in file order. Sources never raise for bad
input; they report it as problems and carry on where they can, so one run lists
everything that is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Protocol

from dealgraph.loaders.csv_source import CsvSource
from dealgraph.loaders.ftm_source import FTM_SUFFIXES, FtmSource, is_ftm
from dealgraph.loaders.json_source import JsonLinesSource, JsonSource
from dealgraph.loaders.records import Location, Problem, Record
from dealgraph.loaders.yaml_source import YamlSource


class Source(Protocol):
    """Reads one file into records; see the module docstring."""

    path: Path

    def records(self) -> Iterator[Record | Problem]: ...


#: Source class by file extension (lower-case, with the dot).
SOURCES_BY_EXTENSION: dict[str, type] = {
    ".csv": CsvSource,
    ".json": JsonSource,
    ".jsonl": JsonLinesSource,
    ".ndjson": JsonLinesSource,
    ".yaml": YamlSource,
    ".yml": YamlSource,
}

_EXTENSIONS_TEXT = ", ".join(SOURCES_BY_EXTENSION)
__all__ = ["FTM_SUFFIXES", "SOURCES_BY_EXTENSION", "Source", "input_files", "open_source", "read_records"]


def open_source(path: Path | str) -> Source:
    """The source for ``path``, chosen by its extension (FollowTheMoney first: a name
    ending in ``.ftm.json``, ``.ftm.jsonl`` or ``.ftm.ndjson``).

    Raises ``KeyError`` for an extension no source reads; :func:`input_files` reports
    those as problems instead, so most callers never see it.
    """
    path = Path(path)
    if is_ftm(path.name):
        return FtmSource(path)
    return SOURCES_BY_EXTENSION[path.suffix.lower()](path)


def input_files(paths: Iterable[Path | str]) -> Iterator[Path | Problem]:
    """Expand ``paths`` into the data files to read, and problems for the rest.

    A directory stands for its files with a known extension (not recursive, hidden files
    left out), sorted by name; a missing path, a file with another extension and a
    directory without data files are problems (without a line: they concern the whole file).
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                # Hidden files are editor and OS debris (``._x.csv`` from macOS), not data.
                # Pipes and devices are kept: opening them reports what they are.
                if not p.is_dir()
                and not p.name.startswith(".")
                and p.suffix.lower() in SOURCES_BY_EXTENSION
            )
            if not found:
                message = f"no data files here (expected {_EXTENSIONS_TEXT})"
                yield Problem(Location(str(path)), message)
            yield from found
        elif not path.exists():
            yield Problem(Location(str(path)), "no such file or directory")
        elif path.suffix.lower() not in SOURCES_BY_EXTENSION:
            yield Problem(
                Location(str(path)),
                f"unsupported file type {path.suffix or '(no extension)'!r}; "
                f"expected {_EXTENSIONS_TEXT}",
            )
        else:
            yield path


def read_records(paths: Iterable[Path | str]) -> Iterator[Record | Problem]:
    """Every record and problem of every input file, streamed file by file."""
    for item in input_files(paths):
        if isinstance(item, Problem):
            yield item
        else:
            yield from open_source(item).records()
