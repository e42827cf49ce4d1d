"""``--since`` / ``--until`` restrict figures as well as deals: a figure is in the period when
the date it speaks for is (its ``as_of`` when given, else the end of its ``period``). Hand-made figures; the kept ids below were
worked out by hand from those two dates, on both engines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.model.values import Period
from dealgraph.stores.period import deals_in_period
from dealgraph.stores.sqlite_store import SQLiteStore

ENTITIES = [Entity("cw", "CoreWeave", "neocloud"), Entity("msft", "Microsoft", "hyperscaler")]
DEALS = [Relationship("d1", "msft", "invests_in", "cw", 1e10, date="2025-03")]
FIGURES = [
    # as_of / period end:
    Figure("eq-2024", "msft", "equity", amount_usd=2.7e11, period="2024"),                    # -, 2024-12-31
    Figure("eq-2025q2", "msft", "equity", amount_usd=3.0e11, as_of="2025-06-30"),            # 2025-06-30, -
    Figure("eq-2026q1", "msft", "equity", amount_usd=4.0e11, period="2026-Q1", as_of="2026-03-31"),
    Figure("rev-2025", "cw", "revenue", amount_usd=5e9, period="2025"),                      # -, 2025-12-31
    Figure("rev-2025-guide", "cw", "revenue", amount_usd=5.2e9, period="2025", as_of="2025-08"),  # guidance
    Figure("rev-2025-late", "cw", "revenue", amount_usd=5.1e9, period="2025", as_of="2026-02-20"),
    Figure("undated", "cw", "debt", amount_usd=1e9),
]

# (since, until) -> the figures kept, by hand:
CASES = {
    (None, "2025-10"): ["eq-2024", "eq-2025q2", "rev-2025-guide"],
    ("2025-07", "2025-10"): ["rev-2025-guide"],
    ("2026", None): ["eq-2026q1", "rev-2025-late"],
    ("2025-12", "2025-12"): ["rev-2025"],  # the guidance is as of August, the late one of 2026
    (None, "2024"): ["eq-2024"],
}


def test_keeps_figure_reads_as_of_then_the_period_end():
    p = Period.between(None, "2025-10")
    assert p.keeps_figure("2025-Q3", None) and not p.keeps_figure("2025-Q4", None)
    assert p.keeps_figure("2026", "2025-09-30")  # stated in the period, about a later one
    assert not p.keeps_figure("2025-Q3", "2025-11-02")  # about the period, stated after it
    assert not p.keeps_figure(None, None) and Period().keeps_figure(None, None)
    assert not p.keeps_figure("2025/2027", None) and p.keeps_figure("2024/2025-06", None)


def check(store):
    assert [f.id for f in deals_in_period(store).figures()] == sorted(f.id for f in FIGURES)
    for (since, until), kept in CASES.items():
        view = deals_in_period(store, since, until)
        assert [f.id for f in view.figures()] == sorted(kept), (since, until)
        assert [f.id for f in view.figures(entity="msft", kind="equity")] == sorted(
            k for k in kept if k.startswith("eq-")), (since, until)
        assert view.stats()["figures"].get("equity", 0) == sum(k.startswith("eq-") for k in kept)


@pytest.fixture
def embedded(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(ENTITIES, DEALS, figures=FIGURES)
        yield store


def test_embedded_store(embedded):
    check(embedded)


def test_neo4j_store(neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as store:
        store.write(ENTITIES, DEALS, figures=FIGURES)
        check(store)
        # stress buffers come from the figures of the period: as known in October 2025,
        # Microsoft's equity is the 2025-06-30 figure, not the 2026 one
        from dealgraph.analyses.stress import stress_test

        [_, hit] = stress_test(deals_in_period(store, None, "2025-10"), ["cw"]).shocks
        assert (hit.entity, hit.buffer_usd) == ("msft", 3.0e11)
        [_, hit] = stress_test(store, ["cw"]).shocks
        assert hit.buffer_usd == 4.0e11


def test_show_and_stress_as_known_in_october_2025(embedded, tmp_path):
    db = str(tmp_path / "s.db")
    embedded.close()
    run = CliRunner().invoke(main, ["show", "cw", "--db", db, "--until", "2025-10", "--format", "json"])
    assert run.exit_code == 0, run.output
    assert [f["id"] for f in json.loads(run.output)["figures"]] == ["rev-2025-guide"]
    run = CliRunner().invoke(main, ["stress", "--fail", "cw", "--db", db, "--until", "2025-10", "--format", "json"])
    assert run.exit_code == 0, run.output
    [msft] = [e for e in json.loads(run.output)["entities"] if e["entity"] == "msft"]
    # Microsoft's $10B stake in CoreWeave against its equity as known then (2025-06-30)
    assert msft["buffer_usd"] == 3.0e11
