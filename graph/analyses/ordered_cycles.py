"""Time-ordered money loops: loops whose deals can have happened in order around the loop.

When does an order hold? Every deal date is an interval of days (``2025`` is the whole
year, ``2025-09`` the whole month; see :mod:`dealgraph.model.values`). A loop of ``k`` hops is
*time-ordered* when one can pick one dated deal on every hop and a hop to start from such
that, going round the loop from that hop, each picked deal can have happened on or after
the one before: there are days ``x1 <= x2 <= ... <= xk`` with each ``xi`` inside its deal's
interval. Equal dates, and partial dates that overlap, count as in order; the loop may
start at any of its entities (money has to start somewhere), but it goes round once, in
money-flow direction. With a window of ``W`` days, the same days must also fit within
``xk - x1 <= W``. Deals without a date cannot be placed: they are ignored, and a hop with
no dated deal at all keeps its loop out of the ordered loops.

Two facts make this cheap to test while the loop is being built. For picked intervals
``[s_i, e_i]`` in time order, days exist exactly when every deal ends no earlier than the
latest start so far (``max(s_1..s_i) <= e_i``), and the shortest span they can have is
``max(s) - min(e)`` (0 if negative), whatever the order. Both only get worse as hops are
added, so the search drops a path as soon as it fails: for the span, it tracks the
latest start and earliest end; for the order, since the start hop is not known yet, it
tracks "in order from the first hop" and, for every possible later start hop, the
earliest end of the hops before it and the latest start of the hops from it on, which
must stay in order after wrapping round. Hops are tested on the hull of their dated
deals (a necessary condition); a loop found is then checked exactly, deal by deal, which
also picks the deals and the start shown to the user.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_edge("a", "b", key="r1", id="r1", date="2025-01", amount_usd=5.0)
'r1'
>>> G.add_edge("b", "c", key="r2", id="r2", date="2025-03-02", amount_usd=4.0)
'r2'
>>> G.add_edge("c", "a", key="r3", id="r3", date="2024-12-20", amount_usd=3.0)
'r3'
>>> [(c.nodes, o.start, o.deal_ids, o.span_days) for c, o in ordered_cycles(G, 3)]
[(['a', 'b', 'c'], 'c', ['r3', 'r1', 'r2'], 72)]
>>> ordered_cycles(G, 3, window=30)
[]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterator

from dealgraph.analyses.cycles import (
    Cycle, check_max_length, check_node, compact_graph, hop_of, hop_amount, index_nodes, prune_to_components,
    rank_key,
)
from dealgraph.model.values import date_interval
from dealgraph.model.errors import QueryError

__all__ = ["Order", "ordered_cycles", "ordered_money_cycles", "ordered_simple_cycles"]

_INF = float("inf")


@dataclass(frozen=True)
class Order:
    """How a loop's deals follow each other in time: where the money starts, the deals
    picked on each hop in time order, and the shortest span in days they can have."""

    start: str
    deal_ids: list[str]
    span_days: int

    def to_dict(self) -> dict:
        return {"start": self.start, "deal_ids": list(self.deal_ids), "span_days": self.span_days}


# --------------------------------------------------------------------------- hop intervals


def _deal_days(attrs) -> tuple[int, int] | None:
    when = attrs.get("date")
    if not when:
        return None
    try:
        return date_interval(str(when)).days
    except QueryError:
        return None


def _hop_deals(G, u, v) -> list[tuple[int, int, str]]:
    """``(first_day, last_day, deal_id)`` of every dated deal from u to v, earliest first."""
    if G.is_multigraph():
        items = [(attrs, attrs.get("id", key)) for key, attrs in G[u][v].items()]
    else:
        items = [(G[u][v], G[u][v].get("id", f"{u}->{v}"))]
    out = []
    for attrs, rid in items:
        days = _deal_days(attrs)
        if days is not None:
            out.append((days[0], days[1], str(rid)))
    out.sort()
    return out


class _Hulls(dict):
    """``hulls[u * n + v]``: the first and last day of the dated deals of hop u -> v (node
    indices), or None when none of its deals is dated; worked out on first use.

    The search walks the same index lists as the unordered one and asks for a hop's days
    only when its distance test lets the hop through, so most hops are never looked at.
    """

    def __init__(self, G, order: list):
        super().__init__()
        self.adj = G._adj  # the plain dicts behind G.adj
        self.order = order
        self.n = len(order)
        self.multi = G.is_multigraph()
        self.known: dict = {}  # date text -> (first, last) day or None

    def __missing__(self, key: int):
        u, v = divmod(key, self.n)
        data = self.adj[self.order[u]][self.order[v]]
        first = last = None
        for attrs in (data.values() if self.multi else (data,)):
            when = attrs.get("date")
            days = self.known.get(when, False)
            if days is False:
                days = self.known[when] = _deal_days(attrs)
            if days is None:
                continue
            if first is None or days[0] < first:
                first = days[0]
            if last is None or days[1] > last:
                last = days[1]
        value = None if first is None else (first, last)
        self[key] = value
        return value


# --------------------------------------------------------------------------- the search


def _step(state, s, e, window):
    """The search state after one more hop with day interval ``[s, e]``, or None if no
    loop through this path can be in order (within the window).

    state = (hops, latest_start, earliest_end, in_order_from_first, breaks):
    ``in_order_from_first`` is the latest start so far when the hops are in order from the
    first one (else None); ``breaks`` holds, for start hops after the first, pairs
    (earliest end before it, latest start from it on), only the pairs no other beats.
    """
    hops, hi, lo, first_run, breaks = state
    hi2 = s if s > hi else hi
    lo2 = e if e < lo else lo
    if window is not None and hi2 - lo2 > window:
        return None
    new = []
    for before_end, after_start in breaks:
        a = s if s > after_start else after_start
        if a <= e and a <= before_end:
            new.append((before_end, a))
    if first_run is not None and hops:
        # this hop could be the start: the hops before it form a run ending no earlier
        # than `lo`, and they come after this run in time (checked as the run grows)
        if s <= lo:
            new.append((lo, s))
    run = None
    if first_run is not None:
        a = s if s > first_run else first_run
        if a <= e:
            run = a
    if run is None and not new:
        return None
    if len(new) > 1:
        new.sort(key=lambda p: (-p[0], p[1]))
        pareto = []
        best = _INF
        for be, af in new:
            if af < best:
                pareto.append((be, af))
                best = af
        new = pareto
    return (hops + 1, hi2, lo2, run, tuple(new))


_START = (0, -_INF, _INF, -_INF, ())


def _ordered_from(s: int, lo: int, succ, pred, hull, k: int, h: int, window, out: list) -> None:
    """Like :func:`dealgraph.analyses.cycles._cycles_from`, keeping only paths that can still close into
    a time-ordered loop; appends index lists starting at ``s``."""
    dist = {s: 0}
    frontier = [s]
    depth = 0
    while frontier and depth < h:
        depth += 1
        nxt = []
        for v in frontier:
            for u in pred[v]:
                if u > lo and u not in dist:
                    dist[u] = depth
                    nxt.append(u)
        frontier = nxt
    if len(dist) == 1:
        return
    n = len(succ)
    free = k - h if frontier else 0
    get = dist.get
    path = [s]
    # states[i]: the search state after the hops up to path[i]; None until a successor of
    # path[i] passes the distance test (most never do, and their hop's days are never
    # looked up); False when no loop through path[:i + 1] can be in order.
    states: list = [_START]
    stack = [iter(succ[s])]
    while stack:
        d = len(path)
        for w in stack[-1]:
            if w <= lo or w in path:
                continue
            dw = get(w)
            if dw is None:
                if d >= free:
                    continue
            elif dw > k - d:
                continue
            cur = states[-1]
            if cur is None:
                days = hull[path[-2] * n + path[-1]]
                cur = states[-1] = (days is not None and _step(states[-2], days[0], days[1], window)) or False
            if cur is False:
                break
            if dw == 1:
                days = hull[path[-1] * n + w]
                state = days is not None and _step(cur, days[0], days[1], window)
                if state:
                    days = hull[w * n + s]
                    if days is not None and _step(state, days[0], days[1], window) is not None:
                        out.append(path + [w])
            if d + 1 < k:
                path.append(w)
                states.append(None)
                stack.append(iter(succ[w]))
                break
        else:
            stack.pop()
            path.pop()
            states.pop()
            continue
        if states[-1] is False:
            stack.pop()
            path.pop()
            states.pop()


def _check_window(window) -> int | None:
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise QueryError(f"window must be a whole number of days of at least 0, got {window!r}")
    return window


def ordered_simple_cycles(G, max_length: int, window: int | None = None,
                          through: Hashable | None = None, search=None) -> Iterator[list]:
    """The simple cycles of 2..``max_length`` nodes whose hops' dated deals *may* be in
    order (tested on each hop's hull of deal dates; :func:`ordered_cycles` checks exactly),
    each once, rotated to start at its smallest node. ``search``, a graph with the same
    nodes as ``G`` and some of its edges, restricts the hops used (dates come from ``G``)."""
    k = check_max_length(max_length)
    window = _check_window(window)
    if through is not None:
        check_node(G, through)
    order = index_nodes(G)
    succ, pred, _ = compact_graph(G if search is None else search, order)
    hull = _Hulls(G, order)
    if k < 2:
        return
    found: list[list[int]] = []
    if through is not None:
        x = order.index(through)
        _ordered_from(x, -1, succ, pred, hull, k, k // 2, window, found)
        for c in found:
            i = c.index(min(c))
            yield [order[j] for j in c[i:] + c[:i]]
        return
    prune_to_components(succ, pred)
    h = k // 2
    for s in range(len(order)):
        if not pred[s]:
            continue
        _ordered_from(s, s, succ, pred, hull, k, h, window, found)
        if found:
            for c in found:
                yield [order[j] for j in c]
            found.clear()


# --------------------------------------------------------------------------- exact check


def _exact_order(hops: list[list[tuple[int, int, str]]], window) -> tuple[int, int, list[str]] | None:
    """``(span_days, start_hop, deal_ids)`` of the best way to pick one deal per hop in
    order around the loop (shortest span, then the earliest start hop), or None."""
    k = len(hops)
    best = None
    for r in range(k):
        # states: (latest start, earliest end, picked ids), only those no other beats
        states = [(-_INF, _INF, ())]
        for i in range(k):
            nxt = []
            for a, b, rid in hops[(r + i) % k]:
                for hi, lo, ids in states:
                    hi2 = a if a > hi else hi
                    if hi2 > b:
                        continue
                    lo2 = b if b < lo else lo
                    if window is not None and hi2 - lo2 > window:
                        continue
                    nxt.append((hi2, lo2, ids + (rid,)))
            nxt.sort(key=lambda t: (t[0], -t[1], t[2]))
            states = []
            best_lo = -_INF
            for t in nxt:
                if t[1] > best_lo:
                    states.append(t)
                    best_lo = t[1]
            if not states:
                break
        for hi, lo, ids in states:
            span = max(0, int(hi - lo))
            if best is None or (span, r) < best[:2]:
                best = (span, r, list(ids))
    return best


def ordered_cycles(G, max_length: int = 6, window: int | None = None, through: str | None = None,
                   min_amount: float | None = None) -> list[tuple[Cycle, Order]]:
    """The time-ordered money loops of a money-flow graph, ranked like
    :func:`dealgraph.analyses.cycles.find_cycles`, each with the :class:`Order` that makes it ordered.

    ``window`` (days) bounds the time from the first to the last deal of the loop;
    ``through`` and ``min_amount`` mean what they mean for :func:`~dealgraph.analyses.cycles.find_cycles`.
    """
    search = None
    if min_amount is not None:
        if isinstance(min_amount, bool) or not isinstance(min_amount, (int, float)) or not min_amount >= 0:
            raise QueryError(f"min_amount must be a number of at least 0, got {min_amount!r}")
        import networkx as nx

        # As in find_cycles: hops below the threshold can be on no kept loop.
        search = nx.DiGraph()
        search.add_nodes_from(G)
        for u, v in {(u, v) for u, v in G.edges()}:
            amount = hop_amount(G, u, v)
            if amount is not None and amount >= min_amount:
                search.add_edge(u, v)
    result = []
    for nodes in ordered_simple_cycles(G, max_length, window, through, search):
        n = len(nodes)
        hop_deals = [_hop_deals(G, nodes[i], nodes[(i + 1) % n]) for i in range(n)]
        exact = _exact_order(hop_deals, window)
        if exact is None:
            continue
        span, start, ids = exact
        hops = [hop_of(G, nodes[i], nodes[(i + 1) % n]) for i in range(n)]
        amounts = [hp.amount_usd for hp in hops]
        least = None if None in amounts else min(amounts)
        result.append((Cycle(nodes=list(nodes), hops=hops, min_amount_usd=least),
                       Order(start=nodes[start], deal_ids=ids, span_days=span)))
    result.sort(key=lambda pair: rank_key(pair[0]))
    return result


def ordered_money_cycles(store, max_length: int = 6, window: int | None = None, through: str | None = None,
                         min_amount: float | None = None) -> list[dict]:
    """:func:`ordered_cycles` on a store, in the ``dealgraph cycles --format json`` shape
    plus an ``order`` object (:meth:`Order.to_dict`). Computed in Python from the store's
    deals, so every engine gives the same answer."""
    found = ordered_cycles(store.money_flow_graph(), max_length, window, through, min_amount)
    return [{**cycle.to_dict(), "order": order.to_dict()} for cycle, order in found]
