"""Deals picked by their fields, counted and summed, optionally in groups: ``dealgraph deals``.

The questions a story asks of the deals themselves ("how much of CoreWeave's debt is
private credit, bank or bond market?") are a filter and a grouping: by kind, by entity
(either side, or as source or target), by the kind or lender type of the *counterparty*
(the other side of a deal from the entity asked about), by status, period and amount.

Every deal that matches is listed; only the deals that count are summed, by the one rule of
:mod:`dealgraph.model.lineage` (a superseded deal is listed, marked, and adds nothing).
Works on any :class:`dealgraph.stores.base.Store`, so both engines give the same answer; the
period is the store's (see :func:`dealgraph.stores.period.deals_in_period`).

>>> from dealgraph.model.records import Entity, Relationship
>>> import tempfile, pathlib
>>> from dealgraph.stores.sqlite_store import SQLiteStore
>>> folder = tempfile.TemporaryDirectory()
>>> store = SQLiteStore(pathlib.Path(folder.name) / "deals.db")
>>> store.write(
...     [Entity("bank", "Bank", "lender", lender_type="bank"), Entity("fund", "Fund", "lender",
...      lender_type="private_credit"), Entity("cw", "CW", "neocloud")],
...     [Relationship("a", "bank", "lends_to", "cw", 2e9), Relationship("b", "fund", "lends_to", "cw", 5e9),
...      Relationship("c", "fund", "lends_to", "cw", 7e9, supersedes="b")])
>>> result = find_deals(store, DealFilter(kinds=("lends_to",), target="cw"), group_by="lender-type")
>>> [(g["group"], g["deals"], g["counted_deals"], g["amount_usd"]) for g in result["groups"]]
[('private_credit', 2, 1, 7000000000.0), ('bank', 1, 1, 2000000000.0)]
>>> result["total"]["amount_usd"]
9000000000.0
>>> store.close(); folder.cleanup()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dealgraph.analyses.cycles import deal_summary
from dealgraph.model.errors import QueryError
from dealgraph.model.lineage import counting_deals, superseded_by
from dealgraph.model.records import Entity, Relationship, schema
from dealgraph.stores.base import Store

__all__ = ["GROUPS", "DealFilter", "find_deals"]

#: What ``--group-by`` can group by; counterparty groups need the entity asked about.
GROUPS = ("source", "target", "kind", "counterparty-kind", "lender-type", "year", "status")

#: The columns of a group row, in order (``relationships``: the group's deals, listed).
GROUP_COLUMNS = ("group", "deals", "counted_deals", "amount_usd", "share", "unknown_amount_deals", "relationships")
TOTAL_COLUMNS = ("deals", "counted_deals", "amount_usd", "unknown_amount_deals")


@dataclass(frozen=True)
class DealFilter:
    """Which deals to pick; every field left empty picks every deal.

    Entity fields hold entity ids (resolve references first, :meth:`Store.resolve`). A
    deal with no known amount is left out when an amount bound is given.
    """

    kinds: tuple[str, ...] = ()
    entity: str | None = None  # either side
    source: str | None = None
    target: str | None = None
    counterparty_kinds: tuple[str, ...] = ()
    lender_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    min_amount: float | None = None
    max_amount: float | None = None

    @property
    def asked_about(self) -> str | None:
        """Which side the entity asked about is on: ``entity``, ``source``, ``target`` or None
        (no counterparty then: none named, or both ends named)."""
        if self.entity is not None:
            return "entity"
        if (self.source is None) != (self.target is None):
            return "source" if self.source is not None else "target"
        return None

    def check(self, group_by: str | None = None) -> None:
        """Raise :class:`QueryError` (one line) for a value the model does not know or a
        combination that asks nothing."""
        model = schema()
        for kind in self.kinds:
            model.relationship_kind(kind)
        for kind in self.counterparty_kinds:
            model.entity_kind(kind)
        _check_choice("lender type", self.lender_types, _choices("entity", "lender_type"))
        _check_choice("status", self.statuses, _choices("relationship", "status"))
        if self.entity is not None and (self.source is not None or self.target is not None):
            raise QueryError("give the entity either on both sides (--entity) or as --source / --target, not both")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise QueryError("the minimum amount is above the maximum amount")
        if group_by is not None and group_by not in GROUPS:
            raise QueryError(f"unknown grouping {group_by!r}; allowed: {', '.join(GROUPS)}")
        wants_counterparty = self.counterparty_kinds or self.lender_types or group_by in (
            "counterparty-kind", "lender-type")
        if wants_counterparty and self.asked_about is None:
            raise QueryError("a counterparty (its kind or lender type) is the other side from one entity: "
                             "give --entity, or one of --source / --target")

    def counterparty(self, deal: Relationship) -> str | None:
        """The id of the deal's other side from the entity asked about."""
        side = self.asked_about
        if side == "entity":
            return deal.target if deal.source == self.entity else deal.source
        if side == "source":
            return deal.target
        if side == "target":
            return deal.source
        return None

    def keeps(self, deal: Relationship, entities: dict[str, Entity]) -> bool:
        if self.kinds and deal.kind not in self.kinds:
            return False
        if self.entity is not None and self.entity not in (deal.source, deal.target):
            return False
        if self.source is not None and deal.source != self.source:
            return False
        if self.target is not None and deal.target != self.target:
            return False
        if self.statuses and deal.status not in self.statuses:
            return False
        if self.min_amount is not None or self.max_amount is not None:
            if deal.amount_usd is None:
                return False
            if self.min_amount is not None and deal.amount_usd < self.min_amount:
                return False
            if self.max_amount is not None and deal.amount_usd > self.max_amount:
                return False
        if self.counterparty_kinds or self.lender_types:
            other = entities.get(self.counterparty(deal))
            if self.counterparty_kinds and (other is None or other.kind not in self.counterparty_kinds):
                return False
            if self.lender_types and (other is None or other.lender_type not in self.lender_types):
                return False
        return True


def find_deals(store: Store, where: DealFilter = DealFilter(), group_by: str | None = None) -> dict:
    """The deals of ``store`` that ``where`` picks, with what they add up to.

    Returns ``{"group_by": group_by, "deals": [listing, ...], "groups": [row, ...],
    "total": {deals, counted_deals, amount_usd, unknown_amount_deals}}``. A listing is the
    deal's fields (:data:`dealgraph.analyses.cycles.DEAL_KEYS`) plus ``counted``; deals come
    in date order (undated last), then id. ``groups`` is empty without ``group_by``; a group
    row (:data:`GROUP_COLUMNS`) holds its deals, their counts, the known sum of those that
    count, its ``share`` of the total sum and its deals' listings; groups come largest sum
    first (groups with no known amount last), then by name. ``amount_usd`` is None when no
    counted deal has a known amount. A group key that the data leaves open (no date, no
    status, no lender type) is None. Deals in talks or terminated count only when the store
    says so (``store.include_talks``, the CLI's ``--include-talks``), as everywhere.
    """
    where.check(group_by)
    relationships = store.relationships()
    counting = {r.id for r in counting_deals(relationships, store.include_talks)}
    replaced = superseded_by(relationships, store.include_talks)
    entities = {e.id: e for e in store.entities()}
    picked = [r for r in relationships if where.keeps(r, entities)]
    picked.sort(key=lambda r: (r.date is None, r.date or "", r.id))

    listings = {}
    for r in picked:
        listing = deal_summary(r.to_dict(), replaced.get(r.id, ()))
        listing["counted"] = r.id in counting
        listings[r.id] = listing
    total = _tally([listings[r.id] for r in picked])

    groups = []
    if group_by is not None:
        key = _group_key(group_by, where, entities)
        members: dict = {}
        for r in picked:
            members.setdefault(key(r), []).append(listings[r.id])
        for name, deals in members.items():
            row = {"group": name, **_tally(deals)}
            row["share"] = (row["amount_usd"] / total["amount_usd"]
                            if row["amount_usd"] is not None and total["amount_usd"] else None)
            row["relationships"] = deals
            groups.append({c: row[c] for c in GROUP_COLUMNS})
        groups.sort(key=lambda g: (g["amount_usd"] is None, -(g["amount_usd"] or 0.0), g["group"] is None,
                                   g["group"] or ""))
    return {"group_by": group_by, "deals": list(listings.values()), "groups": groups, "total": total}


def _tally(deals: list[dict]) -> dict:
    counted = [d for d in deals if d["counted"]]
    known = [d["amount_usd"] for d in counted if d["amount_usd"] is not None]
    amount = None
    for a in known:  # added in listing order, so both engines add the same floats the same way
        amount = a if amount is None else amount + a
    return {"deals": len(deals), "counted_deals": len(counted), "amount_usd": amount,
            "unknown_amount_deals": len(counted) - len(known)}


def _group_key(group_by: str, where: DealFilter, entities: dict[str, Entity]) -> Callable[[Relationship], str | None]:
    def counterparty(r: Relationship) -> Entity | None:
        return entities.get(where.counterparty(r))

    return {
        "source": lambda r: r.source,
        "target": lambda r: r.target,
        "kind": lambda r: r.kind,
        "status": lambda r: r.status,
        "year": lambda r: r.date[:4] if r.date else None,
        "counterparty-kind": lambda r: getattr(counterparty(r), "kind", None),
        "lender-type": lambda r: getattr(counterparty(r), "lender_type", None),
    }[group_by]


def _choices(record: str, field: str) -> tuple[str, ...]:
    return next(f.values for f in schema().fields(record) if f.name == field)


def _check_choice(what: str, given, allowed) -> None:
    for value in given:
        if value not in allowed:
            raise QueryError(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
