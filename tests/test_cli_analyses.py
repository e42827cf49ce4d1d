"""stress, clusters, funded-sales, cycles --ordered/--economics and --since/--until through the
CLI on the shipped data, and the same answers from a real Neo4j."""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.model.values import Period
from dealgraph.load import shipped_dataset_dir
from dealgraph.analyses.stress import exposures
from dealgraph.loaders import read_dataset


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def ok(*args, env=None):
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def shipped():
    return read_dataset([shipped_dataset_dir()])


def test_stress_paths_follow_exposures(shipped_db, shipped):
    # An assumed buffer (asked for) scores every entity, so the shock travels every exposure.
    result = json.loads(ok("stress", "--db", shipped_db, "--fail", "OpenAI", "--fail", "oracle", "--default-buffer", "1",
                           "--format", "json"))
    assert result["failed"] == ["openai", "oracle"] and result["default_buffer"] == 1.0
    table = exposures(shipped.relationships)
    rows = result["entities"]
    assert [(r["entity"], r["loss"], r["round"]) for r in rows[:2]] == [("openai", 1.0, 0), ("oracle", 1.0, 0)]
    assert len(rows) > 10 and 0 < result["debtrank"] <= 1
    for row in rows[2:]:
        assert 0 < row["loss"] <= 1 and row["path"][0] in ("openai", "oracle") and row["path"][-1] == row["entity"]
        assert len(row["path"]) == row["round"] + 1
        for obligor, creditor in zip(row["path"], row["path"][1:]):
            assert creditor in table.at_stake[obligor]
    assert result["unknown_exposures"] == table.unknown > 0
    text = ok("stress", "--db", shipped_db, "--fail", "openai", "--limit", "3", "--default-buffer", "1")
    # (counted per line: "OpenAI's 2025 round" is in a syndicate's name)
    assert text.startswith("Failure of OpenAI: DebtRank") and len(re.findall(r", round \d+: ", text)) == 3
    assert ("assumed buffer" in text) == any(r["buffer_from"] == "assumed" for r in result["entities"])
    rows_csv = list(csv.DictReader(ok("stress", "--db", shipped_db, "--fail", "openai", "--format", "csv").splitlines()))
    assert rows_csv[0]["entity"] == "openai" and rows_csv[1]["path"].startswith("openai>")


def equity_files(tmp_path):
    (tmp_path / "entities.csv").write_text("id,name\nneo,Neo\nbank,Bank\nother,Other\nfund,Fund\n")
    (tmp_path / "deals.csv").write_text(
        "id,source,kind,target,amount_usd\nd1,bank,lends_to,neo,50\nd2,bank,lends_to,other,50\n"
        "d3,fund,invests_in,bank,20\n")
    (tmp_path / "figures.csv").write_text(
        "id,entity,kind,amount_usd,as_of\nf1,bank,equity,80,2023-12-31\nf2,bank,equity,200,2025-06-30\n")
    return [tmp_path / "entities.csv", tmp_path / "deals.csv", tmp_path / "figures.csv"]


def test_stress_buffers_are_the_latest_equity_figures(tmp_path):
    # bank lent 50 to neo and 50 to other; its latest equity figure is 200 (the 2023 one, 80,
    # is older): loss 50/200 = 0.25. fund's 20 in bank has no equity figure: not scored, it
    # lost 0.25 * 20 = $5 of exposure. With --default-buffer 1 its assumed buffer is 20 (its
    # total exposure): loss 0.25 * 20/20 = 0.25.
    db = tmp_path / "s.db"
    ok("load", *equity_files(tmp_path), "--db", db)
    result = json.loads(ok("stress", "--db", db, "--fail", "neo", "--format", "json"))
    assert [(e["entity"], e["loss"], e["loss_usd"], e["buffer_usd"], e["buffer_from"], e["path"])
            for e in result["entities"]] == [
        ("neo", 1.0, None, None, "none", ["neo"]),
        ("bank", 0.25, 50.0, 200.0, "equity", ["neo", "bank"]),
        ("fund", None, 5.0, None, "none", ["neo", "bank", "fund"]),
    ]
    text = ok("stress", "--db", db, "--fail", "neo")
    assert " 25.0%  Bank  lost $50 of $200 equity, round 1: Neo → Bank" in text
    assert "     —  Fund  no equity figure: loss $5 of exposure, not scored, round 2: Neo → Bank → Fund" in text
    result = json.loads(ok("stress", "--db", db, "--fail", "neo", "--default-buffer", "1", "--format", "json"))
    assert [(e["entity"], e["loss"], e["buffer_usd"], e["buffer_from"]) for e in result["entities"][1:]] == [
        ("bank", 0.25, 200.0, "equity"), ("fund", 0.25, 20.0, "assumed"),
    ]
    text = ok("stress", "--db", db, "--fail", "neo", "--default-buffer", "1")
    assert " 25.0%  Fund  lost $5 of $20 assumed buffer, round 2: Neo → Bank → Fund" in text


def test_stress_bad_input_is_one_line(shipped_db):
    result = run("stress", "--db", shipped_db, "--fail", "Nobody")
    assert result.exit_code == 1 and result.output.strip() == "Error: no entity with id, name or alias 'Nobody'"
    assert run("stress", "--db", shipped_db).exit_code == 2  # --fail is required


def test_clusters_and_funded_sales(shipped_db, shipped):
    clusters = json.loads(ok("clusters", "--db", shipped_db, "--format", "json"))
    assert clusters and {"nvidia", "coreweave", "openai", "oracle"} <= set(clusters[0]["entities"])
    loops = json.loads(ok("cycles", "--db", shipped_db, "--format", "json"))
    for loop in loops:  # every loop lies inside one cluster
        assert any(set(loop["nodes"]) <= set(c["entities"]) for c in clusters)
    rows = json.loads(ok("funded-sales", "--db", shipped_db, "--format", "json"))
    nvidia = next(r for r in rows if r["vendor"] == "nvidia")
    assert "coreweave" in nvidia["funded_customers"]
    assert json.loads(ok("funded-sales", "--db", shipped_db, "--vendor", "Nvidia", "--format", "json")) == [nvidia]
    for r in rows:
        if r["share"] is not None:
            assert r["share"] == pytest.approx(r["funded_sales_usd"] / r["sales_usd"])


def test_ordered_loops_are_unordered_loops_in_time_order(shipped_db):
    every = {tuple(c["nodes"]): c for c in json.loads(ok("cycles", "--db", shipped_db, "--format", "json"))}
    ordered = json.loads(ok("cycles", "--db", shipped_db, "--ordered", "--format", "json"))
    within = json.loads(ok("cycles", "--db", shipped_db, "--ordered", "--window", "180", "--format", "json"))
    assert 0 < len(within) < len(ordered) < len(every)
    assert {tuple(c["nodes"]) for c in within} <= {tuple(c["nodes"]) for c in ordered}
    for cycle in ordered:
        assert {k: v for k, v in cycle.items() if k != "order"} == every[tuple(cycle["nodes"])]
        deals = {d["id"]: d for h in cycle["hops"] for d in h["relationships"]}
        picked = cycle["order"]["deal_ids"]
        assert len(picked) == len(cycle["nodes"]) and all(deals[i]["date"] for i in picked)
        assert cycle["order"]["start"] in cycle["nodes"]
    assert all(c["order"]["span_days"] <= 180 for c in within)
    table = ok("cycles", "--db", shipped_db, "--ordered", "--window", "180", "--limit", "1")
    assert "in time order from" in table
    assert "order_span_days" in ok("cycles", "--db", shipped_db, "--ordered", "--format", "csv").splitlines()[0]
    assert run("cycles", "--db", shipped_db, "--window", "30").exit_code == 2


def test_economics(shipped_db):
    loops = json.loads(ok("cycles", "--db", shipped_db, "--economics", "--limit", "5", "--format", "json"))
    for loop in loops:
        n = len(loop["nodes"])
        for i, row in enumerate(loop["economics"]):
            assert row["entity"] == loop["nodes"][i]
            assert row["put_in_usd"] == loop["hops"][i]["amount_usd"]
            assert row["came_back_usd"] == loop["hops"][(i - 1) % n]["amount_usd"]
    assert "got back" in ok("cycles", "--db", shipped_db, "--economics", "--limit", "1")
    # Each amount on its basis: CoreWeave's $350M of shares to OpenAI against OpenAI's $22.4B of
    # commitments ($18.4B) and contract totals ($4B), none of it cash paid.
    text = ok("cycles", "--db", shipped_db, "--economics", "--through", "coreweave", "--limit", "1")
    assert ("   CoreWeave put in $350M in stock, got back $22.4B (incl. $18.4B commitment, $4B contract total) "
            "(64.00 per dollar)") in text.splitlines()


def test_since_until_count_the_same_deals_everywhere(shipped_db, shipped):
    period = Period.between("2025-06", "2025-12")
    kept = [r for r in shipped.relationships if period.keeps(r.date)]
    assert 0 < len(kept) < len(shipped.relationships)
    stats = json.loads(ok("stats", "--db", shipped_db, "--since", "2025-06", "--until", "2025-12", "--format", "json"))
    assert sum(stats["relationships"].values()) == len(kept)
    kept_ids = {r.id for r in kept}
    for loop in json.loads(ok("cycles", "--db", shipped_db, "--since", "2025-06", "--until", "2025-12", "--format", "json")):
        assert all(d["id"] in kept_ids for h in loop["hops"] for d in h["relationships"])
    rows = json.loads(ok("query", "vendor-financing", "--db", shipped_db, "--since", "2025-06", "--until", "2025-12",
                         "--format", "json"))
    assert all(d["id"] in kept_ids for r in rows for d in r["financing"] + r["purchases"])
    # Up to 2019 the only exposure is Microsoft's first $1B in OpenAI: with an assumed buffer,
    # its whole buffer (no equity figure is dated by 2019).
    stress = json.loads(ok("stress", "--db", shipped_db, "--fail", "openai", "--until", "2019", "--default-buffer", "1",
                           "--format", "json"))
    assert stress["entities"] == [
        {"entity": "openai", "loss": 1.0, "loss_usd": None, "buffer_usd": None, "buffer_from": "none",
         "scored": True, "exposure_usd": None, "cash_usd": None, "at_stake_usd": None, "round": 0, "path": ["openai"]},
        {"entity": "microsoft", "loss": 1.0, "loss_usd": 1e9, "buffer_usd": 1e9, "buffer_from": "assumed",
         "scored": True, "exposure_usd": 1e9, "cash_usd": None, "at_stake_usd": 1e9, "round": 1,
         "path": ["openai", "microsoft"]},
    ]
    for args in (["clusters"], ["funded-sales"], ["render", "--out", shipped_db.parent / "v.html"],
                 ["show", "coreweave"], ["concentration"]):
        ok(*args, "--db", shipped_db, "--since", "2025")
    # show counts only the period's deals: CoreWeave's deals before 2025 drop out
    every = json.loads(ok("show", "coreweave", "--db", shipped_db, "--format", "json"))
    recent = json.loads(ok("show", "coreweave", "--db", shipped_db, "--since", "2025", "--format", "json"))
    assert len(json.dumps(recent)) < len(json.dumps(every))


def test_lineage_is_read_as_of_the_period(shipped_db):
    """A deal counts in a period unless a deal of that period supersedes it: up to 2025-12,
    Nvidia's up-to-$100B letter of intent (2025-09) counts, as its replacement is dated 2026-02;
    it has no amount (only its ceiling), so the hop has none either."""

    def nvidia_to_openai(*period):
        loops = json.loads(ok("cycles", "--db", shipped_db, "--format", "json", *period))
        (loop,) = [c for c in loops if sorted(c["nodes"]) == ["nvidia", "openai"]]
        (hop,) = [h for h in loop["hops"] if (h["source"], h["target"]) == ("nvidia", "openai")]
        return hop["amount_usd"], {d["id"]: d["superseded_by"] for d in hop["relationships"]}

    assert nvidia_to_openai() == (30e9, {
        "nvidia-invests-openai-2025": ["nvidia-invests-openai-2026"], "nvidia-invests-openai-2026": []})
    assert nvidia_to_openai("--until", "2025-12") == (None, {"nvidia-invests-openai-2025": []})


@pytest.mark.parametrize("bad, message", [
    (["--since", "2025-13"], "Error: not a date: '2025-13' (use YYYY, YYYY-MM or YYYY-MM-DD)"),
    (["--since", "2026", "--until", "2025"], "Error: --since 2026 is after --until 2025: the period is empty"),
])
@pytest.mark.parametrize("command", [["cycles"], ["stats"], ["clusters"], ["stress", "--fail", "openai"],
                                     ["query", "lender-web"], ["funded-sales"], ["show", "coreweave"],
                                     ["concentration"], ["render", "--out", "never.html"]])
def test_bad_dates_are_one_line(shipped_db, command, bad, message):
    result = run(*command, "--db", shipped_db, *bad)
    assert result.exit_code == 1 and result.output.strip() == message


# --------------------------------------------------------------------------- the same on Neo4j


def neo4j_env(server):
    return {"NEO4J_URI": server.uri, "NEO4J_USERNAME": server.username or "",
            "NEO4J_PASSWORD": server.password or "", "NEO4J_DATABASE": server.database or ""}


def test_neo4j_uses_the_same_equity_figures(neo4j_db, neo4j_server, tmp_path):
    env = neo4j_env(neo4j_server)
    ok("load", *equity_files(tmp_path), env=env)
    ok("load", *equity_files(tmp_path), "--db", tmp_path / "s.db", env={"NEO4J_URI": ""})
    args = ["stress", "--fail", "neo", "--format", "json"]
    through_neo4j = ok(*args, env=env)
    assert '"buffer_from": "equity"' in through_neo4j
    assert through_neo4j == ok(*args, "--db", tmp_path / "s.db", env={"NEO4J_URI": ""})


def test_neo4j_gives_the_same_answers(neo4j_db, neo4j_server, shipped_db):
    env = neo4j_env(neo4j_server)
    ok("load", shipped_dataset_dir(), env=env)
    for args in (
        ["stress", "--fail", "openai", "--fail", "CoreWeave", "--format", "json"],
        ["stress", "--fail", "nvidia", "--default-buffer", "0.5", "--since", "2025", "--format", "csv"],
        ["clusters", "--format", "json"],
        ["funded-sales", "--format", "json"],
        ["cycles", "--ordered", "--format", "json"],
        ["cycles", "--ordered", "--window", "180", "--economics", "--through", "nvidia", "--format", "json"],
        ["cycles", "--since", "2025", "--until", "2025-12", "--economics", "--format", "json"],
        ["query", "vendor-financing", "--since", "2025-06", "--format", "json"],
        ["query", "customer-concentration", "--until", "2025", "--format", "json"],
        ["stats", "--since", "2024", "--format", "json"],
        ["show", "coreweave", "--since", "2025-06", "--format", "json"],
        ["concentration", "--until", "2025", "--format", "json"],
    ):
        through_neo4j = ok(*args, env=env)
        embedded = ok(*args, "--db", shipped_db, env={"NEO4J_URI": ""})
        assert through_neo4j == embedded, args
        assert len(through_neo4j) > 50
