"""FollowTheMoney files as Aleph and OpenSanctions write them, made with the followthemoney
library: people, addresses, directorships and sanctions beside the companies and deals
dealgraph reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from followthemoney import model as ftm_model

from dealgraph.cli import main
from dealgraph.loaders import read_dataset
from dealgraph.model.errors import ValidationError
from dealgraph.stores.sqlite_store import SQLiteStore


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def make(schema: str, ftm_id: str, **props) -> dict:
    """An object as the followthemoney library makes it (values cleaned by the library)."""
    entity = ftm_model.make_entity(schema)
    entity.id = ftm_id
    for prop, values in props.items():
        for value in values if isinstance(values, list) else [values]:
            entity.add(prop, value)
    return entity.to_dict()


def write(path: Path, objects: list[dict]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def foreign_objects() -> list[dict]:
    return [
        make("Person", "per-jane", name="Jane Doe", nationality="de"),
        make("Address", "addr-berlin", full="1 Hauptstrasse, Berlin", country="de"),
        make("Company", "NK-Acme.1", name=["Acme GmbH", "Acme"], jurisdiction="de", addressEntity="addr-berlin"),
        make("Company", "NK-Beta", name="Beta AG", jurisdiction="ch"),
        make("Directorship", "dir-1", director="per-jane", organization="NK-Acme.1", role="CEO"),
        make("Ownership", "own-beta-acme", owner="NK-Beta", asset="NK-Acme.1", sharesValue="1000000",
             sharesCurrency="USD", startDate="2024-01-02"),
        make("Sanction", "san-1", entity="per-jane", authority="Council of the EU", program="EU 2580"),
        make("Ownership", "own-jane-acme", owner="per-jane", asset="NK-Acme.1", percentage="40"),
        make("Payment", "pay-acme-beta", payer="NK-Acme.1", beneficiary="NK-Beta", amountUsd="250000",
             amountEur="230000", date="2025-05-06"),
        make("Person", "per-max", name="Max Mustermann"),
    ]


NOTICES = [
    "{path}:8: Ownership 'own-jane-acme' left out: its owner 'per-jane' is a Person, which dealgraph does not read",
    "{path}: skipped 5 FollowTheMoney objects of schemata dealgraph does not read (Address 1, Directorship 1, "
    "Person 2, Sanction 1); 1 deal naming them left out",
]


def test_foreign_file_loads_its_companies_and_deals(tmp_path):
    path = write(tmp_path / "aleph.ftm.json", foreign_objects())
    dataset = read_dataset([path])
    assert [(e.id, e.name, e.country, e.aliases) for e in dataset.entities] == [
        ("nk-acme-1", "Acme GmbH", "DE", ("Acme",)), ("nk-beta", "Beta AG", "CH", ())]
    assert [(r.id, r.source, r.kind, r.target, r.amount_usd, r.date) for r in dataset.relationships] == [
        ("own-beta-acme", "nk-beta", "invests_in", "nk-acme-1", 1e6, "2024-01-02"),
        ("pay-acme-beta", "nk-acme-1", "customer_of", "nk-beta", 250000.0, "2025-05-06"),
    ]
    assert list(dataset.notices) == [n.format(path=path) for n in NOTICES]


@pytest.mark.parametrize("command", ["load", "validate"])
def test_cli_says_what_it_skipped_in_one_line_each_and_loads(tmp_path, command):
    path = write(tmp_path / "aleph.ftm.json", foreign_objects())
    db = tmp_path / "s.db"
    result = run(command, path, *(["--db", db] if command == "load" else []))
    assert result.exit_code == 0, result.output
    for notice in NOTICES:
        assert result.output.count(notice.format(path=path) + "\n") == 1, result.output
    if command == "load":
        with SQLiteStore(db, create=False) as store:
            assert {e.id for e in store.entities()} == {"nk-acme-1", "nk-beta"}
            assert {r.id for r in store.relationships()} == {"own-beta-acme", "pay-acme-beta"}


def test_a_file_of_only_known_schemata_has_no_notice(tmp_path):
    path = write(tmp_path / "plain.ftm.json", [o for o in foreign_objects() if o["schema"] in ("Company",)])
    assert read_dataset([path]).notices == ()


def test_bad_records_of_read_schemata_still_stop_the_load_and_name_ftm_ids_and_properties(tmp_path):
    objects = [
        *foreign_objects(),
        make("Payment", "don-1", payer="NK-Acme.1", beneficiary="NK-Beta", amountEur="290"),
        make("Ownership", "own-gone", owner="NK-Gone.1", asset="NK-Acme.1"),
        make("Payment", "sup-gone", payer="NK-Acme.1", beneficiary="NK-Gone.2", purpose="supplies"),
        make("Debt", "debt-half", creditor="NK-Beta"),
    ]
    path = write(tmp_path / "bad.ftm.json", objects)
    with pytest.raises(ValidationError) as info:
        read_dataset([path])
    assert info.value.problems == [
        f"{path}:11: Payment 'don-1': amountEur '290' is in EUR; dealgraph keeps amounts in USD (give amountUsd)",
        f"{path}:12: owner 'NK-Gone.1' names no entity (not the id, name or alias of any entity)",
        f"{path}:13: beneficiary 'NK-Gone.2' names no entity (not the id, name or alias of any entity)",
        f"{path}:14: Debt 'debt-half': no 'debtor'; dealgraph reads a Debt between two parties "
        "('creditor' and 'debtor')",
    ]
    db = tmp_path / "s.db"
    result = run("load", path, "--db", db)
    assert result.exit_code == 1 and "4 problems found; nothing was written" in result.output
    for problem in info.value.problems:
        assert problem in result.output
    assert not db.exists()
