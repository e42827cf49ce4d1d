"""Shared fixtures: a real Neo4j for the tests that need one, and a real headless Chromium
for the HTML views' tests.

Neo4j comes from NEO4J_URI (with NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE) when set, otherwise
from the launcher in tests/neo4j_local/ (embedded Neo4j Community, Bolt on 127.0.0.1, auth off),
built with Maven and started once per session.

Fixtures:
    neo4j_server  (session)  Neo4jServer(uri, username, password, database, local)
    neo4j_uri     (session)  the bolt URI
    neo4j_driver  (session)  a neo4j.Driver for that server
    neo4j_db      (function) the same driver, after wiping the database (nodes, constraints, indexes)
    neo4j_auth_server (session) a Neo4jServer with authentication on (NEO4J_URI when it has
                  NEO4J_PASSWORD, else a second local launcher started on first use), for login tests;
                  never wiped, so write nothing there
    browser       (module)   a headless Chromium (Playwright; see browser_pages.py, which also
                  holds HOSTILE text and hostile_store)
    open_page     (function) open_page(path) -> browser_pages.Page, closed after the test

Without Neo4j the tests that use them skip, saying how to enable them; with DEALGRAPH_REQUIRE_NEO4J=1
they fail instead. Tests using them get the `neo4j` marker (deselect with `-m "not neo4j"`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "neo4j_local"))
import local_neo4j  # noqa: E402
from browser_pages import CHROMIUM, CHROMIUM_ARGS, REQUIRE, Page  # noqa: E402

NEO4J_FIXTURES = {"neo4j_server", "neo4j_uri", "neo4j_driver", "neo4j_db", "neo4j_auth_server"}
LOCAL_AUTH_PASSWORD = "dealgraph-test-password"
HOW_TO_ENABLE = (
    "To run the Neo4j tests install Java 17 and Maven (the fixture builds and starts tests/neo4j_local), "
    "or point NEO4J_URI (and NEO4J_USERNAME/NEO4J_PASSWORD) at a Neo4j 5 server you can wipe; "
    "set DEALGRAPH_REQUIRE_NEO4J=1 to make these tests mandatory."
)
_started: list[str] = []


@dataclass(frozen=True)
class Neo4jServer:
    """Where the test Neo4j is and how to log in (auth is None for the local launcher)."""

    uri: str
    username: str | None = None
    password: str | None = None
    database: str | None = None
    local: bool = False

    @property
    def auth(self) -> tuple[str, str] | None:
        if self.password is None:
            return None
        return (self.username or "neo4j", self.password)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "neo4j: needs a real Neo4j (from NEO4J_URI or tests/neo4j_local)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if NEO4J_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.neo4j)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for line in _started:
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With DEALGRAPH_FORBID_SKIPS=1 (CI) a skipped test fails the run: CI must run every test."""
    if os.environ.get("DEALGRAPH_FORBID_SKIPS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        for report in skipped:
            reporter.write_line(f"SKIPPED in CI (DEALGRAPH_FORBID_SKIPS=1): {report.nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _unavailable(reason: str):
    if os.environ.get("DEALGRAPH_REQUIRE_NEO4J") == "1":
        pytest.fail(f"Neo4j is required (DEALGRAPH_REQUIRE_NEO4J=1) but unavailable: {reason}", pytrace=False)
    pytest.skip(f"Neo4j unavailable: {reason.splitlines()[0]} {HOW_TO_ENABLE}")


def _check_server(server: Neo4jServer) -> int:
    """Runs RETURN 1 on the server; returns how many nodes its database holds."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        driver.verify_connectivity()
        records, _, _ = driver.execute_query("RETURN 1 AS one", database_=server.database)
        if records[0]["one"] != 1:
            raise RuntimeError(f"RETURN 1 gave {records[0]['one']!r}")
        records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS n", database_=server.database)
        return records[0]["n"]


def wipe(driver, database: str | None = None) -> None:
    """Empties a database: every node and relationship, every constraint and (non-lookup) index."""
    with driver.session(database=database) as session:
        while session.run("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n").single()["n"]:
            pass
        for record in list(session.run("SHOW CONSTRAINTS YIELD name")):
            session.run(f"DROP CONSTRAINT {_quote(record['name'])} IF EXISTS").consume()
        indexes = session.run(
            "SHOW INDEXES YIELD name, type, owningConstraint "
            "WHERE type <> 'LOOKUP' AND owningConstraint IS NULL RETURN name"
        )
        for record in list(indexes):
            session.run(f"DROP INDEX {_quote(record['name'])} IF EXISTS").consume()


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@pytest.fixture(scope="session")
def neo4j_server() -> Neo4jServer:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        server = Neo4jServer(
            uri=uri,
            username=os.environ.get("NEO4J_USERNAME"),
            password=os.environ.get("NEO4J_PASSWORD"),
            database=os.environ.get("NEO4J_DATABASE") or None,
        )
        try:
            nodes = _check_server(server)
        except Exception as exc:  # any driver/network error means "not reachable"
            _unavailable(f"cannot use NEO4J_URI={uri}: {type(exc).__name__}: {exc}")
        if nodes and os.environ.get("DEALGRAPH_TEST_NEO4J_WIPE") != "1":
            _unavailable(
                f"NEO4J_URI={uri} holds {nodes} nodes and the tests wipe it; set DEALGRAPH_TEST_NEO4J_WIPE=1 "
                "to allow that, or unset NEO4J_URI to use the local launcher."
            )
        yield server
        return

    yield from _local_server("local Neo4j")


@pytest.fixture(scope="session")
def neo4j_auth_server() -> Neo4jServer:
    uri, password = os.environ.get("NEO4J_URI"), os.environ.get("NEO4J_PASSWORD")
    if uri and password:
        server = Neo4jServer(
            uri=uri,
            username=os.environ.get("NEO4J_USERNAME") or "neo4j",
            password=password,
            database=os.environ.get("NEO4J_DATABASE") or None,
        )
        try:
            _check_server(server)
        except Exception as exc:
            _unavailable(f"cannot use NEO4J_URI={uri}: {type(exc).__name__}: {exc}")
        yield server
        return

    yield from _local_server("local Neo4j with auth", password=LOCAL_AUTH_PASSWORD, java_opts=["-Xmx512m"])


def _local_server(label: str, password: str | None = None, java_opts: list[str] | None = None):
    """Start a launcher from tests/neo4j_local, yield it as a Neo4jServer, stop it afterwards."""
    args = ["--password", password] if password else []
    try:
        process = local_neo4j.start(args, java_opts=java_opts)
    except (local_neo4j.LauncherError, OSError, TimeoutError) as exc:
        _unavailable(str(exc))
    try:
        server = Neo4jServer(uri=process.uri, username="neo4j" if password else None,
                             password=password, local=True)
        try:
            _check_server(server)
        except Exception as exc:
            _unavailable(f"{label} at {process.uri} does not answer: {type(exc).__name__}: {exc}")
        _started.append(f"{label} at {process.uri}, ready in {process.startup_seconds:.1f} s")
        yield server
    finally:
        process.stop()


@pytest.fixture(scope="session")
def neo4j_uri(neo4j_server: Neo4jServer) -> str:
    return neo4j_server.uri


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server: Neo4jServer):
    from neo4j import GraphDatabase

    driver = GraphDatabase.driver(neo4j_server.uri, auth=neo4j_server.auth)
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def neo4j_db(neo4j_server: Neo4jServer, neo4j_driver):
    wipe(neo4j_driver, neo4j_server.database)
    yield neo4j_driver


def neo4j_credentials_env(monkeypatch, server: Neo4jServer) -> None:
    """The CLI's Neo4j credentials and database from the environment, as ``server`` needs
    them (a variable the server does not need is removed)."""
    for name, value in (("NEO4J_USERNAME", server.username), ("NEO4J_PASSWORD", server.password),
                        ("NEO4J_DATABASE", server.database)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def cli_on_store(request, tmp_path, monkeypatch, files: dict[str, str], command: str):
    """``run(*args)``: `dealgraph COMMAND ARGS` on a store that `dealgraph load` filled with
    ``files`` (name -> text, written to ``tmp_path``): embedded when ``request.param`` is
    "sqlite", the wiped test Neo4j when it is "neo4j". ``run.json(*args)`` parses
    ``--format json``; ``run(..., ok=False)`` returns a failing result instead of asserting."""
    import json

    from click.testing import CliRunner
    from dealgraph.cli import main

    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    if request.param == "neo4j":
        request.getfixturevalue("neo4j_db")  # wiped
        server = request.getfixturevalue("neo4j_server")
        store = ["--neo4j-uri", server.uri]
        neo4j_credentials_env(monkeypatch, server)
    else:
        monkeypatch.delenv("NEO4J_URI", raising=False)
        store = ["--db", str(tmp_path / f"{command}.db")]
    loaded = CliRunner().invoke(main, ["load", *paths, *store])
    assert loaded.exit_code == 0, loaded.output

    def run(*args, ok=True):
        result = CliRunner().invoke(main, [command, *map(str, args), *store])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run.json = lambda *args: json.loads(run(*args, "--format", "json").output)
    return run


# --- the shipped dataset -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory):
    """The shipped dataset's entities and deals in an embedded store (written, not loaded)."""
    from dealgraph.load import shipped_dataset_dir
    from dealgraph.stores.sqlite_store import SQLiteStore
    from dealgraph.loaders import read_dataset

    data = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(tmp_path_factory.mktemp("shipped") / "s.db") as store:
        store.write(data.entities, data.relationships)
        yield store


@pytest.fixture(scope="module")
def shipped_db(tmp_path_factory) -> Path:
    """A store file holding the shipped dataset, loaded as a user loads it (`dealgraph load`)."""
    from click.testing import CliRunner

    from dealgraph.cli import main
    from dealgraph.load import shipped_dataset_dir

    db = tmp_path_factory.mktemp("shipped") / "s.db"
    result = CliRunner().invoke(main, ["load", str(shipped_dataset_dir()), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


# --------------------------------------------------------------------------- headless Chromium
# (the HTML views' tests; helpers in browser_pages.py)


@pytest.fixture(scope="module")
def browser():
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the machine
        problem = f"playwright is not installed ({exc})"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if REQUIRE:
            pytest.fail(f"DEALGRAPH_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # pragma: no cover - depends on the machine
            if REQUIRE:
                pytest.fail(f"cannot start Chromium: {exc}")
            pytest.skip(f"cannot start Chromium: {exc}")
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    opened = []

    def _open(path, **kw):
        page = Page(browser, path, **kw)
        opened.append(page)
        return page

    yield _open
    for page in opened:
        page.close()
