"""Field checks: raw records in, model values (or problems) out, one record at a time.

Entities come out complete (:class:`~graph.model.Entity`). Deals come out as
:class:`RelationshipDraft`: their fields are checked, but ``source``/``target`` are still
the references the file used; :mod:`loaders.resolution` turns them into entity ids once
every entity is known.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from graph.errors import ModelError
from graph.lineage import LINEAGE_FIELDS
from graph.model import DEFAULT_ENTITY_KIND, Entity, Relationship, relationship_id, schema
from loaders.records import ALLOWED_FIELDS, REQUIRED_FIELDS, Location, Problem, Record, type_name

ENTITY_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")  # ASCII digits only
ALIAS_SEPARATOR = ";"


@dataclass(frozen=True, slots=True)
class RelationshipDraft:
    """A deal whose fields are valid; ``source``/``target`` are unresolved references."""

    where: Location
    id: str | None
    source: str
    kind: str
    target: str
    amount_usd: float | None = None
    amount_note: str | None = None
    date: str | None = None
    summary: str | None = None
    evidence_url: str | None = None
    evidence_title: str | None = None
    supersedes: str | None = None
    expands: str | None = None

    def resolve(self, source_id: str, target_id: str) -> Relationship:
        """The deal between resolved entity ids; its id is the given one or a stable hash."""
        details = dict(
            amount_usd=self.amount_usd,
            amount_note=self.amount_note,
            date=self.date,
            summary=self.summary,
            evidence_url=self.evidence_url,
            evidence_title=self.evidence_title,
            supersedes=self.supersedes,
            expands=self.expands,
        )
        rid = self.id or relationship_id(source_id, self.kind, target_id, **details)
        return Relationship(id=rid, source=source_id, kind=self.kind, target=target_id, **details)


@dataclass(frozen=True, slots=True)
class LocatedEntity:
    """A valid entity and where it was defined."""

    where: Location
    entity: Entity


@dataclass(frozen=True, slots=True)
class RejectedEntity:
    """An entity record that had problems (already reported).

    Its references are kept so that deals naming it are not reported a second time as
    naming an unknown entity.
    """

    where: Location
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RejectedRelationship:
    """A deal record that had problems (already reported).

    Its ``source``/``target`` references (``None`` when absent) are still checked once
    every entity is known, so a deal with a bad date *and* an unknown entity gets both
    problems listed in one run.
    """

    where: Location
    source: str | None
    target: str | None


Validated = LocatedEntity | RejectedEntity | RelationshipDraft | RejectedRelationship | Problem


def validate_records(records: Iterable[Record | Problem]) -> Iterator[Validated]:
    """Check each record as it streams past; problems pass through unchanged."""
    for item in records:
        if isinstance(item, Problem):
            yield item
        elif item.type == "entity":
            yield from _validate_entity(item)
        else:
            yield from _validate_relationship(item)


class _FieldReader:
    """Reads the fields of one record, collecting a message per bad value."""

    def __init__(self, record: Record):
        self.record = record
        self.messages: list[str] = []
        self._required = REQUIRED_FIELDS[record.type]
        allowed = ALLOWED_FIELDS[record.type]
        for name in record.fields:
            if name not in allowed:
                self.messages.append(f"unknown field {name!r}; allowed: {', '.join(allowed)}")

    def text(self, name: str) -> str | None:
        """The field as stripped text; empty or absent is ``None``.

        A value that is not text (a list, a mapping, a boolean) is a problem, and so is
        a required field that is empty or absent.
        """
        value = self.record.fields.get(name)
        text = None if value is None else _as_text(value)
        if text is None and value is not None:
            self.messages.append(f"{name} must be text, got {type_name(value)}")
            return None
        if not text:
            if name in self._required:
                self.messages.append(f"missing required field {name!r}")
            return None
        return text

    def problems(self) -> list[Problem]:
        return [Problem(self.record.where, m) for m in self.messages]


def _as_text(value: object) -> str | None:
    """Strings stripped, numbers written out (JSON ``"date": 2024``), else ``None``."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _validate_entity(record: Record) -> Iterator[Validated]:
    fields = _FieldReader(record)
    eid = fields.text("id")
    name = fields.text("name")
    kind = fields.text("kind") or DEFAULT_ENTITY_KIND
    ticker = fields.text("ticker")
    country = fields.text("country")
    aliases = _aliases(record.fields.get("aliases"), fields.messages)
    if eid is not None and not ENTITY_ID.fullmatch(eid):
        fields.messages.append(
            f"entity id {eid!r} is not a slug (lower-case letters, digits and '-', "
            "starting with a letter or digit)"
        )
    _check_kind(schema().entity_kind, kind, fields.messages)
    problems = fields.problems()
    if problems:
        yield from problems
        yield RejectedEntity(record.where, tuple(r for r in (eid, name, *aliases) if r))
        return
    yield LocatedEntity(
        record.where,
        Entity(id=eid, name=name, kind=kind, ticker=ticker, country=country, aliases=aliases),
    )


def _validate_relationship(record: Record) -> Iterator[Validated]:
    fields = _FieldReader(record)
    rid = fields.text("id")
    source = fields.text("source")
    kind = fields.text("kind")
    target = fields.text("target")
    amount = _amount(record.fields.get("amount_usd"), fields.messages)
    date = _date(fields.text("date"), fields.messages)
    details = {
        name: fields.text(name)
        for name in ("amount_note", "summary", "evidence_url", "evidence_title", *LINEAGE_FIELDS)
    }
    for name in LINEAGE_FIELDS:
        if rid is not None and details[name] == rid:
            fields.messages.append(f"deal {rid!r} {name} itself")
    if kind is not None:
        _check_kind(schema().relationship_kind, kind, fields.messages)
    problems = fields.problems()
    if problems:
        yield from problems
        yield RejectedRelationship(record.where, source, target)
        return
    yield RelationshipDraft(
        where=record.where, id=rid, source=source, kind=kind, target=target,
        amount_usd=amount, date=date, **details,
    )


def _check_kind(lookup, kind: str, messages: list[str]) -> None:
    """Append the model's own message (it lists the allowed kinds) if ``kind`` is unknown."""
    try:
        lookup(kind)
    except ModelError as exc:
        messages.append(str(exc))


def _aliases(value: object, messages: list[str]) -> tuple[str, ...]:
    """Aliases from a ``;``-separated string or a list of strings; blanks and repeats dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split(ALIAS_SEPARATOR)
    elif isinstance(value, list) and all(_as_text(v) is not None for v in value):
        parts = [_as_text(v) for v in value]
    else:
        messages.append(
            "aliases must be a list of names or one ';'-separated string, "
            f"got {type_name(value)}"
        )
        return ()
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _amount(value: object, messages: list[str]) -> float | None:
    """A non-negative finite number of USD; numbers may be written as text (``"1e9"``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    amount = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = float(value)
    elif isinstance(value, str):
        try:
            amount = float(value.strip())
        except ValueError:
            pass
    if amount is None or not math.isfinite(amount) or amount < 0:
        shown = value.strip() if isinstance(value, str) else value
        messages.append(f"amount_usd must be a non-negative number, got {shown!r}")
        return None
    return amount


def _date(text: str | None, messages: list[str]) -> str | None:
    """An ISO date of year, month or day precision that exists on the calendar."""
    if text is None:
        return None
    match = DATE.fullmatch(text)
    if not match:
        messages.append(f"date must be YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        messages.append(f"date {text!r} is not a real calendar date")
        return None
    return text
