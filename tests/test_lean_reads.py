"""The lean reads behind `dealgraph cycles`, `stress` and `render`: each engine's answer equals the generic one.

``money_flows`` / ``money_flow_deals`` / ``exposure_flows`` / ``superseded`` / ``resolve`` /
``entity_names`` / ``entities_of`` / ``count_deals`` / ``count_entities`` / ``as_of`` have a
generic implementation in :class:`dealgraph.stores.base.Store` (from ``relationships()``, which period
views use), an SQL one in the embedded store and, for the flows and ``superseded``, a Cypher
one reading four properties per deal in Neo4j; all must give the same answers, superseded
deals excluded, and the loops built on them must equal those of the full money-flow graph.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from dealgraph.analyses.cycles import find_cycles, size_loops
from dealgraph.stores.period import deals_in_period
from dealgraph.stores.neo4j_store import Neo4jStore
from dealgraph.analyses.queries import cycles
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.stores.base import Store

from random_deals import random_dataset


def _with_lineage(deals, seed):
    """Some deals supersede or expand earlier ones (so some money-moving deals stop counting)."""
    rng = random.Random(seed)
    out = []
    for d in deals:
        if out and rng.random() < 0.2:
            d = dataclasses.replace(d, supersedes=rng.choice(out).id)
        elif out and rng.random() < 0.1:
            d = dataclasses.replace(d, expands=rng.choice(out).id)
        out.append(d)
    return out


def _dataset(seed):
    entities, deals = random_dataset(seed, n=16, m=70)
    return entities, _with_lineage(deals, seed)


def _answers(store: Store, reads) -> tuple:
    flows = sorted(reads.money_flows(store), key=repr)
    pairs = {(u, v) for u, v, _ in flows}
    some = set(random.Random(len(pairs)).sample(sorted(pairs), min(6, len(pairs)))) | {("nobody", "x")}
    deals = reads.money_flow_deals(store, some)
    ids = [e.id for e in store.entities()][::2] + ["nobody"]
    kinds = {"invests_in", "supplies", "partner_of"}
    return (
        flows, deals, reads.entity_names(store, ids), reads.entities_of(store, ids),
        sorted(reads.money_flows(store, kinds), key=repr), reads.money_flow_deals(store, some, kinds),
        reads.count_entities(store), reads.count_deals(store), reads.count_deals(store, kinds, 0.2),
        reads.count_deals(store, None, 0.0), reads.as_of(store),
        sorted(reads.exposure_flows(store), key=repr), reads.superseded(store),
        [_resolved(reads, store, ref) for e in store.entities()[:6] for ref in (e.id, e.name.upper(), *e.aliases)]
        + [_resolved(reads, store, "nobody")],
    )


def _resolved(reads, store, ref):
    try:
        return reads.resolve(store, ref)
    except Exception as exc:  # the same refusal, worded the same, on every engine
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("seed", range(12))
def test_sqlite_reads_equal_the_generic_ones(tmp_path, seed):
    entities, deals = _dataset(seed)
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(entities, deals)
        assert _answers(store, SQLiteStore) == _answers(store, Store)
        flows = list(store.money_flows())
        superseded = {d.supersedes for d in deals if d.supersedes}
        counted = [d for d in deals if d.money_flow and d.id not in superseded]
        assert len(flows) == len(counted)
        # a hop lists every deal on it, superseded ones too (marked by the caller, not added)
        for pair, found in store.money_flow_deals({(u, v) for u, v, _ in flows}).items():
            assert [d.id for d in found] == sorted(d.id for d in deals if d.money_flow == pair)
            assert any(d.id not in superseded for d in found)


@pytest.mark.parametrize("seed", range(12))
def test_loops_from_lean_reads_equal_loops_of_the_full_graph(tmp_path, seed):
    entities, deals = _dataset(seed)
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(entities, deals)
        graph = store.money_flow_graph()
        through = random.Random(seed).choice(entities).id
        for k, via, least in [(6, None, None), (3, None, None), (1, None, None), (5, through, None),
                              (6, None, 0.25), (4, through, 1e6), (6, None, 0.0)]:
            expected = size_loops(c.to_dict() for c in find_cycles(graph, k, via, least))
            assert cycles(store, k, via, least) == expected, (k, via, least)
        # A period view has no SQL of its own: the generic reads answer for it.
        period = deals_in_period(store, "2024", None)
        expected = size_loops(c.to_dict() for c in find_cycles(period.money_flow_graph(), 6))
        assert cycles(period, 6) == expected


def test_neo4j_reads_give_the_same_answers(neo4j_db, neo4j_server, tmp_path):
    entities, deals = _dataset(3)
    neo = Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database)
    with SQLiteStore(tmp_path / "s.db") as embedded, neo:
        embedded.write(entities, deals)
        neo.write(entities, deals)
        assert _answers(neo, type(neo)) == _answers(embedded, SQLiteStore)


@pytest.mark.parametrize("seed", range(6))
def test_stress_from_the_lean_read_equals_debtrank_on_every_deal(tmp_path, seed):
    from dealgraph.analyses.stress import debtrank, stress_test

    entities, deals = _dataset(seed)
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(entities, deals)
        hit = 0
        for entity in entities[:5]:
            from_store = stress_test(store, [entity.id], default_buffer=0.5).to_dict()
            assert from_store == debtrank(deals, [entity.id], default_buffer=0.5).to_dict()
            hit += len(from_store["entities"]) > 1
        assert hit  # some failure spreads, so the comparison means something
