"""The Neo4j store against a real Neo4j (the local launcher, or NEO4J_URI)."""

import re
import socket

import pytest

import dealgraph.stores.neo4j_writer as neo4j_writer
from dealgraph.model.errors import ModelError, StoreError
from dealgraph.model.records import Entity, Relationship, schema
from dealgraph.stores.neo4j_store import Neo4jStore, safe_uri
from dealgraph.stores.sqlite_store import SQLiteStore

ENTITIES = [
    Entity("nvidia", "Nvidia", "chipmaker", ticker="NVDA", country="US"),
    Entity("coreweave", "CoreWeave", "neocloud", ticker="CRWV", aliases=("CoreWeave Inc.", "CW")),
    Entity("google", "Google", "hyperscaler", aliases=("Alphabet",)),
    Entity("fluidstack", "Fluidstack", "neocloud"),
    Entity("élan", "Élan ☃ ünïcode", "fund", country="FR"),
]
DEALS = [
    Relationship("d1", "nvidia", "invests_in", "coreweave", 1e8, "reported", "2023", "stake", "https://e/1", "t1"),
    Relationship("d2", "nvidia", "supplies", "coreweave", None, None, "2024-05", None, "https://e/2", None),
    Relationship("d3", "google", "partner_of", "fluidstack", 3.2e9, "backstop", "2025-08-14"),
    Relationship("d4", "coreweave", "customer_of", "nvidia", 0.1 + 0.2, "odd float"),
    Relationship("d5", "nvidia", "supplies", "coreweave", 7.0, None, "2024-06"),  # parallel deal
    Relationship("d6", "élan", "owns_warrant_in", "élan", 1.0),  # self-loop
]


def _many(n_entities: int, n_deals: int):
    kinds = list(schema().relationship_kinds)
    entities = [Entity(f"e{i:05d}", f"Entity {i}") for i in range(n_entities)]
    deals = [
        Relationship(
            f"r{j:06d}", f"e{j % n_entities:05d}", kinds[j % len(kinds)],
            f"e{(j * 7 + 3) % n_entities:05d}", float(j) if j % 3 else None,
        )
        for j in range(n_deals)
    ]
    return entities, deals


def open_store(server, uri=None, **options) -> Neo4jStore:
    options.setdefault("database", server.database)
    return Neo4jStore(uri or server.uri, username=server.username, password=server.password, **options)


@pytest.fixture
def store(neo4j_db, neo4j_server):
    with open_store(neo4j_server) as s:
        yield s


def test_constraints_and_indexes_exist(store, neo4j_db):
    constraints = {r["name"]: r for r in neo4j_db.execute_query("SHOW CONSTRAINTS").records}
    assert constraints["entity_id"]["type"] == "UNIQUENESS"
    assert constraints["entity_id"]["labelsOrTypes"] == ["Entity"]
    assert constraints["entity_id"]["properties"] == ["id"]
    indexed = {
        r["labelsOrTypes"][0]
        for r in neo4j_db.execute_query(
            "SHOW INDEXES YIELD entityType, labelsOrTypes, properties "
            "WHERE entityType = 'RELATIONSHIP' AND properties = ['id'] RETURN labelsOrTypes"
        ).records
    }
    assert indexed == {k.neo4j_type for k in schema().relationship_kinds.values()}


def test_round_trip_equals_the_embedded_store(store, tmp_path):
    store.write(ENTITIES, DEALS)
    with SQLiteStore(tmp_path / "s.db") as embedded:
        embedded.write(ENTITIES, DEALS)
        assert store.entities() == embedded.entities()
        assert store.relationships() == embedded.relationships()
        assert store.stats() == embedded.stats()
        assert store.as_of() == embedded.as_of()
        assert store.resolve("Alphabet") == embedded.resolve("Alphabet") == "google"
    assert store.relationships()[3].amount_usd == 0.1 + 0.2  # floats exact, not rounded
    assert store.relationships()[1].amount_usd is None


def test_loading_twice_keeps_the_same_counts(store, neo4j_db):
    store.write(ENTITIES, DEALS)
    first = store.stats()
    store.write(ENTITIES, DEALS)
    assert store.stats() == first
    nodes = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    rels = neo4j_db.execute_query("MATCH ()-[r]->() RETURN count(r) AS n").records[0]["n"]
    assert (nodes, rels) == (len(ENTITIES), len(DEALS))


def test_upsert_follows_a_deal_that_changed_kind_or_entities(store, tmp_path):
    store.write(ENTITIES, DEALS)
    moved = Relationship("d1", "google", "lends_to", "fluidstack", 5.0)
    store.write([], [moved])
    with SQLiteStore(tmp_path / "s.db") as embedded:
        embedded.write(ENTITIES, DEALS)
        embedded.write([], [moved])
        assert store.relationships() == embedded.relationships()


def test_interrupted_load_rerun_gives_exact_counts(store, monkeypatch):
    monkeypatch.setattr(neo4j_writer, "BATCH_SIZE", 500)
    entities, deals = _many(800, 4000)
    seen = []

    class Interrupt(Exception):
        pass

    def stop_midway(done, total):
        seen.append(done)
        if done >= total // 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        store.write(entities, deals, progress=stop_midway)
    partial = sum(store.stats()["relationships"].values())
    assert 0 < partial < len(deals)
    progress = []
    store.write(entities, deals, progress=lambda done, total: progress.append((done, total)))
    assert progress[-1] == (len(entities) + len(deals),) * 2
    steps = [b - a for (a, _), (b, _) in zip([(0, 0), *progress], progress)]
    assert all(0 < step <= 500 for step in steps)  # one call per committed batch
    stats = store.stats()
    assert sum(stats["entities"].values()) == len(entities)
    assert sum(stats["relationships"].values()) == len(deals)
    assert store.relationships() == sorted(deals, key=lambda r: r.id)


def test_relationship_types_come_only_from_the_model(store, neo4j_db):
    store.write(ENTITIES, DEALS)
    types = {r["t"] for r in neo4j_db.execute_query("MATCH ()-[r]->() RETURN DISTINCT type(r) AS t").records}
    model_types = {k.neo4j_type for k in schema().relationship_kinds.values()}
    assert types <= model_types
    bad = Relationship("x", "nvidia", "OWNS]->(x) DETACH DELETE x //", "coreweave")
    with pytest.raises(ModelError, match="unknown relationship kind"):
        store.write([], [bad])
    assert len(store.relationships()) == len(DEALS)


def test_deal_naming_a_missing_entity_is_an_error(store):
    store.write(ENTITIES, [])
    good = Relationship("d8", "nvidia", "invests_in", "coreweave", 2.0)
    bad = [Relationship(f"d{n}", "nvidia", "invests_in", f"nobody-{n % 7}", 1.0) for n in range(9, 30)]
    with pytest.raises(StoreError, match=r"21 deal\(s\) name entities that are not in the store "
                       r"\(nobody-0, nobody-1, nobody-2, nobody-3, nobody-4, \.\.\.\); nothing was written"):
        store.write([Entity("new", "New")], [good, *bad])
    assert store.relationships() == []  # nothing at all was written, not even the entity
    assert [e.id for e in store.entities()] == sorted(e.id for e in ENTITIES)
    # Entities written in the same call count as present.
    store.write([Entity("nobody-0", "Nobody"), Entity("new", "New")],
                [good, Relationship("d10", "nobody-0", "lends_to", "new", 1.0)])
    assert [r.id for r in store.relationships()] == ["d10", "d8"]


def test_neo4j_routing_uri_works(neo4j_db, neo4j_server):
    routing = neo4j_server.uri.replace("bolt://", "neo4j://", 1)
    with open_store(neo4j_server, routing) as s:
        s.write(ENTITIES, DEALS)
        assert [e.id for e in s.entities()] == sorted(e.id for e in ENTITIES)


def test_database_option_is_used(neo4j_db, neo4j_server):
    with open_store(neo4j_server, database=neo4j_server.database or "neo4j") as s:
        s.write(ENTITIES[:1], [])
        assert s.stats()["entities"] == {"chipmaker": 1}
    with pytest.raises(StoreError, match="has no database 'no-such-db'") as err:
        open_store(neo4j_server, database="no-such-db")
    assert "\n" not in str(err.value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wrong_password_gives_one_line_without_the_password(neo4j_auth_server):
    server = neo4j_auth_server
    wrong = "wrong-" + (server.password or "pw")[::-1]
    with pytest.raises(StoreError) as err:
        Neo4jStore(server.uri, username=server.username or "neo4j", password=wrong, database=server.database)
    message = str(err.value)
    assert "wrong username or password" in message
    assert server.uri in message
    assert wrong not in message and "\n" not in message


def test_unreachable_server_gives_one_line_with_a_hint():
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(StoreError) as err:
        Neo4jStore(uri, username="neo4j", password="s3cret-pw")
    message = str(err.value)
    assert "\n" not in message
    assert uri in message
    assert "docker compose up -d" in message
    assert "s3cret-pw" not in message


def test_credentials_in_the_uri_are_never_shown():
    uri = f"bolt://neo4j:s3cret-pw@127.0.0.1:{_free_port()}"
    with pytest.raises(StoreError) as err:
        Neo4jStore(uri)
    assert "s3cret-pw" not in str(err.value)
    assert "\n" not in str(err.value)
    assert safe_uri(uri).startswith("bolt://127.0.0.1:")


def test_unsupported_scheme():
    with pytest.raises(StoreError, match="expected one of bolt://"):
        Neo4jStore("http://127.0.0.1:7474")


def test_server_gone_mid_load_gives_one_line_with_a_hint(neo4j_server, monkeypatch):
    if not neo4j_server.local:
        pytest.skip("stops a server of its own: needs the local launcher (NEO4J_URI is set)")
    import local_neo4j  # tests/neo4j_local, put on sys.path by conftest

    monkeypatch.setattr(neo4j_writer, "BATCH_SIZE", 200)
    monkeypatch.setenv("DEALGRAPH_NEO4J_JAVA_OPTS", "-Xms128m -Xmx512m")
    entities, deals = _many(100, 2000)
    server = local_neo4j.start()
    try:
        store = Neo4jStore(server.uri)

        def stop_the_server(done, total):
            if done >= 600 and server.process.poll() is None:
                server.stop()

        with pytest.raises(StoreError) as err:
            store.write(entities, deals, progress=stop_the_server)
        store.close()
    finally:
        server.stop()
    message = str(err.value)
    assert "\n" not in message
    assert re.match(rf"Neo4j at {re.escape(server.uri)}: write stopped after \d+ of 2100 records", message)
    assert "re-run the same load" in message and "docker compose up -d" in message


def _plan_operators(plan) -> list[str]:
    found = [plan.get("operatorType", "")]
    for child in plan.get("children", []):
        found += _plan_operators(child)
    return found


def _write_statements() -> dict[str, str]:
    statements = {
        "update": neo4j_writer._UPDATE_DEALS + " RETURN count(r) AS n",
        "delete": neo4j_writer._DELETE_DEALS,
        "marker": f"MATCH (m:{neo4j_writer.MARKER} {{id: $id}}) RETURN count(m) AS n",
        "entities": neo4j_writer._MERGE_ENTITIES,
    }
    for rel_type in neo4j_writer.relationship_types().values():
        statements[f"create {rel_type}"] = neo4j_writer._create_deals_statement(rel_type)
        statements[f"find {rel_type}"] = neo4j_writer._find_deals_statement(rel_type)
    return statements


def test_every_write_lookup_is_a_seek_whatever_the_statistics(store, neo4j_db):
    # A plan that Neo4j makes from statistics can go wrong as a load changes them (a scan of
    # the whole index for every row was seen). The write statements only use lookups whose
    # plan does not depend on statistics: seeks on a unique constraint or on element ids.
    # Planned on an empty store and on a loaded one, with batch-sized parameter lists.
    rows = [[f"x{n}", "y", "z", "invests_in", 1.0, None, None, None, None, None, None] for n in range(5000)]
    entity_rows = [{"id": f"x{n}", "name": "X", "kind": "company", "ticker": None, "country": None, "aliases": []}
                   for n in range(5000)]
    for _ in range(2):
        for name, text in _write_statements().items():
            with neo4j_db.session() as session:
                params = {"rows": entity_rows if name == "entities" else rows, "id": "m",
                          "ids": [row[0] for row in rows]}
                plan = session.run("EXPLAIN " + text, params).consume().plan
            operators = [op.split("@")[0] for op in _plan_operators(plan)]
            assert not [op for op in operators if "Scan" in op], (name, operators)
            seeks = [op for op in operators if "Seek" in op]
            assert seeks and all("Unique" in op or "ByElementId" in op for op in seeks), (name, operators)
        entities, deals = _many(1000, 20000)
        store.write(entities, deals)


def test_each_write_transaction_is_safe_to_run_twice(store, neo4j_db, monkeypatch):
    # A transaction that committed but whose acknowledgement was lost is run again by the
    # driver: running every deal batch a second time must leave the same graph.
    monkeypatch.setattr(neo4j_writer, "BATCH_SIZE", 300)
    entities, deals = _many(300, 2000)
    store.write(entities, deals[:600])  # stored deals are updated, the others created
    moved = [Relationship(r.id, r.target, "lends_to", r.source, 1.0) for r in deals[:100]]
    later = moved + deals[100:]
    deletes, writes = store._writer._deal_tasks(later, "load-1")
    assert len(deletes) >= 1 and len(writes) > 2
    with neo4j_db.session() as session:
        for task in deletes + writes:
            session.execute_write(task.function, *task.args)
            session.execute_write(task.function, *task.args)
    assert store.relationships() == sorted(later, key=lambda r: r.id)
    rels = neo4j_db.execute_query("MATCH ()-[r]->() RETURN count(r) AS n").records[0]["n"]
    assert rels == len(deals)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_writes_match_the_embedded_store(neo4j_db, neo4j_server, tmp_path, monkeypatch, workers):
    monkeypatch.setattr(neo4j_writer, "BATCH_SIZE", 150)
    entities, deals = _many(250, 3000)
    kinds = list(schema().relationship_kinds)
    # A second load changing a third of the deals: new amounts, new kinds, new entities.
    changed = [
        Relationship(r.id, r.target if n % 2 else r.source, kinds[(n + 1) % len(kinds)] if n % 5 else r.kind,
                     r.source if n % 2 else r.target, None if n % 3 else 42.0, "changed")
        for n, r in enumerate(deals[::3])
    ]
    with open_store(neo4j_server, workers=workers) as store, SQLiteStore(tmp_path / "s.db") as embedded:
        for write in ((entities, deals), (entities[:10], changed)):
            progress = []
            store.write(*write, progress=lambda done, total: progress.append(done))
            embedded.write(*write)
            assert progress == sorted(progress) and progress[-1] == len(write[0]) + len(write[1])
        assert store.relationships() == embedded.relationships()
        assert store.stats() == embedded.stats()


def test_scheduler_never_runs_two_tasks_sharing_a_bucket():
    import random
    import threading
    import time

    rng = random.Random(5)
    tasks = [neo4j_writer._Task(frozenset({rng.randrange(6), rng.randrange(6)}), 1, None, (n,)) for n in range(200)]
    scheduler = neo4j_writer._Scheduler(tasks)
    held: list[int] = []
    ran: list[int] = []
    clashes: list[tuple] = []
    guard = threading.Lock()

    def work():
        while (task := scheduler.take()) is not None:
            with guard:
                if set(held) & task.keys:
                    clashes.append((tuple(held), task.keys))
                held.extend(task.keys)
            time.sleep(0.0005)
            with guard:
                for key in task.keys:
                    held.remove(key)
                ran.append(task.args[0])
            scheduler.release(task)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clashes == []
    assert sorted(ran) == list(range(200))
