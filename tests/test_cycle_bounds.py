"""Cycle search at the edges: huge and tiny bounds, complete digraphs, long rings.

networkx's ``simple_cycles`` is the oracle (cycles compared as sets, each rotated to start at
its smallest node). A bound above the number of nodes is no bound: it must cost what the
graph costs, never allocate in proportion to itself, and give the unbounded answer. The
times of these shapes against networkx and igraph are printed by ``bench/cycles.py``; here
each shape runs in well under a second.
"""

from __future__ import annotations

import functools
import tracemalloc

import networkx as nx
import pytest
from click.testing import CliRunner

import dealgraph.analyses.cycles as cycles_module
from dealgraph.analyses.cycles import simple_cycles_bounded, simple_cycles_of_pairs
from dealgraph.analyses.queries import NO_BOUND, run_query
from dealgraph.cli import main
from dealgraph.cypher import load_queries
from dealgraph.model.errors import DealgraphError
from dealgraph.stores.sqlite_store import SQLiteStore

HUGE = [10**9, 10**12, 2**70]


def canonical(cycle) -> tuple:
    cycle = list(cycle)
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


def oracle(G, bound=None, through=None) -> set[tuple]:
    """networkx's cycles of G (all of them, or of at most ``bound`` nodes), canonicalised."""
    found = {canonical(c) for c in nx.simple_cycles(G, length_bound=bound)}
    return {c for c in found if through is None or through in c}


def check(G, bound, expected: set[tuple], through=None, entry: str | None = None) -> None:
    """The search gives ``expected``, each cycle once and already canonical: both entry
    points, or only ``entry`` ("graph": simple_cycles_bounded, "pairs": simple_cycles_of_pairs)."""
    if entry in (None, "graph"):
        ours = list(simple_cycles_bounded(G, bound, through=through))
        assert len(ours) == len(expected)
        assert {tuple(c) for c in ours} == expected
        if through is None:
            assert all(tuple(c) == canonical(c) for c in ours)
    if entry in (None, "pairs") and through is None:
        pairs = list(simple_cycles_of_pairs(list(G.edges()), bound))
        assert len(pairs) == len(expected) and {tuple(c) for c in pairs} == expected


def worst_case_graph(k: int) -> nx.DiGraph:
    """Figure 1 of Johnson's paper (as in networkx's own tests): 3k + 3 nodes, 3k cycles."""
    G = nx.DiGraph()
    for n in range(2, k + 2):
        G.add_edge(1, n)
        G.add_edge(n, k + 2)
    G.add_edge(2 * k + 1, 1)
    for n in range(k + 2, 2 * k + 2):
        G.add_edge(n, 2 * k + 2)
        G.add_edge(n, n + 1)
    G.add_edge(2 * k + 3, k + 2)
    for n in range(2 * k + 3, 3 * k + 3):
        G.add_edge(2 * k + 2, n)
        G.add_edge(n, 3 * k + 3)
    G.add_edge(3 * k + 3, 2 * k + 2)
    return G


# --------------------------------------------------------------------------- shapes


def complete_cycle_count(n: int) -> int:
    """Simple cycles of 2..n nodes in the complete digraph on n nodes: sum C(n, j) (j - 1)!."""
    from math import comb, factorial

    return sum(comb(n, j) * factorial(j - 1) for j in range(2, n + 1))


@functools.lru_cache(maxsize=None)
def complete_oracle(n: int) -> frozenset:
    return frozenset(oracle(nx.complete_graph(n, nx.DiGraph)))


@pytest.mark.parametrize("entry", ["graph", "pairs"])
@pytest.mark.parametrize("n", range(1, 10))
def test_complete_digraph_with_a_huge_bound_is_every_cycle(n, entry):
    expected = complete_oracle(n)
    assert len(expected) == complete_cycle_count(n)  # 16,064 for K_8, 125,664 for K_9
    check(nx.complete_graph(n, nx.DiGraph), 10**9, expected, entry=entry)


@pytest.mark.parametrize("bound", [1, 2, 3, 5, 7, 8])
def test_complete_digraph_with_small_bounds(bound):
    G = nx.complete_graph(8, nx.DiGraph)
    check(G, bound, oracle(G, bound))


@pytest.mark.parametrize("n", [1_000, 10_000])
@pytest.mark.parametrize("bound", HUGE)
def test_ring_with_a_huge_bound(n, bound):
    G = nx.cycle_graph(n, nx.DiGraph)
    expected = oracle(G)
    assert expected == {tuple(range(n))}
    check(G, bound, expected)


@pytest.fixture(scope="module")
def ring100k():
    return nx.cycle_graph(100_000, nx.DiGraph)


@pytest.mark.parametrize("entry", ["graph", "pairs"])
@pytest.mark.parametrize("bound", [100_000, 10**12, 2**70])
def test_ring_of_a_hundred_thousand(ring100k, bound, entry):
    """networkx agrees on the smaller rings above (on this one it takes seconds: the bench
    runs it)."""
    check(ring100k, bound, {tuple(range(100_000))}, entry=entry)


def test_ring_of_a_hundred_thousand_one_node_short_and_through(ring100k):
    n = len(ring100k)
    check(ring100k, n - 1, set(), entry="graph")
    assert list(simple_cycles_bounded(ring100k, 10**12, through=n // 2)) == [list(range(n))]


@pytest.mark.parametrize("n", [2, 3, 1_000])
def test_ring_bound_at_and_around_its_length(n):
    G = nx.cycle_graph(n, nx.DiGraph)
    for bound in (1, n - 1, n, n + 1):
        check(G, bound, oracle(G, bound))


@pytest.mark.parametrize("bound", [1, 2, 3, 5, 11, 12, 13, 10**12, 2**70])
def test_johnsons_worst_case_graph(bound):
    G = worst_case_graph(3)  # 12 nodes, 9 cycles
    assert len(G) == 12
    check(G, bound, oracle(G, bound))
    for x in (1, 5, 8, 12):
        check(G, bound, oracle(G, bound, through=x), through=x)


@pytest.mark.parametrize("k", range(2, 10))
def test_worst_case_graphs_unbounded(k):
    G = worst_case_graph(k)
    expected = oracle(G)
    assert len(expected) == 3 * k
    check(G, 2**70, expected)


@pytest.mark.parametrize("bound", [1, 2, 3, 2**70])
def test_self_loops_only(bound):
    G = nx.DiGraph([(v, v) for v in range(50)])
    assert oracle(G, bound) == {(v,) for v in range(50)}
    check(G, bound, oracle(G, bound))
    check(G, bound, {(7,)}, through=7)


@pytest.mark.parametrize("bound", [1, 2, 2**70])
def test_empty_graph(bound):
    check(nx.DiGraph(), bound, set())
    assert list(simple_cycles_of_pairs([], bound)) == []


def test_bound_one_and_two_on_a_mixed_graph():
    G = nx.DiGraph([(0, 0), (0, 1), (0, 2), (1, 2), (2, 0), (2, 1), (2, 2)])  # networkx's own case
    check(G, 1, oracle(G, 1))
    check(G, 2, oracle(G, 2))
    assert oracle(G, 2) == {(0,), (2,), (0, 2), (1, 2)}
    check(G, 2**70, oracle(G))


@pytest.mark.parametrize("bound", [0, -1, -(2**70)])
def test_bound_below_one_is_refused_in_one_line(bound):
    """A cycle has at least one node: networkx answers no cycles, we refuse the bound."""
    G = nx.cycle_graph(4, nx.DiGraph)
    assert list(nx.simple_cycles(G, length_bound=0)) == []
    for search in (lambda: simple_cycles_bounded(G, bound), lambda: simple_cycles_of_pairs(G.edges(), bound)):
        with pytest.raises(DealgraphError) as err:
            search()
        assert "\n" not in str(err.value) and "max_length must be at least 1" in str(err.value)


def test_nested_cycles_one_of_every_length():
    """networkx's own bounded case: rings 0..n-1 for every n share their nodes."""
    G = nx.DiGraph()
    for n in range(10):
        nx.add_cycle(G, range(n))
    for bound in list(range(1, 12)) + HUGE:
        check(G, bound, oracle(G, bound))


def test_a_bound_does_not_allocate_in_proportion_to_itself():
    G = worst_case_graph(3)
    peaks = []
    for bound in (12, 10**12, 2**70):
        tracemalloc.start()
        list(simple_cycles_bounded(G, bound))
        list(simple_cycles_of_pairs(G.edges(), bound))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert max(peaks) < 2 * peaks[0] + 64 * 1024, peaks


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_with_every_bound_and_the_shared_level_path(seed, monkeypatch):
    """Random graphs, every bound up to beyond the node count, every search variant: the
    distance table with its levels copied (the default on small graphs) and with every level
    past the first sharing one set (what long chains of small levels get), long paths
    looked up in a set or in the list."""
    n = 5 + seed % 9
    G = nx.gnm_random_graph(n, 3 * n, seed=seed, directed=True)
    G.add_edge(seed % n, seed % n)
    everything = oracle(G)
    x = (seed * 7) % n
    for copies, allowance, short in ((4, 4096, 16), (0, 0, 2)):
        monkeypatch.setattr(cycles_module, "_LEVEL_COPIES", copies)
        monkeypatch.setattr(cycles_module, "_LEVEL_ALLOWANCE", allowance)
        monkeypatch.setattr(cycles_module, "_SHORT", short)
        for bound in list(range(1, n + 2)) + [2**70]:
            expected = {c for c in everything if len(c) <= bound}
            check(G, bound, expected)
            check(G, bound, {c for c in expected if x in c}, through=x)


# --------------------------------------------------------------------------- the canned query


def _rows(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", ["circular-financing", "circular-financing-graph"])
def test_canned_query_with_a_huge_max_length_is_no_bound(name, shipped_db):
    """`-p maxLength 10^12` (or 2^70) answers as a bound of the number of entities does."""
    with SQLiteStore(shipped_db) as store:
        n = len(store.entities())
    runner = CliRunner()
    args = ["query", name, "--db", str(shipped_db), "--format", "json", "-p", "maxLength"]
    unbounded = _rows(runner.invoke(main, args + [str(n)]))
    assert unbounded.count('"nodes"') > 0
    for value in (10**12, 2**70, n + 1):
        assert _rows(runner.invoke(main, args + [str(value)])) == unbounded


@pytest.mark.parametrize("value", ["0", "-5", "1e12", "lots"])
def test_canned_query_with_a_bad_max_length_is_one_line(value, shipped_db):
    result = CliRunner().invoke(main, ["query", "circular-financing", "--db", str(shipped_db),
                                       "-p", "maxLength", value])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "maxLength" in lines[0], result.output


def test_cli_max_length_stays_capped(shipped_db):
    result = CliRunner().invoke(main, ["cycles", "--db", str(shipped_db), "--max-length", "1000000000000"])
    assert result.exit_code == 2 and "--max-length" in result.output


# --------------------------------------------------------------------------- on Neo4j


HUGE_PARAMS = [
    ("circular-financing", "maxLength", {}),
    ("circular-financing", "maxLength", {"entity": "e"}),
    ("circular-financing-graph", "maxLength", {}),
    ("money-paths", "maxLength", {"from": "a", "to": "e"}),
    ("neighbourhood", "depth", {"entity": "a"}),
]


def _small_world():
    """Seven entities, a ring of six through every one of them with chords and a tail: loops,
    paths and neighbours of every length up to the number of entities."""
    from dealgraph.model.records import Entity, Relationship

    ids = "abcdefg"
    entities = [Entity(x, f"Entity {x.upper()}") for x in ids]
    deals = [Relationship(f"r{i}", ids[i], "invests_in", ids[(i + 1) % 6], 1e6 * (i + 1)) for i in range(6)]
    deals += [
        Relationship("c1", "c", "lends_to", "a", 5e5),
        Relationship("c2", "e", "customer_of", "b", 7e5),
        Relationship("c3", "f", "supplies", "d", 2e5),  # d pays f
        Relationship("t1", "f", "partner_of", "g"),
    ]
    return entities, deals


@pytest.mark.neo4j
def test_neo4j_treats_a_huge_bound_as_no_bound(neo4j_db, neo4j_server, tmp_path):
    """On Neo4j, through `run_query` and as raw Cypher (as Browser sends it, up to Neo4j's
    largest integer): a bound above the number of entities gives the rows a bound of the
    number of entities gives, and the embedded twin agrees."""
    from dealgraph.stores.neo4j_store import Neo4jStore

    queries = load_queries()
    entities, deals = _small_world()
    n = len(entities)
    with Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database) as neo, \
            SQLiteStore(tmp_path / "s.db") as embedded:
        neo.write(entities, deals)
        embedded.write(entities, deals)
        for name, key, params in HUGE_PARAMS:
            expected = run_query(embedded, name, {**params, key: n})
            shorter = run_query(embedded, name, {**params, key: 1})
            assert expected and len(expected) > len(shorter), name  # the bound matters here
            assert run_query(neo, name, {**params, key: n}) == expected, name
            for value in (n + 1, 10**12, 2**70):
                assert run_query(neo, name, {**params, key: value}) == expected, (name, value)
                assert run_query(embedded, name, {**params, key: value}) == expected, (name, value)
            raw = {**queries[name].params, **params, key: NO_BOUND}
            assert len(neo.run_cypher(queries[name].text, raw)) == len(expected), name
