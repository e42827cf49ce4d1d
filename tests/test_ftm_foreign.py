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
    "{path}: Company property 'addressEntity' not read (dealgraph has no field for it): left out of 1 object "
    "('NK-Acme.1')",
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
    path = write(tmp_path / "plain.ftm.json", [o for o in foreign_objects() if o["id"] in ("NK-Beta", "pay-acme-beta")]
                 + [make("Company", "NK-Acme.1", name="Acme GmbH")])
    assert read_dataset([path]).notices == ()


def test_properties_dealgraph_does_not_read_are_named_never_dropped_silently(tmp_path):
    """An Ownership's percentage and sharesCount (dealgraph's deals have no field for them),
    and any other property it does not read, load with one line per schema and property
    naming the file, FtM's property name and the objects' own ids."""
    owners = [make("Company", f"NK-Owner.{i}", name=f"Owner {i}") for i in range(7)]
    stakes = [make("Ownership", f"own-{i}", owner=f"NK-Owner.{i}", asset="NK-Beta", percentage="12.5",
                   sharesValue="1000", sharesCurrency="USD") for i in range(7)]
    stakes[0] = make("Ownership", "own-0", owner="NK-Owner.0", asset="NK-Beta", percentage="40", sharesCount="1200",
                     sharesType="ordinary")
    debt = make("Debt", "debt-1", creditor="NK-Owner.1", debtor="NK-Beta", amountUsd="5", endDate="2030-01-01")
    path = write(tmp_path / "stakes.ftm.json", [make("Company", "NK-Beta", name="Beta AG"), *owners, *stakes, debt])
    dataset = read_dataset([path])
    assert len(dataset.relationships) == 8
    assert next(r for r in dataset.relationships if r.id == "own-0").amount_usd is None
    assert list(dataset.notices) == [
        f"{path}: Ownership property 'percentage' not read (dealgraph has no field for it): left out of 7 objects "
        "('own-0', 'own-1', 'own-2', 'own-3', 'own-4' and 2 more)",
        f"{path}: Ownership property 'sharesCount' not read (dealgraph has no field for it): left out of 1 object "
        "('own-0')",
        f"{path}: Ownership property 'sharesType' not read (dealgraph has no field for it): left out of 1 object "
        "('own-0')",
        f"{path}: Debt property 'endDate' not read (dealgraph has no field for it): left out of 1 object ('debt-1')",
    ]
    db = tmp_path / "s.db"
    result = run("load", path, "--db", db)
    assert result.exit_code == 0, result.output
    for notice in dataset.notices:
        assert result.output.count(notice + "\n") == 1, result.output


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
