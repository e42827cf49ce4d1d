"""The one interface both engines (embedded SQLite, Neo4j) implement.

Stores take validated records from ``loaders`` and answer the same questions; analyses
work on the networkx graphs a store hands out, so they never depend on the engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Collection, Iterable, Sequence

from dealgraph.model.errors import DealgraphError
from dealgraph.model.graphs import deal_graph, money_flow_graph
from dealgraph.model.records import Entity, Figure, Relationship

if TYPE_CHECKING:  # the graphs are built on demand; importing networkx is not free
    import networkx as nx

#: Called with (records_written_so_far, records_total) while a store writes.
Progress = Callable[[int, int], None]


class UnknownEntityError(DealgraphError):
    """An entity reference (id, name or alias) names nothing in the store."""


@dataclass(frozen=True)
class LoadCounts:
    """What a load wrote: entities, distinct deals and figures."""

    entities: int
    relationships: int
    figures: int = 0


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

    #: An engine that can check input while it writes it, in one transaction, offers
    #: ``write_streaming(open_data, progress) -> LoadCounts``: ``open_data(known_entities)``
    #: gives the streaming reader of the input (see :mod:`dealgraph.load`). Others get
    #: the whole checked dataset through :meth:`write`.
    write_streaming = None

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

    def money_flows(self, kinds: Collection[str] | None = None) -> Iterable[tuple[str, str, float | None]]:
        """``(payer, payee, amount_usd)`` for every money-moving deal that counts (not
        superseded, see :mod:`dealgraph.model.lineage`), of ``kinds`` if given: all a loop search
        needs, without the deals' other fields. Engines override this with a lean read."""
        from dealgraph.model.lineage import superseded_by

        relationships = self.relationships()
        superseded = superseded_by(relationships)
        for r in relationships:
            flow = r.money_flow
            if flow is not None and r.id not in superseded and (kinds is None or r.kind in kinds):
                yield flow[0], flow[1], r.amount_usd

    def exposure_flows(self) -> Iterable[tuple[str, str, float | None]]:
        """``(creditor, obligor, amount_usd)`` for every deal that counts (not superseded,
        see :mod:`dealgraph.model.lineage`) and creates an exposure (see :func:`dealgraph.model.records.exposure`),
        self-deals left out: all a default-contagion run needs. Engines override this with a
        lean read."""
        from dealgraph.model.lineage import counting_deals
        from dealgraph.model.records import exposure

        for r in counting_deals(self.relationships()):
            pair = exposure(r.kind, r.source, r.target)
            if pair is not None and r.source != r.target:
                yield pair[0], pair[1], r.amount_usd

    def money_flow_deals(
        self, pairs: Iterable[tuple[str, str]], kinds: Collection[str] | None = None
    ) -> dict[tuple[str, str], list[Relationship]]:
        """Every deal moving money along each ``(payer, payee)`` of ``pairs`` (of ``kinds``
        if given), in deal-id order, superseded ones too (a hop lists them, marked; see
        :meth:`superseded`); a pair with none is left out. Engines override this with a
        read of just those deals."""
        wanted = set(pairs)
        found: dict[tuple[str, str], list[Relationship]] = {}
        for r in self.relationships():  # in id order
            flow = r.money_flow
            if flow in wanted and (kinds is None or r.kind in kinds):
                found.setdefault(flow, []).append(r)
        return found

    def superseded(self) -> dict[str, tuple[str, ...]]:
        """``{deal id: the deals superseding it}`` (see :func:`dealgraph.model.lineage.superseded_by`).
        Engines override this with a read of the few deals that name another."""
        from dealgraph.model.lineage import superseded_by

        return superseded_by(self.relationships())

    def hop_deals(
        self, pairs: Iterable[tuple[str, str]], kinds: Collection[str] | None = None
    ) -> dict[tuple[str, str], list[dict]]:
        """What a loop's hops list for each ``(payer, payee)`` of ``pairs``: every deal's
        fields and its ``superseded_by`` (for :func:`dealgraph.analyses.cycles.find_money_loops`)."""
        found = self.money_flow_deals(pairs, kinds)
        replaced = self.superseded() if found else {}
        return {
            pair: [dict(r.to_dict(), superseded_by=list(replaced.get(r.id, ()))) for r in deals]
            for pair, deals in found.items()
        }

    def count_entities(self) -> int:
        """How many entities there are (engines answer without reading them)."""
        return len(self.entities())

    def count_deals(self, kinds: Collection[str] | None = None, min_amount: float | None = None) -> int:
        """How many deals there are, of ``kinds`` and of at least ``min_amount`` USD if given
        (superseded deals included: they are still deals on record)."""
        return sum(
            1 for r in self.relationships()
            if (kinds is None or r.kind in kinds)
            and (min_amount is None or (r.amount_usd is not None and r.amount_usd >= min_amount))
        )

    def entities_of(self, ids: Iterable[str]) -> list[Entity]:
        """The entities of ``ids`` that exist, ordered by id."""
        wanted = set(ids)
        return [e for e in self.entities() if e.id in wanted]

    def entity_names(self, ids: Iterable[str]) -> dict[str, str]:
        """``{id: name}`` for the entities of ``ids`` that exist (to label a few rows)."""
        wanted = set(ids)
        return {e.id: e.name for e in self.entities() if e.id in wanted}

    def money_flow_graph(self) -> nx.MultiDiGraph:
        """The money-flow view (payer -> payee), see :func:`dealgraph.model.records.money_flow_graph`."""
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
    raise UnknownEntityError(f"no entity with id, name or alias {ref!r}{_entity_hint(entities, ref)}")


def _entity_hint(entities: Sequence[Entity], ref: str) -> str:
    """``"; did you mean CoreWeave (coreweave)?"`` for the entity whose id, name or alias is
    closest to ``ref`` (difflib, case-insensitive), or nothing when none is close."""
    import difflib

    owner: dict[str, Entity] = {}
    for e in entities:
        for n in (e.id, e.name, *e.aliases):
            owner.setdefault(n.casefold(), e)
    close = difflib.get_close_matches(ref.casefold(), list(owner), n=1, cutoff=0.75)
    if not close:
        return ""
    e = owner[close[0]]
    return f"; did you mean {e.name} ({e.id})?"
