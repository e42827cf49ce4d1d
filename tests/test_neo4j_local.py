"""The Neo4j fixtures and the local launcher behind them."""

from __future__ import annotations

import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import local_neo4j  # on sys.path via conftest


def test_server_answers_return_1(neo4j_driver, neo4j_server):
    records, _, _ = neo4j_driver.execute_query("RETURN 1 AS one", database_=neo4j_server.database)
    assert records[0]["one"] == 1
    assert neo4j_server.uri.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://", "bolt+ssc://"))


def test_write_then_read_a_node(neo4j_db, neo4j_server):
    db = neo4j_server.database
    neo4j_db.execute_query("CREATE (:Probe {id: $id, n: 1})", id="first", database_=db)
    neo4j_db.execute_query("CREATE CONSTRAINT probe_id IF NOT EXISTS FOR (p:Probe) REQUIRE p.id IS UNIQUE", database_=db)
    neo4j_db.execute_query("CREATE INDEX probe_n IF NOT EXISTS FOR (p:Probe) ON (p.n)", database_=db)
    records, _, _ = neo4j_db.execute_query("MATCH (p:Probe) RETURN p.id AS id, p.n AS n", database_=db)
    assert [(r["id"], r["n"]) for r in records] == [("first", 1)]


def test_each_test_starts_with_an_empty_database(neo4j_db, neo4j_server):
    # Runs after test_write_then_read_a_node (file order): its node, constraint and index are gone.
    db = neo4j_server.database
    records, _, _ = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n", database_=db)
    assert records[0]["n"] == 0
    records, _, _ = neo4j_db.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names", database_=db)
    assert records[0]["names"] == []
    records, _, _ = neo4j_db.execute_query(
        "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN collect(name) AS names", database_=db
    )
    assert records[0]["names"] == []


def test_many_nodes_are_wiped_in_batches(neo4j_db, neo4j_server):
    from conftest import wipe

    db = neo4j_server.database
    neo4j_db.execute_query(
        "UNWIND range(1, 10500) AS i CREATE (a:Probe {i: i}) WITH a WHERE a.i % 100 = 0 CREATE (a)-[:NEXT]->(a)",
        database_=db,
    )
    wipe(neo4j_db, db)
    records, _, _ = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n", database_=db)
    assert records[0]["n"] == 0


def test_auth_server_refuses_a_wrong_password(neo4j_auth_server):
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError

    with GraphDatabase.driver(neo4j_auth_server.uri, auth=neo4j_auth_server.auth) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one", database_=neo4j_auth_server.database)
        assert records[0]["one"] == 1
    wrong = (neo4j_auth_server.username, "wrong-" + neo4j_auth_server.password)
    with GraphDatabase.driver(neo4j_auth_server.uri, auth=wrong) as driver:
        with pytest.raises(AuthError):
            driver.verify_connectivity()


# The launcher's own lifecycle: needs Java + Maven, so it only runs where the fixture could start one.


@pytest.fixture(scope="module")
def spare_launchers(neo4j_server):
    """Two more launchers, started side by side, for the tests that stop them."""
    if not neo4j_server.local:
        pytest.skip("NEO4J_URI is set: the local launcher is not in use")
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(local_neo4j.start, build_first=False, java_opts=["-Xmx384m"]) for _ in range(2)]
    servers = [f.result() for f in futures]  # a failed start fails the tests that use them
    yield servers
    for server in servers:
        server.stop(timeout=5)


def _bolt_port_open(uri: str) -> bool:
    host, port = uri.rsplit("//", 1)[1].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def _wait_exit(process, seconds: float) -> int | None:
    try:
        return process.wait(timeout=seconds)
    except Exception:
        return None


def test_launcher_serves_bolt_and_exits_when_stdin_closes(spare_launchers):
    launcher = spare_launchers[0]
    from neo4j import GraphDatabase

    home = launcher.log().split(" home ", 1)[1].split()[0]
    assert os.path.isdir(home)

    with GraphDatabase.driver(launcher.uri, auth=None) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one")
        assert records[0]["one"] == 1
    launcher.process.stdin.close()
    began = time.monotonic()
    code = _wait_exit(launcher.process, 30)
    assert code == 0, f"launcher still running 30 s after stdin closed\n{launcher.log()}"
    assert time.monotonic() - began < 30
    assert not _bolt_port_open(launcher.uri)
    assert "stopped" in launcher.log()
    assert not os.path.exists(home), "the temporary home should be deleted on exit"


def test_launcher_exits_on_sigterm(spare_launchers):
    launcher = spare_launchers[1]
    launcher.process.send_signal(signal.SIGTERM)
    code = _wait_exit(launcher.process, 30)
    assert code is not None, f"launcher still running 30 s after SIGTERM\n{launcher.log()}"
    assert code in (0, 128 + signal.SIGTERM, -signal.SIGTERM)
    assert "stopped" in launcher.log()
    assert not _bolt_port_open(launcher.uri)

