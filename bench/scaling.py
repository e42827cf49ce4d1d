"""Benchmark: `dealgraph load` and `dealgraph cycles` at 10k, 100k and 1M deals.

    python bench/scaling.py [--sizes 10000 100000 1000000] [--max-length 4] [--keep DIR [--reuse]]
                            [--repeat 3]

For each size, ``bench/synthetic.py`` writes a seeded dataset (one entity per ten deals);
then, each as its own process (the CLI as a user runs it): ``dealgraph load`` into a fresh
embedded store, and ``dealgraph cycles --format json`` on it. Beside them, in this process,
the work of ``cycles`` without process start-up (``dealgraph.analyses.queries.cycles(store, k)``: read
the store, search, fetch the deals on the loops, rank) and the enumeration alone
(``dealgraph.analyses.cycles.simple_cycles_of_pairs`` on the store's payer/payee pairs, read before the
clock starts), the floor for ``cycles``. Target: ``cycles()`` within 2x of the enumeration
alone at 1M deals (the default sizes include it: about five minutes in all). Then ``dealgraph render --view cycles`` on the same store, against the ``cycles``
command: the view needs the same lean reads (loops from payer/payee pairs, deal details
for the hops on loops only) plus drawing the loops shown. The two commands run
``--repeat`` times each (median shown). Prints wall times, peak RSS of each command, the
time ratio for each step in size, the cycles() / enumeration ratio and the render / cycles
ratio. ``--keep DIR --reuse`` measures stores kept by an earlier run (no load column).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dealgraph.analyses.cycles import simple_cycles_of_pairs  # noqa: E402
from dealgraph.analyses.queries import cycles  # noqa: E402
from dealgraph.stores.sqlite_store import SQLiteStore  # noqa: E402
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
    return [sys.executable, "-c", "from dealgraph.cli import main; main()"]


def median_run(cmd: list[str], repeat: int) -> tuple[float, float, str]:
    """The median wall time of ``repeat`` runs, the largest peak RSS, the last stdout."""
    runs = [run(cmd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def measure(n_deals: int, k: int, work: Path, repeat: int, reuse: bool) -> dict:
    n_entities = max(n_deals // 10, 2)
    data = work / f"data-{n_deals}"
    db = work / f"store-{n_deals}.db"
    if reuse and db.exists():
        load_s = load_rss = float("nan")
    else:
        write_synthetic(data, n_entities, n_deals, seed=1)
        for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            stale.unlink(missing_ok=True)
        load_s, load_rss, _ = run([*dealgraph(), "load", "--db", str(db), str(data)])
    cycles_s, cycles_rss, out = median_run(
        [*dealgraph(), "cycles", "--db", str(db), "--max-length", str(k), "--format", "json"], repeat)
    render_s, render_rss, _ = median_run(
        [*dealgraph(), "render", "--db", str(db), "--view", "cycles", "--max-length", str(k),
         "--out", str(work / f"cycles-{n_deals}.html")], repeat)
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
            "cycles": cycles_s, "cycles_rss": cycles_rss, "render": render_s, "render_rss": render_rss,
            "work": work_s, "enum": enum_s, "loops": loops}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="numbers of deals (default: 10000 100000 1000000)")
    parser.add_argument("--max-length", type=int, default=4, help="longest loop, in hops (default 4)")
    parser.add_argument("--keep", type=Path, default=None, help="keep data and stores in DIR")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: measure the stores already in DIR instead of loading anew")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the cycles and render commands, median shown (default 3)")
    args = parser.parse_args(argv)
    if args.reuse and args.keep is None:
        parser.error("--reuse needs --keep DIR")
    with tempfile.TemporaryDirectory(prefix="dealgraph-scaling-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        print(f"{os.cpu_count()} cores; cycles --max-length {args.max_length}\n")
        print(f"{'deals':>9} {'entities':>8} {'load s':>8} {'load MiB':>8} {'cycles s':>8} "
              f"{'cyc MiB':>8} {'render s':>8} {'rnd MiB':>8} {'cycles()':>8} {'enum s':>7} {'loops':>6} "
              f"{'cycles()/enum':>13} {'render/cycles':>13}")
        for n in args.sizes:
            r = measure(n, args.max_length, work, args.repeat, args.reuse)
            rows.append(r)
            print(f"{r['deals']:>9_} {r['entities']:>8_} {r['load']:>8.1f} {r['load_rss']:>8.0f} "
                  f"{r['cycles']:>8.1f} {r['cycles_rss']:>8.0f} {r['render']:>8.1f} {r['render_rss']:>8.0f} "
                  f"{r['work']:>8.2f} {r['enum']:>7.2f} {r['loops']:>6} {r['work'] / r['enum']:>12.2f}x "
                  f"{r['render'] / r['cycles']:>12.2f}x", flush=True)
    print()
    for a, b in zip(rows, rows[1:]):
        size = b["deals"] / a["deals"]
        print(f"{a['deals']:_} -> {b['deals']:_} deals ({size:g}x data): load {b['load'] / a['load']:.1f}x, "
              f"dealgraph cycles {b['cycles'] / a['cycles']:.1f}x, render --view cycles "
              f"{b['render'] / a['render']:.1f}x, cycles() {b['work'] / a['work']:.1f}x, "
              f"enumeration {b['enum'] / a['enum']:.1f}x")
    # The target is stated for a million deals (issue 11): at smaller sizes the reads and
    # the deal details weigh more against an enumeration that is over in a fraction of a
    # second, and those ratios are printed above, not judged.
    top = max(rows, key=lambda r: r["deals"])
    ratio = top["work"] / top["enum"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    if top["deals"] < 1_000_000:
        verdict += "; the target is for 1,000,000 deals, not measured"
    print(f"cycles() / enumeration alone at {top['deals']:_} deals: {ratio:.2f}x (target <= {TARGET:g}x: {verdict})")
    print(f"render --view cycles / dealgraph cycles: "
          + ", ".join(f"{r['render'] / r['cycles']:.2f}x at {r['deals']:_}" for r in rows))
    return 0 if ratio <= TARGET and top["deals"] >= 1_000_000 else 1


if __name__ == "__main__":
    sys.exit(main())
