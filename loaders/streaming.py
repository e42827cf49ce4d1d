"""Validated input for a store that writes deals while they stream in (the embedded store).

:func:`loaders.read_dataset` holds every deal in memory until all are checked. A load of
a million deals does not need to: entities are few and deals many, so the files are read
in two passes.

1. :meth:`StreamingDataset.read_entities` reads every entity and entity figure (and
   every problem that is not about a deal). A CSV file of deals is recognised by its first row and left for
   pass 2; deals inside JSON, JSON Lines and YAML files are skipped for now.
2. :meth:`StreamingDataset.relationship_batches` reads the deals, checks and resolves
   them against all entities (so file order does not matter) and hands them on in
   batches to be written inside the caller's transaction.

Problems are collected on the way, exactly as :func:`loaders.read_dataset` reports them;
the caller rolls the whole transaction back at the end if there is any
(:meth:`StreamingDataset.raise_problems`). Deals repeated with different fields are found
by the store (it has them all, Python does not); :meth:`StreamingDataset.report_conflicts`
then reads the deals a third time to say where each one was defined.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from dealgraph.model.errors import ValidationError
from dealgraph.model.lineage import LINEAGE_FIELDS, lineage_cycles
from dealgraph.model.records import (
    DEFAULT_ENTITY_KIND, TEXT_TYPES, Entity, Relationship, relationship_id, schema,
)
from dealgraph.loaders.csv_source import CsvSource, RowChunk
from dealgraph.loaders.dataset import DatasetBuilder, differences
from dealgraph.loaders.records import ALLOWED_FIELDS, Location, Notice, Problem, Record
from dealgraph.loaders.resolution import EntityIndex
from dealgraph.loaders.sources import input_files, open_source
from dealgraph.loaders.validation import (
    CONTROL_CHARACTER, ENTITY_ID, LocatedEntity, parse_aliases, check_date_field, validate_records,
)


@dataclass
class _InputFile:
    path: Path
    deals_only: bool = False  # a CSV of deals: read whole in pass 2, skipped in pass 1
    has_deals: bool = False  # a document holding deals too: pass 2 reads just those
    deal_estimate: int = 0


class StreamingDataset(DatasetBuilder):
    """Input files, validated in passes so deals can be written batch by batch.

    ``known_entities`` (those already in the store) may be named by deals, as in
    :func:`loaders.read_dataset`.
    """

    def __init__(self, paths: Iterable[Path | str], known_entities: Iterable[Entity] = ()):
        super().__init__(known_entities)
        self._paths = list(paths)
        self._files: list[_InputFile] = []
        self._index: EntityIndex | None = None

    # ------------------------------------------------------------------ pass 1

    def read_entities(self) -> list[Entity]:
        """Pass 1: every entity defined in the files (problems are noted, not raised);
        their figures are then in :attr:`figures`."""
        for item in input_files(self._paths):
            if isinstance(item, Problem):
                self.add(item)
            else:
                self._files.append(self._read_entities_of(item))
        defined = [located.entity for located in self._entities.values()]
        self._index = EntityIndex(
            [e for e in self._known if e.id not in self._entities] + defined,
            self._rejected_references,
        )
        self.figures = self._resolve_figures(self._index)
        return defined

    def _read_entities_of(self, path: Path) -> _InputFile:
        file = _InputFile(path)
        self._file_order.setdefault(str(path), len(self._file_order))
        found: list[Problem] = []
        source = open_source(path)
        records = _entity_pass_items(source)
        for item in records:
            if isinstance(item, (LocatedEntity, Notice)):  # read in bulk, already valid; said once
                self.add(item)
            elif isinstance(item, Problem):
                found.append(item)
            elif item.type != "relationship":  # entities and figures
                for validated in validate_records([item]):
                    if isinstance(validated, Problem):
                        found.append(validated)
                    else:
                        self.add(validated)
            elif isinstance(source, CsvSource):
                # A CSV file holds one type: pass 2 reads it whole, problems and all.
                records.close()
                file.deals_only = True
                file.deal_estimate = _count_lines(path)
                return file
            else:
                file.has_deals = True
                file.deal_estimate += 1
        for problem in found:
            self.add(problem)
        return file

    @property
    def deal_estimate(self) -> int:
        """About how many deal records pass 2 will read (lines of CSV files of deals)."""
        return sum(f.deal_estimate for f in self._files)

    # ------------------------------------------------------------------ pass 2

    def relationship_batches(self, size: int) -> Iterator[list[tuple]]:
        """Pass 2: the valid, resolved deals in batches of about ``size``, in file order.

        Each deal is a tuple of the fields of :class:`~dealgraph.model.records.Relationship`, in
        their order (what a store writes; no object per deal).

        Batches keep coming after a problem is found: nothing will be kept, but the
        store still has to see every deal to find the repeats that conflict, so that
        every problem is listed in one run.
        """
        batch: list[tuple] = []
        for _, rows in self._deal_runs(record_problems=True):
            batch += rows
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _deals(self, record_problems: bool) -> Iterator[tuple[Location, tuple]]:
        """Each deal of pass 2 and where it is defined."""
        for where, rows in self._deal_runs(record_problems):
            yield from zip(where, rows)

    def _deal_runs(self, record_problems: bool) -> Iterator[tuple[Sequence[Location], list[tuple]]]:
        """The deals of pass 2 as runs of rows, each with the places they are defined."""
        if self._index is None:
            raise RuntimeError("read_entities() comes first")
        plain = _PlainDealRows(self._index)
        for file in self._files:
            if file.deals_only:
                # A CSV file of deals: rows in bulk, and records where bulk is not safe.
                items = CsvSource(file.path).chunks()
            elif file.has_deals:
                items = open_source(file.path).records()
            else:
                continue
            for item in items:
                if isinstance(item, RowChunk):
                    run = plain.chunk(item)
                    if run is not None:
                        yield run
                        continue
                    # Not all plain: row by row, exactly as records() would give them.
                    layout = item.layout
                    for line, row in enumerate(item.rows, item.first_line):
                        record = layout.record(line, row)
                        if record is not None:
                            yield from self._record_deals(record, plain, file, record_problems)
                else:
                    yield from self._record_deals(item, plain, file, record_problems)

    def _record_deals(self, item: Record | Problem, plain: "_PlainDealRows", file: _InputFile,
                      record_problems: bool) -> Iterator[tuple[Sequence[Location], list[tuple]]]:
        """The deal of one record (none if it is not a valid deal; its problems are noted)."""
        if isinstance(item, Notice):  # noted in pass 1
            return
        if isinstance(item, Problem):
            if file.deals_only and record_problems:
                self.add(item)  # problems of documents were noted in pass 1
            return
        if item.type != "relationship":
            return
        row = plain.row(item.fields)
        if row is not None:
            yield (item.where,), [row]
            return
        for validated in validate_records([item]):
            if isinstance(validated, Problem):
                if record_problems:
                    self.add(validated)
                continue
            problems_before = len(self._problems)
            relationship = self._resolve(self._index, validated)
            if not record_problems:
                del self._problems[problems_before:]
            if relationship is not None:
                yield (validated.where,), [astuple(relationship)]

    # ------------------------------------------------------------------ the end

    def report_conflicts(self, ids: Iterable[str]) -> None:
        """Note a problem for each later definition of these deal ids that differs from the first.

        The store found that these ids were written twice with different fields; a third
        reading of the deals tells where (only ever run on this failure path).
        """
        wanted = set(ids)
        if not wanted:
            return
        first: dict[str, tuple[Location, Relationship]] = {}
        for where, row in self._deals(record_problems=False):
            if row[0] not in wanted:
                continue
            relationship = Relationship(*row)
            seen = first.get(relationship.id)
            if seen is None:
                first[relationship.id] = (where, relationship)
            elif seen[1] != relationship:
                self.add(
                    Problem(
                        where,
                        f"relationship {relationship.id!r} conflicts with its definition at "
                        f"{seen[0]} (differs in {differences(seen[1], relationship)})",
                    )
                )

    def report_moved(self, moved: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> None:
        """Note a problem for each stored deal id this load gives other endpoints or kind.

        ``moved`` is ``{id: (stored (source, kind, target), new (source, kind, target))}``.
        """
        where = self._locate(moved)
        for rid, (stored, new) in moved.items():
            self.add(
                Problem(
                    where[rid],
                    f"relationship {rid!r} is already stored as {' '.join(stored)}; here it is "
                    f"{' '.join(new)} (give this deal its own id)",
                )
            )

    def report_lineage(
        self,
        links: Mapping[str, tuple[str | None, str | None]],
        loaded: set[str],
        missing: Iterable[tuple[str, str, str]],
    ) -> None:
        """Note the lineage problems :func:`loaders.read_dataset` would list.

        ``links`` holds every deal's ``(supersedes, expands)`` (those of the store and of
        this load), ``loaded`` the ids written by this load, ``missing`` the ``(id, field,
        named id)`` of this load's links to deals that do not exist.
        """
        missing = list(missing)
        without_self = {k: tuple(None if x == k else x for x in v) for k, v in links.items()}
        loops = [
            loop for loop in lineage_cycles(without_self)
            if any(deal in loaded for deal, _, _ in loop)  # one already stored is not ours
        ]
        selves = [(k, f) for k in loaded for f, x in zip(LINEAGE_FIELDS, links[k]) if x == k]
        if not (missing or loops or selves):
            return
        where = self._locate({i for i, *_ in missing} | {k for k, _ in selves}
                             | {deal for loop in loops for deal, _, _ in loop if deal in loaded})
        for rid, field in selves:
            self.add(Problem(where[rid], f"deal {rid!r} {field} itself"))
        for rid, field, other in missing:
            self.add(Problem(
                where[rid],
                f"{field} {other!r} names no deal (no deal with that id in the files or the store)",
            ))
        for loop in loops:
            located = [where[deal] for deal, _, _ in loop if deal in where]
            steps = ", ".join(f"{deal} {field} {other}" for deal, field, other in loop)
            self.add(Problem(
                min(located, key=lambda w: (self._file_order.get(w.path, 0), w.line or 0)),
                f"lineage loop: {steps} (a deal cannot end up replacing or extending itself)",
            ))

    def _locate(self, ids: Iterable[str]) -> dict[str, Location]:
        """Where each of these deal ids is first defined in the files (a third reading)."""
        wanted = set(ids)
        found: dict[str, Location] = {}
        if wanted:
            for where, row in self._deals(record_problems=False):
                if row[0] in wanted and row[0] not in found:
                    found[row[0]] = where
        return found

    @property
    def has_problems(self) -> bool:
        return bool(self._problems)

    def raise_problems(self) -> None:
        """Raise :class:`ValidationError` listing every problem, if there is any."""
        if self._problems:
            raise ValidationError(str(p) for p in self._sorted_problems())


_DEAL_FIELDS = frozenset(ALLOWED_FIELDS["relationship"])
#: Fields read as text on the plain path (the date is text too: its grammar is checked apart).
#: A deal row's fields, in column order.
_ROW_FIELDS = schema().field_names("relationship")
_TEXT_FIELDS = (*schema().field_names("relationship", *TEXT_TYPES), "date")
#: Fields of types the plain path does not check (choices, ranges, other dates): a row or
#: a file that gives one goes through the full validator.
_CAREFUL_ONLY = frozenset(
    n for n in schema().field_names("relationship")
    if n not in _TEXT_FIELDS and n not in ("id", "source", "kind", "target", "amount_usd")
)
#: URL fields: on the plain path a URL must start with a scheme the validator takes.
_URL_FIELDS = schema().field_names("relationship", "url")
_ENTITY_CAREFUL_ONLY = frozenset(schema().field_names("entity")) - {"id", "name", "kind", "ticker", "country", "aliases"}
_URL_SCHEMES = ("http://", "https://")
#: Amounts the plain path takes: digits, a decimal part, a short exponent. Anything else
#: (signs, "nan", "1_000", huge exponents) goes through the full validator.
_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE]\+?[0-9]{1,2})?")


class _PlainDealRows:
    """The fast path of pass 2, for deals as most files write them.

    A record of text cells, every field known, kind known, amount and date plainly
    valid, lineage not naming itself, source and target given by entity id, is turned
    straight into a row. It gets exactly the values the full path
    (:func:`loaders.validation.validate_records`, then resolution) would give it; any
    record that is not that plain returns ``None`` and goes the full way, so every
    problem is still worded by the validator.

    :meth:`chunk` does the same for a whole :class:`~loaders.csv_source.RowChunk` at
    once, column by column (each check one pass in C over a column), or returns
    ``None`` if any of its rows is not plain.
    """

    def __init__(self, index: EntityIndex):
        self._ids = index.ids
        self._kinds = frozenset(schema().relationship_kinds)
        self._dates: set[str] = set()

    def row(self, fields: dict) -> tuple | None:
        if not fields.keys() <= _DEAL_FIELDS or any(fields.get(n) for n in _CAREFUL_ONLY):
            return None
        try:
            source = fields["source"].strip()
            kind = fields["kind"].strip()
            target = fields["target"].strip()
            rid = fields.get("id", "").strip() or None
            amount_text = fields.get("amount_usd", "").strip()
            text = {name: fields.get(name, "").strip() or None for name in _TEXT_FIELDS}
        except (KeyError, AttributeError):  # a field missing, or not text
            return None
        if source not in self._ids or target not in self._ids or source == target:
            return None
        if kind not in self._kinds:
            return None
        if any(text[n] is not None and not text[n].startswith(_URL_SCHEMES) for n in _URL_FIELDS):
            return None
        date, supersedes, expands = text["date"], text["supersedes"], text["expands"]
        if date is not None and date not in self._dates:
            if check_date_field(date, []) != date:
                return None
            self._dates.add(date)
        if amount_text:
            if not _PLAIN_AMOUNT.fullmatch(amount_text):
                return None
            amount = float(amount_text)
            if not math.isfinite(amount):
                return None
        else:
            amount = None
        if rid is not None and (rid in (supersedes, expands) or CONTROL_CHARACTER.search(rid)):
            return None
        text.update(id=rid, source=source, kind=kind, target=target, amount_usd=amount)
        row = tuple(text.get(name) for name in _ROW_FIELDS)
        if rid is None:
            row = (relationship_id(*row[1:]), *row[1:])
        return row

    def chunk(self, chunk: RowChunk) -> tuple[Sequence[Location], list[tuple]] | None:
        """The rows of a chunk of a CSV file of deals and where each is, if all are plain."""
        layout = chunk.layout
        found = _plain_columns(chunk)
        if found is None:
            return None
        lines, rows = found
        if not rows:
            return (), []
        if any(layout.field_index(n) is not None for n in _CAREFUL_ONLY):
            return None

        def column(name: str) -> list[str] | None:
            i = layout.field_index(name)
            return None if i is None else list(map(str.strip, map(operator.itemgetter(i), rows)))

        def text(name: str):  # "" is None, as validation gives it
            values = column(name)
            if values is None:
                return itertools.repeat(None)
            return [v or None for v in values] if "" in values else values

        for name in _URL_FIELDS:
            urls = column(name)
            if urls is not None and not all(u.startswith(_URL_SCHEMES) for u in urls if u):
                return None
        source, kind, target = column("source"), column("kind"), column("target")
        ids = self._ids
        if not (ids.issuperset(source) and ids.issuperset(target) and self._kinds.issuperset(kind)):
            return None
        if any(map(operator.eq, source, target)):
            return None
        date = text("date")
        if not isinstance(date, itertools.repeat):
            for new in set(date) - self._dates:
                if new is not None:
                    if check_date_field(new, []) != new:
                        return None
                    self._dates.add(new)
        amount_text = column("amount_usd")
        if amount_text is None:
            amount = itertools.repeat(None)
        else:
            # plain numbers only (ASCII digits, no sign); any other form goes the careful way
            plain = _PLAIN_AMOUNT.fullmatch
            if not all(plain(a) for a in amount_text if a):
                return None
            amount = [float(a) if a else None for a in amount_text]
            if not all(map(math.isfinite, filter(None, amount))):
                return None
        rid = text("id")
        supersedes, expands = text("supersedes"), text("expands")
        for link in (supersedes, expands):
            if isinstance(link, itertools.repeat) or isinstance(rid, itertools.repeat):
                continue
            if (set(rid) & set(link)) - {None} and any(
                    r is not None and r == x for r, x in zip(rid, link)):
                return None  # a deal naming itself (a rare chunk: all ids in it are looked at)
        columns = {"id": rid, "source": source, "kind": kind, "target": target, "amount_usd": amount,
                   "date": date, "supersedes": supersedes, "expands": expands}
        out = list(zip(*(columns[n] if n in columns else text(n) for n in _ROW_FIELDS)))
        if isinstance(rid, itertools.repeat) or None in rid:
            for k, row in enumerate(out):
                if row[0] is None:
                    out[k] = (relationship_id(*row[1:]), *row[1:])
        return _ChunkLocations(layout.path, lines), out


def _entity_pass_items(source) -> Iterator[Record | Problem | LocatedEntity]:
    """What pass 1 reads of a file: its records and problems, or for the plain chunks
    of a CSV file of entities the valid entities themselves (:class:`_PlainEntityRows`)."""
    if not isinstance(source, CsvSource):
        yield from source.records()
        return
    plain = _PlainEntityRows()
    for item in source.chunks():
        if not isinstance(item, RowChunk):
            yield item
            continue
        entities = plain.chunk(item) if item.layout.kind == "entity" else None
        if entities is not None:
            yield from entities
            continue
        for line, row in enumerate(item.rows, item.first_line):
            record = item.layout.record(line, row)
            if record is not None:
                yield record


class _PlainEntityRows:
    """Entities as most CSV files write them, read a chunk at a time.

    Each row of a plain chunk becomes exactly the :class:`~loaders.validation.LocatedEntity`
    :func:`~loaders.validation.validate_records` makes of its record: the id a slug, a
    name, the kind known (or empty: the default); aliases split as validation splits
    them. A chunk with any other row gives ``None`` and is read record by record.
    """

    def __init__(self):
        self._kinds = frozenset(schema().entity_kinds)

    def chunk(self, chunk: RowChunk) -> list[LocatedEntity] | None:
        layout = chunk.layout
        found = _plain_columns(chunk)
        if found is None:
            return None
        lines, rows = found

        def column(name: str) -> list[str] | None:
            i = layout.field_index(name)
            return None if i is None else list(map(str.strip, map(operator.itemgetter(i), rows)))

        if any(layout.field_index(n) is not None for n in _ENTITY_CAREFUL_ONLY):
            return None  # (choices and other checked fields: the full validator reads them)
        ids, names = column("id"), column("name")
        if "" in names or not all(map(ENTITY_ID.fullmatch, ids)):
            return None
        kinds = [k or DEFAULT_ENTITY_KIND for k in column("kind") or [""] * len(rows)]
        if not self._kinds.issuperset(kinds):
            return None
        tickers, countries = (column(name) or [""] * len(rows) for name in ("ticker", "country"))
        aliases = column("aliases") or [""] * len(rows)
        path = layout.path
        return [
            LocatedEntity(Location(path, line), Entity(
                id=i, name=n, kind=k, ticker=t or None, country=c or None,
                aliases=parse_aliases(a, []) if a else ()))
            for line, i, n, k, t, c, a in zip(lines, ids, names, kinds, tickers, countries, aliases)
        ]


def _plain_columns(chunk: RowChunk) -> tuple[Sequence[int], list[list[str]]] | None:
    """The lines and rows of a chunk without its blank lines, if every other row has
    all the header's fields; else ``None``."""
    rows = chunk.rows
    lines: Sequence[int] = range(chunk.first_line, chunk.first_line + len(rows))
    width = len(chunk.layout.columns)
    widths = set(map(len, rows))
    if widths != {width}:
        if widths != {width, 0}:
            return None
        # Blank lines (empty rows) are skipped, as records() skips them.
        lines = [line for line, row in zip(lines, rows) if row]
        rows = [row for row in rows if row]
    return lines, rows


class _ChunkLocations(Sequence[Location]):
    """The places of a chunk's rows, made only when asked for (on the failure path)."""

    def __init__(self, path: str, lines: Sequence[int]):
        self._path = path
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [Location(self._path, line) for line in self._lines[k]]
        return Location(self._path, self._lines[k])


def _count_lines(path: Path) -> int:
    """Lines after the header: a cheap upper bound of a CSV file's rows, for progress."""
    lines = 0
    if not path.is_file():
        return 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)

