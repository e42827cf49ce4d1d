"""What hostile-input hardening costs: the loaders' sources against a bare standard-library
reader of the same files, side by side in one run.

    python bench/read_inputs.py [--deals 200000] [--entities 20000] [--rounds 2]

Writes a seeded synthetic deal file (bench/synthetic.py) as CSV and as JSON Lines, then
reads each with

* dealgraph: ``loaders.read_records`` — bounded lines (record and file size limits), per-line
  UTF-8 checks, strict JSON (no NaN/Infinity, numbers in range, no repeated keys, nesting
  limit), regular-file checks;
* baseline: ``csv.DictReader`` over a text file / ``json.loads`` per line, with none of that.

Prints records/s of each and the ratio (best of ``--rounds``). Validation is the same for
both and is not timed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dealgraph.loaders import read_records  # noqa: E402
from synthetic import write_synthetic  # noqa: E402


def _baseline_csv(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def _baseline_jsonl(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip() and json.loads(line) is not None)


def _ours(path: Path) -> int:
    n = 0
    for item in read_records([path]):
        if not hasattr(item, "fields"):
            raise SystemExit(f"unexpected problem: {item}")
        n += 1
    return n


def _best(function, path: Path, rounds: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = function(path)
        best = min(best, time.perf_counter() - start)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _, deals_csv = write_synthetic(Path(tmp), args.entities, args.deals, seed=1)
        deals_jsonl = Path(tmp) / "relationships.jsonl"
        with deals_csv.open(encoding="utf-8", newline="") as src, deals_jsonl.open("w", encoding="utf-8") as out:
            for row in csv.DictReader(src):
                out.write(json.dumps({k: v for k, v in row.items() if v}) + "\n")
        print(f"{args.deals:,} deals; best of {args.rounds} rounds")
        print(f"{'format':<12}{'dealgraph':>16}{'baseline':>16}{'ratio':>9}")
        for name, path, baseline in (("CSV", deals_csv, _baseline_csv), ("JSON Lines", deals_jsonl, _baseline_jsonl)):
            ours, n1 = _best(_ours, path, args.rounds)
            base, n2 = _best(baseline, path, args.rounds)
            assert n1 == n2 == args.deals, (n1, n2)
            print(f"{name:<12}{n1 / ours:>12,.0f} r/s{n2 / base:>12,.0f} r/s{ours / base:>8.2f}x")


if __name__ == "__main__":
    main()
