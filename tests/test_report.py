"""Text, JSON and CSV renderings: deals read as they read, with their caveats and evidence."""

from __future__ import annotations

import csv
import io
import json

import pytest

from dealgraph.output import text as report
from dealgraph.analyses.queries import cycles, run_query


@pytest.fixture(scope="module")
def names(shipped_store):
    return {e.id: e.name for e in shipped_store.entities()}


def test_hop_lines_read_as_the_deal_reads_with_caveats(shipped_store, names):
    loop = next(c for c in cycles(shipped_store) if c["nodes"] == ["coreweave", "nvidia"])
    text = report.cycles_table([loop], names)
    assert "   CoreWeave pays Nvidia: ? in 1 deal\n     - Nvidia supplies CoreWeave: ?" in text
    assert "CoreWeave → Nvidia supplies" not in text
    assert "money that can go all the way round: ? (smallest known hop $9.7B, 1 hop of unknown size)" in text
    assert "known ≥" not in report.cycles_summary(cycles(shipped_store), names)
    nvidia_openai = next(c for c in cycles(shipped_store) if c["nodes"] == ["nvidia", "openai", "oracle"])
    text = report.cycles_table([nvidia_openai], names)
    # the $30B of Feb 2026 counts; the stalled up-to-$100B letter of intent (no amount) it supersedes does not
    # on its basis: Nvidia's $30B is an equity commitment, OpenAI's $300B to Oracle a contract total
    assert "Nvidia pays OpenAI: $30B (commitment) in 1 deal (+1 superseded, not counted)" in text
    assert "OpenAI pays Oracle: $300B (contract total) in 1 deal" in text
    assert "Oracle pays Nvidia: ~$40B (estimate) in 1 deal\n" in text  # no "; size" saying it again
    assert "- Nvidia invests in OpenAI: ? (up to $100B, invested progressively as each GW" in text
    assert "2025-09-22; superseded by nvidia-invests-openai-2026, not counted" in text
    assert '"OpenAI and NVIDIA systems partnership" https://openai.com/index/openai-nvidia-systems-partnership/' in text


def test_cycles_json_deals_carry_caveats_and_lineage(shipped_store):
    loop = next(c for c in cycles(shipped_store) if c["nodes"] == ["nvidia", "openai", "oracle"])
    assert list(loop) == ["nodes", "hops", "min_amount_usd", "size_usd", "size_basis", "size_hop", "unsized_hops"]
    hop = loop["hops"][0]
    assert list(hop) == ["source", "target", "amount_usd", "relationships", "size_usd", "size_basis", "unknown_why"]
    deals = {d["id"]: d for d in hop["relationships"]}
    assert deals["nvidia-invests-openai-2026"] == {
        "id": "nvidia-invests-openai-2026", "kind": "invests_in", "amount_usd": 30e9, "date": "2026-02-27",
        "evidence_url": "https://www.tomshardware.com/tech-industry/amazon-invests-50-billion-in-openai",
        "source": "nvidia", "target": "openai",
        "amount_note": "part of OpenAI's round announced at $110B on a $730B pre-money valuation (closed "
                       "2026-03-31 at $122B); replaces the stalled up-to-$100B letter of intent",
        "evidence_title": "Amazon invests $50 billion in OpenAI, committing to 2 gigawatts of Trainium silicon",
        "supersedes": "nvidia-invests-openai-2025", "expands": None, "amount_basis": "commitment", "status": "signed",
        "amount_low": None, "amount_high": None, "superseded_by": [],
    }
    assert deals["nvidia-invests-openai-2025"]["superseded_by"] == ["nvidia-invests-openai-2026"]
    assert json.loads(report.format_cycles([loop], "json")) == [loop]


def test_summary_says_what_is_known_of_a_loop_with_unknown_hops(shipped_store, names):
    summary = report.cycles_summary(cycles(shipped_store), names)
    # After the 12 loops of $5B and more, the five of $350M that the shares CoreWeave granted
    # OpenAI close (every hop stated) rank before the loops with an unknown hop; of those, the
    # two through AMD's warrant (~$34B at issue, an estimate) come first, then Nvidia's $30B.
    assert " 13. CoreWeave → OpenAI → CoreWeave   $350M" in summary
    assert " 18. AMD → OpenAI → AMD   ? (smallest known hop ~$34B (estimate), 1 hop of unknown size)" in summary
    assert " 19. AMD → OpenAI → Oracle → AMD   ? (smallest known hop ~$34B (estimate), 1 hop of unknown size)" in summary
    assert " 20. Nvidia → OpenAI → Nvidia   ? (smallest known hop $30B, 1 hop of unknown size)" in summary
    assert "CoreWeave → Poolside → CoreWeave   ? (no hop amount known)" in summary
    assert "known ≥" not in summary


def test_query_table_lists_each_deal_as_it_reads(shipped_store, names):
    rows = run_query(shipped_store, "lender-web", {"entity": "abilene-jv"})
    text = report.format_rows(rows, "table", names)
    lines = text.splitlines()
    assert lines[0].split() == ["lender", "lender_name", "borrower", "borrower_name", "deals", "total_usd",
                                "lender_total_usd"]
    assert "  relationships:" in lines
    assert ("    - JPMorgan lends to Abilene AI data center JV: $7.1B (facility size; phase 2 construction loan; follows $2.3B "
            "phase 1 loan in Jan 2025), 2025-05-21; expands jpmorgan-lends-abilene-jv-2025-phase-1") in lines
    assert any(line.startswith('      "JP Morgan Chase Lends $7B on Oracle-Leased') for line in lines)
    vendor = report.format_rows(run_query(shipped_store, "vendor-financing", {"entity": "openai"}), "table", names)
    assert "- Nvidia invests in OpenAI: ? (up to $100B, invested progressively" in vendor
    assert "superseded by nvidia-invests-openai-2026, not counted" in vendor


def test_query_csv_and_json_carry_caveats(shipped_store):
    rows = run_query(shipped_store, "customer-concentration", {"vendor": "applied-digital"})
    parsed = list(csv.DictReader(io.StringIO(report.format_rows(rows, "csv"))))
    assert [(r["customer"], r["deals"], r["contract_usd"]) for r in parsed] == [("coreweave", "1", "11000000000")]
    listed = json.loads(parsed[0]["relationships"])
    assert [(d["id"], d["amount_note"], d["superseded_by"]) for d in listed] == [
        ("coreweave-leases-from-applied-digital-2025-250mw",
         "approx.; two ~15-year leases for 250 MW at Ellendale ND (Polaris Forge 1); option on a further 150 MW",
         ["coreweave-leases-from-applied-digital-2025-400mw"]),
        ("coreweave-leases-from-applied-digital-2025-400mw",
         "approx.; total after a third lease for an extra 150 MW (400 MW, ~15 years, third building ready 2027); "
         "includes the earlier ~$7B", []),
    ]
    assert all(d["evidence_title"] for d in listed)
    assert json.loads(report.format_rows(rows, "json")) == rows


def test_query_tables_write_amounts_and_shares_as_they_read(shipped_store, names):
    rows = run_query(shipped_store, "customer-concentration", {"vendor": "coreweave"})
    meta = next(r for r in rows if r["customer"] == "meta")
    assert (meta["contract_usd"], meta["vendor_total_usd"]) == (35.2e9, 75.2e9)  # raw in the rows
    table = report.format_rows(rows, "table", names)
    meta_line = next(line for line in table.splitlines() if line.startswith("coreweave  meta"))
    assert meta_line.split() == ["coreweave", "meta", "Meta", "2", "$35.2B", "46.8%", "$75.2B", "no", "0"]
    assert "0.468" not in table and "35200000000" not in table
    # JSON and CSV keep the raw numbers.
    parsed = list(csv.DictReader(io.StringIO(report.format_rows(rows, "csv"))))
    meta_csv = next(r for r in parsed if r["customer"] == "meta")
    assert (meta_csv["contract_usd"], meta_csv["share"]) == ("35200000000", str(meta["share"]))
    assert json.loads(report.format_rows(rows, "json")) == rows


@pytest.mark.parametrize("column, value, shown", [
    ("total_usd", 1.10175e12, "$1.1T"), ("min_amount_usd", 9.7e9, "$9.7B"), ("funding_usd", 667.7e6, "$667.7M"),
    ("share", 1.0, "100%"), ("share", 0.2978723404255319, "29.8%"), ("top_share_pct", 93.75, "93.8%"),
    ("hhi", 8827.6, "8,828"), ("deals", 3, "3"), ("via", ["a", "b"], "a, b"), ("contract_usd", None, ""),
    ("name", "Oracle", "Oracle"),
])
def test_table_cells_by_column_meaning(column, value, shown):
    assert report.table_cell(column, value) == shown


def test_long_cells_wrap_whole_instead_of_being_cut():
    rows = [{"entities": [f"entity-{i:02d}" for i in range(20)], "deals": 46}]
    lines = report.format_rows(rows, "table").splitlines()
    body = " ".join(line.removesuffix("46").strip() for line in lines[2:])
    assert all(f"entity-{i:02d}" in body for i in range(20))
    assert "…" not in "\n".join(lines)
    assert max(len(line) for line in lines) <= 60 + 2 + len("deals")
    assert lines[2].endswith("46") and not lines[3].endswith("46")  # the row's other cells on its first line


def test_clusters_table_lists_every_member(shipped_db):
    from click.testing import CliRunner

    from dealgraph.cli import main

    def run(*args):
        result = CliRunner().invoke(main, ["clusters", "--db", str(shipped_db), *args])
        assert result.exit_code == 0, result.output
        return result.output

    clusters = json.loads(run("--format", "json"))
    assert max(len(c["entities"]) for c in clusters) > 6  # long enough that a 60-character cell would cut it
    table = run()
    assert "…" not in table
    listed = set(table.replace(",", " ").split())
    assert {e for c in clusters for e in c["entities"]} <= listed
    assert f"{report.usd(clusters[0]['total_flow_usd'])}" in table.splitlines()[2]
