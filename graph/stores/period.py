"""A read-only view of a store restricted to a period (``--since`` / ``--until``).

How a period is read from its two ends, and which deal dates it keeps, is
:mod:`dealgraph.model.values`; this is the store side: every reading command takes its
period through :func:`deals_in_period`, so they all count the same deals.
"""

from __future__ import annotations

from typing import Sequence

from dealgraph.model.values import Period
from dealgraph.model.errors import StoreError
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.stores.base import Progress, Store


class PeriodStore(Store):
    """A read-only view of a store that shows only the deals of a period (every entity)."""

    def __init__(self, store: Store, period: Period):
        self.store = store
        self.period = period

    def write(self, entities: Sequence[Entity], relationships: Sequence[Relationship],
              progress: Progress | None = None, figures: Sequence[Figure] = ()) -> None:
        raise StoreError("a store restricted to a period is read-only")

    def figures(self, entity: str | None = None, kind: str | None = None) -> list[Figure]:
        """Every figure: a period restricts which deals count, and figures are not deals."""
        return self.store.figures(entity=entity, kind=kind)

    def entities(self) -> list[Entity]:
        return self.store.entities()

    def relationships(self) -> list[Relationship]:
        return self.period.relationships(self.store.relationships())

    def resolve(self, ref: str) -> str:
        return self.store.resolve(ref)

    def stored_deal_endpoints(self, ids):
        # Which deals are stored does not depend on the period looked at.
        return self.store.stored_deal_endpoints(ids)

    def close(self) -> None:
        """The underlying store belongs to whoever opened it; nothing to release here."""


def deals_in_period(store: Store, since: str | None = None, until: str | None = None) -> Store:
    """``store`` itself when no bound is given, else a read-only view of it in which only the
    deals that may fall between ``since`` and ``until`` count. Every reading command takes its
    ``--since`` / ``--until`` through here, so they all count the same deals.

    A view answers canned queries with their Python twins on either engine (the Cypher
    files know nothing of periods), so both engines still give identical answers.
    """
    period = Period.between(since, until)
    return PeriodStore(store, period) if period.bounded else store
