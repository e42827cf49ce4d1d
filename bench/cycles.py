"""Benchmark: our bounded cycle enumeration against networkx, measured in the same run.

    python bench/cycles.py            # both graphs
    python bench/cycles.py --quick    # skip the 100k-node graph

1. gnm_random_graph(2000, 6000, seed=1, directed=True), cycles of at most 5 nodes:
   ``graph.cycles.simple_cycles_bounded`` vs ``networkx.simple_cycles(G, length_bound=5)``;
   both must give the same set of cycles; prints counts, times and the speed-up.
   Target: at least 100x.
2. gnm_random_graph(100_000, 1_000_000, seed=1, directed=True), cycles of at most 4 nodes:
   our time and peak memory (networkx is not run here: it would take far too long).
   Target: under 60 s.
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

from graph.cycles import simple_cycles_bounded  # noqa: E402


def canonical(cycle) -> tuple:
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes vs KiB


def against_networkx(repeat: int = 5) -> bool:
    n, m, k = 2000, 6000, 5
    G = nx.gnm_random_graph(n, m, seed=1, directed=True)
    print(f"gnm_random_graph({n}, {m}, seed=1, directed=True), max length {k}")
    ours, _ = timed(lambda: list(simple_cycles_bounded(G, k)))
    # Best of a few runs for ours (it is short enough for timer noise to matter);
    # networkx runs once because it takes seconds.
    ours_time = min(timed(lambda: list(simple_cycles_bounded(G, k)))[1] for _ in range(repeat))
    theirs, theirs_time = timed(lambda: list(nx.simple_cycles(G, length_bound=k)))
    ours_set = {tuple(c) for c in ours}
    theirs_set = {canonical(c) for c in theirs}
    same = ours_set == theirs_set and len(ours_set) == len(ours)
    print(f"  dealgraph : {len(ours):>6} cycles  {ours_time * 1000:9.1f} ms (best of {repeat})")
    print(f"  networkx  : {len(theirs):>6} cycles  {theirs_time * 1000:9.1f} ms")
    print(f"  same cycles: {'yes' if same else 'NO'}")
    ratio = theirs_time / ours_time
    print(f"  speed-up  : {ratio:.0f}x  (target >= 100x: {'met' if ratio >= 100 else 'NOT met'})")
    return same and ratio >= 100


def large_graph() -> bool:
    n, m, k = 100_000, 1_000_000, 4
    print(f"\ngnm_random_graph({n:_}, {m:_}, seed=1, directed=True), max length {k}")
    G, build_time = timed(lambda: nx.gnm_random_graph(n, m, seed=1, directed=True))
    rss_graph = maxrss_mib()
    print(f"  building the networkx graph: {build_time:.1f} s, process peak RSS {rss_graph:.0f} MiB")
    cycles, elapsed = timed(lambda: list(simple_cycles_bounded(G, k)))
    rss_after = maxrss_mib()
    counts = {length: 0 for length in range(1, k + 1)}
    for c in cycles:
        counts[len(c)] += 1
    print(f"  dealgraph : {len(cycles)} cycles {counts}  {elapsed:.1f} s"
          f"  (target < 60 s: {'met' if elapsed < 60 else 'NOT met'})")
    print(f"  process peak RSS after enumeration: {rss_after:.0f} MiB"
          f" (+{rss_after - rss_graph:.0f} MiB over the graph alone)")
    # A second, traced run gives the enumeration's own peak allocation (tracing slows it).
    del cycles
    tracemalloc.start()
    list(simple_cycles_bounded(G, k))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  enumeration's own peak allocation (tracemalloc): {peak / 2**20:.0f} MiB")
    return elapsed < 60


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100k-node graph")
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()}, networkx {nx.__version__}, {platform.machine()}\n")
    ok = against_networkx()
    if not args.quick:
        ok = large_graph() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
