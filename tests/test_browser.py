"""The HTML views in a real headless Chromium (Playwright): offline, counts, loops, filters,
search, and hostile data that must run nothing.

Needs Debian's ``chromium`` at /usr/bin/chromium. Without it these tests skip, unless
``DEALGRAPH_REQUIRE_BROWSER=1`` (set by CI), in which case they fail.

Regenerate the README screenshot with ``python tests/test_browser.py --screenshot docs/img/cycles-view.png``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pytest

from dealgraph.analyses.cycles import find_cycles
from dealgraph.output.html import render_view
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import read_dataset

from browser_pages import CHROMIUM, CHROMIUM_ARGS, HOSTILE, hostile_store

FOCUS = "nvidia"
DEPTH = 2


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped dataset in an embedded store, its three views, and what each should show."""
    folder = tmp_path_factory.mktemp("shipped")
    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(folder / "demo.db") as store:
        store.write(dataset.entities, dataset.relationships)
        entities, deals = store.entities(), store.relationships()
        results = {
            view: render_view(store, view, folder / f"{view}.html", focus=FOCUS, depth=DEPTH)
            for view in ("overview", "cycles", "focus")
        }
        as_of = store.as_of()
        ranked = find_cycles(store.money_flow_graph())
        ball = set(nx.single_source_shortest_path_length(
            store.deal_graph().to_undirected(as_view=True), FOCUS, cutoff=DEPTH))
    expected = {
        "overview": ({e.id for e in entities}, {r.id for r in deals}),
        "cycles": ({v for c in ranked for v in c.nodes},
                   {r["id"] for c in ranked for h in c.hops for r in h.relationships}),
        "focus": (ball, {r.id for r in deals if r.source in ball and r.target in ball}),
    }
    return {"results": results, "expected": expected, "as_of": as_of, "ranked": ranked,
            "deals": {r.id: r for r in deals}}


# --------------------------------------------------------------------------- shipped dataset

VIEWS = ["overview", "cycles", "focus"]


@pytest.mark.parametrize("view", VIEWS)
def test_view_loads_offline_and_shows_the_whole_graph(shipped, open_page, view):
    page = open_page(shipped["results"][view].path)
    assert page.errors == []
    assert page.requests == []
    nodes, edges = shipped["expected"][view]
    assert page.js("() => dealgraph.nodes.length") == len(nodes)
    assert page.js("() => dealgraph.edges.length") == len(edges)
    assert page.visible() == (nodes, edges)
    result = shipped["results"][view]
    assert (result.nodes, result.edges) == (len(nodes), len(edges))
    footer = page.page.locator("#footer").inner_text()
    assert f"as of {shipped['as_of']}" in footer
    assert f"{len(nodes)} of {len(nodes)} entities" in footer
    assert f"{len(edges)} of {len(edges)} deals" in footer
    assert page.js("() => document.querySelectorAll('#legend-entities > div').length") > 0


def test_loops_panel_is_ranked_like_the_cycles_command(shipped, open_page):
    page = open_page(shipped["results"]["cycles"].path)
    items = page.page.locator("#loops-list li")
    ranked = shipped["ranked"]
    assert items.count() == len(ranked)
    names = page.js("() => Object.fromEntries(dealgraph.data.nodes.map(n => [n.id, n.name]))")
    for i in (0, len(ranked) - 1):
        path = " → ".join(names[v] for v in ranked[i].nodes + ranked[i].nodes[:1])
        assert items.nth(i).locator(".path").inner_text() == path


def test_clicking_a_loop_highlights_exactly_its_entities_and_hops(shipped, open_page):
    page = open_page(shipped["results"]["cycles"].path)
    ranked = shipped["ranked"]
    loop = next(c for c in ranked if set(c.nodes) == {"nvidia", "coreweave"})
    hop_deals = {r["id"] for h in loop.hops for r in h.relationships}
    # The page lists the loops in its own (sized) order: find this one there.
    index = page.js("ids => dealgraph.data.cycles.findIndex(c => c.nodes.length === ids.length "
                    "&& ids.every(i => c.nodes.includes(i)))", sorted(loop.nodes))
    assert index >= 0

    page.page.locator(f'#loops-list li[data-index="{index}"]').click()
    nodes, edges = page.states("nodes"), page.states("edges")
    assert {i for i, s in nodes.items() if s == "on"} == set(loop.nodes)
    assert {i for i, s in nodes.items() if s == "dim"} == set(nodes) - set(loop.nodes)
    assert {i for i, s in edges.items() if s == "on"} == hop_deals
    assert {i for i, s in edges.items() if s == "dim"} == set(edges) - hop_deals
    # Dimmed entities lose their kind colour; highlighted ones keep it.
    colors = page.js("() => Object.fromEntries(dealgraph.nodes.get().map(n => [n.id, n.color.background]))")
    assert colors["nvidia"] == "#f0e442"  # chipmaker
    assert all(colors[i].startswith("rgba(200,200,200") for i in nodes if i not in loop.nodes)
    assert page.page.locator("#loops-list li.active").count() == 1

    page.page.locator(f'#loops-list li[data-index="{index}"]').click()  # again: clear
    assert set(page.states("nodes").values()) == {"normal"}
    assert set(page.states("edges").values()) == {"normal"}
    page.page.locator("#loops-list li").nth(0).click()
    page.page.locator("#loops-reset").click()
    assert set(page.states("nodes").values()) == {"normal"}
    assert page.errors == []


@pytest.mark.parametrize("view", VIEWS)
def test_kind_and_amount_filters_change_what_is_visible(shipped, open_page, view):
    page = open_page(shipped["results"][view].path)
    _nodes, edges = shipped["expected"][view]
    deals = shipped["deals"]
    kinds = {deals[i].kind for i in edges}
    kind = "customer_of" if "customer_of" in kinds else sorted(kinds)[0]

    page.page.locator(f'#kind-filters input[data-kind="{kind}"]').uncheck()
    _, shown = page.visible()
    assert shown == {i for i in edges if deals[i].kind != kind}
    assert f"{len(shown)} of {len(edges)} deals" in page.page.locator("#footer").inner_text()

    page.page.locator("#min-amount").fill("1B")
    nodes_shown, shown = page.visible()
    assert shown == {i for i in edges if deals[i].kind != kind
                     and deals[i].amount_usd is not None and deals[i].amount_usd >= 1e9}
    ends = {v for i in shown for v in (deals[i].source, deals[i].target)}
    assert ends <= nodes_shown

    page.page.locator("#filters-reset").click()
    assert page.visible()[1] == edges
    assert page.errors == []


@pytest.mark.parametrize("query, entity", [("CoreWeave", "coreweave"), ("nvda", "nvidia"), ("oracl", "oracle")])
def test_search_selects_and_focuses_the_entity(shipped, open_page, query, entity):
    page = open_page(shipped["results"]["overview"].path)
    page.page.locator("#search").fill(query)
    assert page.page.locator("#search-results li").count() >= 1
    page.page.locator("#search").press("Enter")
    assert page.js("() => dealgraph.network.getSelectedNodes()") == [entity]
    name = page.js(f"() => dealgraph.nodes.get({entity!r}).name")
    assert page.page.locator("#details-body h3").inner_text() == name


def test_clicking_a_deal_shows_its_evidence_link(shipped, open_page):
    page = open_page(shipped["results"]["focus"].path)
    deal = next(r for r in shipped["deals"].values()
                if r.source == FOCUS and r.evidence_url and r.evidence_url.startswith("https://"))
    page.page.evaluate("id => dealgraph.network.selectEdges([id])", deal.id)
    page.page.evaluate("id => { dealgraph.network.body.emitter.emit('click', {nodes: [], edges: [id]}); }", deal.id)
    link = page.page.locator("#details-body a")
    assert link.get_attribute("href") == deal.evidence_url
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")


def test_superseded_deals_are_shown_as_such_and_not_counted(shipped, open_page):
    """Nvidia's $100B letter of intent, superseded by its $30B stake: faded, finely dashed,
    thinnest, "superseded by" in its tooltip and details; OpenAI's size leaves it out."""
    loi, stake = "nvidia-invests-openai-2025", "nvidia-invests-openai-2026"
    page = open_page(shipped["results"]["overview"].path)
    edge = page.js("id => dealgraph.edges.get(id)", loi)
    assert edge["dashes"] == [3, 5] and edge["width"] == 1.0 and edge["color"]["opacity"] == 0.3
    assert edge["superseded_by"] == [stake] and not edge["on_loop"]
    assert "Superseded by Nvidia invests in OpenAI $30B (2026-02-27) (not counted)" in edge["title"]
    assert page.js("id => dealgraph.edges.get(id).dashes", stake) is not True
    counted = sum(r.amount_usd for r in shipped["deals"].values()
                  if "openai" in (r.source, r.target) and r.amount_usd is not None
                  and r.money_flow is not None and r.id != loi)
    assert page.js("() => dealgraph.nodes.get('openai').money_usd") == pytest.approx(counted)
    page.page.evaluate("id => { dealgraph.network.body.emitter.emit('click', {nodes: [], edges: [id]}); }", loi)
    assert "Superseded by Nvidia invests in OpenAI $30B" in page.page.locator("#details-body").inner_text()
    assert "Lineage" in page.page.locator("#details-body").inner_text()

    page = open_page(shipped["results"]["cycles"].path)
    index = page.js("() => dealgraph.data.cycles.findIndex(c => c.nodes.join() === 'nvidia,openai,oracle')")
    title = page.page.locator(f'#loops-list li[data-index="{index}"]').get_attribute("title")
    assert "Nvidia → OpenAI: $30B (commitment) (1 deal, 1 superseded, not counted)" in title
    assert page.js("id => dealgraph.edges.get(id).superseded_by", loi) == [stake]
    assert page.errors == []


# --------------------------------------------------------------------------- hostile data


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp", "no-csp"])
@pytest.mark.parametrize("view", VIEWS)
def test_hostile_data_runs_nothing_and_shows_as_text(tmp_path, open_page, view, bypass_csp):
    # With the page's CSP bypassed, only the escaping stands between the data and the page.
    with hostile_store(tmp_path / "h.db") as store:
        result = render_view(store, view, tmp_path / f"{view}.html", focus="h0", depth=3)
    page = open_page(result.path, bypass_csp=bypass_csp)
    p = page.page

    # Exercise every place data reaches the page: tooltips, details, search, loop panel.
    for entity in [f"h{i}" for i in range(len(HOSTILE))]:
        page.js("id => dealgraph.selectEntity(id)", entity)
        assert p.locator("#details-body h3").text_content() == HOSTILE[int(entity[1:])]
    for deal in ["r0", "r1", "r-structural"]:
        page.js("id => { dealgraph.network.body.emitter.emit('click', {nodes: [], edges: [id]}); }", deal)
    p.locator("#search").fill("<")
    assert p.locator("#search-results li").count() == len(HOSTILE) - 1
    if view == "cycles":
        p.locator("#loops-list li").first.click()
        assert HOSTILE[1] in p.locator("#loops-list li .path").first.inner_text()
    p.mouse.move(1, 1)
    # let the layout settle (the reading layout keeps placing labels for a while after the
    # first drawing) and the focus/fit animations above finish before aiming
    p.wait_for_function("() => window.__dealgraphSettled === true", timeout=60_000)
    # Centre h0 and hold it there until no animation left over from the clicks above moves
    # the view any more (ten polls in a row with h0 at the centre).
    p.wait_for_function(
        """() => {
            const n = dealgraph.network, c = n.canvas.frame.canvas;
            const at = n.canvasToDOM(n.getPosition('h0'));
            if (Math.abs(at.x - c.clientWidth / 2) < 2 && Math.abs(at.y - c.clientHeight / 2) < 2) {
                window.__h0Held = (window.__h0Held || 0) + 1;
            } else {
                window.__h0Held = 0;
                n.moveTo({position: n.getPosition('h0'), animation: false});
            }
            return window.__h0Held >= 10;
        }""", polling=100, timeout=30_000)
    pos = page.js("() => dealgraph.network.canvasToDOM(dealgraph.network.getPosition('h0'))")
    box = p.locator("#mynetwork").bounding_box()
    p.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"], steps=3)
    p.wait_for_function("() => { const t = document.querySelector('div.vis-tooltip');"
                        " return t && t.style.visibility !== 'hidden' && t.textContent.length > 0; }",
                        timeout=5_000)
    tooltip = page.js("() => document.querySelector('div.vis-tooltip').textContent")
    assert tooltip.startswith(HOSTILE[0])

    assert page.dialogs == []
    assert page.js("() => window.__pwned") is None
    assert page.requests == []
    assert page.errors == []
    # No element was made from the data: the only scripts are the template's three,
    # there are no images, SVGs or handlers, and no javascript: links.
    assert page.js("() => document.scripts.length") == 3
    assert page.js("() => document.querySelectorAll('img, svg, iframe, b, i').length") == 0
    assert page.js("() => [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length") == 0
    hrefs = page.js("() => [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    assert all(h.startswith("https://example.com/") for h in hrefs)
    assert page.js("() => document.body.innerText").count("<img src=x") >= 1


# --------------------------------------------------------------------------- screenshot


def save_screenshot(out: Path) -> None:
    """The demo's cycles view with the best-ranked loop through Nvidia highlighted, as a PNG."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dataset = read_dataset([shipped_dataset_dir()])
        with SQLiteStore(folder / "demo.db") as store:
            store.write(dataset.entities, dataset.relationships)
            result = render_view(store, "cycles", folder / "cycles.html")
            ranked = find_cycles(store.money_flow_graph())
        index = next(i for i, c in enumerate(ranked) if "nvidia" in c.nodes)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            page.goto(result.path.as_uri())
            page.wait_for_function("() => window.__dealgraphDrawn === true", timeout=60_000)
            page.locator("#loops-list li").nth(index).click()
            page.wait_for_timeout(900)
            page.evaluate("() => dealgraph.network.fit()")
            page.wait_for_timeout(900)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            b.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--screenshot":
        save_screenshot(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
