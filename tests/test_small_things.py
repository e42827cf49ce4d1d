"""Small things a user trips on: a suggestion for a kind or an entity written slightly wrong."""

import pytest
from click.testing import CliRunner

from dealgraph.cli import main

ENTITIES_CSV = """id,name,kind,ticker,country,aliases
nvidia,Nvidia,chipmaker,NVDA,US,NVIDIA Corp
coreweave,CoreWeave,neocloud,CRWV,US,
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def db(tmp_path):
    (tmp_path / "entities.csv").write_text(ENTITIES_CSV)
    (tmp_path / "deals.csv").write_text(
        "id,source,kind,target,amount_usd\nd1,nvidia,invests_in,coreweave,1B\n")
    db = tmp_path / "s.db"
    assert run("load", tmp_path / "entities.csv", tmp_path / "deals.csv", "--db", db).exit_code == 0
    return db


@pytest.mark.parametrize("written", ["invests in", "Invests_In", "invests-in"])
def test_a_kind_written_another_way_is_refused_with_a_suggestion(tmp_path, written):
    (tmp_path / "entities.csv").write_text(ENTITIES_CSV)
    (tmp_path / "deals.csv").write_text(
        f"id,source,kind,target,amount_usd\nd1,nvidia,{written},coreweave,1B\n")
    result = run("load", tmp_path / "entities.csv", tmp_path / "deals.csv", "--db", tmp_path / "s.db")
    assert result.exit_code != 0
    assert f"unknown relationship kind {written!r} (did you mean invests_in?)" in result.output
    assert "deals.csv" in result.output


def test_an_unrelated_kind_gets_no_suggestion(tmp_path):
    (tmp_path / "entities.csv").write_text(ENTITIES_CSV)
    (tmp_path / "deals.csv").write_text("id,source,kind,target\nd1,nvidia,befriends,coreweave\n")
    result = run("load", tmp_path / "entities.csv", tmp_path / "deals.csv", "--db", tmp_path / "s.db")
    assert result.exit_code != 0
    assert "unknown relationship kind 'befriends'; allowed:" in result.output


@pytest.mark.parametrize("command", [["show", "corewave"], ["cycles", "--through", "corewave"],
                                     ["stress", "--fail", "corewave"]])
def test_an_entity_typo_gets_did_you_mean(db, command):
    result = run(*command, "--db", db)
    assert result.exit_code != 0
    assert "no entity with id, name or alias 'corewave'; did you mean CoreWeave (coreweave)?" in result.output


def test_an_entity_far_from_any_gets_no_suggestion(db):
    result = run("show", "zzzzqqq", "--db", db)
    assert result.exit_code != 0
    assert "'zzzzqqq'" in result.output and "did you mean" not in result.output
