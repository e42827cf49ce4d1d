"""Stress on real balance sheets, checked against common sense on the shipped data.

Whatever equity figures the shipped data holds (the expectations are computed from the
data here, not written down), a failure must obey what a reader would check by hand:

* an entity with an equity figure loses at most what it had at stake on the entities hit,
  over its equity (Microsoft's loss from CoreWeave's failure is bounded by its exposure to
  CoreWeave over its equity, when CoreWeave is the only one hitting it), so an entity whose
  equity is far above its exposure is never wiped out;
* an entity with no equity figure is not scored: no loss fraction, its lost exposure in
  dollars (at most its exposure), its line saying so; the shock never travels through it;
* no buffer is assumed unless asked for.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from dealgraph.analyses.stress import debtrank, exposures, latest_figures
from dealgraph.cli import main
from dealgraph.load import shipped_dataset_dir
from dealgraph.loaders import read_dataset
from dealgraph.model.lineage import counting_deals
from dealgraph.output.text import usd

FAILURES = [["coreweave"], ["openai"], ["oracle"], ["coreweave", "openai"]]

#: Hand-made equity figures laid over the shipped ones, so the scored side of the rules is
#: exercised whatever the shipped data holds (round numbers, not anyone's balance sheet).
HAND_EQUITY = {"microsoft": 3.0e11, "nvidia": 8.0e10, "oracle": 2.0e10, "softbank": 1.0e11}


@pytest.fixture(scope="module")
def shipped():
    return read_dataset([shipped_dataset_dir()])


def check_common_sense(result, table, equity):
    failed = set(result.failed)
    scored = {s.entity for s in result.shocks if s.loss is not None}
    passed_on = failed | scored  # an entity not scored passes nothing on
    for s in result.shocks:
        if s.entity in failed:
            continue
        at_stake = {i: row[s.entity] for i, row in table.at_stake.items() if s.entity in row}
        on_hit = sum(a for i, a in at_stake.items() if i in passed_on)
        assert s.exposure_usd == pytest.approx(table.total[s.entity])
        # the shock came only through the failed or scored entities
        assert all(v in failed or v in scored for v in s.path[:-1]), s
        if s.entity in equity:
            assert (s.buffer_from, s.buffer_usd) == ("equity", equity[s.entity]), s
            assert s.loss <= min(1.0, on_hit / equity[s.entity]) + 1e-12, s
            if equity[s.entity] >= 2 * table.total[s.entity]:
                assert s.loss <= 0.5 + 1e-12, s  # far above its exposure: never wiped out
            if set(at_stake) & passed_on <= failed and len(failed) == 1:
                # hit by the failed entity alone: exactly its exposure to it over its equity
                [f] = failed
                assert s.loss == pytest.approx(min(1.0, at_stake[f] / equity[s.entity])), s
        else:
            assert (s.loss, s.buffer_usd, s.buffer_from) == (None, None, "none"), s
            assert 0 < s.loss_usd <= min(on_hit, table.total[s.entity]) * (1 + 1e-12), s


@pytest.mark.parametrize("failed", FAILURES)
@pytest.mark.parametrize("laid_over", [{}, HAND_EQUITY], ids=["shipped equity", "hand equity laid over"])
def test_shipped_failures_obey_common_sense(shipped, failed, laid_over):
    equity = {**latest_figures(shipped.figures, "equity"), **laid_over}
    table = exposures(counting_deals(shipped.relationships))
    result = debtrank(table, failed, equity=equity)
    check_common_sense(result, table, equity)
    assert len(result.shocks) > len(failed)  # the failure reaches someone
    if failed == ["coreweave"] and "microsoft" in equity:
        # the story's check, by name: Microsoft's loss is bounded by its exposure to what passed
        # the shock on (CoreWeave, and the scored entities hit) over its equity
        msft = {s.entity: s for s in result.shocks}.get("microsoft")
        scored = {s.entity for s in result.shocks if s.loss is not None}
        to_hit = sum(row.get("microsoft", 0.0) for i, row in table.at_stake.items() if i in scored)
        assert (msft is None) == (to_hit == 0)
        if msft is not None:
            assert msft.loss <= to_hit / equity["microsoft"] + 1e-12


def test_the_stress_command_on_the_shipped_data_says_which_lines_are_not_scored(shipped_db, shipped):
    run = CliRunner().invoke(main, ["stress", "--db", str(shipped_db), "--fail", "coreweave", "--format", "json"])
    assert run.exit_code == 0, run.output
    result = json.loads(run.output)
    equity = latest_figures(shipped.figures, "equity")
    cash = latest_figures(shipped.figures, "cash")
    assert result["default_buffer"] is None
    assert all(e["buffer_from"] in ("equity", "none") for e in result["entities"])  # nothing assumed
    unscored = [e for e in result["entities"] if not e["scored"]]
    assert result["unscored"] == len(unscored) == sum(1 for e in result["entities"] if e["round"] and e["entity"] not in equity)
    for e in result["entities"]:
        assert e["cash_usd"] == cash.get(e["entity"])
    names = {e.id: e.name for e in shipped.entities}
    text = CliRunner().invoke(main, ["stress", "--db", str(shipped_db), "--fail", "coreweave"]).output
    for e in unscored:
        assert f"{names[e['entity']]}  no equity figure: loss {usd(e['loss_usd'])} of exposure, not scored" in text
    # asked for, an assumed buffer scores everyone without an equity figure, and each such line says so
    args = ["stress", "--db", str(shipped_db), "--fail", "coreweave", "--default-buffer", "1"]
    rows = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).output)["entities"]
    assumed = [e for e in rows if e["round"] and e["buffer_from"] == "assumed"]
    assert assumed and all(e["entity"] not in equity for e in assumed)
    # an entity with a cash figure reads "... assumed buffer (cash $X), round n": 27 lines, 3 of them with cash
    lines = [line for line in CliRunner().invoke(main, args).output.splitlines()
             if re.search(r"assumed buffer( \(cash [^)]*\))?, round \d", line)]
    assert len(lines) == len(assumed)
    assert sum("assumed buffer (cash" in line for line in lines) == sum(e["cash_usd"] is not None for e in assumed)
    for e in assumed:
        assert sum(f"  {names[e['entity']]}  lost {usd(e['loss_usd'])} of " in line for line in lines) == 1, e


def test_coreweave_failing_on_the_shipped_balance_sheets_by_hand(shipped_db):
    """CoreWeave fails, shipped data, no assumed buffer: checked by hand against the rows.

    Three entities hit have an equity figure. Nvidia's exposure to CoreWeave is its two stakes,
    $100M (nvidia-invests-coreweave-2023) + $2B (nvidia-invests-coreweave-2026) = $2.1B (its
    $1.3B and $6.3B purchase commitments expose CoreWeave, not Nvidia; its GPU sales have no
    amount), against $118.897B of equity (nvidia-equity-2025-10-26, its latest as-of) = 1.77%.
    CoreWeave's two landlords lose their whole equity: Applied Digital is owed the ~$11B of the
    400 MW leases (coreweave-leases-from-applied-digital-2025-400mw, which supersedes the $7B
    250 MW row) against $1.04426B (applied-digital-equity-2025-08-31); Galaxy Digital the ~$15B
    Helios lease (coreweave-leases-from-galaxy-digital-2025) against $3.2B
    (galaxy-digital-equity-2025-09-30).
    Microsoft is not hit: it is CoreWeave's customer (the vendor bears that exposure), and the
    shock through OpenAI stops there (OpenAI has no equity figure, so it is not scored)."""
    import csv

    rows = list(csv.DictReader((shipped_dataset_dir() / "figures.csv").open(encoding="utf-8")))
    latest_equity = {}
    for f in sorted((f for f in rows if f["kind"] == "equity"), key=lambda f: f["as_of"]):
        latest_equity[f["entity"]] = float(f["amount_usd"])
    run = CliRunner().invoke(main, ["stress", "--db", str(shipped_db), "--fail", "coreweave", "--format", "json"])
    result = json.loads(run.output)
    hit = {e["entity"]: e for e in result["entities"] if e["round"]}
    scored = {j: e for j, e in hit.items() if e["scored"]}
    assert set(scored) == {"nvidia", "applied-digital", "galaxy-digital"}
    for j, e in scored.items():  # every entity scored has its latest book-equity figure as buffer
        assert (e["buffer_from"], e["buffer_usd"]) == ("equity", latest_equity[j])
    assert all(j not in latest_equity for j in set(hit) - set(scored))
    nvidia = scored["nvidia"]
    assert nvidia["buffer_usd"] == 118.897e9
    assert nvidia["loss_usd"] == pytest.approx(2.1e9) and nvidia["loss"] == pytest.approx(2.1e9 / 118.897e9)
    for landlord, owed, equity in (("applied-digital", 11e9, 1.04426e9), ("galaxy-digital", 15e9, 3.2e9)):
        e = scored[landlord]
        assert (e["exposure_usd"], e["buffer_usd"], e["loss"], e["round"]) == (owed, equity, 1.0, 1)
        assert e["loss_usd"] == pytest.approx(equity)
        assert e["at_stake_usd"] == owed  # CoreWeave fails outright (distress 1): all of the lease
    assert nvidia["at_stake_usd"] == pytest.approx(2.1e9)
    assert "microsoft" not in hit and "microsoft" in latest_equity
    assert hit["openai"]["loss_usd"] == 350e6 and not hit["openai"]["scored"]  # the $350M of stock it holds
    assert result["unscored"] == 14
    text = CliRunner().invoke(main, ["stress", "--db", str(shipped_db), "--fail", "coreweave"]).output
    assert text.splitlines()[1:4] == [
        "100.0%  Applied Digital  lost $1B of $1B equity ($11B at stake; cash $73.9M), round 1: CoreWeave → Applied Digital",
        "100.0%  Galaxy Digital  lost $3.2B of $3.2B equity ($15B at stake), round 1: CoreWeave → Galaxy Digital",
        "  1.8%  Nvidia  lost $2.1B of $118.9B equity (cash $11.5B), round 1: CoreWeave → Nvidia",
    ]
    assert "14 entities hit with no equity figure: not scored" in text
