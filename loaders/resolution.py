"""Naming entities: which entity a deal's ``source``/``target`` reference means.

A reference is an entity id, or else an exact (case-sensitive) name or alias. An id
always wins; a name or alias that belongs to two entities is ambiguous and rejected
rather than guessed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from graph.model import Entity


class UnresolvedReference(Exception):
    """A reference that names no entity, or more than one; ``str()`` is the message."""


class EntityIndex:
    """Looks entities up by id, name and alias."""

    def __init__(self, entities: Iterable[Entity] = (), rejected_references: Iterable[str] = ()):
        self._ids: set[str] = set()
        self._by_label: dict[str, set[str]] = defaultdict(set)
        # References of entity records that failed validation: deals naming them are not
        # reported again (their problem is already on the list).
        self._rejected = set(rejected_references)
        for entity in entities:
            self.add(entity)

    def add(self, entity: Entity) -> None:
        self._ids.add(entity.id)
        for label in (entity.name, *entity.aliases):
            self._by_label[label].add(entity.id)

    def resolve(self, ref: str) -> str | None:
        """The id ``ref`` names; ``None`` if it names a rejected entity record.

        Raises :class:`UnresolvedReference` if it names none or several entities.
        """
        if ref in self._ids:
            return ref
        matches = self._by_label.get(ref, ())
        if len(matches) == 1:
            return next(iter(matches))
        if len(matches) > 1:
            raise UnresolvedReference(
                f"is ambiguous: it is the name or alias of {', '.join(map(repr, sorted(matches)))}"
                " (use the id)"
            )
        if ref in self._rejected:
            return None
        raise UnresolvedReference("names no entity (not the id, name or alias of any entity)")
