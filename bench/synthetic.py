"""A seeded synthetic deal graph written as the loaders' CSV input, for scaling benchmarks.

    python bench/synthetic.py OUT_DIR --entities 100000 --deals 1000000 [--seed 1]

writes ``OUT_DIR/entities.csv`` and ``OUT_DIR/relationships.csv`` in the format of
``data/ai-finance`` (every column filled the way real rows are: tickers on some entities,
aliases, amounts on most deals, notes, dates, summaries, evidence links). The same
arguments always give byte-identical files, so runs of a benchmark compare like with like.

From Python: ``write_synthetic(out_dir, n_entities, n_deals, seed=1)`` returns the two paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The generator is the package's (tests use it too); this is its command.
from dealgraph.synthetic import write_synthetic  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    paths = write_synthetic(args.out_dir, args.entities, args.deals, args.seed)
    print(f"wrote {args.entities:_} entities and {args.deals:_} deals: {paths[0]}, {paths[1]}")


if __name__ == "__main__":
    main()
