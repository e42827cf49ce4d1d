"""Customer concentration and entity profiles: hand-computed answers, the same on both engines."""

from __future__ import annotations

import pytest

from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.analyses.profile import entity_profile
from dealgraph.analyses.queries import run_query
from dealgraph.stores.sqlite_store import SQLiteStore

ENTITIES = [Entity(i, i.upper()) for i in ("a", "b", "c", "v1", "v2", "v3", "v4", "v5")]
DEALS = [
    Relationship("d1", "a", "customer_of", "v2", 30.0),
    Relationship("d2", "a", "customer_of", "v2", 10.0),
    Relationship("d3", "v2", "supplies", "b", 60.0, evidence_url="https://e/d3"),
    Relationship("d4", "c", "leases_from", "v2"),  # no amount: not in the contract basis
    Relationship("d5", "b", "customer_of", "v3", 5.0),
    Relationship("d6", "a", "customer_of", "v1", 10.0),  # v1 has stated shares: contracts unused
    Relationship("d7", "a", "lends_to", "v2", 30.0),
    Relationship("d8", "b", "lends_to", "v2", 10.0),
    Relationship("d9", "c", "lends_to", "v2"),
    Relationship("d10", "v2", "customer_of", "v3", 1.0),  # v2 pays v3: v2 is v3's customer
    Relationship("d11", "b", "customer_of", "v3", 50.0),  # superseded by d12: does not count
    Relationship("d12", "b", "customer_of", "v3", 4.0, supersedes="d11"),
    Relationship("d13", "c", "customer_of", "v5", 9.0),  # v5's only known customer
]
FIGURES = [
    Figure("f1", "v1", "customer_share", "a", percent=35.0, period="2023"),
    Figure("f2", "v1", "customer_share", "a", percent=62.0, period="2024"),
    Figure("f3", "v1", "customer_share", "b", percent=15.0, period="2024"),
    Figure("f4", "v1", "customer_share", "a", percent=67.0, period="2025", evidence_title="10-K"),
    Figure("f5", "v1", "revenue", amount_usd=100.0, period="2025"),
    # Two sources for the same date disagree: the larger share is used.
    Figure("z", "v4", "customer_share", "a", percent=70.0, period="2024-Q2"),
    Figure("y", "v4", "customer_share", "a", percent=71.0, as_of="2024-06-30"),
    Figure("x", "v4", "customer_share", "b", percent=20.0, period="2024-Q2"),
]

# By hand:
#   v4 stated (2024-06-30): a 71, b 20        -> top 71, HHI 71² + 20² = 5041 + 400 = 5441
#   v1 stated (2025): a 67                    -> top 67, HHI 67² = 4489
#   v3 contracts: b 5 + 4 = 9 (d11 superseded), v2 1 (total 10) -> top b 90, HHI 90² + 10² = 8200
#   v5 contracts: c only                      -> left out (fewer than minCustomers=2 customers)
#   v2 contracts: a 30 + 10 = 40, b 60 (of 100) -> top b 60, HHI 40² + 60² = 1600 + 3600 = 5200
EXPECTED = [
    ("v4", "stated revenue share", "a", 71.0, 5441.0, 2, "2024-06-30"),
    ("v1", "stated revenue share", "a", 67.0, 4489.0, 1, "2025"),
    ("v3", "known contract values", "b", 90.0, 8200.0, 2, None),
    ("v2", "known contract values", "b", 60.0, 5200.0, 2, None),
]


def answers(store) -> list[tuple]:
    return [
        (r["entity"], r["basis"], r["top_customer"], r["top_share_pct"], r["hhi"], r["customers"], r["period"])
        for r in run_query(store, "concentration")
    ]


@pytest.fixture
def embedded(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(ENTITIES, DEALS, figures=FIGURES)
        yield store


def test_concentration_by_hand(embedded):
    got = answers(embedded)
    assert [g[:3] for g in got] == [e[:3] for e in EXPECTED]
    for g, e in zip(got, EXPECTED):
        assert g[3] == pytest.approx(e[3]) and g[4] == pytest.approx(e[4]) and g[5:] == e[5:]
    top = run_query(embedded, "concentration", {"entity": "V1"})  # a name works too
    assert [(r["entity"], r["evidence_title"]) for r in top] == [("v1", "10-K")]
    everyone = run_query(embedded, "concentration", {"minCustomers": 1})
    assert [(r["entity"], r["top_share_pct"], r["hhi"]) for r in everyone][2] == ("v5", 100.0, 10000.0)


def test_lender_concentration_by_hand(embedded):
    lenders = entity_profile(embedded, "v2")["lender_concentration"]
    # a 30, b 10 known (c unknown): a 75%, b 25%; HHI 75² + 25² = 5625 + 625 = 6250.
    assert (lenders["top_lender"], lenders["top_share_pct"], lenders["hhi"], lenders["known_usd"]) == ("a", 75.0, 6250.0, 40.0)
    assert [row["lender"] for row in lenders["lenders"]] == ["a", "b"]


def test_profile_sections(embedded):
    profile = entity_profile(embedded, "v2")
    assert profile["entity"]["id"] == "v2"
    assert {k: [d["id"] for d in g["deals"]] for k, g in profile["deals"]["in"].items()} == {
        "lends_to": ["d7", "d8", "d9"], "customer_of": ["d1", "d2"], "leases_from": ["d4"],
    }
    assert profile["deals"]["in"]["customer_of"]["known_usd"] == 40.0
    assert profile["deals"]["out"]["supplies"]["deals"][0]["reads"] == "V2 supplies B"
    assert profile["customer_concentration"]["top_customer"] == "b"
    v1 = entity_profile(embedded, "v1")
    assert [f["id"] for f in v1["figures"]] == ["f5", "f1", "f2", "f3", "f4"]  # schema kind order, then time
    a = entity_profile(embedded, "a")
    assert [f["id"] for f in a["figures_as_counterparty"]] == ["f1", "f2", "f4", "y", "z"]


def test_both_engines_agree_on_the_fixture(embedded, neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as neo:
        neo.write(ENTITIES, DEALS, figures=FIGURES)
        for params in ({}, {"minCustomers": 1}, {"entity": "v2"}):
            assert run_query(neo, "concentration", params) == run_query(embedded, "concentration", params)
        for ref in ("v1", "v2", "v3", "a"):
            assert entity_profile(neo, ref) == entity_profile(embedded, ref)
