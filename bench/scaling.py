"""Benchmark: `dealgraph load` and `dealgraph cycles` at 10k, 100k and 1M deals.

    python bench/scaling.py [--sizes 10000 100000 1000000] [--max-length 4] [--keep DIR]

For each size, ``bench/synthetic.py`` writes a seeded dataset (one entity per ten deals);
then, each as its own process (the CLI as a user runs it): ``dealgraph load`` into a fresh
embedded store, and ``dealgraph cycles --format json`` on it. Beside them, in this process,
the work of ``cycles`` without process start-up (``graph.queries.cycles(store, k)``: read
the store, search, fetch the deals on the loops, rank) and the enumeration alone
(``graph.cycles.simple_cycles_of_pairs`` on the store's payer/payee pairs, read before the
clock starts), the floor for ``cycles``. Target: ``cycles()`` within 2x of the enumeration
alone. Prints wall times, peak RSS of each command, the time ratio for each step in size,
and the cycles() / enumeration ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph.cycles import simple_cycles_of_pairs  # noqa: E402
from graph.queries import cycles  # noqa: E402
from graph.sqlite_store import SQLiteStore  # noqa: E402
from synthetic import write_synthetic  # noqa: E402

TARGET = 2.0


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of a child process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {child.stderr.read().decode()}")
        out.seek(0)
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def dealgraph() -> list[str]:
    return [sys.executable, "-c", "from graph.cli import main; main()"]


def measure(n_deals: int, k: int, work: Path) -> dict:
    n_entities = max(n_deals // 10, 2)
    data = work / f"data-{n_deals}"
    db = work / f"store-{n_deals}.db"
    write_synthetic(data, n_entities, n_deals, seed=1)
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    load_s, load_rss, _ = run([*dealgraph(), "load", "--db", str(db), str(data)])
    cycles_s, cycles_rss, out = run(
        [*dealgraph(), "cycles", "--db", str(db), "--max-length", str(k), "--format", "json"])
    with SQLiteStore(db, create=False) as store:
        start = time.perf_counter()
        found = cycles(store, k)
        work_s = time.perf_counter() - start
        pairs = [(u, v) for u, v, _ in store.money_flows()]
    start = time.perf_counter()
    loops = sum(1 for _ in simple_cycles_of_pairs(pairs, k))
    enum_s = time.perf_counter() - start
    assert loops == len(found) == len(json.loads(out)), "cycles and the enumeration disagree"
    return {"deals": n_deals, "entities": n_entities, "load": load_s, "load_rss": load_rss,
            "cycles": cycles_s, "cycles_rss": cycles_rss, "work": work_s, "enum": enum_s, "loops": loops}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="numbers of deals (default: 10000 100000 1000000)")
    parser.add_argument("--max-length", type=int, default=4, help="longest loop, in hops (default 4)")
    parser.add_argument("--keep", type=Path, default=None, help="keep data and stores in DIR")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dealgraph-scaling-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        print(f"{os.cpu_count()} cores; cycles --max-length {args.max_length}\n")
        print(f"{'deals':>9} {'entities':>8} {'load s':>8} {'load MiB':>8} {'cycles s':>8} "
              f"{'cyc MiB':>8} {'cycles()':>8} {'enum s':>7} {'loops':>6} {'cycles()/enum':>13}")
        for n in args.sizes:
            r = measure(n, args.max_length, work)
            rows.append(r)
            print(f"{r['deals']:>9_} {r['entities']:>8_} {r['load']:>8.1f} {r['load_rss']:>8.0f} "
                  f"{r['cycles']:>8.1f} {r['cycles_rss']:>8.0f} {r['work']:>8.1f} {r['enum']:>7.2f} "
                  f"{r['loops']:>6} {r['work'] / r['enum']:>12.2f}x", flush=True)
    print()
    for a, b in zip(rows, rows[1:]):
        size = b["deals"] / a["deals"]
        print(f"{a['deals']:_} -> {b['deals']:_} deals ({size:g}x data): load {b['load'] / a['load']:.1f}x, "
              f"dealgraph cycles {b['cycles'] / a['cycles']:.1f}x, cycles() {b['work'] / a['work']:.1f}x, "
              f"enumeration {b['enum'] / a['enum']:.1f}x")
    big = [r for r in rows if r["deals"] >= 100_000] or rows
    worst = max(r["work"] / r["enum"] for r in big)
    print(f"cycles() / enumeration alone, {big[0]['deals']:_} deals and up: at most {worst:.2f}x "
          f"(target <= {TARGET:g}x: {'met' if worst <= TARGET else 'NOT met'})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
