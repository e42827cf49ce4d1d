"""Deal lineage: the fields in every input format, validation, both stores, the counting rule."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

from dealgraph.model.errors import StoreError, ValidationError
from dealgraph.model.lineage import lineage_cycles, superseded_by
from dealgraph.model.graphs import money_flow_graph
from dealgraph.model.records import Entity, Relationship, relationship_id
from dealgraph.stores.sqlite_store import SCHEMA_VERSION, SQLiteStore
from dealgraph.loaders import read_dataset

ENTITIES_CSV = "id,name,kind\nnvidia,Nvidia,chipmaker\nopenai,OpenAI,ai_lab\napplied,Applied Digital,data_center\ncoreweave,CoreWeave,neocloud\n"

ENTITIES = [
    Entity("applied", "Applied Digital", "data_center"),
    Entity("coreweave", "CoreWeave", "neocloud"),
    Entity("nvidia", "Nvidia", "chipmaker"),
    Entity("openai", "OpenAI", "ai_lab"),
]
#: Nvidia's stalled $100B letter of intent, replaced by a $30B stake; a ~$7B lease and the
#: ~$11B new total that includes it; an add-on expansion that counts on top.
DEALS = [
    Relationship("loi", "nvidia", "invests_in", "openai", 1e11, "up to; letter of intent"),
    Relationship("stake", "nvidia", "invests_in", "openai", 3e10, supersedes="loi"),
    Relationship("lease-250", "coreweave", "leases_from", "applied", 7e9, "approx."),
    Relationship("lease-400", "coreweave", "leases_from", "applied", 11e9, "total", supersedes="lease-250"),
    Relationship("msa", "openai", "customer_of", "coreweave", 11.9e9),
    Relationship("msa-plus", "openai", "customer_of", "coreweave", 4e9, "add-on", expands="msa"),
]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(paths, **known) -> list[str]:
    with pytest.raises(ValidationError) as info:
        read_dataset(paths, **known)
    return info.value.problems


# --- the rule ---------------------------------------------------------------------------


def test_superseded_by_names_every_replacement_sorted():
    deals = DEALS + [Relationship("stake-b", "nvidia", "invests_in", "openai", 1.0, supersedes="loi")]
    assert superseded_by(deals) == {"loi": ("stake", "stake-b"), "lease-250": ("lease-400",)}


def test_money_flow_graph_has_no_edge_for_a_superseded_deal():
    g = money_flow_graph(ENTITIES, DEALS)
    assert set(g.edges(keys=True)) == {
        ("nvidia", "openai", "stake"), ("coreweave", "applied", "lease-400"),
        ("openai", "coreweave", "msa"), ("openai", "coreweave", "msa-plus"),
    }
    kept = g.graph["superseded"]
    assert [d["id"] for d in kept[("nvidia", "openai")]] == ["loi"]
    assert kept[("nvidia", "openai")][0]["superseded_by"] == ["stake"]
    assert [d["id"] for d in kept[("coreweave", "applied")]] == ["lease-250"]


def test_a_superseded_deal_stays_out_even_when_its_replacement_is_superseded():
    chain = [
        Relationship("a", "nvidia", "invests_in", "openai", 1.0),
        Relationship("b", "nvidia", "invests_in", "openai", 2.0, supersedes="a"),
        Relationship("c", "nvidia", "invests_in", "openai", 3.0, supersedes="b"),
    ]
    assert [k for _, _, k in money_flow_graph(ENTITIES, chain).edges(keys=True)] == ["c"]


@pytest.mark.parametrize("links, expected", [
    ({"a": ("b", None), "b": ("c", None)}, []),
    ({"a": ("a", None)}, [[("a", "supersedes", "a")]]),
    ({"b": ("a", None), "a": (None, "b")}, [[("a", "expands", "b"), ("b", "supersedes", "a")]]),
    ({"x": ("y", None), "y": ("z", None), "z": ("x", None), "q": ("x", None)},
     [[("x", "supersedes", "y"), ("y", "supersedes", "z"), ("z", "supersedes", "x")]]),
])
def test_lineage_cycles(links, expected):
    assert lineage_cycles(links) == expected


def test_ids_of_deals_without_lineage_did_not_change():
    # The hash of a deal without lineage is what it was before lineage existed.
    assert relationship_id("nvidia", "invests_in", "coreweave", 1e8) == "r-0f4047005bea3e47"
    assert relationship_id("nvidia", "invests_in", "coreweave", 1e8, supersedes="x") != relationship_id(
        "nvidia", "invests_in", "coreweave", 1e8)


# --- every input format -----------------------------------------------------------------

LINEAGE_FILES = {
    "csv": ("r.csv", """
        id,source,kind,target,amount_usd,supersedes,expands
        loi,nvidia,invests_in,openai,1e11,,
        stake,nvidia,invests_in,openai,3e10,loi,
        msa,openai,customer_of,coreweave,11.9e9,,
        msa-plus,openai,customer_of,coreweave,4e9,,msa
        """),
    "json": ("r.json", """
        {"relationships": [
          {"id": "loi", "source": "nvidia", "kind": "invests_in", "target": "openai", "amount_usd": 1e11},
          {"id": "stake", "source": "nvidia", "kind": "invests_in", "target": "openai", "amount_usd": 3e10,
           "supersedes": "loi"},
          {"id": "msa", "source": "openai", "kind": "customer_of", "target": "coreweave", "amount_usd": 11.9e9},
          {"id": "msa-plus", "source": "openai", "kind": "customer_of", "target": "coreweave", "amount_usd": 4e9,
           "expands": "msa"}
        ]}
        """),
    "jsonl": ("r.jsonl", """
        {"id": "loi", "source": "nvidia", "kind": "invests_in", "target": "openai", "amount_usd": 1e11}
        {"id": "stake", "source": "nvidia", "kind": "invests_in", "target": "openai", "amount_usd": 3e10, "supersedes": "loi"}
        {"id": "msa", "source": "openai", "kind": "customer_of", "target": "coreweave", "amount_usd": 11.9e9}
        {"id": "msa-plus", "source": "openai", "kind": "customer_of", "target": "coreweave", "amount_usd": 4e9, "expands": "msa"}
        """),
    "yaml": ("r.yaml", """
        relationships:
          - {id: loi, source: nvidia, kind: invests_in, target: openai, amount_usd: 1.0e+11}
          - {id: stake, source: nvidia, kind: invests_in, target: openai, amount_usd: 3.0e+10, supersedes: loi}
          - {id: msa, source: openai, kind: customer_of, target: coreweave, amount_usd: 11.9e+9}
          - {id: msa-plus, source: openai, kind: customer_of, target: coreweave, amount_usd: 4.0e+9, expands: msa}
        """),
}


@pytest.mark.parametrize("fmt", LINEAGE_FILES)
def test_every_format_reads_lineage(tmp_path, fmt):
    entities = write(tmp_path, "e.csv", ENTITIES_CSV)
    name, text = LINEAGE_FILES[fmt]
    deals = {r.id: r for r in read_dataset([entities, write(tmp_path, name, text)]).relationships}
    assert (deals["stake"].supersedes, deals["stake"].expands) == ("loi", None)
    assert (deals["msa-plus"].supersedes, deals["msa-plus"].expands) == (None, "msa")
    assert deals["loi"].supersedes is deals["loi"].expands is None


def test_lineage_may_name_a_deal_in_another_file_or_in_the_store(tmp_path):
    entities = write(tmp_path, "e.csv", ENTITIES_CSV)
    first = write(tmp_path, "a.csv", "id,source,kind,target\nloi,nvidia,invests_in,openai\n")
    second = write(tmp_path, "b.csv", "id,source,kind,target,supersedes\nstake,nvidia,invests_in,openai,loi\n")
    assert len(read_dataset([second, entities, first]).relationships) == 2
    dataset = read_dataset([entities, second], known_deals={"loi": (None, None)})
    assert [r.supersedes for r in dataset.relationships] == ["loi"]


def test_the_store_lineage_is_read_only_when_a_deal_has_lineage(tmp_path):
    entities = write(tmp_path, "e.csv", ENTITIES_CSV)
    plain = write(tmp_path, "a.csv", "id,source,kind,target\nx,nvidia,invests_in,openai\n")
    named = write(tmp_path, "b.csv", "id,source,kind,target,supersedes\nstake,nvidia,invests_in,openai,loi\n")
    calls = []

    def known():
        calls.append(1)
        return {"loi": (None, None)}

    read_dataset([entities, plain], known_deals=known)
    assert calls == []
    assert [r.supersedes for r in read_dataset([entities, named], known_deals=known).relationships] == ["loi"]
    assert calls == [1]


def test_lineage_problems_name_file_and_line(tmp_path):
    entities = write(tmp_path, "e.csv", ENTITIES_CSV)
    deals = write(tmp_path, "r.csv", """
        id,source,kind,target,supersedes,expands
        a,nvidia,invests_in,openai,,
        b,nvidia,invests_in,openai,nowhere,
        c,nvidia,invests_in,openai,,c
        d,nvidia,invests_in,openai,e,
        e,nvidia,invests_in,openai,,d
        f,nvidia,invests_in,openai,f,
        """)
    assert problems_of([entities, deals]) == [
        f"{deals}:3: supersedes 'nowhere' names no deal (no deal with that id in the files or the store)",
        f"{deals}:4: deal 'c' expands itself",
        f"{deals}:5: lineage loop: d supersedes e, e expands d (a deal cannot end up replacing or extending itself)",
        f"{deals}:7: deal 'f' supersedes itself",
    ]


def test_a_lineage_loop_through_the_store_is_refused(tmp_path):
    entities = write(tmp_path, "e.csv", ENTITIES_CSV)
    deals = write(tmp_path, "r.jsonl", '{"id": "a", "source": "nvidia", "kind": "invests_in", "target": "openai", "supersedes": "b"}\n')
    assert problems_of([entities, deals], known_deals={"b": ("a", None)}) == [
        f"{deals}:1: lineage loop: a supersedes b, b supersedes a (a deal cannot end up replacing or extending itself)"
    ]
    # Redefined in the files, the stored deal's old links no longer apply.
    fixed = write(tmp_path, "fix.csv", "id,source,kind,target\nb,nvidia,invests_in,openai\n")
    assert len(read_dataset([entities, deals, fixed], known_deals={"b": ("a", None)}).relationships) == 2


def test_cli_load_refuses_a_deal_superseding_nothing_and_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from dealgraph.cli import main

    entities = write(tmp_path, "e.csv", ENTITIES_CSV)
    deals = write(tmp_path, "r.csv", "id,source,kind,target,supersedes\nstake,nvidia,invests_in,openai,loi\n")
    db = tmp_path / "s.db"
    result = CliRunner(env={"NEO4J_URI": ""}).invoke(main, ["load", str(entities), str(deals), "--db", str(db)])
    assert result.exit_code == 1
    assert f"{deals}:2: supersedes 'loi' names no deal" in result.output
    assert "Traceback" not in result.output
    first = write(tmp_path, "loi.csv", "id,source,kind,target\nloi,nvidia,invests_in,openai\n")
    assert CliRunner(env={"NEO4J_URI": ""}).invoke(main, ["load", str(entities), str(first), "--db", str(db)]).exit_code == 0
    # The deal it names is in the store now: a later load may supersede it.
    result = CliRunner(env={"NEO4J_URI": ""}).invoke(main, ["load", str(deals), "--db", str(db)])
    assert result.exit_code == 0, result.output


# --- stores -----------------------------------------------------------------------------


def test_sqlite_round_trip_and_current_view(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(ENTITIES, DEALS)
        assert store.relationships() == sorted(DEALS, key=lambda r: r.id)
        assert store.deal_lineage()["lease-400"] == ("lease-250", None)
    conn = sqlite3.connect(tmp_path / "s.db")
    current = [row[0] for row in conn.execute("SELECT id FROM current_relationships ORDER BY id")]
    conn.close()
    assert current == ["lease-400", "msa", "msa-plus", "stake"]


_VERSION_1 = """
CREATE TABLE entities (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, ticker TEXT,
                       country TEXT, aliases TEXT NOT NULL DEFAULT '[]');
CREATE TABLE relationships (id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES entities(id),
    kind TEXT NOT NULL, target TEXT NOT NULL REFERENCES entities(id), amount_usd REAL, amount_note TEXT,
    date TEXT, summary TEXT, evidence_url TEXT, evidence_title TEXT);
CREATE INDEX relationships_source ON relationships(source);
CREATE INDEX relationships_target ON relationships(target);
INSERT INTO entities VALUES ('nvidia', 'Nvidia', 'chipmaker', NULL, NULL, '[]'),
                            ('openai', 'OpenAI', 'ai_lab', NULL, NULL, '[]');
INSERT INTO relationships VALUES ('loi', 'nvidia', 'invests_in', 'openai', 1e11, 'up to', '2025-09-22',
                                  NULL, NULL, NULL);
PRAGMA user_version = 1;
"""


def test_a_version_1_store_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(_VERSION_1)
    conn.close()
    with SQLiteStore(path, create=False) as store:  # read-only: read as it is
        assert store.relationships() == [
            Relationship("loi", "nvidia", "invests_in", "openai", 1e11, "up to", "2025-09-22")
        ]
    with SQLiteStore(path) as store:  # opened for writing: migrated
        store.write([], [Relationship("stake", "nvidia", "invests_in", "openai", 3e10, supersedes="loi")])
        assert [k for *_, k in store.money_flow_graph().edges(keys=True)] == ["stake"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert [r[0] for r in conn.execute("SELECT id FROM current_relationships")] == ["stake"]
    conn.close()


def test_a_newer_store_is_refused_in_one_line(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    with pytest.raises(StoreError, match=r"store schema version 4 is not supported \(this dealgraph reads versions 1 to 3\)"):
        SQLiteStore(path)


def test_neo4j_round_trip_equals_the_embedded_store(neo4j_db, neo4j_server, tmp_path):
    from dealgraph.stores.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as store, SQLiteStore(tmp_path / "s.db") as embedded:
        store.write(ENTITIES, DEALS)
        embedded.write(ENTITIES, DEALS)
        assert store.relationships() == embedded.relationships()
        assert store.deal_lineage() == embedded.deal_lineage()
        # Lineage changed by a later load is updated in place.
        changed = Relationship("msa-plus", "openai", "customer_of", "coreweave", 4e9, "add-on", supersedes="msa")
        store.write([], [changed])
        assert store.deal_lineage()["msa-plus"] == ("msa", None)


# --- what counts: loops, queries and their caveats (hand-computed) ------------------------

#: A small web: Nvidia's $100B letter of intent to OpenAI superseded by a $30B stake (plus an
#: older $100M one), OpenAI buying $11.9B + a $4B expansion from CoreWeave, CoreWeave buying
#: $5B of Nvidia GPUs; CoreWeave's ~$7B Applied Digital lease restated as an ~$11B total;
#: a lender's $2B loan to CoreWeave superseded by a $3B one.
WEB = ENTITIES + [Entity("bank", "Bank", "bank")]
WEB_DEALS = DEALS + [
    Relationship("old-stake", "nvidia", "invests_in", "openai", 1e8, date="2024-10"),
    Relationship("gpus", "coreweave", "customer_of", "nvidia", 5e9),
    Relationship("loan-1", "bank", "lends_to", "coreweave", 2e9),
    Relationship("loan-2", "bank", "lends_to", "coreweave", 3e9, supersedes="loan-1"),
    Relationship("backing", "nvidia", "invests_in", "coreweave", 1e9),
]


@pytest.fixture
def web(tmp_path):
    with SQLiteStore(tmp_path / "web.db") as store:
        store.write(WEB, WEB_DEALS)
        yield store


def _hop_amounts(loop):
    return [(h["source"], h["target"], h["amount_usd"]) for h in loop["hops"]]


def test_loop_hops_count_only_current_deals(web):
    from dealgraph.analyses.queries import cycles

    loops = {tuple(c["nodes"]): c for c in cycles(web)}
    assert set(loops) == {("coreweave", "nvidia"), ("coreweave", "nvidia", "openai")}
    big = loops[("coreweave", "nvidia", "openai")]
    # Nvidia -> OpenAI: $30B + $100M = $30.1B (the $100B LOI is superseded); OpenAI -> CoreWeave:
    # $11.9B + $4B expansion = $15.9B; CoreWeave -> Nvidia: $5B.
    assert _hop_amounts(big) == [("coreweave", "nvidia", 5e9), ("nvidia", "openai", 30.1e9),
                                 ("openai", "coreweave", 15.9e9)]
    assert big["min_amount_usd"] == 5e9
    listed = {d["id"]: d for d in big["hops"][1]["relationships"]}
    assert list(listed) == ["loi", "old-stake", "stake"]
    assert listed["loi"]["superseded_by"] == ["stake"] and listed["stake"]["superseded_by"] == []
    assert listed["stake"]["supersedes"] == "loi"
    assert listed["loi"]["amount_note"] == "up to; letter of intent"
    assert (listed["loi"]["source"], listed["loi"]["target"]) == ("nvidia", "openai")
    assert big["hops"][2]["relationships"][1]["expands"] == "msa"


def test_a_hop_made_only_of_superseded_deals_makes_no_loop(tmp_path):
    from dealgraph.analyses.queries import cycles

    deals = [
        Relationship("a", "nvidia", "invests_in", "openai", 1e9),
        Relationship("b", "openai", "customer_of", "nvidia", 2e9),
        Relationship("c", "nvidia", "partner_of", "openai", supersedes="a"),  # a status update ends it
    ]
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(ENTITIES, deals)
        assert cycles(store) == []


def test_queries_sum_only_current_deals(web):
    from dealgraph.analyses.queries import run_query

    vendor = run_query(web, "vendor-financing", {})
    assert [(r["financier"], r["client"], r["financing_usd"], r["purchases_usd"]) for r in vendor] == [
        ("nvidia", "coreweave", 1e9, 5e9)]
    paths = run_query(web, "money-paths", {"from": "nvidia", "to": "coreweave"})
    assert [(p["nodes"], p["min_amount_usd"]) for p in paths] == [
        (["nvidia", "coreweave"], 1e9), (["nvidia", "openai", "coreweave"], 15.9e9)]
    applied = run_query(web, "customer-concentration", {"vendor": "applied"})
    # ~$11B, not $7B + $11B = $18B; the restated lease is listed, marked.
    assert [(r["customer"], r["deals"], r["contract_usd"], r["share"]) for r in applied] == [
        ("coreweave", 1, 11e9, 1.0)]
    assert [(d["id"], d["superseded_by"]) for d in applied[0]["relationships"]] == [
        ("lease-250", ["lease-400"]), ("lease-400", [])]
    coreweave = run_query(web, "customer-concentration", {"vendor": "coreweave"})
    assert [(r["customer"], r["contract_usd"], r["vendor_total_usd"]) for r in coreweave] == [
        ("openai", 15.9e9, 15.9e9)]
    lenders = run_query(web, "lender-web", {})
    assert [(r["lender"], r["deals"], r["total_usd"], r["lender_total_usd"]) for r in lenders] == [
        ("bank", 1, 3e9, 3e9)]
    assert [d["id"] for d in lenders[0]["relationships"]] == ["loan-1", "loan-2"]


def test_neo4j_gives_the_same_lineage_answers(neo4j_db, neo4j_server, tmp_path):
    from dealgraph.stores.neo4j_store import Neo4jStore
    from dealgraph.analyses.queries import cycles, run_query

    with Neo4jStore(neo4j_server.uri, username=neo4j_server.username, password=neo4j_server.password,
                    database=neo4j_server.database) as neo, SQLiteStore(tmp_path / "s.db") as embedded:
        neo.write(WEB, WEB_DEALS)
        embedded.write(WEB, WEB_DEALS)
        assert cycles(neo) == cycles(embedded)
        assert _hop_amounts(cycles(neo)[0])[1] == ("nvidia", "openai", 30.1e9)
        for name, params in [("vendor-financing", {}), ("customer-concentration", {}), ("lender-web", {}),
                             ("money-paths", {"from": "nvidia", "to": "coreweave"})]:
            assert run_query(neo, name, params) == run_query(embedded, name, params), name


# --- the shipped dataset ----------------------------------------------------------------


def test_shipped_lineage_is_marked(shipped_store):
    lineage = {k: v for k, v in shipped_store.deal_lineage().items() if v != (None, None)}
    assert lineage == {
        "nvidia-invests-openai-2026": ("nvidia-invests-openai-2025", None),
        "coreweave-leases-from-applied-digital-2025-400mw": ("coreweave-leases-from-applied-digital-2025-250mw", None),
        "openai-customer-of-coreweave-2025-expansion-4b": (None, "openai-customer-of-coreweave-2025-msa-11-9b"),
        "openai-customer-of-coreweave-2025-expansion-6-5b": (None, "openai-customer-of-coreweave-2025-msa-11-9b"),
        "meta-customer-of-coreweave-2026": (None, "meta-customer-of-coreweave-2025"),
        "openai-customer-of-amazon-2026": (None, "openai-customer-of-amazon-2025"),
        "amazon-invests-anthropic-2026": (None, "amazon-invests-anthropic-2024"),
        "jpmorgan-lends-abilene-jv-2025-phase-2": (None, "jpmorgan-lends-abilene-jv-2025-phase-1"),
        "ddtl2-lenders-lends-coreweave-2025": (None, "blackstone-lends-coreweave-2024"),
        "openai-customer-of-cerebras-2026-expansion": ("openai-customer-of-cerebras-2026", None),
        "softbank-openai-bridge-lenders-lends-to-softbank-2026": ("jpmorgan-underwriters-lends-softbank-2026", None),
    }


def test_shipped_hop_totals(shipped_store):
    from dealgraph.analyses.queries import cycles, run_query

    loops = {tuple(c["nodes"]): c for c in cycles(shipped_store)}
    # Nvidia -> OpenAI: $30B (2026) alone; the stalled up-to-$100B letter of intent is superseded
    # (the merged data ships no 2024 $100M row).
    for nodes in [("nvidia", "openai"), ("nvidia", "openai", "oracle")]:
        hop = next(h for h in loops[nodes]["hops"] if (h["source"], h["target"]) == ("nvidia", "openai"))
        assert hop["amount_usd"] == 30e9, nodes
    # Nvidia -> OpenAI $30B, OpenAI -> Oracle $300B, Oracle -> Nvidia $40B: $30B goes round.
    assert loops[("nvidia", "openai", "oracle")]["min_amount_usd"] == 30e9
    # Amazon <-> OpenAI: $50B stake; $38B + $100B expansion = $138B (an expansion adds on top).
    assert _hop_amounts(loops[("amazon", "openai")]) == [("amazon", "openai", 50e9), ("openai", "amazon", 138e9)]
    applied = run_query(shipped_store, "customer-concentration", {"vendor": "applied-digital"})
    assert [(r["customer"], r["contract_usd"]) for r in applied] == [("coreweave", 11e9)]
    coreweave = {r["customer"]: r["contract_usd"]
                 for r in run_query(shipped_store, "customer-concentration", {"vendor": "coreweave"})}
    assert coreweave["openai"] == 22.4e9  # $11.9B + $4B + $6.5B, as the source says
    vendor = {(r["financier"], r["client"]): r["financing_usd"] for r in run_query(shipped_store, "vendor-financing", {})}
    assert vendor[("nvidia", "openai")] == 30e9
