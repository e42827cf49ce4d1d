"""Benchmark: ``dealgraph load`` into the embedded store vs plain ``sqlite3.executemany``.

    python bench/load_sqlite.py               # 10k and 100k deals
    python bench/load_sqlite.py --million     # also 100k entities / 1M deals
    python bench/load_sqlite.py --rounds 3    # median of 3 runs per method and size

For each size, ``bench/synthetic.py`` writes entities.csv and relationships.csv (N/10
entities, N deals, seeded). Then, each in its own process so that its peak RSS is its own:

* dealgraph: the ``dealgraph load DIR --db NEW.db`` command (validation, name
  resolution, conflict and lineage checks, all-or-nothing, one transaction);
* baseline: ``csv.reader`` rows straight into ``executemany`` on the same tables and
  indexes, in one transaction, nothing checked.

Prints wall time, CPU time and peak RSS of each, the ratios (target: within 1.3x, under
200 MiB) and how time grows with size. On a shared machine CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import write_synthetic  # noqa: E402

BASELINE = textwrap.dedent("""
    import csv, sqlite3, sys
    from dealgraph.stores.sqlite_store import _DDL
    data, db = sys.argv[1:3]
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(_DDL)
    conn.execute("BEGIN")
    with open(data + "/entities.csv", newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        conn.executemany("INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?)", rows)
    with open(data + "/relationships.csv", newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        columns = next(rows)
        conn.executemany(
            f"INSERT INTO relationships ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            rows)
    conn.execute("COMMIT")
    conn.close()
""")

DEALGRAPH = "import sys; from dealgraph.cli import main; sys.argv[0] = 'dealgraph'; main()"


def measure(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_size(work: Path, deals: int, rounds: int) -> dict[str, tuple[float, float, float]]:
    data = work / f"data-{deals}"
    if not data.exists():
        write_synthetic(data, max(deals // 10, 2), deals, seed=1)
    results: dict[str, list[tuple[float, float, float]]] = {"dealgraph": [], "baseline": []}
    for r in range(rounds):
        for method in ("baseline", "dealgraph") if r % 2 == 0 else ("dealgraph", "baseline"):
            db = work / f"{method}-{deals}.db"
            if method == "dealgraph":
                argv = [sys.executable, "-c", DEALGRAPH, "load", str(data), "--db", str(db)]
            else:
                argv = [sys.executable, "-c", BASELINE, str(data), str(db)]
            results[method].append(measure(argv))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    return {m: tuple(statistics.median(x[i] for x in runs) for i in range(3))
            for m, runs in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="also 100k entities / 1M deals")
    parser.add_argument("--rounds", type=int, default=3, help="runs per method and size (median)")
    parser.add_argument("--million-rounds", type=int, default=1, help="runs at 1M deals")
    args = parser.parse_args()
    sizes = [10_000, 100_000] + ([1_000_000] if args.million else [])
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; median of {args.rounds} run(s) each")
    print(f"{'deals':>9} {'method':>9} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} "
          f"{'wall ratio':>10} {'cpu ratio':>9}")
    table = {}
    with tempfile.TemporaryDirectory(prefix="dealgraph-bench-") as tmp:
        for deals in sizes:
            rounds = args.rounds if deals < 1_000_000 else args.million_rounds
            table[deals] = res = run_size(Path(tmp), deals, rounds)
            base = res["baseline"]
            for method in ("baseline", "dealgraph"):
                wall, cpu, rss = res[method]
                print(f"{deals:>9,} {method:>9} {wall:>8.2f} {cpu:>8.2f} {rss:>9.0f} "
                      f"{wall / base[0]:>9.2f}x {cpu / base[1]:>8.2f}x", flush=True)
    if len(sizes) > 1:
        print("\nscaling (CPU time at one size over the size before; the data grows 10x):")
        for small, big in zip(sizes, sizes[1:]):
            print(f"  {small:,} -> {big:,} deals: dealgraph "
                  f"{table[big]['dealgraph'][1] / table[small]['dealgraph'][1]:.1f}x, baseline "
                  f"{table[big]['baseline'][1] / table[small]['baseline'][1]:.1f}x")


if __name__ == "__main__":
    main()
