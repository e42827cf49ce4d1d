"""Loops ranked by their size, estimates and ranges included, and saying so (the rule is
:mod:`dealgraph.analyses.cycles`'s docstring). A hand-made network whose ranks were worked
out by hand, on both engines, through every output: table, JSON, CSV and the HTML list."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from dealgraph.analyses.cycles import deal_size, size_loops
from dealgraph.analyses.queries import cycles as find_cycles
from dealgraph.cli import main
from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import render_view
from dealgraph.stores.sqlite_store import SQLiteStore

ENTITIES = [Entity(v, v.upper(), "company") for v in ("a", "b", "c", "d", "e", "x")]
DEALS = [
    # a ⇄ b: both hops stated, the smallest $8B                              -> $8B, stated
    Relationship("ab", "a", "invests_in", "b", 10e9),
    Relationship("ba", "b", "customer_of", "a", 8e9),
    # a ⇄ c: c's purchases are an estimate of $12B (a $3B one superseded)     -> ~$12B, estimate
    Relationship("ac", "a", "invests_in", "c", 20e9),
    Relationship("ca-old", "c", "customer_of", "a", 3e9),
    Relationship("ca", "c", "customer_of", "a", 12e9, amount_basis="estimate", supersedes="ca-old"),
    # a ⇄ d: d's purchases "more than $9B": no amount, a low end               -> at least $9B
    Relationship("ad", "a", "invests_in", "d", 30e9),
    Relationship("da", "d", "customer_of", "a", None, amount_low=9e9, amount_basis="contract_total"),
    # a ⇄ e: e's purchases "up to $50B": only a ceiling                        -> unknown
    Relationship("ae", "a", "invests_in", "e", 40e9),
    Relationship("ea", "e", "customer_of", "a", None, amount_high=50e9),
    # a ⇄ x: x's purchases with no amount anywhere                            -> unknown
    Relationship("ax", "a", "lends_to", "x", 1e9),
    Relationship("xa", "x", "customer_of", "a", None, amount_note="multi-year"),
]

# By hand: sized loops by size, largest first (12 > 9 > 8), then the unsized by their
# smallest sized hop (e's $40B > x's $1B).
RANKED = [
    (["a", "c"], 12e9, "estimate", 1, []),
    (["a", "d"], 9e9, "low end", 1, []),
    (["a", "b"], 8e9, "stated", 1, []),
    (["a", "e"], None, None, None, [{"hop": 1, "source": "e", "target": "a", "why": "only a ceiling (up to $50B) (ea)"}]),
    (["a", "x"], None, None, None, [{"hop": 1, "source": "x", "target": "a", "why": "no amount in its source (xa)"}]),
]
# The canned query (and min_amount_usd) still ranks by stated amounts only: 12, 8, then
# the unknown by their smallest known hop (40, 30, 1).
BY_STATED = [["a", "c"], ["a", "b"], ["a", "e"], ["a", "d"], ["a", "x"]]


def shape(loops):
    return [(c["nodes"], c["size_usd"], c["size_basis"], c["size_hop"], c["unsized_hops"]) for c in loops]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        store.write(ENTITIES, DEALS)
    return path


@pytest.mark.parametrize("deal, expected", [
    ({"amount_usd": 5.0}, (5.0, "stated")),
    ({"amount_usd": 5.0, "amount_basis": "estimate", "amount_low": 1.0}, (5.0, "estimate")),
    ({"amount_usd": None, "amount_low": 2e9, "amount_high": 3e9}, (2e9, "low end")),
    ({"amount_usd": None, "amount_low": None, "amount_high": 3e9}, (None, "only a ceiling (up to $3B)")),
    ({"amount_usd": None, "amount_basis": "estimate"}, (None, "no amount in its source")),
])
def test_deal_size(deal, expected):
    assert deal_size(deal) == expected


def test_ranks_on_the_embedded_store(db):
    with SQLiteStore(db, create=False) as store:
        loops = find_cycles(store)
        assert shape(loops) == RANKED
        from dealgraph.analyses.queries import run_query

        canned = run_query(store, "circular-financing", {"maxLength": 6})
    assert [c["nodes"] for c in canned] == BY_STATED
    assert [c["min_amount_usd"] for c in canned] == [12e9, 8e9, None, None, None]
    # hop sizes: the superseded $3B counts nowhere; a hop's basis is its deals'
    [ac] = [c for c in loops if c["nodes"] == ["a", "c"]]
    assert [(h["size_usd"], h["size_basis"], h["unknown_why"]) for h in ac["hops"]] == [
        (20e9, "stated", None), (12e9, "estimate", None)]
    assert size_loops(loops) == loops  # sizing twice changes nothing


def test_ranks_on_neo4j_equal_the_embedded_store(db, neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as store:
        store.write(ENTITIES, DEALS)
        through_neo4j = find_cycles(store)
    with SQLiteStore(db, create=False) as store:
        assert through_neo4j == find_cycles(store)
    assert shape(through_neo4j) == RANKED


def test_every_cli_output_says_what_a_size_rests_on(db):
    runner = CliRunner()
    table = runner.invoke(main, ["cycles", "--db", str(db)])
    assert table.exit_code == 0, table.output
    heads = [line for line in table.output.splitlines() if line[:1].isdigit() or "round:" in line or "unknown:" in line]
    assert heads == [
        "1. A → C → A", "   money that can go all the way round: smallest hop ~$12B (estimate)",
        "2. A → D → A", "   money that can go all the way round: smallest hop at least $9B (low end of a range)",
        "3. A → B → A", "   money that can go all the way round: $8B",
        "4. A → E → A", "   money that can go all the way round: ? (smallest known hop $40B, 1 hop of unknown size)",
        "   unknown: E → A: only a ceiling (up to $50B) (ea)",
        "5. A → X → A", "   money that can go all the way round: ? (smallest known hop $1B, 1 hop of unknown size)",
        "   unknown: X → A: no amount in its source (xa)",
    ]
    assert "   D pays A: ? in 1 deal; size at least $9B (low end of a range)" in table.output
    as_json = json.loads(runner.invoke(main, ["cycles", "--db", str(db), "--format", "json"]).output)
    assert shape(as_json) == RANKED
    rows = list(csv.DictReader(runner.invoke(main, ["cycles", "--db", str(db), "--format", "csv"]).output.splitlines()))
    first = {(r["cycle"], r["hop"]): r for r in rows}
    assert (first["1", "2"]["size_usd"], first["1", "2"]["size_basis"], first["1", "2"]["hop_size_basis"]) == (
        "12000000000", "estimate", "estimate")
    assert first["4", "2"]["hop_unknown_why"] == "only a ceiling (up to $50B) (ea)" and first["4", "2"]["size_usd"] == ""
    ordered = json.loads(runner.invoke(main, ["cycles", "--db", str(db), "--ordered", "--format", "json"]).output)
    assert ordered == []  # no deal is dated: none can be placed in time


def test_the_html_list_ranks_and_says_so(db, tmp_path, open_page):
    with SQLiteStore(db, create=False) as store:
        result = render_view(store, "cycles", tmp_path / "c.html")
    page = open_page(result.path)
    amounts = page.page.locator("#loops-list li .amount").all_inner_texts()
    assert amounts == [
        "smallest hop ~$12B (estimate)",
        "smallest hop at least $9B (low end of a range)",
        "$8B can go round",
        "some hop amounts unknown: E → A: only a ceiling (up to $50B) (ea)",
        "some hop amounts unknown: X → A: no amount in its source (xa)",
    ]
    paths = page.page.locator("#loops-list li .path").all_inner_texts()
    assert paths == ["A → C → A", "A → D → A", "A → B → A", "A → E → A", "A → X → A"]
    assert page.errors == []
