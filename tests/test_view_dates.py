"""The views' date slider (``--since`` / ``--until`` in the page), in a real headless
Chromium: the page reads partial dates and periods as graph/dates.py does, and the slider
shows the deals ``dealgraph render --since --until`` would have drawn."""

from __future__ import annotations

import pytest

from dealgraph.model.values import Period
from dealgraph.output.html import render_view
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import read_dataset
from dealgraph.stores.period import deals_in_period

DATES = [None, "", "2024", "2024-02", "2024-02-29", "2023-02-29", "2023-02-28", "2025-09", "2025-09-01",
         "2025-09-30", "2025-09-31", "2025-10-01", "2025-08-31", "2025-13", "2025-00", "2025-1", "0000",
         " 2025-09 ", "2025/09", "soon", "2026", "2025-12-31", "2026-01-01", "1999-12"]
PERIODS = [(None, None), ("2025-09", None), (None, "2025-09"), ("2025-09", "2025-09"), ("2025-09-15", "2025-09-15"),
           ("2024", "2025"), ("2024-02-29", "2024-03"), ("2025-10", "2026")]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dates")
    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(folder / "demo.db") as store:
        store.write(dataset.entities, dataset.relationships)
        full = render_view(store, "overview", folder / "overview.html").path
        cut = render_view(deals_in_period(store, "2025-09", "2025-10"), "overview", folder / "cut.html").path
        deals = {r.id: r for r in store.relationships()}
        entities = {e.id for e in store.entities()}
    return {"full": full, "cut": cut, "deals": deals, "entities": entities}


def visible_edges(page) -> set:
    return set(page.js("() => dealgraph.edges.get({filter: e => !e.hidden}).map(e => e.id)"))


def test_page_reads_dates_and_periods_like_graph_dates(shipped, open_page):
    page = open_page(shipped["full"])
    cases = [(since, until, date) for since, until in PERIODS for date in DATES]
    got = page.js("cases => cases.map(([s, u, d]) => dealgraph.keepsDate(s, u, d))", cases)
    expected = [Period.between(since, until).keeps(date) for since, until, date in cases]
    assert [c for c, g, e in zip(cases, got, expected) if g != e] == []
    assert sum(expected) > len(cases) // 4  # the grid keeps some and drops some
    assert page.errors == []


def test_slider_shows_what_render_since_until_draws(shipped, open_page):
    page = open_page(shipped["full"])
    months = page.js("() => { const s = document.getElementById('date-since'); return +s.max + 1; }")
    assert months > 12
    first = page.js("() => document.getElementById('date-range').textContent")
    assert first == "all – all"
    everything = visible_edges(page)
    assert everything == set(shipped["deals"])

    index = page.js("""() => { const s = document.getElementById('date-since');
        for (let i = 0; i <= +s.max; i++) { s.value = String(i); s.dispatchEvent(new Event('input'));
          if (document.getElementById('date-range').textContent.startsWith('2025-09')) return i; } return -1; }""")
    assert index > 0
    page.page.locator("#date-until").fill(str(index + 1))
    assert page.page.locator("#date-range").inner_text() == "2025-09 – 2025-10"
    shown = visible_edges(page)
    period = Period.between("2025-09", "2025-10")
    assert shown == {i for i, r in shipped["deals"].items() if period.keeps(r.date)}
    assert 0 < len(shown) < len(everything)
    # The CLI's own cut of the same period draws exactly these deals.
    cli = open_page(shipped["cut"])
    assert set(cli.js("() => dealgraph.edges.getIds()")) == shown
    assert "dates 2025-09-01 to 2025-10-31" in page.page.locator("#footer").inner_text()
    # Entities with no deal in the period are hidden with their deals; an entity with no deal at all
    # (the shipped data has four: figures only, e.g. Arm's cash, the private-credit market's size) stays.
    nodes = set(page.js("() => dealgraph.nodes.get({filter: n => !n.hidden}).map(n => n.id)"))
    dealless = shipped["entities"] - {v for r in shipped["deals"].values() for v in (r.source, r.target)}
    assert dealless == {"arm", "neoclouds-gpu-borrowers", "private-credit-market",
                        "us-datacenter-securitisation-market"}
    assert nodes == {v for i in shown for v in (shipped["deals"][i].source, shipped["deals"][i].target)} | dealless

    page.page.locator("#filters-reset").click()
    assert visible_edges(page) == everything
    assert page.page.locator("#date-range").inner_text() == "all – all"
    assert page.errors == []


def test_slider_ends_are_open_and_undated_deals_go_once_bounded(shipped, open_page):
    undated = {i for i, r in shipped["deals"].items() if not r.date}
    page = open_page(shipped["full"])
    if not undated:  # the shipped data may date every deal: make one undated deal visible to the page
        pytest.fail("the shipped dataset has no undated deal; this test needs one")
    page.page.locator("#date-since").fill("1")
    shown = visible_edges(page)
    assert not shown & undated
    page.page.locator("#date-since").fill("0")
    assert undated <= visible_edges(page)
    # Pushing "from" past "to" drags "to" along.
    last = page.js("() => +document.getElementById('date-until').max")
    page.page.locator("#date-until").fill(str(last - 3))
    page.page.locator("#date-since").fill(str(last - 1))
    assert page.js("() => document.getElementById('date-until').value") == str(last - 1)
    assert page.errors == []


def test_render_since_until_from_the_cli(shipped, tmp_path):
    from click.testing import CliRunner

    from dealgraph.cli import main

    db = tmp_path / "d.db"
    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(db) as store:
        store.write(dataset.entities, dataset.relationships)
    out = tmp_path / "cut.html"
    result = CliRunner().invoke(main, ["render", "--db", str(db), "--since", "2025-09", "--until", "2025-10",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    period = Period.between("2025-09", "2025-10")
    expected = sum(1 for r in shipped["deals"].values() if period.keeps(r.date))
    assert result.output.strip().endswith(f"entities, {expected} deals)")
