"""Loop economics: who puts money into a loop and how much comes back; vendors' funded sales.

* For a loop, each entity *puts in* what it pays along its outgoing hop and *gets back*
  what reaches it along its incoming hop (both the known sums of the hop's deals).
  ``back_per_dollar`` is back / in, when both are known and in is above 0.
* For a vendor, its *known sales* are the known amounts of the deals in which a customer
  pays it (``supplies`` from the vendor, ``customer_of`` / ``leases_from`` to it: the same
  pairs as the ``customer-concentration`` query); a customer is *funded* by the vendor when
  the vendor invests in it or lends to it. ``share`` is the part of the known sales that
  came from funded customers.

Both are computed in Python from a store's deals, so both engines give the same answer.

>>> from dealgraph.model.records import Relationship
>>> deals = [Relationship("f1", "nvidia", "invests_in", "coreweave", 2.0),
...          Relationship("s1", "nvidia", "supplies", "coreweave", 6.0),
...          Relationship("s2", "nvidia", "supplies", "meta", 2.0)]
>>> [(r["vendor"], r["sales_usd"], r["funded_sales_usd"], r["share"]) for r in funded_sales(deals)]
[('nvidia', 8.0, 6.0, 0.75)]
"""

from __future__ import annotations

from typing import Iterable

from dealgraph.model.lineage import counting_deals
from dealgraph.model.records import Relationship, schema
from dealgraph.analyses.concentration import customer_pair  # the one definition of who pays whom as a customer

__all__ = ["FUNDING_KINDS", "funded_sales", "loop_economics"]

#: Deal kinds by which a vendor funds a customer.
FUNDING_KINDS = tuple(schema().kinds_with("funding"))


def loop_economics(cycle: dict) -> list[dict]:
    """For a loop in the shape of `dealgraph cycles --format json`: one row per entity, in loop order, with what it
    put in (its outgoing hop), what came back (its incoming hop) and their ratio."""
    hops = cycle["hops"]
    rows = []
    for i, entity in enumerate(cycle["nodes"]):
        put_in = hops[i]["amount_usd"]
        back = hops[i - 1]["amount_usd"]
        ratio = back / put_in if put_in and back is not None else None
        rows.append({"entity": entity, "put_in_usd": put_in, "came_back_usd": back, "back_per_dollar": ratio})
    return rows


def funded_sales(relationships: Iterable[Relationship], names: dict[str, str] | None = None,
                 vendor: str | None = None) -> list[dict]:
    """One row per vendor that funds at least one of its customers: its known sales, the
    part from customers it funded, that share, and what it put into them.

    Rows are ranked by share (largest first; unknown last), then funded sales, then id.
    ``relationships`` must come in a fixed order (stores give them by id) so the sums are
    the same on every engine.
    """
    relationships = counting_deals(relationships)
    names = names or {}
    sales: dict[str, dict[str, list[float | None]]] = {}
    funding: dict[tuple[str, str], list[float | None]] = {}
    for r in relationships:
        pair = customer_pair(r)
        if pair is not None:
            sales.setdefault(pair[0], {}).setdefault(pair[1], []).append(r.amount_usd)
        elif r.kind in FUNDING_KINDS and r.source != r.target:
            funding.setdefault((r.source, r.target), []).append(r.amount_usd)
    rows = []
    for v, customers in sales.items():
        if vendor is not None and v != vendor:
            continue
        funded = sorted(c for c in customers if (v, c) in funding)
        if not funded:
            continue
        total = _known_sum(a for c in sorted(customers) for a in customers[c])
        part = _known_sum(a for c in funded for a in customers[c])
        share = part / total if part is not None and total else None
        rows.append({
            "vendor": v, "vendor_name": names.get(v, v), "sales_usd": total, "funded_sales_usd": part,
            "share": share, "funded_customers": funded,
            "funding_usd": _known_sum(a for c in funded for a in funding[(v, c)]),
        })
    rows.sort(key=lambda r: (r["share"] is None, -(r["share"] or 0.0), -(r["funded_sales_usd"] or 0.0), r["vendor"]))
    return rows


def _known_sum(amounts) -> float | None:
    total = None
    for a in amounts:
        if a is not None:
            total = (0.0 if total is None else total) + float(a)
    return total

