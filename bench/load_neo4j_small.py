"""A small load into a big Neo4j graph: what the deal-id lookup costs, per id versus per graph.

    python bench/load_neo4j_small.py [--entities 20000] [--relationships 200000] [--repeats 5]

Loads a synthetic graph (bench/load_neo4j.py's generator) into a wiped database, then, in the
same process and on the same server:

1. ``Neo4jStore.write`` of one deal (an update of a stored one) and of one new deal: the
   write looks up only that id, a unique seek per relationship type;
2. the baseline: how the store used to find stored deals before writing, one pass reading
   every deal of every type (``MATCH (a:Entity)-[r:T]->(b:Entity) RETURN r.id, ...``);
3. for scale, the lookup a full reload of every deal makes now (``Neo4jWriter.stored_copies`` of every
   id: a pass over each type, since the write has more ids than any type holds), and what
   seeking every id would cost instead.

Each timing is the median of ``--repeats`` runs. The server is the local launcher of
tests/neo4j_local, or ``NEO4J_URI`` (+ ``NEO4J_USERNAME``/``NEO4J_PASSWORD``); the database is
wiped first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "neo4j_local"))
sys.path.insert(0, str(ROOT / "bench"))

from load_neo4j import synthetic, wipe  # noqa: E402

import dealgraph.stores.neo4j_writer as neo4j_writer  # noqa: E402
from dealgraph.model.records import Relationship  # noqa: E402
from dealgraph.stores.neo4j_store import Neo4jStore, relationship_types  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scan_all_deals(store: Neo4jStore) -> int:
    """The old lookup: every stored deal of every type read once."""
    rows = 0
    with store._session() as session:
        for rel_type in relationship_types().values():
            def read(tx, rel_type=rel_type):
                result = tx.run(f"MATCH (a:Entity)-[r:{rel_type}]->(b:Entity) RETURN r.id, a.id, b.id, elementId(r)")
                return sum(1 for _ in result)
            rows += session.execute_read(read)
    return rows


def seek_ids(store: Neo4jStore, ids: list[str]) -> int:
    """The new lookup, as a write does it: the given ids, in chunks, per stored type."""
    found = 0
    with store._session() as session:
        types = session.execute_read(neo4j_writer._stored_types, list(relationship_types().values()))
        for n in range(0, len(ids), neo4j_writer.LOOKUP_SIZE):
            found += len(session.execute_read(neo4j_writer._stored_deals, types, ids[n:n + neo4j_writer.LOOKUP_SIZE]))
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=20_000)
    ap.add_argument("--relationships", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    entities, deals = synthetic(args.entities, args.relationships)
    server = None
    uri = os.environ.get("NEO4J_URI")
    auth = (os.environ.get("NEO4J_USERNAME", "neo4j"), os.environ["NEO4J_PASSWORD"]) if os.environ.get("NEO4J_PASSWORD") else None
    if not uri:
        from local_neo4j import start

        server = start()
        uri = server.uri
    try:
        store = Neo4jStore(uri, *(auth or (None, None)))
        with store._session() as session:
            session.run("RETURN 1").consume()
        wipe(store._driver, None)
        store.close()
        store = Neo4jStore(uri, *(auth or (None, None)))
        start = time.perf_counter()
        store.write(entities, deals)
        print(f"graph: {len(entities):,} entities, {len(deals):,} deals (loaded in {time.perf_counter() - start:.1f} s)")

        stored = deals[len(deals) // 2]
        changed = [Relationship(stored.id, stored.source, stored.kind, stored.target, 1.0)]
        counter = iter(range(10**9))

        def write_new():
            n = next(counter)
            store.write([], [Relationship(f"new-{n}", stored.source, stored.kind, stored.target, 2.0)])

        one_update = median_seconds(lambda: store.write([], changed), args.repeats)
        one_new = median_seconds(write_new, args.repeats)
        scan = median_seconds(lambda: scan_all_deals(store), args.repeats)
        one_seek = median_seconds(lambda: seek_ids(store, [stored.id]), args.repeats)
        all_ids = sorted(r.id for r in deals)
        reload_lookup = median_seconds(lambda: store._writer.stored_copies(all_ids), max(1, args.repeats // 2))
        assert len(store._writer.stored_copies(all_ids)) == len(deals)
        every_seek = median_seconds(lambda: seek_ids(store, all_ids), 1)
        store.close()
    finally:
        if server is not None:
            server.stop()

    print(f"baseline, old lookup (read every deal of every type): {scan * 1000:9.1f} ms")
    print(f"write of 1 stored deal (lookup by id + update):       {one_update * 1000:9.1f} ms  "
          f"({scan / one_update:.0f}x faster than the old lookup alone)")
    print(f"write of 1 new deal (lookup by id + create):          {one_new * 1000:9.1f} ms  "
          f"({scan / one_new:.0f}x)")
    print(f"lookup of 1 id:                                       {one_seek * 1000:9.1f} ms  ({scan / one_seek:.0f}x)")
    print(f"lookup for a full reload ({len(deals):,} ids):            {reload_lookup * 1000:9.1f} ms  "
          f"({reload_lookup / scan:.2f}x the old lookup)")
    print(f"  (seeking all {len(deals):,} ids instead would take:      {every_seek * 1000:9.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
