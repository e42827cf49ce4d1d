"""The shipped AI-finance dataset: complete, cited, consistent with the model, and
with the money loops its notes describe."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import networkx as nx
import pytest

from dealgraph.model.graphs import money_flow_graph
from dealgraph.model.records import Entity, Relationship, schema

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "ai-finance"
# The cited fact table the dataset was written from; it lives beside the repository
# in the working setup and is optional everywhere else.
FACTS = ROOT.parent / "shared" / "data" / "ai_finance_facts.csv"

ENTITY_COLUMNS = ["id", "name", "kind", "ticker", "country", "aliases"]
RELATIONSHIP_COLUMNS = [
    "id", "source", "kind", "target", "amount_usd", "amount_note", "date",
    "summary", "evidence_url", "evidence_title", "supersedes", "expands",
]
FIGURE_COLUMNS = [
    "id", "entity", "kind", "counterparty", "amount_usd", "percent", "period", "as_of",
    "note", "evidence_url", "evidence_title",
]
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
ISO_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def entity_rows() -> list[dict[str, str]]:
    return _rows("entities.csv")


@pytest.fixture(scope="module")
def relationship_rows() -> list[dict[str, str]]:
    return _rows("relationships.csv")


@pytest.fixture(scope="module")
def figure_rows() -> list[dict[str, str]]:
    return _rows("figures.csv")


def _records_from_csv() -> tuple[list[Entity], list[Relationship]]:
    entities = [
        Entity(
            id=r["id"], name=r["name"], kind=r["kind"], ticker=r["ticker"] or None,
            country=r["country"] or None,
            aliases=tuple(a for a in r["aliases"].split(";") if a),
        )
        for r in _rows("entities.csv")
    ]
    relationships = [
        Relationship(
            **{k: (v or None) for k, v in r.items() if k != "amount_usd"},
            amount_usd=float(r["amount_usd"]) if r["amount_usd"] else None,
        )
        for r in _rows("relationships.csv")
    ]
    return entities, relationships


def _dataset():
    from dealgraph.loaders import read_dataset

    return read_dataset([DATA])


def _records() -> tuple[list[Entity], list[Relationship]]:
    """The dataset as model records: through the project's loader when it is available,
    otherwise straight from the CSV files."""
    try:
        from dealgraph.loaders import read_dataset
    except ImportError:
        return _records_from_csv()
    dataset = read_dataset([DATA])
    return list(dataset.entities), list(dataset.relationships)


@pytest.fixture(scope="module")
def money_graph() -> nx.DiGraph:
    # Parallel deals between the same payer and payee are one hop for cycle purposes.
    return nx.DiGraph(money_flow_graph(*_records()))


def test_headers_are_the_documented_columns():
    for name, columns in [("entities.csv", ENTITY_COLUMNS), ("relationships.csv", RELATIONSHIP_COLUMNS),
                          ("figures.csv", FIGURE_COLUMNS)]:
        with open(DATA / name, newline="", encoding="utf-8") as f:
            assert next(csv.reader(f)) == columns, name


def test_all_143_facts_are_kept_one_row_each(relationship_rows, figure_rows):
    # 139 deals; the 4 revenue-share facts are customer_share figures.
    assert len(relationship_rows) == 139
    shares = [f for f in figure_rows if f["kind"] == "customer_share" and f["counterparty"] == "microsoft"]
    assert len(shares) == 4
    assert len(figure_rows) == 32


def test_figures_are_well_formed_and_sourced(figure_rows, entity_rows):
    from dealgraph.model.records import Figure

    ids = {r["id"] for r in entity_rows}
    assert [i for i, n in Counter(f["id"] for f in figure_rows).items() if n > 1] == []
    for f in figure_rows:
        assert SLUG.fullmatch(f["id"]) and f["entity"] in ids, f["id"]
        assert f["kind"] in schema().figure_kinds, f["id"]
        assert f["evidence_title"].strip(), f["id"]
        if f["evidence_url"]:
            url = urlparse(f["evidence_url"])
            assert url.scheme in ("http", "https") and url.netloc, f["id"]
        else:  # no page in the fact table: the title says which source the notes name
            assert f["evidence_title"].startswith("[notes] "), f["id"]
    dataset = _dataset()
    assert len(dataset.figures) == len(figure_rows)
    by_id = {f.id: f for f in dataset.figures}
    # The story the filings tell: Microsoft's share of CoreWeave's revenue over time.
    msft = sorted((f for f in dataset.figures if f.counterparty == "microsoft"), key=lambda f: f.when)
    assert [(f.period, f.percent) for f in msft] == [("2023", 35.0), ("2024", 62.0), ("2025-Q2", 71.0), ("2025", 67.0)]
    debt = sorted((f for f in dataset.figures if f.entity == "coreweave" and f.kind == "debt"), key=lambda f: f.when)
    assert [f.amount_usd for f in debt] == [8.03e9, 8.8e9, 11.17e9, 14e9, 21.4e9]
    assert by_id["coreweave-revenue-2026-guidance"].is_forecast
    assert not by_id["coreweave-revenue-2025"].is_forecast
    assert isinstance(by_id["coreweave-revenue-2025"], Figure)


def test_ids_are_unique_slugs(entity_rows, relationship_rows):
    for rows in (entity_rows, relationship_rows):
        ids = [r["id"] for r in rows]
        assert [i for i, n in Counter(ids).items() if n > 1] == []
        assert [i for i in ids if not SLUG.fullmatch(i)] == []


def test_kinds_are_in_the_schema(entity_rows, relationship_rows):
    model = schema()
    assert {r["kind"] for r in entity_rows} - set(model.entity_kinds) == set()
    assert {r["kind"] for r in relationship_rows} - set(model.relationship_kinds) == set()


def test_every_endpoint_is_an_entity_and_every_entity_is_used(entity_rows, relationship_rows):
    ids = {r["id"] for r in entity_rows}
    endpoints = {r[end] for r in relationship_rows for end in ("source", "target")}
    assert endpoints - ids == set()
    assert ids - endpoints == set()


def test_names_and_aliases_name_one_entity_each(entity_rows):
    owner: dict[str, str] = {}
    clashes = []
    for r in entity_rows:
        assert r["name"].strip(), r["id"]
        for ref in [r["name"], *filter(None, r["aliases"].split(";"))]:
            assert ref == ref.strip(), (r["id"], ref)
            if owner.setdefault(ref, r["id"]) != r["id"]:
                clashes.append((ref, owner[ref], r["id"]))
    assert clashes == []


def test_every_relationship_cites_evidence(relationship_rows):
    uncited = []
    for r in relationship_rows:
        url = urlparse(r["evidence_url"])
        if url.scheme not in ("http", "https") or not url.netloc or not r["evidence_title"].strip():
            uncited.append(r["id"])
    assert uncited == []


def test_amounts_and_dates_are_well_formed(relationship_rows):
    for r in relationship_rows:
        if r["amount_usd"]:
            assert float(r["amount_usd"]) >= 0, r["id"]
        if r["date"]:
            assert ISO_DATE.fullmatch(r["date"]), r["id"]
    undated = sorted(r["id"] for r in relationship_rows if not r["date"])
    assert len(undated) == 3, undated


def test_readme_states_the_latest_deal_date_as_as_of(relationship_rows):
    latest = max(r["date"] for r in relationship_rows if r["date"])
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert f"as_of: {latest}" in readme


@pytest.mark.skipif(not FACTS.exists(), reason=f"fact table not present at {FACTS}")
def test_every_fact_row_is_represented(entity_rows, relationship_rows):
    ref_to_id = {}
    for r in entity_rows:
        for ref in [r["id"], r["name"], *filter(None, r["aliases"].split(";"))]:
            ref_to_id[ref] = r["id"]
    with open(FACTS, newline="", encoding="utf-8") as f:
        facts = list(csv.DictReader(f))
    carried = ("amount_usd", "amount_note", "date", "summary", "evidence_url", "evidence_title")
    unnamed = sorted({f[end] for f in facts for end in ("source", "target")} - set(ref_to_id))
    assert unnamed == []
    # Revenue-share facts (no amount, a percentage in the note) are customer_share figures:
    # the same customer, entity and page.
    figures = {(f["counterparty"], f["entity"], f["evidence_url"]) for f in _rows("figures.csv")
               if f["kind"] == "customer_share"}
    as_figures = [f for f in facts if f["relation"] == "customer_of" and not f["amount_usd"]
                  and (ref_to_id[f["source"]], ref_to_id[f["target"]], f["evidence_url"]) in figures]
    assert len(as_figures) == 4
    expected = Counter(
        (ref_to_id[f["source"]], f["relation"], ref_to_id[f["target"]], *(f[c] for c in carried))
        for f in facts if f not in as_figures
    )
    shipped = Counter(
        (r["source"], r["kind"], r["target"], *(r[c] for c in carried)) for r in relationship_rows
    )
    assert expected - shipped == Counter(), "facts missing from the dataset"
    assert shipped - expected == Counter(), "dataset rows not in the facts"


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


@pytest.fixture(scope="module")
def short_cycles(money_graph) -> set[tuple[str, ...]]:
    return {_canonical(c) for c in nx.simple_cycles(money_graph, length_bound=4)}


# Loops named in the notes' appendix, written in money-flow order (payer -> payee).
KNOWN_LOOPS = [
    ["nvidia", "coreweave"],
    ["nvidia", "openai"],
    ["nvidia", "anthropic"],
    ["microsoft", "openai"],
    ["microsoft", "anthropic"],
    ["amazon", "openai"],
    ["amazon", "anthropic"],
    ["google", "anthropic"],
    ["openai", "amd"],
    ["coreweave", "poolside"],
    ["oracle", "nvidia", "openai"],
    ["oracle", "amd", "openai"],
    ["nvidia", "openai", "coreweave"],
    ["nvidia", "openai", "microsoft", "coreweave"],
    ["nvidia", "anthropic", "microsoft", "coreweave"],
    ["fluidstack", "terawulf", "google", "anthropic"],
    ["fluidstack", "cipher-mining", "google", "anthropic"],
    ["google", "anthropic", "amazon", "cipher-mining"],
    ["microsoft", "openai", "amazon", "anthropic"],
]


@pytest.mark.parametrize("loop", KNOWN_LOOPS, ids=["->".join(loop) for loop in KNOWN_LOOPS])
def test_known_money_loop_exists(loop, short_cycles):
    assert _canonical(loop) in short_cycles


def test_count_of_money_loops_up_to_four_hops(short_cycles):
    # 10 two-way ties, 3 three-step loops, 14 four-step loops (see the dataset README).
    assert Counter(len(c) for c in short_cycles) == {2: 10, 3: 3, 4: 14}
    assert len(short_cycles) == 27


def test_structural_ties_stay_out_of_the_money_flow_graph(money_graph):
    # Google's backstop of Fluidstack is partner_of: no money moves, so no edge either way.
    assert not money_graph.has_edge("google", "fluidstack")
    assert not money_graph.has_edge("fluidstack", "google")
    # supplies and owns_warrant_in run against the deal's direction.
    assert money_graph.has_edge("coreweave", "nvidia")
    assert money_graph.has_edge("amd", "openai")
