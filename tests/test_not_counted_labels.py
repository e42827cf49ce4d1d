"""How the HTML views label a deal that does not count (graph/model/lineage.py): a deal in
talks or terminated says so, "(talks)" / "(terminated)", and only a deal that another deal
replaces says "(superseded)"; the tooltip names the replacing deals or the status. Checked
in a real headless Chromium (see tests/browser_pages.py)."""

from __future__ import annotations

import pytest

from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import render_view
from dealgraph.stores.sqlite_store import SQLiteStore

B = 1e9
ENTITIES = [Entity("a", "Alpha"), Entity("b", "Beta"), Entity("c", "Gamma")]
DEALS = [
    Relationship("ab", "a", "invests_in", "b", 10 * B, date="2025-06-01", status="closed"),
    Relationship("ba", "b", "customer_of", "a", 3 * B, date="2025-06-01"),
    Relationship("ba-talks", "b", "lends_to", "a", 4 * B, date="2025-06-01", status="talks"),
    Relationship("ca-term", "c", "invests_in", "a", 7 * B, date="2025-06-02", status="terminated"),
    Relationship("bc-loi", "b", "lends_to", "c", 20 * B, date="2025-06-01", status="loi"),
    Relationship("bc", "b", "lends_to", "c", 15 * B, date="2025-07-01", supersedes="bc-loi"),
    # replaced by a later deal and itself still in talks: both said
    Relationship("ac-talks", "a", "customer_of", "c", 2 * B, date="2025-06-01", status="talks"),
    Relationship("ac", "a", "customer_of", "c", 1 * B, date="2025-08-01", supersedes="ac-talks"),
]
LABELS = {
    "ab": "invests in\n$10B",
    "ba": "customer of\n$3B",
    "ba-talks": "lends to (talks)\n$4B",
    "ca-term": "invests in (terminated)\n$7B",
    "bc-loi": "lends to (superseded)\n$20B",
    "bc": "lends to\n$15B",
    "ac-talks": "customer of (superseded, talks)\n$2B",
    "ac": "customer of\n$1B",
}


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labels")
    with SQLiteStore(folder / "s.db") as store:
        store.write(ENTITIES, DEALS)
        return render_view(store, "overview", folder / "overview.html").path


def test_labels_and_tooltips_say_why_a_deal_does_not_count(view, open_page):
    page = open_page(view)
    edges = {e["id"]: e for e in page.js("() => dealgraph.edges.get()")}
    assert {i: e["label"] for i, e in edges.items()} == LABELS
    titles = {i: e["title"] for i, e in edges.items()}
    assert "Status talks (not counted)" in titles["ba-talks"] and "Superseded" not in titles["ba-talks"]
    assert "Status terminated (not counted)" in titles["ca-term"] and "Superseded" not in titles["ca-term"]
    assert "Superseded by Beta lends to Gamma $15B (2025-07-01) (not counted)" in titles["bc-loi"]
    assert "Status" not in titles["bc-loi"]
    assert "Superseded by Alpha customer of Gamma $1B (2025-08-01) (not counted)" in titles["ac-talks"]
    assert "Status talks (not counted)" in titles["ac-talks"]
    assert "status:" not in "".join(titles.values())
    assert all("not counted" not in titles[i] for i in ("ab", "ba", "bc", "ac"))
    page.page.evaluate("id => { dealgraph.network.body.emitter.emit('click', {nodes: [], edges: [id]}); }", "ca-term")
    details = page.page.locator("#details-body").inner_text()
    assert "Status terminated (not counted)" in details and "status:" not in details
    assert page.errors == []


def _render(folder, deals, view):
    folder.mkdir()
    with SQLiteStore(folder / "s.db") as store:
        store.write(ENTITIES, deals)
        return render_view(store, view, folder / f"{view}.html").path


def _legend(page) -> str:
    return page.page.locator("#legend-keys").inner_text()


def test_loop_dossier_and_legend_say_why_deals_do_not_count(tmp_path, open_page):
    """The loop's hop line counts the uncounted deals by why ("1 in talks", not "1
    superseded"), and the legend names only the reasons the view has."""
    page = open_page(_render(tmp_path / "all", DEALS, "cycles"))
    titles = [page.page.locator("#loops-list li").nth(i).get_attribute("title")
              for i in range(page.page.locator("#loops-list li").count())]
    hops = [line for t in titles for line in t.split("\n") if line.startswith("Beta → Alpha")]
    assert hops and all("Beta → Alpha: $3B (1 deal, 1 in talks, not counted)" in h for h in hops), hops
    assert "superseded" not in "".join(hops)
    assert page.errors == []

    page = open_page(_render(tmp_path / "all-overview", DEALS, "overview"))
    assert "deal shown but not counted: superseded, in talks or terminated" in _legend(page)

    # only a deal in talks among those not counted: the legend does not say "superseded"
    only_talks = [d for d in DEALS if d.id in ("ab", "ba", "ba-talks")]
    page = open_page(_render(tmp_path / "talks", only_talks, "overview"))
    legend = _legend(page)
    assert "deal shown but not counted: in talks" in legend and "superseded" not in legend
    assert page.errors == []

    # every deal counts: no such entry
    page = open_page(_render(tmp_path / "counted", [d for d in DEALS if d.id in ("ab", "ba")], "overview"))
    assert "not counted" not in _legend(page)


def test_cycles_text_hop_says_why_deals_do_not_count():
    """`dealgraph cycles`' hop line (graph/output/text.py hop_lines) counts the uncounted
    deals by why, as the view's loop dossier does."""
    from dealgraph.output.text import hop_lines

    def deal(i, marks):
        return {"id": i, "source": "b", "kind": "lends_to", "target": "a", "amount_usd": B,
                "date": None, "superseded_by": marks}

    hop = {"source": "b", "target": "a", "amount_usd": B, "size_basis": "stated",
           "relationships": [deal("x", None), deal("t", ["status:talks"])]}
    assert hop_lines(hop, evidence=False)[0] == "b pays a: $1B in 1 deal (+1 in talks, not counted)"
    hop["relationships"] += [deal("s", ["x"]), deal("e", ["status:terminated"]), deal("u", ["status:talks"])]
    assert hop_lines(hop, evidence=False)[0] == (
        "b pays a: $1B in 1 deal (+1 superseded, 2 in talks, 1 terminated, not counted)")
