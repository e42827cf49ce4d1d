"""The overview of the shipped data in a real headless Chromium, measured as a reader sees
it at the zoom the page opens at: every label's drawn size, the deals that run over a
label, and whether drawn distance follows connection.

A screenshot is written to the test's temporary folder (its path is printed).
"""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from dealgraph.output.html import render_view

MIN_LABEL_PX = 11


@pytest.fixture(scope="module")
def overview(shipped_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("overview")
    path = render_view(shipped_store, "overview", folder / "overview.html").path
    return {"path": path, "entities": shipped_store.entities(), "relationships": shipped_store.relationships(),
            "folder": folder}


@pytest.fixture(scope="module")
def measured(overview, browser):  # noqa: F811
    from browser_pages import Page

    page = Page(browser, overview["path"])
    page.page.wait_for_function("() => window.__dealgraphSettled === true", timeout=120_000)
    shot = overview["folder"] / "overview-default-zoom.png"
    page.page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    figures = page.js("""() => {
      const n = dealgraph.network, scale = n.getScale();
      const labels = dealgraph.nodes.getIds().map(id => {
        const node = n.body.nodes[id];
        return [id, node.options.font.size * scale, node.labelModule.visible()]; });
      const pos = n.getPositions();
      return {scale: scale, labels: labels, positions: pos, crossings: dealgraph.labelCrossings(0)}; }""")
    yield page, figures
    page.close()


def test_every_label_is_legible_at_the_default_zoom(measured, overview):
    page, figures = measured
    assert len(figures["labels"]) == len(overview["entities"])
    small = [(node, round(px, 1)) for node, px, _ in figures["labels"] if px < MIN_LABEL_PX]
    assert small == []
    assert all(drawn for _, _, drawn in figures["labels"])  # none below vis-network's draw threshold
    assert page.errors == []


def test_no_deal_runs_over_a_label(measured):
    # A deal drawn over the label of an entity it does not join (straight segments and arcs
    # as drawn, against each label's box). Laid out without a thought for them the shipped
    # overview has over 800; the page draws a view this dense wider, nudges entities off the
    # deals, bends the single deals round the labels left in their way and shifts bundles of
    # parallel deals to one side of their line: none left on the shipped data.
    _, figures = measured
    crossings = figures["crossings"]
    print(f"deals over a label they do not join: {len(crossings)}: {crossings[:10]}")
    assert crossings == []


def test_position_follows_connection(measured, overview):
    # Mean drawn distance between entities that share a deal, against pairs that share none.
    _, figures = measured
    pos = figures["positions"]
    pairs = {frozenset((r.source, r.target)) for r in overview["relationships"] if r.source != r.target}
    def dist(a, b):
        return math.hypot(pos[a]["x"] - pos[b]["x"], pos[a]["y"] - pos[b]["y"])
    connected, unconnected = [], []
    for a, b in itertools.combinations(sorted(pos), 2):
        (connected if frozenset((a, b)) in pairs else unconnected).append(dist(a, b))
    ratio = statistics.mean(connected) / statistics.mean(unconnected)
    print(f"mean drawn distance, connected / unconnected pairs: {ratio:.2f} "
          f"({len(connected)} connected, {len(unconnected)} unconnected pairs)")
    # A layout that ignored connection would draw both at about the same distance (ratio 1).
    assert ratio < 0.75
