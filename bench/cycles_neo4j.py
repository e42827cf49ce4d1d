"""Money loops on Neo4j: the canned circular-financing query vs the naive pattern vs the embedded engine.

    python bench/cycles_neo4j.py [--sizes 1000,5000,20000,50000] [--degree 2.0] [--max-length 6]

For each size, a seeded random deal graph (all relationship kinds, parallel deals, unknown
amounts) is loaded into the local Neo4j (tests/neo4j_local, or ``NEO4J_URI``) and into an
embedded store, then timed:

* canned: ``cypher/circular-financing.cypher`` (anchored, parallel deals collapsed, pruned);
* naive: ``MATCH p = (a)((x)-[r]-(y) WHERE <x pays y>){1,K}(a) RETURN p`` - the variable-length
  pattern with only the money direction checked, loops deduplicated afterwards in Python
  (rotations, parallel deals, repeated entities); stopped after ``--naive-timeout`` seconds;
* embedded: ``dealgraph.analyses.queries.cycles`` on the SQLite store (reads the store, builds the
  money-flow graph, runs dealgraph.analyses.cycles.find_cycles).

Prints seconds per size and checks that all three found the same loops.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "neo4j_local"))

from dealgraph.model.records import Entity, Relationship, schema  # noqa: E402
from dealgraph.stores.neo4j_store import Neo4jStore  # noqa: E402
from dealgraph.analyses.queries import cycles  # noqa: E402
from dealgraph.stores.sqlite_store import SQLiteStore  # noqa: E402


def random_graph(n: int, degree: float, seed: int):
    rng = random.Random(seed)
    kinds = list(schema().relationship_kinds)
    entities = [Entity(f"e{i:06d}", f"Entity {i}") for i in range(n)]
    deals = []
    for j in range(int(n * degree)):
        a, b = rng.randrange(n), rng.randrange(n)
        if a == b:
            continue
        amount = None if rng.random() < 0.25 else float(rng.randrange(1, 10_000)) * 1e6
        deals.append(Relationship(f"r{j:07d}", f"e{a:06d}", rng.choice(kinds), f"e{b:06d}", amount))
        if rng.random() < 0.1:
            deals.append(Relationship(f"r{j:07d}p", f"e{a:06d}", deals[-1].kind, f"e{b:06d}", 1e6))
    return entities, deals


def naive_query(k: int) -> str:
    kinds = schema().relationship_kinds.values()
    money = "|".join(x.neo4j_type for x in kinds if x.money_flows != "none")
    forward = ", ".join(f"'{x.neo4j_type}'" for x in kinds if x.money_flows == "forward")
    return (
        f"MATCH p = (a:Entity)((x:Entity)-[r:{money}]-(y:Entity) "
        f"WHERE (type(r) IN [{forward}] AND startNode(r) = x) "
        f"OR (NOT type(r) IN [{forward}] AND endNode(r) = x)){{1,{k}}}(a) "
        "RETURN [n IN nodes(p) | n.id] AS ids"
    )


def canonical(ids: list[str]) -> tuple[str, ...] | None:
    loop = ids[:-1]
    if len(set(loop)) != len(loop):
        return None  # not a simple loop
    i = loop.index(min(loop))
    return tuple(loop[i:] + loop[:i])


def run_naive(store: Neo4jStore, k: int, timeout: float):
    from neo4j import Query
    from neo4j.exceptions import Neo4jError

    found = set()
    start = time.perf_counter()
    try:
        with store._session() as session:
            for record in session.run(Query(naive_query(k), timeout=timeout)):
                c = canonical(record["ids"])
                if c is not None:
                    found.add(c)
    except Neo4jError as exc:
        if "timeout" in str(exc).lower() or "terminated" in str(exc).lower():
            return None, time.perf_counter() - start
        raise
    return found, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,20000,50000", help="entity counts")
    ap.add_argument("--degree", type=float, default=2.0, help="deals per entity")
    ap.add_argument("--max-length", type=int, default=6)
    ap.add_argument("--naive-timeout", type=float, default=120.0)
    args = ap.parse_args()

    server = None
    uri = os.environ.get("NEO4J_URI")
    if uri:
        auth = (os.environ.get("NEO4J_USERNAME"), os.environ.get("NEO4J_PASSWORD"))
        database = os.environ.get("NEO4J_DATABASE") or None
    else:
        import local_neo4j

        os.environ.setdefault("DEALGRAPH_NEO4J_JAVA_OPTS", "-Xms1g -Xmx3g -XX:+ExitOnOutOfMemoryError")
        server = local_neo4j.start(["--page-cache", "512m", "--tx-memory", "0"])
        uri, auth, database = server.uri, (None, None), None
    k = args.max_length
    print(f"money loops of at most {k} entities; {args.degree} deals per entity; naive stopped after "
          f"{args.naive_timeout:.0f} s")
    print(f"{'entities':>9} {'deals':>8} {'loops':>7} {'canned s':>9} {'naive s':>9} {'embedded s':>11} "
          f"{'naive/canned':>13} {'same':>5}")
    naive_gave_up = False
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size in (int(s) for s in args.sizes.split(",")):
                entities, deals = random_graph(size, args.degree, seed=size)
                with Neo4jStore(uri, *auth, database=database) as neo, SQLiteStore(Path(tmp) / f"{size}.db") as db:
                    with neo._session() as s:
                        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
                    neo.write(entities, deals)
                    db.write(entities, deals)
                    cycles(neo, 2)  # plan the query once, outside the timing

                    t = time.perf_counter()
                    canned = cycles(neo, k)
                    canned_s = time.perf_counter() - t
                    t = time.perf_counter()
                    embedded = cycles(db, k)
                    embedded_s = time.perf_counter() - t
                    if naive_gave_up:
                        naive, naive_s = None, float("nan")
                    else:
                        naive, naive_s = run_naive(neo, k, args.naive_timeout)
                        naive_gave_up = naive is None
                    same = canned == embedded and (naive is None or naive == {tuple(c["nodes"]) for c in canned})
                    naive_txt = f"{naive_s:9.2f}" if naive is not None else "  timeout" if naive_s == naive_s else "  skipped"
                    ratio = f"{naive_s / canned_s:12.1f}x" if naive is not None else f"{'>' + format(naive_s / canned_s, '.1f') + 'x' if naive_s == naive_s else '-':>13}"
                    print(f"{size:9,d} {len(deals):8,d} {len(canned):7,d} {canned_s:9.2f} {naive_txt} "
                          f"{embedded_s:11.2f} {ratio} {'yes' if same else 'NO':>5}", flush=True)
                    if not same:
                        return 1
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
