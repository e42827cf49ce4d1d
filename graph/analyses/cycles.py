"""Money loops: bounded simple cycles of the money-flow graph, with the deals on each hop.

Two layers:

* :func:`simple_cycles_bounded` enumerates the simple cycles of any directed graph up to a
  length bound, each exactly once, rotated to start at its smallest node.
* :func:`find_cycles` runs it on a money-flow ``MultiDiGraph`` (see
  :func:`dealgraph.model.records.money_flow_graph`) and returns ranked :class:`Cycle` records carrying
  the deals behind every hop.

The enumeration is a canonical-start search with reverse-BFS distance pruning: a cycle is
found only from its smallest node ``s``, walking through nodes greater than ``s`` (the
searches run in node order and each node leaves the graph once its own is done); a
breadth-first search over the *predecessors* of ``s`` gives every nearby node's distance
back to ``s``, and a path is extended only while its length plus that distance fits the
bound. Bounded search never needs the blocking machinery of Johnson's algorithm, and the
distance table keeps it from wandering away from ``s``. A bound above the number of nodes
is no bound: the search is clamped to the node count, and nothing it allocates is sized by
the bound (10^12 or 2^70 cost what the unbounded search costs).

>>> import networkx as nx
>>> G = nx.MultiDiGraph([("b", "a"), ("a", "b"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "c")])
>>> sorted(simple_cycles_bounded(G, 3))
[['a', 'b'], ['a', 'b', 'c'], ['c']]
>>> sorted(simple_cycles_bounded(G, 2, through="a"))
[['a', 'b']]

**How big a loop is** (:func:`size_loops`, what ``dealgraph cycles`` ranks by). The money
that can go all the way round is the smallest hop; a hop's size is the sum of what its
deals that count (not superseded) add, each deal by this rule, which reads only the data:

* a stated ``amount_usd`` adds itself; it is an *estimate* when the deal's
  ``amount_basis`` is ``estimate`` (an analyst's or the press's figure);
* no ``amount_usd`` but an ``amount_low`` (a range, "more than $20B") adds the low end,
  marked *low end*: the least the sources allow, never the midpoint;
* only an ``amount_high`` (a ceiling, "up to $25B") adds nothing: a ceiling says how much
  at most, not how much; the hop says "only a ceiling (up to $25B)";
* nothing at all adds nothing: "no amount in its source".

A hop whose every deal adds nothing has no size, and says why (``unknown_why``). A hop is
an *estimate* when any deal it adds is one, else *low end* when any is a low end, else
*stated*. A loop's ``size_usd`` is its smallest hop's size when every hop has one (on a tie
the stated hop is the one named), ``size_basis`` is that hop's basis and ``size_hop`` its
index; ``unsized_hops`` lists the hops with no size. Loops rank by ``size_usd`` (sized
first), then by their smallest sized hop, then fewer hops, then the node ids; with no
estimate or range in the data this is the ranking of ``min_amount_usd``, which stays the
stated amounts only (``--min-amount`` filters on it).

>>> [loop] = size_loops([{"nodes": ["amd", "openai"], "min_amount_usd": None, "hops": [
...     {"source": "amd", "target": "openai", "amount_usd": 4e10, "relationships": [
...         {"id": "s", "amount_usd": 4e10, "superseded_by": []}]},
...     {"source": "openai", "target": "amd", "amount_usd": None, "relationships": [
...         {"id": "w", "amount_usd": None, "amount_low": 3.4e10, "superseded_by": []}]}]}])
>>> loop["size_usd"], loop["size_basis"], loop["size_hop"], loop["unsized_hops"]
(34000000000.0, 'low end', 1, [])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Iterator

from dealgraph.model.memory import gc_paused
from dealgraph.model.errors import QueryError
from dealgraph.model.records import schema
from dealgraph.model.values import usd

__all__ = [
    "DEAL_KEYS", "Cycle", "Hop", "deal_size", "deal_summary", "find_cycles", "find_money_loops", "hop_deals", "known_sum",
    "simple_cycles_bounded", "simple_cycles_of_pairs", "size_loops",
]


# --------------------------------------------------------------------------- enumeration


def index_nodes(G) -> list:
    """Nodes in the fixed total order the search uses: sorted when they compare, else as inserted."""
    nodes = list(G)
    try:
        return sorted(nodes)
    except TypeError:
        return nodes


def compact_graph(G, order: list) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Successor and predecessor lists over indices 0..n-1 (parallel edges and self-loops
    dropped), plus the indices that carry a self-loop."""
    index = {v: i for i, v in enumerate(order)}
    n = len(order)
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    loops: list[int] = []
    # G.adj gives each neighbour once, however many parallel edges join the pair; its
    # plain-dict form (networkx keeps it in G._adj) is several times quicker to walk.
    adj = getattr(G, "_adj", None)
    if not isinstance(adj, dict):
        adj = G.adj
    for u, nbrs in adj.items():
        iu = index[u]
        out = succ[iu]
        for v in nbrs:
            iv = index[v]
            if iv == iu:
                loops.append(iu)
            else:
                out.append(iv)
                pred[iv].append(iu)
    return succ, pred, loops


def _cyclic_components(succ: list[list[int]]) -> list[int]:
    """Strongly connected component id of every node (iterative Tarjan); -1 for a node
    alone in its component, since no cycle of two or more nodes can pass through it."""
    n = len(succ)
    low = [0] * n
    num = [0] * n  # 0 = not visited yet; visit numbers start at 1
    comp = [-2] * n  # -2 = still on the Tarjan stack / unassigned
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in range(n):
        if num[root]:
            continue
        counter += 1
        num[root] = low[root] = counter
        stack.append(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if not num[w]:
                    counter += 1
                    num[w] = low[w] = counter
                    stack.append(w)
                    work.append((w, iter(succ[w])))
                    break
                if comp[w] == -2 and num[w] < low[v]:
                    low[v] = num[w]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[v] < low[parent]:
                        low[parent] = low[v]
                if low[v] == num[v]:
                    w = stack.pop()
                    if w == v:
                        comp[v] = -1
                    else:
                        comp[w] = ncomp
                        while w != v:
                            w = stack.pop()
                            comp[w] = ncomp
                        ncomp += 1
    return comp


def prune_to_components(succ, pred) -> None:
    """Keep only edges inside one non-trivial strongly connected component (in place)."""
    comp = _cyclic_components(succ)
    for v, c in enumerate(comp):
        if c < 0:
            succ[v] = []
            pred[v] = []
        else:
            succ[v] = [w for w in succ[v] if comp[w] == c]
            pred[v] = [u for u in pred[v] if comp[u] == c]


#: The distance table of a search copies its levels (see :func:`_cycles_from`) only while
#: the copies stay within this many set elements per predecessor it has scanned, plus
#: :data:`_LEVEL_ALLOWANCE`: past that (a long chain of small levels, as on a ring) the
#: deeper levels share one set, so a search costs time in proportion to what it scans.
_LEVEL_COPIES = 4
_LEVEL_ALLOWANCE = 4096

#: Bounds up to this many nodes test a path's nodes in the path list itself; longer ones
#: keep them in a set too.
_SHORT = 16


def _cycles_from(s: int, succ_sets, pred_sets, k: int, h: int, out: list) -> None:
    """Append to ``out`` every simple cycle of 2..k nodes through ``s`` in the graph of
    ``succ_sets`` / ``pred_sets`` (each node's successors and predecessors as sets), as
    index lists starting at ``s``.

    ``h`` bounds the reverse BFS: nodes within ``h`` steps of ``s`` get their exact
    distance back to ``s``; any other node is known to be more than ``h`` steps away
    (or unable to reach ``s`` at all, when the BFS ran out of nodes before depth ``h``).
    Deep in the search, where only nodes close to ``s`` may follow, the next nodes are one
    set intersection (in C) instead of a test per successor; the last node of a path is
    not pushed at all: its candidates are the successors that lead straight back to ``s``.
    Nothing here is sized by ``k``: the table holds the levels the BFS met, and a long
    path's nodes are looked up in a set.
    """
    back = pred_sets[s]
    if not back:
        return
    # within[j]: the nodes that may stand where j more steps must lead back to s, i.e.
    # those at most j steps from s, for the levels the table holds (s itself may be in
    # them: being on the path already, it is never taken again). Past the table, `far`
    # holds every node at most `far_depth` steps from s (a superset of each level up to
    # that depth), and beyond that depth any node may fit: None. When the BFS runs out of
    # nodes, every node that can reach s at all has been seen and far_depth is k.
    within: list = [None, back]
    far = None
    far_depth = 0
    reached = frontier = back
    depth = 1
    budget = _LEVEL_ALLOWANCE
    while depth < h:
        nxt = set()
        for v in frontier:
            p = pred_sets[v]
            budget += _LEVEL_COPIES * len(p)
            nxt.update(p)
        nxt -= reached
        if not nxt:
            far, far_depth = reached, k
            break
        depth += 1
        budget -= len(reached) + len(nxt)
        if budget >= 0:
            within.append(reached := reached | nxt)
            frontier = nxt
            continue
        # Too many copies: one set from here on, grown in place to depth h.
        far = reached | nxt
        far_depth = depth
        frontier = nxt
        while far_depth < h:
            nxt = set()
            for v in frontier:
                nxt.update(pred_sets[v])
            nxt -= far
            if not nxt:
                far_depth = k
                break
            far |= nxt
            far_depth += 1
            frontier = nxt
        break
    table = len(within)
    if k == 2:
        for w in succ_sets[s] & back:
            out.append([s, w])
        return
    path = [s]
    # A long path is looked up in a set (`on`); a short one, as a list, is quicker to test.
    on = set(path) if k > _SHORT else None
    j = k - 1
    first = within[j] if j < table else (far if j <= far_depth else None)
    stack = [iter(succ_sets[s] if first is None else succ_sets[s] & first)]
    while stack:
        d = len(path)
        for w in stack[-1]:
            if w in (path if on is None else on):
                continue
            if w in back:
                out.append(path + [w])
            if d + 2 == k:  # one node more at most: a successor of w leading back to s
                for x in succ_sets[w] & back:
                    if x not in (path if on is None else on):
                        out.append(path + [w, x])
                continue
            j = k - d - 1
            allowed = within[j] if j < table else (far if j <= far_depth else None)
            path.append(w)
            if on is not None:
                on.add(w)
            stack.append(iter(succ_sets[w] if allowed is None else succ_sets[w] & allowed))
            break
        else:
            stack.pop()
            w = path.pop()
            if on is not None:
                on.discard(w)


def simple_cycles_bounded(G, max_length: int, through: Hashable | None = None) -> Iterator[list]:
    """Every simple cycle of ``G`` with at most ``max_length`` nodes, each exactly once.

    ``G`` is a ``DiGraph`` or ``MultiDiGraph``; parallel edges do not multiply cycles and a
    self-loop on ``v`` is the one-node cycle ``[v]``. Each cycle is a list of nodes in edge
    order, rotated to start at its smallest node (nodes are ordered by sorting them when
    they are mutually comparable, else by insertion order). With ``through``, only the
    cycles containing that node are produced. ``G`` is not modified.

    >>> import networkx as nx
    >>> G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (2, 1), (3, 3)])
    >>> sorted(simple_cycles_bounded(G, 3))
    [[1, 2], [1, 2, 3], [3]]
    >>> sorted(simple_cycles_bounded(G, 2))
    [[1, 2], [3]]
    >>> list(simple_cycles_bounded(G, 3, through=3))
    [[3], [1, 2, 3]]
    """
    k = check_max_length(max_length)
    if through is not None:
        check_node(G, through)
    return _simple_cycles(G, k, through)


def _simple_cycles(G, k: int, through) -> Iterator[list]:
    order = index_nodes(G)
    with gc_paused():
        succ, pred, loops = compact_graph(G, order)
    return _enumerate(order, succ, pred, loops, k, through)


def _compact_pairs(pairs) -> tuple[list, list[list[int]], list[list[int]], list[int]]:
    """:func:`index_nodes` and :func:`compact_graph` for a graph given only as ``(u, v)`` pairs
    (parallel pairs allowed): the nodes are those the pairs name.

    One pass numbers the nodes as they come and keeps each distinct edge once as a pair of
    numbers, so only one copy of each node's label outlives its row; the numbers are then
    mapped to the sorted order."""
    index: dict = {}
    get = index.get
    edges = set()
    add = edges.add
    for edge in pairs:  # indexed, not unpacked: (payer, payee, amount) rows work as they are
        u = edge[0]
        iu = get(u)
        if iu is None:
            iu = index[u] = len(index)
        v = edge[1]
        iv = get(v)
        if iv is None:
            iv = index[v] = len(index)
        add((iu, iv))
    order = list(index)
    n = len(order)
    try:
        ranked = sorted(range(n), key=order.__getitem__)
    except TypeError:
        ranked = range(n)
    rank = [0] * n
    for new, old in enumerate(ranked):
        rank[old] = new
    order = [order[old] for old in ranked]
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    loops: list[int] = []
    for iu, iv in edges:
        iu = rank[iu]
        iv = rank[iv]
        if iv == iu:
            loops.append(iu)
        else:
            succ[iu].append(iv)
            pred[iv].append(iu)
    return order, succ, pred, loops


class _LazySets(dict):
    """Adjacency lists as sets, made when first used: a search from one node touches few nodes."""

    def __init__(self, lists):
        super().__init__()
        self.lists = lists

    def __missing__(self, v):
        made = self[v] = set(self.lists[v])
        return made


def simple_cycles_of_pairs(pairs: Iterable[tuple], max_length: int, through: Hashable | None = None) -> Iterator[list]:
    """:func:`simple_cycles_bounded` for a graph given as ``(u, v)`` edge pairs (parallel
    pairs allowed), with no graph object to build: the search behind ``dealgraph cycles``.

    >>> sorted(simple_cycles_of_pairs([("b", "a"), ("a", "b"), ("a", "b"), ("c", "c")], 2))
    [['a', 'b'], ['c']]
    """
    k = check_max_length(max_length)
    with gc_paused():  # a million deals make hundreds of thousands of small containers
        order, succ, pred, loops = _compact_pairs(pairs)
    return _enumerate(order, succ, pred, loops, k, through)


def _labels_are_indices(order: list) -> bool:
    """Whether every node is the plain int of its own index (a graph over 0..n-1): its
    cycles of indices are then its cycles of nodes as they are."""
    return all(type(v) is int and v == i for i, v in enumerate(order))


def _enumerate(order: list, succ, pred, loops, k: int, through) -> Iterator[list]:
    # A simple cycle has at most one node per node of the graph: a larger bound is no bound,
    # and nothing below is sized by it.
    k = min(k, len(order))
    if through is not None:
        try:
            x = order.index(through)
        except ValueError:  # a node on no edge is on no cycle
            return
        if x in loops:
            yield [through]
        if k < 2:
            return
        # One search from the given node: no component pruning, which would cost a pass
        # over the whole graph; the distance table already keeps the search local.
        found: list[list[int]] = []
        _cycles_from(x, _LazySets(succ), _LazySets(pred), k, k // 2, found)
        for c in found:
            i = c.index(min(c))
            yield [order[j] for j in c[i:] + c[:i]]
        return
    for v in sorted(loops):
        yield [order[v]]
    if k < 2:
        return
    # No pruning to strongly connected components first: s leaving the graph once searched
    # (below) and the distance table keep the searches as small, for less than Tarjan costs.
    with gc_paused():
        succ_sets = [set(o) for o in succ]
        pred_sets = [set(p) for p in pred]
    del succ, pred
    as_is = _labels_are_indices(order)
    h = k // 2
    found = []
    for s in range(len(order)):
        ahead = succ_sets[s]
        behind = pred_sets[s]
        if ahead and behind:
            if k > _SHORT:  # a long search keeps a container per node of its path alive
                with gc_paused():
                    _cycles_from(s, succ_sets, pred_sets, k, h, found)
            else:
                _cycles_from(s, succ_sets, pred_sets, k, h, found)
            if found:
                if as_is:
                    yield from found
                else:
                    for c in found:
                        yield [order[j] for j in c]
                found = []
        # Every cycle through s is out: s leaves the graph, so every later search (from a
        # larger node) sees only nodes larger than itself, with no test for it.
        for u in behind:
            succ_sets[u].discard(s)
        for w in ahead:
            pred_sets[w].discard(s)


def check_max_length(max_length) -> int:
    if isinstance(max_length, bool) or not isinstance(max_length, int):
        raise QueryError(f"max_length must be a whole number of at least 1, got {max_length!r}")
    if max_length < 1:
        raise QueryError(f"max_length must be at least 1, got {max_length}")
    return max_length


def check_node(G, node) -> None:
    try:
        present = node in G
    except TypeError:
        present = False
    if not present:
        raise QueryError(f"unknown entity {node!r}: it is not in the graph")


# --------------------------------------------------------------------------- money loops


#: The keys of a deal as loops, paths and queries list it, in this order: the JSON
#: contract's five, then how the deal reads (``source kind target``), its caveats and its
#: lineage (``superseded_by``: the deals replacing it, empty when it counts).
DEAL_KEYS = (*schema().deal_listing, "superseded_by")
_LISTED = schema().deal_listing
_AMOUNTS = [name for name in ("amount_usd", "amount_low", "amount_high") if name in _LISTED]


def deal_summary(fields, superseded_by=()) -> dict:
    """A deal's listing (:data:`DEAL_KEYS`) from its fields (a mapping with the model's names)."""
    listing = {name: fields.get(name) for name in _LISTED}
    listing["id"] = fields["id"]
    for name in _AMOUNTS:
        amount = listing.get(name)
        if name in listing:
            listing[name] = None if amount is None else float(amount)
    listing["superseded_by"] = list(superseded_by)
    return listing


def known_sum(deals: list[dict]) -> float | None:
    """The known amounts of the listed deals that count (not superseded), added in list
    order (deal-id order, as the Cypher adds them); None when none is known."""
    total = None
    for d in deals:
        if d["amount_usd"] is not None and not d["superseded_by"]:
            total = (0.0 if total is None else total) + d["amount_usd"]
    return total


@dataclass(frozen=True)
class Hop:
    """One step of a loop: every deal that moves money from ``source`` to ``target``."""

    source: str
    target: str
    amount_usd: float | None  # sum of the known amounts of the deals that count; None if none known
    relationships: list[dict]  # deal listings (DEAL_KEYS), superseded ones too, sorted by id

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "target": self.target,
            "amount_usd": self.amount_usd,
            "relationships": [dict(r) for r in self.relationships],
        }


@dataclass(frozen=True)
class Cycle:
    """A money loop: ``hops[i]`` runs from ``nodes[i]`` to ``nodes[(i + 1) % len(nodes)]``."""

    nodes: list[str]
    hops: list[Hop]
    min_amount_usd: float | None  # the money that can go all the way round

    def to_dict(self) -> dict:
        """The JSON shape of ``dealgraph cycles --format json`` (see the README)."""
        return {
            "nodes": list(self.nodes),
            "hops": [h.to_dict() for h in self.hops],
            "min_amount_usd": self.min_amount_usd,
        }


def hop_deals(G, u, v) -> list[dict]:
    """Every deal moving money from ``u`` to ``v`` in a money-flow graph, listed and sorted
    by id: the edges (the deals that count) and the superseded deals the graph keeps aside."""
    deals = []
    if G.has_edge(u, v):
        edges = G[u][v].items() if G.is_multigraph() else [(None, G[u][v])]
        deals = [deal_summary({"id": key, **attrs}) for key, attrs in edges]
    for fields in G.graph.get("superseded", {}).get((u, v), ()):
        deals.append(deal_summary(fields, fields["superseded_by"]))
    deals.sort(key=lambda r: str(r["id"]))
    return deals


def hop_of(G, u, v) -> Hop:
    deals = hop_deals(G, u, v)
    return Hop(source=u, target=v, amount_usd=known_sum(deals), relationships=deals)


def _hop_of(u, v, deals_fields: Iterable[dict]) -> Hop:
    """The hop ``u -> v`` made of these deals (dicts of deal fields, ``id`` required; a
    superseded one carries its ``superseded_by``, and is listed but not added)."""
    deals = [deal_summary(fields, fields.get("superseded_by") or ()) for fields in deals_fields]
    deals.sort(key=lambda r: str(r["id"]))
    return Hop(source=u, target=v, amount_usd=known_sum(deals), relationships=deals)


def hop_amount(G, u, v) -> float | None:
    amounts = [a for a in (attrs.get("amount_usd") for attrs in _edge_attrs(G, u, v)) if a is not None]
    return float(sum(amounts)) if amounts else None


def _edge_attrs(G, u, v):
    return G[u][v].values() if G.is_multigraph() else [G[u][v]]


def rank_key(cycle: Cycle):
    known = [h.amount_usd for h in cycle.hops if h.amount_usd is not None]
    m = cycle.min_amount_usd
    return (
        m is None,
        -m if m is not None else 0.0,
        not known,
        -min(known) if known else 0.0,
        len(cycle.hops),
        [str(n) for n in cycle.nodes],
    )


def find_cycles(
    G,
    max_length: int = 6,
    through: str | None = None,
    min_amount: float | None = None,
) -> list[Cycle]:
    """The money loops of a money-flow graph, ranked by the money that can go round.

    ``G`` is a money-flow ``MultiDiGraph`` (payer -> payee, one edge per deal keyed by its
    id). Each loop of at most ``max_length`` entities is reported once, however many deals
    join its entities; a hop's amount is the sum of the known amounts of its deals.
    ``through`` keeps the loops containing that entity; ``min_amount`` keeps the loops
    whose every hop is known and at least that amount. Ranking: ``min_amount_usd``
    descending (known before unknown), then the smallest known hop amount descending
    (loops with no known amount last), then fewer hops, then the node ids.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("nvidia", "coreweave", key="r1", id="r1", kind="invests_in", amount_usd=1e8)
    'r1'
    >>> G.add_edge("coreweave", "nvidia", key="r2", id="r2", kind="customer_of", amount_usd=7e8)
    'r2'
    >>> [c] = find_cycles(G)
    >>> c.nodes, c.min_amount_usd
    (['coreweave', 'nvidia'], 100000000.0)
    >>> [h.amount_usd for h in c.hops]
    [700000000.0, 100000000.0]
    """
    k = check_max_length(max_length)
    if through is not None:
        check_node(G, through)
    _check_min_amount(min_amount)
    search = G
    if min_amount is not None:
        # Hops below the threshold (or with no known amount) can be on no kept loop, so
        # they are dropped before enumerating instead of filtering loops afterwards.
        import networkx as nx

        search = nx.DiGraph()
        search.add_nodes_from(G)
        for u, v in {(u, v) for u, v in G.edges()}:
            amount = hop_amount(G, u, v)
            if amount is not None and amount >= min_amount:
                search.add_edge(u, v)
    cycles = [
        _cycle(nodes, lambda u, v: hop_of(G, u, v)) for nodes in _simple_cycles(search, k, through)
    ]
    cycles.sort(key=rank_key)
    return cycles


def _check_min_amount(min_amount) -> None:
    if min_amount is not None:
        if isinstance(min_amount, bool) or not isinstance(min_amount, (int, float)) or not min_amount >= 0:
            raise QueryError(f"min_amount must be a number of at least 0, got {min_amount!r}")


def _cycle(nodes: list, hop: Callable[[str, str], Hop]) -> Cycle:
    n = len(nodes)
    hops = [hop(nodes[i], nodes[(i + 1) % n]) for i in range(n)]
    amounts = [h.amount_usd for h in hops]
    least = None if None in amounts else min(amounts)
    return Cycle(nodes=list(nodes), hops=hops, min_amount_usd=least)


#: Relative slack when hop totals are compared with ``min_amount`` before enumerating: totals
#: added in another order may differ in the last bits, so the search keeps hops a hair below
#: the threshold and the loops are checked again on the exact hop amounts.
_SLACK = 1e-9


def find_money_loops(
    flows: Iterable[tuple[str, str, float | None]],
    deals_on: Callable[[set[tuple[str, str]]], dict[tuple[str, str], list[dict]]],
    max_length: int = 6,
    through: str | None = None,
    min_amount: float | None = None,
) -> list[Cycle]:
    """:func:`find_cycles` without a graph of every deal: the same loops, hops and ranking.

    ``flows`` gives ``(payer, payee, amount_usd)`` for every money-moving deal that counts
    (only the ids and amounts: the search needs nothing else); ``deals_on(pairs)`` is then
    asked once for the fields of the deals on the ``(payer, payee)`` hops of the loops
    found, as ``{pair: [deal fields, ...]}`` (superseded deals too, each with its
    ``superseded_by``: a hop lists them but does not add them). An entity on no money-moving deal is on no
    loop, so an unknown ``through`` gives no loops here (callers resolve it first).

    >>> flows = [("coreweave", "nvidia", 7e8), ("nvidia", "coreweave", 1e8)]
    >>> deals = {("coreweave", "nvidia"): [{"id": "r2", "kind": "customer_of", "amount_usd": 7e8}],
    ...          ("nvidia", "coreweave"): [{"id": "r1", "kind": "invests_in", "amount_usd": 1e8}]}
    >>> [c] = find_money_loops(flows, lambda pairs: {p: deals[p] for p in pairs})
    >>> c.nodes, c.min_amount_usd
    (['coreweave', 'nvidia'], 100000000.0)
    """
    k = check_max_length(max_length)
    _check_min_amount(min_amount)
    if min_amount is None:
        pairs = flows  # the search reads only the first two fields of each row
    else:
        totals: dict[tuple[str, str], float] = {}
        for u, v, amount in flows:
            if amount is not None:
                totals[u, v] = totals.get((u, v), 0.0) + amount
        floor = min_amount - abs(min_amount) * _SLACK
        pairs = (pair for pair, total in totals.items() if total >= floor)
    found = list(simple_cycles_of_pairs(pairs, k, through))
    wanted = {(nodes[i], nodes[(i + 1) % len(nodes)]) for nodes in found for i in range(len(nodes))}
    deals = deals_on(wanted) if wanted else {}
    hops: dict[tuple[str, str], Hop] = {}

    def hop(u: str, v: str) -> Hop:
        h = hops.get((u, v))
        if h is None:
            h = hops[u, v] = _hop_of(u, v, deals.get((u, v), ()))
        return h

    cycles = [_cycle(nodes, hop) for nodes in found]
    if min_amount is not None:
        cycles = [c for c in cycles if c.min_amount_usd is not None and c.min_amount_usd >= min_amount]
    cycles.sort(key=rank_key)
    return cycles


# --------------------------------------------------------------------------- loop sizes


def deal_size(deal: dict) -> tuple[float | None, str]:
    """What one deal (a listing, :data:`DEAL_KEYS`) adds to its hop's size and on what basis:
    ``(usd, "stated" | "estimate" | "low end")``, or ``(None, why it adds nothing)``; the
    rule is the module docstring's.

    >>> deal_size({"amount_usd": 4e10, "amount_basis": "estimate"})
    (40000000000.0, 'estimate')
    >>> deal_size({"amount_usd": None, "amount_low": None, "amount_high": 2.5e10})
    (None, 'only a ceiling (up to $25B)')
    """
    amount = deal.get("amount_usd")
    if amount is not None:
        return float(amount), "estimate" if deal.get("amount_basis") == "estimate" else "stated"
    low = deal.get("amount_low")
    if low is not None:
        return float(low), "low end"
    high = deal.get("amount_high")
    if high is not None:
        return None, f"only a ceiling (up to {usd(float(high))})"
    return None, "no amount in its source"


_BASIS_RANK = {"stated": 0, "low end": 1, "estimate": 2}


def _hop_size(hop: dict) -> dict:
    total = None
    basis = "stated"
    whys = []
    for deal in hop["relationships"]:
        if deal.get("superseded_by"):
            continue  # listed, but it counts nowhere
        amount, how = deal_size(deal)
        if amount is None:
            whys.append((deal["id"], how))
            continue
        total = (0.0 if total is None else total) + amount
        if _BASIS_RANK[how] > _BASIS_RANK[basis]:
            basis = how
    if total is not None:
        return {"size_usd": total, "size_basis": basis, "unknown_why": None}
    if len(whys) == 1:
        why = f"{whys[0][1]} ({whys[0][0]})"
    else:
        why = "; ".join(f"{rid}: {how}" for rid, how in whys)
    return {"size_usd": None, "size_basis": None, "unknown_why": why}


def size_loops(cycles: Iterable[dict]) -> list[dict]:
    """The loops (dicts shaped as ``dealgraph cycles --format json``, from either engine) with
    their sizes (see the module docstring), ranked by them; the input is not modified."""
    sized = []
    for cycle in cycles:
        hops = [{**hop, **_hop_size(hop)} for hop in cycle["hops"]]
        known = [(h["size_usd"], _BASIS_RANK[h["size_basis"]], i) for i, h in enumerate(hops) if h["size_usd"] is not None]
        unsized = [{"hop": i, "source": h["source"], "target": h["target"], "why": h["unknown_why"]}
                   for i, h in enumerate(hops) if h["size_usd"] is None]
        smallest = min(known) if known else None
        whole = smallest is not None and not unsized
        sized.append({
            **cycle, "hops": hops,
            "size_usd": smallest[0] if whole else None,
            "size_basis": hops[smallest[2]]["size_basis"] if whole else None,
            "size_hop": smallest[2] if whole else None,
            "unsized_hops": unsized,
            "_least": smallest[0] if smallest else None,
        })
    sized.sort(key=lambda c: (
        c["size_usd"] is None, -(c["size_usd"] or 0.0), c["_least"] is None, -(c["_least"] or 0.0),
        len(c["hops"]), [str(n) for n in c["nodes"]],
    ))
    for c in sized:
        del c["_least"]
    return sized
