"""From input files to one validated :class:`Dataset`, or every problem at once.

Records stream in from the sources and are checked one by one; entities from all files
are gathered before deals are resolved, so the order of files does not matter. Nothing
here writes anywhere: the caller hands the dataset to a store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from dealgraph.model.errors import ValidationError
from dealgraph.model.lineage import LINEAGE_FIELDS, lineage_cycles
from dealgraph.model.records import Entity, Figure, Relationship
from dealgraph.loaders.records import Location, Problem
from dealgraph.loaders.resolution import EntityIndex, UnresolvedReference
from dealgraph.loaders.sources import read_records
from dealgraph.loaders.validation import (
    FigureDraft,
    LocatedEntity,
    RejectedFigure,
    RejectedEntity,
    RejectedRelationship,
    RelationshipDraft,
    Validated,
    validate_records,
)


#: The deals a load may name in ``supersedes``/``expands``: ``{deal id: (supersedes,
#: expands)}``, or a function returning that (called only if some deal has lineage).
KnownDeals = Mapping[str, tuple[str | None, str | None]] | Callable[[], Mapping[str, tuple[str | None, str | None]]]

@dataclass(frozen=True)
class Dataset:
    """Validated entities, deals and figures, every entity reference resolved to an id.

    Records are in the order first defined; identical repeats are merged.
    """

    entities: list[Entity]
    relationships: list[Relationship]
    figures: list[Figure] = field(default_factory=list)


#: Given deal ids, the stored ones among them as ``{id: (source, kind, target)}``
#: (:meth:`dealgraph.stores.base.Store.stored_deal_endpoints`).
StoredDealEndpoints = Callable[[Sequence[str]], Mapping[str, tuple[str, str, str]]]


def read_dataset(
    paths: Iterable[Path | str],
    known_entities: Iterable[Entity] = (),
    known_deals: KnownDeals | None = None,
    stored_deal_endpoints: StoredDealEndpoints | None = None,
) -> Dataset:
    """Read and validate ``paths`` (files or directories) into one dataset.

    ``known_entities`` (for example those already in the store) may be named by deals
    too; an entity defined in the files replaces the known one with the same id. They
    are not part of the returned dataset. Likewise ``known_deals`` (``{deal id:
    (supersedes, expands)}``, as :meth:`dealgraph.stores.base.Store.deal_lineage` gives, or a function
    returning it, called only when a deal in the files has lineage) may be
    named by a deal's ``supersedes`` or ``expands``, and their links count when looking
    for lineage loops.
    With ``stored_deal_endpoints``, a deal whose id is stored between other entities
    or as another kind is a problem: an id names one deal, and reusing it would
    silently move that deal.

    Raises :class:`dealgraph.model.errors.ValidationError` listing every problem of every file as
    ``FILE:LINE: message``, in file and line order.
    """
    builder = DatasetBuilder(known_entities, known_deals, stored_deal_endpoints)
    for item in validate_records(read_records(paths)):
        builder.add(item)
    return builder.build()


class DatasetBuilder:
    """Collects validated items, merges repeats and resolves deals at the end."""

    def __init__(
        self,
        known_entities: Iterable[Entity] = (),
        known_deals: KnownDeals | None = None,
        stored_deal_endpoints: StoredDealEndpoints | None = None,
    ):
        self._known = list(known_entities)
        self._known_deals_source = known_deals
        self._stored_deal_endpoints = stored_deal_endpoints
        self._entities: dict[str, LocatedEntity] = {}
        self._drafts: list[RelationshipDraft | RejectedRelationship] = []
        self._figure_drafts: list[FigureDraft | RejectedFigure] = []
        self._rejected_references: list[str] = []
        self._problems: list[Problem] = []
        self._file_order: dict[str, int] = {}

    def add(self, item: Validated) -> None:
        self._file_order.setdefault(item.where.path, len(self._file_order))
        if isinstance(item, Problem):
            self._problems.append(item)
        elif isinstance(item, LocatedEntity):
            self._add_entity(item)
        elif isinstance(item, RejectedEntity):
            self._rejected_references.extend(item.references)
        elif isinstance(item, (FigureDraft, RejectedFigure)):
            self._figure_drafts.append(item)  # waits, like deals, until every entity is known
        else:  # deals wait until every entity is known
            self._drafts.append(item)

    def _add_entity(self, item: LocatedEntity) -> None:
        first = self._entities.get(item.entity.id)
        if first is None:
            self._entities[item.entity.id] = item
        elif first.entity != item.entity:
            self._problems.append(
                Problem(
                    item.where,
                    f"entity {item.entity.id!r} conflicts with its definition at {first.where} "
                    f"(differs in {differences(first.entity, item.entity)})",
                )
            )

    def build(self) -> Dataset:
        """The dataset; raises ``ValidationError`` if any problem was found."""
        defined = [located.entity for located in self._entities.values()]
        index = EntityIndex(
            [e for e in self._known if e.id not in self._entities] + defined,
            self._rejected_references,
        )
        relationships: dict[str, tuple[Location, Relationship]] = {}
        for draft in self._drafts:
            relationship = self._resolve(index, draft)
            if relationship is None:
                continue
            first = relationships.get(relationship.id)
            if first is None:
                relationships[relationship.id] = (draft.where, relationship)
            elif first[1] != relationship:
                self._problems.append(
                    Problem(
                        draft.where,
                        f"relationship {relationship.id!r} conflicts with its definition at "
                        f"{first[0]} (differs in {differences(first[1], relationship)})",
                    )
                )
        self._check_lineage(relationships)
        if self._stored_deal_endpoints is not None and relationships:
            self._check_stored_endpoints(relationships)
        figures = self._resolve_figures(index)
        if self._problems:
            raise ValidationError(str(p) for p in self._sorted_problems())
        return Dataset(defined, [r for _, r in relationships.values()], figures)

    def _resolve_figures(self, index: EntityIndex) -> list[Figure]:
        """The figures, resolved and with repeats merged (conflicting repeats noted)."""
        figures: dict[str, tuple[Location, Figure]] = {}
        for draft in self._figure_drafts:
            figure = self._resolve_figure(index, draft)
            if figure is None:
                continue
            first = figures.get(figure.id)
            if first is None:
                figures[figure.id] = (draft.where, figure)
            elif first[1] != figure:
                self._problems.append(
                    Problem(
                        draft.where,
                        f"figure {figure.id!r} conflicts with its definition at "
                        f"{first[0]} (differs in {differences(first[1], figure)})",
                    )
                )
        return [f for _, f in figures.values()]

    def _resolve_figure(
        self, index: EntityIndex, draft: FigureDraft | RejectedFigure
    ) -> Figure | None:
        """The resolved figure, or None after noting why it cannot be (or was rejected)."""
        ids = []
        unresolved = False
        for role, ref in draft.references:
            if ref is None:  # absent (optional counterparty, or already reported)
                ids.append(None)
                continue
            try:
                resolved = index.resolve(ref)
            except UnresolvedReference as exc:
                self._problems.append(Problem(draft.where, f"{role} {ref!r} {exc}"))
                resolved = None
            unresolved = unresolved or resolved is None
            ids.append(resolved)
        if unresolved or isinstance(draft, RejectedFigure):
            return None
        return draft.resolve(*ids)

    def _check_lineage(self, relationships: dict[str, tuple[Location, Relationship]]) -> None:
        """Every ``supersedes``/``expands`` names a deal in the files or the store, and no
        chain of them leads a deal back to itself."""
        if not any(r.supersedes or r.expands for _, r in relationships.values()):
            return  # nothing to check, and no need to read the store's lineage
        known = self._known_deals_source
        known = dict((known() if callable(known) else known) or {})
        links = {k: v for k, v in known.items() if k not in relationships}
        for where, r in relationships.values():
            named = (r.supersedes, r.expands)
            links[r.id] = named
            for field, other in zip(LINEAGE_FIELDS, named):
                if other is None:
                    continue
                if other == r.id:  # (a deal with its own id given is already stopped in validation)
                    self._problems.append(Problem(where, f"deal {r.id!r} {field} itself"))
                elif other not in relationships and other not in known:
                    self._problems.append(
                        Problem(where, f"{field} {other!r} names no deal (no deal with that id in the files or the store)")
                    )
        without_self = {k: tuple(None if x == k else x for x in v) for k, v in links.items()}
        for loop in lineage_cycles(without_self):
            located = [relationships[deal][0] for deal, _, _ in loop if deal in relationships]
            if not located:
                continue  # a loop already in the store is not this load's problem
            steps = ", ".join(f"{deal} {field} {other}" for deal, field, other in loop)
            self._problems.append(
                Problem(
                    min(located, key=lambda w: (self._file_order.get(w.path, 0), w.line or 0)),
                    f"lineage loop: {steps} (a deal cannot end up replacing or extending itself)",
                )
            )

    def _resolve(
        self, index: EntityIndex, draft: RelationshipDraft | RejectedRelationship
    ) -> Relationship | None:
        """The resolved deal, or None after noting why it cannot be (or was rejected)."""
        ids = []
        for role in ("source", "target"):
            ref = getattr(draft, role)
            if ref is None:  # a missing reference is already on the problem list
                ids.append(None)
                continue
            try:
                ids.append(index.resolve(ref))
            except UnresolvedReference as exc:
                self._problems.append(Problem(draft.where, f"{role} {ref!r} {exc}"))
                ids.append(None)
        if None in ids or isinstance(draft, RejectedRelationship):
            return None
        if ids[0] == ids[1]:
            # A deal with oneself moves no money between parties, and would be a loop of one.
            self._problems.append(
                Problem(draft.where, f"a deal from an entity to itself ({ids[0]!r}); source and target must differ")
            )
            return None
        return draft.resolve(*ids)

    def _check_stored_endpoints(self, relationships: dict[str, tuple[Location, Relationship]]) -> None:
        stored = self._stored_deal_endpoints(list(relationships))
        for rid, ends in stored.items():
            where, r = relationships[rid]
            if tuple(ends) != (r.source, r.kind, r.target):
                self._problems.append(
                    Problem(
                        where,
                        f"relationship {rid!r} is already stored as {' '.join(ends)}; here it is "
                        f"{r.source} {r.kind} {r.target} (give this deal its own id)",
                    )
                )

    def _sorted_problems(self) -> list[Problem]:
        # Stable: problems on the same line keep the order they were found in.
        return sorted(
            self._problems,
            key=lambda p: (self._file_order.get(p.where.path, 0), p.where.line or 0),
        )


def differences(a, b) -> str:
    """Names of the dataclass fields in which ``a`` and ``b`` differ."""
    return ", ".join(f.name for f in fields(a) if getattr(a, f.name) != getattr(b, f.name))
