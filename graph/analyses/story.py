"""What stands out in a store: the story the news told, computed from the data.

:func:`what_stands_out` picks the numbers the demo tells after loading - one entity's
ties with the counterparties that play several roles toward it (Nvidia as CoreWeave's
supplier, investor and customer), its top customer's stated share of its revenue over
time against what the known contracts alone would say, its debt and lease obligations
against its revenue, the largest loops by money and the most concentrated entities.
Every number comes from the store (figures, deals, the canned queries), so both
engines tell the same story.
"""

from __future__ import annotations

from dealgraph.model.lineage import superseded_by
from dealgraph.model.records import Figure, schema
from dealgraph.analyses.queries import run_query
from dealgraph.stores.base import Store

#: Roles a counterparty plays toward the subject, by deal kind and direction:
#: (kind, counterparty is the deal's source) -> role.
#: (The words are the kinds' ``parties`` in schema.yaml.)
ROLES = {
    (kind.name, is_source): word
    for kind in schema().relationship_kinds.values()
    for is_source, word in zip((True, False), kind.parties) if word
}
ROLE_ORDER = ("supplier", "investor", "lender", "warrant holder", "shareholder", "customer", "landlord")


def what_stands_out(store: Store, subject: str, cycles: list[dict], top: int = 3) -> dict:
    """The story around entity id ``subject``, plus the ``top`` loops (from ``cycles``, in
    rank order) and the ``top`` most concentrated entities."""
    names = {e.id: e.name for e in store.entities()}
    figures = store.figures(entity=subject)
    return {
        "subject": subject,
        "subject_name": names[subject],
        "entangled": entangled(store, subject, names),
        "customer_share": customer_share_story(store, subject, figures, names),
        "obligations": obligations(figures),
        "largest_loops": [c for c in cycles if c["min_amount_usd"] is not None][:top],
        "most_concentrated": run_query(store, "concentration")[:top],
    }


def entangled(store: Store, subject: str, names: dict[str, str]) -> list[dict]:
    """Counterparties playing two or more roles toward ``subject``, most roles first,
    with the deals and the known amount of those that count behind each role."""
    by_party: dict[str, dict[str, list]] = {}
    relationships = store.relationships()
    superseded = superseded_by(relationships, store.include_talks)
    for r in relationships:
        if r.source == r.target or subject not in (r.source, r.target):
            continue
        other_is_source = r.target == subject
        other = r.source if other_is_source else r.target
        role = ROLES.get((r.kind, other_is_source))
        if role is not None:
            by_party.setdefault(other, {}).setdefault(role, []).append(r)
    out = []
    for party, roles in by_party.items():
        if len(roles) < 2:
            continue
        out.append({
            "entity": party,
            "name": names[party],
            "roles": [
                {"role": role, "deals": [r.id for r in roles[role]],
                 # a superseded deal is named but adds nothing (graph/lineage.py)
                 "known_usd": _known_sum(r.amount_usd for r in sorted(roles[role], key=lambda r: r.id)
                                         if r.id not in superseded),
                 # what that sum is made of: [amount, amount_basis] of each deal that counts
                 # ("$350M in stock" is not cash paid; model/values.py usd_by_basis)
                 "known_by_basis": [[r.amount_usd, r.amount_basis] for r in sorted(roles[role], key=lambda r: r.id)
                                    if r.id not in superseded and r.amount_usd is not None]}
                for role in ROLE_ORDER if role in roles
            ],
        })
    out.sort(key=lambda p: (-len(p["roles"]), p["entity"]))
    return out


def customer_share_story(store: Store, subject: str, figures: list[Figure], names: dict[str, str]) -> dict | None:
    """The subject's top customer by stated revenue share: that customer's share over time,
    and its share by known contract values alone (the figure a deal list would suggest)."""
    shares = [f for f in figures if f.kind == "customer_share" and f.counterparty]
    if not shares:
        return None
    latest = max(f.when for f in shares)
    top = max((f for f in shares if f.when == latest), key=lambda f: (f.percent, f.counterparty))
    history = sorted((f for f in shares if f.counterparty == top.counterparty), key=lambda f: (f.when, f.id))
    by_contracts = None
    for row in run_query(store, "customer-concentration", {"vendor": subject}):
        if row["customer"] == top.counterparty and row["share"] is not None:
            by_contracts = 100.0 * row["share"]
    return {
        "customer": top.counterparty,
        "customer_name": names[top.counterparty],
        "history": [
            {"period": f.period or f.as_of, "percent": f.percent, "evidence_title": f.evidence_title,
             "evidence_url": f.evidence_url}
            for f in history
        ],
        "share_by_known_contracts_pct": by_contracts,
    }


def obligations(figures: list[Figure]) -> dict | None:
    """The latest full-year revenue that is not a forecast, and each debt (the latest) and
    lease-obligation figure against it."""
    revenue = [f for f in figures if f.kind == "revenue" and not f.is_forecast
               and f.period and len(f.period) == 4]
    if not revenue:
        return None
    base = max(revenue, key=lambda f: (f.when, f.id))
    debts = [f for f in figures if f.kind == "debt" and not f.is_forecast]
    against = []
    if debts:
        against.append(max(debts, key=lambda f: (f.when, f.id)))
    against += sorted((f for f in figures if f.kind == "lease_obligations"), key=lambda f: (f.when, f.id))
    return {
        "revenue": _figure(base),
        "against_revenue": [
            {**_figure(f), "times_revenue": f.amount_usd / base.amount_usd if base.amount_usd else None}
            for f in against
        ],
    }


def _figure(f: Figure) -> dict:
    return {"id": f.id, "kind": f.kind, "amount_usd": f.amount_usd, "period": f.period, "as_of": f.as_of,
            "note": f.note, "evidence_title": f.evidence_title, "evidence_url": f.evidence_url}


def _known_sum(amounts) -> float | None:
    total = None
    for a in amounts:
        if a is not None:
            total = (0.0 if total is None else total) + a
    return total
