"""`dealgraph deals`: the deals a filter picks, counted and summed (superseded ones listed,
not summed), on both engines, against sums worked out by hand."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import cli_on_store

from dealgraph.cli import DEAL_GROUPS
from dealgraph.analyses.deals import GROUPS

B = 1_000_000_000

ENTITIES = """id,name,kind,lender_type
coreweave,CoreWeave,neocloud,
nvidia,Nvidia,chipmaker,
blackstone,Blackstone,lender,private_credit
magnetar,Magnetar,fund,private_credit
jpm,JPMorgan,lender,bank
bonds,Bond investors,investor_group,bond_market
"""

# Amounts are whole or binary fractions of a billion, so every sum and share below is exact.
DEALS = """id,source,kind,target,amount_usd,date,status,supersedes
bx-2023,blackstone,lends_to,coreweave,2.5B,2023-07,closed,
bx-2024,blackstone,lends_to,coreweave,7.5B,2024-05,closed,
mag-loan,magnetar,lends_to,coreweave,500M,2025-06,,
mag-equity,magnetar,invests_in,coreweave,500M,2024-10,closed,
jpm-loi,jpm,lends_to,coreweave,3B,2024-06,loi,
jpm-signed,jpm,lends_to,coreweave,4B,2025-01,signed,jpm-loi
bond-notes,bonds,lends_to,coreweave,1.5B,2025-07,closed,
bond-converts,bonds,lends_to,coreweave,,2025-12,closed,
nv-equity,nvidia,invests_in,coreweave,1B,2023-04,closed,
nv-rents,nvidia,customer_of,coreweave,6.25B,2025-09,signed,
"""


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def deals_cli(request, tmp_path, monkeypatch):
    """``run(*args)``: `dealgraph deals ARGS` on a store holding the deals above, embedded or Neo4j."""
    return _cli(request, tmp_path, monkeypatch, DEALS)


# Talks and terminated deals count nowhere by default (graph/model/lineage.py), here too.
TALKS = """id,source,kind,target,amount_usd,date,status
bx-closed,blackstone,lends_to,coreweave,2B,2024-05,closed
jpm-talks,jpm,lends_to,coreweave,3B,2025-01,talks
bond-dead,bonds,lends_to,coreweave,500M,2025-02,terminated
"""


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def talks_cli(request, tmp_path, monkeypatch):
    return _cli(request, tmp_path, monkeypatch, TALKS)


def test_talks_and_terminated_deals_are_listed_not_summed_unless_asked(talks_cli):
    plain = talks_cli.json("--target", "coreweave")
    assert [d["id"] for d in plain["deals"]] == ["bx-closed", "jpm-talks", "bond-dead"]
    assert [d["counted"] for d in plain["deals"]] == [True, False, False]
    assert (plain["total"]["deals"], plain["total"]["counted_deals"], plain["total"]["amount_usd"]) == (3, 1, 2 * B)
    every = talks_cli.json("--target", "coreweave", "--include-talks")
    assert (every["total"]["counted_deals"], every["total"]["amount_usd"]) == (3, 5.5 * B)


def _cli(request, tmp_path, monkeypatch, deals):
    return cli_on_store(request, tmp_path, monkeypatch,
                        {"entities.csv": ENTITIES, "relationships.csv": deals}, "deals")


def groups(result):
    return {g["group"]: (g["deals"], g["counted_deals"], g["amount_usd"], g["share"], g["unknown_amount_deals"])
            for g in result["groups"]}


def total(result):
    t = result["total"]
    return t["deals"], t["counted_deals"], t["amount_usd"], t["unknown_amount_deals"]


def test_coreweave_debt_by_lender_type(deals_cli):
    result = deals_cli.json("--kind", "lends_to", "--target", "coreweave", "--group-by", "lender-type")
    # private credit: Blackstone 2.5 + 7.5, Magnetar 0.5; bank: JPMorgan's 4 (its 3 LOI is superseded);
    # bond market: 1.5 known + notes of unknown size. 16 in all.
    assert groups(result) == {
        "private_credit": (3, 3, 10.5 * B, 10.5 / 16, 0),
        "bank": (2, 1, 4 * B, 4 / 16, 0),
        "bond_market": (2, 2, 1.5 * B, 1.5 / 16, 1),
    }
    assert [g["group"] for g in result["groups"]] == ["private_credit", "bank", "bond_market"]
    assert total(result) == (7, 6, 16 * B, 1)
    bank = next(g for g in result["groups"] if g["group"] == "bank")
    assert [(d["id"], d["counted"], d["superseded_by"]) for d in bank["relationships"]] == [
        ("jpm-loi", False, ["jpm-signed"]), ("jpm-signed", True, [])]

    table = deals_cli("--kind", "lends_to", "--target", "CoreWeave", "--group-by", "lender-type").output
    lines = table.splitlines()
    assert lines[0].split() == ["lender-type", "deals", "counted", "amount_usd", "share", "unknown_amount"]
    assert lines[2].split() == ["private_credit", "3", "3", "$10.5B", "65.6%", "0"]
    assert "    - JPMorgan lends to CoreWeave: $3B, 2024-06; superseded by jpm-signed, not counted; status loi" \
        in lines
    assert lines[-1] == "7 deals, 6 counted: $16B (1 of unknown amount); 1 not counted (listed only)"


def test_one_entitys_deals_either_side_in_a_period(deals_cli):
    both = deals_cli.json("--entity", "coreweave", "--kind", "invests_in")
    assert [d["id"] for d in both["deals"]] == ["nv-equity", "mag-equity"]  # date order
    assert total(both) == (2, 2, 1.5 * B, 0)
    assert both["groups"] == []
    since = deals_cli.json("--entity", "coreweave", "--kind", "invests_in", "--since", "2024")
    assert [d["id"] for d in since["deals"]] == ["mag-equity"]
    assert total(since) == (1, 1, 0.5 * B, 0)
    until = deals_cli.json("--source", "nvidia", "--until", "2024-12")
    assert total(until) == (1, 1, 1 * B, 0)
    assert deals_cli.json("--source", "coreweave")["deals"] == []  # CoreWeave is only ever a target here


def test_group_by_year_source_status_and_kind(deals_cli):
    by_year = deals_cli.json("--source", "blackstone", "--group-by", "year")
    assert groups(by_year) == {"2023": (1, 1, 2.5 * B, 0.25, 0), "2024": (1, 1, 7.5 * B, 0.75, 0)}
    by_source = deals_cli.json("--kind", "lends_to", "--group-by", "source")
    assert {k: v[2] for k, v in groups(by_source).items()} == {
        "blackstone": 10 * B, "jpm": 4 * B, "bonds": 1.5 * B, "magnetar": 0.5 * B}
    by_status = deals_cli.json("--target", "coreweave", "--group-by", "status")
    # closed: 2.5 + 7.5 + 0.5 + 1.5 + 1 (+ notes of unknown size); signed: 4 + 6.25; the LOI is
    # superseded; Magnetar's loan has no status.
    assert groups(by_status) == {
        "closed": (6, 6, 13 * B, 13 / 23.75, 1), "signed": (2, 2, 10.25 * B, 10.25 / 23.75, 0),
        None: (1, 1, 0.5 * B, 0.5 / 23.75, 0), "loi": (1, 0, None, None, 0),
    }
    assert [g["group"] for g in by_status["groups"]][-1] == "loi"  # nothing summed: last
    by_kind = deals_cli("--target", "coreweave", "--group-by", "status").output
    assert "(no status given)" in by_kind
    kinds = deals_cli.json("--target", "coreweave", "--group-by", "kind")
    assert {k: v[2] for k, v in groups(kinds).items()} == {
        "lends_to": 16 * B, "customer_of": 6.25 * B, "invests_in": 1.5 * B}


def test_counterparty_kind_status_and_amount_range(deals_cli):
    funds = deals_cli.json("--target", "coreweave", "--counterparty-kind", "fund")
    assert [d["id"] for d in funds["deals"]] == ["mag-equity", "mag-loan"]
    assert total(funds) == (2, 2, 1 * B, 0)
    by_kind = deals_cli.json("--entity", "coreweave", "--group-by", "counterparty-kind")
    assert {k: v[2] for k, v in groups(by_kind).items()} == {
        "lender": 14 * B, "chipmaker": 7.25 * B, "investor_group": 1.5 * B, "fund": 1 * B}
    banks = deals_cli.json("--entity", "coreweave", "--lender-type", "bank", "--lender-type", "bond_market")
    assert total(banks) == (4, 3, 5.5 * B, 1)
    closed = deals_cli.json("--kind", "lends_to", "--status", "closed", "--status", "loi")
    assert total(closed) == (5, 4, 11.5 * B, 1)
    # 2B to 5B: Blackstone's 2.5, JPMorgan's 3 (superseded: listed) and 4; unknown amounts are out.
    ranged = deals_cli.json("--kind", "lends_to", "--min-amount", "2B", "--max-amount", "5000M")
    assert [(d["id"], d["counted"]) for d in ranged["deals"]] == [
        ("bx-2023", True), ("jpm-loi", False), ("jpm-signed", True)]
    assert total(ranged) == (3, 2, 6.5 * B, 0)


def test_csv_stays_raw_and_table_reads(deals_cli):
    rows = list(csv.DictReader(io.StringIO(deals_cli("--source", "jpm", "--format", "csv").output)))
    assert [(r["id"], r["amount_usd"], r["counted"], r["superseded_by"]) for r in rows] == [
        ("jpm-loi", "3000000000", "no", "jpm-signed"), ("jpm-signed", "4000000000", "yes", "")]
    grouped = list(csv.DictReader(io.StringIO(
        deals_cli("--kind", "lends_to", "--group-by", "lender-type", "--target", "coreweave", "--format", "csv").output)))
    assert grouped[0] == {"lender-type": "private_credit", "deals": "3", "counted_deals": "3",
                          "amount_usd": "10500000000", "share": "0.65625", "unknown_amount_deals": "0"}
    table = deals_cli("--source", "nvidia").output
    assert table.splitlines()[0] == "- Nvidia invests in CoreWeave: $1B, 2023-04; status closed"
    assert table.splitlines()[-1] == "2 deals, 2 counted: $7.2B"
    assert deals_cli("--source", "nvidia", "--kind", "lends_to").output.strip() == "No deals match."


@pytest.mark.parametrize("args, message", [
    (["--group-by", "lender-type"], "give --entity, or one of --source / --target"),
    (["--counterparty-kind", "fund", "--source", "bonds", "--target", "coreweave"], "give --entity, or one of"),
    (["--entity", "coreweave", "--source", "bonds"], "not both"),
    (["--kind", "lends to"], "unknown relationship kind 'lends to' (did you mean lends_to?)"),
    (["--status", "done"], "unknown status 'done'; allowed: talks, loi, signed"),
    (["--lender-type", "shadow", "--entity", "coreweave"], "unknown lender type 'shadow'"),
    (["--counterparty-kind", "Data-Center", "--entity", "coreweave"], "unknown entity kind 'Data-Center' (did you mean data_center?)"),
    (["--min-amount", "5B", "--max-amount", "1B"], "the minimum amount is above the maximum amount"),
    (["--target", "coreweeve"], "did you mean CoreWeave (coreweave)?"),
])
def test_bad_question_is_one_line(deals_cli, args, message):
    result = deals_cli(*args, ok=False)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_groups_are_the_analysis_groups():
    assert DEAL_GROUPS == GROUPS
