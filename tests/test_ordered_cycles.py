"""Time-ordered loops: hand-made cases, and a brute force over every rotation, deal and day."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from dealgraph.model.values import Period, date_interval
from dealgraph.model.errors import QueryError
from dealgraph.analyses.ordered_cycles import ordered_cycles, ordered_simple_cycles


def graph(*deals):
    """``(source_payer, target_payee, date, amount)`` money-flow edges, ids r0, r1, ..."""
    G = nx.MultiDiGraph()
    for i, (u, v, when, amount) in enumerate(deals):
        G.add_edge(u, v, key=f"r{i}", id=f"r{i}", kind="lends_to", date=when, amount_usd=amount)
    return G


def summary(G, k=4, **kw):
    return [(c.nodes, o.start, o.deal_ids, o.span_days) for c, o in ordered_cycles(G, k, **kw)]


def test_any_start_but_one_way_round():
    # b -> c (Jan) -> a (Feb) -> b (Mar): in order starting at b, although a is the smallest id.
    G = graph(("a", "b", "2025-03-10", 1.0), ("b", "c", "2025-01-05", 1.0), ("c", "a", "2025-02-01", 1.0))
    assert summary(G) == [(["a", "b", "c"], "b", ["r1", "r2", "r0"], 64)]
    # Reversed in time (Mar, Feb, Jan going round) it is not ordered from any start.
    G = graph(("a", "b", "2025-03-10", 1.0), ("b", "c", "2025-02-01", 1.0), ("c", "a", "2025-01-05", 1.0))
    assert summary(G) == []
    G = graph(("a", "b", "2025-01-05", 1.0), ("b", "c", "2025-03-10", 1.0), ("c", "a", "2025-02-01", 1.0),
              ("a", "d", "2025-02-01", 1.0), ("d", "a", "2025-01-01", 1.0))
    # a->b Jan 5, b->c Mar 10, c->a Feb 1: two descents whatever the start -> not ordered;
    # a->d Feb 1, d->a Jan 1: ordered from d.
    assert summary(G) == [(["a", "d"], "d", ["r4", "r3"], 31)]


def test_partial_dates_are_intervals():
    # 2025-09 (the month) and 2025-09-15 may be in either order: both rotations work; the
    # shortest span is 0 days (both on Sept 15).
    G = graph(("a", "b", "2025-09", 1.0), ("b", "a", "2025-09-15", 1.0))
    assert summary(G) == [(["a", "b"], "a", ["r0", "r1"], 0)]
    # A year against a day in it: also possible, span 0.
    G = graph(("a", "b", "2025", 1.0), ("b", "a", "2025-09-15", 1.0))
    assert summary(G, window=0) == [(["a", "b"], "a", ["r0", "r1"], 0)]


def test_window():
    G = graph(("a", "b", "2025-01-01", 1.0), ("b", "c", "2025-01-31", 1.0), ("c", "a", "2025-03-01", 1.0))
    assert summary(G, window=59) == [(["a", "b", "c"], "a", ["r0", "r1", "r2"], 59)]
    assert summary(G, window=58) == []
    # Partial dates shrink the shortest span: Jan (the month) to 2025-02-15 can be 15 days apart.
    G = graph(("a", "b", "2025-01", 1.0), ("b", "a", "2025-02-15", 1.0))
    assert summary(G, window=15) == [(["a", "b"], "a", ["r0", "r1"], 15)]
    assert summary(G, window=14) == []


def test_undated_deals():
    # a hop whose only deal has no date keeps the loop out; an undated deal beside a dated
    # one on the same hop is ignored.
    G = graph(("a", "b", "2025-01-01", 1.0), ("b", "a", None, 1.0))
    assert summary(G) == []
    G.add_edge("b", "a", key="r9", id="r9", kind="lends_to", date="2025-02-01", amount_usd=2.0)
    [(cycle, order)] = ordered_cycles(G, 4)
    assert order.deal_ids == ["r0", "r9"] and cycle.hops[1].amount_usd == 3.0


def test_parallel_deals_are_picked_exactly():
    # hop a->b has deals on Jan 1 and Jul 1, hop b->a one on Mar 1. From a: Jan 1 then Mar 1
    # (59 days); from b: Mar 1 then Jul 1 (122 days). The shortest is reported.
    G = graph(("a", "b", "2025-01-01", 1.0), ("a", "b", "2025-07-01", 1.0), ("b", "a", "2025-03-01", 1.0))
    assert summary(G) == [(["a", "b"], "a", ["r0", "r2"], 59)]
    assert summary(G, window=60) == [(["a", "b"], "a", ["r0", "r2"], 59)]


def test_min_amount_and_through():
    G = graph(("a", "b", "2025-01-01", 5.0), ("b", "a", "2025-02-01", 1.0),
              ("b", "c", "2025-02-01", 5.0), ("c", "a", "2025-03-01", 5.0))
    assert [c.nodes for c, _ in ordered_cycles(G, 4)] == [["a", "b", "c"], ["a", "b"]]
    assert [c.nodes for c, _ in ordered_cycles(G, 4, min_amount=2.0)] == [["a", "b", "c"]]
    assert [c.nodes for c, _ in ordered_cycles(G, 4, through="c")] == [["a", "b", "c"]]
    with pytest.raises(QueryError):
        ordered_cycles(G, 4, window=-1)


# --------------------------------------------------------------------------- brute force


def brute_ordered(G, k, window):
    """Every cycle of networkx, every start, every pick of deals and every assignment of days
    taken from the deals' interval ends (an assignment exists iff one exists on those days)."""
    simple = nx.DiGraph((u, v) for u, v in G.edges() if u != v)
    out = {}
    for cyc in nx.simple_cycles(simple, length_bound=k):
        n = len(cyc)
        hops = []
        for i in range(n):
            deals = [date_interval(a["date"]).days for a in G[cyc[i]][cyc[(i + 1) % n]].values() if a.get("date")]
            hops.append(deals)
        ok = False
        for r in range(n):
            seq = hops[r:] + hops[:r]
            for pick in itertools.product(*seq):
                ends = sorted({x for iv in pick for x in iv})
                for days in itertools.product(*[[x for x in ends if a <= x <= b] for a, b in pick]):
                    if all(days[i] <= days[i + 1] for i in range(n - 1)) and (
                            window is None or days[-1] - days[0] <= window):
                        ok = True
                        break
                if ok:
                    break
            if ok:
                break
        if ok:
            i = cyc.index(min(cyc))
            out[tuple(cyc[i:] + cyc[:i])] = True
    return set(out)


DATES = ["2024", "2024-06", "2024-07", "2024-06-15", "2024-07-01", "2024-12-31", "2025-01", "2025-01-10",
         "2025-02-28", "2025", None]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("window", [None, 0, 20, 200])
def test_same_loops_as_brute_force(seed, window):
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    for i in range(34):
        G.add_edge(rng.randrange(9), rng.randrange(9), key=f"r{i}", id=f"r{i}", date=rng.choice(DATES), amount_usd=1.0)
    expected = brute_ordered(G, 4, window)
    found = [tuple(c) for c in ordered_simple_cycles(G, 4, window)]
    exact = {tuple(c.nodes) for c, _ in ordered_cycles(G, 4, window=window)}
    assert exact == expected
    assert expected <= set(found) and len(found) == len(set(found))  # the hull search is a superset
    for c, o in ordered_cycles(G, 4, window=window):
        assert window is None or o.span_days <= window
    # through one node: the loops through it
    exact_through = {tuple(c.nodes) for c, _ in ordered_cycles(G, 4, window=window, through=3)} if 3 in G else set()
    assert exact_through == {c for c in expected if 3 in c}


def test_period():
    assert Period.between("2025-09-15", None).keeps("2025-09")
    assert not Period.between(None, "2025-08").keeps("2025-09-01")
    assert Period.between().keeps(None) and not Period.between("2020").keeps(None)
    with pytest.raises(QueryError, match="after"):
        Period.between("2026", "2025")
    with pytest.raises(QueryError, match="not a date"):
        Period.between("2025-13")
    assert date_interval("2024-02").days[1] - date_interval("2024-02").days[0] == 28


def test_docstring_examples():
    import doctest

    import dealgraph.model.values
    import dealgraph.analyses.ordered_cycles

    for module in (dealgraph.model.values, dealgraph.analyses.ordered_cycles):
        assert doctest.testmod(module).failed == 0
