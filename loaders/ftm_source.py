"""FollowTheMoney source: FtM entities as JSON Lines (``*.ftm.json``, ``*.ftm.jsonl``,
``*.ftm.ndjson``), the format Aleph, OpenSanctions and ``ftm`` tools write.

Each line is one FtM object; companies, organisations and public bodies become entities
(with the figures dealgraph exports beside them) and ownership, debt, payment and link
intervals become deals, as :mod:`dealgraph.model.ftm` documents.

A file as Aleph or OpenSanctions write it holds much that dealgraph does not model
(``Person``, ``Address``, ``Sanction``, ``Directorship``, ...). Those objects are skipped and
counted in one notice line for the file, and a deal whose party is one of them is left out
with a notice line of its own: neither stops the load. A property dealgraph does not read
(an ``Ownership``'s ``percentage`` or ``sharesCount``, a company's ``addressEntity``, ...) is
never dropped silently: one notice line per schema and property names it and the objects
that carry it (the first five ids, and how many more). Bad objects of the schemata
dealgraph reads are problems, as in any file. Messages name the file's own ids and FtM's
property names (``owner``, ``asset``, ...).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from dealgraph.model.ftm import DEAL_SCHEMAS, ENTITY_SCHEMAS, FtmError, ftm_to_fields, party_labels, unread_properties
from dealgraph.loaders.json_source import JsonLinesSource
from dealgraph.loaders.records import Location, Notice, Problem, Record

#: File name endings read as FollowTheMoney (checked before the plain extension).
FTM_SUFFIXES = (".ftm.json", ".ftm.jsonl", ".ftm.ndjson")

READ_SCHEMAS = frozenset(ENTITY_SCHEMAS) | frozenset(DEAL_SCHEMAS)


def is_ftm(name: str) -> bool:
    return name.lower().endswith(FTM_SUFFIXES)


class FtmSource(JsonLinesSource):
    """Streams FtM JSON Lines, one object (one entity or deal) per line.

    The file is read twice: a first pass finds the objects of schemata dealgraph does not
    read, so that a deal naming one is left out wherever in the file it comes.
    """

    def records(self) -> Iterator[Record | Problem | Notice]:
        self._skipped: dict[str, str] | None = None  # scanning: collect into _scan
        self._scan: dict[str, str] = {}
        self._unread: Counter[str] = Counter()
        for _ in super().records():  # problems are reported by the second pass
            pass
        self._skipped, self._left_out = self._scan, 0
        self._unread_props: dict[tuple[str, str], list[str]] = {}
        yield from super().records()
        for (ftm_schema, prop), ids in self._unread_props.items():
            shown = ", ".join(repr(i) for i in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            yield Notice(
                Location(str(self.path)),
                f"{ftm_schema} property {prop!r} not read (dealgraph has no field for it): left out of "
                f"{len(ids)} object{'s' * (len(ids) != 1)} ({shown})",
            )
        if self._unread:
            counts = ", ".join(f"{name} {n}" for name, n in sorted(self._unread.items()))
            total = sum(self._unread.values())
            left_out = f"; {self._left_out} deal{'s' * (self._left_out != 1)} naming them left out" \
                if self._left_out else ""
            yield Notice(
                Location(str(self.path)),
                f"skipped {total} FollowTheMoney object{'s' * (total != 1)} of schemata dealgraph does not "
                f"read ({counts}){left_out}",
            )

    def object_records(self, where: Location, value: dict) -> Iterator[Record | Problem | Notice]:
        ftm_schema, ftm_id = value.get("schema"), value.get("id")
        if self._skipped is None:  # first pass
            if isinstance(ftm_schema, str) and ftm_schema and ftm_schema not in READ_SCHEMAS:
                self._unread[ftm_schema] += 1
                if isinstance(ftm_id, str):
                    self._scan[ftm_id] = ftm_schema
            return
        if isinstance(ftm_schema, str) and ftm_schema and ftm_schema not in READ_SCHEMAS:
            return
        try:
            records = ftm_to_fields(value)
        except FtmError as exc:
            yield Problem(where, str(exc))
            return
        unread = unread_properties(value)
        for record_type, fields in records:
            if record_type != "relationship":
                self._note_unread(ftm_schema, ftm_id, unread)
                unread = []  # an entity's figures carry none of their own
                yield Record(where, record_type, fields)
                continue
            skipped = [
                f"{prop} {ref!r} is a {self._skipped[ref]}"
                for prop in DEAL_SCHEMAS[ftm_schema] for ref in value["properties"].get(prop, ())
                if ref in self._skipped
            ]
            if skipped:
                self._left_out += 1
                yield Notice(where, f"{ftm_schema} {ftm_id!r} left out: its {' and its '.join(skipped)}, "
                                    "which dealgraph does not read")
                continue
            self._note_unread(ftm_schema, ftm_id, unread)
            yield Record(where, record_type, fields, party_labels(value, fields))

    def _note_unread(self, ftm_schema: str, ftm_id: str, props: list[str]) -> None:
        for prop in props:
            self._unread_props.setdefault((ftm_schema, prop), []).append(ftm_id)
