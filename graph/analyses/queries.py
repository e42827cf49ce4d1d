"""The canned questions, answered by either engine.

Every canned query in ``cypher/`` has a Python twin here that answers it on the networkx
graphs of any store. :func:`run_query` runs the Cypher on a Neo4j store and the twin on
the embedded one; both return the same rows (plain JSON-able dicts, same keys, same
order) - the differential tests hold them to that.

Money direction comes from the model (``dealgraph.model.records.money_flow_graph``); the ``.cypher``
files spell the same table out as relationship types, and a test checks they agree.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

import networkx as nx

from dealgraph.cypher import bind, get_query, load_queries
from dealgraph.analyses import concentration as customer_concentration
from dealgraph.model.values import AmountError, parse_usd
from dealgraph.analyses.cycles import DEAL_KEYS, deal_summary, find_money_loops, hop_deals, known_sum, size_loops
from dealgraph.model.lineage import superseded_by
from dealgraph.model.errors import QueryError
from dealgraph.model.records import schema
from dealgraph.stores.base import Store

__all__ = ["COLUMNS", "cycles", "list_queries", "run_query"]

#: What a ``maxLength`` or ``depth`` larger than this is sent as (Neo4j's largest integer): any
#: value above the number of entities means no bound.
NO_BOUND = 2**63 - 1

#: Parameters that name an entity: resolved (id, name or alias) before either engine runs.
ENTITY_PARAMS = ("entity", "vendor", "from", "to")

HOP_KEYS = ("source", "target", "amount_usd", "relationships")
GRAPH_DEAL_KEYS = ("id", "kind", "source", "target")  # a deal in its stored direction

#: The columns of each query's rows, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "circular-financing": ("nodes", "hops", "min_amount_usd"),
    "circular-financing-graph": ("nodes", "min_amount_usd", "deals"),
    "money-paths": ("nodes", "hops", "min_amount_usd"),
    "vendor-financing": (
        "financier", "financier_name", "client", "client_name",
        "financing_usd", "purchases_usd", "financing", "purchases",
    ),
    "customer-concentration": (
        "vendor", "customer", "customer_name", "deals", "contract_usd", "share", "vendor_total_usd",
        "customer_group", "customer_members", "relationships",
    ),
    "lender-web": (
        "lender", "lender_name", "borrower", "borrower_name", "deals", "total_usd", "lender_total_usd",
        "relationships",
    ),
    "neighbourhood": ("distance", "id", "name", "kind", "via"),
    "concentration": customer_concentration.COLUMNS,
}


def list_queries() -> list[dict]:
    """Name, description and parameters (with defaults) of every canned query."""
    return [
        {"name": q.name, "description": q.description, "params": dict(q.params)}
        for q in load_queries().values()
    ]


def run_query(store: Store, name: str, params: dict[str, Any] | None = None) -> list[dict]:
    """Answer canned query ``name`` on ``store``: its Cypher on Neo4j, its twin elsewhere.

    ``params`` may hold CLI strings (converted to the declared types) or typed values;
    parameters that name an entity accept its id, exact name or alias.
    """
    query = get_query(name)
    bound = _check(store, name, bind(query, _usd_params(name, params or {})))
    # The .cypher files apply the status rule as written; --include-talks (the store's
    # include_talks) is answered by the query's twin, on any engine (model/lineage.py).
    if hasattr(store, "run_cypher") and not store.include_talks:
        return [_shape(name, row) for row in store.run_cypher(query.text, bound)]
    try:
        twin = TWINS[name]
    except KeyError:
        raise QueryError(f"query {name!r} has no embedded-engine twin") from None
    return twin(store, **{_py(k): v for k, v in bound.items()})


#: Parameters holding amounts of USD: typed as 1.5B, 500M, 2.5K or a plain number.
USD_PARAMS = ("minAmount",)


def _usd_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key in USD_PARAMS:
        value = out.get(key)
        if isinstance(value, str) and value.strip().lower() != "null":
            try:
                out[key] = parse_usd(value)
            except AmountError as exc:
                raise QueryError(f"query {name}: parameter {key}: {exc}") from None
    return out


def cycles(
    store: Store,
    max_length: int = 6,
    through: str | None = None,
    min_amount: float | None = None,
) -> list[dict]:
    """The money loops in the shape of `dealgraph cycles --format json`, from whichever engine holds the
    data, with their sizes and ranked by them (estimates and ranges included, see
    :func:`dealgraph.analyses.cycles.size_loops`; the canned query itself ranks by stated amounts)."""
    return size_loops(run_query(
        store, "circular-financing", {"maxLength": max_length, "entity": through, "minAmount": min_amount}
    ))


# --------------------------------------------------------------------------- checks


def _py(name: str) -> str:
    return {"from": "source", "to": "target"}.get(name, name)


def _check(store: Store, name: str, params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key in ENTITY_PARAMS:
        if out.get(key) is not None:
            out[key] = store.resolve(str(out[key]))
    for key in ("maxLength", "depth", "minCustomers"):
        if key in out:
            value = out[key]
            low = 0 if key == "depth" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise QueryError(f"query {name}: {key} must be a whole number of at least {low}, got {value!r}")
            # A bound above the number of entities is no bound (both engines treat it so); past
            # Neo4j's 64-bit integers a value is sent as the largest of them: same answer.
            out[key] = min(value, NO_BOUND)
    if out.get("minAmount") is not None:
        value = out["minAmount"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise QueryError(f"query {name}: minAmount must be a number of at least 0, got {value!r}")
        out["minAmount"] = float(value)
    required = {"money-paths": ("from", "to"), "neighbourhood": ("entity",)}.get(name, ())
    for key in required:
        if out.get(key) is None:
            raise QueryError(f"query {name}: parameter {key} is required (-p {key} ENTITY)")
    if name == "money-paths" and out["from"] == out["to"]:
        raise QueryError("query money-paths: from and to are the same entity; for loops use circular-financing")
    return out


def _counts(deal: dict) -> bool:
    """The lineage rule (graph/lineage.py) on a listed deal: it counts unless superseded."""
    return not deal["superseded_by"]


def _shape(name: str, row: dict) -> dict:
    """A Cypher row with the twin's key order (maps from the server come back unordered)."""
    out = {}
    for key in COLUMNS[name]:
        value = row[key]
        if key == "hops":
            value = [
                {k: ([{d: r[d] for d in DEAL_KEYS} for r in h[k]] if k == "relationships" else h[k]) for k in HOP_KEYS}
                for h in value
            ]
        elif name == "circular-financing-graph" and key == "deals":
            # one path per deal (Browser draws paths); the rows carry the deals themselves
            value = [{k: d[k] for k in GRAPH_DEAL_KEYS} for path in value for d in path]
        elif key in ("financing", "purchases", "relationships"):
            value = [{d: r[d] for d in DEAL_KEYS} for r in value]
        out[key] = value
    return out


# --------------------------------------------------------------------------- twins


def _circular_financing(store: Store, maxLength: int, entity: str | None, minAmount: float | None) -> list[dict]:
    # The search reads only payer, payee and amount of each deal that counts; the other
    # fields are read for the deals on the loops found (see dealgraph.analyses.cycles.find_money_loops).
    loops = find_money_loops(store.money_flows(), store.hop_deals, maxLength, entity, minAmount)
    return [c.to_dict() for c in loops]


def _circular_financing_graph(
    store: Store, maxLength: int, entity: str | None, minAmount: float | None
) -> list[dict]:
    stored = {r.id: r for r in store.relationships()}
    rows = []
    for loop in _circular_financing(store, maxLength, entity, minAmount):
        deals = [stored[d["id"]] for hop in loop["hops"] for d in hop["relationships"]]
        rows.append({
            "nodes": loop["nodes"],
            "min_amount_usd": loop["min_amount_usd"],
            "deals": [{"id": r.id, "kind": r.kind, "source": r.source, "target": r.target} for r in deals],
        })
    return rows


def _deals_between(store_rels, keep, superseded) -> dict[tuple[str, str], list[dict]]:
    """Deals grouped by an ordered pair chosen by ``keep(rel) -> (a, b) | None``, each list in
    id order; only pairs with at least one deal that counts (superseded deals are listed
    beside those, never alone)."""
    pairs: dict[tuple[str, str], list[dict]] = {}
    for r in store_rels:  # relationships() is in id order
        pair = keep(r)
        if pair is not None:
            pairs.setdefault(pair, []).append(deal_summary(r.to_dict(), superseded.get(r.id, ())))
    return {pair: deals for pair, deals in pairs.items() if any(_counts(d) for d in deals)}


def _hop_dicts(G: nx.MultiDiGraph, nodes: list[str], closed: bool) -> list[dict]:
    n = len(nodes)
    hops = []
    for i in range(n if closed else n - 1):
        a, b = nodes[i], nodes[(i + 1) % n]
        deals = hop_deals(G, a, b)
        hops.append({"source": a, "target": b, "amount_usd": known_sum(deals), "relationships": deals})
    return hops


def _least(hops: list[dict]) -> float | None:
    amounts = [h["amount_usd"] for h in hops]
    return None if None in amounts else min(amounts)


def _money_paths(store: Store, source: str, target: str, maxLength: int) -> list[dict]:
    G = store.money_flow_graph()  # edges: the deals that count
    simple = nx.DiGraph((u, v) for u, v in G.edges() if u != v)
    simple.add_nodes_from(G)
    rows = []
    for nodes in nx.all_simple_paths(simple, source, target, cutoff=maxLength):
        hops = _hop_dicts(G, nodes, closed=False)
        rows.append({"nodes": nodes, "hops": hops, "min_amount_usd": _least(hops)})
    rows.sort(key=lambda r: (
        len(r["hops"]), r["min_amount_usd"] is None, -(r["min_amount_usd"] or 0.0), r["nodes"],
    ))
    return rows


def _vendor_financing(store: Store, entity: str | None) -> list[dict]:
    names = {e.id: e.name for e in store.entities()}
    rels = store.relationships()
    superseded = superseded_by(rels, store.include_talks)
    funding = schema().kinds_with("funding")
    financing = _deals_between(
        rels, lambda r: (r.source, r.target) if r.kind in funding and r.source != r.target else None,
        superseded,
    )
    purchases = _deals_between(rels, customer_concentration.customer_pair, superseded)
    rows = []
    for (a, b), money in financing.items():
        bought = purchases.get((a, b))
        if not bought or (entity is not None and entity not in (a, b)):
            continue
        rows.append({
            "financier": a, "financier_name": names[a], "client": b, "client_name": names[b],
            "financing_usd": known_sum(money), "purchases_usd": known_sum(bought),
            "financing": money, "purchases": bought,
        })
    rows.sort(key=lambda r: (r["financing_usd"] is None, -(r["financing_usd"] or 0.0), r["financier"], r["client"]))
    return rows


def _customer_concentration(store: Store, vendor: str | None) -> list[dict]:
    entities = store.entities()
    names = {e.id: e.name for e in entities}
    rels = store.relationships()
    superseded = superseded_by(rels, store.include_talks)
    groups = customer_concentration.group_members(entities, rels, store.include_talks)
    pairs = _deals_between(rels, customer_concentration.customer_pair, superseded)
    totals: dict[str, list[dict]] = {}
    for r in rels:
        pair = customer_concentration.customer_pair(r)
        if pair is not None:
            totals.setdefault(pair[0], []).append(deal_summary(r.to_dict(), superseded.get(r.id, ())))
    rows = []
    for (v, c), deals in pairs.items():
        if vendor is not None and v != vendor:
            continue
        contract = known_sum(deals)
        total = known_sum(totals[v])
        share = None if contract is None or total is None or total == 0 else contract / total
        rows.append({
            "vendor": v, "customer": c, "customer_name": names[c], "deals": sum(map(_counts, deals)),
            "contract_usd": contract, "share": share, "vendor_total_usd": total,
            "customer_group": c in groups, "customer_members": groups.get(c, 0), "relationships": deals,
        })
    rows.sort(key=lambda r: (r["vendor"], r["contract_usd"] is None, -(r["contract_usd"] or 0.0), r["customer"]))
    return rows


def _lender_web(store: Store, entity: str | None) -> list[dict]:
    names = {e.id: e.name for e in store.entities()}
    rels = store.relationships()
    superseded = superseded_by(rels, store.include_talks)
    lending = schema().kinds_with("lending")
    loans = [r for r in rels if r.kind in lending and r.source != r.target]
    pairs = _deals_between(loans, lambda r: (r.source, r.target), superseded)
    lent: dict[str, list[dict]] = {}
    for r in loans:
        lent.setdefault(r.source, []).append(deal_summary(r.to_dict(), superseded.get(r.id, ())))
    rows = []
    for (lender, borrower), deals in pairs.items():
        if entity is not None and entity not in (lender, borrower):
            continue
        rows.append({
            "lender": lender, "lender_name": names[lender], "borrower": borrower,
            "borrower_name": names[borrower], "deals": sum(map(_counts, deals)), "total_usd": known_sum(deals),
            "lender_total_usd": known_sum(lent[lender]), "relationships": deals,
        })
    rows.sort(key=lambda r: (
        r["lender_total_usd"] is None, -(r["lender_total_usd"] or 0.0), r["lender"],
        r["total_usd"] is None, -(r["total_usd"] or 0.0), r["borrower"],
    ))
    return rows


def _neighbourhood(store: Store, entity: str, depth: int) -> list[dict]:
    entities = {e.id: e for e in store.entities()}
    links: dict[str, list[tuple[str, str]]] = {}
    for r in store.relationships():
        links.setdefault(r.source, []).append((r.target, r.id))
        if r.target != r.source:
            links.setdefault(r.target, []).append((r.source, r.id))
    distance = {entity: 0}
    queue = deque([entity])
    while queue:
        x = queue.popleft()
        if distance[x] == depth:
            continue
        for y, _ in links.get(x, ()):
            if y not in distance:
                distance[y] = distance[x] + 1
                queue.append(y)
    rows = []
    for n, d in distance.items():
        via = sorted(rid for p, rid in links.get(n, ()) if d > 0 and distance.get(p) == d - 1)
        e = entities[n]
        rows.append({"distance": d, "id": n, "name": e.name, "kind": e.kind, "via": via})
    rows.sort(key=lambda r: (r["distance"], r["id"]))
    return rows


def _concentration(store: Store, entity: str | None, minCustomers: int) -> list[dict]:
    return customer_concentration.concentration(
        store.entities(), store.relationships(), store.figures(), entity=entity,
        min_customers=minCustomers, include_talks=store.include_talks,
    )


TWINS: dict[str, Callable[..., list[dict]]] = {
    "circular-financing": _circular_financing,
    "circular-financing-graph": _circular_financing_graph,
    "concentration": _concentration,
    "customer-concentration": _customer_concentration,
    "lender-web": _lender_web,
    "money-paths": _money_paths,
    "neighbourhood": _neighbourhood,
    "vendor-financing": _vendor_financing,
}
