"""The shape shared by JSON and YAML documents: ``{"entities": [...], "relationships": [...],
"figures": [...]}``.

Both sources walk the top-level mapping themselves (to know each record's line) and
ask this module what a key means and how to turn one list item into a record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from dealgraph.loaders.records import Location, Problem, Record, RecordType, type_name
from dealgraph.loaders.text_lines import Unreadable, read_document

#: Top-level keys holding records, and the record type of their items.
SECTIONS: dict[str, RecordType] = {
    "entities": "entity", "relationships": "relationship", "figures": "figure",
}

#: Top-level keys a document may carry to describe itself; they are not read.
METADATA_KEYS = ("as_of", "description", "notes", "sources")

EXPECTED_DOCUMENT = "expected a mapping with 'entities', 'relationships' and/or 'figures' lists"


def unknown_key_problem(where: Location, key: object) -> Problem | None:
    """A problem for a top-level key that is neither a section nor metadata, else None."""
    if key in SECTIONS or key in METADATA_KEYS:
        return None
    allowed = ", ".join((*SECTIONS, *METADATA_KEYS))
    return Problem(where, f"unknown top-level key {key!r}; allowed: {allowed}")


def not_a_list_problem(where: Location, key: str, value: object) -> Problem:
    return Problem(where, f"{key!r} must be a list of records, got {type_name(value)}")


def item_to_record(where: Location, section: str, item: object) -> Record | Problem:
    """One item of a section as a record, or a problem if it is not a mapping."""
    if not isinstance(item, dict):
        return Problem(
            where, f"each item of {section!r} must be a mapping of fields, got {type_name(item)}"
        )
    return Record(where, SECTIONS[section], item)


class DocumentSource:
    """A source that reads its whole file as text, then parses it (JSON, YAML documents)."""

    #: What the documents are called in messages (``"JSON documents"``).
    what = "documents"

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def max_bytes(self) -> int:
        """The largest file this source reads (a limit from :mod:`loaders.limits`)."""
        raise NotImplementedError

    def records(self) -> Iterator[Record | Problem]:
        name = str(self.path)
        try:
            text = read_document(self.path, self.max_bytes(), self.what)
        except Unreadable as exc:
            yield Problem(Location(name, exc.line), str(exc))
            return
        yield from self.parse(name, text)

    def parse(self, name: str, text: str) -> Iterator[Record | Problem]:
        """The records of the document ``text`` read from file ``name``."""
        raise NotImplementedError
