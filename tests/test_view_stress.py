"""The ``stress`` view in a real headless Chromium: entities coloured by the fraction of
their buffer lost, as ``dealgraph stress`` computes it, on a network worked out by hand
and on the shipped data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.model.errors import RenderError
from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import render_view
from dealgraph.output.text import usd
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import read_dataset
from test_browser import HOSTILE, browser, hostile_store, open_page  # noqa: F401  (fixtures)

FAILED = "#212121"


def loss_color(loss: float) -> str:
    """Light amber (255, 224, 178) for no loss to deep red (183, 28, 28) for a total one."""
    low, high = (255, 224, 178), (183, 28, 28)
    return "#" + "".join(f"{round(a + (b - a) * loss):02x}" for a, b in zip(low, high))


def colors(page) -> dict:
    return page.js("() => Object.fromEntries(dealgraph.nodes.get().map(n => [n.id, n.color.background]))")


def test_hand_worked_network(tmp_path, open_page):
    # neo fails. bank lent it 50 of the 100 it has at stake, so with the default buffer
    # (its total exposure, 100) it loses half; fund's only exposure is its 20 in bank, so
    # it loses what bank lost: half. other is owed by bank, not exposed to it: untouched.
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(
            [Entity(v, v.title(), "company") for v in ("neo", "bank", "fund", "other")],
            [Relationship("r1", "bank", "lends_to", "neo", 50.0),
             Relationship("r2", "bank", "lends_to", "other", 50.0),
             Relationship("r3", "fund", "invests_in", "bank", 20.0)],
        )
        result = render_view(store, "stress", tmp_path / "s.html", failed=["Neo"])
    page = open_page(result.path)
    assert colors(page) == {"neo": FAILED, "bank": "#db7e67", "fund": "#db7e67"}
    assert loss_color(0.5) == "#db7e67"
    items = page.page.locator("#stress-list li").all_inner_texts()
    assert [t.split("\n")[0] for t in items] == ["50.0%Bank", "50.0%Fund"]
    assert "lost $10 of $20 · round 2 · Neo → Bank → Fund" in items[1]
    assert "DebtRank" in page.page.locator("#stress-summary").inner_text()
    page.page.locator("#stress-list li").nth(1).click()
    details = page.page.locator("#details-body").inner_text()
    assert "Loses 50.0% of its buffer: $10 of $20 (default buffer), round 2" in details
    assert "Shock path: Neo → Bank → Fund" in details
    tooltip = page.js("() => dealgraph.nodes.get('bank').title")
    assert "Loses 50.0% of its buffer: $50 of $100 (default buffer), round 1" in tooltip
    assert page.errors == []


def test_shipped_stress_view_matches_the_stress_command(tmp_path, open_page):
    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(tmp_path / "d.db") as store:
        store.write(dataset.entities, dataset.relationships)
        result = render_view(store, "stress", tmp_path / "stress.html", failed=["coreweave", "Oracle"])
    cli = CliRunner().invoke(main, ["stress", "--db", str(tmp_path / "d.db"), "--fail", "coreweave",
                                    "--fail", "Oracle", "--format", "json"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.output)
    page = open_page(result.path)
    shown = colors(page)
    assert set(shown) == {row["entity"] for row in expected["entities"]}
    for row in expected["entities"]:
        assert shown[row["entity"]] == (FAILED if row["round"] == 0 else loss_color(row["loss"])), row
    names = page.js("() => Object.fromEntries(dealgraph.data.nodes.map(n => [n.id, n.name]))")
    items = page.page.locator("#stress-list li").all_inner_texts()
    hit = [row for row in expected["entities"] if row["round"] > 0]
    assert len(items) == len(hit) > 5
    for text, row in zip(items, hit):
        assert text.startswith(f"{row['loss'] * 100:.1f}%{names[row['entity']]}")
        assert f"lost {usd(row['loss_usd'])} of {usd(row['buffer_usd'])} · round {row['round']}" in text
    assert f"DebtRank {expected['debtrank']:.3f}" in page.page.locator("#stress-summary").inner_text()
    page.page.wait_for_function("() => window.__dealgraphSettled === true", timeout=60_000)
    path = tmp_path / "stress.png"
    page.page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    assert page.errors == []


def test_hostile_names_stay_text_in_the_stress_view(tmp_path, open_page):
    with hostile_store(tmp_path / "h.db") as store:
        result = render_view(store, "stress", tmp_path / "h.html", failed=["h0"])
    page = open_page(result.path)
    texts = page.page.locator("#stress-list li").all_inner_texts()
    assert texts and any(HOSTILE[1] in t for t in texts)
    page.page.locator("#stress-list li").first.click()
    assert page.js("() => window.__pwned") is None
    assert page.dialogs == [] and page.requests == [] and page.errors == []
    assert page.js("() => document.querySelectorAll('img, svg, iframe, b, i').length") == 0


def test_stress_view_needs_a_known_failing_entity(tmp_path):
    with SQLiteStore(tmp_path / "e.db") as store:
        store.write([Entity("a", "A")], [])
        with pytest.raises(RenderError, match="needs a failing entity"):
            render_view(store, "stress", tmp_path / "x.html")
        with pytest.raises(RenderError, match="cannot run the stress test"):
            render_view(store, "stress", tmp_path / "x.html", failed=["nobody"])
    assert not (tmp_path / "x.html").exists()
    runner = CliRunner()
    no_fail = runner.invoke(main, ["render", "--db", str(tmp_path / "e.db"), "--view", "stress"])
    assert no_fail.exit_code == 2 and "--view stress needs --fail ENTITY" in no_fail.output
    unknown = runner.invoke(main, ["render", "--db", str(tmp_path / "e.db"), "--view", "stress", "--fail", "nobody",
                                   "--out", str(tmp_path / "x.html")])
    assert unknown.exit_code == 1
    assert "cannot run the stress test" in unknown.output and "Traceback" not in unknown.output
    assert not (tmp_path / "x.html").exists()


def test_stress_view_from_the_cli_shows_the_command_s_run_with_its_options(tmp_path, open_page):
    # The same options on both commands give the same losses; a non-default buffer and
    # shock change them (so the view really uses the options, not the defaults).
    dataset = read_dataset([shipped_dataset_dir()])
    db = str(tmp_path / "d.db")
    with SQLiteStore(db) as store:
        store.write(dataset.entities, dataset.relationships)
    runner = CliRunner()
    options = ["--fail", "coreweave", "--default-buffer", "0.4", "--shock", "0.6"]
    cli = runner.invoke(main, ["stress", "--db", db, *options, "--format", "json"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.output)
    default = json.loads(runner.invoke(main, ["stress", "--db", db, "--fail", "coreweave", "--format", "json"]).output)
    assert {r["entity"]: r["loss"] for r in expected["entities"]} != {r["entity"]: r["loss"] for r in default["entities"]}
    out = tmp_path / "stress.html"
    drawn = runner.invoke(main, ["render", "--db", db, "--view", "stress", *options, "--out", str(out)])
    assert drawn.exit_code == 0, drawn.output
    page = open_page(out)
    shown = page.js("() => Object.fromEntries(dealgraph.data.stress.entities.map(s => [s.entity, s.loss]))")
    assert shown == {row["entity"]: row["loss"] for row in expected["entities"]}
    assert page.js("() => dealgraph.data.stress.debtrank") == expected["debtrank"]
    shown_colors = colors(page)
    for row in expected["entities"]:
        assert shown_colors[row["entity"]] == (FAILED if row["round"] == 0 else loss_color(row["loss"])), row
    hit = [row for row in expected["entities"] if row["round"] > 0]
    items = page.page.locator("#stress-list li").all_inner_texts()
    assert len(items) == len(hit) > 3
    for text, row in zip(items, hit):
        assert f"lost {usd(row['loss_usd'])} of {usd(row['buffer_usd'])} · round {row['round']}" in text
    summary = page.page.locator("#stress-summary").inner_text()
    assert f"DebtRank {expected['debtrank']:.3f}" in summary
    assert "Shock 0.6; an entity with no equity figure has a buffer of 0.4× its total known exposure." in summary
    assert page.errors == []


def test_stress_view_options_are_checked_like_the_stress_command_s(tmp_path):
    with SQLiteStore(tmp_path / "e.db") as store:
        store.write([Entity("a", "A")], [])
    runner = CliRunner()
    for option, value in (("--default-buffer", "0"), ("--shock", "1.5"), ("--shock", "0")):
        args = ["--db", str(tmp_path / "e.db"), "--fail", "a", option, value]
        drawn = runner.invoke(main, ["render", "--view", "stress", *args, "--out", str(tmp_path / "x.html")])
        command = runner.invoke(main, ["stress", *args])
        assert drawn.exit_code == command.exit_code == 2, (option, value, drawn.output)
        assert "Traceback" not in drawn.output and option in drawn.output
    assert not (tmp_path / "x.html").exists()
