"""The dealgraph model: entities, relationships (deals), entity figures and the money-flow table.

The kinds and their money-flow directions are data (``schema.yaml`` beside this file);
this module loads them once and is the only place that interprets them.

>>> money_flow("supplies", "nvidia", "coreweave")
('coreweave', 'nvidia')
>>> money_flow("partner_of", "google", "fluidstack") is None
True
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Literal

from dealgraph.model.errors import ModelError
from dealgraph.model.values import figure_when, period_end

Flow = Literal["forward", "reverse", "none"]
Exposure = Literal["source", "target", "none"]
Measure = Literal["amount_usd", "percent"]


@dataclass(frozen=True)
class EntityKind:
    name: str
    label: str
    color: str


@dataclass(frozen=True)
class RelationshipKind:
    name: str
    reads_as: str
    money_flows: Flow
    neo4j_type: str
    color: str
    exposure: Exposure = "none"  # who loses when the other side fails (analyses/stress.py)
    exposure_reads_as: str = ""
    #: A puts money into B (equity or a loan).
    funding: bool = False
    #: A is B's creditor by a loan.
    lending: bool = False
    #: B grants A equity (warrants, shares as consideration): the value moves as B's shares, not cash.
    grant: bool = False
    #: Which side buys when the deal is a purchase ("source" or "target"), else None.
    buyer: str | None = None
    #: What A and B are to each other (a word or None for each).
    parties: tuple[str | None, str | None] = (None, None)

    def sale(self, source: str, target: str) -> tuple[str, str] | None:
        """``(vendor, customer)`` when a deal of this kind is a purchase, else ``None``."""
        if self.buyer == "source":
            return target, source
        if self.buyer == "target":
            return source, target
        return None


#: Field types a record's field may have (see ``records`` in schema.yaml).
FIELD_TYPES = ("id", "text", "url", "date", "period", "usd", "percent", "names", "entity_ref",
               "deal_ref", "entity_kind", "relationship_kind", "figure_kind", "choice")
#: The types whose value is free text as far as validation goes (no grammar of their own).
TEXT_TYPES = ("text", "url", "deal_ref")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record type, as ``records`` in schema.yaml describes it."""

    name: str
    type: str
    required: bool = False
    since: int = 1  # the SQLite store version that added its column
    values: tuple[str, ...] = ()  # a choice's allowed values


@dataclass(frozen=True)
class FigureKind:
    name: str
    label: str
    measure: Measure
    counterparty: bool = False


@dataclass(frozen=True)
class Schema:
    entity_kinds: dict[str, EntityKind]
    relationship_kinds: dict[str, RelationshipKind]
    figure_kinds: dict[str, FigureKind] = field(default_factory=dict)
    #: ``{"entity" | "relationship" | "figure": (FieldSpec, ...)}``, in record order.
    records: dict[str, tuple[FieldSpec, ...]] = field(default_factory=dict)
    #: The fields a loop hop, path or query row lists for each deal, in order.
    deal_listing: tuple[str, ...] = ()

    def fields(self, record: str) -> tuple[FieldSpec, ...]:
        return self.records[record]

    def field_names(self, record: str, *types: str) -> tuple[str, ...]:
        """The names of ``record``'s fields (only those of ``types``, when given), in order."""
        return tuple(f.name for f in self.records[record] if not types or f.type in types)

    def kinds_with(self, role: str) -> list[str]:
        """Relationship kinds with ``role`` (``funding``, ``lending``, ``grant`` or
        ``purchase``), in schema order."""
        if role == "purchase":
            return [k.name for k in self.relationship_kinds.values() if k.buyer is not None]
        return [k.name for k in self.relationship_kinds.values() if getattr(k, role)]

    def entity_kind(self, name: str) -> EntityKind:
        try:
            return self.entity_kinds[name]
        except KeyError:
            raise ModelError(
                f"unknown entity kind {name!r}{_kind_hint(name, self.entity_kinds)}; allowed: {', '.join(self.entity_kinds)}"
            ) from None

    def relationship_kind(self, name: str) -> RelationshipKind:
        try:
            return self.relationship_kinds[name]
        except KeyError:
            raise ModelError(
                f"unknown relationship kind {name!r}{_kind_hint(name, self.relationship_kinds)}; allowed: {', '.join(self.relationship_kinds)}"
            ) from None

    def figure_kind(self, name: str) -> FigureKind:
        try:
            return self.figure_kinds[name]
        except KeyError:
            raise ModelError(
                f"unknown figure kind {name!r}{_kind_hint(name, self.figure_kinds)}; allowed: {', '.join(self.figure_kinds)}"
            ) from None

    def kinds_flowing(self, flow: Flow) -> list[str]:
        """Relationship kinds whose money moves in ``flow`` direction, in schema order."""
        return [k.name for k in self.relationship_kinds.values() if k.money_flows == flow]

    def kinds_exposing(self, side: str) -> list[str]:
        """Relationship kinds whose ``side`` ("source" or "target") is the creditor exposed
        to the other side (see :func:`exposure`), in schema order."""
        return [k.name for k in self.relationship_kinds.values() if k.exposure == side]


@cache
def schema() -> Schema:
    """The model, parsed once from ``schema.yaml`` and checked for consistency."""
    import yaml

    text = resources.files("dealgraph.model").joinpath("schema.yaml").read_text("utf-8")
    # LibYAML's loader when PyYAML has it: the same data, in a tenth of the time.
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entity_kinds = {
        name: EntityKind(name=name, label=spec["label"], color=spec["color"])
        for name, spec in raw["entity_kinds"].items()
    }
    relationship_kinds = {}
    for name, spec in raw["relationship_kinds"].items():
        spec = dict(spec)
        if "parties" in spec:
            spec["parties"] = tuple(spec["parties"])
        kind = RelationshipKind(name=name, **spec)
        if kind.buyer not in (None, "source", "target"):
            raise ModelError(f"schema.yaml: {name}: buyer must be source or target")
        if kind.money_flows not in ("forward", "reverse", "none"):
            raise ModelError(f"schema.yaml: {name}: money_flows must be forward, reverse or none")
        if kind.exposure not in ("source", "target", "none"):
            raise ModelError(f"schema.yaml: {name}: exposure must be source, target or none")
        if not kind.neo4j_type.replace("_", "").isalnum() or not kind.neo4j_type.isupper():
            raise ModelError(f"schema.yaml: {name}: neo4j_type must be UPPER_SNAKE_CASE")
        relationship_kinds[name] = kind
    figure_kinds = {}
    for name, spec in (raw.get("figure_kinds") or {}).items():
        kind = FigureKind(name=name, **spec)
        if kind.measure not in ("amount_usd", "percent"):
            raise ModelError(f"schema.yaml: {name}: measure must be amount_usd or percent")
        figure_kinds[name] = kind
    records = {}
    for record, specs in raw["records"].items():
        records[record] = tuple(
            FieldSpec(name=name, **{**spec, "values": tuple(spec.get("values", ()))})
            for name, spec in specs.items()
        )
        for f in records[record]:
            if f.type not in FIELD_TYPES:
                raise ModelError(f"schema.yaml: records.{record}.{f.name}: unknown type {f.type!r}")
    listing = tuple(raw["deal_listing"])
    unknown = set(listing) - {f.name for f in records["relationship"]}
    if unknown:
        raise ModelError(f"schema.yaml: deal_listing names no field {sorted(unknown)}")
    return Schema(entity_kinds, relationship_kinds, figure_kinds, records, listing)


DEFAULT_ENTITY_KIND = "company"


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    kind: str = DEFAULT_ENTITY_KIND
    ticker: str | None = None
    country: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    lender_type: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        return d


@dataclass(frozen=True)
class Relationship:
    """One deal: ``source <kind> target``; ``source``/``target`` are entity ids."""

    id: str
    source: str
    kind: str
    target: str
    amount_usd: float | None = None
    amount_note: str | None = None
    date: str | None = None
    summary: str | None = None
    evidence_url: str | None = None
    evidence_title: str | None = None
    #: Lineage (see :mod:`dealgraph.model.lineage`): the id of the deal this one replaces, whose
    #: amount then no longer counts anywhere ...
    supersedes: str | None = None
    #: ... and the id of the deal this one adds to (both amounts count).
    expands: str | None = None
    amount_low: float | None = None
    amount_high: float | None = None
    #: What the amount means (cash, commitment, facility, contract_total, stock, estimate).
    amount_basis: str | None = None
    #: Where the deal stands (talks, loi, signed, closed, stalled, terminated).
    status: str | None = None
    #: When the cited page reported the deal, when that differs from ``date``.
    reported: str | None = None
    term: str | None = None
    #: The source's sentence that states the number.
    evidence_quote: str | None = None
    published: str | None = None
    archive_url: str | None = None
    #: ``"yes"`` when ``evidence_title`` was rebuilt rather than the page's own headline.
    title_rebuilt: str | None = None

    def to_dict(self) -> dict:
        # Every field is a str, a float or None: a plain copy is what asdict() would give,
        # without its recursive deep copy (a tenth of the time; views and queries call this
        # for every deal).
        return {name: getattr(self, name) for name in _RELATIONSHIP_FIELDS}

    @property
    def money_flow(self) -> tuple[str, str] | None:
        return money_flow(self.kind, self.source, self.target)


_RELATIONSHIP_FIELDS = tuple(f.name for f in fields(Relationship))


def relationship_id(
    source: str,
    kind: str,
    target: str,
    amount_usd: float | None = None,
    amount_note: str | None = None,
    date: str | None = None,
    summary: str | None = None,
    evidence_url: str | None = None,
    evidence_title: str | None = None,
    supersedes: str | None = None,
    expands: str | None = None,
    *later: object,
    **named: object,
) -> str:
    """A stable id for a deal that came without one: a hash of its fields.

    The same deal (same resolved entity ids and fields) always gets the same id, so
    loading a file twice adds nothing. Fields after ``expands`` (positionally, in record
    order, or by name) enter the hash only when given, so a deal without them keeps the
    id it had before they existed.

    >>> relationship_id("nvidia", "invests_in", "coreweave", 1e8) == relationship_id(
    ...     "nvidia", "invests_in", "coreweave", 100000000)
    True
    >>> relationship_id("a", "lends_to", "b", 5.0) == relationship_id("a", "lends_to", "b", 5.0, status=None)
    True
    """
    fields = [source, kind, target, None if amount_usd is None else float(amount_usd),
              amount_note, date, summary, evidence_url, evidence_title]
    if supersedes is not None or expands is not None:
        # Only then: deals without lineage keep the ids they had before lineage existed.
        fields += [supersedes, expands]
    extra = dict(zip(_RELATIONSHIP_FIELDS[_FIRST_LATER:], later))
    extra.update(named)
    given = {k: v for k, v in sorted(extra.items()) if v is not None}
    if given:
        fields.append(given)
    canonical = json.dumps(
        fields,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return "r-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


_FIRST_LATER = _RELATIONSHIP_FIELDS.index("expands") + 1


@dataclass(frozen=True)
class Figure:
    """A dated figure about one entity: its revenue, debt, backlog, ... or the share of
    its revenue that one customer (``counterparty``) stands for.

    ``entity``/``counterparty`` are entity ids. The value is ``amount_usd`` or ``percent``
    (0-100), whichever the kind's ``measure`` says. ``period`` is the span the figure
    covers (``2024``, ``2025-Q2``, ``2025-H1``, ``2025-03``, ``2025/2028``); ``as_of`` the
    date it was true or stated on. At least one of the two is given.
    """

    id: str
    entity: str
    kind: str
    counterparty: str | None = None
    amount_usd: float | None = None
    percent: float | None = None
    period: str | None = None
    as_of: str | None = None
    note: str | None = None
    evidence_url: str | None = None
    evidence_title: str | None = None
    evidence_quote: str | None = None
    published: str | None = None
    archive_url: str | None = None
    title_rebuilt: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def when(self) -> str:
        """The date the figure speaks for, for ordering figures in time: ``as_of`` when
        given, else the last day of ``period`` (``2025-Q2`` -> ``2025-06-30``)."""
        return figure_when(self.period, self.as_of)

    @property
    def is_forecast(self) -> bool:
        """Stated before its period was over (guidance, an expected run rate): ``as_of``
        falls before the end of ``period``.

        >>> Figure("g", "coreweave", "revenue", amount_usd=1.2e10, period="2026", as_of="2026-03").is_forecast
        True
        """
        return bool(self.period and self.as_of and self.as_of < period_end(self.period))

    @property
    def value(self) -> float | None:
        return self.percent if schema().figure_kind(self.kind).measure == "percent" else self.amount_usd


#: Neo4j relationship types that tie a figure to its entity and its counterparty:
#: ``(:Entity)-[:HAS_FIGURE]->(:Figure)-[:COUNTERPARTY]->(:Entity)``.
FIGURE_LINK_TYPES = ("HAS_FIGURE", "COUNTERPARTY")

def figure_id(
    entity: str,
    kind: str,
    counterparty: str | None = None,
    amount_usd: float | None = None,
    percent: float | None = None,
    period: str | None = None,
    as_of: str | None = None,
    note: str | None = None,
    evidence_url: str | None = None,
    evidence_title: str | None = None,
    **later: object,
) -> str:
    """A stable id for a figure that came without one: a hash of its fields (as for deals;
    fields after ``evidence_title`` enter only when given).

    >>> figure_id("coreweave", "revenue", amount_usd=1.92e9, period="2024") == figure_id(
    ...     "coreweave", "revenue", amount_usd=1920000000, period="2024")
    True
    """
    fields = [entity, kind, counterparty, None if amount_usd is None else float(amount_usd),
              None if percent is None else float(percent), period, as_of, note, evidence_url,
              evidence_title]
    given = {k: v for k, v in sorted(later.items()) if v is not None}
    if given:
        fields.append(given)
    canonical = json.dumps(
        fields,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return "f-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def money_flow(kind: str, source: str, target: str) -> tuple[str, str] | None:
    """``(payer, payee)`` for a deal of ``kind`` between ``source`` and ``target``,
    or ``None`` when the kind moves no money."""
    flow = schema().relationship_kind(kind).money_flows
    if flow == "forward":
        return source, target
    if flow == "reverse":
        return target, source
    return None


def exposure(kind: str, source: str, target: str) -> tuple[str, str] | None:
    """``(creditor, obligor)`` for a deal of ``kind``: the creditor loses the deal's amount
    when the obligor fails; ``None`` when the kind creates no such exposure.

    >>> exposure("lends_to", "blue-owl", "crusoe")
    ('blue-owl', 'crusoe')
    >>> exposure("customer_of", "openai", "oracle")
    ('oracle', 'openai')
    """
    side = schema().relationship_kind(kind).exposure
    if side == "source":
        return source, target
    if side == "target":
        return target, source
    return None


def _kind_hint(name: str, kinds) -> str:
    """``" (did you mean invests_in?)"`` when ``name`` is a kind written with another case,
    spaces or hyphens (``invests in``, ``Invests-In``); the kind itself is not accepted."""
    folded = "_".join(re.split(r"[\s_-]+", name.strip().casefold()))
    return f" (did you mean {folded}?)" if folded in kinds and folded != name else ""
