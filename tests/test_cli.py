"""The CLI through click's CliRunner, on real embedded stores in temporary folders."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.stores.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = sorted(main.commands)

ENTITIES_CSV = """id,name,kind,ticker,country,aliases
nvidia,Nvidia,chipmaker,NVDA,US,NVIDIA Corp
coreweave,CoreWeave,neocloud,CRWV,US,
"""
DEALS_CSV = """id,source,kind,target,amount_usd,amount_note,date,summary,evidence_url,evidence_title
d1,nvidia,invests_in,coreweave,100000000,,2023,,https://example.com/a,A
d2,NVIDIA Corp,supplies,CoreWeave,,,2024-05,,https://example.com/b,B
"""


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "entities.csv").write_text(ENTITIES_CSV)
    (tmp_path / "deals.csv").write_text(DEALS_CSV)
    return tmp_path


def run(runner, *args, **kwargs):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = run(runner, command, "--help")
    assert result.exit_code == 0
    assert main.commands[command].help, f"{command} has no help text"
    assert "Usage: main" in result.output or "Usage: " in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    assert f"dealgraph {command}" in (ROOT / "README.md").read_text()


def test_load_stats_and_idempotence(runner, files):
    db = files / "s.db"
    for _ in range(2):
        result = run(runner, "load", files / "entities.csv", files / "deals.csv", "--db", db)
        assert result.exit_code == 0, result.output
        assert "loaded 2 entities and 2 relationships" in result.output
    result = run(runner, "stats", "--db", db, "--format", "json")
    assert json.loads(result.output) == {
        "entities": {"chipmaker": 1, "neocloud": 1},
        "relationships": {"invests_in": 1, "supplies": 1},
        "figures": {},
    }


def test_load_uses_the_environment_db(runner, files, monkeypatch):
    db = files / "env.db"
    monkeypatch.setenv("DEALGRAPH_DB", str(db))
    assert run(runner, "load", files).exit_code == 0
    assert len(SQLiteStore(db).relationships()) == 2


def test_bad_input_lists_every_problem_and_writes_nothing(runner, files):
    db = files / "s.db"
    run(runner, "load", files / "entities.csv", files / "deals.csv", "--db", db)
    before = SQLiteStore(db).relationships()
    bad = files / "bad.csv"
    bad.write_text(
        "source,kind,target,amount_usd,date\n"
        "nvidia,invests_in,coreweave,5,2024\n"
        "nvidia,bribes,coreweave,,\n"
        "nvidia,invests_in,coreweave,-5,\n"
        "nvidia,invests_in,nobody,,2024-13\n"
    )
    result = runner.invoke(main, ["load", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == "Error: 4 problems found; nothing was written"
    problems = lines[:-1]
    assert len(problems) == 4
    assert all(re.match(rf"{re.escape(str(bad))}:\d+: ", p) for p in problems), problems
    assert [p.split(":")[1] for p in problems] == ["3", "4", "5", "5"]
    assert "Traceback" not in result.output
    assert SQLiteStore(db).relationships() == before


def test_validate_writes_nothing(runner, files):
    result = run(runner, "validate", files)
    assert result.exit_code == 0
    assert result.output.startswith("ok: 2 entities and 2 relationships")
    assert not list(files.glob("*.db"))


def test_validate_reports_problems(runner, files):
    (files / "deals.csv").write_text("source,kind,target\nnvidia,invests_in,ghost\n")
    result = runner.invoke(main, ["validate", str(files)])
    assert result.exit_code == 1
    assert "deals.csv:2: " in result.output and "ghost" in result.output


def test_validate_with_a_store_knows_its_entities(runner, files, tmp_path, monkeypatch):
    """A file naming entities already in the store validates against it (--db, or
    DEALGRAPH_DB), as its load would; without a store it names no entity."""
    db = files / "s.db"
    run(runner, "load", files / "entities.csv", "--db", db)
    more = tmp_path / "more"
    more.mkdir()
    (more / "deals.csv").write_text("source,kind,target\nNVIDIA Corp,lends_to,coreweave\n")
    monkeypatch.delenv("DEALGRAPH_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # no dealgraph.db here: without --db, the files alone
    alone = runner.invoke(main, ["validate", str(more)])
    assert alone.exit_code == 1 and "source 'NVIDIA Corp' names no entity" in alone.output
    for args, env in ((["--db", str(db)], {}), ([], {"DEALGRAPH_DB": str(db)})):
        before = db.read_bytes()
        result = runner.invoke(main, ["validate", str(more), *args], env=env)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ok: 0 entities and 1 relationships")
        assert db.read_bytes() == before
    # a deal id stored between other entities is the load's problem, and validate's
    (more / "deals.csv").write_text("id,source,kind,target\nd1,coreweave,lends_to,nvidia\n")
    run(runner, "load", files / "deals.csv", "--db", db)
    moved = runner.invoke(main, ["validate", str(more), "--db", str(db)])
    assert moved.exit_code == 1 and "d1" in moved.output
    missing = runner.invoke(main, ["validate", str(more), "--db", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1 and "nope.db" in missing.output and "Traceback" not in missing.output
    assert not (tmp_path / "nope.db").exists()


def test_validate_takes_a_missing_environment_db_as_no_store(runner, files, tmp_path, monkeypatch):
    """DEALGRAPH_DB naming no file yet means no store for validate (a first load would find
    none; said in one line, nothing created), while a missing --db is an error, and the
    reading commands, which need a store, report a missing DEALGRAPH_DB as before."""
    monkeypatch.chdir(tmp_path)
    gone = tmp_path / "not-yet.db"
    env = {"DEALGRAPH_DB": str(gone), "NEO4J_URI": ""}
    result = runner.invoke(main, ["validate", str(files)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count(f"DEALGRAPH_DB names no store yet ({gone}): the files are checked alone\n") == 1
    assert "ok: 2 entities and 2 relationships" in result.output
    # bad files are still found with no store
    (tmp_path / "bad.csv").write_text("source,kind,target\nnvidia,invests_in,ghost\n")
    bad = runner.invoke(main, ["validate", str(tmp_path / "bad.csv")], env=env)
    assert bad.exit_code == 1 and "bad.csv:2: " in bad.output and "ghost" in bad.output
    explicit = runner.invoke(main, ["validate", str(files), "--db", str(gone)], env={"NEO4J_URI": ""})
    assert explicit.exit_code == 1 and str(gone) in explicit.output and "Traceback" not in explicit.output
    stats = runner.invoke(main, ["stats"], env=env)
    assert stats.exit_code == 1 and str(gone) in stats.output
    assert not gone.exists()
    # once the load has made it, validate checks against it
    assert runner.invoke(main, ["load", str(files / "entities.csv")], env=env).exit_code == 0
    (tmp_path / "more.csv").write_text("source,kind,target\nNVIDIA Corp,lends_to,coreweave\n")
    against = runner.invoke(main, ["validate", str(tmp_path / "more.csv")], env=env)
    assert against.exit_code == 0 and "no store yet" not in against.output, against.output


def test_missing_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["load", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_unknown_entity_for_through_is_one_line(runner, files):
    db = files / "s.db"
    run(runner, "load", files, "--db", db)
    result = runner.invoke(main, ["cycles", "--through", "Nobody", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no entity with id, name or alias 'Nobody'"


def test_cycles_json_has_the_design_shape(runner, shipped_db):
    result = run(runner, "cycles", "--db", shipped_db, "--format", "json")
    cycles = json.loads(result.output)
    assert len(cycles) == 75  # 62 + the 13 through the shares CoreWeave granted OpenAI (networkx agrees)
    for cycle in cycles:
        assert set(cycle) == {"nodes", "hops", "min_amount_usd", "size_usd", "size_basis", "size_hop", "unsized_hops"}
        assert cycle["nodes"][0] == min(cycle["nodes"])
        for i, hop in enumerate(cycle["hops"]):
            assert set(hop) == {"source", "target", "amount_usd", "relationships", "size_usd", "size_basis",
                                "unknown_why"}
            assert (hop["source"], hop["target"]) == (
                cycle["nodes"][i], cycle["nodes"][(i + 1) % len(cycle["nodes"])])
            for deal in hop["relationships"]:
                # the DESIGN.md contract's five keys first, then how it reads, caveats, lineage
                assert list(deal) == ["id", "kind", "amount_usd", "date", "evidence_url", "source", "target",
                                      "amount_note", "evidence_title", "supersedes", "expands", "amount_basis",
                                      "status", "amount_low", "amount_high", "superseded_by"]
    pairs = {tuple(c["nodes"]) for c in cycles}
    assert {("coreweave", "nvidia"), ("nvidia", "openai", "oracle"), ("amd", "openai")} <= pairs


def test_cycles_through_and_min_amount(runner, shipped_db):
    result = run(runner, "cycles", "--db", shipped_db, "--format", "json",
                 "--through", "Nvidia", "--max-length", "2")
    assert {tuple(c["nodes"]) for c in json.loads(result.output)} == {
        ("coreweave", "nvidia"), ("nvidia", "openai"), ("anthropic", "nvidia"), ("lambda", "nvidia"),
        ("nebius", "nvidia"), ("nvidia", "xai-valor-spv")}
    result = run(runner, "cycles", "--db", shipped_db, "--format", "json", "--min-amount", "20e9")
    found = json.loads(result.output)
    assert found and all(c["min_amount_usd"] >= 20e9 for c in found)


def test_cycles_table_and_csv(runner, shipped_db):
    table = run(runner, "cycles", "--db", shipped_db, "--limit", "2").output
    assert table.startswith("1. Amazon → OpenAI → Amazon")
    assert "https://" in table
    csv_out = run(runner, "cycles", "--db", shipped_db, "--format", "csv", "--limit", "1").output
    rows = list(csv.DictReader(io.StringIO(csv_out)))
    assert csv_out.splitlines()[0] == (
        "cycle,path,min_amount_usd,hop,source,target,hop_amount_usd,relationship_id,deal,kind,amount_usd,"
        "amount_note,date,evidence_title,evidence_url,supersedes,expands,superseded_by,counted,"
        "size_usd,size_basis,hop_size_usd,hop_size_basis,hop_unknown_why")
    # one row per deal: Amazon's $50B stake, then OpenAI's $38B AWS deal and its $100B expansion
    assert [(r["hop"], r["deal"], r["amount_usd"], r["expands"]) for r in rows] == [
        ("1", "amazon invests in openai", "50000000000", ""),
        ("2", "openai customer of amazon", "38000000000", ""),
        ("2", "openai customer of amazon", "100000000000", "openai-customer-of-amazon-2025"),
    ]
    assert rows[0]["amount_note"].startswith("$15B closing 2026-03-31 plus $35B under a letter agreement")
    assert rows[0]["evidence_title"].startswith("Amazon to invest $50B in OpenAI")
    assert {r["hop_amount_usd"] for r in rows[1:]} == {"138000000000"}


def test_demo_is_the_main_job(runner, tmp_path):
    out = tmp_path / "demo"
    result = run(runner, "demo", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Loaded 116 entities, 224 deals and 129 figures" in result.output
    assert "data as of 2026-05-18" in result.output
    assert "CoreWeave → Nvidia → CoreWeave" in result.output
    assert "Nvidia → OpenAI → Oracle → Nvidia" in result.output
    for name in ("overview.html", "cycles.html", "focus-nvidia.html"):
        assert (out / name).stat().st_size > 10_000
    assert f"Open {out / 'cycles.html'}" in result.output
    # running it again reuses the store and changes nothing
    assert run(runner, "demo", "--out", out).exit_code == 0
    assert len(SQLiteStore(out / "dealgraph.db").relationships()) == 224


def test_render_writes_the_requested_view(runner, shipped_db, tmp_path):
    out = tmp_path / "focus.html"
    result = run(runner, "render", "--db", shipped_db, "--view", "focus", "--focus", "CoreWeave",
                 "--depth", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} (")
    assert out.exists()


def test_render_focus_needs_an_entity(runner, shipped_db):
    result = runner.invoke(main, ["render", "--db", str(shipped_db), "--view", "focus"])
    assert result.exit_code == 2
    assert "--view focus needs --focus ENTITY" in result.output


@pytest.mark.parametrize("args", [["stats"], ["cycles"], ["render"], ["query", "lender-web"]])
def test_reading_a_missing_store_is_an_error_not_an_empty_store(runner, tmp_path, args, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (a dealgraph-demo/ folder where the tests run would add its hint)
    db = tmp_path / "typo.db"
    result = runner.invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {db}: no store here yet; load data first "
        "(dealgraph load PATH..., or dealgraph demo), or pick one with --db")
    assert not db.exists()


def test_a_missing_store_points_at_the_demo_store_in_the_working_directory(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dealgraph-demo").mkdir()
    (tmp_path / "dealgraph-demo" / "dealgraph.db").write_bytes(b"")
    result = runner.invoke(main, ["stats", "--db", "typo.db"])
    assert result.exit_code == 1
    assert "the demo's store is dealgraph-demo/dealgraph.db: add --db dealgraph-demo/dealgraph.db" in result.output


def test_unknown_query_is_reported_before_opening_a_store(runner, tmp_path):
    db = tmp_path / "s.db"
    result = runner.invoke(main, ["query", "nope", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown query 'nope'; known: circular-financing")
    assert not db.exists()
