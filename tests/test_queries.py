"""Canned queries: file headers, parameter binding, and one answer from two engines.

The differential tests load the same records into the embedded store and into a real
Neo4j and require identical rows (same keys, same order) from the Cypher and its twin.
"""

import random
import re

import pytest

from dealgraph import cypher
from dealgraph.cypher import bind, load_queries, params_used, parse_query
from dealgraph.model.errors import QueryError
from dealgraph.model.lineage import STATUS_MARK, UNCOUNTED_STATUSES
from dealgraph.model.records import FIGURE_LINK_TYPES, Entity, Relationship, schema
from dealgraph.stores.neo4j_store import Neo4jStore
from dealgraph.analyses.queries import COLUMNS, TWINS, cycles, list_queries, run_query
from dealgraph.analyses.cycles import size_loops
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.stores.base import UnknownEntityError

from random_deals import random_dataset

QUERIES = load_queries()
REQUIRED = {"circular-financing", "vendor-financing", "customer-concentration", "lender-web",
            "money-paths", "neighbourhood"}


def test_the_required_queries_are_shipped_with_twins_and_columns():
    assert REQUIRED <= set(QUERIES)
    assert set(QUERIES) == set(TWINS) == set(COLUMNS)
    assert [q["name"] for q in list_queries()] == sorted(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_declared_params_are_the_params_used(name):
    query = QUERIES[name]
    assert set(query.params) == params_used(query.text)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_header_is_well_formed(name):
    query = QUERIES[name]
    lines = query.text.splitlines()
    assert lines[0] == f"// name: {name}"
    assert query.path.name == f"{name}.cypher"
    assert lines[1].startswith("// description: ") and len(query.description) > 20
    assert lines[2].startswith("// params: ")
    assert lines[3] == "// Paste into Neo4j Browser first (one line):"
    # One line sets every parameter: Browser's `:params {...}`, not a `:param` line each.
    assert re.fullmatch(r"// :params \{.*\}", lines[4])
    assert [line for line in lines if ":param" in line] == [lines[4]]
    body = [line for line in lines if line.strip() and not line.lstrip().startswith("//")]
    assert body, "no query after the header"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_browser_params_line_is_a_cypher_map_of_the_declared_defaults(name, neo4j_driver):
    """The `:params {...}` line, evaluated by Neo4j as Browser does, sets exactly the declared
    parameters to their declared defaults."""
    query = QUERIES[name]
    line = query.text.splitlines()[4]
    literal = line.removeprefix("// :params ")
    records, _, _ = neo4j_driver.execute_query(f"RETURN {literal} AS params")
    params = records[0]["params"]
    assert params == query.params
    for key, value in params.items():
        assert type(value) is type(query.params[key]), key


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_relationship_types_in_queries_come_from_the_model(name):
    """The .cypher files spell out the money-flow table of schema.yaml; they must agree."""
    text = cypher._strip_comments_and_strings(QUERIES[name].text)
    types = {k.neo4j_type for k in schema().relationship_kinds.values()} | set(FIGURE_LINK_TYPES)
    used = set()
    for group in re.findall(r"\[\w*:([A-Z_|]+)", text):
        used |= set(group.split("|"))
    assert used and used <= types
    kinds = schema().relationship_kinds.values()
    forward = ", ".join(f"'{k.neo4j_type}'" for k in kinds if k.money_flows == "forward")
    reverse = ", ".join(f"'{k.neo4j_type}'" for k in kinds if k.money_flows == "reverse")
    raw = QUERIES[name].text
    if name in ("circular-financing", "money-paths"):
        assert f"type(r) IN [{forward}]" in raw and f"type(r) IN [{reverse}]" in raw
        lists = re.findall(r"type\(\w+\) IN \[([^\]]*)\]", raw)
        assert set(lists) == {forward, reverse}


MONEY_QUERIES = ("circular-financing", "circular-financing-graph", "customer-concentration", "lender-web",
                 "money-paths", "vendor-financing")
#: The statuses that do not count, as Cypher spells model/lineage.py's UNCOUNTED_STATUSES.
UNCOUNTED = "[" + ", ".join(f"'{s}'" for s in UNCOUNTED_STATUSES) + "]"
SUPERSESSION = f"""\
CALL () {{
  MATCH (:Entity)-[s]->(:Entity) WHERE s.supersedes IS NOT NULL OR s.status IN {UNCOUNTED}
  WITH s ORDER BY s.id
  RETURN collect(CASE WHEN s.supersedes IS NOT NULL THEN [s.supersedes, s.id] END)
       + collect(CASE WHEN s.status IN {UNCOUNTED} THEN [s.id, '{STATUS_MARK}' + s.status] END) AS supersession
}}
WITH *, [link IN supersession | link[0]] AS superseded
"""


@pytest.mark.parametrize("name", MONEY_QUERIES)
def test_money_queries_share_one_lineage_rule(name):
    """Every query that adds amounts starts from the same list of superseded deals
    (graph/lineage.py), checks every step against it and lists deals the same way."""
    text = QUERIES[name].text
    assert SUPERSESSION in text
    body = cypher._strip_comments_and_strings(text)
    # every relationship pattern that can make a step, pair or row is checked against the list
    for var in re.findall(r"-\[(\w+):[A-Z_|]+\]-", body):
        if var != "d":
            assert f"NOT {var}.id IN superseded" in body, (name, var)
    assert "superseded_by: [link IN supersession WHERE link[0] = d.id | link[1]]" in text


def test_bind_coerces_cli_strings_to_the_default_type():
    q = QUERIES["circular-financing"]
    assert bind(q, {}) == {"maxLength": 6, "entity": None, "minAmount": None}
    assert bind(q, {"maxLength": "4", "entity": "nvidia", "minAmount": "1e9"}) == {
        "maxLength": 4, "entity": "nvidia", "minAmount": 1e9,
    }
    assert bind(q, {"entity": "null"})["entity"] is None
    assert bind(QUERIES["neighbourhood"], {"entity": "123"})["entity"] == "123"  # ids stay text
    with pytest.raises(QueryError, match="maxLength must be a whole number"):
        bind(q, {"maxLength": "six"})


def test_bind_rejects_unknown_params_listing_the_allowed_ones():
    with pytest.raises(QueryError) as err:
        bind(QUERIES["circular-financing"], {"max": "3"})
    assert str(err.value) == (
        "query circular-financing has no parameter max; allowed: maxLength, entity, minAmount"
    )


def test_parse_query_rejects_a_header_without_params(tmp_path):
    with pytest.raises(QueryError, match="header lacks // params:"):
        parse_query("// name: x\n// description: y\nRETURN 1", tmp_path / "x.cypher")
    assert parse_query("// name: x\n// description: y\n// params:\nRETURN 1", tmp_path / "x.cypher").params == {}


def test_params_used_ignores_comments_and_strings():
    text = "// $a\nMATCH (n {id: $b}) /* $c */ RETURN '$d', \"$e\", `$f`, $g"
    assert params_used(text) == {"b", "g"}


# --------------------------------------------------------------------------- two engines

def _param_sets(entities, seed):
    rng = random.Random(seed)
    ids = [e.id for e in entities]
    a, b = rng.sample(ids, 2)
    return [
        ("circular-financing", {}),
        ("circular-financing", {"maxLength": "3"}),
        ("circular-financing", {"maxLength": "1"}),
        ("circular-financing", {"entity": a}),
        ("circular-financing", {"minAmount": "0.25", "maxLength": "5"}),
        ("circular-financing", {"entity": b, "minAmount": "1000"}),
        ("circular-financing-graph", {}),
        ("circular-financing-graph", {"entity": a, "maxLength": "4"}),
        ("vendor-financing", {}),
        ("vendor-financing", {"entity": a}),
        ("customer-concentration", {}),
        ("customer-concentration", {"vendor": b}),
        ("lender-web", {}),
        ("lender-web", {"entity": a}),
        ("money-paths", {"from": a, "to": b}),
        ("money-paths", {"from": b, "to": a, "maxLength": "6"}),
        ("neighbourhood", {"entity": a}),
        ("neighbourhood", {"entity": b, "depth": "1"}),
        ("neighbourhood", {"entity": a, "depth": "0"}),
    ]


@pytest.fixture
def engines(neo4j_driver, neo4j_server, tmp_path):
    """A function loading records into a fresh embedded store and an emptied Neo4j.

    Only the data is deleted between loads, not the constraints and indexes: a schema
    change empties Neo4j's query-plan cache, and planning dominates on these small graphs.
    """
    opened = []

    def load(entities, deals):
        neo4j_driver.execute_query("MATCH (n) DETACH DELETE n", database_=neo4j_server.database)
        embedded = SQLiteStore(tmp_path / f"s{len(opened)}.db")
        neo = Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database)
        opened.extend([embedded, neo])
        embedded.write(entities, deals)
        neo.write(entities, deals)
        return embedded, neo

    yield load
    for store in opened:
        store.close()


def _same_answers(embedded, neo, param_sets):
    for name, params in param_sets:
        expected = run_query(embedded, name, params)
        got = run_query(neo, name, params)
        assert got == expected, (name, params)
        assert list(got[0]) == list(COLUMNS[name]) if got else True
    return True


@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_same_answers_on_both_engines(engines, seed):
    entities, deals = random_dataset(seed)
    embedded, neo = engines(entities, deals)
    _same_answers(embedded, neo, _param_sets(entities, seed))
    assert cycles(neo, 4) == cycles(embedded, 4)


def test_bigger_random_graph_same_cycles(engines):
    entities, deals = random_dataset(1234, n=60, m=400)
    embedded, neo = engines(entities, deals)
    expected = cycles(embedded, 5)
    assert len(expected) > 50
    assert cycles(neo, 5) == expected
    through = expected[0]["nodes"][-1]
    assert cycles(neo, 6, through=through, min_amount=1.0) == cycles(embedded, 6, through=through, min_amount=1.0)


def test_shipped_dataset_same_answers_on_both_engines(engines):
    from dealgraph.loaders import read_dataset

    data = read_dataset([shipped_dataset_dir()])
    embedded, neo = engines(data.entities, data.relationships)
    loops = cycles(embedded)
    assert loops, "the shipped dataset has money loops"
    assert cycles(neo) == loops
    assert cycles(neo, 4, through="nvidia") == cycles(embedded, 4, through="nvidia")
    assert cycles(neo, min_amount=1e9) == cycles(embedded, min_amount=1e9)
    param_sets = [
        ("vendor-financing", {}),
        ("customer-concentration", {}),
        ("customer-concentration", {"vendor": "CoreWeave"}),
        ("lender-web", {}),
        ("money-paths", {"from": "nvidia", "to": "openai"}),
        ("neighbourhood", {"entity": "coreweave"}),
        ("circular-financing-graph", {}),
        ("circular-financing-graph", {"entity": "Nvidia", "minAmount": "1e9"}),
    ]
    _same_answers(embedded, neo, param_sets)
    assert run_query(embedded, "vendor-financing", {}), "the shipped dataset shows vendor financing"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_runs_on_neo4j_with_its_defaults(engines, name):
    entities, deals = random_dataset(7)
    embedded, neo = engines(entities, deals)
    params = {"entity": entities[0].id} if name == "neighbourhood" else {}
    if name == "money-paths":
        params = {"from": entities[0].id, "to": entities[1].id}
    assert run_query(neo, name, params) == run_query(embedded, name, params)


#: Worked by hand: OpenAI ("oai") buys $1000 of compute from CoreWeave ("cw") and sells it
#: $50 of something; CoreWeave issued it $350 of shares for no cash (g1). Money: cw -> oai
#: $350 + $50 = $400, oai -> cw $1000, so one loop of $400. Modelled as an investment (the old
#: error), g1 would run oai -> cw: that hop $1350, the other $50, and OpenAI would be
#: funding its customer CoreWeave ($350 against $50 of purchases).
GRANT_ENTITIES = [Entity("cw", "CoreWeave", "neocloud"), Entity("oai", "OpenAI", "ai_lab")]


def _grant_deals(kind: str) -> list[Relationship]:
    return [Relationship("c1", "oai", "customer_of", "cw", 1000.0),
            Relationship("c2", "cw", "customer_of", "oai", 50.0),
            Relationship("g1", "oai", kind, "cw", 350.0, amount_basis="stock")]


def _hops(rows: list[dict]) -> list:
    return [(row["nodes"], [(h["source"], h["target"], h["amount_usd"], sorted(d["id"] for d in h["relationships"]))
                            for h in row["hops"]], row["min_amount_usd"]) for row in rows]


@pytest.mark.parametrize("kind, loop, paid_to_cw, paid_to_oai, financing", [
    ("granted_shares_by", 400.0, (1000.0, ["c1"]), (400.0, ["c2", "g1"]), []),
    # the contrast: the same deal as an investment runs the other way and funds CoreWeave
    ("invests_in", 50.0, (1350.0, ["c1", "g1"]), (50.0, ["c2"]), [("oai", "cw", 350.0, 50.0)]),
])
def test_granted_shares_move_money_from_the_issuer_on_both_engines(engines, kind, loop, paid_to_cw, paid_to_oai,
                                                                    financing):
    from dealgraph.analyses.economics import funded_sales
    from dealgraph.model.records import exposure

    embedded, neo = engines(GRANT_ENTITIES, _grant_deals(kind))
    to_cw = ("oai", "cw", *paid_to_cw)
    to_oai = ("cw", "oai", *paid_to_oai)
    for store in (embedded, neo):  # the Cypher (Neo4j) and its Python twin (SQLite)
        assert _hops(run_query(store, "circular-financing")) == [(["cw", "oai"], [to_oai, to_cw], loop)]
        assert [(c["nodes"], c["min_amount_usd"]) for c in cycles(store)] == [(["cw", "oai"], loop)]
        assert _hops(run_query(store, "money-paths", {"from": "oai", "to": "cw"})) == [
            (["oai", "cw"], [to_cw], paid_to_cw[0])]
        assert _hops(run_query(store, "money-paths", {"from": "cw", "to": "oai"})) == [
            (["cw", "oai"], [to_oai], paid_to_oai[0])]
        assert [(r["financier"], r["client"], r["financing_usd"], r["purchases_usd"])
                for r in run_query(store, "vendor-financing")] == financing
        assert [(r["vendor"], r["funding_usd"]) for r in funded_sales(store.relationships())] == [
            (f[0], f[2]) for f in financing]
    assert _same_answers(embedded, neo, [("circular-financing-graph", {}), ("neighbourhood", {"entity": "cw"})])
    # Either way the holder loses the shares' value when the issuer fails.
    assert exposure(kind, "oai", "cw") == ("oai", "cw")


def test_entity_params_take_names_and_aliases(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(
            [Entity("nvidia", "Nvidia", aliases=("NVDA Corp",)), Entity("coreweave", "CoreWeave")],
            [Relationship("d1", "nvidia", "invests_in", "coreweave", 1.0),
             Relationship("d2", "coreweave", "customer_of", "nvidia", 2.0)],
        )
        assert size_loops(run_query(store, "circular-financing", {"entity": "NVDA Corp"})) == cycles(
            store, through="nvidia")
        with pytest.raises(UnknownEntityError):
            run_query(store, "neighbourhood", {"entity": "nobody"})
        with pytest.raises(QueryError, match="parameter from is required"):
            run_query(store, "money-paths", {"to": "nvidia"})
        with pytest.raises(QueryError, match="maxLength must be a whole number of at least 1"):
            cycles(store, 0)
        with pytest.raises(QueryError, match="unknown query 'nope'"):
            run_query(store, "nope", {})


# --------------------------------------------------------------------------- Neo4j Browser

def _entity_lookup(param: str) -> re.Pattern:
    """The block every query uses to turn $param into an entity (id, else name or alias)."""
    p = re.escape("$" + param)
    return re.compile(
        rf"WITH (?:\w+, )?COLLECT \{{\n"
        rf"  MATCH \(e:Entity\)\n"
        rf"  WHERE e\.id = {p} OR toLower\(toUpper\(e\.name\)\) = toLower\(toUpper\({p}\)\)\n"
        rf"     OR any\(a IN e\.aliases WHERE toLower\(toUpper\(a\)\) = toLower\(toUpper\({p}\)\)\)\n"
        rf"  RETURN e ORDER BY e\.id = {p} DESC, e\.id\n"
        rf"\}} AS named\n"
        rf"WITH (?:\w+, )?CASE WHEN named\[0\]\.id = {p} OR size\(named\) = 1 THEN named\[0\] END AS \w+\n"
    )


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_entity_params_are_resolved_in_the_cypher_like_the_cli(name):
    """Each entity-naming parameter is looked up once by the shared block; elsewhere the
    query only asks whether it was given, never compares it with an id itself."""
    from dealgraph.analyses.queries import ENTITY_PARAMS

    text = QUERIES[name].text
    for param in set(ENTITY_PARAMS) & set(QUERIES[name].params):
        lookups = _entity_lookup(param).findall(text)
        assert len(lookups) == 1, f"{name}: ${param} needs one lookup block"
        rest = _entity_lookup(param).sub("", cypher._strip_comments_and_strings(text))
        uses = re.findall(rf"\${param}\b(?: IS(?: NOT)? NULL)?", rest)
        assert all(u.endswith("NULL") for u in uses), (name, param, uses)


NAMED = [
    Entity("nvidia", "Nvidia", aliases=("NVDA Corp", "Straße AG")),
    Entity("coreweave", "CoreWeave", aliases=("ΟΔΟΣ",)),
    Entity("openai", "OpenAI"),
    Entity("twin-a", "Twin"),
    Entity("twin-b", "Twin Labs", aliases=("TWIN",)),  # "twin" names two entities
    Entity("Nvidia", "Other"),  # an id equal to another entity's name: the id wins
]
NAMED_DEALS = [
    Relationship("d1", "nvidia", "invests_in", "coreweave", 1e9),
    Relationship("d2", "coreweave", "customer_of", "nvidia", 2e9),
    Relationship("d3", "nvidia", "invests_in", "openai", 3e9),
    Relationship("d4", "openai", "customer_of", "coreweave", 4e9),
    Relationship("d5", "coreweave", "lends_to", "openai", 5e8),
    Relationship("d6", "twin-a", "customer_of", "nvidia", 1e6),
    Relationship("d7", "nvidia", "supplies", "twin-b", 2e6),
    Relationship("d8", "twin-b", "customer_of", "Nvidia", 3e6),
]
REFS = {  # what a user may type -> the entity the CLI resolves it to
    "nvda corp": "nvidia", "NVDA CORP": "nvidia", "strasse ag": "nvidia", "coreweave": "coreweave",
    "CoreWeave": "coreweave", "οδοσ": "coreweave", "OpenAI": "openai", "Twin labs": "twin-b",
    "Nvidia": "Nvidia", "other": "Nvidia", "twin-a": "twin-a",
}


def test_cypher_resolves_names_and_aliases_as_the_cli_does(neo4j_db, neo4j_server, tmp_path):
    """Pasted into Browser the queries take a name or alias, as `dealgraph query` does: the
    raw Cypher run with a name gives the rows it gives with the id the CLI resolves it to;
    a name of no entity or of several gives no rows."""
    from dealgraph.stores.base import resolve_entity

    with Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database) as neo:
        neo.write(NAMED, NAMED_DEALS)
        for ref, entity_id in REFS.items():
            assert resolve_entity(NAMED, ref) == entity_id
        for name, query in QUERIES.items():
            for param in [p for p in ("entity", "vendor", "from", "to") if p in query.params]:
                other = {"from": "to", "to": "from"}.get(param)
                for ref, entity_id in REFS.items():
                    base = dict(query.params)
                    if other:
                        base[other] = "openai" if entity_id != "openai" else "nvidia"
                    by_name = neo.run_cypher(query.text, {**base, param: ref})
                    by_id = neo.run_cypher(query.text, {**base, param: entity_id})
                    assert by_name == by_id, (name, param, ref)
                for ref in ("twin", "nobody", "nvidia corp"):
                    with pytest.raises(UnknownEntityError):
                        resolve_entity(NAMED, ref)
                    base = dict(query.params)
                    if other:
                        base[other] = "nvidia"
                    assert neo.run_cypher(query.text, {**base, param: ref}) == [], (name, param, ref)
        # the lookup is not vacuous: names reach loops, paths and neighbours
        loops = neo.run_cypher(QUERIES["circular-financing"].text, {"maxLength": 4, "entity": "NVDA Corp", "minAmount": None})
        assert loops and all("nvidia" in row["nodes"] for row in loops)
        paths = neo.run_cypher(QUERIES["money-paths"].text, {"from": "nvda corp", "to": "OpenAI", "maxLength": 3})
        assert [row["nodes"] for row in paths][0] == ["nvidia", "openai"]


def test_graph_variant_body_is_circular_financings_query():
    """circular-financing-graph wraps circular-financing's query verbatim, so they cannot drift."""
    loops = QUERIES["circular-financing"].text.split("\n")
    body = "\n".join(loops[next(i for i, line in enumerate(loops) if not line.startswith("//")):]).rstrip("\n")
    graph = QUERIES["circular-financing-graph"].text
    assert f"\nCALL () {{\n{body}\n}}\n" in graph
    assert QUERIES["circular-financing-graph"].params == QUERIES["circular-financing"].params


@pytest.mark.parametrize("params", [{}, {"entity": "Nvidia", "maxLength": 4}, {"minAmount": 1e10}])
def test_graph_variant_returns_the_loops_as_graph_objects(neo4j_db, neo4j_server, params):
    """Run raw, as Browser runs it: the same loops in the same order as circular-financing,
    each with its deals as relationships (so Browser's graph view draws them)."""
    from neo4j.graph import Path

    from dealgraph.loaders import read_dataset

    data = read_dataset([shipped_dataset_dir()])
    with Neo4jStore(neo4j_server.uri, neo4j_server.username, neo4j_server.password, neo4j_server.database) as neo:
        neo.write(data.entities, data.relationships)
    bound = {**QUERIES["circular-financing"].params, **params}
    loops, _, _ = neo4j_db.execute_query(QUERIES["circular-financing"].text, bound, database_=neo4j_server.database)
    graph, _, _ = neo4j_db.execute_query(QUERIES["circular-financing-graph"].text, bound, database_=neo4j_server.database)
    assert len(loops) > 0
    assert [r["nodes"] for r in graph] == [r["nodes"] for r in loops]
    assert [r["min_amount_usd"] for r in graph] == [r["min_amount_usd"] for r in loops]
    for loop, row in zip(loops, graph):
        paths = row["deals"]
        assert paths and all(isinstance(p, Path) and len(p) == 1 for p in paths)
        rels = [p.relationships[0] for p in paths]
        assert [r["id"] for r in rels] == [d["id"] for h in loop["hops"] for d in h["relationships"]]
        hop_of = {d["id"]: (h["source"], h["target"]) for h in loop["hops"] for d in h["relationships"]}
        for r in rels:
            assert {r.start_node["id"], r.end_node["id"]} == set(hop_of[r["id"]])
            assert r.type in {k.neo4j_type for k in schema().relationship_kinds.values()}


def test_a_hop_of_equity_grants_reads_as_a_grant(tmp_path):
    # CoreWeave -> OpenAI carries only the share grant: it "grants OpenAI equity"; a hop with any
    # paying deal among those that count (c2 beside g1) pays, as does every hop the other way.
    from dealgraph.output.loop_graphic import loop_svg
    from dealgraph.output.text import cycles_table

    deals = [d for d in _grant_deals("granted_shares_by") if d.id != "c2"]
    with SQLiteStore(tmp_path / "g.db") as store:
        store.write(GRANT_ENTITIES, deals)
        found = cycles(store)
    names = {e.id: e.name for e in GRANT_ENTITIES}
    text = cycles_table(found, names, evidence=False)
    assert "CoreWeave grants OpenAI equity: $350 in stock in 1 deal" in text
    assert "OpenAI pays CoreWeave: $1K in 1 deal" in text
    svg = loop_svg(found[0], names, "2026-05-18", None)
    assert "CoreWeave grants OpenAI equity · 1 deal" in svg and "OpenAI pays CoreWeave · 1 deal" in svg
    assert "OpenAI granted shares by CoreWeave: $350 in stock" in svg  # each deal on its basis
    with SQLiteStore(tmp_path / "p.db") as store:
        store.write(GRANT_ENTITIES, _grant_deals("granted_shares_by"))
        assert "CoreWeave pays OpenAI: $400 (incl. $350 in stock) in 2 deals" in cycles_table(cycles(store), names,
                                                                                          evidence=False)


def test_the_neo4j_docs_count_the_loop_graph_of_the_shipped_data(shipped_store):
    # docs/neo4j.md gives Browser's relationship count for circular-financing-graph (a deal once
    # per loop it is on) and the deals it draws (once each): both follow the data.
    from pathlib import Path

    text = " ".join((Path(__file__).parents[1] / "docs" / "neo4j.md").read_text("utf-8").split())
    found = re.search(r"relationship count \((\d+) for the shipped data\) counts a deal once per loop it is on; "
                      r"the graph draws it once \((\d+)\)", text)
    assert found, "the counts' sentence in docs/neo4j.md"
    ids = [d["id"] for row in run_query(shipped_store, "circular-financing-graph") for d in row["deals"]]
    assert (int(found[1]), int(found[2])) == (len(ids), len(set(ids)))
