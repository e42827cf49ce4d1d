"""Customer concentration: how much of an entity's revenue hangs on its top customer.

For each entity with customers, the top customer's share (in percent) and the
Herfindahl-Hirschman index, HHI = the sum of the squared percent shares (0-10,000; one
customer with everything is 10,000). The basis is said on every row:

* ``stated revenue share`` - the entity's ``customer_share`` figures of their latest date
  (what its filings say each named customer was of all its revenue). With only some
  customers named, the HHI is a floor: the unnamed rest can only add to it.
* ``known contract values`` - otherwise, its customers' known contract values (the deals
  in which a customer pays it: ``C customer_of V``, ``C leases_from V``, ``V supplies C``;
  a superseded deal does not count),
  each customer's share of their sum. Headline contract values are multi-year ceilings,
  so this measures the contract book we know of, not revenue. Entities with fewer than
  ``min_customers`` known customers are left out: one known contract says nothing about
  how concentrated a business is.

A customer that is a group (an entity with ``member_of`` members that count, or of kind
``investor_group``: "Hyperscalers (Amazon, Alphabet, Meta, Microsoft, Oracle)") is not one
customer: its share is the group's, so the row says ``top_customer_group`` and how many
members the store names (``top_customer_members``), and when any share on the row is a
group's the HHI is None (a group's share squared is no customer's concentration, nor a floor).

Stated shares rank first (they measure revenue), then top share, then HHI (None last), then
entity id.
This module is the Python twin of ``cypher/concentration.cypher``; both add in the same
order so the two engines give identical floats.

>>> from dealgraph.model.records import Entity, Relationship
>>> es = [Entity("v", "V"), Entity("a", "A"), Entity("b", "B")]
>>> deals = [Relationship("d1", "a", "customer_of", "v", 75.0), Relationship("d2", "v", "supplies", "b", 25.0)]
>>> [(r["entity"], r["top_customer"], r["top_share_pct"], r["hhi"]) for r in concentration(es, deals, [])]
[('v', 'a', 75.0, 6250.0)]
>>> es.append(Entity("m", "M")); deals.append(Relationship("d3", "m", "member_of", "a"))
>>> [(r["top_customer"], r["top_customer_group"], r["top_customer_members"], r["hhi"]) for r in concentration(es, deals, [])]
[('a', True, 1, None)]
"""

from __future__ import annotations

from typing import Iterable

from dealgraph.model.lineage import superseded_by
from dealgraph.model.records import Entity, Figure, Relationship, schema

STATED = "stated revenue share"
CONTRACTS = "known contract values"

COLUMNS = (
    "entity", "name", "basis", "period", "top_customer", "top_customer_name", "top_share_pct",
    "hhi", "customers", "evidence_title", "evidence_url", "top_customer_group", "top_customer_members",
)

GROUP_KIND = "investor_group"


def memberships(relationships: Iterable[Relationship], superseded) -> dict[str, list[Relationship]]:
    """``{group: its member_of deals that count}`` (``superseded``: the deals that do not,
    from :func:`dealgraph.model.lineage.superseded_by`), each group's in (member, deal id)
    order. A membership that was superseded, or only talked of, or terminated makes no one a
    member: the one rule for what a syndicate, round or group is made of, for concentration
    here and for what ``show`` says of syndicates (:mod:`dealgraph.analyses.profile`)."""
    out: dict[str, list[Relationship]] = {}
    for r in relationships:
        if r.kind == "member_of" and r.source != r.target and r.id not in superseded:
            out.setdefault(r.target, []).append(r)
    return {g: sorted(m, key=lambda r: (r.source, r.id)) for g, m in out.items()}


def group_members(entities: Iterable[Entity], relationships: Iterable[Relationship],
                  include_talks: bool = False) -> dict[str, int]:
    """``{group: number of distinct members}`` for every entity that is a group: one with
    members (:func:`memberships`), or of kind ``investor_group`` (0 when no member is
    named)."""
    relationships = list(relationships)
    members: dict[str, set[str]] = {e.id: set() for e in entities if e.kind == GROUP_KIND}
    for g, deals in memberships(relationships, superseded_by(relationships, include_talks)).items():
        members.setdefault(g, set()).update(r.source for r in deals)
    return {g: len(m) for g, m in members.items()}


def customer_pair(r: Relationship) -> tuple[str, str] | None:
    """``(vendor, customer)`` when the deal has the customer paying the vendor."""
    if r.source == r.target:
        return None
    return schema().relationship_kind(r.kind).sale(r.source, r.target)


def stated_shares(figures: Iterable[Figure], names: dict[str, str]) -> dict[str, list[dict]]:
    """``{entity: [share, ...]}`` from ``customer_share`` figures of each entity's latest
    date, one per customer (the larger, then the smaller figure id), in customer-id order."""
    shares = [f for f in figures if f.kind == "customer_share" and f.counterparty is not None]
    latest: dict[str, str] = {}
    for f in shares:
        latest[f.entity] = max(latest.get(f.entity, ""), f.when)
    chosen: dict[tuple[str, str], Figure] = {}
    for f in sorted(shares, key=lambda f: (-f.percent, f.id)):
        if f.when == latest[f.entity]:
            chosen.setdefault((f.entity, f.counterparty), f)
    out: dict[str, list[dict]] = {}
    for (entity, customer), f in sorted(chosen.items()):
        out.setdefault(entity, []).append({
            "customer": customer, "name": names[customer], "pct": f.percent,
            "period": f.period or f.as_of, "evidence_title": f.evidence_title,
            "evidence_url": f.evidence_url,
        })
    return out


def contract_values(
    relationships: Iterable[Relationship], include_talks: bool = False
) -> dict[str, dict[str, float]]:
    """``{vendor: {customer: known contract value}}``: amounts added in deal-id order;
    customers with no known amount, and deals that do not count (superseded, in talks or
    terminated unless ``include_talks``: model/lineage.py), are left out."""
    relationships = sorted(relationships, key=lambda r: r.id)
    superseded = superseded_by(relationships, include_talks)
    out: dict[str, dict[str, float]] = {}
    for r in relationships:
        pair = customer_pair(r)
        if pair is None or r.amount_usd is None or r.id in superseded:
            continue
        vendor, customer = pair
        book = out.setdefault(vendor, {})
        book[customer] = book.get(customer, 0.0) + float(r.amount_usd)
    return out


def concentration(
    entities: Iterable[Entity],
    relationships: Iterable[Relationship],
    figures: Iterable[Figure],
    entity: str | None = None,
    min_customers: int = 1,
    include_talks: bool = False,
) -> list[dict]:
    """One row per entity with customers (or only ``entity``), ranked; see the module doc."""
    entities = list(entities)
    relationships = list(relationships)
    names = {e.id: e.name for e in entities}
    groups = group_members(entities, relationships, include_talks)
    stated = stated_shares(figures, names)
    contracts = contract_values(relationships, include_talks)
    rows = []
    for v in sorted(names):
        if entity is not None and v != entity:
            continue
        if v in stated:
            basis, shares = STATED, stated[v]
        else:
            book = sorted(contracts.get(v, {}).items())
            total = 0.0
            for _, amount in book:
                total += amount
            if not book or not total > 0 or len(book) < min_customers:
                continue
            basis = CONTRACTS
            shares = [
                {"customer": c, "name": names[c], "pct": 100.0 * amount / total, "period": None,
                 "evidence_title": None, "evidence_url": None}
                for c, amount in book
            ]
        top = None
        hhi = 0.0
        for share in shares:
            if top is None or share["pct"] > top["pct"]:
                top = share
            hhi += share["pct"] * share["pct"]
        if any(share["customer"] in groups for share in shares):
            hhi = None
        rows.append({
            "entity": v, "name": names[v], "basis": basis, "period": top["period"],
            "top_customer": top["customer"], "top_customer_name": top["name"],
            "top_share_pct": top["pct"], "hhi": hhi, "customers": len(shares),
            "evidence_title": top["evidence_title"], "evidence_url": top["evidence_url"],
            "top_customer_group": top["customer"] in groups,
            "top_customer_members": groups.get(top["customer"], 0),
        })
    rows.sort(key=lambda r: (r["basis"] != STATED, -r["top_share_pct"], r["hhi"] is None, -(r["hhi"] or 0.0), r["entity"]))
    return rows
