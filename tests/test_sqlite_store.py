"""The embedded store: upserts, all-or-nothing writes, round trips, lookups."""

import sqlite3

import pytest

from dealgraph.model.errors import StoreError
from dealgraph.model.records import Entity, Relationship
from dealgraph.stores.sqlite_store import APPLICATION_ID, SCHEMA_VERSION, SQLiteStore
from dealgraph.stores.base import UnknownEntityError

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
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    with pytest.raises(StoreError, match=r"schema version 9 is not supported \(this dealgraph reads versions 1 to 3\)"):
        SQLiteStore(path)


def test_opening_without_create_needs_an_existing_store(tmp_path):
    with pytest.raises(StoreError, match="no store here yet"):
        SQLiteStore(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


# --------------------------------------------------------------------------- files not ours


def file_state(path):
    """The bytes of a database and the names of its side files: what 'untouched' means."""
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def foreign_database(path, ddl):
    conn = sqlite3.connect(path)
    conn.executescript(ddl)
    conn.commit()
    conn.close()
    return path


FOREIGN = {
    "another application": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                           "INSERT INTO notes (body) VALUES ('keep me');",
    "a foreign entities table": "CREATE TABLE entities (id INTEGER PRIMARY KEY, label TEXT);"
                                "INSERT INTO entities (label) VALUES ('theirs');",
    "dealgraph-like tables, other application id":
        "CREATE TABLE entities (id TEXT PRIMARY KEY, name TEXT, kind TEXT, ticker TEXT, "
        "country TEXT, aliases TEXT); CREATE TABLE relationships (id TEXT PRIMARY KEY, "
        "source TEXT, kind TEXT, target TEXT, amount_usd REAL, amount_note TEXT, date TEXT, "
        "summary TEXT, evidence_url TEXT, evidence_title TEXT); PRAGMA application_id = 7;",
}


@pytest.mark.parametrize("create", [True, False], ids=["for writing", "for reading"])
@pytest.mark.parametrize("ddl", FOREIGN.values(), ids=FOREIGN.keys())
def test_another_applications_database_is_refused_untouched(tmp_path, ddl, create):
    path = foreign_database(tmp_path / "theirs.db", ddl)
    before = file_state(path)
    with pytest.raises(StoreError, match=r"theirs.db: not a dealgraph store .*left untouched"):
        SQLiteStore(path, create=create)
    assert file_state(path) == before
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_corrupt_page_is_one_clear_error(tmp_path):
    path = tmp_path / "c.db"
    with SQLiteStore(path) as s:
        s.write(ENTITIES, [Relationship(f"d{i}", "nvidia", "invests_in", "coreweave", float(i),
                                        summary="x" * 200) for i in range(2_000)])
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    data[10 * page : 12 * page] = b"\xa5" * (2 * page)  # two pages of a table's b-tree
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"c.db: .*(damaged|malformed)"):
        with SQLiteStore(path, create=False) as s:
            s.relationships()


def test_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with SQLiteStore(path) as s:
        assert s.entities() == []
        s.write(ENTITIES, DEALS)
    with SQLiteStore(path, create=False) as s:
        assert s.relationships() == DEALS


# --------------------------------------------------------------------------- versions


def version_1_store(path):
    """A store as dealgraph wrote it before version 2: no application id."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(V1_DDL)
    conn.execute("INSERT INTO entities VALUES ('nvidia', 'Nvidia', 'chipmaker', 'NVDA', 'US', '[]')")
    conn.execute("INSERT INTO entities VALUES ('coreweave', 'CoreWeave', 'neocloud', NULL, NULL, '[]')")
    conn.execute("INSERT INTO relationships (id, source, kind, target, amount_usd) "
                 "VALUES ('d1', 'nvidia', 'invests_in', 'coreweave', 1e8)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return path


V1_DDL = """
CREATE TABLE entities (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, ticker TEXT,
    country TEXT, aliases TEXT NOT NULL DEFAULT '[]');
CREATE TABLE relationships (id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES entities(id),
    kind TEXT NOT NULL, target TEXT NOT NULL REFERENCES entities(id), amount_usd REAL,
    amount_note TEXT, date TEXT, summary TEXT, evidence_url TEXT, evidence_title TEXT);
CREATE INDEX relationships_source ON relationships(source);
CREATE INDEX relationships_target ON relationships(target);
"""


def test_version_1_store_is_read_as_is_and_upgraded_when_written(tmp_path):
    path = version_1_store(tmp_path / "v1.db")
    before = path.read_bytes()
    with SQLiteStore(path, create=False) as s:
        assert [r.id for r in s.relationships()] == ["d1"]
    assert path.read_bytes() == before
    with SQLiteStore(path) as s:
        s.write([], DEALS[:1])
        assert [r.id for r in s.relationships()] == ["d1"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_new_store_is_marked_as_ours(tmp_path):
    with SQLiteStore(tmp_path / "n.db") as s:
        s.write(ENTITIES, DEALS)
    conn = sqlite3.connect(tmp_path / "n.db")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


# --------------------------------------------------------------------------- read-only use


def test_reading_never_writes_the_file(tmp_path):
    path = tmp_path / "r.db"
    with SQLiteStore(path) as s:
        s.write(ENTITIES, DEALS)
    before = path.read_bytes()
    path.chmod(0o444)
    with SQLiteStore(path, create=False) as s:
        assert s.relationships() == DEALS
        assert s.stats()["entities"]
        with pytest.raises(StoreError, match="read-only"):
            s.write(ENTITIES, [])
        # the connection itself is read-only (mode=ro), even for root
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s._conn.execute("DELETE FROM relationships")
    assert path.read_bytes() == before


def test_store_in_a_directory_sqlite_cannot_write_is_still_read(tmp_path):
    path = tmp_path / "ro.db"
    with SQLiteStore(path) as s:
        s.write(ENTITIES, DEALS)
    before = path.read_bytes()
    # As in a read-only directory, SQLite cannot create the store's -wal file here (a
    # directory holds the name); this holds for root too, unlike chmod.
    (tmp_path / "ro.db-wal").mkdir()
    with SQLiteStore(path, create=False) as s:
        assert s.relationships() == DEALS
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- writers


def test_failed_first_write_leaves_no_file(tmp_path):
    path = tmp_path / "new.db"
    dangling = Relationship("d9", "nvidia", "invests_in", "nobody", 1.0)
    with SQLiteStore(path) as s:
        with pytest.raises(StoreError, match="nothing was written"):
            s.write(ENTITIES, [dangling])
        assert s.entities() == []
    assert list(tmp_path.iterdir()) == []


def test_writer_waits_for_another_writer_then_fails_cleanly(tmp_path):
    path = tmp_path / "w.db"
    with SQLiteStore(path) as s:
        s.write(ENTITIES, DEALS)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with SQLiteStore(path, busy_timeout=0.2) as s:
            with pytest.raises(StoreError, match="locked .* nothing was written"):
                s.write(ENTITIES, [Relationship("d7", "nvidia", "invests_in", "google")])
            assert len(s.relationships()) == 3  # reading is not blocked by the writer
    finally:
        other.execute("ROLLBACK")
        other.close()
    with SQLiteStore(path) as s:
        s.write([], [Relationship("d7", "nvidia", "invests_in", "google")])
        assert len(s.relationships()) == 4


def test_version_2_store_gains_the_version_3_columns_when_written(tmp_path):
    # a version-2 store as written before the cited-deal fields (status, quote, ...) existed
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        f"""
        CREATE TABLE entities (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
            ticker TEXT, country TEXT, aliases TEXT NOT NULL DEFAULT '[]');
        CREATE TABLE relationships (id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES entities(id),
            kind TEXT NOT NULL, target TEXT NOT NULL REFERENCES entities(id), amount_usd REAL,
            amount_note TEXT, date TEXT, summary TEXT, evidence_url TEXT, evidence_title TEXT,
            supersedes TEXT, expands TEXT);
        CREATE TABLE figures (id TEXT PRIMARY KEY, entity TEXT NOT NULL REFERENCES entities(id),
            kind TEXT NOT NULL, counterparty TEXT REFERENCES entities(id), amount_usd REAL, percent REAL,
            period TEXT, as_of TEXT, note TEXT, evidence_url TEXT, evidence_title TEXT);
        CREATE VIEW current_relationships AS SELECT * FROM relationships AS r
            WHERE NOT EXISTS (SELECT 1 FROM relationships AS s WHERE s.supersedes = r.id);
        INSERT INTO entities VALUES ('nvidia', 'Nvidia', 'chipmaker', NULL, NULL, '[]');
        INSERT INTO entities VALUES ('coreweave', 'CoreWeave', 'neocloud', NULL, NULL, '[]');
        INSERT INTO relationships (id, source, kind, target, amount_usd) VALUES ('d1', 'nvidia', 'invests_in', 'coreweave', 1e8);
        PRAGMA application_id = {APPLICATION_ID};
        PRAGMA user_version = 2;
        """
    )
    conn.close()
    with SQLiteStore(path, create=False) as s:  # read as it is: the new fields read as absent
        (d1,) = s.relationships()
        assert (d1.id, d1.status, d1.evidence_quote) == ("d1", None, None)
        assert [e.lender_type for e in s.entities()] == [None, None]
    talks = Relationship("d2", "nvidia", "lends_to", "coreweave", 2e9, status="talks", amount_low=1e9,
                         amount_high=3e9, amount_basis="facility", evidence_quote="up to $3B")
    with SQLiteStore(path) as s:
        s.write([Entity("coreweave", "CoreWeave", "neocloud", lender_type=None)], [talks])
        assert s.relationships()[1] == talks
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    fresh = tmp_path / "fresh.db"
    with SQLiteStore(fresh) as s:
        s.write(ENTITIES, [])
    fresh_conn = sqlite3.connect(fresh)
    for table in ("entities", "relationships", "figures"):
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        assert columns == [r[1] for r in fresh_conn.execute(f"PRAGMA table_info({table})")], table
    conn.close()
    fresh_conn.close()
