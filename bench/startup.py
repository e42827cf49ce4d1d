"""Benchmark: how long `dealgraph --help` takes against bare Python, in the same run.

    python bench/startup.py [--runs 15]

Runs ``dealgraph --help`` (the installed console script) and ``python -c pass`` with the
same interpreter, alternately, and prints the median wall time of each and their ratio.
What ``--help`` costs above bare Python is the imports ``dealgraph.cli`` pulls in; heavy
libraries (networkx, PyYAML, pyvis, the Neo4j driver) are imported only by the commands
that use them. Target: under 4x bare Python (click alone is about 1x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 4.0


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args(argv)
    script = shutil.which("dealgraph", path=str(Path(sys.executable).parent)) or shutil.which("dealgraph")
    if script is None:
        print("dealgraph is not installed (pip install -e .)", file=sys.stderr)
        return 2
    commands = {
        "dealgraph --help": [script, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for cmd in commands.values():  # warm the file cache once
        wall(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(wall(cmd))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"Python {sys.version.split()[0]}; median of {args.runs} runs each, alternating")
    for name, t in med.items():
        print(f"  {name:<17} {t * 1000:7.1f} ms")
    ratio = med["dealgraph --help"] / med["python -c pass"]
    print(f"  ratio            {ratio:7.2f}x  (target < {TARGET:g}x: {'met' if ratio < TARGET else 'NOT met'})")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
