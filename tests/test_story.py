"""The demo's story and the commands that keep asking: `show`, `concentration`, and a store
that can be found right after the demo. Hand-computed expectations on the shipped data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.analyses.story import what_stands_out
from dealgraph.output.entity_text import story_text


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("story") / "demo"
    result = run("demo", "--out", out)
    assert result.exit_code == 0, result.output
    (out / "output.txt").write_text(result.output, encoding="utf-8")
    return out


def test_the_demo_tells_what_stands_out(demo_dir):
    output = (demo_dir / "output.txt").read_text(encoding="utf-8")
    story = output[output.index("What stands out:"):output.index("money-flow loops")]
    assert "- Nvidia is CoreWeave's supplier, investor and customer:" in story
    # $100M (2023; the "~6% pre-IPO stake" is that same position, one row now) + $2B (2026);
    # $1.3B Osprey + $6.3B backstop.
    assert "    as investor: $2.1B in 2 deal(s)" in story
    # the Osprey contract total and the backstop commitment are not cash paid: their bases said
    assert "    as customer: $7.6B (incl. $6.3B commitment, $1.3B contract total) in 2 deal(s)" in story
    # CoreWeave issued OpenAI $350M of shares (granted_shares_by, amount_basis stock): no cash
    # was paid, so OpenAI holds the shares but is not an investor
    assert "- OpenAI is CoreWeave's shareholder and customer:" in story
    assert "    as shareholder: $350M in stock in 1 deal(s)" in story
    assert "Microsoft's share of CoreWeave's revenue, as stated: 35% (2023) → 62% (2024) → 71% (2025-Q2) → 67% (2025)." in story
    # By contracts alone: Microsoft's ~$10B of a $75.2B known contract book = 13.3% (Microsoft $10B,
    # OpenAI $11.9B + $4B + $6.5B, Meta $14.2B + $21B, Nvidia $1.3B + $6.3B; Poolside's has no amount).
    assert "it would look like 13.3%" in story
    # $21.4B / $5.13B = 4.17; $19.9B / $5.13B = 3.88 and $39.1B / $5.13B = 7.62 (the two lease-
    # obligation figures shipped: the Q1 and Q3 2025 10-Qs' leases signed but not yet commenced).
    assert "debt outstanding $21.4B as of 2025-12-31 = 4.2× revenue" in story
    assert "lease obligations $19.9B as of 2025-03-31 = 3.9× revenue" in story
    assert "lease obligations $39.1B as of 2025-09-30 = 7.6× revenue" in story
    assert story.count("lease obligations") == 2
    assert "    $50B  Amazon → OpenAI → Amazon" in story
    assert "    CoreWeave: Microsoft 67%, HHI 4,489 (stated revenue share, 2025)" in story


def test_the_demo_ends_with_the_next_commands_and_they_work(demo_dir):
    output = (demo_dir / "output.txt").read_text(encoding="utf-8")
    db = demo_dir / "dealgraph.db"
    assert f"  export DEALGRAPH_DB={db}\n" in output
    assert f"(or add --db {db} to each command instead of the export)" in output
    result = run("cycles", "--through", "CoreWeave", "--limit", "1", env={"DEALGRAPH_DB": str(db)})
    assert result.exit_code == 0 and "CoreWeave" in result.output


def test_right_after_the_demo_a_plain_command_finds_its_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEALGRAPH_DB", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    assert run("demo").exit_code == 0
    result = CliRunner().invoke(main, ["cycles"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: dealgraph.db: no store here yet; the demo's store is dealgraph-demo/dealgraph.db: "
        "add --db dealgraph-demo/dealgraph.db, or run: export DEALGRAPH_DB=dealgraph-demo/dealgraph.db"
    )
    assert not (tmp_path / "dealgraph.db").exists()


def test_concentration_on_the_shipped_data(demo_dir):
    db = demo_dir / "dealgraph.db"
    rows = json.loads(run("concentration", "--format", "json", "--db", db).output)
    first = rows[0]
    assert (first["entity"], first["top_customer"], first["top_share_pct"], first["hhi"], first["basis"]) == (
        "coreweave", "microsoft", 67.0, 4489.0, "stated revenue share")  # 67² = 4489
    # Nvidia's one stated share: hyperscalers, ~50% of data-center revenue (Q4 FY2026)
    assert (rows[1]["entity"], rows[1]["basis"], rows[1]["top_share_pct"]) == ("nvidia", "stated revenue share", 50.0)
    assert all(r["basis"] == "known contract values" and r["customers"] >= 2 for r in rows[2:])
    # Oracle is gone: Meta's ~$20B is in talks (counts nowhere), OpenAI's $300B is its one known customer.
    assert "oracle" not in {r["entity"] for r in rows}
    # Microsoft: OpenAI's $250B Azure commitment of $250B + Anthropic's $30B = 89.29%;
    # HHI 89.29² + 10.71² = 7971.94 + 114.80
    microsoft = next(r for r in rows if r["entity"] == "microsoft")
    assert microsoft["top_customer"] == "openai" and microsoft["customers"] == 2
    assert microsoft["top_share_pct"] == pytest.approx(25000 / 280) and microsoft["hhi"] == pytest.approx(
        (25000 / 280) ** 2 + (3000 / 280) ** 2)
    table = run("concentration", "--db", db, "--limit", "2").output
    assert table.splitlines()[2].split() == ["1", "CoreWeave", "Microsoft", "67%", "4,489", "1", "stated",
                                             "revenue", "share", "2025"]
    parsed = list(csv.DictReader(io.StringIO(run("concentration", "--format", "csv", "--db", db).output)))
    assert parsed[0]["entity"] == "coreweave" and parsed[0]["top_share_pct"] == "67"


def test_show_on_the_shipped_data(demo_dir):
    db = demo_dir / "dealgraph.db"
    profile = json.loads(run("show", "CoreWeave Inc.", "--format", "json", "--db", db).output)
    assert profile["entity"]["id"] == "coreweave"
    # revenue 8, capex 3, debt 5, lease obligations 2, backlog 6, equity 1, cash 3, customer shares 5
    assert len(profile["figures"]) == 33
    assert profile["customer_concentration"]["top_customer"] == "microsoft"
    assert profile["deals"]["in"]["customer_of"]["deals"][0]["reads"].endswith("customer_of CoreWeave")
    assert {tuple(c["nodes"]) for c in profile["loops"]} >= {("coreweave", "nvidia")}
    lenders = profile["lender_concentration"]
    assert lenders["basis"] == "known loan amounts" and lenders["top_share_pct"] == pytest.approx(
        100 * max(l["total_usd"] for l in lenders["lenders"]) / lenders["known_usd"])
    table = run("show", "coreweave", "--db", db).output
    for heading in ("Figures over time:", "Deals it makes:", "Deals made with it:", "Money loops through it",
                    "Customer concentration:", "Lender concentration:"):
        assert heading in table
    assert "One customer's share of revenue (Microsoft) 2025: 67%" in table
    rows = list(csv.DictReader(io.StringIO(run("show", "coreweave", "--format", "csv", "--db", db).output)))
    assert {r["section"] for r in rows} >= {"figure", "deal_in", "deal_out", "loop", "customer_concentration",
                                            "lender_concentration"}
    microsoft = json.loads(run("show", "microsoft", "--format", "json", "--db", db).output)
    assert [f["percent"] for f in microsoft["figures_as_counterparty"]] == [35.0, 62.0, 71.0, 67.0]
    bad = CliRunner().invoke(main, ["show", "nobody", "--db", str(db)])
    assert bad.exit_code == 1 and bad.output.strip() == "Error: no entity with id, name or alias 'nobody'"


def test_the_story_comes_from_the_store(tmp_path):
    # Other numbers in, other numbers out: nothing in the story is written down in advance.
    entities = [Entity("coreweave", "CW"), Entity("nvidia", "NV"), Entity("msft", "MS")]
    deals = [
        Relationship("a", "nvidia", "supplies", "coreweave", 5.0),
        Relationship("b", "nvidia", "lends_to", "coreweave", 7.0),
        Relationship("c", "msft", "customer_of", "coreweave", 1.0),
        Relationship("old", "nvidia", "lends_to", "coreweave", 70.0),  # replaced by b: adds nothing
        Relationship("b2", "nvidia", "lends_to", "coreweave", None, supersedes="old"),
        Relationship("e", "nvidia", "invests_in", "coreweave", 3.0, amount_basis="stock"),
    ]
    figures = [
        Figure("r", "coreweave", "revenue", amount_usd=10.0, period="2030"),
        Figure("r2", "coreweave", "revenue", amount_usd=99.0, period="2031", as_of="2031-02"),  # a forecast
        Figure("d", "coreweave", "debt", amount_usd=25.0, as_of="2030-12-31"),
        Figure("s", "coreweave", "customer_share", "msft", percent=40.0, period="2030"),
    ]
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(entities, deals, figures=figures)
        story = what_stands_out(store, "coreweave", cycles=[])
    assert story["entangled"] == [{"entity": "nvidia", "name": "NV", "roles": [
        {"role": "supplier", "deals": ["a"], "known_usd": 5.0, "known_by_basis": [[5.0, None]]},
        {"role": "investor", "deals": ["e"], "known_usd": 3.0, "known_by_basis": [[3.0, "stock"]]},
        {"role": "lender", "deals": ["b", "b2", "old"], "known_usd": 7.0, "known_by_basis": [[7.0, None]]}]}]
    text = story_text(story)
    assert "    as investor: $3 in stock in 1 deal(s)" in text and "    as lender: $7 in 3 deal(s)" in text
    assert story["customer_share"]["history"][0]["percent"] == 40.0
    assert story["customer_share"]["share_by_known_contracts_pct"] == 100.0
    assert story["obligations"]["revenue"]["id"] == "r"
    assert story["obligations"]["against_revenue"][0]["times_revenue"] == 2.5


def test_amounts_say_their_basis_when_not_cash(demo_dir):
    """An amount that is not cash paid says so wherever it is quoted or summed in one line:
    `show`'s role totals and deal lines, `deals`' deal lines and total (model/values.py)."""
    db = demo_dir / "dealgraph.db"
    show = run("show", "coreweave", "--db", db).output
    # $100M (Nvidia 2023) + $1.46B (IPO) + $2B (Nvidia 2026), Magnetar's of no amount; the
    # $350M of shares CoreWeave issued to OpenAI are no investment
    assert "  invests_in (4, known total $3.6B):" in show
    assert "  granted_shares_by (1, known total $350M in stock):" in show
    assert "    OpenAI granted_shares_by CoreWeave  $350M in stock (no cash paid by OpenAI:" in show
    deals = run("deals", "--kind", "granted_shares_by", "--source", "openai", "--target", "coreweave",
                "--db", db).output
    assert "- OpenAI granted shares by CoreWeave: $350M in stock (no cash paid by OpenAI:" in deals
    assert deals.rstrip().endswith("1 deal, 1 counted: $350M in stock")


def test_every_non_cash_basis_has_its_words():
    from dealgraph.model.records import schema
    from dealgraph.model.values import BASIS_WORDS

    basis = next(f for f in schema().fields("relationship") if f.name == "amount_basis")
    assert set(basis.values) == set(BASIS_WORDS) | {"cash"}


def test_every_role_word_of_the_schema_is_told():
    """A counterparty's roles are told in ROLE_ORDER: a kind's role word missing there would
    count towards "two or more roles" but never be shown."""
    from dealgraph.analyses.story import ROLE_ORDER
    from dealgraph.model.records import schema

    words = {w for k in schema().relationship_kinds.values() for w in k.parties if w}
    assert words == set(ROLE_ORDER)
