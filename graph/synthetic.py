"""A seeded synthetic deal graph written as the loaders' CSV input, for scaling benchmarks
and tests (the command is ``python bench/synthetic.py OUT_DIR --entities N --deals M``).

``write_synthetic(out_dir, n_entities, n_deals, seed=1)`` writes ``entities.csv`` and
``relationships.csv`` in the format of ``data/ai-finance`` (every column filled the way real
rows are: tickers on some entities, aliases, amounts on most deals, notes, dates, summaries,
evidence links) and returns the two paths. The same arguments always give byte-identical
files, so runs of a benchmark compare like with like.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from dealgraph.model.records import schema

ENTITY_COLUMNS = ("id", "name", "kind", "ticker", "country", "aliases")
DEAL_COLUMNS = (
    "id", "source", "kind", "target", "amount_usd", "amount_note", "date",
    "summary", "evidence_url", "evidence_title",
)
_COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "JP", "KR", "TW", "AE", "SA", "CN", "IN", "CA")
_NOTES = (
    "reported", "estimated", "up to; contingent on milestones", "multi-year commitment",
    "includes options", "as disclosed in filing",
)
_WORDS = (
    "Compute", "Capital", "Systems", "Networks", "Labs", "Partners", "Holdings", "Cloud",
    "Power", "Silicon", "Data", "Infrastructure", "Ventures", "Digital", "Energy", "Fabric",
)


def entity_id(i: int) -> str:
    return f"e{i:07d}"


def synthetic_rows(n_entities: int, n_deals: int, seed: int = 1):
    """``(entity_rows, deal_rows)``: two generators of CSV rows (tuples in column order).

    Deals connect random distinct entities, with a bias towards low ids (a few hubs get
    many deals, as in the real data), every relationship kind, and parallel deals.
    """
    if n_entities < 2:
        raise ValueError("need at least 2 entities for deals between distinct entities")
    entity_kinds = list(schema().entity_kinds)
    deal_kinds = list(schema().relationship_kinds)

    def entities():
        rng = random.Random(seed)
        for i in range(n_entities):
            words = rng.sample(_WORDS, 2)
            name = f"{words[0]} {words[1]} {i}"
            ticker = f"T{i:05X}" if rng.random() < 0.15 else ""
            aliases = ";".join(
                f"{words[0]}{i}" if k == 0 else f"{name} Inc." for k in range(rng.randrange(3))
            )
            yield (entity_id(i), name, rng.choice(entity_kinds), ticker, rng.choice(_COUNTRIES), aliases)

    def deals():
        rng = random.Random(seed + 1)
        for j in range(n_deals):
            # squaring a uniform draw favours low ids: hubs with many deals
            a = int(rng.random() ** 2 * n_entities)
            b = rng.randrange(n_entities - 1)
            b = b + 1 if b >= a else b
            kind = rng.choice(deal_kinds)
            amount = "" if rng.random() < 0.25 else str(rng.randrange(1, 200_000) * 50_000)
            note = rng.choice(_NOTES) if rng.random() < 0.4 else ""
            year = rng.randrange(2019, 2027)
            month = rng.randrange(1, 13)
            date = (f"{year}", f"{year}-{month:02d}", f"{year}-{month:02d}-{rng.randrange(1, 29):02d}")[
                rng.randrange(3)
            ]
            src, dst = entity_id(a), entity_id(b)
            yield (
                f"d{j:08d}", src, kind, dst, amount, note, date,
                f"Synthetic deal {j}: {src} {kind.replace('_', ' ')} {dst}.",
                f"https://example.com/deals/{j}",
                f"Deal {j} announcement",
            )

    return entities(), deals()


def write_synthetic(out_dir: str | Path, n_entities: int, n_deals: int, seed: int = 1) -> tuple[Path, Path]:
    """Write ``entities.csv`` and ``relationships.csv`` into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entity_rows, deal_rows = synthetic_rows(n_entities, n_deals, seed)
    paths = out / "entities.csv", out / "relationships.csv"
    for path, columns, rows in zip(paths, (ENTITY_COLUMNS, DEAL_COLUMNS), (entity_rows, deal_rows)):
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
    return paths
