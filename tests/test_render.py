"""HTML views without a browser: the embedded data, escaping, offline assets, selection, limits."""

import json
import re

import networkx as nx
import pytest

import dealgraph.output.html as render
from dealgraph.analyses.cycles import find_cycles
from dealgraph.model.errors import RenderError
from dealgraph.model.graphs import deal_graph, money_flow_graph
from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import embed_json, evidence_href, render_view
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.stores.base import Store

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "<!-- <script>alert(1)//",
    "a & b \u2028 c \u2029 d",
    "\"'`${alert(1)}",
]

ENTITIES = [
    Entity("nvidia", "Nvidia", "chipmaker", ticker="NVDA", country="US"),
    Entity("coreweave", "CoreWeave", "neocloud", ticker="CRWV"),
    Entity("openai", "OpenAI", "ai_lab"),
    Entity("oracle", "Oracle", "cloud", ticker="ORCL"),
    Entity("blue-owl", "Blue Owl", "lender"),
    Entity("lonely", "Lonely Co", "company"),
]
DEALS = [
    Relationship("d1", "nvidia", "invests_in", "coreweave", 1e8, "reported", "2023-04", None, "https://e.example/1", "t1"),
    Relationship("d2", "nvidia", "supplies", "coreweave", 7e8, None, "2024"),
    Relationship("d3", "openai", "customer_of", "oracle", 3e11, "up to", "2025-09-10"),
    Relationship("d4", "oracle", "customer_of", "nvidia", 4e10, None, "2025-05"),
    Relationship("d5", "nvidia", "invests_in", "openai", 1e11, "up to", "2025-09-22"),
    Relationship("d6", "blue-owl", "lends_to", "coreweave", 2e9, None, "2025"),
    Relationship("d7", "oracle", "partner_of", "openai", None, None, "2025-01"),
]


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="dealgraph-data">(.*?)</script>', html, re.S)
    assert m, "no embedded data block"
    return json.loads(m.group(1))


@pytest.fixture
def store(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as s:
        s.write(ENTITIES, DEALS)
        yield s


@pytest.fixture
def hostile_store(tmp_path):
    entities = [
        Entity(f"h{i}", text, "company", ticker=text, country=text, aliases=(text, f"alias {i}"))
        for i, text in enumerate(HOSTILE)
    ]
    deals = [
        Relationship(
            f"r{i}", f"h{i}", "invests_in", f"h{(i + 1) % len(HOSTILE)}", 1e9, text, "2025",
            text, "javascript:alert(1)" if i % 2 else 'https://example.com/x?"><script>alert(1)</script>',
            text,
        )
        for i, text in enumerate(HOSTILE)
    ]
    with SQLiteStore(tmp_path / "h.db") as s:
        s.write(entities, deals)
        yield s


@pytest.mark.parametrize("text", HOSTILE)
def test_embed_json_escapes_markup_and_line_separators(text):
    out = embed_json({"name": text})
    for ch in "<>&\u2028\u2029":
        assert ch not in out
    assert json.loads(out) == {"name": text}


@pytest.mark.parametrize("view", render.VIEWS)
def test_hostile_strings_stay_inside_the_json_block(hostile_store, tmp_path, view):
    # (an assumed buffer scores every entity, so the stress view's shock reaches every hostile name)
    result = render_view(hostile_store, view, tmp_path / f"{view}.html", focus="h0", depth=6, failed=["h0"], default_buffer=1.0)
    html = result.path.read_text("utf-8")
    payload = _payload(html)
    names = {n["name"] for n in payload["nodes"]}
    assert names == set(HOSTILE)
    # Outside the data block, no hostile markup appears anywhere in the page.
    rest = html.replace(re.search(r'id="dealgraph-data">.*?</script>', html, re.S).group(0), "")
    for text in HOSTILE[:3]:
        assert text not in rest
    # Only the three script elements of the template close: vis-network, the data, the page's code.
    assert html.count("</script>") == 3


def test_links_only_for_http_urls(hostile_store, tmp_path):
    payload = _payload(render_view(hostile_store, "overview", tmp_path / "o.html").path.read_text("utf-8"))
    links = {e["id"]: e.get("evidence_link", False) for e in payload["edges"]}
    assert links == {"r0": True, "r1": False, "r2": True, "r3": False, "r4": True}


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://example.com/a", True),
        ("http://example.com", True),
        ("HTTPS://EXAMPLE.COM/", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("https://exa mple.com", False),
        ("//example.com/x", False),
        ("https:///nohost", False),
        ("", False),
        (None, False),
    ],
)
def test_evidence_href(url, ok):
    assert (evidence_href(url) is not None) is ok


@pytest.mark.parametrize("view", render.VIEWS)
def test_page_references_no_network_assets(store, tmp_path, view):
    html = render_view(store, view, tmp_path / "v.html", focus="nvidia", failed=["nvidia"]).path.read_text("utf-8")
    for tag in re.findall(r"<(?:script|link|img|iframe|source|embed)\b[^>]*>", html, re.I):
        assert not re.search(r"\b(?:src|href)\s*=", tag, re.I), tag
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "bootstrap" not in html.lower()
    assert "vis.Network" in html  # vis-network itself is inlined


def test_overview_shows_every_entity_and_deal(store, tmp_path):
    result = render_view(store, "overview", tmp_path / "o.html")
    assert (result.nodes, result.edges) == (len(ENTITIES), len(DEALS))
    payload = _payload(result.path.read_text("utf-8"))
    assert {n["id"] for n in payload["nodes"]} == {e.id for e in ENTITIES}
    assert {e["id"] for e in payload["edges"]} == {r.id for r in DEALS}
    assert payload["meta"]["as_of"] == "2025-09-22"


def test_edges_point_money_flow_and_mark_loops(store, tmp_path):
    payload = _payload(render_view(store, "overview", tmp_path / "o.html").path.read_text("utf-8"))
    edges = {e["id"]: e for e in payload["edges"]}
    assert "to" in edges["d1"]["arrows"] and edges["d1"]["flow"] == ["nvidia", "coreweave"]
    # supplies: money goes from the buyer to the supplier, the arrowhead sits at the supplier.
    assert "from" in edges["d2"]["arrows"] and edges["d2"]["flow"] == ["coreweave", "nvidia"]
    assert edges["d7"]["arrows"] == "" and edges["d7"]["dashes"] is True
    loop_deals = {r["id"] for c in find_cycles(money_flow_graph(ENTITIES, DEALS)) for h in c.hops
                  for r in h.relationships}
    assert {i for i, e in edges.items() if e["on_loop"]} == loop_deals == {"d1", "d2", "d3", "d4", "d5"}
    assert edges["d3"]["width"] > edges["d1"]["width"]


def test_filters_by_kind_and_amount(store, tmp_path):
    result = render_view(store, "overview", tmp_path / "o.html", kinds=["invests_in", "supplies"])
    assert (result.nodes, result.edges) == (3, 3)
    result = render_view(store, "overview", tmp_path / "o.html", min_amount=5e9)
    payload = _payload(result.path.read_text("utf-8"))
    assert {e["id"] for e in payload["edges"]} == {"d3", "d4", "d5"}
    assert {n["id"] for n in payload["nodes"]} == {"nvidia", "openai", "oracle"}


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_focus_is_the_undirected_neighbourhood(store, tmp_path, depth):
    result = render_view(store, "focus", tmp_path / "f.html", focus="CoreWeave", depth=depth)
    payload = _payload(result.path.read_text("utf-8"))
    g = deal_graph(ENTITIES, DEALS).to_undirected(as_view=True)
    expected = set(nx.single_source_shortest_path_length(g, "coreweave", cutoff=depth))
    assert {n["id"] for n in payload["nodes"]} == expected
    assert {e["id"] for e in payload["edges"]} == {
        r.id for r in DEALS if r.source in expected and r.target in expected
    }
    assert payload["meta"]["focus"] == "coreweave"


def test_cycles_view_lists_loops_in_rank_order(store, tmp_path):
    result = render_view(store, "cycles", tmp_path / "c.html")
    payload = _payload(result.path.read_text("utf-8"))
    ranked = find_cycles(money_flow_graph(ENTITIES, DEALS))
    assert [c["nodes"] for c in payload["cycles"]] == [c.nodes for c in ranked]
    assert {n["id"] for n in payload["nodes"]} == {v for c in ranked for v in c.nodes}
    assert result.edges == len({r["id"] for c in ranked for h in c.hops for r in h.relationships})


def test_cycles_view_min_amount_matches_the_cycles_command(store, tmp_path):
    payload = _payload(render_view(store, "cycles", tmp_path / "c.html", min_amount=5e10)
                       .path.read_text("utf-8"))
    assert [c["nodes"] for c in payload["cycles"]] == [
        c.nodes for c in find_cycles(money_flow_graph(ENTITIES, DEALS), min_amount=5e10)
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"view": "focus", "focus": "nobody"}, "nobody"),
        ({"view": "focus"}, "--focus"),
        ({"view": "sideways"}, "unknown view"),
        ({"view": "overview", "kinds": ["bribes"]}, "bribes"),
        ({"view": "overview", "min_amount": -1}, "min_amount"),
        ({"view": "focus", "focus": "nvidia", "depth": -1}, "depth"),
    ],
)
def test_bad_requests_raise_render_error(store, tmp_path, kwargs, message):
    with pytest.raises(RenderError, match=re.escape(message)):
        render_view(store, out=tmp_path / "x.html", **kwargs)
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("limit", ["MAX_NODES", "MAX_EDGES"])
def test_too_large_is_refused_with_advice(store, tmp_path, monkeypatch, limit):
    monkeypatch.setattr(render, limit, 3)
    with pytest.raises(RenderError) as err:
        render_view(store, "overview", tmp_path / "x.html")
    message = str(err.value)
    assert "\n" not in message
    for advice in ("--focus", "--min-amount", "--kind"):
        assert advice in message
    # Narrowing works under the same limit.
    monkeypatch.setattr(render, limit, 10)
    assert render_view(store, "overview", tmp_path / "y.html", min_amount=5e10).nodes == 3


def test_large_views_get_fixed_positions_and_no_physics(store, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "LAYOUT_THRESHOLD", 2)
    payload = _payload(render_view(store, "overview", tmp_path / "o.html").path.read_text("utf-8"))
    assert payload["options"]["physics"]["enabled"] is False
    assert payload["meta"]["large"] is True
    positions = {(n["x"], n["y"]) for n in payload["nodes"]}
    assert len(positions) == len(ENTITIES)  # every entity placed, none on top of another
    assert all(n["physics"] is False for n in payload["nodes"])


def test_rendering_changes_nothing_and_is_deterministic(store, tmp_path):
    before = (store.entities(), store.relationships())
    first = render_view(store, "overview", tmp_path / "a.html").path.read_text("utf-8")
    second = render_view(store, "overview", tmp_path / "b.html").path.read_text("utf-8")
    assert (store.entities(), store.relationships()) == before
    assert first == second


def test_nothing_is_written_to_the_working_directory(store, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    render_view(store, "overview", tmp_path / "o.html")
    assert list(cwd.iterdir()) == []  # no pyvis lib/ folder copied


class CountingOnlyStore(SQLiteStore):
    """A store that fails if a view reads every entity or deal."""

    def entities(self):
        raise AssertionError("read every entity")

    def relationships(self):
        raise AssertionError("read every deal")


@pytest.mark.parametrize("kwargs", [{}, {"kinds": ["invests_in", "supplies"]}, {"min_amount": 0.0}])
def test_overview_is_refused_from_counts(store, tmp_path, monkeypatch, kwargs):
    monkeypatch.setattr(render, "MAX_EDGES", 1)
    with CountingOnlyStore(store.path, create=False) as lean, pytest.raises(RenderError) as err:
        render_view(lean, "overview", tmp_path / "x.html", **kwargs)
    assert "--focus" in str(err.value) and "--kind" in str(err.value)
    assert not (tmp_path / "x.html").exists()


def test_overview_entity_limit_is_checked_from_counts(store, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "MAX_NODES", 2)
    with CountingOnlyStore(store.path, create=False) as lean, pytest.raises(RenderError, match="entities"):
        render_view(lean, "overview", tmp_path / "x.html")


class GenericReadsStore(SQLiteStore):
    """The embedded store answering with the generic reads (from every entity and deal)."""

    money_flows = Store.money_flows
    money_flow_deals = Store.money_flow_deals
    entities_of = Store.entities_of
    count_deals = Store.count_deals
    count_entities = Store.count_entities
    as_of = Store.as_of


@pytest.mark.parametrize("kwargs", [{}, {"min_amount": 1e9}, {"kinds": ["invests_in", "customer_of", "supplies"]},
                                    {"max_length": 2}])
def test_cycles_view_reads_only_the_loops(store, tmp_path, kwargs):
    with CountingOnlyStore(store.path, create=False) as lean:
        lean_html = render_view(lean, "cycles", tmp_path / "lean.html", **kwargs)
    with GenericReadsStore(store.path, create=False) as generic:
        full = render_view(generic, "cycles", tmp_path / "full.html", **kwargs)
    assert (lean_html.nodes, lean_html.edges) == (full.nodes, full.edges)
    assert (tmp_path / "lean.html").read_text("utf-8") == (tmp_path / "full.html").read_text("utf-8")
