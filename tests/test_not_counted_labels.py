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
