"""The status rule (graph/model/lineage.py): deals in talks or terminated count nowhere by
default, are still listed and marked, and count with --include-talks; on the embedded store,
on a real Neo4j (its Cypher and its lean reads) and through the CLI. Expectations are worked
out by hand from the records below."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from dealgraph.analyses.clusters import money_clusters
from dealgraph.analyses.economics import funded_sales
from dealgraph.analyses.queries import cycles, run_query
from dealgraph.cli import main
from dealgraph.model.lineage import STATUS_MARK, UNCOUNTED_STATUSES, counting_deals, superseded_by
from dealgraph.model.records import Entity, Relationship, schema
from dealgraph.output.text import deal_lines
from dealgraph.stores.neo4j_store import Neo4jStore
from dealgraph.stores.sqlite_store import SQLiteStore

B = 1e9
ENTITIES = [Entity("a", "Alpha"), Entity("b", "Beta"), Entity("c", "Gamma"), Entity("x", "Xi")]
DEALS = [
    Relationship("ab", "a", "invests_in", "b", 10 * B, date="2025-06-01", status="closed"),
    Relationship("ba", "b", "customer_of", "a", 3 * B, date="2025-06-01"),  # no status: counts
    Relationship("ba-talks", "b", "lends_to", "a", 4 * B, date="2025-06-01", status="talks"),
    Relationship("bc", "b", "lends_to", "c", 20 * B, date="2025-06-01", status="signed"),
    Relationship("ca-term", "c", "invests_in", "a", 7 * B, date="2025-06-01", status="terminated"),
    Relationship("xc-talks", "x", "lends_to", "c", 50 * B, date="2025-06-01", status="talks"),
]
TALKS = {"ba-talks": ("status:talks",), "ca-term": ("status:terminated",), "xc-talks": ("status:talks",)}


def test_the_statuses_that_do_not_count_are_statuses_of_the_model():
    status = next(f for f in schema().fields("relationship") if f.name == "status")
    assert set(UNCOUNTED_STATUSES) < set(status.values)
    assert UNCOUNTED_STATUSES == ("talks", "terminated")


def test_python_rule():
    assert superseded_by(DEALS) == TALKS
    assert superseded_by(DEALS, include_talks=True) == {}
    assert [r.id for r in counting_deals(DEALS)] == ["ab", "ba", "bc"]
    assert len(counting_deals(DEALS, include_talks=True)) == 6
    # a superseded deal in talks: its superseding deals first, then its status
    later = Relationship("ba-2", "b", "lends_to", "a", 5 * B, supersedes="ba-talks")
    assert superseded_by([*DEALS, later])["ba-talks"] == ("ba-2", STATUS_MARK + "talks")
    assert superseded_by([*DEALS, later], include_talks=True) == {"ba-talks": ("ba-2",)}


def test_listing_words():
    deal = {**DEALS[2].to_dict(), "superseded_by": ["status:talks"]}
    assert deal_lines(deal, evidence=False) == ["- b lends to a: $4B, 2025-06-01; status talks, not counted"]


def test_clusters_and_funded_sales():
    # default: only a <-> b is a cluster (c's only way back is terminated; x only lends, in talks)
    assert [c.to_dict() for c in money_clusters(DEALS)] == [
        {"entities": ["a", "b"], "deals": 2, "total_flow_usd": 13 * B, "not_cash_usd": 0.0, "unknown_amount_deals": 0}]
    assert [c.to_dict() for c in money_clusters(DEALS, include_talks=True)] == [
        {"entities": ["a", "b", "c"], "deals": 5, "total_flow_usd": 44 * B, "not_cash_usd": 0.0, "unknown_amount_deals": 0}]
    # a invests 10B in b, b buys 3B from a: all of a's known sales come from a funded customer
    assert [(r["vendor"], r["sales_usd"], r["funded_sales_usd"], r["funding_usd"]) for r in funded_sales(DEALS)] == [
        ("a", 3 * B, 3 * B, 10 * B)]
    closed_only = [r for r in DEALS if r.id != "ab"] + [Relationship("ab", "a", "invests_in", "b", 10 * B, date="2025-06-01", status="talks")]
    assert funded_sales(closed_only) == []  # the only funding is in talks
    assert len(funded_sales(closed_only, include_talks=True)) == 1


@pytest.fixture
def stores(neo4j_db, neo4j_server, tmp_path):
    embedded = SQLiteStore(tmp_path / "s.db")
    neo = Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database)
    embedded.write(ENTITIES, DEALS)
    neo.write(ENTITIES, DEALS)
    yield embedded, neo
    embedded.close()
    neo.close()


def loops(store):
    return [(c["nodes"], c["min_amount_usd"], [h["amount_usd"] for h in c["hops"]]) for c in cycles(store)]


def test_both_engines_leave_talks_out_of_loops_sums_and_rows(stores):
    for store in stores:
        assert store.superseded() == TALKS
        assert sorted(store.money_flows()) == [("a", "b", 10 * B), ("b", "a", 3 * B), ("b", "c", 20 * B)]
        # one loop, a <-> b: the talks loan from b is listed on the hop, marked, not added
        assert loops(store) == [(["a", "b"], 3 * B, [10 * B, 3 * B])]
        (loop,) = cycles(store)
        listed = {d["id"]: d["superseded_by"] for d in loop["hops"][1]["relationships"]}
        assert listed == {"ba": [], "ba-talks": ["status:talks"]}
        # lender web: b's talks loan to a and x's talks loan to c make no row and no total
        web = run_query(store, "lender-web")
        assert [(r["lender"], r["borrower"], r["total_usd"], r["lender_total_usd"]) for r in web] == [
            ("b", "c", 20 * B, 20 * B)]
        # money paths from x: none, its only deal is in talks
        assert run_query(store, "money-paths", {"from": "x", "to": "a"}) == []
        # exposures (creditor, obligor): a's stake in b, a's sales to b, b's loan to c; none in talks
        assert sorted(store.exposure_flows()) == [("a", "b", 3 * B), ("a", "b", 10 * B), ("b", "c", 20 * B)]
    embedded, neo = stores
    for name, params in [("circular-financing", {}), ("lender-web", {}), ("vendor-financing", {}),
                         ("customer-concentration", {}), ("concentration", {"minCustomers": "1"}),
                         ("circular-financing-graph", {})]:
        assert run_query(neo, name, params) == run_query(embedded, name, params), name


def test_both_engines_count_talks_with_the_flag(stores):
    for store in stores:
        store.include_talks = True
        assert store.superseded() == {}
        assert len(list(store.money_flows())) == 6
        assert sorted(store.exposure_flows()) == [("a", "b", 3 * B), ("a", "b", 10 * B), ("b", "a", 4 * B),
                                                  ("b", "c", 20 * B), ("c", "a", 7 * B), ("x", "c", 50 * B)]
        # b -> a now adds the talks loan (3B + 4B); c -> a closes a second loop at 7B
        assert sorted(loops(store)) == [(["a", "b"], 7 * B, [10 * B, 7 * B]),
                                        (["a", "b", "c"], 7 * B, [10 * B, 20 * B, 7 * B])]
        web = run_query(store, "lender-web")
        assert [(r["lender"], r["borrower"], r["total_usd"], r["lender_total_usd"]) for r in web] == [
            ("x", "c", 50 * B, 50 * B), ("b", "c", 20 * B, 24 * B), ("b", "a", 4 * B, 24 * B)]
        assert [p["nodes"] for p in run_query(store, "money-paths", {"from": "x", "to": "a"})] == [
            ["x", "c", "a"]]
    embedded, neo = stores
    assert run_query(neo, "circular-financing") == run_query(embedded, "circular-financing")


def test_the_embedded_view_and_an_old_store(tmp_path):
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        store.write(ENTITIES, DEALS)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT id FROM current_relationships ORDER BY id")] == ["ab", "ba", "bc"]
    sql = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'current_relationships'").fetchone()[0]
    assert "NOT IN (" + ", ".join(f"'{s}'" for s in UNCOUNTED_STATUSES) + ")" in sql
    conn.close()


def test_cli_include_talks(tmp_path):
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        store.write(ENTITIES, DEALS)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(main, [*args, "--db", str(db)], env={"NEO4J_URI": ""})
        assert result.exit_code == 0, result.output
        return result.output

    default = json.loads(run("cycles", "--format", "json"))
    assert [c["nodes"] for c in default] == [["a", "b"]]
    counted = json.loads(run("cycles", "--format", "json", "--include-talks"))
    assert [(c["nodes"], c["min_amount_usd"]) for c in counted] == [(["a", "b"], 7 * B), (["a", "b", "c"], 7 * B)]
    assert "status talks, not counted" in run("cycles")
    web = json.loads(run("query", "lender-web", "--format", "json", "--include-talks"))
    assert [r["lender"] for r in web] == ["x", "b", "b"]
    assert [c["entities"] for c in json.loads(run("clusters", "--format", "json"))] == [["a", "b"]]
    assert [c["entities"] for c in json.loads(run("clusters", "--format", "json", "--include-talks"))] == [
        ["a", "b", "c"]]
    # the period view carries the flag too (every deal is dated before 2100)
    assert json.loads(run("cycles", "--format", "json", "--include-talks", "--until", "2100")) == counted
    assert json.loads(run("cycles", "--format", "json", "--until", "2100")) == default


def test_stats_counts_every_deal_on_record_on_both_engines_and_takes_no_include_talks(stores, neo4j_server, tmp_path):
    """stats counts deals on record, whatever their status (as it counts superseded ones), on
    either engine; --include-talks would change nothing there, so stats does not offer it."""
    on_record = {"customer_of": 1, "invests_in": 2, "lends_to": 3}
    for store in stores:
        assert store.stats()["relationships"] == on_record
        store.include_talks = True
        assert store.stats()["relationships"] == on_record
    runner = CliRunner()
    neo4j_env = {"NEO4J_URI": neo4j_server.uri, "NEO4J_USERNAME": neo4j_server.username or "",
                 "NEO4J_PASSWORD": neo4j_server.password or ""}
    database = ["--database", neo4j_server.database] if neo4j_server.database else []
    for args, env in ((["--db", str(tmp_path / "s.db")], {"NEO4J_URI": ""}), (database, neo4j_env)):
        result = runner.invoke(main, ["stats", "--format", "json", *args], env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["relationships"] == on_record
        refused = runner.invoke(main, ["stats", "--include-talks", *args], env=env)
        assert refused.exit_code == 2 and "No such option '--include-talks'" in refused.output
    options = runner.invoke(main, ["stats", "--help"]).output.split("Options:")[1]
    assert "--since" in options and "--include-talks" not in options
    assert "--include-talks" in runner.invoke(main, ["cycles", "--help"]).output.split("Options:")[1]
