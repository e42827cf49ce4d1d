"""Loads running at the same time into one Neo4j: real `dealgraph load` processes, and the
races they can lose, played out step by step against the real server.

Deal ids are unique per relationship type in the database; a batch that loses a race is
written again as it then stands; markers belong to one load; an id written under two kinds
by two loads at once ends up stored once.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dealgraph.stores.neo4j_store as neo4j_store
from dealgraph.model.errors import StoreError
from dealgraph.model.records import Entity, Relationship, schema
from dealgraph.stores.neo4j_store import Neo4jStore
from dealgraph.load import shipped_dataset_dir
from dealgraph.loaders import read_dataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from synthetic import write_synthetic  # noqa: E402

DEALGRAPH = [sys.executable, "-c", "from dealgraph.cli import main; main()"]
KINDS = list(schema().relationship_kinds)


def open_store(server, **options) -> Neo4jStore:
    return Neo4jStore(server.uri, server.username, server.password, server.database, **options)


def _env(server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["NEO4J_URI"] = server.uri
    for name, value in (("NEO4J_USERNAME", server.username), ("NEO4J_PASSWORD", server.password),
                        ("NEO4J_DATABASE", server.database)):
        if value is not None:
            env[name] = value
    return env


def _load_at_once(server, *datasets: Path, timeout: float = 600) -> list[subprocess.CompletedProcess]:
    """Start one `dealgraph load DATASET` process per dataset, all at once; wait for all."""
    procs = [
        subprocess.Popen([*DEALGRAPH, "load", str(d)], env=_env(server), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for d in datasets
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _counts(driver, database) -> tuple[int, int, int]:
    """(entities, deals, load markers) in the database."""
    def count(query):
        return driver.execute_query(query, database_=database).records[0]["n"]

    deal_types = "|".join(neo4j_store.relationship_types().values())
    return (
        count("MATCH (n:Entity) RETURN count(n) AS n"),
        count(f"MATCH ()-[r:{deal_types}]->() RETURN count(r) AS n"),
        count(f"MATCH (m:{neo4j_store._MARKER}) RETURN count(m) AS n"),
    )


def _deals_by_id(store) -> dict[str, Relationship]:
    deals = store.relationships()
    return {r.id: r for r in deals}


def _rekinded(src: Path, out: Path, every: int = 3) -> Path:
    """A copy of a CSV dataset where every ``every``-th deal has another kind and amount."""
    out.mkdir()
    (out / "entities.csv").write_bytes((src / "entities.csv").read_bytes())
    with open(src / "relationships.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for n, row in enumerate(rows):
        if n % every == 0:
            row["kind"] = KINDS[(KINDS.index(row["kind"]) + 1) % len(KINDS)]
            row["amount_usd"] = str(1000 + n)
    with open(out / "relationships.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


# --------------------------------------------------------------------------- real processes


def test_two_loads_of_the_shipped_data_at_once_leave_each_deal_once(neo4j_db, neo4j_server):
    expected = read_dataset([shipped_dataset_dir()])
    for _ in range(2):  # two rounds, so the loads meet at different points
        neo4j_db.execute_query("MATCH (n) DETACH DELETE n", database_=neo4j_server.database)
        results = _load_at_once(neo4j_server, shipped_dataset_dir(), shipped_dataset_dir())
        for result in results:
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
        # every deal once, no marker left behind
        assert _counts(neo4j_db, neo4j_server.database) == (len(expected.entities), len(expected.relationships), 0)
        with open_store(neo4j_server) as store:
            assert store.relationships() == sorted(expected.relationships, key=lambda r: r.id)
            total = sum(r.amount_usd or 0 for r in store.relationships())
            assert total == sum(r.amount_usd or 0 for r in expected.relationships)


def test_bigger_loads_at_once_same_data_and_moved_kinds(neo4j_db, neo4j_server, tmp_path):
    """Two 20k-deal loads at once (several batches each, two writers each): no deadlock
    ends either, and every deal id is stored once. Then two loads giving a third of the
    deals different kinds: each id once, as one of the two loads wrote it (or one load is
    refused in one line, having found the other's deals stored)."""
    data = tmp_path / "a"
    write_synthetic(data, 3_000, 20_000, seed=3)
    started = time.monotonic()
    results = _load_at_once(neo4j_server, data, data)
    for result in results:
        assert result.returncode == 0, result.stderr
    assert _counts(neo4j_db, neo4j_server.database) == (3_000, 20_000, 0)
    expected = read_dataset([data]).relationships
    with open_store(neo4j_server) as store:
        assert store.relationships() == sorted(expected, key=lambda r: r.id)
    print(f"two 20k-deal loads at once: {time.monotonic() - started:.1f} s")

    other = _rekinded(data, tmp_path / "b")
    alternatives = {r.id: [r] for r in expected}
    for r in read_dataset([other]).relationships:
        alternatives[r.id].append(r)
    assert sum(a[0] != a[1] for a in alternatives.values()) > 6_000
    for datasets in ((other, data),):
        results = _load_at_once(neo4j_server, *datasets)
        # A load that finds the ids already stored under other kinds is refused (the CLI
        # checks before writing); both may pass that check before either writes.
        for result in results:
            assert result.returncode == 0 or (
                "is already stored as" in result.stderr and "Traceback" not in result.stderr
            ), result.stderr
        assert any(result.returncode == 0 for result in results)
        assert _counts(neo4j_db, neo4j_server.database) == (3_000, 20_000, 0)
        with open_store(neo4j_server) as store:
            stored = _deals_by_id(store)
        assert stored.keys() == alternatives.keys()
        assert all(stored[i] in alternatives[i] for i in stored)


# --------------------------------------------------------------------------- races, step by step


def _many(n_entities: int, n_deals: int, kind_shift: int = 0, amount: float | None = None):
    entities = [Entity(f"e{i:04d}", f"Entity {i}") for i in range(n_entities)]
    deals = [
        Relationship(f"r{j:05d}", f"e{j % n_entities:04d}", KINDS[(j + kind_shift) % len(KINDS)],
                     f"e{(j * 7 + 3) % n_entities:04d}", float(j) if amount is None else amount)
        for j in range(n_deals)
    ]
    return entities, deals


def _run(store, tasks):
    with store._session() as session:
        for task in tasks:
            neo4j_store._run_task(session, task)


def test_deal_ids_are_unique_per_type_in_the_database(neo4j_db, neo4j_server):
    with open_store(neo4j_server) as store:
        store.write(*_many(10, 20))
    constraints = {
        r["labelsOrTypes"][0]
        for r in neo4j_db.execute_query(
            "SHOW CONSTRAINTS YIELD type, entityType, labelsOrTypes, properties "
            "WHERE type = 'RELATIONSHIP_UNIQUENESS' AND properties = ['id'] RETURN labelsOrTypes"
        ).records
    }
    assert constraints == {k.neo4j_type for k in schema().relationship_kinds.values()}
    with pytest.raises(Exception, match="already exists with type"):
        neo4j_db.execute_query(
            "MATCH (a:Entity {id: 'e0000'}), (b:Entity {id: 'e0001'}) CREATE (a)-[:INVESTS_IN {id: $id}]->(b)",
            id=next(r.id for r in _many(10, 20)[1] if r.kind == "invests_in"),
        )


def test_a_store_made_before_the_constraints_gets_them(neo4j_db, neo4j_server):
    """A database set up by an earlier dealgraph has a plain index on each type's id."""
    for kind, rel_type in neo4j_store.relationship_types().items():
        neo4j_db.execute_query(f"CREATE INDEX deal_id_{kind} FOR ()-[r:{rel_type}]-() ON (r.id)")
    with open_store(neo4j_server) as store:
        store.write(*_many(10, 40))
        assert len(store.relationships()) == 40
    names = {r["name"] for r in neo4j_db.execute_query("SHOW CONSTRAINTS YIELD name").records}
    assert {f"deal_id_unique_{kind}" for kind in KINDS} <= names


def test_a_database_holding_a_deal_twice_is_refused_in_one_line(neo4j_db, neo4j_server):
    neo4j_db.execute_query(
        "CREATE (a:Entity {id: 'a'}), (b:Entity {id: 'b'}), "
        "(a)-[:LENDS_TO {id: 'twice', kind: 'lends_to'}]->(b), (a)-[:LENDS_TO {id: 'twice', kind: 'lends_to'}]->(b)"
    )
    with pytest.raises(StoreError) as err:
        open_store(neo4j_server)
    message = str(err.value)
    assert "\n" not in message and "cannot make deal ids unique" in message
    assert "holds a deal id twice" in message


def test_a_create_batch_that_lost_the_race_is_written_as_updates(neo4j_db, neo4j_server, monkeypatch):
    monkeypatch.setattr(neo4j_store, "BATCH_SIZE", 200)
    entities, deals = _many(100, 1000)
    _, theirs = _many(100, 1000, amount=7.0)
    with open_store(neo4j_server) as ours, open_store(neo4j_server) as other:
        ours.write(entities, [])
        deletes, writes = ours._deal_tasks(deals, "ours")  # read: nothing stored yet
        assert not deletes and all(t.function is neo4j_store._create_deals for t in writes)
        other.write([], theirs)  # another load creates the same ids meanwhile
        _run(ours, writes)  # each create fails on the constraint and is written again
        assert ours.relationships() == deals
        assert _counts(neo4j_db, neo4j_server.database)[1] == 1000


def test_an_update_batch_whose_deals_moved_is_written_again(neo4j_db, neo4j_server, monkeypatch):
    monkeypatch.setattr(neo4j_store, "BATCH_SIZE", 200)
    entities, deals = _many(100, 1000)
    _, moved = _many(100, 1000, kind_shift=1)
    changed = [Relationship(r.id, r.source, r.kind, r.target, 9.0) for r in deals]
    with open_store(neo4j_server) as ours, open_store(neo4j_server) as other:
        ours.write(entities, deals)
        _, writes = ours._deal_tasks(changed, "ours")  # updates by element id
        assert all(t.function is neo4j_store._update_deals for t in writes)
        other.write([], moved)  # another load moves every deal to another type
        _run(ours, writes)
        assert ours.relationships() == changed
        assert _counts(neo4j_db, neo4j_server.database)[1] == 1000


def test_an_id_created_under_two_kinds_at_once_is_kept_once(neo4j_db, neo4j_server):
    entities, deals = _many(50, 300)
    _, other_kind = _many(50, 300, kind_shift=2)
    with open_store(neo4j_server) as a, open_store(neo4j_server) as b:
        a.write(entities, [])
        neo4j_store_tasks = a._deal_tasks(deals, "a")[1]
        b.write([], other_kind)  # no constraint stops this: the types differ
        _run(a, neo4j_store_tasks)
        assert _counts(neo4j_db, neo4j_server.database)[1] == 600
        ids = sorted(r.id for r in deals)
        seen_by_a = neo4j_store._extra_copies(a._stored_copies(ids))
        seen_by_b = neo4j_store._extra_copies(b._stored_copies(ids))
        assert seen_by_a == seen_by_b and len(seen_by_a) == 300  # both would delete the same
        with a._session() as session:
            for rows in (seen_by_a, seen_by_b):  # both loads delete them: no harm
                session.execute_write(neo4j_store._run_write, neo4j_store._DELETE_DEALS, rows)
        assert _counts(neo4j_db, neo4j_server.database)[1] == 300
        stored = _deals_by_id(a)
        rel_type = neo4j_store.relationship_types()
        for mine, theirs in zip(deals, other_kind):
            keep = min((mine, theirs), key=lambda r: (rel_type[r.kind], r.source, r.target))
            assert stored[mine.id] == keep


def test_a_load_that_overlapped_another_leaves_one_copy_of_its_ids(neo4j_db, neo4j_server, monkeypatch):
    """The whole write: a load that ran while another was running ends by removing the
    copies of its ids that the other made under other kinds after it had looked."""
    entities, deals = _many(50, 300)
    _, other_kind = _many(50, 300, kind_shift=2)
    with open_store(neo4j_server) as a, open_store(neo4j_server) as b:
        b.write(entities, other_kind)  # what "b" creates while "a" runs
        with b._session() as session:
            session.execute_write(neo4j_store._begin_load, "b")  # "b" is still running
        real = a._stored_copies
        reads = []

        def first_read_saw_nothing(ids):
            reads.append(len(ids))
            return {} if len(reads) == 1 else real(ids)  # "a" looked before "b" wrote

        monkeypatch.setattr(a, "_stored_copies", first_read_saw_nothing)
        a.write([], deals)
        assert reads == [300, 300]  # the second read: the end-of-load check
        assert _counts(neo4j_db, neo4j_server.database)[1] == 300
        rel_type = neo4j_store.relationship_types()
        stored = _deals_by_id(a)
        for mine, theirs in zip(deals, other_kind):
            assert stored[mine.id] == min((mine, theirs), key=lambda r: (rel_type[r.kind], r.source, r.target))
        with b._session() as session:
            session.execute_write(neo4j_store._forget_load, "b")
        a.write([], deals[:5])  # alone now: no end-of-load check
        assert reads == [300, 300, 5]


def test_loads_that_overlap_know_it_and_keep_their_own_markers(neo4j_db, neo4j_server):
    """A load records itself while it runs; one beginning while another runs marks both as
    overlapping; a load ending deletes only its own markers."""
    def marker(marker_id):
        records, _, _ = neo4j_db.execute_query(
            f"MATCH (m:{neo4j_store._MARKER} {{id: $id}}) RETURN m.overlapped AS o", id=marker_id)
        return records[0]["o"] if records else None

    with open_store(neo4j_server) as store:
        entities, deals = _many(20, 50)
        store.write(entities, deals)  # alone: no markers left
        assert _counts(neo4j_db, neo4j_server.database)[2] == 0
        with store._session() as session:
            session.execute_write(neo4j_store._begin_load, "first")
            assert marker("first") is False
            assert not session.execute_read(neo4j_store._load_overlapped, "first")
            session.run(f"CREATE (:{neo4j_store._MARKER} {{id: 'first-0'}})").consume()
            session.execute_write(neo4j_store._begin_load, "second")
            assert marker("first") is True and marker("second") is True
            assert session.execute_read(neo4j_store._load_overlapped, "first")
            session.execute_write(neo4j_store._forget_load, "second")
        # a whole load while "first" runs: it leaves first's markers alone
        store.write([], [Relationship(r.id, r.source, r.kind, r.target, 1.0) for r in deals])
        assert marker("first") is True
        assert _marker_exists(neo4j_db, "first-0") and not _marker_exists(neo4j_db, "second")
        with store._session() as session:
            session.execute_write(neo4j_store._forget_load, "first")
        assert _counts(neo4j_db, neo4j_server.database)[2] == 0


def _marker_exists(driver, marker_id) -> bool:
    records, _, _ = driver.execute_query(
        f"MATCH (m:{neo4j_store._MARKER} {{id: $id}}) RETURN count(m) AS n", id=marker_id)
    return records[0]["n"] == 1


def test_markers_of_a_load_that_stopped_a_day_ago_are_removed(neo4j_db, neo4j_server):
    day = 24 * 3600 * 1000
    neo4j_db.execute_query(
        f"CREATE (:{neo4j_store._MARKER} {{id: 'old', started: timestamp() - $day - 1000, overlapped: false}}), "
        f"(:{neo4j_store._MARKER} {{id: 'old-3'}}), "
        f"(:{neo4j_store._MARKER} {{id: 'recent', started: timestamp() - 1000, overlapped: false}})",
        day=day,
    )
    with open_store(neo4j_server) as store:
        store.write(*_many(10, 20))
    assert not _marker_exists(neo4j_db, "old") and not _marker_exists(neo4j_db, "old-3")
    assert _marker_exists(neo4j_db, "recent")  # may still be running


# --------------------------------------------------------------------------- small load, big graph


def test_a_small_load_into_a_big_graph_reads_only_its_ids(neo4j_db, neo4j_server, monkeypatch):
    """Writing one deal looks up that one id (a unique seek per stored type), whatever the
    size of the graph: the database work for the lookup is the same at 2k and 20k deals."""
    looked_up: list[list[str]] = []
    real = neo4j_store._stored_deals

    def recording(tx, types, ids):
        looked_up.append(list(ids))
        return real(tx, types, ids)

    monkeypatch.setattr(neo4j_store, "_stored_deals", recording)
    hits = []
    with open_store(neo4j_server) as store:
        for n in (2_000, 20_000):
            entities, deals = _many(500, n)
            store.write(entities, deals)
            looked_up.clear()
            one = Relationship(deals[5].id, deals[5].source, deals[5].kind, deals[5].target, 123.0)
            store.write([], [one])
            assert looked_up == [[one.id]]
            assert _deals_by_id(store)[one.id] == one and len(store.relationships()) == n
            with store._session() as session:
                total = 0
                for rel_type in neo4j_store.relationship_types().values():
                    plan = session.run("PROFILE " + neo4j_store._find_deals_statement(rel_type),
                                       ids=[one.id]).consume().profile
                    total += _db_hits(plan)
            hits.append(total)
    assert hits[0] == hits[1] and hits[0] < 100, hits


def _db_hits(plan) -> int:
    return plan.get("dbHits", 0) + sum(_db_hits(child) for child in plan.get("children", []))
