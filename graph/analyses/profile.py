"""One entity's profile: what ``dealgraph show ENTITY`` prints.

Its figures over time, its deals in and out by kind (with amounts and evidence), the money
loops it is on, and how concentrated its customers and its lenders are. Everything comes
from the store through the canned queries (``circular-financing``, ``concentration``,
``customer-concentration``, ``lender-web``) - Cypher on Neo4j, their Python twins on the
embedded store - and the store's own reads, so both engines give the same profile.
"""

from __future__ import annotations

from dealgraph.model.lineage import superseded_by
from dealgraph.model.records import schema
from dealgraph.analyses.queries import cycles, run_query
from dealgraph.stores.base import Store

#: Longest loop listed on a profile, in hops.
PROFILE_MAX_LENGTH = 6

#: A deal as a profile lists it: every field but its two parties (the profile says which).
DEAL_FIELDS = tuple(n for n in schema().field_names("relationship") if n not in ("source", "target"))


def entity_profile(store: Store, ref: str, max_length: int = PROFILE_MAX_LENGTH) -> dict:
    """The profile of the entity ``ref`` names (id, name or alias), as plain data."""
    eid = store.resolve(ref)
    entities = {e.id: e for e in store.entities()}
    names = {i: e.name for i, e in entities.items()}
    figure_order = {k: n for n, k in enumerate(schema().figure_kinds)}

    def figure_row(f) -> dict:
        row = f.to_dict()
        row["when"] = f.when
        row["entity_name"] = names[f.entity]
        row["counterparty_name"] = names.get(f.counterparty) if f.counterparty else None
        return row

    figures = sorted(store.figures(entity=eid), key=lambda f: (figure_order.get(f.kind, 99), f.when, f.id))
    about = sorted(
        (f for f in store.figures() if f.counterparty == eid),
        key=lambda f: (f.entity, figure_order.get(f.kind, 99), f.when, f.id),
    )

    deals: dict[str, dict[str, list[dict]]] = {"out": {}, "in": {}}
    relationships = store.relationships()  # in deal-id order
    superseded = superseded_by(relationships)
    for r in relationships:
        for direction, mine, other in (("out", r.source, r.target), ("in", r.target, r.source)):
            if mine != eid or (direction == "in" and r.source == r.target):
                continue
            deal = {k: getattr(r, k) for k in DEAL_FIELDS}
            deal.update(counterparty=other, counterparty_name=names[other],
                        reads=f"{names[r.source]} {r.kind} {names[r.target]}",
                        superseded_by=list(superseded.get(r.id, ())))
            deals[direction].setdefault(r.kind, []).append(deal)
    kind_order = {k: n for n, k in enumerate(schema().relationship_kinds)}
    deals = {
        direction: {
            kind: {"deals": sorted(items, key=lambda d: (d["date"] or "", d["id"])),
                   # a superseded deal is listed but does not count (graph/lineage.py)
                   "known_usd": _known_sum(d["amount_usd"] for d in items if not d["superseded_by"])}
            for kind, items in sorted(by_kind.items(), key=lambda kv: kind_order.get(kv[0], 99))
        }
        for direction, by_kind in deals.items()
    }

    loops = cycles(store, max_length=max_length, through=eid)
    concentration = run_query(store, "concentration", {"entity": eid})
    customers = [
        {k: row[k] for k in ("customer", "customer_name", "deals", "contract_usd", "share")}
        for row in run_query(store, "customer-concentration", {"vendor": eid})
    ]
    lenders = [
        {"lender": row["lender"], "lender_name": row["lender_name"], "deals": row["deals"],
         "total_usd": row["total_usd"]}
        for row in run_query(store, "lender-web", {"entity": eid})
        if row["borrower"] == eid
    ]
    return {
        "entity": entities[eid].to_dict(),
        "figures": [figure_row(f) for f in figures],
        "figures_as_counterparty": [figure_row(f) for f in about],
        "deals": deals,
        "loops": loops,
        "customer_concentration": concentration[0] if concentration else None,
        "customers": customers,
        "lender_concentration": lender_concentration(lenders),
    }


def lender_concentration(lenders: list[dict]) -> dict | None:
    """Top lender's share (percent) of the known lending, and the HHI of the lenders'
    shares (0-10,000), from ``[{lender, lender_name, total_usd, ...}]``; None when no
    amount is known.

    >>> r = lender_concentration([{"lender": "a", "lender_name": "A", "total_usd": 3.0},
    ...                           {"lender": "b", "lender_name": "B", "total_usd": 1.0}])
    >>> r["top_lender"], r["top_share_pct"], r["hhi"], r["known_usd"]
    ('a', 75.0, 6250.0, 4.0)
    """
    known = sorted((row for row in lenders if row["total_usd"] is not None), key=lambda row: row["lender"])
    total = 0.0
    for row in known:
        total += row["total_usd"]
    if not known or not total > 0:
        return None
    top, hhi = None, 0.0
    shares = []
    for row in known:
        pct = 100.0 * row["total_usd"] / total
        shares.append({"lender": row["lender"], "lender_name": row["lender_name"],
                       "total_usd": row["total_usd"], "share_pct": pct})
        if top is None or pct > top["share_pct"]:
            top = shares[-1]
        hhi += pct * pct
    shares.sort(key=lambda s: (-s["total_usd"], s["lender"]))
    return {
        "basis": "known loan amounts",
        "top_lender": top["lender"], "top_lender_name": top["lender_name"],
        "top_share_pct": top["share_pct"], "hhi": hhi, "known_usd": total,
        "lenders": shares,
    }


def _known_sum(amounts) -> float | None:
    total = None
    for a in amounts:
        if a is not None:
            total = (0.0 if total is None else total) + a
    return total
