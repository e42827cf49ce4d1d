"""Every canned query run in the real Neo4j Browser, as the README tells a user to.

The launcher (tests/neo4j_local, ``--browser-port``) serves Neo4j Browser, the static web app
of ``org.neo4j.client:neo4j-browser`` from Maven Central, beside a Neo4j 5.26 holding the
shipped dataset. Headless Chromium opens it, connects over Bolt WebSocket with "No
authentication", and for each query pastes the ``:params`` line, runs it, pastes the
query, runs it, and exports the rows (Table view, Export JSON). They must equal
``dealgraph query NAME --format json`` on the same server, value for value and type for
type: Browser parses ``:params`` itself and sends ``maxLength: 6`` as the float 6.0, so
a query that works only with integer parameters, or returns a float where the CLI gets
an integer, fails here. No query may raise a notification in Browser's Warn tab. The
Browser style ``cypher/dealgraph.grass`` is applied with ``:style`` and checked in the
graph view.

Needs Java and Maven (the launcher) and Debian's ``chromium``; without them these tests
skip, unless ``DEALGRAPH_REQUIRE_NEO4J=1`` / ``DEALGRAPH_REQUIRE_BROWSER=1`` (set by CI).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import local_neo4j  # tests/neo4j_local, put on sys.path by conftest
from dealgraph.cli import main
from dealgraph.cypher import load_queries
from dealgraph.model.records import schema
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.neo4j_store import entity_labels

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
QUERIES = load_queries()
GRASS = Path(QUERIES["money-paths"].path).with_name("dealgraph.grass")
#: Browser's Warn tab ("sl-alert" icon) lists the notifications of a result
WARN_TAB = ".sl-alert"


def _params_line(name: str) -> str:
    """The line a user pastes: the file's `:params` line, or for a query with required
    parameters the example the file gives right below it."""
    text = QUERIES[name].text
    example = re.search(r"^// .* e\.g\. (\{.*\})$", text, re.M)
    if example:
        return ":params " + example.group(1)
    return next(line for line in text.splitlines() if line.startswith("// :params ")).removeprefix("// ")


# Every query as its file says, and a few with other values typed into the :params line.
CASES = [(name, _params_line(name)) for name in QUERIES] + [
    ("circular-financing", ":params {maxLength: 3, entity: 'Nvidia', minAmount: 1000000000}"),
    ("circular-financing-graph", ":params {maxLength: 4, entity: 'coreweave', minAmount: null}"),
    ("concentration", ":params {entity: null, minCustomers: 3}"),
    ("customer-concentration", ":params {vendor: 'CoreWeave'}"),
    ("neighbourhood", ":params {entity: 'OpenAI', depth: 1}"),
]


def _require(kind: str, problem: str):
    if os.environ.get(f"DEALGRAPH_REQUIRE_{kind}") == "1":
        pytest.fail(f"DEALGRAPH_REQUIRE_{kind}=1 but {problem}", pytrace=False)
    pytest.skip(problem)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser_neo4j():
    """A launcher serving Neo4j Browser, loaded with the shipped dataset by `dealgraph load`."""
    try:
        server = local_neo4j.start(["--browser-port", "0"])
    except (local_neo4j.LauncherError, OSError, TimeoutError) as exc:
        _require("NEO4J", f"the local Neo4j with Browser cannot start: {exc}")
    try:
        assert server.browser_url and server.browser_url.startswith("http://127.0.0.1:"), server.browser_url
        loaded = _cli(server.uri, "load", shipped_dataset_dir())
        assert loaded.exit_code == 0, loaded.output
        yield server
    finally:
        server.stop()


def _cli(uri: str, *args):
    env = {"NEO4J_URI": uri, "NEO4J_USERNAME": None, "NEO4J_PASSWORD": None, "NEO4J_DATABASE": None}
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the machine
        _require("BROWSER", f"playwright is not installed ({exc})")
    if not Path(CHROMIUM).exists():
        _require("BROWSER", f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # pragma: no cover - depends on the machine
            _require("BROWSER", f"cannot start Chromium: {exc}")
        yield browser
        browser.close()


class NeoBrowser:
    """Neo4j Browser in a fresh Chromium context, connected to the test server the way a
    user connects: the form it opens with, "No authentication", Connect."""

    def __init__(self, chromium, url: str):
        origin = url.split("/browser/")[0]
        self.context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        # Browser asks for web fonts and crash reporting; nothing leaves this machine.
        self.context.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith((origin + "/", "ws://127.0.0.1:")) else route.abort())
        self.page = self.context.new_page()
        self.page.goto(url)
        self.page.select_option("select[data-testid='authenticationMethod']", label="No authentication")
        self.page.get_by_test_id("connect").click()
        self.page.get_by_role("heading", name="Connected to Neo4j").wait_for(timeout=60_000)

    def frames(self):
        return self.page.get_by_test_id("frame")

    def run(self, text: str):
        """Paste ``text`` into the editor, run it (Ctrl+Enter); the new frame, at the top."""
        before = self.frames().count()
        self.page.evaluate("text => navigator.clipboard.writeText(text)", text)
        self.page.get_by_test_id("activeEditor").click()
        self.page.keyboard.press("Control+V")
        self.page.keyboard.press("Control+Enter")
        if text.strip() == ":clear":
            self.page.wait_for_function("() => !document.querySelector('[data-testid=frame]')")
            return None
        self.page.wait_for_function(f"() => document.querySelectorAll('[data-testid=frame]').length > {before}")
        return self.frames().first

    def run_query(self, text: str):
        """Run a query and wait for its whole result; fails on an error frame."""
        frame = self.run(text)
        error = frame.get_by_test_id("cypherFrameErrorMessage")
        table = frame.get_by_test_id("cypherFrameSidebarTable")
        completed = frame.get_by_test_id("frameStatusbar").filter(has_text="completed after")
        # The sidebar shows before the result is complete, and an error can still follow:
        # look again until the Table view says the result completed, or an error shows.
        deadline = time.monotonic() + 90
        while not completed.count():
            assert not error.count(), f"Browser shows an error: {error.inner_text()}"
            assert time.monotonic() < deadline, f"no result after 90 s: {frame.inner_text()[:500]}"
            if table.count():
                table.click()
            self.page.wait_for_timeout(200)
        assert not error.count(), f"Browser shows an error: {error.inner_text()}"
        return frame

    def export_json(self, frame) -> list:
        """The frame's rows as Browser exports them (Export JSON of the Table view)."""
        frame.get_by_test_id("frame-export-dropdown").click()
        with self.page.expect_download() as download:
            self.page.get_by_text("Export JSON", exact=True).click()
        text = Path(download.value.path()).read_text("utf-8").lstrip("\ufeff")
        # Browser writes a newline in a string as it is: strict=False reads that.
        return json.loads(text, strict=False)

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def neo_browser(chromium, browser_neo4j):
    browser = NeoBrowser(chromium, browser_neo4j.browser_url)
    yield browser
    browser.close()


# --------------------------------------------------------------------------- rows


def _plain(value):
    """A value of Browser's export as the CLI writes it: a node is its properties, a path
    the list of its relationships, each as {id, kind, source, target} in stored direction."""
    if isinstance(value, dict) and {"segments", "start", "end"} <= value.keys():
        deals = []
        for segment in value["segments"]:
            rel = segment["relationship"]
            nodes = {n["elementId"]: n["properties"]["id"] for n in (segment["start"], segment["end"])}
            deals.append({"id": rel["properties"]["id"], "kind": rel["properties"]["kind"],
                          "source": nodes[rel["startNodeElementId"]], "target": nodes[rel["endNodeElementId"]]})
        return deals
    if isinstance(value, dict) and {"labels", "properties", "elementId"} <= value.keys():
        return _plain(value["properties"])
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _typed(value):
    """JSON text in which 6 and 6.0 differ, keys sorted: equal texts, equal values and types."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _first_difference(got: list, want: list) -> str:
    for i, (g, w) in enumerate(zip(got, want)):
        if _typed(g) != _typed(w):
            return f"row {i}:\n  Browser: {_typed(g)[:1500]}\n  CLI:     {_typed(w)[:1500]}"
    return f"{len(got)} rows in Browser, {len(want)} from the CLI"


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize(("name", "params_line"), CASES, ids=[f"{n}:{p[8:]}" for n, p in CASES])
def test_query_pasted_into_browser_gives_the_cli_rows(neo_browser, browser_neo4j, name, params_line):
    query = QUERIES[name]
    neo_browser.run(":clear")

    # 1. the :params line, parsed by Browser itself
    frame = neo_browser.run(params_line)
    try:
        frame.get_by_text("Successfully set your parameters").wait_for()
    except Exception:
        neo_browser.page.screenshot(path="/tmp/nb-fail.png")
        raise
    shown = json.loads(re.search(r"^\{\n.*?\n\}", frame.inner_text(), re.S | re.M).group(0))
    literal = params_line.removeprefix(":params ")
    with _driver(browser_neo4j.uri) as driver:
        typed = driver.execute_query(f"RETURN {literal} AS params").records[0]["params"]
    assert set(shown) == set(query.params) and shown == typed
    # What this test is for: Browser sends the integers of the line as floats.
    for key, value in typed.items():
        if type(value) is int:
            assert type(shown[key]) is float, (key, shown[key])

    # 2. the query, pasted whole (its header is Cypher comments)
    frame = neo_browser.run_query(query.text)
    warn = frame.locator(WARN_TAB)
    if warn.count():
        warn.click()
        pytest.fail(f"{name} raises a notification in Browser: {frame.get_by_test_id('frameContents').inner_text()}")
    got = [_plain(row) for row in neo_browser.export_json(frame)]
    if name == "circular-financing-graph":
        # the CLI writes a row's one-deal paths as one list of deals
        got = [{**row, "deals": [deal for path in row["deals"] for deal in path]} for row in got]

    # 3. the CLI on the same server with the same values
    args = [a for key, value in typed.items() if value is not None for a in ("-p", key, value)]
    result = _cli(browser_neo4j.uri, "query", name, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    want = json.loads(result.stdout)
    assert want, f"{name} with {params_line} finds nothing: choose values that give rows"
    assert _typed(got) == _typed(want), _first_difference(got, want)
    status = frame.get_by_test_id("frameStatusbar").inner_text()
    assert f"Started streaming {len(want)} record" in status, status


def _driver(uri: str):
    from neo4j import GraphDatabase

    return GraphDatabase.driver(uri)


def test_no_query_raises_a_notification_on_the_server(browser_neo4j):
    """What Browser's Warn tab shows, asked of the server directly: every notification of
    every severity, for each query with the values of the Browser cases, integers as floats."""
    with _driver(browser_neo4j.uri) as driver:
        for name, line in CASES:
            params = driver.execute_query(f"RETURN {line.removeprefix(':params ')} AS p").records[0]["p"]
            params = {k: float(v) if type(v) is int else v for k, v in params.items()}
            with driver.session(notifications_min_severity="INFORMATION") as session:
                result = session.run(QUERIES[name].text, params)
                assert list(result), (name, line)
                summary = result.consume()
            raised = [(s.gql_status, s.status_description) for s in summary.gql_status_objects
                      if s.is_notification]
            assert raised == [], (name, line, raised)


def _grass_rules(text: str) -> dict[str, dict[str, str]]:
    """GraSS read as Neo4j Browser's own parser reads it: `selector { key: value; ... }`,
    braces inside quotes being text."""
    rules, selector, body, depth, quoted = {}, "", "", 0, False
    for char in text:
        if char in "'\"":
            quoted = not quoted
        if char == "{" and not quoted:
            depth += 1
        elif char == "}" and not quoted:
            depth -= 1
            rules[selector.strip()] = dict(
                (k.strip(), v.strip()) for k, v in (item.split(":", 1) for item in body.split(";") if item.strip())
            )
            selector, body = "", ""
        elif depth:
            body += char
        else:
            selector += char
    assert depth == 0 and not quoted, "unbalanced braces or quotes"
    return rules


def test_style_file_has_the_views_colours_and_captions():
    text = GRASS.read_text("utf-8")
    # Browser's GraSS parser knows no comments and splits each declaration at its colons.
    assert "/*" not in text and "//" not in text
    rules = _grass_rules(text)
    model = schema()
    for kind, label in entity_labels().items():
        rule = rules[f"node.{label}"]
        assert rule["color"] == model.entity_kinds[kind].color
        assert rule["caption"] == "'{name}'"
    for kind in model.relationship_kinds.values():
        rule = rules[f"relationship.{kind.neo4j_type}"]
        assert rule["color"] == kind.color
        assert rule["caption"] == "'{kind} {amount_usd}'"
    assert rules["node.Entity"]["caption"] == "'{name}'"
    for rule in rules.values():
        assert all(value.count(":") == 0 for value in rule.values()), rule


def test_entities_carry_their_kind_as_a_label(neo4j_db, neo4j_server, tmp_path):
    from dealgraph.model.records import Entity
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as store:
        store.write([Entity("nvidia", "Nvidia", kind="chipmaker"), Entity("x", "X", kind="ai_lab")], [])
        store.write([Entity("x", "X", kind="data_center")], [])  # a reload that changes the kind
    records = neo4j_db.execute_query(
        "MATCH (e:Entity) RETURN e.id AS id, labels(e) AS labels ORDER BY id", database_=neo4j_server.database
    ).records
    assert [(r["id"], sorted(r["labels"])) for r in records] == [
        ("nvidia", ["Chipmaker", "Entity"]), ("x", ["DataCenter", "Entity"]),
    ]


def test_style_colours_the_loops_in_browsers_graph_view(chromium, browser_neo4j):
    """`:style` with the file's text, "Connect result nodes" off (`:config autoComplete:
    false`, as the README says): the graph view of circular-financing-graph draws just
    the deals on the loops, each entity in its kind's colour, captioned by name, each deal
    in its kind's colour, captioned by kind and amount."""
    browser = NeoBrowser(chromium, browser_neo4j.browser_url)
    try:
        frame = browser.run(":style " + GRASS.read_text("utf-8"))
        assert not frame.get_by_test_id("cypherFrameErrorMessage").count()
        assert "Could not parse" not in frame.inner_text()
        browser.run(":config autoComplete: false")
        browser.run(_params_line("circular-financing-graph"))
        frame = browser.run(QUERIES["circular-financing-graph"].text)
        frame.locator("svg g.node").first.wait_for(timeout=90_000)
        browser.page.wait_for_timeout(500)
        drawn = frame.evaluate("""f => ({
            nodes: [...f.querySelectorAll('svg g.node')].map(g => ({
                fill: g.querySelector('circle.b-outline').getAttribute('fill'), caption: g.textContent.trim()})),
            deals: [...f.querySelectorAll('svg g.relationship')].map(g => ({
                fill: g.querySelector('path.b-outline').getAttribute('fill'), caption: g.textContent.trim()})),
        })""")
    finally:
        browser.close()

    rows = json.loads(_cli(browser_neo4j.uri, "query", "circular-financing-graph", "--format", "json").stdout)
    with _driver(browser_neo4j.uri) as driver:
        entities = {r["id"]: (r["name"], r["kind"]) for r in driver.execute_query(
            "MATCH (e:Entity) RETURN e.id AS id, e.name AS name, e.kind AS kind").records}
    model = schema()
    on_loops = {e for row in rows for e in row["nodes"]}
    deals = {d["id"]: d for row in rows for d in row["deals"]}
    assert len(drawn["nodes"]) == len(on_loops)
    assert len(drawn["deals"]) == len(deals)  # nothing added between the entities
    colour_of = {}
    for entity in on_loops:
        name, kind = entities[entity]
        colour_of.setdefault(name.replace(" ", ""), set()).add(model.entity_kinds[kind].color)
    for node in drawn["nodes"]:
        # Browser shortens a long caption with an ellipsis and may break it over lines
        shown = node["caption"].replace(" ", "").rstrip("…")
        colours = set().union(*(c for n, c in colour_of.items() if n.startswith(shown)))
        assert node["fill"] in colours, node
    for deal in drawn["deals"]:
        shown = deal["caption"].split(" ")[0].rstrip("…")
        colours = {k.color for k in model.relationship_kinds.values() if k.name.startswith(shown)}
        assert deal["fill"] in colours, deal
    # kind and amount, e.g. "invests_in 10000000000.0" (maybe shortened)
    assert any(re.match(r"[a-z_]+ \d", d["caption"]) for d in drawn["deals"]), drawn["deals"][:5]
