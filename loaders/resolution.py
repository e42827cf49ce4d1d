"""Naming entities: which entity a deal's ``source``/``target`` reference means.

A reference is an entity id, or else an exact (case-sensitive) name or alias. An id
always wins; a name or alias that belongs to two entities is ambiguous and rejected
rather than guessed.
"""

from __future__ import annotations

from typing import Iterable

from dealgraph.model.records import Entity


class UnresolvedReference(Exception):
    """A reference that names no entity, or more than one; ``str()`` is the message."""


class EntityIndex:
    """Looks entities up by id, name and alias."""

    def __init__(self, entities: Iterable[Entity] = (), rejected_references: Iterable[str] = ()):
        self._ids: set[str] = set()
        # A label names one entity almost always: its id is stored as it is, and a set of
        # ids only for a label shared by several (a set per label cost 250 bytes each,
        # half the memory of a load of 100,000 entities).
        self._by_label: dict[str, str | set[str]] = {}
        # References of entity records that failed validation: deals naming them are not
        # reported again (their problem is already on the list).
        self._rejected = set(rejected_references)
        for entity in entities:
            self.add(entity)

    @property
    def ids(self) -> set[str]:
        """Every entity id known (read-only use: a deal naming one resolves to it)."""
        return self._ids

    def add(self, entity: Entity) -> None:
        self._ids.add(entity.id)
        for label in (entity.name, *entity.aliases):
            named = self._by_label.get(label)
            if named is None:
                self._by_label[label] = entity.id
            elif isinstance(named, set):
                named.add(entity.id)
            elif named != entity.id:
                self._by_label[label] = {named, entity.id}

    def resolve(self, ref: str) -> str | None:
        """The id ``ref`` names; ``None`` if it names a rejected entity record.

        Raises :class:`UnresolvedReference` if it names none or several entities.
        """
        if ref in self._ids:
            return ref
        matches = self._by_label.get(ref, ())
        if isinstance(matches, str):
            return matches
        if matches:  # (a set holds two ids or more)
            raise UnresolvedReference(
                f"is ambiguous: it is the name or alias of {', '.join(map(repr, sorted(matches)))}"
                " (use the id)"
            )
        if ref in self._rejected:
            return None
        raise UnresolvedReference("names no entity (not the id, name or alias of any entity)")
