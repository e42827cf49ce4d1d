"""The embedded store: upserts, all-or-nothing writes, round trips, lookups."""

import sqlite3

import pytest

from graph.errors import StoreError
from graph.model import Entity, Relationship
from graph.sqlite_store import SQLiteStore
from graph.store import UnknownEntityError

ENTITIES = [
    Entity("nvidia", "Nvidia", "chipmaker", ticker="NVDA", country="US"),
    Entity("coreweave", "CoreWeave", "neocloud", ticker="CRWV", aliases=("CoreWeave Inc.",)),
    Entity("google", "Google", "hyperscaler", aliases=("Alphabet",)),
    Entity("fluidstack", "Fluidstack", "neocloud"),
]
DEALS = [
    Relationship("d1", "nvidia", "invests_in", "coreweave", 1e8, "reported", "2023", "stake", "https://e/1", "t1"),
    Relationship("d2", "nvidia", "supplies", "coreweave", None, None, "2024-05", None, "https://e/2", None),
    Relationship("d3", "google", "partner_of", "fluidstack", 3.2e9, "backstop", "2025-08-14"),
]


@pytest.fixture
def store(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as s:
        yield s


def test_round_trip_is_exact(store):
    store.write(ENTITIES, DEALS)
    assert store.entities() == sorted(ENTITIES, key=lambda e: e.id)
    assert store.relationships() == DEALS


def test_writing_twice_changes_nothing(store):
    store.write(ENTITIES, DEALS)
    store.write(ENTITIES, DEALS)
    assert store.stats() == {
        "entities": {"chipmaker": 1, "hyperscaler": 1, "neocloud": 2},
        "relationships": {"invests_in": 1, "partner_of": 1, "supplies": 1},
        "figures": {},
    }


def test_upsert_replaces_fields(store):
    store.write(ENTITIES, DEALS)
    store.write([Entity("nvidia", "NVIDIA Corp", "chipmaker")], [])
    assert next(e for e in store.entities() if e.id == "nvidia").name == "NVIDIA Corp"


def test_failed_write_leaves_store_untouched(store):
    store.write(ENTITIES[:2], DEALS[:1])
    before = (store.entities(), store.relationships())
    dangling = Relationship("d9", "nvidia", "invests_in", "nobody", 1.0)
    with pytest.raises(StoreError, match="nothing was written"):
        store.write([Entity("amd", "AMD", "chipmaker")], [dangling])
    assert (store.entities(), store.relationships()) == before


def test_progress_is_reported_up_to_the_total(store):
    seen = []
    store.write(ENTITIES, DEALS, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (7, 7)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_store_persists_across_connections(tmp_path):
    with SQLiteStore(tmp_path / "p.db") as s:
        s.write(ENTITIES, DEALS)
    with SQLiteStore(tmp_path / "p.db") as s:
        assert len(s.relationships()) == 3


def test_money_flow_graph_follows_the_model(store):
    store.write(ENTITIES, DEALS)
    g = store.money_flow_graph()
    assert set(g.edges(keys=True)) == {("nvidia", "coreweave", "d1"), ("coreweave", "nvidia", "d2")}
    assert g.nodes["coreweave"]["ticker"] == "CRWV"
    assert set(store.deal_graph().edges(keys=True)) == {
        ("nvidia", "coreweave", "d1"), ("nvidia", "coreweave", "d2"), ("google", "fluidstack", "d3")}


@pytest.mark.parametrize("ref, expected", [
    ("coreweave", "coreweave"), ("CoreWeave", "coreweave"), ("coreweave inc.", "coreweave"),
    ("Alphabet", "google"),
])
def test_resolve_by_id_name_or_alias(store, ref, expected):
    store.write(ENTITIES, DEALS)
    assert store.resolve(ref) == expected


def test_resolve_unknown_and_ambiguous(store):
    store.write(ENTITIES + [Entity("alphabet-x", "Alphabet")], [])
    with pytest.raises(UnknownEntityError, match="no entity"):
        store.resolve("Zilch")
    with pytest.raises(UnknownEntityError, match="ambiguous: it names alphabet-x, google"):
        store.resolve("alphabet")


def test_as_of_is_the_latest_deal_date(store):
    assert store.as_of() is None
    store.write(ENTITIES, DEALS)
    assert store.as_of() == "2025-08-14"


def test_not_a_database_is_one_clear_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not sqlite" * 100)
    with pytest.raises(StoreError, match="bogus.db: not a usable dealgraph store"):
        SQLiteStore(bogus)


def test_missing_directory_is_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        SQLiteStore(tmp_path / "nope" / "s.db")


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "v9.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 9").connection.close()
    with pytest.raises(StoreError, match="schema version 9 is not supported"):
        SQLiteStore(path)


def test_opening_without_create_needs_an_existing_store(tmp_path):
    with pytest.raises(StoreError, match="no store here yet"):
        SQLiteStore(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
