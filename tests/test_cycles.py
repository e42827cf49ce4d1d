"""Bounded cycle enumeration against networkx, and the money loops built on it."""

from __future__ import annotations

import copy
import json
import math
import random

import networkx as nx
import pytest

from dealgraph.analyses.cycles import DEAL_KEYS, Cycle, Hop, find_cycles, simple_cycles_bounded
from dealgraph.model.errors import DealgraphError
from dealgraph.model.graphs import money_flow_graph
from dealgraph.model.records import Entity, Relationship

# --------------------------------------------------------------------------- equivalence


def _random_graph(seed: int) -> tuple[nx.MultiDiGraph, int]:
    """A random MultiDiGraph (parallel edges and self-loops likely) and a length bound.

    Sizes and densities are mixed, but kept where networkx's own enumeration stays quick.
    Node labels are ints, strings, or a mix that cannot be sorted (insertion order).
    """
    rng = random.Random(seed)
    k = rng.randint(1, 7)
    n = rng.randint(1, 24)
    densities = {1: [1, 4, 8], 2: [1, 4, 8], 3: [1, 3, 6], 4: [1, 3, 5]}
    density = rng.choice(densities.get(k, [0.5, 1.5, 3]))
    labels = rng.choice(["int", "str", "mixed"])
    if labels == "int":
        names = rng.sample(range(1000), n)
    elif labels == "str":
        names = [f"n{rng.randrange(1000):03d}" for _ in range(n)]
        names = list(dict.fromkeys(names))
    else:
        names = [i if i % 2 else f"s{i}" for i in range(n)]
        rng.shuffle(names)
    G = nx.MultiDiGraph()
    G.add_nodes_from(names)
    for _ in range(int(density * len(names))):
        u, v = rng.choice(names), rng.choice(names)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):  # parallel deals
            G.add_edge(u, v)
    for v in names:
        if rng.random() < 0.1:
            G.add_edge(v, v)
    return G, k


def _canonical(cycle: list, rank: dict) -> tuple:
    i = min(range(len(cycle)), key=lambda j: rank[cycle[j]])
    return tuple(cycle[i:] + cycle[:i])


def _rank(G) -> dict:
    try:
        order = sorted(G)
    except TypeError:
        order = list(G)
    return {v: i for i, v in enumerate(order)}


def _reference(G, k) -> set[tuple]:
    rank = _rank(G)
    return {_canonical(c, rank) for c in nx.simple_cycles(G, length_bound=k)}


@pytest.mark.parametrize("seed", range(400))
def test_same_cycles_as_networkx(seed):
    G, k = _random_graph(seed)
    before = nx.to_dict_of_dicts(G)
    ours = [tuple(c) for c in simple_cycles_bounded(G, k)]
    assert len(ours) == len(set(ours)), "a cycle was produced twice"
    rank = _rank(G)
    assert all(c == _canonical(list(c), rank) for c in ours), "not rotated to the smallest node"
    assert set(ours) == _reference(G, k)
    assert nx.to_dict_of_dicts(G) == before


@pytest.mark.parametrize("seed", range(150))
def test_through_is_networkx_filtered(seed):
    G, k = _random_graph(10_000 + seed)
    reference = _reference(G, k)
    for x in random.Random(seed).sample(list(G), min(3, len(G))):
        ours = [tuple(c) for c in simple_cycles_bounded(G, k, through=x)]
        assert len(ours) == len(set(ours))
        assert set(ours) == {c for c in reference if x in c}


@pytest.mark.parametrize("seed", range(5))
def test_medium_random_graphs(seed):
    G = nx.gnm_random_graph(300, 900, seed=seed, directed=True)
    k = 4 + seed % 2
    ours = [tuple(c) for c in simple_cycles_bounded(G, k)]
    assert len(ours) == len(set(ours))
    assert set(ours) == _reference(G, k)


def test_digraph_and_self_loops():
    G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (2, 1), (3, 3)])
    assert sorted(simple_cycles_bounded(G, 3)) == [[1, 2], [1, 2, 3], [3]]
    assert list(simple_cycles_bounded(G, 1)) == [[3]]
    assert list(simple_cycles_bounded(G, 1, through=1)) == []
    assert list(simple_cycles_bounded(G, 1, through=3)) == [[3]]
    assert list(simple_cycles_bounded(nx.MultiDiGraph(), 5)) == []


def test_parallel_self_loops_count_once():
    G = nx.MultiDiGraph([("a", "a"), ("a", "a"), ("a", "b"), ("b", "a"), ("b", "a")])
    assert sorted(simple_cycles_bounded(G, 2)) == [["a"], ["a", "b"]]


def test_long_cycle_needs_no_recursion():
    n = 5000
    G = nx.cycle_graph(n, create_using=nx.DiGraph)
    assert list(simple_cycles_bounded(G, n)) == [list(range(n))]
    assert list(simple_cycles_bounded(G, n - 1)) == []
    assert list(simple_cycles_bounded(G, n, through=n // 2)) == [list(range(n))]


def test_string_nodes_start_at_smallest():
    G = nx.DiGraph([("zeta", "alpha"), ("alpha", "mid"), ("mid", "zeta")])
    assert list(simple_cycles_bounded(G, 3)) == [["alpha", "mid", "zeta"]]
    assert list(simple_cycles_bounded(G, 3, through="zeta")) == [["alpha", "mid", "zeta"]]


# --------------------------------------------------------------------------- money loops


def _deal(rid, source, kind, target, amount=None, date="2025"):
    return Relationship(
        id=rid, source=source, kind=kind, target=target, amount_usd=amount, date=date,
        evidence_url=f"https://example.com/{rid}", evidence_title=f"deal {rid}",
    )


ENTITIES = [
    Entity(i, i.title())
    for i in ["amd", "anthropic", "blue-owl", "coreweave", "crusoe", "google", "microsoft",
              "nvidia", "openai", "oracle"]
]
DEALS = [
    _deal("r01", "nvidia", "invests_in", "coreweave", 100.0),
    _deal("r02", "nvidia", "invests_in", "coreweave", 250.0),
    _deal("r03", "nvidia", "supplies", "coreweave", 700.0),  # money: coreweave -> nvidia
    _deal("r04", "coreweave", "customer_of", "nvidia"),  # same direction, amount unknown
    _deal("r05", "openai", "customer_of", "oracle", 300.0),
    _deal("r06", "oracle", "customer_of", "nvidia", 40.0),
    _deal("r07", "nvidia", "invests_in", "openai", 100.0),
    _deal("r08", "openai", "customer_of", "microsoft"),
    _deal("r09", "microsoft", "invests_in", "openai", 13.0),
    _deal("r10", "amd", "supplies", "openai"),  # money: openai -> amd
    _deal("r11", "openai", "owns_warrant_in", "amd"),  # money: amd -> openai
    _deal("r12", "google", "invests_in", "anthropic", 2000.0),
    _deal("r13", "anthropic", "customer_of", "google"),
    _deal("r14", "oracle", "leases_from", "crusoe", 40.0),
    _deal("r15", "crusoe", "customer_of", "oracle", 500.0),
    _deal("r16", "blue-owl", "lends_to", "crusoe", 40.0),
    _deal("r17", "crusoe", "customer_of", "blue-owl", 60.0),
    _deal("r18", "nvidia", "partner_of", "openai", 1e9),  # moves no money: no edge
]

RANKED = [
    ["coreweave", "nvidia"],  # min 350
    ["blue-owl", "crusoe"],  # min 40, two hops, first by name
    ["crusoe", "oracle"],  # min 40, two hops
    ["nvidia", "openai", "oracle"],  # min 40, three hops
    ["anthropic", "google"],  # unknown hop, smallest known 2000
    ["microsoft", "openai"],  # unknown hop, smallest known 13
    ["amd", "openai"],  # nothing known
]


@pytest.fixture
def flows():
    return money_flow_graph(ENTITIES, DEALS)


def test_ranking(flows):
    cycles = find_cycles(flows)
    assert [c.nodes for c in cycles] == RANKED
    assert [c.min_amount_usd for c in cycles] == [350.0, 40.0, 40.0, 40.0, None, None, None]
    assert len(cycles) == len(list(nx.simple_cycles(flows)))


def test_hops_sum_parallel_deals(flows):
    [loop] = [c for c in find_cycles(flows) if c.nodes == ["coreweave", "nvidia"]]
    back, forth = loop.hops
    assert (back.source, back.target, back.amount_usd) == ("coreweave", "nvidia", 700.0)
    assert [r["id"] for r in back.relationships] == ["r03", "r04"]
    assert back.relationships[1] == {
        "id": "r04", "kind": "customer_of", "amount_usd": None, "date": "2025",
        "evidence_url": "https://example.com/r04", "source": "coreweave", "target": "nvidia",
        "amount_note": None, "evidence_title": "deal r04", "supersedes": None, "expands": None,
        "amount_basis": None, "status": None, "amount_low": None, "amount_high": None, "superseded_by": [],
    }
    assert (forth.source, forth.target, forth.amount_usd) == ("nvidia", "coreweave", 350.0)
    assert [r["id"] for r in forth.relationships] == ["r01", "r02"]
    assert loop.min_amount_usd == 350.0


def test_unknown_hop_makes_minimum_unknown(flows):
    [loop] = [c for c in find_cycles(flows) if c.nodes == ["microsoft", "openai"]]
    assert [h.amount_usd for h in loop.hops] == [13.0, None]
    assert loop.min_amount_usd is None


@pytest.mark.parametrize(
    "min_amount, expected",
    [(0, RANKED[:4]), (40, RANKED[:4]), (40.5, RANKED[:1]), (350, RANKED[:1]), (351, [])],
)
def test_min_amount(flows, min_amount, expected):
    cycles = find_cycles(flows, min_amount=min_amount)
    assert [c.nodes for c in cycles] == expected
    assert all(c.min_amount_usd >= min_amount for c in cycles)


@pytest.mark.parametrize(
    "through, max_length, expected",
    [
        ("crusoe", 6, [RANKED[1], RANKED[2]]),
        ("nvidia", 6, [RANKED[0], RANKED[3]]),
        ("nvidia", 2, [RANKED[0]]),
        ("openai", 3, [RANKED[3], RANKED[5], RANKED[6]]),
        ("amd", 1, []),
    ],
)
def test_through(flows, through, max_length, expected):
    assert [c.nodes for c in find_cycles(flows, max_length, through=through)] == expected


def test_through_with_min_amount(flows):
    assert [c.nodes for c in find_cycles(flows, through="oracle", min_amount=40)] == [
        RANKED[2], RANKED[3]]


def test_to_dict_shape(flows):
    for cycle in find_cycles(flows):
        d = cycle.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert list(d) == ["nodes", "hops", "min_amount_usd"]
        nodes = d["nodes"]
        assert all(isinstance(n, str) for n in nodes)
        assert nodes[0] == min(nodes)
        assert d["min_amount_usd"] is None or isinstance(d["min_amount_usd"], float)
        assert len(d["hops"]) == len(nodes)
        for i, hop in enumerate(d["hops"]):
            assert list(hop) == ["source", "target", "amount_usd", "relationships"]
            assert hop["source"] == nodes[i]
            assert hop["target"] == nodes[(i + 1) % len(nodes)]
            assert hop["amount_usd"] is None or isinstance(hop["amount_usd"], float)
            ids = [r["id"] for r in hop["relationships"]]
            assert ids == sorted(ids) and ids
            for r in hop["relationships"]:
                assert list(r) == list(DEAL_KEYS)
                assert list(r)[:5] == ["id", "kind", "amount_usd", "date", "evidence_url"]  # DESIGN.md
                assert r["kind"] in {"invests_in", "lends_to", "customer_of", "supplies",
                                     "leases_from", "owns_warrant_in", "granted_shares_by"}
            known = [r["amount_usd"] for r in hop["relationships"] if r["amount_usd"] is not None]
            assert hop["amount_usd"] == (sum(known) if known else None)
        hop_amounts = [h["amount_usd"] for h in d["hops"]]
        assert d["min_amount_usd"] == (None if None in hop_amounts else min(hop_amounts))


def test_to_dict_example(flows):
    [top] = find_cycles(flows, max_length=2, min_amount=300)
    assert top.to_dict() == {
        "nodes": ["coreweave", "nvidia"],
        "hops": [
            {"source": "coreweave", "target": "nvidia", "amount_usd": 700.0, "relationships": [
                {"id": "r03", "kind": "supplies", "amount_usd": 700.0, "date": "2025",
                 "evidence_url": "https://example.com/r03", "source": "nvidia", "target": "coreweave",
                 "amount_note": None, "evidence_title": "deal r03", "supersedes": None, "expands": None,
                 "amount_basis": None, "status": None, "amount_low": None, "amount_high": None, "superseded_by": []},
                {"id": "r04", "kind": "customer_of", "amount_usd": None, "date": "2025",
                 "evidence_url": "https://example.com/r04", "source": "coreweave", "target": "nvidia",
                 "amount_note": None, "evidence_title": "deal r04", "supersedes": None, "expands": None,
                 "amount_basis": None, "status": None, "amount_low": None, "amount_high": None, "superseded_by": []},
            ]},
            {"source": "nvidia", "target": "coreweave", "amount_usd": 350.0, "relationships": [
                {"id": "r01", "kind": "invests_in", "amount_usd": 100.0, "date": "2025",
                 "evidence_url": "https://example.com/r01", "source": "nvidia", "target": "coreweave",
                 "amount_note": None, "evidence_title": "deal r01", "supersedes": None, "expands": None,
                 "amount_basis": None, "status": None, "amount_low": None, "amount_high": None, "superseded_by": []},
                {"id": "r02", "kind": "invests_in", "amount_usd": 250.0, "date": "2025",
                 "evidence_url": "https://example.com/r02", "source": "nvidia", "target": "coreweave",
                 "amount_note": None, "evidence_title": "deal r02", "supersedes": None, "expands": None,
                 "amount_basis": None, "status": None, "amount_low": None, "amount_high": None, "superseded_by": []},
            ]},
        ],
        "min_amount_usd": 350.0,
    }
    assert isinstance(top, Cycle) and all(isinstance(h, Hop) for h in top.hops)


def test_self_dealing_is_a_one_node_loop():
    G = nx.MultiDiGraph()
    G.add_edge("spv", "spv", key="r1", id="r1", kind="lends_to", amount_usd=5)
    [loop] = find_cycles(G)
    assert loop.nodes == ["spv"] and loop.min_amount_usd == 5.0
    assert (loop.hops[0].source, loop.hops[0].target) == ("spv", "spv")


def test_input_not_mutated(flows):
    before = copy.deepcopy(flows)
    find_cycles(flows, min_amount=10)
    find_cycles(flows, through="nvidia")
    list(simple_cycles_bounded(flows, 4))
    assert nx.utils.graphs_equal(flows, before)
    assert list(flows.edges(keys=True, data=True)) == list(before.edges(keys=True, data=True))


@pytest.mark.parametrize("max_length", [0, -1, 2.5, "3", True, None])
def test_bad_max_length(flows, max_length):
    with pytest.raises(DealgraphError, match="max_length"):
        find_cycles(flows, max_length=max_length)
    with pytest.raises(DealgraphError, match="max_length"):
        simple_cycles_bounded(flows, max_length)


@pytest.mark.parametrize("through", ["nobody", "NVIDIA", ["nvidia"]])
def test_unknown_through(flows, through):
    with pytest.raises(DealgraphError, match="unknown entity"):
        find_cycles(flows, through=through)
    with pytest.raises(DealgraphError, match="unknown entity"):
        simple_cycles_bounded(flows, 3, through=through)


@pytest.mark.parametrize("min_amount", [-1, "10", math.nan, True])
def test_bad_min_amount(flows, min_amount):
    with pytest.raises(DealgraphError, match="min_amount"):
        find_cycles(flows, min_amount=min_amount)
