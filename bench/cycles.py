"""Benchmark: our bounded cycle enumeration against python-igraph (C) and networkx, same run.

    pip install -e '.[bench]'         # python-igraph
    python bench/cycles.py            # every graph
    python bench/cycles.py --quick    # skip the 100k-node graph

Every graph is ``networkx.gnm_random_graph(n, m, seed=1, directed=True)``; each engine gets
it in its own form, built before the clock starts (igraph: ``igraph.Graph`` with the same
edges), and must produce the same set of cycles of at most ``k`` nodes:

1. dense, ``(200, 4000)``, k = 4;
2. sparse, ``(2000, 6000)``, k = 5 (networkx too: target at least 100x networkx);
3. sparse and long, ``(2000, 6000)``, k = 7;
4. large, ``(100_000, 1_000_000)``, k = 4 (networkx not run: far too slow), with peak memory.

``dealgraph.analyses.cycles.simple_cycles_bounded`` vs ``igraph.Graph.simple_cycles(max=k)`` vs
``networkx.simple_cycles(G, length_bound=k)``. Times are the best of a few runs (one run
for the large graph and for networkx). Target: at least igraph's speed on every graph.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dealgraph.analyses.cycles import simple_cycles_bounded  # noqa: E402

try:
    import igraph
except ImportError:  # pragma: no cover - the bench extra is missing
    sys.exit("bench/cycles.py needs python-igraph: pip install -e '.[bench]'")

GRAPHS = [
    # label, n, m, k, repeats, run networkx
    ("dense", 200, 4000, 4, 5, False),
    ("sparse", 2000, 6000, 5, 5, True),
    ("sparse, long loops", 2000, 6000, 7, 3, False),
    ("large", 100_000, 1_000_000, 4, 1, False),
]


def canonical(cycle) -> tuple:
    cycle = list(cycle)
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


def best_of(fn, repeat: int):
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None or elapsed < best else best
    return result, best


def maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes vs KiB


def run(label: str, n: int, m: int, k: int, repeat: int, with_networkx: bool) -> bool:
    print(f"{label}: gnm_random_graph({n:_}, {m:_}, seed=1, directed=True), max length {k}")
    G = nx.gnm_random_graph(n, m, seed=1, directed=True)
    ig = igraph.Graph(n=n, edges=list(G.edges()), directed=True)
    rss_graphs = maxrss_mib()
    ours, ours_time = best_of(lambda: list(simple_cycles_bounded(G, k)), repeat)
    rss_ours = maxrss_mib()
    theirs, ig_time = best_of(lambda: ig.simple_cycles(max=k), repeat)
    ours_set = {tuple(c) for c in ours}
    same = len(ours_set) == len(ours) and ours_set == {canonical(c) for c in theirs}
    print(f"  dealgraph : {len(ours):>7} cycles  {ours_time * 1000:10.1f} ms")
    print(f"  igraph    : {len(theirs):>7} cycles  {ig_time * 1000:10.1f} ms")
    ok = same and ig_time >= ours_time
    if with_networkx:
        nx_cycles, nx_time = best_of(lambda: list(nx.simple_cycles(G, length_bound=k)), 1)
        same_nx = {canonical(c) for c in nx_cycles} == ours_set
        same = same and same_nx
        print(f"  networkx  : {len(nx_cycles):>7} cycles  {nx_time * 1000:10.1f} ms")
        print(f"  vs networkx: {nx_time / ours_time:.0f}x faster (target >= 100x: "
              f"{'met' if nx_time / ours_time >= 100 else 'NOT met'})")
        ok = ok and same and nx_time / ours_time >= 100
    print(f"  same cycles: {'yes' if same else 'NO'}")
    print(f"  vs igraph : {ig_time / ours_time:.2f}x  (target >= 1x: {'met' if ig_time >= ours_time else 'NOT met'})")
    if n >= 100_000:
        print(f"  process peak RSS: {rss_graphs:.0f} MiB with both graphs built, {rss_ours:.0f} MiB after ours")
        del ours
        tracemalloc.start()
        list(simple_cycles_bounded(G, k))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  our enumeration's own peak allocation (tracemalloc): {peak / 2**20:.0f} MiB")
    print()
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100k-node graph")
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()}, networkx {nx.__version__}, "
          f"python-igraph {igraph.__version__}, {platform.machine()}\n")
    ok = True
    for label, n, m, k, repeat, with_networkx in GRAPHS:
        if args.quick and n > 10_000:
            continue
        ok = run(label, n, m, k, repeat, with_networkx) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
