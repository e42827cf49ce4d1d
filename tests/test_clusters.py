"""Strongly connected money clusters, checked on small graphs by hand and against networkx."""

from __future__ import annotations

import random

import networkx as nx

from dealgraph.analyses.clusters import money_clusters
from dealgraph.model.records import Relationship


def test_two_clusters_and_a_bridge():
    # a <-> b (invests 5, buys back 3 + an unknown deal), c -> d -> e -> c (money 1, 2, 4),
    # b -> c is a bridge (no way back), f -> f is a self-deal: neither makes a cluster.
    deals = [
        Relationship("r1", "a", "invests_in", "b", 5.0),
        Relationship("r2", "b", "customer_of", "a", 3.0),
        Relationship("r3", "a", "supplies", "b", None),  # money b -> a, amount unknown
        Relationship("r4", "b", "lends_to", "c", 100.0),
        Relationship("r5", "c", "lends_to", "d", 1.0),
        Relationship("r6", "d", "leases_from", "e", 2.0),
        Relationship("r7", "c", "owns_warrant_in", "e", 4.0),  # equity granted: e -> c
        Relationship("r8", "f", "lends_to", "f", 7.0),
        Relationship("r9", "c", "partner_of", "a", 50.0),  # moves no money
    ]
    assert [c.to_dict() for c in money_clusters(deals)] == [
        {"entities": ["a", "b"], "deals": 3, "total_flow_usd": 8.0, "not_cash_usd": 0.0, "unknown_amount_deals": 1},
        {"entities": ["c", "d", "e"], "deals": 3, "total_flow_usd": 7.0, "not_cash_usd": 0.0, "unknown_amount_deals": 0},
    ]


def test_same_components_as_networkx():
    rng = random.Random(3)
    deals = [Relationship(f"r{i}", f"n{rng.randrange(40)}", "lends_to", f"n{rng.randrange(40)}", 1.0)
             for i in range(70)]
    G = nx.DiGraph((r.source, r.target) for r in deals if r.source != r.target)
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(G) if len(c) > 1)
    assert sorted(c.entities for c in money_clusters(deals)) == expected


def test_superseded_deals_do_not_count():
    deals = [Relationship("r1", "a", "invests_in", "b", 5.0), Relationship("r2", "b", "customer_of", "a", 3.0),
             Relationship("r3", "b", "customer_of", "a", 4.0, supersedes="r2")]
    assert [c.total_flow_usd for c in money_clusters(deals)] == [9.0]


def test_the_part_of_the_flow_that_is_not_cash():
    # a <-> b: 5 cash, 3 a contract total, 2 with no basis stated (not said to be non-cash),
    # 4 in stock: 14 in all, 7 of it not cash paid.
    deals = [Relationship("r1", "a", "invests_in", "b", 5.0, amount_basis="cash"),
             Relationship("r2", "b", "customer_of", "a", 3.0, amount_basis="contract_total"),
             Relationship("r3", "b", "lends_to", "a", 2.0),
             Relationship("r4", "b", "granted_shares_by", "a", 4.0, amount_basis="stock")]  # a -> b
    (cluster,) = money_clusters(deals)
    assert (cluster.total_flow_usd, cluster.not_cash_usd) == (14.0, 7.0)
