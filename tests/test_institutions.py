"""Real institutions in the answers: what a member's syndicates put up, a syndicate lender's
members (and the per-institution view when every share is known), and a customer that is a
group. Hand-worked answers on a small graph, the same on both engines, and the shipped data."""

from __future__ import annotations

import pytest

from dealgraph.analyses.profile import entity_profile
from dealgraph.analyses.queries import run_query
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.output.entity_text import concentration_table, format_profile
from dealgraph.stores.sqlite_store import SQLiteStore

ENTITIES = [Entity(i, i.upper()) for i in ("b", "b2", "bank1", "bank2", "d", "x", "syn", "syn2",
                                           "v", "v2", "v3", "c", "g", "h1", "h2", "h3")]
ENTITIES.append(Entity("ig", "IG", kind="investor_group"))  # a group by kind, no member named
DEALS = [
    Relationship("l1", "syn", "lends_to", "b", 100.0),
    Relationship("l2", "d", "lends_to", "b", 100.0),
    Relationship("m1", "bank1", "member_of", "syn", 30.0),
    Relationship("m2", "bank2", "member_of", "syn", 50.0),
    Relationship("l3", "syn2", "lends_to", "b2", 40.0),
    Relationship("l4", "x", "lends_to", "b2", 10.0),
    Relationship("m3", "bank1", "member_of", "syn2"),  # share not disclosed
    Relationship("p1", "syn2", "partner_of", "x"),  # listed, neither lends nor invests
    Relationship("g1", "h1", "member_of", "g"),
    Relationship("g2", "h2", "member_of", "g"),
    Relationship("g3", "h3", "member_of", "g"),
    Relationship("g4", "h3", "member_of", "g"),  # a member counted once
    # Memberships that do not count make no one a member (c stays one customer, v2's HHI stands):
    Relationship("g5", "x", "member_of", "c", status="terminated"),
    Relationship("g6", "b", "member_of", "c", status="talks"),
    Relationship("g7", "h2", "member_of", "c"),
    Relationship("g8", "h2", "member_of", "g", supersedes="g7"),  # h2 moved to g: still one of g's 3
    Relationship("k1", "ig", "customer_of", "v3", 10.0),
    Relationship("k2", "c", "customer_of", "v3", 30.0),
]
FIGURES = [
    Figure("f1", "v", "customer_share", "g", percent=50.0, period="2025"),
    Figure("f2", "v", "customer_share", "c", percent=20.0, period="2025"),
    Figure("f3", "v2", "customer_share", "c", percent=40.0, period="2025"),
]

# By hand:
#   v:  stated g 50 (a group of 3: h1, h2, h3), c 20     -> top g 50, HHI none (a group's share)
#   v2: stated c 40                                      -> top c 40, HHI 1600
#   v3: contracts c 30, ig 10 (of 40): c 75, ig 25       -> top c 75, HHI none (ig is a group)
CONCENTRATION = [
    ("v", "g", 50.0, None, True, 3),
    ("v2", "c", 40.0, 1600.0, False, 0),
    ("v3", "c", 75.0, None, False, 0),
]


@pytest.fixture
def embedded(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(ENTITIES, DEALS, figures=FIGURES)
        yield store


def test_a_group_customer_is_not_one_customer(embedded):
    rows = run_query(embedded, "concentration")
    assert [(r["entity"], r["top_customer"], r["top_share_pct"], r["hhi"], r["top_customer_group"],
             r["top_customer_members"]) for r in rows] == CONCENTRATION
    table = concentration_table(rows)
    assert "G (group of 3)" in table and "none (a group's share)" in table and "1,600" in table
    text = format_profile(entity_profile(embedded, "v"), "table")
    assert "top customer G (group of 3, not one customer) 50%, no HHI" in text


def test_customer_rows_mark_a_group_customer(embedded):
    # v3's customers by hand: c 30 of 40 (one customer: its memberships g5-g7 do not count or
    # were superseded), ig 10 (a group by kind, no member named).
    rows = run_query(embedded, "customer-concentration", {"vendor": "v3"})
    assert [(r["customer"], r["contract_usd"], r["share"], r["customer_group"], r["customer_members"])
            for r in rows] == [("c", 30.0, 0.75, False, 0), ("ig", 10.0, 0.25, True, 0)]


def test_syndicate_lenders_name_their_members(embedded):
    lc = entity_profile(embedded, "b")["lender_concentration"]
    # Syndicate view: syn 100, d 100 -> 50% each, HHI 2 * 50² = 5000.
    assert (lc["top_share_pct"], lc["hhi"]) == (50.0, 5000.0)
    syn = next(row for row in lc["lenders"] if row["lender"] == "syn")
    assert [(m["member"], m["share_usd"]) for m in syn["members"]] == [("bank1", 30.0), ("bank2", 50.0)]
    # Every share known: bank1 30, bank2 50, syn's unnamed rest 20, d 100 (of 200)
    # -> d 50%, bank2 25%, rest 10%, bank1 15%; HHI 2500 + 625 + 100 + 225 = 3450.
    inst = lc["institutions"]
    assert (inst["top_lender"], inst["top_share_pct"], inst["hhi"]) == ("d", 50.0, 3450.0)
    assert [(r["lender"], r["total_usd"]) for r in inst["lenders"]] == [
        ("d", 100.0), ("bank2", 50.0), ("bank1", 30.0), ("syn", 20.0)]
    text = format_profile(entity_profile(embedded, "b"), "table")
    assert "members: BANK1 $30, BANK2 $50" in text
    assert "per institution (every member's share known): top lender D 50%, HHI 3,450" in text
    assert "SYN (members not named)  $20 = 10%" in text
    # syn2's member share is not disclosed: no per-institution view.
    lc2 = entity_profile(embedded, "b2")["lender_concentration"]
    assert lc2["institutions"] is None
    assert [(m["member"], m["share_usd"]) for m in lc2["lenders"][0]["members"]] == [("bank1", None)]


def test_through_syndicates_by_hand(embedded):
    ts = entity_profile(embedded, "bank1")["through_syndicates"]
    assert [(g["syndicate"], g["share_usd"], [(d["id"], d["funding"]) for d in g["deals"]]) for g in ts["syndicates"]] \
        == [("syn", 30.0, [("l1", True)]), ("syn2", None, [("l3", True), ("p1", False)])]
    # The syndicates lent 100 + 40; bank1's own known part is its 30 in syn.
    assert (ts["syndicates_known_usd"], ts["own_known_usd"], ts["shares_not_disclosed"]) == (140.0, 30.0, 1)
    text = format_profile(entity_profile(embedded, "bank1"), "table")
    assert "Through syndicates (2):" in text and "SYN2: share not disclosed" in text
    assert "lent or invested $140 known (theirs, not BANK1's own); BANK1's own known part $30 " in text
    assert entity_profile(embedded, "d")["through_syndicates"] is None


def test_both_engines_agree_on_institutions(embedded, neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as neo:
        neo.write(ENTITIES, DEALS, figures=FIGURES)
        for params in ({}, {"minCustomers": 1}, {"entity": "v"}):
            assert run_query(neo, "concentration", params) == run_query(embedded, "concentration", params)
        assert run_query(neo, "customer-concentration", {}) == run_query(embedded, "customer-concentration", {})
        for ref in ("b", "b2", "bank1", "v", "v3"):
            assert entity_profile(neo, ref) == entity_profile(embedded, ref)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    from dealgraph.load import shipped_dataset_dir
    from dealgraph.loaders import read_dataset

    data = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(tmp_path_factory.mktemp("shipped") / "s.db") as store:
        store.write(data.entities, data.relationships, figures=data.figures)
        yield store, data


def test_jpmorgans_syndicates_in_the_shipped_data(shipped):
    store, _ = shipped
    ts = entity_profile(store, "jpmorgan")["through_syndicates"]
    by = {g["syndicate"]: g for g in ts["syndicates"]}
    assert len(by) == 7
    # Its only disclosed share: $1B of the $15B Mizuho/SMBC/JPMorgan bridge to SoftBank.
    assert by["mizuho-smbc-jpmorgan"]["share_usd"] == 1e9
    assert [(d["counterparty"], d["amount_usd"]) for d in by["mizuho-smbc-jpmorgan"]["deals"]] == [("softbank", 15e9)]
    # Counted lending: OpenAI revolver $4B + Vantage $38B + DDTL 4.0 $8.5B + SoftBank bridges
    # $15B and $40B; the revolver's size is unknown and the underwriters' loan is in talks.
    assert ts["syndicates_known_usd"] == 4e9 + 38e9 + 8.5e9 + 15e9 + 40e9
    assert (ts["own_known_usd"], ts["shares_not_disclosed"]) == (1e9, 6)
    assert by["jpmorgan-underwriters"]["deals"] == []
    # CoreWeave's top lender is a syndicate; its members are named after it.
    lc = entity_profile(store, "coreweave")["lender_concentration"]
    top = lc["lenders"][0]
    assert top["lender"] == lc["top_lender"] == "ddtl2-lenders"
    assert [(m["member"], m["share_usd"]) for m in top["members"]] == [("blackstone", None), ("magnetar", 139e6)]
    assert lc["institutions"] is None  # Blackstone's share is not disclosed


def test_nvidias_top_customer_is_a_group_in_the_shipped_data(shipped):
    store, _ = shipped
    (row,) = run_query(store, "concentration", {"entity": "nvidia"})
    assert (row["top_customer"], row["top_share_pct"], row["top_customer_group"], row["top_customer_members"],
            row["hhi"]) == ("hyperscalers-big-five", 50.0, True, 5, None)


def test_shipped_institutions_same_on_both_engines(shipped, neo4j_db, neo4j_server):
    from dealgraph.stores.neo4j_store import Neo4jStore

    store, data = shipped
    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as neo:
        neo.write(data.entities, data.relationships, figures=data.figures)
        assert run_query(neo, "concentration", {}) == run_query(store, "concentration", {})
        for ref in ("jpmorgan", "nvidia", "coreweave", "softbank"):
            assert entity_profile(neo, ref) == entity_profile(store, ref)


def test_one_known_customer_says_why_there_is_no_concentration(shipped):
    # Galaxy Digital's one customer is CoreWeave (the ~$15B Helios lease): concentration on
    # contract values needs two, and the profile says so rather than "no known customers".
    store, _ = shipped
    text = format_profile(entity_profile(store, "galaxy-digital"), "table")
    section = text.split("Customer concentration:\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        "  (one customer with a known contract value: no concentration measure)",
        "  known contract values by customer:",
        "    CoreWeave  $15B in 1 deal(s) = 100% of known",
    ]
