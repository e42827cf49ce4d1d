"""The one interface both engines (embedded SQLite, Neo4j) implement.

Stores take validated records from ``loaders`` and answer the same questions; analyses
work on the networkx graphs a store hands out, so they never depend on the engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from typing import TYPE_CHECKING, Callable, Sequence

from graph.errors import DealgraphError
from graph.model import Entity, Figure, Relationship, deal_graph, money_flow_graph

if TYPE_CHECKING:  # the graphs are built on demand; importing networkx is not free
    import networkx as nx

#: Called with (records_written_so_far, records_total) while a store writes.
Progress = Callable[[int, int], None]


class UnknownEntityError(DealgraphError):
    """An entity reference (id, name or alias) names nothing in the store."""


class Store(ABC):
    """A place that holds entities, deals and entity figures; writes are idempotent upserts."""

    @abstractmethod
    def write(
        self,
        entities: Sequence[Entity],
        relationships: Sequence[Relationship],
        progress: Progress | None = None,
        figures: Sequence[Figure] = (),
    ) -> None:
        """Upsert entities (by id), relationships (by deal id) and figures (by figure id)."""

    @abstractmethod
    def entities(self) -> list[Entity]:
        """Every entity, ordered by id."""

    @abstractmethod
    def relationships(self) -> list[Relationship]:
        """Every deal, ordered by id."""

    @abstractmethod
    def figures(self, entity: str | None = None, kind: str | None = None) -> list[Figure]:
        """The figures about entity id ``entity`` (every entity when None), of ``kind``
        (every kind when None), ordered by figure id."""

    @abstractmethod
    def stored_deal_endpoints(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """``{id: (source, kind, target)}`` for the deals among ``ids`` that are stored;
        looks up only those ids (a small load into a big store stays small)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store is unusable afterwards."""

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts by kind: ``{"entities": {kind: n}, "relationships": {kind: n},
        "figures": {kind: n}}``."""
        return {
            "entities": dict(sorted(Counter(e.kind for e in self.entities()).items())),
            "relationships": dict(sorted(Counter(r.kind for r in self.relationships()).items())),
            "figures": dict(sorted(Counter(f.kind for f in self.figures()).items())),
        }

    def deal_lineage(self) -> dict[str, tuple[str | None, str | None]]:
        """``{deal id: (supersedes, expands)}`` for every stored deal: what a load may name."""
        return {r.id: (r.supersedes, r.expands) for r in self.relationships()}

    def money_flow_graph(self) -> nx.MultiDiGraph:
        """The money-flow view (payer -> payee), see :func:`graph.model.money_flow_graph`."""
        return money_flow_graph(self.entities(), self.relationships())

    def deal_graph(self) -> nx.MultiDiGraph:
        """Every deal as written (source -> target), structural ties included."""
        return deal_graph(self.entities(), self.relationships())

    def resolve(self, ref: str) -> str:
        """The id of the entity that ``ref`` names by id, exact name or alias."""
        return resolve_entity(self.entities(), ref)

    def as_of(self) -> str | None:
        """The date of the latest deal: how current the data is."""
        dates = [r.date for r in self.relationships() if r.date]
        return max(dates) if dates else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def resolve_entity(entities: Sequence[Entity], ref: str) -> str:
    """Find an entity by id first, then by exact name or alias (case-insensitive)."""
    ids = {e.id for e in entities}
    if ref in ids:
        return ref
    wanted = ref.casefold()
    matches = sorted(
        {e.id for e in entities if wanted in {n.casefold() for n in (e.name, *e.aliases)}}
    )
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UnknownEntityError(f"{ref!r} is ambiguous: it names {', '.join(matches)}")
    raise UnknownEntityError(f"no entity with id, name or alias {ref!r}")
