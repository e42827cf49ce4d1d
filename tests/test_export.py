"""Exports (GraphML, GEXF, CSV, FollowTheMoney) and FollowTheMoney as an input format.

Round trips go through the real CLI and real stores: export, load the export into a new
store, and the new store holds exactly what the first did.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from dealgraph.model.values import AmountError, parse_usd
from dealgraph.cli import main
from dealgraph.model.errors import ValidationError
from dealgraph.output.export import csv_texts, export_store
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.stores.neo4j_store import Neo4jStore
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import read_dataset

FORMATS = ("graphml", "gexf", "csv", "ftm")


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def contents(db: Path):
    with SQLiteStore(db, create=False) as store:
        return store.entities(), store.relationships(), store.figures()


@pytest.mark.parametrize(("fmt", "out"), [("csv", "export"), ("ftm", "export.ftm.json")])
def test_export_then_load_gives_the_same_store(shipped_db, tmp_path, fmt, out):
    result = run("export", "--format", fmt, "--out", tmp_path / out, "--db", shipped_db)
    assert result.exit_code == 0, result.output
    entities, deals, figures = contents(shipped_db)
    assert result.output.endswith(f"({len(entities)} entities, {len(deals)} deals, {len(figures)} figures)\n")
    copy = tmp_path / "copy.db"
    loaded = run("load", tmp_path / out, "--db", copy)
    assert loaded.exit_code == 0, loaded.output
    assert contents(copy) == contents(shipped_db)


def test_csv_round_trip_keeps_every_field_and_odd_values(tmp_path):
    entities = [
        Entity("a", 'A, "quoted"\nname', "fund", "TCK", "FR", ("Ä alias", "second")),
        Entity("b", "B", "government"),
        Entity("c", "C", "investor_group"),
    ]
    deals = [
        Relationship("d1", "a", "invests_in", "b", 0.1 + 0.2, "up to", "2025-09", "line one\nline two",
                     "https://e/1", "Title, with comma"),
        Relationship("d2", "a", "invests_in", "b", 1e20, supersedes="d1"),
        Relationship("d3", "b", "lends_to", "c", 0.0, expands="d2"),
        Relationship("d4", "c", "guarantees", "a", 2.5e9, "backstop"),
    ]
    figures = [
        Figure("f1", "a", "revenue", amount_usd=1.92e9, period="2024", note="FY, audited"),
        Figure("f2", "a", "customer_share", "b", percent=62.0, period="2024"),
        Figure("f3", "c", "debt", amount_usd=0.1 + 0.2, as_of="2025-06-30", evidence_url="https://e/f"),
    ]
    first = tmp_path / "first.db"
    with SQLiteStore(first) as store:
        store.write(entities, deals, figures=figures)
    for fmt, out in (("csv", tmp_path / "csv"), ("ftm", tmp_path / "x.ftm.json")):
        assert run("export", "--format", fmt, "--out", out, "--db", first).exit_code == 0
    second = tmp_path / "second.db"
    assert run("load", tmp_path / "csv", "--db", second).exit_code == 0
    assert contents(second) == contents(first)
    third = tmp_path / "third.db"
    assert run("load", tmp_path / "x.ftm.json", "--db", third).exit_code == 0
    assert contents(third) == contents(first)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_files_parse_with_networkx_and_carry_every_node_and_edge(shipped_db, tmp_path, fmt):
    path = tmp_path / f"g.{fmt}"
    assert run("export", "--format", fmt, "--out", path, "--db", shipped_db).exit_code == 0
    g = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    entities, deals, _ = contents(shipped_db)
    assert g.is_directed() and g.is_multigraph()
    assert set(g.nodes) == {e.id for e in entities}
    edges = {(u, v, k) for u, v, k in g.edges(keys=True)}
    if fmt == "gexf":  # networkx reads a GEXF edge's key from its id attribute
        edges = {(u, v, d.get("id", k)) for u, v, k, d in g.edges(keys=True, data=True)}
    assert edges == {(r.source, r.target, r.id) for r in deals}
    nvidia = g.nodes["nvidia"]
    assert nvidia["label"] == "Nvidia" and nvidia["kind"] == "chipmaker" and nvidia["ticker"] == "NVDA"
    by_id = {r.id: r for r in deals}
    for u, v, k, data in g.edges(keys=True, data=True):
        deal = by_id[data.get("id", k)]
        assert data["kind"] == deal.kind and data["label"] == deal.kind
        if deal.amount_usd is not None:
            assert float(data["amount_usd"]) == deal.amount_usd
        else:
            assert "amount_usd" not in data
        assert data["money_flows"] in ("forward", "reverse", "none")


def test_ftm_export_follows_the_schema(shipped_db, tmp_path):
    path = tmp_path / "x.ftm.json"
    assert run("export", "--format", "ftm", "--out", path, "--db", shipped_db).exit_code == 0
    objects = [json.loads(line) for line in path.read_text().splitlines()]
    by_id = {o["id"]: o for o in objects}
    entities, deals, figures = contents(shipped_db)
    assert len(by_id) == len(objects) == len(entities) + len(deals)
    assert sum(len(o.get("dealgraph", {}).get("figures", ())) for o in objects) == len(figures)
    # Properties per FollowTheMoney's schema (Thing, LegalEntity, Company, Interval, Value, ...).
    allowed = {
        "Company": {"name", "alias", "country", "ticker", "keywords"},
        "Organization": {"name", "alias", "country", "keywords"},
        "PublicBody": {"name", "alias", "country", "keywords"},
        "Ownership": {"owner", "asset", "ownershipType", "sharesValue", "sharesCurrency"},
        "Debt": {"creditor", "debtor", "amountUsd"},
        "Payment": {"payer", "beneficiary", "purpose", "amountUsd"},
        "UnknownLink": {"subject", "object", "role"},
    }
    interval = {"date", "summary", "description", "sourceUrl", "publisher"}
    for o in objects:
        extra = set(o["properties"]) - allowed[o["schema"]] - (interval if "name" not in allowed[o["schema"]] else set())
        assert not extra, (o["id"], extra)
        assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in o["properties"].values())
    assert by_id["nvidia"]["schema"] == "Company" and by_id["nvidia"]["properties"]["ticker"] == ["NVDA"]
    assert by_id["nvidia"]["properties"]["country"] == ["us"]
    assert by_id["us-government"]["schema"] == "PublicBody"
    stake = by_id["us-government-invests-intel-2025"]
    assert stake["schema"] == "Ownership"
    assert stake["properties"]["owner"] == ["us-government"] and stake["properties"]["asset"] == ["intel"]
    assert stake["properties"]["sharesValue"] == ["8900000000"]
    granted = by_id["openai-invests-coreweave-2025"]  # shares CoreWeave issued to OpenAI for no cash
    assert (granted["schema"], granted["properties"]["owner"], granted["properties"]["asset"],
            granted["properties"]["ownershipType"], granted["properties"]["sharesValue"]) == (
        "Ownership", ["openai"], ["coreweave"], ["granted shares"], ["350000000"])
    # Every deal's parties are entities of the same file.
    for o in objects:
        for prop in ("owner", "asset", "creditor", "debtor", "payer", "beneficiary", "subject", "object"):
            for ref in o["properties"].get(prop, ()):
                assert by_id[ref]["schema"] in ("Company", "Organization", "PublicBody")


def test_ftm_input_mapping(tmp_path):
    lines = [
        {"id": "NK-Acme.1", "schema": "Company", "properties": {"name": ["Acme Corp", "Acme"], "alias": ["ACME"],
                                                                "jurisdiction": ["de"], "ticker": ["ACM"]}},
        {"id": "gov", "schema": "PublicBody", "properties": {"name": ["Ministry"]}},
        {"id": "fund", "schema": "LegalEntity", "properties": {"name": ["Fund"], "keywords": ["x", "fund"]}},
        {"id": "p1", "schema": "Payment", "properties": {"payer": ["gov"], "beneficiary": ["NK-Acme.1"],
                                                         "purpose": ["supplies"], "amount": ["5"], "currency": ["usd"],
                                                         "startDate": ["2024-05-01T10:00:00"]}},
        {"id": "p2", "schema": "Payment", "properties": {"payer": ["gov"], "beneficiary": ["fund"],
                                                         "purpose": ["grant"], "amountUsd": ["1e9"]}},
        {"id": "l1", "schema": "UnknownLink", "properties": {"subject": ["fund"], "object": ["gov"], "role": ["advisor"]}},
        {"id": "o1", "schema": "Ownership", "properties": {"owner": ["fund"], "asset": ["NK-Acme.1"],
                                                           "ownershipType": ["warrant"]}},
        {"id": "o2", "schema": "Ownership", "properties": {"owner": ["fund"], "asset": ["NK-Acme.1"],
                                                           "ownershipType": ["granted shares"],
                                                           "sharesValue": ["350"], "sharesCurrency": ["USD"]}},
        {"id": "d1", "schema": "Debt", "properties": {"creditor": ["fund"], "debtor": ["gov"],
                                                      "sourceUrl": ["https://e/d"], "publisher": ["Loan news"]}},
    ]
    path = tmp_path / "in.ftm.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    dataset = read_dataset([path])
    assert dataset.entities == [
        Entity("nk-acme-1", "Acme Corp", "company", "ACM", "DE", ("Acme", "ACME")),
        Entity("gov", "Ministry", "government"),
        Entity("fund", "Fund", "fund"),
    ]
    assert [(r.id, r.source, r.kind, r.target, r.amount_usd, r.date) for r in dataset.relationships] == [
        ("p1", "nk-acme-1", "supplies", "gov", 5.0, "2024-05-01"),
        ("p2", "gov", "customer_of", "fund", 1e9, None),
        ("l1", "fund", "partner_of", "gov", None, None),
        ("o1", "fund", "owns_warrant_in", "nk-acme-1", None, None),
        ("o2", "fund", "granted_shares_by", "nk-acme-1", 350.0, None),
        ("d1", "fund", "lends_to", "gov", None, None),
    ]
    assert (dataset.relationships[-1].evidence_url, dataset.relationships[-1].evidence_title) == (
        "https://e/d", "Loan news")


def test_ftm_input_problems_are_one_line_each(tmp_path):
    path = tmp_path / "bad.ftm.json"
    path.write_text(
        '{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n'
        '{"id": "x", "schema": "Person", "properties": {"name": ["X"]}}\n'
        '{"id": "p", "schema": "Payment", "properties": {"payer": ["a"], "beneficiary": ["a"], "amount": ["5"], "currency": ["EUR"]}}\n'
        '{"schema": "Company", "properties": {}}\n'
        '{"id": "o", "schema": "Ownership", "properties": {"owner": ["a", "b"], "asset": ["a"]}}\n'
        '{"id": "c", "schema": "Company", "properties": {"name": "C"}}\n'
    )
    with pytest.raises(ValidationError) as info:
        read_dataset([path])
    assert info.value.problems == [
        f"{path}:3: Payment 'p': amount '5' is in EUR; dealgraph keeps amounts in USD (give amountUsd)",
        f"{path}:4: FollowTheMoney Company without an 'id'",
        f"{path}:5: Ownership 'o': 2 values of 'owner'; dealgraph reads one",
        f"{path}:6: Company 'c': 'properties' must map each property to a list of strings",
    ]  # the Person of line 2 is skipped (tests/test_ftm_foreign.py)


def test_export_refusals_are_one_line_and_leave_no_file(tmp_path):
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        store.write([Entity("a", "A", aliases=("x;y",)), Entity("b", "B")],
                    [Relationship("b2", "a", "lends_to", "b")])
    result = run("export", "--format", "csv", "--out", tmp_path / "c", "--db", db)
    assert result.exit_code == 1
    assert result.output == ("Error: entity 'a': alias 'x;y' holds ';', which the CSV format uses between "
                             "aliases; export as ftm or graphml instead\n")
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())
    result = run("export", "--format", "csv", "--out", "-", "--db", db)
    assert result.exit_code == 1 and result.output == (
        "Error: csv writes 3 files (entities.csv, relationships.csv, figures.csv): give --out FOLDER\n")
    with SQLiteStore(db) as store:
        store.write([], [Relationship("a", "a", "partner_of", "b")])
    result = run("export", "--format", "ftm", "--out", tmp_path / "x.ftm.json", "--db", db)
    assert result.exit_code == 1
    assert result.output == "Error: deal id 'a' is also an entity id; FollowTheMoney needs one id per object\n"
    assert not list(tmp_path.glob(".*tmp")) and not list(tmp_path.glob("*ftm*"))
    result = run("export", "--format", "graphml", "--out", tmp_path / "missing" / "g.graphml", "--db", db)
    assert result.exit_code == 1 and "does not exist" in result.output and len(result.output.splitlines()) == 1


def test_export_to_standard_output(shipped_db):
    result = run("export", "--format", "ftm", "--out", "-", "--db", shipped_db)
    assert result.exit_code == 0
    entities, deals, _ = contents(shipped_db)
    assert len(result.output.splitlines()) == len(entities) + len(deals)
    # entities first, in id order: a16z (Andreessen Horowitz, a merged-data entity) sorts before abilene-jv
    assert json.loads(result.output.splitlines()[0])["id"] == "a16z" == min(e.id for e in entities)


def test_neo4j_export_equals_sqlite_export(shipped_db, tmp_path, neo4j_db, neo4j_server):
    with Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database) as neo:
        entities, deals, figures = contents(shipped_db)
        neo.write(entities, deals, figures=figures)
        with SQLiteStore(shipped_db, create=False) as embedded:
            for fmt in FORMATS:
                a, b = tmp_path / f"sqlite-{fmt}", tmp_path / f"neo4j-{fmt}"
                export_store(embedded, fmt, a)
                export_store(neo, fmt, b)
                if fmt == "csv":
                    pairs = [(a / n, b / n) for n in ("entities.csv", "relationships.csv", "figures.csv")]
                else:
                    pairs = [(a, b)]
                for x, y in pairs:
                    assert x.read_bytes() == y.read_bytes(), fmt


def test_csv_texts_are_the_loader_format():
    entities_csv, deals_csv, figures_csv = csv_texts(
        [Entity("a", "A", aliases=("x", "y"))], [Relationship("d", "a", "invests_in", "b", 1.5e9)],
        [Figure("f", "a", "revenue", amount_usd=2.5e9, period="2024")])
    assert entities_csv == "id,name,kind,ticker,country,aliases,lender_type\na,A,company,,,x;y,\n"
    assert deals_csv.splitlines()[1].startswith("d,a,invests_in,b,1500000000,")
    assert figures_csv.splitlines() == [
        "id,entity,kind,counterparty,amount_usd,percent,period,as_of,note,evidence_url,evidence_title,"
        "evidence_quote,published,archive_url,title_rebuilt",
        "f,a,revenue,,2500000000,,2024,,,,,,,,",
    ]


# --- amounts as people type them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.5B", 1.5e9), ("500M", 5e8), ("2.5K", 2500.0), ("2.5k", 2500.0), ("$3T", 3e12), ("1e9", 1e9),
     ("1000000", 1e6), (" 7 ", 7.0), (".5b", 5e8), ("0", 0.0), (12, 12.0)],
)
def test_parse_usd(text, value):
    assert parse_usd(text) == value


@pytest.mark.parametrize("text", ["", "1.5X", "-5", "B", "1.5BB", "1e400", "nan", "inf", "1,5B"])
def test_parse_usd_refuses(text):
    with pytest.raises(AmountError):
        parse_usd(text)


def test_every_usd_option_takes_suffixes(shipped_db):
    plain = run("cycles", "--min-amount", "1500000000", "--format", "json", "--db", shipped_db)
    short = run("cycles", "--min-amount", "1.5B", "--format", "json", "--db", shipped_db)
    assert plain.exit_code == short.exit_code == 0 and plain.output == short.output
    assert json.loads(short.output) and all(c["min_amount_usd"] >= 1.5e9 for c in json.loads(short.output))
    query = run("query", "circular-financing", "-p", "minAmount", "1.5B", "--format", "json", "--db", shipped_db)
    assert query.exit_code == 0 and len(json.loads(query.output)) == len(json.loads(short.output))
    for args in (["cycles", "--min-amount", "1.5X"], ["render", "--min-amount", "lots"],
                 ["query", "circular-financing", "-p", "minAmount", "-2"]):
        bad = run(*args, "--db", shipped_db)
        assert bad.exit_code != 0
        assert len(bad.output.strip().splitlines()) == 1, bad.output
        assert "not an amount of USD" in bad.output
