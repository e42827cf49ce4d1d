"""Field checks: raw records in, model values (or problems) out, one record at a time.

Entities come out complete (:class:`~dealgraph.model.records.Entity`). Deals come out as
:class:`RelationshipDraft` and figures as :class:`FigureDraft`: their fields are checked,
but ``source``/``target`` (``entity``/``counterparty``) are still the references the file
used; :mod:`loaders.resolution` turns them into entity ids once every entity is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from dealgraph.model.errors import ModelError
from dealgraph.model.lineage import LINEAGE_FIELDS
from dealgraph.model.records import (
    DEFAULT_ENTITY_KIND,
    Entity,
    Figure,
    Relationship,
    figure_id,
    relationship_id,
    schema,
)
from dealgraph.model.values import PERIOD, AmountError, check_date, parse_percent, parse_usd
from dealgraph.loaders.records import (
    ALLOWED_FIELDS,
    REQUIRED_FIELDS,
    InvalidValue,
    Location,
    Notice,
    Problem,
    Record,
    type_name,
)

ENTITY_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
ALIAS_SEPARATOR = ";"
#: A control character (C0 but tab and line ends, DEL, C1): never part of a name, an id or an alias.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: How a URL begins: its scheme (``https:``). ``example.com/x`` has none.
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+-]*:\S")


#: The fields a draft keeps apart from its details: its id and what it ties together.
_DEAL_HEAD = ("id", "source", "kind", "target")
_FIGURE_HEAD = ("id", "entity", "kind", "counterparty")


@dataclass(frozen=True, slots=True)
class RelationshipDraft:
    """A deal whose fields are valid; ``source``/``target`` are unresolved references.
    ``details`` holds every other field of the deal (schema.yaml's ``records``)."""

    where: Location
    id: str | None
    source: str
    kind: str
    target: str
    details: dict = field(default_factory=dict)
    labels: tuple[str, str] | None = None  # Record.labels

    def resolve(self, source_id: str, target_id: str) -> Relationship:
        """The deal between resolved entity ids; its id is the given one or a stable hash."""
        rid = self.id or relationship_id(source_id, self.kind, target_id, **self.details)
        return Relationship(id=rid, source=source_id, kind=self.kind, target=target_id, **self.details)


@dataclass(frozen=True, slots=True)
class FigureDraft:
    """A figure whose fields are valid; ``entity``/``counterparty`` are unresolved references.
    ``details`` holds every other field of the figure."""

    where: Location
    id: str | None
    entity: str
    kind: str
    counterparty: str | None = None
    details: dict = field(default_factory=dict)

    @property
    def references(self) -> tuple[tuple[str, str | None], ...]:
        """``(role, reference)`` pairs to resolve (a ``None`` reference is not given)."""
        return (("entity", self.entity), ("counterparty", self.counterparty))

    def resolve(self, entity_id: str, counterparty_id: str | None) -> Figure:
        """The figure about resolved entity ids; its id is the given one or a stable hash."""
        fid = self.id or figure_id(entity_id, self.kind, counterparty_id, **self.details)
        return Figure(id=fid, entity=entity_id, kind=self.kind, counterparty=counterparty_id, **self.details)


@dataclass(frozen=True, slots=True)
class RejectedFigure:
    """A figure record that had problems (already reported); its references are still
    checked once every entity is known, as for :class:`RejectedRelationship`."""

    where: Location
    entity: str | None
    counterparty: str | None

    @property
    def references(self) -> tuple[tuple[str, str | None], ...]:
        return (("entity", self.entity), ("counterparty", self.counterparty))


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
    labels: tuple[str, str] | None = None  # Record.labels


Validated = (
    LocatedEntity | RejectedEntity | RelationshipDraft | RejectedRelationship
    | FigureDraft | RejectedFigure | Problem | Notice
)


def validate_records(records: Iterable[Record | Problem]) -> Iterator[Validated]:
    """Check each record as it streams past; problems and notices pass through unchanged."""
    for item in records:
        if isinstance(item, (Problem, Notice)):
            yield item
        elif item.type == "entity":
            yield from _validate_entity(item)
        elif item.type == "figure":
            yield from _validate_figure(item)
        else:
            yield from _validate_relationship(item)


class _FieldReader:
    """Reads the fields of one record, collecting a message per bad value."""

    def __init__(self, record: Record):
        self.messages: list[str] = []
        self._required = REQUIRED_FIELDS[record.type]
        allowed = ALLOWED_FIELDS[record.type]
        for name in record.fields:
            if name not in allowed:
                self.messages.append(f"unknown field {name!r}; allowed: {', '.join(allowed)}")
        self.record, self._reported = _without_invalid_values(record, self.messages)

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
            if name in self._required and name not in self._reported:
                self.messages.append(f"missing required field {name!r}")
            return None
        return text

    def problems(self) -> list[Problem]:
        return [Problem(self.record.where, m) for m in self.messages]


def _without_invalid_values(record: Record, messages: list[str]) -> tuple[Record, set[str]]:
    """The record with each :class:`InvalidValue` (alone or in a list) reported and taken
    out, so that it is reported once, as what it is; and the names of those fields."""
    bad = [
        (name, value)
        for name, value in record.fields.items()
        if isinstance(value, InvalidValue)
        or (isinstance(value, list) and any(isinstance(v, InvalidValue) for v in value))
    ]
    if not bad:
        return record, set()
    fields = dict(record.fields)
    for name, value in bad:
        for invalid in value if isinstance(value, list) else [value]:
            if isinstance(invalid, InvalidValue):
                messages.append(f"{name}: {invalid.reason}")
        fields[name] = None
    return Record(record.where, record.type, fields), {name for name, _ in bad}


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
    details = _details(fields, "entity", ("id", "name", "kind", "aliases"))
    aliases = parse_aliases(fields.record.fields.get("aliases"), fields.messages)
    if eid is not None and not ENTITY_ID.fullmatch(eid):
        fields.messages.append(
            f"entity id {eid!r} is not a slug (lower-case letters, digits and '-', "
            "starting with a letter or digit)"
        )
    _check_controls(fields.messages, name=name, alias=aliases)
    _check_kind(schema().entity_kind, kind, fields.messages)
    problems = fields.problems()
    if problems:
        yield from problems
        yield RejectedEntity(record.where, tuple(r for r in (eid, name, *aliases) if r))
        return
    yield LocatedEntity(
        record.where,
        Entity(id=eid, name=name, kind=kind, aliases=aliases, **details),
    )


def _validate_relationship(record: Record) -> Iterator[Validated]:
    fields = _FieldReader(record)
    rid = fields.text("id")
    source = fields.text("source")
    kind = fields.text("kind")
    target = fields.text("target")
    details = _details(fields, "relationship", _DEAL_HEAD)
    _check_controls(fields.messages, id=rid)
    low, high = details.get("amount_low"), details.get("amount_high")
    if low is not None and high is not None and low > high:
        fields.messages.append(f"amount_low {low:g} is above amount_high {high:g}")
    for name in LINEAGE_FIELDS:
        if rid is not None and details[name] == rid:
            fields.messages.append(f"deal {rid!r} {name} itself")
    if kind is not None:
        _check_kind(schema().relationship_kind, kind, fields.messages)
    problems = fields.problems()
    if problems:
        yield from problems
        yield RejectedRelationship(record.where, source, target, record.labels)
        return
    yield RelationshipDraft(where=record.where, id=rid, source=source, kind=kind, target=target, details=details,
                            labels=record.labels)


def _validate_figure(record: Record) -> Iterator[Validated]:
    fields = _FieldReader(record)
    fid = fields.text("id")
    entity = fields.text("entity")
    kind_name = fields.text("kind")
    counterparty = fields.text("counterparty")
    details = _details(fields, "figure", _FIGURE_HEAD)
    _check_controls(fields.messages, id=fid)
    kind = None
    if kind_name is not None:
        try:
            kind = schema().figure_kind(kind_name)
        except ModelError as exc:
            fields.messages.append(str(exc))
    if kind is not None:
        # The kind decides which value field it takes and whether it names a counterparty.
        given = {name: fields.record.fields.get(name) for name in ("amount_usd", "percent")}
        other = "percent" if kind.measure == "amount_usd" else "amount_usd"
        if _blank(given[kind.measure]):
            fields.messages.append(f"a {kind.name} figure needs {kind.measure}")
        if not _blank(given[other]):
            fields.messages.append(f"a {kind.name} figure gives {kind.measure}, not {other}")
        if kind.counterparty and counterparty is None:
            fields.messages.append(f"a {kind.name} figure needs a counterparty (the entity it is about)")
        if not kind.counterparty and counterparty is not None:
            with_counterparty = [k.name for k in schema().figure_kinds.values() if k.counterparty]
            fields.messages.append(
                f"a {kind.name} figure takes no counterparty (only {', '.join(with_counterparty)} do)"
            )
    if _blank(fields.record.fields.get("period")) and _blank(fields.record.fields.get("as_of")):
        fields.messages.append("a figure needs a period or an as_of date (or both)")
    problems = fields.problems()
    if problems:
        yield from problems
        yield RejectedFigure(record.where, entity, counterparty)
        return
    yield FigureDraft(where=record.where, id=fid, entity=entity, kind=kind_name, counterparty=counterparty,
                      details=details)


def _details(fields: "_FieldReader", record: str, head: tuple[str, ...]) -> dict:
    """Every field of ``record`` but ``head``, each read by its type's grammar (schema.yaml);
    problems go to ``fields.messages``."""
    out = {}
    for f in schema().fields(record):
        if f.name in head:
            continue
        if f.type == "usd":
            out[f.name] = _amount(fields.record.fields.get(f.name), fields.messages)
        elif f.type == "percent":
            out[f.name] = _percent(fields.record.fields.get(f.name), fields.messages)
        elif f.type == "period":
            out[f.name] = _period(fields.text(f.name), fields.messages)
        elif f.type == "date":
            out[f.name] = check_date_field(fields.text(f.name), fields.messages, name=f.name)
        elif f.type == "url":
            out[f.name] = _url(fields.text(f.name), fields.messages, f.name)
        elif f.type == "choice":
            value = fields.text(f.name)
            if value is not None and value not in f.values:
                fields.messages.append(f"{f.name} must be one of {', '.join(f.values)}, got {value!r}")
                value = None
            out[f.name] = value
        else:
            out[f.name] = fields.text(f.name)
    return out


def _check_controls(messages: list[str], **texts: str | tuple[str, ...] | None) -> None:
    """A message for each text (or each of a tuple of texts) holding a control character."""
    for name, value in texts.items():
        for text in value if isinstance(value, tuple) else (value,):
            found = CONTROL_CHARACTER.search(text) if text else None
            if found:
                messages.append(f"{name} {text!r} holds a control character (U+{ord(found.group()):04X})")


def _url(text: str | None, messages: list[str], name: str) -> str | None:
    """A URL with its scheme (``https://...``); one without (``example.com/x``) is a problem."""
    if text is not None and not URL_SCHEME.match(text):
        messages.append(f"{name} {text!r} has no scheme (write it whole, e.g. https://{text.lstrip('/')})")
        return None
    return text


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _percent(value: object, messages: list[str]) -> float | None:
    """A share in percent, from 0 to 100; numbers may be written as text (``"62"``)."""
    if _blank(value):
        return None
    try:
        return parse_percent(value)
    except ValueError:
        shown = value.strip() if isinstance(value, str) else value
        messages.append(f"percent must be a number from 0 to 100, got {shown!r}")
        return None


def _period(text: str | None, messages: list[str]) -> str | None:
    """A period: ``YYYY``, ``YYYY-QN``, ``YYYY-HN``, ``YYYY-MM`` or ``START/END``."""
    if text is None:
        return None
    match = PERIOD.fullmatch(text)
    if not match or (match["end"] and match["end"] < match["start"]):
        messages.append(
            "period must be YYYY, YYYY-QN, YYYY-HN, YYYY-MM or START/END of years or months "
            f"(e.g. 2024, 2025-Q2, 2025/2028), got {text!r}"
        )
        return None
    return text


def _check_kind(lookup, kind: str, messages: list[str]) -> None:
    """Append the model's own message (it lists the allowed kinds) if ``kind`` is unknown."""
    try:
        lookup(kind)
    except ModelError as exc:
        messages.append(str(exc))


def parse_aliases(value: object, messages: list[str]) -> tuple[str, ...]:
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


def _amount(value: object, messages: list[str], name: str = "amount_usd") -> float | None:
    """A non-negative finite amount of USD, a number or text in the command line's syntax
    (``2500000``, ``1e9``, ``1.5B``, ``$500M``, ``$1,000,000``; see :func:`parse_usd`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return parse_usd(value)
        except AmountError as exc:
            if str(exc).startswith("ambiguous"):
                messages.append(f"{name}: {exc}")
                return None
    shown = value.strip() if isinstance(value, str) else value
    messages.append(f"{name} must be a non-negative amount of USD (e.g. 2500000, 1.5B or $500M), got {shown!r}")
    return None


def check_date_field(text: str | None, messages: list[str], name: str = "date") -> str | None:
    """An ISO date of year, month or day precision that exists on the calendar."""
    if text is None:
        return None
    try:
        return check_date(text)
    except ValueError as exc:
        messages.append(f"{name} {exc}")
        return None
