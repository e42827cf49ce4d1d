"""A large view (fixed layout, above ``LAYOUT_THRESHOLD`` entities) in a real headless
Chromium: structural ties keep their dashes wherever a dash can be seen, and are drawn as
faint lines, not thousands of sub-pixel dashes, when the view is zoomed far out (which is
what made the 10,000-entity view slow to draw: ``bench/render.py``)."""

from __future__ import annotations

import pytest

from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import LAYOUT_THRESHOLD, render_view
from dealgraph.stores.sqlite_store import SQLiteStore

# Every canvas dash pattern set while one frame is drawn, and the scale it was drawn at.
DRAW_COUNTING_DASHES = """() => new Promise(resolve => {
  const net = dealgraph.network, ctx = net.canvas.getContext(), dashes = [];
  const setLineDash = ctx.setLineDash;
  ctx.setLineDash = function (pattern) { if (pattern.length && pattern.some(x => x > 0)) dashes.push(Array.from(pattern)); return setLineDash.call(this, pattern); };
  net.once("afterDrawing", () => { ctx.setLineDash = setLineDash; resolve({dashes: dashes, scale: net.getScale()}); });
  net.redraw();
})"""


@pytest.fixture(scope="module")
def large_view(tmp_path_factory):
    # A ring of entities with a money deal and a structural tie (no money: dashed) between
    # neighbours, and one superseded deal (finely dashed).
    folder = tmp_path_factory.mktemp("large")
    n = LAYOUT_THRESHOLD + 100
    entities = [Entity(f"e{i}", f"Entity {i}") for i in range(n)]
    deals = [Relationship(f"m{i}", f"e{i}", "invests_in", f"e{(i + 1) % n}", 1e6 * (i + 1)) for i in range(n)]
    deals += [Relationship(f"s{i}", f"e{i}", "partner_of", f"e{(i + 2) % n}") for i in range(0, n, 2)]
    deals += [Relationship("m0-revised", "e0", "invests_in", "e1", 2e6, date="2026", supersedes="m0")]
    with SQLiteStore(folder / "large.db") as store:
        store.write(entities, deals)
        result = render_view(store, "overview", folder / "large.html")
    assert result.nodes == n
    return result.path, folder


def test_large_view_draws_no_sub_pixel_dashes_when_zoomed_out(large_view, open_page):
    path, folder = large_view
    page = open_page(path)
    assert page.js("() => dealgraph.data.meta.large") is True
    assert page.js("() => dealgraph.edges.get({filter: e => e.dashes === true}).length") == (LAYOUT_THRESHOLD + 100) // 2
    fitted = page.js(DRAW_COUNTING_DASHES)
    assert fitted["scale"] * 5 < 2  # a 5-unit dash would be under 2 pixels long
    assert fitted["dashes"] == []
    page.page.screenshot(path=str(folder / "large-fitted.png"))
    print(f"screenshot: {folder / 'large-fitted.png'}")
    assert page.errors == []


def test_large_view_keeps_its_dashes_when_zoomed_in(large_view, open_page):
    path, folder = large_view
    page = open_page(path)
    page.js("""() => { const n = dealgraph.network, p = n.getPositions(["e0", "e2"]);
        n.moveTo({position: {x: (p.e0.x + p.e2.x) / 2, y: (p.e0.y + p.e2.y) / 2}, scale: 2}); }""")
    zoomed = page.js(DRAW_COUNTING_DASHES)
    assert zoomed["scale"] == 2
    assert [5, 5] in zoomed["dashes"]  # structural ties
    assert [3, 5] in zoomed["dashes"]  # the superseded deal
    page.page.screenshot(path=str(folder / "large-zoomed.png"))
    print(f"screenshot: {folder / 'large-zoomed.png'}")
    assert page.errors == []


def test_small_views_are_still_dashed_when_fitted(tmp_path, open_page):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write([Entity(v, v.upper()) for v in "abc"],
                    [Relationship("r1", "a", "invests_in", "b", 1e9), Relationship("r2", "b", "partner_of", "c")])
        result = render_view(store, "overview", tmp_path / "s.html")
    page = open_page(result.path)
    page.page.wait_for_function("() => window.__dealgraphSettled === true", timeout=60_000)
    assert [5, 5] in page.js(DRAW_COUNTING_DASHES)["dashes"]
    assert page.errors == []
