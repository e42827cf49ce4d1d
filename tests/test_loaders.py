"""Loaders: every format gives the same dataset; every problem is reported, exactly, with its place."""

from __future__ import annotations

import inspect
import json
import os
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from dealgraph.model.errors import ValidationError
from dealgraph.model.records import Entity, Figure, Relationship, figure_id, relationship_id, schema
from dealgraph.loaders import Dataset, read_dataset, read_records, validate_records
from dealgraph.loaders.records import Problem, Record

GOOD = Path(__file__).parent / "fixtures" / "loaders" / "good"
ENTITY_KINDS = ", ".join(schema().entity_kinds)
RELATIONSHIP_KINDS = ", ".join(schema().relationship_kinds)
ENTITY_FIELDS = ", ".join(schema().field_names("entity"))
RELATIONSHIP_FIELDS = (
    "id, source, kind, target, amount_usd, amount_note, date, summary, evidence_url, evidence_title, "
    "supersedes, expands"
)
ENTITIES_CSV = "id,name,kind,aliases\nnvidia,NVIDIA,chipmaker,Nvidia Corp\ncoreweave,CoreWeave,neocloud,\n"

EXPECTED_ENTITIES = [
    Entity("nvidia", "NVIDIA", "chipmaker", "NVDA", "US", ("Nvidia Corp",)),
    Entity("coreweave", "CoreWeave", "neocloud", "CRWV", "US", ("CoreWeave Inc.",)),
    Entity("openai", "OpenAI", "ai_lab", None, "US", ()),
    Entity("blue-owl", "Blue Owl Capital", "asset_manager", "OWL", "US", ("Blue Owl",)),
    Entity("acme", "Acme Holdings", "company", None, None, ()),
]


def _deal(rid: str | None, source: str, kind: str, target: str, **details) -> Relationship:
    rid = rid or relationship_id(source, kind, target, **details)
    return Relationship(rid, source, kind, target, **details)


EXPECTED_RELATIONSHIPS = sorted(
    [
        _deal(
            "nvidia-invests-coreweave-2023", "nvidia", "invests_in", "coreweave",
            amount_usd=1e8, amount_note="reported", date="2023-04",
            summary="Nvidia invests in CoreWeave.", evidence_url="https://example.com/nvidia-coreweave",
            evidence_title="Nvidia backs CoreWeave",
        ),
        _deal(
            None, "coreweave", "customer_of", "nvidia", amount_usd=1.5e9, date="2024",
            summary="CoreWeave buys GPUs.\nSecond line of the summary.",
            evidence_url="https://example.com/gpus",
        ),
        _deal(
            None, "openai", "customer_of", "coreweave", amount_usd=11.9e9, amount_note="up to",
            date="2025-03-10", summary="OpenAI signs with CoreWeave.",
            evidence_url="https://example.com/openai-coreweave", evidence_title="OpenAI and CoreWeave",
        ),
        _deal(None, "blue-owl", "lends_to", "acme"),
    ],
    key=lambda r: r.id,
)


EXPECTED_FIGURES = sorted(
    [
        Figure("coreweave-revenue-2024", "coreweave", "revenue", amount_usd=1.92e9, period="2024",
               note="from the S-1", evidence_url="https://example.com/s1", evidence_title="CoreWeave S-1"),
        Figure(figure_id("coreweave", "customer_share", "openai", percent=62.0, period="2025-Q2"),
               "coreweave", "customer_share", "openai", percent=62.0, period="2025-Q2"),
        Figure(figure_id("nvidia", "debt", amount_usd=8.5e9, as_of="2025-06-30",
                         note="total principal, all facilities", evidence_url="https://example.com/debt"),
               "nvidia", "debt", amount_usd=8.5e9, as_of="2025-06-30",
               note="total principal, all facilities", evidence_url="https://example.com/debt"),
    ],
    key=lambda f: f.id,
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(paths, known_entities=()) -> list[str]:
    with pytest.raises(ValidationError) as info:
        read_dataset(paths, known_entities=known_entities)
    return info.value.problems


# --- good input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs",
    [
        ["csv"],
        ["csv/figures.csv", "csv/relationships.csv", "csv/entities.csv"],  # order does not matter
        ["dataset.json"],
        ["dataset.yaml"],
        ["dataset.jsonl"],
    ],
)
def test_every_format_gives_the_same_dataset(inputs):
    dataset = read_dataset([GOOD / p for p in inputs])
    assert dataset.entities == EXPECTED_ENTITIES
    assert sorted(dataset.relationships, key=lambda r: r.id) == EXPECTED_RELATIONSHIPS
    assert sorted(dataset.figures, key=lambda f: f.id) == EXPECTED_FIGURES


def test_all_formats_together_merge_identical_repeats():
    dataset = read_dataset([GOOD / "csv", GOOD / "dataset.json", GOOD / "dataset.yaml", GOOD / "dataset.jsonl"])
    assert isinstance(dataset, Dataset)
    assert dataset.entities == EXPECTED_ENTITIES
    assert sorted(dataset.relationships, key=lambda r: r.id) == EXPECTED_RELATIONSHIPS
    assert sorted(dataset.figures, key=lambda f: f.id) == EXPECTED_FIGURES


def test_a_directory_means_its_data_files_sorted(tmp_path):
    write(tmp_path, "b.csv", ENTITIES_CSV)
    write(tmp_path, "a.jsonl", '{"id": "openai", "name": "OpenAI"}\n')
    write(tmp_path, "notes.txt", "not data: ignored inside a directory\n")
    write(tmp_path, "._b.csv", "macOS metadata, not data\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.csv", "id,name\nhidden,Hidden\n")  # not recursive
    assert [e.id for e in read_dataset([tmp_path]).entities] == ["openai", "nvidia", "coreweave"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1e9", 1e9), ("1000000000", 1e9), ("0", 0.0), (" 2.5E3 ", 2500.0), (1.5e9, 1.5e9), (7, 7.0)],
)
def test_amounts_accepted(tmp_path, text, expected):
    record = {"source": "nvidia", "kind": "invests_in", "target": "coreweave", "amount_usd": text}
    path = write(tmp_path, "deal.jsonl", json.dumps(record) + "\n")
    write(tmp_path, "entities.csv", ENTITIES_CSV)
    [deal] = read_dataset([tmp_path / "entities.csv", path]).relationships
    assert deal.amount_usd == expected and isinstance(deal.amount_usd, float)


@pytest.mark.parametrize("date", ["2024", "2024-02", "2024-02-29"])
def test_dates_accepted(tmp_path, date):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    write(tmp_path, "r.csv", f"source,kind,target,date\nnvidia,invests_in,coreweave,{date}\n")
    assert read_dataset([tmp_path]).relationships[0].date == date


def test_yaml_scalars_keep_the_text_as_written(tmp_path):
    # YAML 1.1 would load these as True, an octal int and a datetime.date.
    path = write(
        tmp_path,
        "d.yaml",
        """
        entities:
          - {id: "0700", name: Tencent, ticker: ON, country: NO}
          - {id: "1", name: "2"}
        relationships:
          - {source: "0700", kind: invests_in, target: 1, date: 2024-05-01}
        """,
    )
    dataset = read_dataset([path])
    assert dataset.entities == [Entity("0700", "Tencent", "company", "ON", "NO"), Entity("1", "2")]
    assert dataset.relationships[0].target == "1"
    assert dataset.relationships[0].date == "2024-05-01"


def test_empty_optional_fields_are_none_and_text_is_stripped(tmp_path):
    write(tmp_path, "e.csv", "id,name,kind,ticker,country,aliases\n acme , Acme ,, ,, ; ;\nb,B,,,,\n")
    write(tmp_path, "r.csv", "source,kind,target,amount_note,evidence_url\nacme,invests_in,b, ,  ftp://x  \n")
    dataset = read_dataset([tmp_path])
    assert dataset.entities == [Entity("acme", "Acme", "company", None, None, ()), Entity("b", "B")]
    deal = dataset.relationships[0]
    assert (deal.amount_note, deal.evidence_url) == (None, "ftp://x")  # any URL scheme, stripped


def _both_load_paths(folder: Path, tmp_path: Path) -> tuple[list[str], list[str]]:
    """The problems of ``folder`` read whole (``validate``, a load into Neo4j) and streamed
    into an embedded store (``load``), which must write nothing."""
    from dealgraph.load import load_files
    from dealgraph.stores.sqlite_store import SQLiteStore

    whole = problems_of([folder])
    with SQLiteStore(tmp_path / "s.db") as store:
        with pytest.raises(ValidationError) as info:
            load_files(store, [folder])
    assert not (tmp_path / "s.db").exists()
    return whole, info.value.problems


def test_an_evidence_url_without_a_scheme_is_refused_with_a_line(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "entities.csv", "id,name\na,A\nb,B\n")
    write(folder, "deals.json", json.dumps({"relationships": [
        {"id": "d1", "source": "a", "kind": "invests_in", "target": "b", "evidence_url": "example.com/x"},
        {"id": "d2", "source": "a", "kind": "invests_in", "target": "b", "evidence_url": "https://example.com/y"},
    ], "figures": [
        {"entity": "a", "kind": "revenue", "amount_usd": 5, "as_of": "2025", "evidence_url": "www.example.com/f"},
    ]}))
    for problems in _both_load_paths(folder, tmp_path):
        assert sorted(problems) == [
            f"{folder / 'deals.json'}:1: evidence_url 'example.com/x' has no scheme "
            "(write it whole, e.g. https://example.com/x)",
            f"{folder / 'deals.json'}:1: evidence_url 'www.example.com/f' has no scheme "
            "(write it whole, e.g. https://www.example.com/f)",
        ], problems


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_in_names_ids_and_aliases_are_refused_with_a_line(tmp_path, bad):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "entities.json", json.dumps({"entities": [
        {"id": "a", "name": f"A{bad}corp"},
        {"id": "b", "name": "B", "aliases": ["fine", f"b{bad}b"]},
        {"id": "c", "name": "C", "aliases": "ok; also fine"},
    ]}))
    write(folder, "deals.json", json.dumps({"relationships": [
        {"id": f"d{bad}1", "source": "b", "kind": "invests_in", "target": "c"},
    ], "figures": [
        {"id": f"f{bad}1", "entity": "c", "kind": "revenue", "amount_usd": 5, "as_of": "2025"},
    ]}))
    code = f"U+{ord(bad):04X}"
    for problems in _both_load_paths(folder, tmp_path):
        assert len(problems) == 4, problems
        assert all(f"holds a control character ({code})" in p for p in problems), problems
        assert [p.split(": ", 1)[1].split(" ", 1)[0] for p in problems] == ["id", "id", "name", "alias"], problems
        assert all(repr(bad)[1:-1] in p and bad not in p for p in problems)  # shown escaped, never raw


# --- references and ids -----------------------------------------------------------------


@pytest.mark.parametrize("ref", ["nvidia", "NVIDIA", "Nvidia Corp"])
def test_source_by_id_name_or_alias_gives_the_same_deal_and_id(tmp_path, ref):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    write(tmp_path, "r.csv", f"source,kind,target,amount_usd\n{ref},invests_in,CoreWeave,5\n")
    [deal] = read_dataset([tmp_path]).relationships
    assert (deal.source, deal.target) == ("nvidia", "coreweave")
    assert deal.id == relationship_id("nvidia", "invests_in", "coreweave", 5.0)


def test_ids_are_the_same_on_every_read():
    first = read_dataset([GOOD / "csv"]).relationships
    second = read_dataset([GOOD / "csv"]).relationships
    assert [r.id for r in first] == [r.id for r in second]
    assert first[0].id == "nvidia-invests-coreweave-2023"  # a given id is kept
    assert all(r.id.startswith("r-") for r in first[1:])


def test_an_id_wins_over_a_name(tmp_path):
    # "openai" is one entity's id and (oddly) another's name: the id decides.
    write(tmp_path, "e.csv", "id,name\nopenai,OpenAI\nimpostor,openai\n")
    write(tmp_path, "r.csv", "source,kind,target\nopenai,invests_in,impostor\n")
    assert read_dataset([tmp_path]).relationships[0].source == "openai"


def test_known_entities_can_be_named(tmp_path):
    known = [Entity("nvidia", "NVIDIA", "chipmaker", aliases=("Nvidia Corp",)), Entity("coreweave", "CoreWeave")]
    path = write(tmp_path, "r.csv", "source,kind,target\nNvidia Corp,invests_in,CoreWeave\n")
    dataset = read_dataset([path], known_entities=known)
    assert dataset.entities == []  # known entities are not part of the new data
    assert (dataset.relationships[0].source, dataset.relationships[0].target) == ("nvidia", "coreweave")


def test_an_entity_in_the_files_replaces_the_known_one(tmp_path):
    known = [Entity("nvidia", "Old Name"), Entity("coreweave", "CoreWeave")]
    entities = write(tmp_path, "e.csv", "id,name\nnvidia,NVIDIA\n")
    deals = write(tmp_path, "r.csv", "source,kind,target\nNVIDIA,invests_in,coreweave\n")
    dataset = read_dataset([entities, deals], known_entities=known)
    assert dataset.entities == [Entity("nvidia", "NVIDIA")]
    assert dataset.relationships[0].source == "nvidia"

    old = write(tmp_path, "old.jsonl", '{"source": "Old Name", "kind": "invests_in", "target": "coreweave"}\n')
    assert problems_of([entities, old], known) == [
        f"{old}:1: source 'Old Name' names no entity (not the id, name or alias of any entity)"
    ]


# --- problems: exact text ---------------------------------------------------------------

# (file name, file text, expected problems with FILE standing for the file's path)
PROBLEM_CASES = {
    "missing required field": (
        "e.csv", "id,name\nzeta,Zeta\nomega,\n", ["FILE:3: missing required field 'name'"],
    ),
    "unknown entity kind": (
        "e.csv", "id,name,kind\nx,X,bank_x\n", [f"FILE:2: unknown entity kind 'bank_x'; allowed: {ENTITY_KINDS}"],
    ),
    "entity id not a slug": (
        "e.csv", "id,name\nNvidia Corp,NVIDIA\n",
        ["FILE:2: entity id 'Nvidia Corp' is not a slug (lower-case letters, digits and '-', "
         "starting with a letter or digit)"],
    ),
    "unknown columns, once": (
        "e.csv", "id,name,website,sector\na,A,x,y\nb,B,x,y\n",
        [f"FILE:1: unknown columns 'website', 'sector'; allowed for entities: {ENTITY_FIELDS}"],
    ),
    "missing required column": (
        "e.csv", "id,kind\na,company\n",
        ["FILE:1: missing required column 'name' (entities need id, name)"],
    ),
    "a relationship file needs both ends": (
        "r.csv", "source,kind\nnvidia,invests_in\n",
        ["FILE:1: missing required column 'target' (relationships need source, kind, target)"],
    ),
    "duplicate column": ("e.csv", "id,name,name\na,A,B\n", ["FILE:1: duplicate column 'name'"]),
    "wrong field count": (
        "e.csv", "id,name\na,A,extra\nb\nc,C\n", ["FILE:2: expected 2 fields, got 3", "FILE:3: expected 2 fields, got 1"],
    ),
    "stray quote": ("e.csv", 'id,name\na,"A"x\nb,B\n', ["FILE:2: malformed CSV: ',' expected after '\"'"]),
    "quote never closed": ("e.csv", 'id,name\na,"A\nb,B\n', ["FILE:2: malformed CSV: unexpected end of data"]),
    "empty csv": ("e.csv", "", ["FILE:1: no header row (expected the column names on line 1)"]),
    "unknown relationship kind": (
        "r.csv", "source,kind,target\nnvidia,funds,coreweave\n",
        [f"FILE:2: unknown relationship kind 'funds'; allowed: {RELATIONSHIP_KINDS}"],
    ),
    "bad date format": (
        "r.csv", "source,kind,target,date\nnvidia,invests_in,coreweave,2024/01/02\n",
        ["FILE:2: date must be YYYY, YYYY-MM or YYYY-MM-DD, got '2024/01/02'"],
    ),
    "no such day": (
        "r.csv", "source,kind,target,date\nnvidia,invests_in,coreweave,2023-02-29\n",
        ["FILE:2: date '2023-02-29' is not a real calendar date"],
    ),
    "no such month": (
        "r.csv", "source,kind,target,date\nnvidia,invests_in,coreweave,2024-13\n",
        ["FILE:2: date '2024-13' is not a real calendar date"],
    ),
    "unknown entity": (
        "r.csv", "source,kind,target\nNvidia Inc,invests_in,coreweave\n",
        ["FILE:2: source 'Nvidia Inc' names no entity (not the id, name or alias of any entity)"],
    ),
    "a bad field does not hide an unknown entity": (
        "r.csv", "source,kind,target,date\nnobody,invests_in,coreweave,2024-13\n",
        ["FILE:2: date '2024-13' is not a real calendar date",
         "FILE:2: source 'nobody' names no entity (not the id, name or alias of any entity)"],
    ),
    "ambiguous alias": (
        "r.csv", "source,kind,target\nCW,invests_in,nvidia\n",
        ["FILE:2: source 'CW' is ambiguous: it is the name or alias of 'cw-capital', 'cw-holdings' (use the id)"],
    ),
    "conflicting entity": (
        "e2.csv", "id,name,kind\nnvidia,Nvidia Corporation,chipmaker\ncoreweave,CoreWeave,neocloud\n",
        ["FILE:2: entity 'nvidia' conflicts with its definition at BASE/entities.csv:2 (differs in name, aliases)"],
    ),
    "conflicting relationship": (
        "r.csv", "id,source,kind,target,amount_usd\nd1,nvidia,invests_in,coreweave,5\n"
                 "d1,nvidia,invests_in,coreweave,5\nd1,nvidia,invests_in,coreweave,6\n",
        ["FILE:4: relationship 'd1' conflicts with its definition at FILE:2 (differs in amount_usd)"],
    ),
    "invalid json": (
        "d.json", '{\n  "entities": [\n    {"id": "a", "name": "A"}\n    {"id": "b"}\n  ]\n}\n',
        ["FILE:4: invalid JSON: Expecting ',' delimiter (column 5)"],
    ),
    "json document not a mapping": (
        "d.json", '[{"id": "a", "name": "A"}]\n',
        ["FILE:1: expected a mapping with 'entities', 'relationships' and/or 'figures' lists, got list"],
    ),
    "json section not a list": (
        "d.json", '{"entities": {"id": "a"}}\n', ["FILE:1: 'entities' must be a list of records, got mapping"],
    ),
    "json item not a mapping": (
        "d.json", '{"entities": [\n  "nvidia"\n]}\n', ["FILE:2: each item of 'entities' must be a mapping of fields, got string"],
    ),
    "json unknown top-level key": (
        "d.json", '{"entities": [],\n "relationship": []}\n',
        ["FILE:2: unknown top-level key 'relationship'; allowed: entities, relationships, figures, as_of, "
         "description, notes, sources"],
    ),
    "json unknown field and wrong type": (
        "d.json", '{"entities": [{"id": "a", "name": ["A"], "url": "x"}]}\n',
        [f"FILE:1: unknown field 'url'; allowed: {ENTITY_FIELDS}", "FILE:1: name must be text, got list"],
    ),
    "json amount of the wrong type": (
        "d.json", '{"relationships": [\n{"source": "nvidia", "kind": "invests_in", "target": "coreweave", '
                  '"amount_usd": true}]}\n',
        ["FILE:2: amount_usd must be a non-negative amount of USD (e.g. 2500000, 1.5B or $500M), got True"],
    ),
    "jsonl bad lines": (
        "d.jsonl", '{"id": "a", "name": "A"}\n{"id": "b",\n\n[1, 2]\n',
        ["FILE:2: invalid JSON: Expecting property name enclosed in double quotes (column 12)",
         "FILE:4: expected one JSON object per line, got list"],
    ),
    "invalid yaml": (
        "d.yaml", "entities:\n  - id: a\n    name: [A\n", ["FILE:4: invalid YAML: expected ',' or ']', but got '<stream end>'"],
    ),
    "yaml duplicate field": (
        "d.yaml", "entities:\n  - id: a\n    name: A\n    name: B\n", ["FILE:4: duplicate field 'name'"],
    ),
    "yaml empty": ("d.yaml", "# nothing\n", ["FILE:1: empty document; expected a mapping with 'entities', 'relationships' and/or 'figures' lists"]),
    "yaml relationship missing target": (
        "d.yaml", "relationships:\n  - source: nvidia\n    kind: invests_in\n",
        ["FILE:2: missing required field 'target'"],
    ),
    "unsupported extension": (
        "d.txt", "id,name\n", ["FILE: unsupported file type '.txt'; expected .csv, .json, .jsonl, .ndjson, .yaml, .yml"],
    ),
}


@pytest.mark.parametrize("case", PROBLEM_CASES, ids=list(PROBLEM_CASES))
def test_each_problem_is_reported_exactly(tmp_path, case):
    name, text, expected = PROBLEM_CASES[case]
    base = tmp_path / "base"
    base.mkdir()
    write(base, "entities.csv", ENTITIES_CSV + "cw-holdings,CW Holdings,fund,CW\ncw-capital,CW,fund,\n")
    (tmp_path / "case").mkdir()
    path = tmp_path / "case" / name
    path.write_text(text, encoding="utf-8")
    problems = problems_of([base / "entities.csv", path])
    assert problems == [p.replace("FILE", str(path)).replace("BASE", str(base)) for p in expected]


@pytest.mark.parametrize("amount", ["-5", "abc", "nan", "inf", "-inf", "1_000", "\u0661\u0660\u0660", "5X", "1.2.3"])
def test_bad_amounts(tmp_path, amount):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    path = write(tmp_path, "r.csv", f'source,kind,target,amount_usd\nnvidia,invests_in,coreweave,"{amount}"\n')
    assert problems_of([tmp_path]) == [f"{path}:2: amount_usd must be a non-negative amount of USD (e.g. 2500000, 1.5B or $500M), got {amount!r}"]


@pytest.mark.parametrize("amount, usd", [("1B", 1e9), ("$1,000,000,000", 1e9), ("2.5K", 2500.0), ("$500M", 5e8),
                                         ("1e9", 1e9), (" 7 ", 7.0)])
def test_amounts_in_files_take_the_command_line_syntax(tmp_path, amount, usd):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    write(tmp_path, "r.csv", f'source,kind,target,amount_usd\nnvidia,invests_in,coreweave,"{amount}"\n')
    dataset = read_dataset([tmp_path])
    assert [r.amount_usd for r in dataset.relationships] == [usd]


def test_an_ambiguous_amount_is_one_line(tmp_path):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    path = write(tmp_path, "r.csv", 'source,kind,target,amount_usd\nnvidia,invests_in,coreweave,"1,5B"\n')
    assert problems_of([tmp_path]) == [
        f"{path}:2: amount_usd: ambiguous amount of USD: '1,5B' (commas only group thousands, "
        "as in 1,000,000; write a decimal point as '.')"]


@pytest.mark.parametrize("date", ["\u0662\u0660\u0662\u0665", "２０２５"])
def test_dates_take_ascii_digits_only_in_files_and_options(tmp_path, date):
    from dealgraph.model.errors import QueryError
    from dealgraph.model.values import Period

    write(tmp_path, "e.csv", ENTITIES_CSV)
    path = write(tmp_path, "r.csv", f"source,kind,target,date\nnvidia,invests_in,coreweave,{date}\n")
    assert problems_of([tmp_path]) == [f"{path}:2: date must be YYYY, YYYY-MM or YYYY-MM-DD, got {date!r}"]
    with pytest.raises(QueryError, match="not a date"):
        Period.between(date)


def test_missing_path_and_empty_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    assert problems_of([tmp_path / "nope.csv", tmp_path / "empty"]) == [
        f"{tmp_path / 'nope.csv'}: no such file or directory",
        f"{tmp_path / 'empty'}: no data files here (expected .csv, .json, .jsonl, .ndjson, .yaml, .yml)",
    ]


def test_every_problem_in_every_file_is_reported_in_file_and_line_order(tmp_path):
    entities = write(
        tmp_path, "1-entities.csv",
        """
        id,name,kind
        nvidia,NVIDIA,chipmaker
        Bad Id,Bad,company
        coreweave,,neocloud
        openai,OpenAI,lab
        """,
    )
    deals = write(
        tmp_path, "2-deals.yaml",
        """
        relationships:
          - {source: nvidia, kind: invests_in, target: nobody}
          - source: nvidia
            kind: buys
            target: openai
            amount_usd: -1
            date: 2024-1-1
        """,
    )
    assert problems_of([tmp_path]) == [
        f"{entities}:3: entity id 'Bad Id' is not a slug (lower-case letters, digits and '-', "
        "starting with a letter or digit)",
        f"{entities}:4: missing required field 'name'",
        f"{entities}:5: unknown entity kind 'lab'; allowed: {ENTITY_KINDS}",
        f"{deals}:2: target 'nobody' names no entity (not the id, name or alias of any entity)",
        f"{deals}:3: amount_usd must be a non-negative amount of USD (e.g. 2500000, 1.5B or $500M), got '-1'",
        f"{deals}:3: date must be YYYY, YYYY-MM or YYYY-MM-DD, got '2024-1-1'",
        f"{deals}:3: unknown relationship kind 'buys'; allowed: {RELATIONSHIP_KINDS}",
    ]


def test_a_rejected_entity_is_not_reported_again_by_the_deals_naming_it(tmp_path):
    write(tmp_path, "e.csv", "id,name,kind\nopenai,OpenAI,lab\n")
    write(tmp_path, "r.csv", "source,kind,target\nOpenAI,invests_in,openai\n")
    assert problems_of([tmp_path]) == [f"{tmp_path / 'e.csv'}:2: unknown entity kind 'lab'; allowed: {ENTITY_KINDS}"]


def test_the_error_message_is_the_first_problem_and_a_count(tmp_path):
    write(tmp_path, "e.csv", "id,name\nA,x\nB,y\n")
    with pytest.raises(ValidationError) as info:
        read_dataset([tmp_path])
    assert str(info.value).endswith("(and 1 more)") and str(info.value).startswith(str(tmp_path / "e.csv") + ":2:")


# --- line numbers -----------------------------------------------------------------------


def test_csv_lines_are_where_a_row_starts_even_after_multiline_cells(tmp_path):
    path = write(
        tmp_path, "e.csv",
        'id,name\na,"A\nspanning\nthree lines"\n\nb,B\nc,"C ""quoted""\nagain",extra\nD,D\n',
    )
    records = [r.where.line for r in read_records([path]) if isinstance(r, Record)]
    assert records == [2, 6, 9]
    assert problems_of([path]) == [
        f"{path}:7: expected 2 fields, got 3",
        f"{path}:9: entity id 'D' is not a slug (lower-case letters, digits and '-', starting with a letter or digit)",
    ]


@pytest.mark.parametrize(
    ("name", "expected_lines"),
    [("dataset.json", [4, 6, 8, 9, 11, 14, 18, 21, 24, 27, 30, 32]),
     ("dataset.yaml", [4, 5, 12, 13, 14, 18, 28, 37, 46, 48, 56, 57]),
     ("dataset.jsonl", [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])],
)
def test_document_records_carry_their_line(name, expected_lines):
    assert [r.where.line for r in read_records([GOOD / name])] == expected_lines


# --- streaming --------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "rows"), [("csv", 200_000), ("jsonl", 50_000)])
def test_big_files_stream_in_small_memory(tmp_path, fmt, rows):
    path = tmp_path / f"big.{fmt}"
    with path.open("w", encoding="utf-8") as f:
        if fmt == "csv":
            f.write("source,kind,target,amount_usd,date,summary\n")
        for i in range(rows):
            if fmt == "csv":
                f.write(f"e{i},invests_in,e{i + 1},{i}.5,2024-05-01,deal number {i} between two parties\n")
            else:
                f.write(json.dumps({"source": f"e{i}", "kind": "invests_in", "target": f"e{i + 1}",
                                    "amount_usd": i + 0.5, "date": "2024-05-01",
                                    "summary": f"deal number {i} between two parties"}) + "\n")
    size = path.stat().st_size
    stream = validate_records(read_records([path]))
    assert inspect.isgenerator(stream)

    tracemalloc.start()
    try:
        count, last = 0, None
        for item in stream:
            assert not isinstance(item, Problem), item
            count += 1
            last = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    assert last.where.line == rows + (1 if fmt == "csv" else 0)
    # Holding the file, its lines or its records would take several times its size.
    assert peak < size / 20, f"peak {peak} bytes for a {size}-byte file: not streaming"


# --- encodings and odd input ------------------------------------------------------------


def test_csv_with_byte_order_mark_and_crlf_line_ends(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b'\xef\xbb\xbfid,name\r\nnvidia,NVIDIA\r\ncoreweave,"Core\r\nWeave"\r\nBad,X\r\n')
    assert problems_of([path]) == [
        f"{path}:5: entity id 'Bad' is not a slug (lower-case letters, digits and '-', starting with a letter or digit)"
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("e.csv", b"id,name\nnvidia,NVIDIA\nnestle,Nestl\xe9\nx,\xff\n",
         ["FILE:3: not UTF-8 text (byte 0xe9 at column 13); save the file as UTF-8"]),
        ("e.jsonl", b'{"id": "a", "name": "\xe9"}\n{"id": "b", "name": "B"}\n{"id": "c", "name": "\xe9"}\n',
         ["FILE:1: not UTF-8 text (byte 0xe9 at column 22); save the file as UTF-8",
          "FILE:3: not UTF-8 text (byte 0xe9 at column 22); save the file as UTF-8"]),
        ("e.json", b'{"entities": [\n  {"id": "a", "name": "\xe9"}\n]}\n',
         ["FILE:2: not UTF-8 text (byte 0xe9 at column 24); save the file as UTF-8"]),
        ("e.yaml", b"entities:\n  - {id: a, name: \xe9}\n",
         ["FILE:2: not UTF-8 text (byte 0xe9 at column 19); save the file as UTF-8"]),
        ("e.yaml", b"entities:\n  - {id: a, name: \x01}\n",
         ["FILE:2: invalid YAML: special characters are not allowed (#x0001)"]),
        ("e.yaml", b"entities:\n  - &a {id: x, name: [*a]}\n",
         ["FILE:2: invalid YAML: an alias refers to a node that contains it"]),
    ],
    ids=["csv", "jsonl", "json", "yaml", "yaml-control", "yaml-recursive"],
)
def test_encoding_and_structure_problems(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert problems_of([path]) == [p.replace("FILE", str(path)) for p in expected]


# --- hostile input ----------------------------------------------------------------------
# Each case builds real files (a real named pipe, a real link to /dev/zero, sparse files
# past the size limits) and gives the exact problems, FILE standing for the file's path.

_DOC_ENTITIES = '{"id": "nvidia", "name": "NVIDIA"}, {"id": "coreweave", "name": "CoreWeave"}'
_JSONL_ENTITIES = '{"id": "nvidia", "name": "NVIDIA"}\n{"id": "coreweave", "name": "CoreWeave"}\n'
_DEAL = '"source": "nvidia", "kind": "invests_in", "target": "coreweave"'


def _json_deal(tmp, extra: str):
    text = f'{{"entities": [{_DOC_ENTITIES}],\n "relationships": [\n  {{{_DEAL}, {extra}}}\n]}}\n'
    return write(tmp, "d.json", text)


def _jsonl(tmp, line: str):
    return write(tmp, "d.jsonl", _JSONL_ENTITIES + line + "\n")


def _pipe(name):
    def build(tmp):
        path = tmp / name
        os.mkfifo(path)
        return path
    return build


def _dev_zero(name):
    def build(tmp):
        path = tmp / name
        path.symlink_to("/dev/zero")
        return path
    return build


def _sparse(name, size):
    def build(tmp):
        path = tmp / name
        with path.open("wb") as f:
            f.truncate(size)
        return path
    return build


def _bytes(name, content: bytes):
    def build(tmp):
        path = tmp / name
        path.write_bytes(content)
        return path
    return build


_BOMB = "".join(
    f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9 if i else ['"lol"'] * 9) + "]\n" for i in range(10)
)
_DEEP = 100_000
_MiB = 1 << 20
_FIELD = '"' + ("x" * 60_000 + "\n") * 2 + '"'  # a quoted cell of two long lines

HOSTILE = {
    "json integer of 400 digits": (
        lambda t: _json_deal(t, '"amount_usd": ' + "9" * 400),
        ["FILE:3: amount_usd: an integer of 400 digits is too large for a number"],
    ),
    "json integer of 5,000 digits": (
        lambda t: _json_deal(t, '"amount_usd": ' + "9" * 5000),
        ["FILE:3: amount_usd: an integer of 5000 digits is too large for a number"],
    ),
    "jsonl integer of 4,301 digits": (
        lambda t: _jsonl(t, "{" + _DEAL + ', "amount_usd": -' + "1" * 4301 + "}"),
        ["FILE:3: amount_usd: an integer of 4301 digits is too large for a number"],
    ),
    "json 1e400": (
        lambda t: _json_deal(t, '"amount_usd": 1e400'),
        ["FILE:3: amount_usd: 1e400 is too large for a number"],
    ),
    "json NaN as a name": (
        lambda t: write(t, "d.json", '{"entities": [\n  {"id": "x", "name": NaN}\n]}\n'),
        ["FILE:2: name: NaN is not valid JSON (JSON numbers are finite)"],
    ),
    "jsonl Infinity and -Infinity": (
        lambda t: _jsonl(t, "{" + _DEAL + ', "amount_usd": Infinity, "date": -Infinity}'),
        ["FILE:3: amount_usd: Infinity is not valid JSON (JSON numbers are finite)",
         "FILE:3: date: -Infinity is not valid JSON (JSON numbers are finite)"],
    ),
    "json NaN in a list": (
        lambda t: write(t, "d.json", '{"entities": [\n  {"id": "x", "name": "X", "aliases": ["a", NaN]}\n]}\n'),
        ["FILE:2: aliases: NaN is not valid JSON (JSON numbers are finite)"],
    ),
    "json repeated key": (
        lambda t: write(t, "d.json", '{"entities": [\n  {"id": "x", "name": "X", "name": "Y"}\n]}\n'),
        ["FILE:2: duplicate field 'name'"],
    ),
    "jsonl repeated key": (
        lambda t: _jsonl(t, "{" + _DEAL + ', "amount_usd": 1, "amount_usd": 2}'),
        ["FILE:3: duplicate field 'amount_usd'"],
    ),
    "json nested 100,000 deep": (
        lambda t: _json_deal(t, '"summary": ' + "[" * _DEEP + "]" * _DEEP),
        ["FILE:3: lists or mappings nested more than 16 deep; records hold plain values; stopped reading this file"],
    ),
    "json nested 20 deep": (
        lambda t: _json_deal(t, '"summary": ' + "[" * 20 + "]" * 20),
        ["FILE:3: lists or mappings nested more than 16 deep; records hold plain values",
         "FILE:3: summary must be text, got list"],
    ),
    "jsonl nested 100,000 deep": (
        lambda t: _jsonl(t, '{"id": "x", "name": ' + "{\"a\": " * _DEEP + "1" + "}" * _DEEP + "}"),
        ["FILE:3: lists or mappings nested more than 16 deep; records hold plain values"],
    ),
    "yaml nested 100,000 deep": (
        lambda t: write(t, "d.yaml", "entities:\n  - id: x\n    name: " + "[" * _DEEP + "]" * _DEEP + "\n"),
        ["FILE:3: lists or mappings nested more than 16 deep; records hold plain values; stopped reading this file"],
    ),
    "yaml nested 20 deep": (
        lambda t: write(t, "d.yaml", "entities:\n  - id: x\n    name: " + "[" * 20 + "]" * 20 + "\n"),
        ["FILE:3: lists or mappings nested more than 16 deep; records hold plain values"],
    ),
    "yaml alias bomb in entities": (
        lambda t: write(t, "d.yaml", "notes:\n" + _BOMB + "entities:\n  - {id: x, name: X, aliases: *l9}\n"
                        "  - {id: y, name: *l9}\n  - *l9\n"),
        # The item that is an alias is reported where its anchor is (line 11).
        ["FILE:11: record expands to more than 10,000 values (aliases repeating aliases?)",
         "FILE:13: record expands to more than 10,000 values (aliases repeating aliases?)",
         "FILE:14: record expands to more than 10,000 values (aliases repeating aliases?)"],
    ),
    "yaml alias inside itself": (
        lambda t: write(t, "d.yaml", "entities:\n  - id: x\n    name: X\n  - &a\n    id: y\n    aliases: [*a]\n"),
        ["FILE:4: invalid YAML: an alias refers to a node that contains it"],
    ),
    "named pipe .csv": (
        _pipe("e.csv"), ["FILE: not a regular file: it is a named pipe; only regular files are read"],
    ),
    "named pipe .jsonl": (
        _pipe("e.jsonl"), ["FILE: not a regular file: it is a named pipe; only regular files are read"],
    ),
    "named pipe .yaml": (
        _pipe("e.yaml"), ["FILE: not a regular file: it is a named pipe; only regular files are read"],
    ),
    "link to /dev/zero .csv": (
        _dev_zero("e.csv"),
        ["FILE: not a regular file: it is a character device (FILE -> /dev/zero); only regular files are read"],
    ),
    "link to /dev/zero .json": (
        _dev_zero("e.json"),
        ["FILE: not a regular file: it is a character device (FILE -> /dev/zero); only regular files are read"],
    ),
    "csv over the file size limit": (
        _sparse("e.csv", (16 << 30) + 1),
        ["FILE: file is 17,179,869,185 bytes, over the 16 GiB limit for CSV and JSON Lines files"],
    ),
    "json over the file size limit": (
        _sparse("e.json", (256 << 20) + 1),
        ["FILE: file is 268,435,457 bytes, over the 256 MiB limit for JSON documents (use JSON Lines or CSV for more)"],
    ),
    "yaml over the file size limit": (
        _sparse("e.yaml", (16 << 20) + 1),
        ["FILE: file is 16,777,217 bytes, over the 16 MiB limit for YAML documents (use CSV or JSON Lines for more)"],
    ),
    "csv of zero bytes, no line end": (
        _bytes("e.csv", bytes(3 * _MiB)),
        ["FILE:1: record longer than 1 MiB; stopped reading this file (is it really a data file?)"],
    ),
    "csv row over the record limit": (
        _bytes("e.csv", b"id,name\na,A\nb," + b"x" * _MiB + b"\nc,C\n"),
        ["FILE:3: record longer than 1 MiB; stopped reading this file (is it really a data file?)"],
    ),
    "csv row of multi-line cells over the record limit": (
        _bytes("e.csv", ("id,name,ticker,country,aliases\na,A,,,\nb," + ",".join([_FIELD] * 12) + "\n").encode()),
        ["FILE:3: record longer than 1 MiB; stopped reading this file (is it really a data file?)"],
    ),
    "jsonl line over the record limit": (
        lambda t: _jsonl(t, '{"id": "x", "name": "' + "x" * _MiB + '"}'),
        ["FILE:3: record longer than 1 MiB; stopped reading this file (is it really a data file?)"],
    ),
    "json record over the record limit": (
        lambda t: _json_deal(t, '"summary": "' + "x" * _MiB + '"'),
        ["FILE:3: record longer than 1 MiB"],
    ),
    "a deal from an entity to itself": (
        lambda t: write(t, "d.csv", "source,kind,target\nnvidia,invests_in,coreweave\nNVIDIA,customer_of,nvidia\n"),
        ["FILE:3: a deal from an entity to itself ('nvidia'); source and target must differ"],
    ),
}


def _hostile(tmp_path, case) -> tuple[Path, list[str]]:
    build, expected = HOSTILE[case]
    path = build(tmp_path)
    return path, [line.replace("FILE", str(path)) for line in expected]


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_input_gives_exact_problems(tmp_path, case):
    path, expected = _hostile(tmp_path, case)
    known = [Entity("nvidia", "NVIDIA"), Entity("coreweave", "CoreWeave")]
    assert problems_of([path], known) == expected


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_input_through_the_cli_leaves_the_store_unchanged(tmp_path, case):
    from click.testing import CliRunner

    from dealgraph.cli import main
    from dealgraph.stores.sqlite_store import SQLiteStore

    db = tmp_path / "store.db"
    runner = CliRunner()
    good = runner.invoke(main, ["load", str(GOOD / "csv"), "--db", str(db)])
    assert good.exit_code == 0, good.output
    with SQLiteStore(db) as store:
        before = (store.entities(), store.relationships())
    data = tmp_path / "data"
    data.mkdir()
    path, expected = _hostile(data, case)
    for paths in ([path], [data]):  # named on the command line, or found in a folder
        result = runner.invoke(main, ["load", *map(str, paths), "--db", str(db)])
        assert result.exit_code == 1
        assert "Traceback" not in result.output and result.exception is None or isinstance(
            result.exception, SystemExit
        )
        n = len(expected)
        assert result.output.splitlines() == [
            *expected, f"Error: {n} problem{'s' if n > 1 else ''} found; nothing was written"
        ]
    with SQLiteStore(db) as store:
        assert (store.entities(), store.relationships()) == before


def _stored_deal_conflict(tmp_path, store):
    entities = write(tmp_path, "e.csv", ENTITIES_CSV + "openai,OpenAI,ai_lab,\n")
    first = write(tmp_path, "r1.csv", "id,source,kind,target\nd1,nvidia,invests_in,coreweave\nd2,openai,customer_of,coreweave\n")
    store.write(*vars(read_dataset([entities, first])).values())
    same = write(tmp_path, "r2.csv", "id,source,kind,target,amount_usd\nd1,NVIDIA,invests_in,coreweave,5\n"
                                     "d2,openai,supplies,coreweave,\nd3,openai,lends_to,nvidia,\n"
                                     "d9,nvidia,lends_to,openai,\n")
    with pytest.raises(ValidationError) as info:
        read_dataset([same], store.entities(), stored_deal_endpoints=store.stored_deal_endpoints)
    assert info.value.problems == [
        f"{same}:3: relationship 'd2' is already stored as openai customer_of coreweave; "
        "here it is openai supplies coreweave (give this deal its own id)",
    ]
    assert store.stored_deal_endpoints(["d2", "nope", "d1", "d2"]) == {
        "d1": ("nvidia", "invests_in", "coreweave"), "d2": ("openai", "customer_of", "coreweave"),
    }
    assert store.stored_deal_endpoints([]) == {}
    moved = write(tmp_path, "r3.csv", "id,source,kind,target\nd1,coreweave,invests_in,nvidia\n")
    with pytest.raises(ValidationError) as info:
        read_dataset([moved], store.entities(), stored_deal_endpoints=store.stored_deal_endpoints)
    assert info.value.problems == [
        f"{moved}:2: relationship 'd1' is already stored as nvidia invests_in coreweave; "
        "here it is coreweave invests_in nvidia (give this deal its own id)",
    ]
    # Same endpoints, other details: an update, as before.
    update = write(tmp_path, "r4.csv", "id,source,kind,target,amount_usd\nd1,nvidia,invests_in,coreweave,7\n")
    dataset = read_dataset([update], store.entities(), stored_deal_endpoints=store.stored_deal_endpoints)
    assert dataset.relationships[0].amount_usd == 7.0


def test_a_reused_deal_id_with_other_endpoints_is_reported_sqlite(tmp_path):
    from dealgraph.stores.sqlite_store import SQLiteStore

    with SQLiteStore(tmp_path / "s.db") as store:
        _stored_deal_conflict(tmp_path, store)


def test_a_reused_deal_id_with_other_endpoints_is_reported_neo4j(tmp_path, neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password,
                    neo4j_server.database) as store:
        _stored_deal_conflict(tmp_path, store)


def test_stored_deal_endpoints_reads_only_the_given_ids_on_neo4j(neo4j_db, neo4j_server):
    """Each id is an index seek: the plan never scans relationships."""
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password,
                    neo4j_server.database) as store:
        store.write([Entity("a", "A"), Entity("b", "B")], [Relationship("d1", "a", "lends_to", "b")])
        with neo4j_db.session(database=neo4j_server.database) as session:
            plan = session.run(
                "EXPLAIN UNWIND $ids AS id MATCH (a:Entity)-[r:LENDS_TO {id: id}]->(b:Entity) RETURN r.id",
                ids=["d1"],
            ).consume().plan
        operators = str(plan)
        assert "RelationshipIndexSeek" in operators or "IndexSeek" in operators, operators
        assert "AllRelationshipsScan" not in operators and "RelationshipTypeScan" not in operators
        assert store.stored_deal_endpoints(["d1", "d2"]) == {"d1": ("a", "lends_to", "b")}
