"""Entity figures through the loaders: the record rule, the checks, and every problem with its place."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from dealgraph.model.errors import ValidationError
from dealgraph.model.records import Figure, schema
from dealgraph.model.values import period_end
from dealgraph.loaders import read_dataset

ENTITIES_CSV = "id,name,kind,aliases\nnvidia,NVIDIA,chipmaker,Nvidia Corp\ncoreweave,CoreWeave,neocloud,\n"
FIGURE_KINDS = ", ".join(schema().figure_kinds)
FIGURE_FIELDS = (
    "id, entity, kind, counterparty, amount_usd, percent, period, as_of, note, evidence_url, evidence_title"
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(tmp_path: Path, name: str, text: str) -> list[str]:
    write(tmp_path, "entities.csv", ENTITIES_CSV)
    path = write(tmp_path, name, text)
    with pytest.raises(ValidationError) as info:
        read_dataset([tmp_path / "entities.csv", path])
    return [p.replace(str(path), "FILE") for p in info.value.problems]


def test_csv_header_with_entity_column_holds_figures(tmp_path):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    write(tmp_path, "f.csv", "entity,kind,amount_usd,period\nCoreWeave,revenue,1.92e9,2024\n")
    [figure] = read_dataset([tmp_path]).figures
    assert (figure.entity, figure.kind, figure.amount_usd, figure.period) == ("coreweave", "revenue", 1.92e9, "2024")
    assert figure.id.startswith("f-")


def test_figure_ids_are_stable_and_loading_twice_merges(tmp_path):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    write(tmp_path, "f.csv", "entity,kind,amount_usd,as_of\nnvidia,debt,8.5e9,2025-06-30\n")
    write(tmp_path, "g.jsonl", '{"entity": "NVIDIA", "kind": "debt", "amount_usd": 8500000000, "as_of": "2025-06-30"}\n')
    first = read_dataset([tmp_path]).figures
    assert len(first) == 1
    assert read_dataset([tmp_path]).figures == first


def test_a_jsonl_record_with_source_is_a_deal_even_with_entity(tmp_path):
    # source/target decide first: a deal with a stray "entity" field is a deal with an unknown field.
    found = problems(tmp_path, "d.jsonl", '{"source": "nvidia", "kind": "supplies", "target": "coreweave", "entity": "x"}\n')
    assert found[0].startswith("FILE:1: unknown field 'entity'; allowed: id, source")


@pytest.mark.parametrize(
    ("period", "end"),
    [("2024", "2024-12-31"), ("2025-Q1", "2025-03-31"), ("2025-Q4", "2025-12-31"),
     ("2025-H2", "2025-12-31"), ("2024-02", "2024-02-29"), ("2025/2028", "2028-12-31"),
     ("2025-01/2025-09", "2025-09-30")],
)
def test_periods_and_their_end(tmp_path, period, end):
    write(tmp_path, "e.csv", ENTITIES_CSV)
    write(tmp_path, "f.csv", f"entity,kind,amount_usd,period\ncoreweave,capex,1,{period}\n")
    [figure] = read_dataset([tmp_path]).figures
    assert figure.period == period and period_end(period) == end and figure.when == end


def test_as_of_wins_over_period_for_ordering():
    assert Figure("x", "coreweave", "capex", amount_usd=1.0, period="2025", as_of="2025-11").when == "2025-11"


PROBLEMS = {
    "unknown kind": (
        "f.csv", "entity,kind,amount_usd,period\ncoreweave,profit,1,2024\n",
        [f"FILE:2: unknown figure kind 'profit'; allowed: {FIGURE_KINDS}"],
    ),
    "missing value": (
        "f.csv", "entity,kind,amount_usd,period\ncoreweave,revenue,,2024\n",
        ["FILE:2: a revenue figure needs amount_usd"],
    ),
    "wrong measure": (
        "f.jsonl", '{"entity": "coreweave", "kind": "revenue", "percent": 50, "period": "2024"}\n',
        ["FILE:1: a revenue figure needs amount_usd", "FILE:1: a revenue figure gives amount_usd, not percent"],
    ),
    "share needs a counterparty": (
        "f.csv", "entity,kind,percent,period\ncoreweave,customer_share,62,2024\n",
        ["FILE:2: a customer_share figure needs a counterparty (the entity it is about)"],
    ),
    "counterparty not allowed": (
        "f.csv", "entity,kind,counterparty,amount_usd,period\ncoreweave,debt,nvidia,5,2024\n",
        ["FILE:2: a debt figure takes no counterparty (only customer_share do)"],
    ),
    "percent out of range": (
        "f.csv", "entity,kind,counterparty,percent,period\ncoreweave,customer_share,nvidia,120,2024\n",
        ["FILE:2: percent must be a number from 0 to 100, got '120'"],
    ),
    "no period or date": (
        "f.csv", "entity,kind,amount_usd\ncoreweave,debt,5\n",
        ["FILE:2: a figure needs a period or an as_of date (or both)"],
    ),
    "bad period and date": (
        "f.yaml", "figures:\n  - {entity: coreweave, kind: debt, amount_usd: 5, period: 2025-Q5, as_of: 2025-02-30}\n",
        ["FILE:2: period must be YYYY, YYYY-QN, YYYY-HN, YYYY-MM or START/END of years or months "
         "(e.g. 2024, 2025-Q2, 2025/2028), got '2025-Q5'",
         "FILE:2: as_of '2025-02-30' is not a real calendar date"],
    ),
    "backwards span": (
        "f.csv", "entity,kind,amount_usd,period\ncoreweave,debt,5,2028/2025\n",
        ["FILE:2: period must be YYYY, YYYY-QN, YYYY-HN, YYYY-MM or START/END of years or months "
         "(e.g. 2024, 2025-Q2, 2025/2028), got '2028/2025'"],
    ),
    "unknown entities": (
        "f.json", '{"figures": [\n {"entity": "acme", "kind": "customer_share", "counterparty": "Nobody",'
        ' "percent": 5, "period": "2024"}\n]}\n',
        ["FILE:2: entity 'acme' names no entity (not the id, name or alias of any entity)",
         "FILE:2: counterparty 'Nobody' names no entity (not the id, name or alias of any entity)"],
    ),
    "missing required column": (
        "f.csv", "entity,amount_usd\ncoreweave,5\n",
        ["FILE:1: missing required column 'kind' (figures need entity, kind)"],
    ),
    "unknown column": (
        "f.csv", "entity,kind,amount_usd,period,unit\ncoreweave,revenue,5,2024,USD\n",
        [f"FILE:1: unknown column 'unit'; allowed for figures: {FIGURE_FIELDS}"],
    ),
    "conflicting repeat": (
        "f.jsonl",
        '{"id": "cw-rev", "entity": "coreweave", "kind": "revenue", "amount_usd": 5, "period": "2024"}\n'
        '{"id": "cw-rev", "entity": "coreweave", "kind": "revenue", "amount_usd": 6, "period": "2024"}\n',
        ["FILE:2: figure 'cw-rev' conflicts with its definition at FILE:1 (differs in amount_usd)"],
    ),
}


@pytest.mark.parametrize("case", PROBLEMS)
def test_each_figure_problem_is_reported_exactly(tmp_path, case):
    name, text, expected = PROBLEMS[case]
    assert problems(tmp_path, name, text) == expected


def test_figures_in_a_document_are_reported_at_their_line(tmp_path):
    text = json.dumps({"figures": [{"entity": "coreweave", "kind": "revenue", "period": "2024"}]}, indent=1)
    assert problems(tmp_path, "f.json", text + "\n") == ["FILE:3: a revenue figure needs amount_usd"]
