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
from dealgraph.analyses.concentration import memberships
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
    superseded = superseded_by(relationships, store.include_talks)
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
    members = syndicate_members(relationships, superseded, names)
    lent = _lent(relationships, superseded)
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
        "lender_concentration": lender_concentration(lenders, members, lent),
        "through_syndicates": through_syndicates(eid, relationships, superseded, names),
    }


def syndicate_members(relationships, superseded, names: dict[str, str]) -> dict[str, list[dict]]:
    """``{syndicate: [{member, member_name, share_usd, deal}, ...]}`` from the ``member_of``
    deals that count (:func:`dealgraph.analyses.concentration.memberships`), in member-id order; ``share_usd`` is the member's own share (its
    ``member_of`` amount) or None when not disclosed."""
    return {g: [{"member": r.source, "member_name": names[r.source], "share_usd": r.amount_usd, "deal": r.id}
                for r in deals]
            for g, deals in memberships(relationships, superseded).items()}


def _lent(relationships, superseded) -> dict[str, float | None]:
    """Each lender's known lending over every borrower (deals that count, deal-id order)."""
    lending = set(schema().kinds_with("lending"))
    out: dict[str, list] = {}
    for r in relationships:
        if r.kind in lending and r.source != r.target and r.id not in superseded:
            out.setdefault(r.source, []).append(r.amount_usd)
    return {k: _known_sum(v) for k, v in out.items()}


def through_syndicates(eid: str, relationships, superseded, names: dict[str, str]) -> dict | None:
    """What the syndicates, rounds and groups ``eid`` is a member of put up: per group, its
    own deals that count (all but its own ``member_of`` rows; ``funding`` says whether the
    deal lends or invests: lends_to, invests_in) and ``eid``'s share (its ``member_of``
    amount, None when not disclosed; ``share_high`` a stated ceiling); then what the groups
    lent or invested as known (the groups' money, not ``eid``'s) and the known part that is
    ``eid``'s own. None when ``eid`` is a member of nothing."""
    moving = set(schema().kinds_with("funding"))
    mine = [r for deals in memberships(relationships, superseded).values() for r in deals if r.source == eid]
    if not mine:
        return None
    groups = []
    for m in sorted(mine, key=lambda r: (r.target, r.id)):
        deals = [
            {"id": r.id, "kind": r.kind, "counterparty": r.target, "counterparty_name": names[r.target],
             "amount_usd": r.amount_usd, "date": r.date, "status": r.status, "funding": r.kind in moving}
            for r in relationships
            if r.source == m.target and r.kind != "member_of" and r.target != m.target and r.id not in superseded
        ]
        groups.append({
            "syndicate": m.target, "syndicate_name": names[m.target], "membership": m.id,
            "share_usd": m.amount_usd, "share_high": m.amount_high, "share_note": m.amount_note, "deals": deals,
            "syndicate_known_usd": _known_sum(d["amount_usd"] for d in deals if d["funding"]),
        })
    return {
        "syndicates": groups,
        "syndicates_known_usd": _known_sum(g["syndicate_known_usd"] for g in groups),
        "own_known_usd": _known_sum(g["share_usd"] for g in groups),
        "shares_not_disclosed": sum(g["share_usd"] is None for g in groups),
    }


def lender_concentration(lenders: list[dict], members: dict[str, list[dict]] | None = None,
                         lent: dict[str, float | None] | None = None) -> dict | None:
    """Top lender's share (percent) of the known lending, and the HHI of the lenders'
    shares (0-10,000), from ``[{lender, lender_name, total_usd, ...}]``; None when no
    amount is known.

    A lender that is a syndicate stays one row (its share is real) and names its
    ``members`` (from :func:`syndicate_members`). When every syndicate among the lenders has
    every member's share known, ``institutions`` is the same measure per institution: each
    member gets the part of the syndicate's loan here that its share is of everything the
    syndicate lent (``lent``), any part no named member holds stays with the syndicate, and an
    institution lending directly and through syndicates is added up. Otherwise ``institutions``
    is None.

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
    members = members or {}
    for s in shares:
        s["members"] = members.get(s["lender"], [])
    out = {
        "basis": "known loan amounts",
        "top_lender": top["lender"], "top_lender_name": top["lender_name"],
        "top_share_pct": top["share_pct"], "hhi": hhi, "known_usd": total,
        "lenders": shares, "institutions": None,
    }
    syndicates = [s for s in shares if s["members"]]
    if syndicates and all(m["share_usd"] is not None for s in syndicates for m in s["members"]):
        held: dict[str, dict] = {}

        def add(lender: str, name: str, amount: float) -> None:
            row = held.setdefault(lender, {"lender": lender, "lender_name": name, "total_usd": 0.0})
            row["total_usd"] += amount

        for s in sorted(shares, key=lambda s: s["lender"]):
            if not s["members"]:
                add(s["lender"], s["lender_name"], s["total_usd"])
                continue
            # the shares are of all the syndicate lent (never less than the shares themselves)
            whole = max((lent or {}).get(s["lender"]) or s["total_usd"], sum(m["share_usd"] for m in s["members"]))
            placed = 0.0
            for m in s["members"]:
                part = s["total_usd"] * m["share_usd"] / whole
                placed += part
                add(m["member"], m["member_name"], part)
            if s["total_usd"] - placed > 1e-6 * s["total_usd"]:
                add(s["lender"], f"{s['lender_name']} (members not named)", s["total_usd"] - placed)
        view = lender_concentration(list(held.values()))
        out["institutions"] = {k: view[k] for k in ("top_lender", "top_lender_name", "top_share_pct", "hhi", "lenders")}
        for row in out["institutions"]["lenders"]:
            del row["members"]
    return out


def _known_sum(amounts) -> float | None:
    total = None
    for a in amounts:
        if a is not None:
            total = (0.0 if total is None else total) + a
    return total
