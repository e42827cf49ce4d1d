"""Every field of the model (status, amount basis and range, reported date, term, the
evidence quote, published date, archive URL, rebuilt-title flag; the figures' citation
fields; lender_type; member_of/subsidiary_of; cash figures) through every input format,
into both engines, and out through every export (issue 15).

One small dataset is written by hand below (:data:`ENTITIES`, :data:`DEALS`,
:data:`FIGURES`, every new field with a value that is not a default) and then in each
input format the loaders read: CSV (with a second deals file and a second entities file
that go the bulk way, :mod:`dealgraph.loaders.streaming`), a JSON document, JSON Lines, a
YAML document written with plain scalars (``title_rebuilt: yes``, ``published:
2025-03-04``) and FollowTheMoney lines written from the documented mapping. Each is
loaded into the embedded store and into a real Neo4j and must give exactly the
hand-written records; then each store is exported in every format: ``csv`` and ``ftm``
load back into both engines as the same records, the graph formats are parsed and every
entity and deal field is looked up, and both engines write the same bytes.
"""

from __future__ import annotations

import csv
import json
import warnings
from dataclasses import fields
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.load import load_files
from dealgraph.loaders.csv_source import CsvSource, RowChunk
from dealgraph.loaders.resolution import EntityIndex
from dealgraph.loaders.streaming import _PlainDealRows, _PlainEntityRows
from dealgraph.model.records import Entity, Figure, Relationship, figure_id, relationship_id
from dealgraph.output.export import FORMATS, export_store
from dealgraph.stores.neo4j_store import Neo4jStore
from dealgraph.stores.sqlite_store import SQLiteStore

INPUT_FORMATS = ("csv", "json", "jsonl", "yaml", "ftm")

# ----------------------------------------------------------------------------- the dataset

ENTITIES = [
    Entity("alphabet", "Alphabet Inc.", "hyperscaler", "GOOGL", "US", ("Alphabet",)),
    Entity("blue-owl", "Blue Owl Capital", "asset_manager", "OWL", "US", ("Blue Owl",),
           lender_type="private_credit"),
    Entity("coreweave", "CoreWeave", "neocloud", "CRWV", "US"),
    Entity("google", "Google LLC", "hyperscaler", None, "US", ("Google",)),
    Entity("jpmorgan", "JPMorgan Chase", "bank", "JPM", "US", ("JPMorgan", "J.P. Morgan"), lender_type="bank"),
    Entity("lenders-2025", "CoreWeave lender group 2025", "investor_group"),
    Entity("nvidia", "NVIDIA", "chipmaker", "NVDA", "US"),
    Entity("openai", "OpenAI", "ai_lab", None, "US"),
    Entity("us-doe", "US Department of Energy", "government", None, "US", (), lender_type="bond_market"),
]

_EV = "https://investors.example.com/news/"
_AR = "https://web.archive.org/web/2026/https://investors.example.com/news/"

#: Deals read the bulk way (``deals-plain.csv``: no column of a type the plain path does
#: not check) - text new fields only.
PLAIN_DEALS = [
    Relationship("google-sub", "google", "subsidiary_of", "alphabet", date="2015-10-02",
                 summary="Google became a subsidiary of Alphabet", evidence_url=_EV + "alphabet",
                 evidence_title="Alphabet reorganisation", term="since 2015",
                 evidence_quote="Google will be a wholly-owned subsidiary of Alphabet.",
                 archive_url=_AR + "alphabet"),
    Relationship("nvidia-openai-partner", "nvidia", "partner_of", "openai", amount_note="no amount",
                 evidence_url=_EV + "nv-oai", evidence_title="NVIDIA and OpenAI", term="10 years",
                 evidence_quote='a "strategic", long-term partnership', archive_url=_AR + "nv-oai"),
]

DEALS = [
    # talks, a range, an estimate, reported after the deal date, a rebuilt title, an archive copy
    Relationship("nv-cw-talks", "nvidia", "invests_in", "coreweave", 2e9, "reported range", "2026-05",
                 "Talks, nothing signed", _EV + "talks", "nvidia-weighs-coreweave-stake",
                 amount_low=1.5e9, amount_high=2.5e9, amount_basis="estimate", status="talks",
                 reported="2026-05-20", term="multi-year",
                 evidence_quote='Nvidia is in talks to invest "between $1.5 billion and $2.5 billion", people said.',
                 published="2026-05-20", archive_url=_AR + "talks", title_rebuilt="yes"),
    # a ceiling ("up to": high only), a facility, a quote over two lines, text beyond ASCII
    Relationship("cw-loan-2025", "lenders-2025", "lends_to", "coreweave", 2.6e9, None, "2025-07-31",
                 "Delayed-draw term loan \u2014 \u20ac tranche m\u00fcde", _EV + "ddtl3",
                 "CoreWeave closes DDTL 3.0", amount_high=3e9, amount_basis="facility", status="closed",
                 reported="2025-08-01", term="5 years",
                 evidence_quote="CoreWeave closed a $2.6 billion facility,\nwhich may grow to $3 billion.",
                 published="2025-07-31", archive_url=_AR + "ddtl3"),
    Relationship("jpm-member", "jpmorgan", "member_of", "lenders-2025", 5e8, "its share", None, None,
                 _EV + "ddtl3", "CoreWeave closes DDTL 3.0", amount_basis="commitment", status="closed",
                 evidence_quote="JPMorgan led with $500 million", published="2025-07-31"),
    Relationship("jpm-member-final", "jpmorgan", "member_of", "lenders-2025", 6e8, "its final share",
                 "2025-08-20", evidence_url=_EV + "ddtl3-final", supersedes="jpm-member",
                 amount_basis="commitment", status="closed", published="2025-08-20"),
    # member_of with its share unknown, and only text new fields (the plain row path)
    Relationship("owl-member", "blue-owl", "member_of", "lenders-2025", evidence_url=_EV + "ddtl3",
                 term="5 years", evidence_quote="Blue Owl joined the group", archive_url=_AR + "owl"),
    Relationship("openai-cw-contract", "openai", "customer_of", "coreweave", 1.19e10, "over five years",
                 "2025-03-10", "Compute contract", _EV + "oai-cw", "OpenAI signs with CoreWeave",
                 amount_basis="contract_total", status="signed", reported="2025-03-12", term="5 years",
                 evidence_quote="a contract valued at up to $11.9 billion", published="2025-03-10"),
    Relationship("openai-cw-contract-2", "openai", "customer_of", "coreweave", 4e9, None, "2025-05-15",
                 None, _EV + "oai-cw-2", "OpenAI expands CoreWeave contract", expands="openai-cw-contract",
                 amount_basis="contract_total", status="signed", published="2025-05-15"),
    # a low end only, a supplier (its FtM Payment runs the other way), a letter of intent
    Relationship("nv-supplies-cw", "nvidia", "supplies", "coreweave", None, "at least $1B", "2025",
                 evidence_url=_EV + "gpus", evidence_title="GPU order", amount_low=1e9,
                 amount_basis="estimate", status="loi", published="2025-01-02"),
    Relationship("nv-openai-stalled", "nvidia", "invests_in", "openai", 1e11, "up to $100B", "2025-09-22",
                 evidence_url=_EV + "nv-oai-100", evidence_title="NVIDIA to invest up to $100B",
                 amount_high=1e11, amount_basis="commitment", status="stalled", term="progressive, per GW",
                 evidence_quote="invest up to $100 billion", published="2025-09-22", title_rebuilt="yes"),
    Relationship("alphabet-cw-acq", "alphabet", "acquires", "coreweave", 3.5e8, date="2025-02",
                 evidence_url=_EV + "acq", amount_basis="stock", status="terminated",
                 evidence_quote="the all-stock deal was called off", published="2025-04-01"),
    Relationship("google-guarantee", "google", "guarantees", "coreweave", 1.4e9, date="2025-08",
                 evidence_url=_EV + "backstop", evidence_title="Google backstop", amount_basis="commitment",
                 status="signed", term="lease term", published="2025-08-14", archive_url=_AR + "backstop"),
    Relationship("doe-loan", "us-doe", "lends_to", "nvidia", 1e9, date="2024", evidence_url=_EV + "doe",
                 amount_basis="cash", status="closed", published="2024-06-01"),
    # shares issued for no cash (its FtM Ownership says so in ownershipType)
    Relationship("cw-shares-openai", "openai", "granted_shares_by", "coreweave", 3.5e8, "no cash paid",
                 "2025-03-28", evidence_url=_EV + "shares", evidence_title="CoreWeave issues shares to OpenAI",
                 amount_basis="stock", status="closed", evidence_quote="shares equal to $350.0 million",
                 published="2025-03-28"),
    *PLAIN_DEALS,
]

#: A deal without an id: it gets its hash, the same from every format (in FtM, which needs
#: an id per object, the file gives that hash as an export would).
_NO_ID = dict(source="jpmorgan", kind="lends_to", target="openai", amount_usd=4e9, date="2024-10-03",
              evidence_url=_EV + "revolver", evidence_title="OpenAI revolver", amount_basis="facility",
              status="signed", term="3 years", evidence_quote="a $4 billion revolving credit facility",
              published="2024-10-03")
#: ... and one without id on the bulk path (``deals-plain.csv``).
_PLAIN_NO_ID = dict(source="coreweave", kind="partner_of", target="openai", evidence_url=_EV + "cw-oai",
                    term="through 2030", evidence_quote="CoreWeave, OpenAI expand their partnership",
                    archive_url=_AR + "cw-oai")
NO_ID_DEAL = Relationship(relationship_id(**_NO_ID), **_NO_ID)
PLAIN_NO_ID_DEAL = Relationship(relationship_id(**_PLAIN_NO_ID), **_PLAIN_NO_ID)

FIGURES = [
    Figure("cw-cash-2025q3", "coreweave", "cash", amount_usd=1.9e9, period="2025-Q3", as_of="2025-09-30",
           note="cash and cash equivalents", evidence_url="https://www.sec.gov/cw-10q",
           evidence_title="CoreWeave 10-Q", evidence_quote="Cash and cash equivalents $1,900 million",
           published="2025-11-10", archive_url=_AR + "cw-10q"),
    Figure("cw-equity-2025q3", "coreweave", "equity", amount_usd=4.4e9, period="2025-Q3",
           evidence_url="https://www.sec.gov/cw-10q", evidence_title="coreweave-10q-q3",
           evidence_quote="Total stockholders' equity 4,400", published="2025-11-10", title_rebuilt="yes"),
    Figure("cw-openai-share", "coreweave", "customer_share", "openai", percent=62.5, period="2024",
           evidence_url=_EV + "s1", evidence_quote="62% of revenue", published="2025-03-03"),
]
_NO_ID_FIGURE = dict(entity="nvidia", kind="revenue", amount_usd=1.3e11, period="2025", as_of="2025-02-26",
                     evidence_url=_EV + "nv-fy25", evidence_quote="Revenue of $130.5 billion",
                     published="2025-02-26", archive_url=_AR + "nv-fy25")
NO_ID_FIGURE = Figure(figure_id(**_NO_ID_FIGURE), **_NO_ID_FIGURE)

EXPECTED = (
    sorted(ENTITIES, key=lambda e: e.id),
    sorted([*DEALS, NO_ID_DEAL, PLAIN_NO_ID_DEAL], key=lambda r: r.id),
    sorted([*FIGURES, NO_ID_FIGURE], key=lambda f: f.id),
)


def test_the_dataset_gives_every_new_field_a_value():
    """So the tests below cannot pass by carrying an empty field."""
    deals, figures = EXPECTED[1], EXPECTED[2]
    for record, rows in ((Entity, ENTITIES), (Relationship, deals), (Figure, figures)):
        for f in fields(record):
            assert any(getattr(row, f.name) not in (None, ()) for row in rows), (record.__name__, f.name)
    assert {r.kind for r in deals} >= {"member_of", "subsidiary_of"}
    assert {r.status for r in deals} >= {"talks", "loi", "signed", "closed", "stalled", "terminated"}
    assert {r.amount_basis for r in deals} >= {"cash", "commitment", "facility", "contract_total", "stock",
                                               "estimate"}
    assert {e.lender_type for e in ENTITIES} >= {"private_credit", "bank", "bond_market"}
    assert "cash" in {f.kind for f in figures}


# ----------------------------------------------------------------------------- the inputs


def _raw(record, drop_id: bool = False) -> dict:
    """A record's fields as a file gives them: only those with a value."""
    out = {k: v for k, v in record.to_dict().items() if v not in (None, [], ())}
    if drop_id:
        out.pop("id")
    return out


def _records():
    """``(entities, deals, figures)`` as raw field mappings, the id-less ones without id."""
    return (
        [_raw(e) for e in ENTITIES],
        [*(_raw(r) for r in DEALS), _raw(NO_ID_DEAL, drop_id=True), _raw(PLAIN_NO_ID_DEAL, drop_id=True)],
        [*(_raw(f) for f in FIGURES), _raw(NO_ID_FIGURE, drop_id=True)],
    )


def _cell(value) -> str:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, list):
        return ";".join(value)
    return value


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c, "")) for c in columns])


def _columns(record, rows) -> list[str]:
    return [f.name for f in fields(record) if any(f.name in row for row in rows)]


PLAIN_ENTITY_IDS = ("coreweave", "nvidia", "openai")


def write_csv(folder: Path) -> list[Path]:
    entities, deals, figures = _records()
    plain = [e for e in entities if e["id"] in PLAIN_ENTITY_IDS]
    careful = [e for e in entities if e["id"] not in PLAIN_ENTITY_IDS]
    plain_deals = [*(_raw(r) for r in PLAIN_DEALS), _raw(PLAIN_NO_ID_DEAL, drop_id=True)]
    other_deals = [d for d in deals if d not in plain_deals]
    _write_csv(folder / "entities.csv", careful, _columns(Entity, careful))
    _write_csv(folder / "entities-plain.csv", plain, _columns(Entity, plain))
    _write_csv(folder / "deals.csv", other_deals, [f.name for f in fields(Relationship)])
    _write_csv(folder / "deals-plain.csv", plain_deals, _columns(Relationship, plain_deals))
    _write_csv(folder / "figures.csv", figures, _columns(Figure, figures))
    return [folder]


def write_json(folder: Path) -> list[Path]:
    entities, deals, figures = _records()
    path = folder / "data.json"
    document = {"description": "every field", "entities": entities, "relationships": deals, "figures": figures}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return [path]


def write_jsonl(folder: Path) -> list[Path]:
    entities, deals, figures = _records()
    path = folder / "data.jsonl"
    # deals first: entities may come after the deals that name them
    lines = [json.dumps(r, ensure_ascii=False) for r in (*deals, *figures, *entities)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path]


def _yaml_scalar(value) -> str:
    """Plain where YAML 1.1 would otherwise read something else (``yes``, dates, numbers)
    - which the loader must take as written - and double-quoted (JSON) where needed."""
    if isinstance(value, float):
        return _cell(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    plain = (value and value.isprintable() and value.isascii() and value[0] not in "\"'[]{}&*!|>%@`#,?:-"
             and ": " not in value and " #" not in value and not value.endswith(":"))
    return value if plain else json.dumps(value)


def write_yaml(folder: Path) -> list[Path]:
    entities, deals, figures = _records()
    lines = ["description: every field"]
    for section, rows in (("entities", entities), ("relationships", deals), ("figures", figures)):
        lines.append(f"{section}:")
        for row in rows:
            for k, (name, value) in enumerate(row.items()):
                lines.append(f"{'  - ' if k == 0 else '    '}{name}: {_yaml_scalar(value)}")
    text = "\n".join(lines) + "\n"
    assert "title_rebuilt: yes\n" in text and "published: 2025-03-10\n" in text and "ticker: OWL\n" in text
    path = folder / "data.yaml"
    path.write_text(text, encoding="utf-8")
    return [path]


# FollowTheMoney, as model/ftm.py's docstring documents the mapping (written here from
# that table, not by the exporter).
_FTM_SCHEMA = {"government": "PublicBody", "investor_group": "Organization"}
_FTM_CONTEXT_DEAL_FIELDS = ("supersedes", "expands", "amount_low", "amount_high", "amount_basis", "status",
                            "reported", "term", "evidence_quote", "published", "archive_url", "title_rebuilt")


def _ftm_number(value: float) -> str:
    return _cell(value)


def _ftm_entity(e: Entity, figures: list[dict]) -> dict:
    props = {"name": [e.name]}
    if e.aliases:
        props["alias"] = list(e.aliases)
    if e.country:
        props["country"] = [e.country.lower()]
    if e.ticker:
        props["ticker"] = [e.ticker]
    props["keywords"] = [e.kind]
    obj = {"id": e.id, "schema": "Company" if e.ticker else _FTM_SCHEMA.get(e.kind, "Company"),
           "properties": props}
    context = {}
    if e.lender_type:
        context["lender_type"] = e.lender_type
    if figures:
        context["figures"] = figures
    if context:
        obj["dealgraph"] = context
    return obj


def _ftm_deal(r: Relationship, schemas: dict[str, str]) -> dict:
    props: dict[str, list[str]] = {}
    context: dict[str, object] = {}
    if r.kind in ("invests_in", "owns_warrant_in", "granted_shares_by") and schemas[r.target] == "Company":
        schema = "Ownership"
        props = {"owner": [r.source], "asset": [r.target]}
        if r.kind != "invests_in":
            props["ownershipType"] = ["warrant" if r.kind == "owns_warrant_in" else "granted shares"]
        if r.amount_usd is not None:
            props |= {"sharesValue": [_ftm_number(r.amount_usd)], "sharesCurrency": ["USD"]}
    elif r.kind == "lends_to":
        schema, props = "Debt", {"creditor": [r.source], "debtor": [r.target]}
    elif r.kind in ("customer_of", "leases_from", "supplies"):
        schema = "Payment"
        payer, payee = (r.target, r.source) if r.kind == "supplies" else (r.source, r.target)
        props = {"payer": [payer], "beneficiary": [payee], "purpose": [r.kind]}
    else:
        schema, props = "UnknownLink", {"subject": [r.source], "object": [r.target], "role": [r.kind]}
        if r.amount_usd is not None:
            context["amount_usd"] = r.amount_usd
    if schema in ("Debt", "Payment") and r.amount_usd is not None:
        props["amountUsd"] = [_ftm_number(r.amount_usd)]
    for field, prop in (("date", "date"), ("summary", "summary"), ("amount_note", "description"),
                        ("evidence_url", "sourceUrl"), ("evidence_title", "publisher")):
        if getattr(r, field) is not None:
            props[prop] = [getattr(r, field)]
    context |= {f: getattr(r, f) for f in _FTM_CONTEXT_DEAL_FIELDS if getattr(r, f) is not None}
    obj = {"id": r.id, "schema": schema, "properties": props}
    if context:
        obj["dealgraph"] = context
    return obj


def write_ftm(folder: Path) -> list[Path]:
    _, _, figures = _records()
    figures_of: dict[str, list[dict]] = {}
    for f in figures:
        figures_of.setdefault(f["entity"], []).append({k: v for k, v in f.items() if k != "entity"})
    schemas = {e.id: "Company" if e.ticker else _FTM_SCHEMA.get(e.kind, "Company") for e in ENTITIES}
    objects = [_ftm_entity(e, figures_of.get(e.id, [])) for e in ENTITIES]
    objects += [_ftm_deal(r, schemas) for r in (*DEALS, NO_ID_DEAL, PLAIN_NO_ID_DEAL)]
    assert {o["schema"] for o in objects} == {"Company", "Organization", "PublicBody", "Ownership", "Debt",
                                              "Payment", "UnknownLink"}
    path = folder / "data.ftm.json"
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
    return [path]


WRITERS = {"csv": write_csv, "json": write_json, "jsonl": write_jsonl, "yaml": write_yaml, "ftm": write_ftm}


def contents(store) -> tuple[list, list, list]:
    return store.entities(), store.relationships(), store.figures()


def _neo4j(server) -> Neo4jStore:
    return Neo4jStore(server.uri, server.username, server.password, server.database)


def _assert_expected(got) -> None:
    for name, have, want in zip(("entities", "relationships", "figures"), got, EXPECTED):
        assert have == want, name


# ----------------------------------------------------------------------------- loading


def test_the_csv_input_takes_the_bulk_paths_too(tmp_path):
    """``deals-plain.csv`` and ``entities-plain.csv`` are read a chunk at a time on the
    embedded store's plain path (so the test below covers it), the others record by record."""
    write_csv(tmp_path)
    ids = {e.id for e in ENTITIES}
    index = EntityIndex(ENTITIES, [])
    assert index.ids >= ids
    for name, plain, expect_bulk in (("deals-plain.csv", _PlainDealRows(index).chunk, True),
                                     ("deals.csv", _PlainDealRows(index).chunk, False),
                                     ("entities-plain.csv", _PlainEntityRows().chunk, True),
                                     ("entities.csv", _PlainEntityRows().chunk, False)):
        chunks = [c for c in CsvSource(tmp_path / name).chunks() if isinstance(c, RowChunk)]
        bulk = [plain(c) for c in chunks]
        if expect_bulk:
            assert chunks and None not in bulk, name
        else:  # (non-ASCII text and a quote over two lines: no chunk at all)
            assert all(b is None for b in bulk), name


@pytest.mark.parametrize("fmt", INPUT_FORMATS)
def test_every_format_loads_the_same_records_into_the_embedded_store(tmp_path, fmt):
    paths = WRITERS[fmt](tmp_path)
    with SQLiteStore(tmp_path / "s.db") as store:
        counts = load_files(store, paths)
        _assert_expected(contents(store))
    assert (counts.entities, counts.relationships, counts.figures) == tuple(map(len, EXPECTED))
    assert counts.notices == ()


@pytest.mark.parametrize("fmt", INPUT_FORMATS)
def test_every_format_loads_the_same_records_into_neo4j(tmp_path, fmt, neo4j_db, neo4j_server):
    paths = WRITERS[fmt](tmp_path)
    with _neo4j(neo4j_server) as store:
        load_files(store, paths)
        _assert_expected(contents(store))


@pytest.mark.parametrize("fmt", INPUT_FORMATS)
def test_validate_reads_every_format_as_load_does(tmp_path, fmt):
    paths = WRITERS[fmt](tmp_path)
    result = CliRunner().invoke(main, ["validate", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"ok: {len(ENTITIES)} entities, {len(DEALS) + 2} relationships and "
                                     f"{len(FIGURES) + 1} figures")


# ----------------------------------------------------------------------------- exporting


def _read_graph(path: Path, fmt: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return nx.read_graphml(path) if fmt.startswith("graphml") else nx.read_gexf(path)


def _check_graph(path: Path, fmt: str) -> None:
    """Every entity field on its node, every deal field on its edge, with its type."""
    g = _read_graph(path, fmt)
    entities, deals, _ = EXPECTED
    assert set(g.nodes) == {e.id for e in entities}
    for e in entities:
        data = dict(g.nodes[e.id])
        want = {k: ("; ".join(v) if k == "aliases" else v) for k, v in _raw(e).items() if k != "id"}
        assert data.pop("label") == e.name
        assert data == want, e.id
    if fmt.endswith("-pairs"):
        listed = [i for _, _, data in g.edges(data=True) for i in data["deal_ids"].split("; ")]
        assert sorted(listed) == [r.id for r in deals]
        return
    edges = {data["deal_id"]: (u, v, data) for u, v, data in g.edges(data=True)}
    assert set(edges) == {r.id for r in deals}
    for r in deals:
        u, v, data = edges[r.id]
        assert (u, v) == (r.source, r.target)
        for name, value in _raw(r).items():
            if name not in ("id", "source", "target"):
                assert data[name] == value and type(data[name]) is type(value), (r.id, name)


@pytest.fixture
def loaded_stores(tmp_path, neo4j_db, neo4j_server):
    """The dataset loaded (from its CSV files) into the embedded store and into Neo4j."""
    paths = write_csv(tmp_path)
    with SQLiteStore(tmp_path / "s.db") as embedded, _neo4j(neo4j_server) as neo:
        load_files(embedded, paths)
        load_files(neo, paths)
        yield {"sqlite": embedded, "neo4j": neo}


def test_every_export_carries_every_field_on_both_engines(tmp_path, loaded_stores, neo4j_server):
    for fmt in FORMATS:
        written = {}
        for engine, store in loaded_stores.items():
            out = tmp_path / engine / ({"csv": "csv", "ftm": "x.ftm.json"}.get(fmt, f"x.{fmt}"))
            out.parent.mkdir(exist_ok=True)
            export_store(store, fmt, out)
            files = sorted(out.iterdir()) if out.is_dir() else [out]
            written[engine] = [p.read_bytes() for p in files]
            if fmt in ("csv", "ftm"):
                # read back into a fresh store of each engine: the same records
                with SQLiteStore(tmp_path / f"{engine}-{fmt}.db") as again:
                    load_files(again, [out])
                    _assert_expected(contents(again))
            else:
                _check_graph(out, fmt)
        assert written["sqlite"] == written["neo4j"], fmt


@pytest.mark.parametrize(("fmt", "out"), [("csv", "csv"), ("ftm", "x.ftm.json")])
def test_csv_and_ftm_exports_load_back_into_neo4j(tmp_path, fmt, out, neo4j_db, neo4j_server):
    with SQLiteStore(tmp_path / "s.db") as embedded:
        load_files(embedded, write_csv(tmp_path))
        export_store(embedded, fmt, tmp_path / out)
    with _neo4j(neo4j_server) as neo:
        load_files(neo, [tmp_path / out])
        _assert_expected(contents(neo))


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_says_what_its_format_leaves_out(tmp_path, fmt):
    """The graph formats carry no figures and the pair formats no deal fields: the export
    says so in its line (to stderr when the data goes to standard output), never silently
    (it used to say "4 figures" for a graphml file holding none)."""
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        load_files(store, write_csv(tmp_path))
    n_entities, n_deals, n_figures = map(len, EXPECTED)
    out = tmp_path / ("out" if fmt == "csv" else f"x.{fmt}")
    result = CliRunner().invoke(main, ["export", "--format", fmt, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert "\n" not in line and line.startswith("wrote ")
    if fmt in ("csv", "ftm"):
        assert line.endswith(f"({n_entities} entities, {n_deals} deals, {n_figures} figures)")
        return
    left_out = f"{n_figures} figures (export csv or ftm for those)"
    if fmt.endswith("-pairs"):
        left_out = f"the deals' own fields (status, basis, range, dates, evidence, ...) and {left_out}"
        summed = " summed per payer -> payee"
    else:
        summed = ""
    assert line.endswith(f"({n_entities} entities, {n_deals} deals{summed}; not in {fmt}: {left_out})")
    assert "figure" not in out.read_text(encoding="utf-8")
    piped = CliRunner().invoke(main, ["export", "--format", fmt, "--out", "-", "--db", str(db)])
    assert piped.exit_code == 0
    assert piped.stderr.strip() == f"not in {fmt}: {left_out}"
    assert piped.stdout.startswith("<?xml") and "not in" not in piped.stdout


def test_a_reload_without_a_new_field_clears_it_on_both_engines(tmp_path, neo4j_db, neo4j_server):
    """A record given again replaces the stored one: a field it leaves out is gone, on
    both engines alike (not kept from the first load by one and dropped by the other)."""
    (tmp_path / "first").mkdir()
    paths = write_csv(tmp_path / "first")
    talks = next(r for r in DEALS if r.id == "nv-cw-talks")
    cash = FIGURES[0]
    owl = next(e for e in ENTITIES if e.id == "blue-owl")
    again = {"entities": [{"id": owl.id, "name": owl.name, "kind": owl.kind}],
             "relationships": [{"id": talks.id, "source": talks.source, "kind": talks.kind,
                                "target": talks.target, "amount_usd": 2e9}],
             "figures": [{"id": cash.id, "entity": cash.entity, "kind": "cash", "amount_usd": 1.9e9,
                          "period": "2025-Q3"}]}
    (tmp_path / "again.json").write_text(json.dumps(again), encoding="utf-8")
    want_entities = [Entity(owl.id, owl.name, owl.kind) if e.id == owl.id else e for e in EXPECTED[0]]
    want_deals = [Relationship(talks.id, talks.source, talks.kind, talks.target, 2e9) if r.id == talks.id else r
                  for r in EXPECTED[1]]
    want_figures = [Figure(cash.id, "coreweave", "cash", amount_usd=1.9e9, period="2025-Q3")
                    if f.id == cash.id else f for f in EXPECTED[2]]
    with SQLiteStore(tmp_path / "s.db") as embedded, _neo4j(neo4j_server) as neo:
        for store in (embedded, neo):
            load_files(store, paths)
            load_files(store, [tmp_path / "again.json"])
            assert contents(store) == (want_entities, want_deals, want_figures), type(store).__name__
