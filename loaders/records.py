"""What sources hand on: raw records and problems, each with the place it came from.

The field names are not repeated here by hand: they are the ``records`` of the model's
``schema.yaml`` (see :mod:`dealgraph.model.records`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dealgraph.model.records import schema

RecordType = Literal["entity", "relationship", "figure"]

#: Every field a record of each type may carry, in the model's order.
ALLOWED_FIELDS: dict[RecordType, tuple[str, ...]] = {
    record: schema().field_names(record) for record in ("entity", "relationship", "figure")
}

#: Fields a record of each type must have (non-empty).
REQUIRED_FIELDS: dict[RecordType, tuple[str, ...]] = {
    record: tuple(f.name for f in schema().fields(record) if f.required)
    for record in ("entity", "relationship", "figure")
}

#: A record holding either of these is a relationship (a deal).
RELATIONSHIP_MARKERS = ("source", "target")

#: Otherwise a record holding this is a figure about that entity; anything else is an entity.
FIGURE_MARKER = "entity"


def record_type(field_names) -> RecordType:
    """``"relationship"`` if ``field_names`` has ``source`` or ``target``; else ``"figure"``
    if it has ``entity``; else ``"entity"``.

    Either of ``source``/``target`` suffices, so a deal that lacks its ``target`` is
    reported as exactly that rather than as an entity with a strange ``source`` field.

    >>> record_type(["source", "kind", "target"]), record_type(["id", "name"])
    ('relationship', 'entity')
    >>> record_type(["entity", "kind", "amount_usd", "period"])
    'figure'
    """
    if any(m in field_names for m in RELATIONSHIP_MARKERS):
        return "relationship"
    return "figure" if FIGURE_MARKER in field_names else "entity"


@dataclass(frozen=True, slots=True)
class Location:
    """A file and, when there is one, the 1-based line a record starts on."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input; ``str()`` gives the ``FILE:LINE: message`` line."""

    where: Location
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Record:
    """One record as a source read it: field values are not checked yet.

    Values are whatever the format gives (strings from CSV and YAML, JSON types from
    JSON); :mod:`loaders.validation` turns them into model values.
    """

    where: Location
    type: RecordType
    fields: dict[str, object]


@dataclass(frozen=True, slots=True)
class InvalidValue:
    """A value a source read but must not hand on as data, such as JSON's ``NaN`` or
    ``1e400``; validation reports the field as ``reason`` and rejects the record."""

    reason: str


def type_name(value: object) -> str:
    """How a value's type is called in messages, the same for JSON and YAML input.

    >>> type_name({}), type_name([]), type_name(True), type_name(3.5), type_name(None)
    ('mapping', 'list', 'boolean', 'number', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__
