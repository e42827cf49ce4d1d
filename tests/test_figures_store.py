"""Entity figures in both stores: round trips, idempotent upserts, the SQLite schema
migration, and the same answers from Neo4j as from the embedded store."""

from __future__ import annotations

import sqlite3

import pytest

from dealgraph.model.errors import StoreError
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.stores.sqlite_store import SCHEMA_VERSION, SQLiteStore

ENTITIES = [
    Entity("nvidia", "Nvidia", "chipmaker"),
    Entity("coreweave", "CoreWeave", "neocloud"),
    Entity("microsoft", "Microsoft", "hyperscaler"),
]
DEALS = [Relationship("d1", "nvidia", "invests_in", "coreweave", 1e8)]
FIGURES = [
    Figure("cw-rev-2024", "coreweave", "revenue", amount_usd=1.92e9, period="2024",
           note="S-1", evidence_url="https://e/s1", evidence_title="S-1 ☃"),
    Figure("cw-share-msft-2024", "coreweave", "customer_share", "microsoft", percent=62.0, period="2024"),
    Figure("cw-debt-2025", "coreweave", "debt", amount_usd=0.1 + 0.2, as_of="2025-06-30"),
    Figure("nv-debt", "nvidia", "debt", amount_usd=8.5e9, period="2025-Q2", as_of="2025-06-30"),
]


def check_figures(store) -> None:
    assert store.figures() == sorted(FIGURES, key=lambda f: f.id)
    assert [f.id for f in store.figures(entity="coreweave")] == ["cw-debt-2025", "cw-rev-2024", "cw-share-msft-2024"]
    assert [f.id for f in store.figures(kind="debt")] == ["cw-debt-2025", "nv-debt"]
    assert [f.id for f in store.figures(entity="nvidia", kind="revenue")] == []
    assert store.figures(kind="debt")[0].amount_usd == 0.1 + 0.2  # floats exact
    assert store.stats()["figures"] == {"customer_share": 1, "debt": 2, "revenue": 1}


def test_sqlite_round_trip_and_idempotence(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        for _ in range(2):
            store.write(ENTITIES, DEALS, figures=FIGURES)
        check_figures(store)
        moved = Figure("cw-rev-2024", "nvidia", "revenue", amount_usd=1.0, period="2024")
        store.write([], [], figures=[moved])  # an upsert replaces every field, the entity too
        assert store.figures(entity="nvidia", kind="revenue") == [moved]
        assert len(store.figures()) == len(FIGURES)


def test_sqlite_write_with_an_unknown_entity_writes_nothing(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        bad = Figure("x", "acme", "revenue", amount_usd=1.0, period="2024")
        with pytest.raises(StoreError, match="nothing was written"):
            store.write(ENTITIES, DEALS, figures=[*FIGURES, bad])
        assert store.entities() == [] and store.figures() == []


def test_a_version_1_store_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE entities (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
            ticker TEXT, country TEXT, aliases TEXT NOT NULL DEFAULT '[]');
        CREATE TABLE relationships (id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES entities(id),
            kind TEXT NOT NULL, target TEXT NOT NULL REFERENCES entities(id), amount_usd REAL,
            amount_note TEXT, date TEXT, summary TEXT, evidence_url TEXT, evidence_title TEXT);
        INSERT INTO entities VALUES ('nvidia', 'Nvidia', 'chipmaker', NULL, NULL, '[]');
        INSERT INTO entities VALUES ('coreweave', 'CoreWeave', 'neocloud', NULL, NULL, '[]');
        INSERT INTO entities VALUES ('microsoft', 'Microsoft', 'hyperscaler', NULL, NULL, '[]');
        INSERT INTO relationships (id, source, kind, target, amount_usd) VALUES ('d1', 'nvidia', 'invests_in', 'coreweave', 1e8);
        PRAGMA user_version = 1;
        """
    )
    conn.close()
    with SQLiteStore(path, create=False) as store:  # read-only: read as it is
        assert store.relationships() == DEALS
        assert store.figures() == []
    with SQLiteStore(path) as store:  # opened for writing: migrated
        store.write([], [], figures=FIGURES)
        check_figures(store)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    conn.close()


def test_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1} is not supported"):
        SQLiteStore(path)


# --------------------------------------------------------------------------- Neo4j


@pytest.fixture
def neo4j_store(neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as store:
        yield store


def test_neo4j_round_trip_equals_the_embedded_store(neo4j_store, neo4j_db, tmp_path):
    for _ in range(2):
        neo4j_store.write(ENTITIES, DEALS, figures=FIGURES)
    check_figures(neo4j_store)
    with SQLiteStore(tmp_path / "s.db") as embedded:
        embedded.write(ENTITIES, DEALS, figures=FIGURES)
        assert neo4j_store.figures() == embedded.figures()
        assert neo4j_store.stats() == embedded.stats()
    records = neo4j_db.execute_query(
        "MATCH (e:Entity)-[:HAS_FIGURE]->(f:Figure) OPTIONAL MATCH (f)-[:COUNTERPARTY]->(c:Entity) "
        "RETURN f.id AS id, e.id AS entity, c.id AS counterparty, f.when AS when ORDER BY id"
    ).records
    assert [tuple(r.values()) for r in records] == [
        ("cw-debt-2025", "coreweave", None, "2025-06-30"),
        ("cw-rev-2024", "coreweave", None, "2024-12-31"),
        ("cw-share-msft-2024", "coreweave", "microsoft", "2024-12-31"),
        ("nv-debt", "nvidia", None, "2025-06-30"),
    ]
    constraints = {r["name"]: r for r in neo4j_db.execute_query("SHOW CONSTRAINTS").records}
    assert constraints["figure_id"]["labelsOrTypes"] == ["Figure"]
    assert constraints["figure_id"]["type"] == "UNIQUENESS"


def test_neo4j_rewrite_moves_a_figure_without_stale_links(neo4j_store, neo4j_db):
    neo4j_store.write(ENTITIES, DEALS, figures=FIGURES)
    moved = Figure("cw-share-msft-2024", "nvidia", "customer_share", "coreweave", percent=10.0, period="2024")
    neo4j_store.write([], [], figures=[moved])
    assert neo4j_store.figures(entity="nvidia", kind="customer_share") == [moved]
    assert neo4j_store.figures(entity="coreweave", kind="customer_share") == []
    links = neo4j_db.execute_query(
        "MATCH (f:Figure {id: 'cw-share-msft-2024'})-[r]-() RETURN count(r) AS n").records[0]["n"]
    assert links == 2


def test_neo4j_figure_naming_an_unknown_entity_writes_nothing(neo4j_store, neo4j_db):
    bad = Figure("x", "acme", "revenue", amount_usd=1.0, period="2024")
    with pytest.raises(StoreError, match=r"0 deal\(s\) and 1 figure\(s\) name entities that are not in the store \(acme\)"):
        neo4j_store.write([], [], figures=[bad])
    assert neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == 0
