"""Every dollar figure the HTML views show is the CLI's figure (graph/report.py ``usd``).

Checked in a real headless Chromium on the shipped dataset and on a small graph of round
amounts ($100B, $250B, $1T, $20M, $500K and rounding ties), in every place a view shows
money: the loop list, the hop lines, the tooltips of entities and deals, the details
panel and the footer. The loop figures come from ``dealgraph cycles --format json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import render_view
from dealgraph.output.text import hop_usd, usd
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import read_dataset

VIEWS = ("overview", "cycles", "focus")

ROUND = [100e9, 250e9, 1e12, 20e6, 500e3]
# Figures where a careless formatter goes wrong: trailing zeros, exact rounding ties
# (Python rounds them to even), values just under a unit, thousands separators.
AWKWARD = [
    0, 1, 12.5, 13.5, 999, 1000, 1250, 10e3, 100e3, 999.95e3, 1e6, 1.05e9, 1.25e9, 1.35e9,
    2.75e9, 3.25e9, 10e9, 30e9, 130.1e9, 300e9, 999.95e9, 1.5e12, 10e12, 2500e12, 1234567e12,
    667.7e6, 6.55e9, 11e9, 7e9, 0.5e6, 40e6, 1.999e9,
]


# --------------------------------------------------------------------------- data


def cli_cycles(db: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["cycles", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def shipped_views(tmp_path_factory):
    folder = tmp_path_factory.mktemp("amounts-shipped")
    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(folder / "demo.db") as store:
        store.write(dataset.entities, dataset.relationships)
        views = {v: render_view(store, v, folder / f"{v}.html", focus="nvidia").path for v in VIEWS}
    return views, cli_cycles(folder / "demo.db")


@pytest.fixture(scope="module")
def round_views(tmp_path_factory):
    """A loop a -> b -> c -> d -> e -> a of round amounts, a loop b <-> f with exact ties,
    and spokes carrying the awkward figures."""
    folder = tmp_path_factory.mktemp("amounts-round")
    entities = [Entity(v, f"Company {v.upper()}", "company") for v in "abcdef"]
    entities += [Entity(f"s{i}", f"Spoke {i}", "company") for i in range(len(AWKWARD))]
    loop = "abcdea"
    deals = [Relationship(f"loop{i}", loop[i], "invests_in", loop[i + 1], amount,
                          amount_note="round" if i % 2 else None, date="2025-0" + str(i + 1))
             for i, amount in enumerate(ROUND)]
    deals += [Relationship("tie1", "b", "lends_to", "f", 1.25e9),
              Relationship("tie2", "f", "customer_of", "b", 2.75e9),
              Relationship("tie3", "f", "customer_of", "b", 3.25e9)]
    deals += [Relationship(f"awk{i}", "a", "customer_of", f"s{i}", amount)
              for i, amount in enumerate(AWKWARD)]
    with SQLiteStore(folder / "round.db") as store:
        store.write(entities, deals)
        views = {v: render_view(store, v, folder / f"{v}.html", focus="a", depth=1).path for v in VIEWS}
        views["min-amount"] = render_view(store, "overview", folder / "min.html", min_amount=250e9).path
    return views, cli_cycles(folder / "round.db")


# --------------------------------------------------------------------------- what a view shows

# Runs in the page: every amount it shows, where, and the raw number behind it. The
# details panel is filled by clicking each entity and each deal in turn.
COLLECT = """() => {
  const d = window.dealgraph, out = [];
  const ddAfter = (root, label) => [...root.querySelectorAll('dt')].filter(dt => dt.textContent === label)
                                     .map(dt => dt.nextElementSibling.textContent);
  d.edges.get().forEach(e => {
    out.push({where: 'deal tooltip ' + e.id, value: e.amount_usd, text: e.title.split('\\n')[1]});
    d.network.body.emitter.emit('click', {nodes: [], edges: [e.id]});
    const body = document.getElementById('details-body');
    out.push({where: 'deal details ' + e.id, value: e.amount_usd, text: ddAfter(body, 'Amount')[0]});
  });
  d.nodes.get().forEach(n => {
    const line = n.title.split('\\n').find(l => l.startsWith('Money moved: '));
    if (n.money_usd > 0) out.push({where: 'entity tooltip ' + n.id, value: n.money_usd, text: line.slice(13)});
    else out.push({where: 'entity tooltip ' + n.id, value: null, text: line === undefined ? null : line});
    d.network.body.emitter.emit('click', {nodes: [n.id], edges: []});
    const body = document.getElementById('details-body');
    const moved = ddAfter(body, 'Money moved');
    if (n.money_usd > 0) out.push({where: 'entity details ' + n.id, value: n.money_usd, text: moved[0]});
    [...body.querySelectorAll('.deal')].forEach((box, i) => {
      out.push({where: 'entity details deal ' + n.id + '#' + i, deal: box.dataset.deal, text: ddAfter(box, 'Amount')[0]});
    });
  });
  return out;
}"""

LOOPS = """() => [...document.querySelectorAll('#loops-list li')].map(li => ({
  amount: li.querySelector('.amount').textContent,
  hops: li.title.split('\\n'),
}))"""


def leading_amount(text: str | None) -> str | None:
    """The figure at the start of a shown amount: ``$300B (note) · 2025`` -> ``$300B``."""
    if text is None:
        return None
    return text.split(" (")[0].split(" · ")[0]


def wrong_amounts(page, cli_loops: list[dict]) -> list[str]:
    """Every shown amount that differs from the CLI's figure, as readable lines."""
    wrong = []
    names = page.js("() => Object.fromEntries(dealgraph.data.nodes.map(n => [n.id, n.name]))")
    amounts = page.js("() => Object.fromEntries(dealgraph.data.edges.map(e => [e.id, e.amount_usd]))")
    shown = page.js(COLLECT)
    assert shown, "the view showed no amounts at all"
    for item in shown:
        value = amounts[item["deal"]] if "deal" in item else item["value"]
        if value is None:
            ok = item["text"] in (None, "amount unknown") or item["text"].startswith("amount unknown")
        else:
            ok = leading_amount(item["text"]) == usd(value)
        if not ok:
            wrong.append(f"{item['where']}: shows {item['text']!r}, CLI says {usd(value)}")

    if page.js("() => dealgraph.data.meta.view") == "cycles":
        loops = page.js(LOOPS)
        assert len(loops) == len(cli_loops)
        for rank, (li, cycle) in enumerate(zip(loops, cli_loops), 1):
            if cycle["min_amount_usd"] is not None:
                expected = usd(cycle["min_amount_usd"]) + " can go round"
                if li["amount"] != expected:
                    wrong.append(f"loop #{rank}: shows {li['amount']!r}, CLI says {expected!r}")
            for line, hop in zip(li["hops"], cycle["hops"], strict=True):
                # the hop's amount on its basis, as the CLI's hop line words it
                expected = f"{names[hop['source']]} → {names[hop['target']]}: {hop_usd(hop)}"
                if hop["amount_usd"] is not None and not line.startswith(expected + " "):
                    wrong.append(f"loop #{rank} hop: shows {line!r}, CLI says {expected!r}")
    return wrong


def checked_count(page) -> int:
    return len(page.js(COLLECT))


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("view", VIEWS)
def test_shipped_views_show_the_clis_amounts(shipped_views, open_page, view):
    views, cli_loops = shipped_views
    page = open_page(views[view])
    assert wrong_amounts(page, cli_loops) == []
    assert page.errors == []


@pytest.mark.parametrize("view", VIEWS)
def test_round_amounts_show_as_the_cli_shows_them(round_views, open_page, view):
    views, cli_loops = round_views
    page = open_page(views[view])
    assert wrong_amounts(page, cli_loops) == []
    text = page.js("() => dealgraph.edges.get().map(e => e.title).join('\\n')")
    if view != "focus":
        for figure in ("$100B", "$250B", "$1T", "$20M", "$500K", "$1.2B", "$2.8B", "$3.2B"):
            assert f"\n{figure}" in text, figure
    if view == "cycles":
        amounts = page.js("() => [...document.querySelectorAll('#loops-list .amount')].map(s => s.textContent)")
        assert amounts == ["$1.2B can go round", "$500K can go round"]
    assert page.errors == []


def test_footer_min_amount_is_the_clis_figure(round_views, open_page):
    views, _ = round_views
    page = open_page(views["min-amount"])
    assert "rendered with min amount $250B" in page.page.locator("#footer").inner_text()


def test_page_formatter_agrees_with_the_cli_on_many_figures(round_views, open_page):
    page = open_page(round_views[0]["overview"])
    values = list(AWKWARD) + [k * 10.0 ** e / 100 for e in range(0, 16) for k in range(100, 1000, 7)]
    values += [-5e9, -1.25e9, -12.5]
    shown = page.js("vs => vs.map(v => dealgraph.usd(v))", values)
    assert [f"{v!r} {s}" for v, s in zip(values, shown) if s != usd(v)] == []
