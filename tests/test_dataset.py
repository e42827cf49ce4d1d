"""The shipped AI-finance dataset: complete, cited, consistent with the model, and
with the money loops its notes describe."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import networkx as nx
import pytest

from dealgraph.model.graphs import money_flow_graph
from dealgraph.model.records import Entity, Relationship, schema

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "ai-finance"

ENTITY_COLUMNS = ["id", "name", "kind", "ticker", "country", "aliases", "lender_type"]
RELATIONSHIP_COLUMNS = [
    "id", "source", "kind", "target", "amount_usd", "amount_low", "amount_high", "amount_basis",
    "status", "amount_note", "date", "reported", "term", "summary", "evidence_url", "evidence_title",
    "title_rebuilt", "evidence_quote", "published", "archive_url", "supersedes", "expands",
]
FIGURE_COLUMNS = [
    "id", "entity", "kind", "counterparty", "amount_usd", "percent", "period", "as_of",
    "note", "evidence_url", "evidence_title", "title_rebuilt", "evidence_quote", "published",
    "archive_url",
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


def _dataset():
    from dealgraph.loaders import read_dataset

    return read_dataset([DATA])


def _records() -> tuple[list[Entity], list[Relationship]]:
    dataset = _dataset()
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


def test_row_counts_match_the_readme(entity_rows, relationship_rows, figure_rows):
    assert (len(entity_rows), len(relationship_rows), len(figure_rows)) == (116, 224, 129)
    kinds = Counter(r["kind"] for r in relationship_rows)
    assert kinds["member_of"] == 63 and kinds["subsidiary_of"] == 4 and kinds["guarantees"] == 3
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name, rows in [("entities.csv", entity_rows), ("relationships.csv", relationship_rows),
                       ("figures.csv", figure_rows)]:
        assert f"| `{name}` | {len(rows)} |" in readme


def test_figures_are_well_formed_and_sourced(figure_rows, entity_rows):
    from dealgraph.model.records import Figure

    ids = {r["id"] for r in entity_rows}
    assert [i for i, n in Counter(f["id"] for f in figure_rows).items() if n > 1] == []
    for f in figure_rows:
        assert SLUG.fullmatch(f["id"]) and f["entity"] in ids, f["id"]
        assert not f["counterparty"] or f["counterparty"] in ids, f["id"]
        assert f["kind"] in schema().figure_kinds, f["id"]
    dataset = _dataset()
    assert len(dataset.figures) == len(figure_rows)
    by_id = {f.id: f for f in dataset.figures}
    # The story the filings tell: Microsoft's share of CoreWeave's revenue over time.
    msft = sorted((f for f in dataset.figures if f.entity == "coreweave" and f.counterparty == "microsoft"),
                  key=lambda f: f.when)
    assert [(f.period, f.percent) for f in msft] == [("2023", 35.0), ("2024", 62.0), ("2025-Q2", 71.0), ("2025", 67.0)]
    # CoreWeave's debt: the 10-Q totals where a filing page gave them ($14.2B at 2025-09-30, not "~$14B").
    debt = sorted((f for f in dataset.figures if f.entity == "coreweave" and f.kind == "debt"), key=lambda f: f.when)
    assert [f.amount_usd for f in debt] == [8_033_477_000, 8.8e9, 11_171_485_000, 14_205_268_000, 21.4e9]
    assert by_id["coreweave-revenue-2026-guidance"].is_forecast
    assert not by_id["coreweave-revenue-2025"].is_forecast
    assert isinstance(by_id["coreweave-revenue-2025"], Figure)
    # Fiscal periods are calendar spans; a balance-sheet figure is a point (as_of only).
    assert by_id["oracle-revenue-2025-q1-fy26"].period == "2025-06/2025-08"
    assert by_id["nvidia-revenue-fy2026"].period == "2025-02/2026-01"
    assert by_id["oracle-equity-2025-08-31"].period is None


def test_listed_companies_on_the_loops_have_a_buffer_figure(figure_rows):
    # Book equity or cash from the filings, where the review found them (README "Missing figures").
    buffers = {(f["entity"], f["kind"]) for f in figure_rows if f["kind"] in ("equity", "cash")}
    for entity in ("nvidia", "microsoft", "oracle", "amazon", "google", "meta", "coreweave", "intel"):
        assert (entity, "equity") in buffers, entity
    for entity in ("amd", "arm", "nebius", "iren", "terawulf"):
        assert (entity, "cash") in buffers and (entity, "equity") not in buffers, entity
    for entity in ("applied-digital", "galaxy-digital", "cipher-mining"):
        assert (entity, "equity") in buffers, entity
    equity = {f["id"]: float(f["amount_usd"]) for f in figure_rows if f["kind"] == "equity"}
    assert equity["applied-digital-equity-2025-08-31"] == 1_044_260_000  # Q1 FY2026 10-Q, in thousands
    assert equity["galaxy-digital-equity-2025-09-30"] == 3_200_000_000  # Q3 2025 release, rounded
    assert equity["microsoft-equity-2025-06-30"] == 343_479_000_000
    assert equity["dell-equity-2026-01-30"] == 0  # a stockholders' deficit, said in its note


def test_ids_are_unique_slugs(entity_rows, relationship_rows):
    for rows in (entity_rows, relationship_rows):
        ids = [r["id"] for r in rows]
        assert [i for i, n in Counter(ids).items() if n > 1] == []
        assert [i for i in ids if not SLUG.fullmatch(i)] == []


def test_kinds_are_in_the_schema(entity_rows, relationship_rows):
    model = schema()
    assert {r["kind"] for r in entity_rows} - set(model.entity_kinds) == set()
    assert {r["kind"] for r in relationship_rows} - set(model.relationship_kinds) == set()


def test_every_endpoint_is_an_entity_and_every_entity_is_used(entity_rows, relationship_rows, figure_rows):
    ids = {r["id"] for r in entity_rows}
    endpoints = {r[end] for r in relationship_rows for end in ("source", "target")}
    assert endpoints - ids == set()
    assert ids - endpoints - {f["entity"] for f in figure_rows} == set()


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


MARKER = re.compile(r"\[(slug|desc|notes)\]", re.IGNORECASE)


def _evidence_problems(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    problems = []
    for r in rows:
        url = urlparse(r["evidence_url"])
        if url.scheme not in ("http", "https") or not url.netloc:
            problems.append((r["id"], "no evidence_url"))
        query = parse_qs(url.query)
        if {"p", "q", "s", "search"} & set(query) or re.search(r"/(search|tag)(/|$)", url.path):
            problems.append((r["id"], "search, tag or ?p= page"))
        if not r["evidence_title"].strip():
            problems.append((r["id"], "no title"))
        if not r["evidence_quote"].strip():
            problems.append((r["id"], "no quote"))
        if r["title_rebuilt"] not in ("", "yes"):
            problems.append((r["id"], "title_rebuilt"))
        if any(MARKER.search(v or "") for v in r.values()):
            problems.append((r["id"], "internal marker in the text"))
    return problems


def test_every_deal_and_figure_cites_its_page(relationship_rows, figure_rows):
    assert _evidence_problems(relationship_rows) == []
    assert _evidence_problems(figure_rows) == []


def test_amounts_and_dates_are_well_formed(relationship_rows):
    for r in relationship_rows:
        for column in ("amount_usd", "amount_low", "amount_high"):
            if r[column]:
                assert float(r[column]) >= 0, r["id"]
        for column in ("date", "reported", "published"):
            if r[column]:
                assert ISO_DATE.fullmatch(r[column]), (r["id"], column)
    undated = sorted(r["id"] for r in relationship_rows if not r["date"])
    assert undated == ["aws-subsidiary-of-amazon", "blue-owl-lends-lancaster-project-undated",
                       "google-subsidiary-of-alphabet", "nvidia-invests-lambda-2025"]


def test_readme_states_the_latest_deal_date_as_as_of(relationship_rows):
    latest = max(r["date"] for r in relationship_rows if r["date"])
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert f"as_of: {latest}" in readme


def test_the_known_errors_are_fixed(relationship_rows):
    rows = {r["id"]: r for r in relationship_rows}
    # SoftBank's own $30B; the $11B of co-investors is another group's, Magnetar a member of it.
    assert (rows["softbank-invests-openai-2025"]["amount_usd"], rows["softbank-invests-openai-2025"]["amount_basis"]) \
        == ("30000000000", "cash")
    assert rows["openai-2025-co-investors-invests-in-openai-2025"]["amount_usd"] == "11000000000"
    magnetar = rows["magnetar-invests-openai-2025"]
    assert (magnetar["kind"], magnetar["target"], magnetar["amount_usd"]) == ("member_of", "openai-2025-co-investors", "")
    # The employee secondary buys existing shares: no money to OpenAI.
    assert rows["openai-secondary-buyers-invests-openai-2025"]["kind"] == "acquires"
    # CoreWeave issued stock to OpenAI; OpenAI paid no cash: the shares were granted (value
    # CoreWeave -> OpenAI), not bought.
    stock = rows["openai-invests-coreweave-2025"]
    assert (stock["source"], stock["kind"], stock["target"], stock["amount_basis"]) == \
        ("openai", "granted_shares_by", "coreweave", "stock")
    # Meta-CoreWeave: the 8-K's $21B adds to the $14.2B.
    assert rows["meta-customer-of-coreweave-2026"]["expands"] == "meta-customer-of-coreweave-2025"
    # Nvidia's 2023 investment is one position, dated 2023 (reported 2025-03-12).
    assert "nvidia-invests-coreweave-2025" not in rows
    assert (rows["nvidia-invests-coreweave-2023"]["date"], rows["nvidia-invests-coreweave-2023"]["reported"]) \
        == ("2023", "2025-03-12")
    # Google's backstops of Fluidstack's leases are guarantees.
    assert {r["id"] for r in relationship_rows if r["source"] == "google" and r["target"] == "fluidstack"} \
        == {"google-partner-of-fluidstack-2025", "google-guarantees-fluidstack-2025-cipher"}
    assert {rows[i]["kind"] for i in ("google-partner-of-fluidstack-2025", "google-guarantees-fluidstack-2025-cipher")} \
        == {"guarantees"}


def test_syndicates_name_their_members(relationship_rows, entity_rows):
    lender_type = {r["id"]: r["lender_type"] for r in entity_rows}
    groups_of = {}
    for r in relationship_rows:
        if r["kind"] == "member_of":
            groups_of.setdefault(r["source"], set()).add(r["target"])
    assert groups_of["jpmorgan"] == {
        "morgan-stanley-mufg-goldman-jpmorgan", "jpmorgan-revolver-lenders", "softbank-openai-bridge-lenders",
        "jpmorgan-citi-goldman-morgan-stanley", "mizuho-smbc-jpmorgan", "jpmorgan-mufg", "jpmorgan-underwriters",
    }
    assert lender_type["jpmorgan"] == "bank" and lender_type["blue-owl"] == "private_credit"
    # Every group that lends names at least one member; its banks and funds carry a lender type.
    lending_groups = {r["source"] for r in relationship_rows if r["kind"] == "lends_to"} & \
        {g for groups in groups_of.values() for g in groups}
    members = {m for m, groups in groups_of.items() if groups & lending_groups}
    assert "crusoe-blue-owl-primary-digital" not in lending_groups  # it invests (equity), it does not lend
    assert sorted(m for m in members if not lender_type[m]) == []
    shares = {r["id"]: r["amount_usd"] for r in relationship_rows if r["kind"] == "member_of" and r["amount_usd"]}
    assert shares["mizuho-member-of-mizuho-smbc-jpmorgan-2025"] == "1350000000"
    assert shares["nvidia-member-of-ipo-investors-2025"] == "250000000"


def test_parents_and_subsidiaries(relationship_rows):
    links = {(r["source"], r["target"]) for r in relationship_rows if r["kind"] == "subsidiary_of"}
    assert links == {("google", "alphabet"), ("aws", "amazon"), ("xai", "spacex"), ("sb-energy", "softbank")}


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


@pytest.fixture(scope="module")
def short_cycles(money_graph) -> set[tuple[str, ...]]:
    return {_canonical(c) for c in nx.simple_cycles(money_graph, length_bound=4)}


# Loops written in money-flow order (payer -> payee).
KNOWN_LOOPS = [
    ["nvidia", "coreweave"],
    ["nvidia", "openai"],
    ["nvidia", "anthropic"],
    ["nvidia", "nebius"],
    ["nvidia", "lambda"],
    ["nvidia", "xai-valor-spv"],
    ["microsoft", "openai"],
    ["microsoft", "anthropic"],
    ["amazon", "openai"],
    ["amazon", "anthropic"],
    ["google", "anthropic"],
    ["openai", "amd"],
    ["openai", "cerebras"],
    ["coreweave", "poolside"],
    ["coreweave", "openai"],  # CoreWeave grants OpenAI $350M of stock, OpenAI buys compute
    ["oracle", "nvidia", "openai"],
    ["oracle", "amd", "openai"],
    ["nvidia", "openai", "coreweave"],
    ["coreweave", "openai", "microsoft"],
    ["coreweave", "openai", "nvidia"],
    ["nvidia", "xai", "xai-valor-spv"],
    ["nvidia", "openai", "microsoft", "coreweave"],
    ["nvidia", "openai", "microsoft", "nebius"],
    ["nvidia", "openai", "microsoft", "lambda"],
    ["nvidia", "anthropic", "microsoft", "coreweave"],
    ["coreweave", "openai", "oracle", "nvidia"],
    ["fluidstack", "terawulf", "google", "anthropic"],
    ["fluidstack", "cipher-mining", "google", "anthropic"],
    ["google", "anthropic", "amazon", "cipher-mining"],
    ["microsoft", "openai", "amazon", "anthropic"],
]


@pytest.mark.parametrize("loop", KNOWN_LOOPS, ids=["->".join(loop) for loop in KNOWN_LOOPS])
def test_known_money_loop_exists(loop, short_cycles):
    assert _canonical(loop) in short_cycles


def test_count_of_money_loops_up_to_four_hops(short_cycles):
    # 16 two-way ties, 6 three-step loops, 23 four-step loops. The granted CoreWeave shares
    # (CoreWeave -> OpenAI) close one loop per money path OpenAI -> CoreWeave of at most
    # three hops: direct (customer_of), via Microsoft, via Nvidia, via Oracle and Nvidia.
    assert Counter(len(c) for c in short_cycles) == {2: 16, 3: 6, 4: 23}
    assert len(short_cycles) == 45


def test_structural_ties_stay_out_of_the_money_flow_graph(money_graph):
    # Google's backstop of Fluidstack is a guarantee: no money moves, so no edge either way.
    assert not money_graph.has_edge("google", "fluidstack")
    assert not money_graph.has_edge("fluidstack", "google")
    # Neither a member's share nor a parent link is a payment.
    assert not money_graph.has_edge("magnetar", "openai-2025-co-investors")
    assert not money_graph.has_edge("google", "alphabet")
    # supplies and owns_warrant_in run against the deal's direction.
    assert money_graph.has_edge("coreweave", "nvidia")
    assert money_graph.has_edge("amd", "openai")
    # Shares granted as consideration: the issuer gives the holder equity, the holder pays nothing.
    deals = money_flow_graph(*_records())
    assert "openai-invests-coreweave-2025" in deals["coreweave"]["openai"]
    assert "openai-invests-coreweave-2025" not in deals["openai"]["coreweave"]
