"""Random deal graphs for the tests that compare engines or implementations: every kind,
parallel deals, unknown amounts, a few self-deals, and lineage (supersedes/expands) that
never makes a loop. The same seed always gives the same graph.
"""

from __future__ import annotations

import dataclasses
import random

from dealgraph.model.records import Entity, Relationship, schema


def random_dataset(seed: int, n: int = 14, m: int = 55):
    """A random deal graph: every kind, parallel deals, unknown amounts, a few self-deals."""
    rng = random.Random(seed)
    kinds = list(schema().relationship_kinds)
    entity_kinds = list(schema().entity_kinds)
    ids = sorted({f"{rng.choice('abcdefgh')}{rng.choice(['', '-x', '1', '9z'])}{i}" for i in range(n)})
    entities = [
        Entity(i, f"Name {i}", rng.choice(entity_kinds), aliases=(f"alias {i}",) if rng.random() < 0.3 else ())
        for i in ids
    ]
    deals = []
    for j in range(m):
        a, b = rng.choice(ids), rng.choice(ids)
        if a == b and rng.random() < 0.8:
            continue
        amount = None if rng.random() < 0.3 else rng.choice([1e6, 2.5e8, 0.1, 0.2, 3e9, rng.random() * 1e9])
        deal = Relationship(
            f"r{rng.randrange(10**6):06d}", a, rng.choice(kinds), b, amount,
            date=rng.choice([None, "2024", "2025-01"]), evidence_url=rng.choice([None, f"https://e/{j}"]),
        )
        deals.append(deal)
        if rng.random() < 0.25:  # a parallel deal between the same entities
            deals.append(Relationship(deal.id + "p", a, deal.kind, b, rng.choice([None, 0.3, 7e8]), date="2023"))
    return entities, with_lineage(deals, seed)


def with_lineage(deals, seed):
    """Some deals supersede or expand an earlier one (never a later one: no lineage loops),
    parallel ones most often; from a generator of its own, so the graph stays the same."""
    rng = random.Random(seed * 7919 + 1)
    out = []
    for i, deal in enumerate(deals):
        if i and rng.random() < 0.3:
            earlier = deals[i - 1] if rng.random() < 0.5 else rng.choice(deals[:i])
            field = "supersedes" if rng.random() < 0.7 else "expands"
            deal = dataclasses.replace(deal, **{field: earlier.id})
        out.append(deal)
    return out
