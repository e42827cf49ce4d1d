"""Loading a synthetic deal graph into Neo4j three ways, in one run, on one server.

    python bench/load_neo4j.py [--entities 100000] [--relationships 1000000] [--per-row-sample 5000]
                               [--rounds 2]

1. ``Neo4jStore.write``: batched ``UNWIND $rows`` writes in managed transactions, with its
   default number of parallel writers and with one (also: the same load again onto the loaded
   graph, where every deal is already stored and is updated in place);
2. one transaction per relationship with ``MERGE`` (the baseline to avoid), timed on the first
   ``--per-row-sample`` relationships and extrapolated to the whole set (said in the output);
3. ``LOAD CSV`` with ``CALL { ... } IN TRANSACTIONS`` from CSV files in the server's import
   directory (one file per relationship type: a type cannot be a parameter).

The server is the local launcher of tests/neo4j_local (started here, with the import directory
pointed at a temporary folder), or ``NEO4J_URI`` (+ ``NEO4J_USERNAME``/``NEO4J_PASSWORD``) with
``NEO4J_IMPORT_DIR`` naming that server's import directory (without it, LOAD CSV is skipped).
The database is wiped before each method. The batched methods run in ``--rounds`` rounds
(alternating their order); the best round of each counts. Prints relationships/s and ratios.
"""

from __future__ import annotations

import argparse
import csv
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
from dealgraph.stores.neo4j_store import WRITE_WORKERS, Neo4jStore, relationship_types  # noqa: E402


def synthetic(n_entities: int, n_relationships: int, seed: int = 42):
    rng = random.Random(seed)
    kinds = list(schema().relationship_kinds)
    entity_kinds = list(schema().entity_kinds)
    entities = [
        Entity(f"e{i:07d}", f"Entity {i}", rng.choice(entity_kinds), ticker=None, country="US",
               aliases=(f"E{i}",) if i % 10 == 0 else ())
        for i in range(n_entities)
    ]
    deals = []
    for j in range(n_relationships):
        a, b = rng.randrange(n_entities), rng.randrange(n_entities)
        deals.append(Relationship(
            f"r{j:08d}", f"e{a:07d}", rng.choice(kinds), f"e{b:07d}",
            None if j % 4 == 0 else round(rng.random() * 1e9, 2), "reported" if j % 3 == 0 else None,
            f"202{j % 6}-0{1 + j % 9}", f"deal {j}", f"https://example.org/{j}", None,
        ))
    return entities, deals


def wipe(driver, database):
    with driver.session(database=database) as s:
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def count_rels(driver, database) -> int:
    return driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n", database_=database).records[0]["n"]


def load_ours(uri, auth, database, entities, deals, workers=WRITE_WORKERS) -> float:
    store = Neo4jStore(uri, *(auth or (None, None)), database=database, workers=workers)
    start = time.perf_counter()
    store.write(entities, deals)
    took = time.perf_counter() - start
    store.close()
    return took


def load_per_row(uri, auth, database, entities, deals, sample: int) -> float:
    """Seconds for the first ``sample`` relationships, one transaction each (entities batched)."""
    store = Neo4jStore(uri, *(auth or (None, None)), database=database)
    store.write(entities, [])
    store.close()
    types = relationship_types()
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=auth) as driver, driver.session(database=database) as session:
        start = time.perf_counter()
        for r in deals[:sample]:
            rel_type = types[r.kind]
            props = {k: getattr(r, k) for k in ("kind", "amount_usd", "amount_note", "date", "summary",
                                                "evidence_url", "evidence_title")}

            def one(tx, r=r, rel_type=rel_type, props=props):
                tx.run(
                    f"MATCH (a:Entity {{id: $source}}), (b:Entity {{id: $target}}) "
                    f"MERGE (a)-[r:{rel_type} {{id: $id}}]->(b) SET r += $props",
                    source=r.source, target=r.target, id=r.id, props=props,
                ).consume()

            session.execute_write(one)
        return time.perf_counter() - start


def load_csv(uri, auth, database, entities, deals, import_dir: Path) -> float:
    store = Neo4jStore(uri, *(auth or (None, None)), database=database)  # same constraints/indexes
    store.close()
    types = relationship_types()
    with open(import_dir / "entities.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "kind", "ticker", "country", "aliases"])
        for e in entities:
            w.writerow([e.id, e.name, e.kind, e.ticker or "", e.country or "", ";".join(e.aliases)])
    by_type: dict[str, list[Relationship]] = {}
    for r in deals:
        by_type.setdefault(types[r.kind], []).append(r)
    fields = ["id", "source", "target", "kind", "amount_usd", "amount_note", "date", "summary",
              "evidence_url", "evidence_title"]
    for rel_type, rows in by_type.items():
        with open(import_dir / f"deals-{rel_type}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(fields)
            for r in rows:
                w.writerow(["" if getattr(r, k) is None else getattr(r, k) for k in fields])
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=auth) as driver, driver.session(database=database) as session:
        start = time.perf_counter()
        session.run(
            "LOAD CSV WITH HEADERS FROM 'file:///entities.csv' AS row "
            "CALL (row) { MERGE (e:Entity {id: row.id}) SET e.name = row.name, e.kind = row.kind, "
            "e.ticker = nullIf(row.ticker, ''), e.country = nullIf(row.country, ''), "
            "e.aliases = CASE row.aliases WHEN '' THEN [] ELSE split(row.aliases, ';') END "
            "} IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
        for rel_type in by_type:
            session.run(
                f"LOAD CSV WITH HEADERS FROM 'file:///deals-{rel_type}.csv' AS row "
                f"CALL (row) {{ MATCH (a:Entity {{id: row.source}}), (b:Entity {{id: row.target}}) "
                f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b) "
                "SET r.kind = row.kind, r.amount_usd = toFloat(nullIf(row.amount_usd, '')), "
                "r.amount_note = nullIf(row.amount_note, ''), r.date = nullIf(row.date, ''), "
                "r.summary = nullIf(row.summary, ''), r.evidence_url = nullIf(row.evidence_url, ''), "
                "r.evidence_title = nullIf(row.evidence_title, '') "
                "} IN TRANSACTIONS OF 10000 ROWS"
            ).consume()
        return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--relationships", type=int, default=1_000_000)
    ap.add_argument("--per-row-sample", type=int, default=5_000)
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the batched methods (best counts)")
    args = ap.parse_args()

    from neo4j import GraphDatabase
    from neo4j import __version__ as neo4j_version

    server = None
    import_dir: Path | None = None
    tmp = tempfile.TemporaryDirectory(prefix="dealgraph-bench-import-")
    uri = os.environ.get("NEO4J_URI")
    if uri:
        auth = (os.environ.get("NEO4J_USERNAME") or "neo4j", os.environ["NEO4J_PASSWORD"]) \
            if os.environ.get("NEO4J_PASSWORD") else None
        database = os.environ.get("NEO4J_DATABASE") or None
        if os.environ.get("NEO4J_IMPORT_DIR"):
            import_dir = Path(os.environ["NEO4J_IMPORT_DIR"])
    else:
        import local_neo4j

        os.environ.setdefault("DEALGRAPH_NEO4J_JAVA_OPTS", "-Xms2g -Xmx4g -XX:+ExitOnOutOfMemoryError")
        import_dir = Path(tmp.name)
        launcher_args = ["--page-cache", "1g", "--tx-memory", "0"]
        server = local_neo4j.start(["--import-dir", str(import_dir), *launcher_args])
        print(f"local launcher, same for every method: {' '.join(launcher_args)}; "
              f"JVM {os.environ['DEALGRAPH_NEO4J_JAVA_OPTS']}", flush=True)
        uri, auth, database = server.uri, None, None
    try:
        import importlib.util

        rust = importlib.util.find_spec("neo4j._rust") is not None
        print(f"driver: neo4j {neo4j_version}, packing in {'Rust (neo4j-rust-ext)' if rust else 'Python'}", flush=True)
        print(f"generating {args.entities:,} entities and {args.relationships:,} relationships ...", flush=True)
        entities, deals = synthetic(args.entities, args.relationships)
        n = len(deals)
        driver = GraphDatabase.driver(uri, auth=auth)
        results = {}

        # Warm-up (JIT, page cache, query plans) on a small graph for both batched methods.
        small_entities, small_deals = synthetic(2_000, 20_000, seed=7)
        wipe(driver, database)
        load_ours(uri, auth, database, small_entities, small_deals)
        if import_dir is not None:
            wipe(driver, database)
            load_csv(uri, auth, database, small_entities, small_deals, import_dir)

        ours_name = f"Neo4jStore.write ({WRITE_WORKERS} workers)"
        again_name = "  the same again onto the loaded graph"
        csv_name = "LOAD CSV ... IN TRANSACTIONS"
        timings: dict[str, list[float]] = {}

        def record(name: str, seconds: float, note: str = "") -> None:
            assert count_rels(driver, database) == n
            timings.setdefault(name, []).append(seconds)
            print(f"  {name.strip():<45} {seconds:7.1f} s  {n / seconds:10,.0f} rel/s{note}", flush=True)

        def ours_twice():
            wipe(driver, database)
            record(ours_name, load_ours(uri, auth, database, entities, deals))
            record(again_name, load_ours(uri, auth, database, entities, deals), "  (every deal already stored)")

        def ours_one_worker():
            wipe(driver, database)
            record("Neo4jStore.write (1 worker)", load_ours(uri, auth, database, entities, deals, workers=1))

        def csv():
            wipe(driver, database)
            record(csv_name, load_csv(uri, auth, database, entities, deals, import_dir))

        methods = [ours_twice, ours_one_worker] + ([csv] if import_dir is not None else [])
        if import_dir is None:
            print("LOAD CSV skipped: set NEO4J_IMPORT_DIR to the server's import directory", flush=True)
        # The server keeps warming up (JIT, page cache) over the first big loads: every method
        # runs in each round, in reverse order every other round, and the best round counts.
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
            for method in methods if round_ % 2 == 0 else methods[::-1]:
                method()
        results = {name: n / min(seconds) for name, seconds in timings.items()}

        wipe(driver, database)
        sample = min(args.per_row_sample, n)
        t = load_per_row(uri, auth, database, entities, deals, sample)
        results[f"one transaction per row (first {sample:,}, extrapolated)"] = sample / t
        print(f"  per-row {t:8.1f} s for {sample:,}  {sample / t:10,.0f} rel/s "
              f"(extrapolated to {n:,}: {n / (sample / t):,.0f} s)", flush=True)
        driver.close()

        ours = results[ours_name]
        print()
        print(f"{args.entities:,} entities, {n:,} relationships, Neo4j {'local launcher' if server else uri}")
        print(f"{'method (best of ' + str(args.rounds) + ' rounds)':<55} {'rel/s':>12} {'ours / it':>10}")
        for name, rate in results.items():
            print(f"{name:<55} {rate:12,.0f} {ours / rate:9.1f}x")
        return 0
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
