"""FollowTheMoney source: FtM entities as JSON Lines (``*.ftm.json``, ``*.ftm.jsonl``,
``*.ftm.ndjson``), the format Aleph, OpenSanctions and ``ftm`` tools write.

Each line is one FtM object; companies, organisations and public bodies become entities
(with the figures dealgraph exports beside them) and ownership, debt, payment and link
intervals become deals, as :mod:`dealgraph.model.ftm` documents. Other schemas (a ``Person``, an ``Address``) are reported, never skipped
silently.
"""

from __future__ import annotations

from typing import Iterator

from dealgraph.model.ftm import FtmError, ftm_to_fields
from dealgraph.loaders.json_source import JsonLinesSource
from dealgraph.loaders.records import Location, Problem, Record

#: File name endings read as FollowTheMoney (checked before the plain extension).
FTM_SUFFIXES = (".ftm.json", ".ftm.jsonl", ".ftm.ndjson")


def is_ftm(name: str) -> bool:
    return name.lower().endswith(FTM_SUFFIXES)


class FtmSource(JsonLinesSource):
    """Streams FtM JSON Lines, one object (one entity or deal) per line."""

    def object_records(self, where: Location, value: dict) -> Iterator[Record | Problem]:
        try:
            records = ftm_to_fields(value)
        except FtmError as exc:
            yield Problem(where, str(exc))
            return
        for record_type, fields in records:
            yield Record(where, record_type, fields)
