"""The embedded default store: one SQLite file, no server.

Every ``write`` is a single transaction (all-or-nothing) of idempotent upserts keyed by
entity id, deal id and figure id, so loading the same files twice changes nothing.

Opening is careful because the file is the user's:

* A file is only used if it is a dealgraph store (our ``application_id`` and a known
  ``user_version``, or a version-1 store with the expected tables); anything else, such
  as another application's database, is refused without a single byte written.
* Stores opened for reading (``create=False``) are opened read-only (``mode=ro``): no
  schema changes, no journal-mode switch, and they work on files and directories the
  user cannot write (falling back to ``immutable=1`` when SQLite cannot create its
  ``-wal`` file there).
* Writers take the write lock with ``BEGIN IMMEDIATE`` and wait for one another
  (``busy_timeout``); readers see the last committed state while a load runs (WAL).
* A new store is built in a hidden file beside the target and linked into place only
  when its first write commits, so a failed first load leaves no file behind, and two
  first loads racing for the same name both end up in the one store that won.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Collection, Iterable, Iterator, Sequence

from dealgraph.model.memory import gc_paused
from dealgraph.model.errors import StoreError
from dealgraph.model.records import Entity, FieldSpec, Figure, Relationship, schema
from dealgraph.stores.base import LoadCounts, Progress, Store

#: Marks the file as a dealgraph store (``PRAGMA application_id``): "DGRF".
APPLICATION_ID = 0x44475246
#: ``PRAGMA user_version`` of the stores this code writes. 1: entities and deals. 2: deal
#: lineage (``supersedes``, ``expands``), the ``current_relationships`` view, the
#: ``figures`` table and the application id; an older store is read as it is and
#: migrated when opened for writing.
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)

#: How long a writer waits for another process's write to finish, by default (seconds).
BUSY_TIMEOUT = 120.0

_TABLES = ("entities", "relationships")

#: The tables holding each record type (their columns: the record's fields in schema.yaml).
_RECORD_TABLES = {"entity": "entities", "relationship": "relationships", "figure": "figures"}


def _column(f: FieldSpec, table: str) -> str:
    """A column definition for field ``f`` of ``table``, from its type in schema.yaml."""
    if f.type == "id":
        return f"{f.name} TEXT PRIMARY KEY"
    sql = "REAL" if f.type in ("usd", "percent") else "TEXT"
    if f.type == "names":
        return f"{f.name} TEXT NOT NULL DEFAULT '[]'"
    # the kind is stored even when an input left it to its default
    if f.required or (table == "entities" and f.type == "entity_kind"):
        sql += " NOT NULL"
    if f.type == "entity_ref":
        sql += " REFERENCES entities(id)"
    return f"{f.name} {sql}"


def _table_ddl(record: str) -> str:
    table = _RECORD_TABLES[record]
    columns = ",\n    ".join(_column(f, table) for f in schema().fields(record))
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {columns}\n);"


_DDL = f"""
{_table_ddl("entity")}
{_table_ddl("relationship")}
CREATE INDEX IF NOT EXISTS relationships_source ON relationships(source);
-- On (target, source): the hops of loops are looked up by both ends (money_flow_deals).
-- A store written before has relationships_target on (target) alone: same answers, slower.
CREATE INDEX IF NOT EXISTS relationships_target_source ON relationships(target, source);
CREATE INDEX IF NOT EXISTS relationships_supersedes ON relationships(supersedes);
-- The deals that count (model/lineage.py): every deal no other deal supersedes.
CREATE VIEW IF NOT EXISTS current_relationships AS
SELECT * FROM relationships AS r
WHERE NOT EXISTS (SELECT 1 FROM relationships AS s WHERE s.supersedes = r.id);
{_table_ddl("figure")}
CREATE INDEX IF NOT EXISTS figures_entity ON figures(entity);
"""

def _insert(table: str, fields: Sequence[str], upsert: bool = True) -> str:
    """INSERT of one row of ``fields`` (the id first); an upsert replaces the row of that id."""
    sql = f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' for _ in fields)})"
    if upsert:
        sql += " ON CONFLICT(id) DO UPDATE SET " + ", ".join(f"{f} = excluded.{f}" for f in fields[1:])
    return sql


_FIGURE_FIELDS = schema().field_names("figure")
_UPSERT_FIGURE = _insert("figures", _FIGURE_FIELDS)


def _migrations() -> dict[int, str]:
    """Schema changes from each version to the next, run inside the write transaction: the
    columns schema.yaml says a version added (``since``). Indexes and views come from _DDL,
    run after the migrations; the application id is set for all."""
    steps: dict[int, list[str]] = {v: [] for v in range(1, SCHEMA_VERSION)}
    for record, table in _RECORD_TABLES.items():
        for f in schema().fields(record):
            if f.since > 1:
                steps[f.since - 1].append(f"ALTER TABLE {table} ADD COLUMN {_column(f, table)}")
    return {v: ";\n".join(sql) for v, sql in steps.items() if sql}


_MIGRATIONS = _migrations()

_ENTITY_FIELDS = schema().field_names("entity")
_UPSERT_ENTITY = _insert("entities", _ENTITY_FIELDS)

_RELATIONSHIP_FIELDS = schema().field_names("relationship")
#: The columns of each version's relationships table (a version-1 store has no lineage).
_RELATIONSHIP_COLUMNS = {
    v: tuple(f.name for f in schema().fields("relationship") if f.since <= v) for v in READABLE_VERSIONS
}

_UPSERT_RELATIONSHIP = _insert("relationships", _RELATIONSHIP_FIELDS)
_INSERT_RELATIONSHIP = _insert("relationships", _RELATIONSHIP_FIELDS, upsert=False)

BATCH_SIZE = 5_000
#: Page cache during a load, KiB.
LOAD_CACHE_KIB = 32 * 1024


def _reported(method):
    """Turn any SQLite error escaping a store method into one clear :class:`StoreError`."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._error(exc, writing=method.__name__.startswith("write")) from None

    return wrapper


class SQLiteStore(Store):
    """A dealgraph store in a SQLite file.

    With ``create`` (the default) the store is opened for writing and the file is created
    by the first successful ``write``; reads of a store that does not exist yet are empty.
    With ``create=False`` the store must exist and is opened read-only.
    """

    def __init__(self, path: str | Path, create: bool = True, busy_timeout: float = BUSY_TIMEOUT):
        self.path = Path(path)
        self.read_only = not create
        self._busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None  # None until a new or empty file's first write
        if self.path.parent and not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: directory {self.path.parent} does not exist")
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not a store file")
        if not self.path.exists():
            if self.read_only:
                raise StoreError(
                    f"{self.path}: no store here yet; load data first "
                    "(dealgraph load PATH..., or dealgraph demo), or pick one with --db"
                )
            return  # created by the first write
        try:
            self._conn = self._open_existing()
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    # ------------------------------------------------------------------ opening

    def _connect(self, path: Path, mode: str, immutable: bool = False) -> sqlite3.Connection:
        uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode={mode}"
        if immutable:
            uri += "&immutable=1"
        return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._busy_timeout)

    def _open_existing(self) -> sqlite3.Connection:
        # Look before doing anything: a file that is not ours must not be touched at all
        # (only the identity check below runs before that is settled, and it only reads).
        conn = self._connect_read_only() if self.read_only else self._connect(self.path, "rw")
        try:
            version = self._check_identity(conn)
        except BaseException:
            conn.close()
            raise
        self._version = version
        if self.read_only:
            return conn
        conn.execute("PRAGMA foreign_keys = ON")
        if version is None:  # an empty file the user gave us: make it a WAL store
            conn.execute("PRAGMA journal_mode = WAL")
        elif version < SCHEMA_VERSION or not _has_table(conn, "figures") or (
            conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID
        ):
            self._migrate(conn)  # (a version-2 store may predate figures and the application id)
            self._version = SCHEMA_VERSION
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        conn = self._connect(self.path, "ro")
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if exc.sqlite_errorcode != sqlite3.SQLITE_CANTOPEN or not self.read_only:
                raise
        # A WAL store in a directory we cannot write: SQLite cannot create the -wal and
        # -shm files there, so nothing can be writing it now; read the file as it is.
        return self._connect(self.path, "ro", immutable=True)

    def _check_identity(self, conn: sqlite3.Connection) -> int | None:
        """The store's schema version (None for an empty file); refuse anything not ours."""
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if application_id in (0, APPLICATION_ID) and version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is not supported "
                f"(this dealgraph reads versions 1 to {SCHEMA_VERSION}); use a newer dealgraph"
            )
        if application_id == APPLICATION_ID and version in READABLE_VERSIONS:
            return version
        if application_id == 0 and version == 0 and not tables:
            if self.read_only:
                raise StoreError(
                    f"{self.path}: empty file, no store here yet; load data first "
                    "(dealgraph load PATH...)"
                )
            return None  # an empty file: becomes a store on the first write
        if application_id == 0 and version in READABLE_VERSIONS and self._has_tables_of(
            version, conn, tables
        ):
            return version  # written before stores carried the application id
        what = f"tables: {', '.join(sorted(tables))}" if tables else "no dealgraph tables"
        raise StoreError(
            f"{self.path}: not a dealgraph store (a SQLite database of another application; "
            f"{what}); left untouched, pick another file with --db"
        )

    @staticmethod
    def _has_tables_of(version: int, conn: sqlite3.Connection, tables: set[str]) -> bool:
        if not set(_TABLES) <= tables:
            return False
        columns = {
            table: tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            for table in _TABLES
        }
        return columns == {"entities": _ENTITY_FIELDS,
                           "relationships": _RELATIONSHIP_COLUMNS[version]}

    def _migrate(self, conn: sqlite3.Connection) -> None:
        with self._transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            self._upgrade(conn, version)

    @staticmethod
    def _upgrade(conn: sqlite3.Connection, version: int | None) -> None:
        """Bring the schema to SCHEMA_VERSION; runs inside the caller's write transaction."""
        if version is None or version == 0:
            _run_script(conn, _DDL)
        else:
            while version < SCHEMA_VERSION:
                _run_script(conn, _MIGRATIONS[version])
                version += 1
            _run_script(conn, _DDL)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """One write transaction; waits for other writers up to the busy timeout."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise StoreError(
                    f"{self.path}: another process kept the store locked for "
                    f"{self._busy_timeout:g} s; nothing was written, try again"
                ) from None
            raise
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _error(self, exc: sqlite3.Error, writing: bool = False) -> StoreError:
        code = getattr(exc, "sqlite_errorcode", None)
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return StoreError(
                f"{self.path}: not a usable dealgraph store: the file is damaged or not a "
                f"SQLite database ({exc})"
            )
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"{self.path}: the store stayed locked by another process for "
                f"{self._busy_timeout:g} s ({exc}); try again"
            )
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            return StoreError(f"{self.path}: cannot write the store here ({exc})")
        if writing:
            return StoreError(f"{self.path}: write failed, nothing was written ({exc})")
        return StoreError(f"{self.path}: not a usable dealgraph store ({exc})")

    # ------------------------------------------------------------------ writing

    @_reported
    def write(
        self,
        entities: Sequence[Entity],
        relationships: Sequence[Relationship],
        progress: Progress | None = None,
        figures: Sequence[Figure] = (),
    ) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        if self._conn is None:
            self._create_with(
                lambda conn: self._write_rows(conn, entities, relationships, progress, figures)
            )
        else:
            self._write_rows(self._conn, entities, relationships, progress, figures)
        self._version = SCHEMA_VERSION

    @_reported
    def write_streaming(self, open_data, progress: Progress | None = None) -> LoadCounts:
        """Check and write input in one streaming transaction, all or nothing.

        ``open_data(known_entities)`` gives the streaming reader of the input
        (:class:`dealgraph.loaders.streaming.StreamingDataset`, see :mod:`dealgraph.load`).
        Entities are read first (pass 1); deals are then checked, resolved and written
        batch by batch inside the same transaction (pass 2), so memory does not grow
        with the number of deals. Any
        problem rolls the whole load back, after every problem has been listed. What
        needs every deal at once is asked of SQLite inside the transaction: deal ids
        given twice with different fields (a trigger), deals moved to other entities
        under a stored id, lineage naming no deal or going round in a loop.
        """
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        # Entities stay in memory while millions of rows pass through, and each full
        # collection would walk them all (about a tenth of a load of a million deals).
        with gc_paused():
            data = open_data(self.entities())
            entities = data.read_entities()
            figures = data.figures
            loaded: list[int] = []

            def write(conn: sqlite3.Connection) -> None:
                loaded.clear()
                with _load_settings(conn), self._write_transaction(conn), _LoadLedger(conn) as ledger:
                    loaded.append(self._stream_rows(conn, data, entities, figures, ledger, progress))
                    data.raise_problems()

            if self._conn is None:
                self._create_with(write)
            else:
                write(self._conn)
        self._version = SCHEMA_VERSION
        return LoadCounts(len(entities), loaded[0], len(figures))

    def _stream_rows(self, conn, data, entities, figures, ledger: "_LoadLedger", progress) -> int:
        """Write the entities, the deals as they stream, then the figures; the number of
        distinct deals."""
        total = len(entities) + data.deal_estimate + len(figures)

        def report(done: int) -> None:
            # Only while all is well: a load that fails prints its problems, not a bar.
            if progress and not data.has_problems:
                progress(min(done, total), total)

        cur = conn.cursor()
        for start in range(0, len(entities), BATCH_SIZE):
            batch = entities[start : start + BATCH_SIZE]
            cur.executemany(_UPSERT_ENTITY, [_entity_row(e) for e in batch])
        done = len(entities)
        # Plain INSERTs while every deal id is new, which is the usual case and costs less
        # than the upsert. The first id already there (stored before, or repeated in these
        # files) fails its batch: the rows of the batch already inserted are then upserted
        # again unchanged (which the ledger does not count as a conflict), and the rest of
        # the load goes through the upsert and the ledger.
        insert = _INSERT_RELATIONSHIP
        for batch in data.relationship_batches(BATCH_SIZE):
            try:
                cur.executemany(insert, batch)
            except sqlite3.IntegrityError:
                if insert is _UPSERT_RELATIONSHIP:
                    raise
                insert = _UPSERT_RELATIONSHIP
                cur.executemany(insert, batch)
            done += len(batch)
            report(done)
        cur.executemany(_UPSERT_FIGURE, [_figure_row(f) for f in figures])
        data.report_conflicts(ledger.conflicting_ids())
        data.report_moved(ledger.moved())
        data.report_lineage(*ledger.lineage())
        report(total)
        return ledger.distinct_deals()

    def _write_rows(self, conn, entities, relationships, progress, figures=()) -> None:
        total = len(entities) + len(relationships) + len(figures)
        done = 0
        with self._write_transaction(conn):
            cur = conn.cursor()
            for sql, rows in (
                (_UPSERT_ENTITY, [_entity_row(e) for e in entities]),
                (_UPSERT_RELATIONSHIP, [_relationship_row(r) for r in relationships]),
                (_UPSERT_FIGURE, [_figure_row(f) for f in figures]),
            ):
                for start in range(0, len(rows), BATCH_SIZE):
                    batch = rows[start : start + BATCH_SIZE]
                    cur.executemany(sql, batch)
                    done += len(batch)
                    if progress:
                        progress(done, total)

    @contextlib.contextmanager
    def _write_transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """A data write: the schema made current under the lock, then all-or-nothing."""
        try:
            with self._transaction(conn):
                version = self._check_identity(conn)
                marked = conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
                if version != SCHEMA_VERSION or not marked:
                    self._upgrade(conn, version)
                yield
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.path}: write failed, nothing was written ({exc})") from None

    def _create_with(self, write) -> None:
        """Build a new store in a hidden file beside the target; link it into place on success.

        If another process created the target meanwhile, write into that one instead.
        """
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        _remove_database(temp)
        try:
            conn = self._connect(temp, "rwc")
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                write(conn)
            finally:
                conn.close()  # the last connection merges the -wal file into the store
            created = _link_new(temp, self.path)
        finally:
            _remove_database(temp)
        self._conn = self._open_existing()
        if not created:
            write(self._conn)

    # ------------------------------------------------------------------ reading

    @_reported
    def entities(self) -> list[Entity]:
        if self._version is None:
            return []
        rows = self._conn.execute(
            "SELECT id, name, kind, ticker, country, aliases FROM entities ORDER BY id"
        )
        return [
            Entity(id=i, name=n, kind=k, ticker=t, country=c, aliases=tuple(json.loads(a)))
            for i, n, k, t, c, a in rows
        ]

    @_reported
    def deal_lineage(self) -> dict[str, tuple[str | None, str | None]]:
        # Ids and links only: a load that names earlier deals need not read every deal.
        if self._version is None:
            return {}
        if "supersedes" not in _RELATIONSHIP_COLUMNS[self._version]:  # a version-1 store, read-only
            return {i: (None, None) for (i,) in self._conn.execute("SELECT id FROM relationships")}
        return {i: (s, e) for i, s, e in self._conn.execute("SELECT id, supersedes, expands FROM relationships")}

    @_reported
    def relationships(self) -> list[Relationship]:
        if self._version is None:
            return []
        # A version-1 store opened read-only has no lineage columns: none is superseded.
        columns = [c if c in _RELATIONSHIP_COLUMNS[self._version] else f"NULL AS {c}"
                   for c in _RELATIONSHIP_FIELDS]
        rows = self._conn.execute(f"SELECT {', '.join(columns)} FROM relationships ORDER BY id")
        return [Relationship(*row) for row in rows]

    @_reported
    def figures(self, entity: str | None = None, kind: str | None = None) -> list[Figure]:
        if self._version is None or not _has_table(self._conn, "figures"):
            return []  # (a store opened read-only may predate figures)
        rows = self._conn.execute(
            f"SELECT {', '.join(_FIGURE_FIELDS)} FROM figures "
            "WHERE (:entity IS NULL OR entity = :entity) AND (:kind IS NULL OR kind = :kind) "
            "ORDER BY id",
            {"entity": entity, "kind": kind},
        )
        return [Figure(*row) for row in rows]

    @_reported
    def stored_deal_endpoints(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
        if self._version is None:
            return found  # no store yet
        unique = list(dict.fromkeys(ids))
        # Batches below SQLite's limit on bound variables (999 in old builds).
        for start in range(0, len(unique), 900):
            batch = unique[start : start + 900]
            rows = self._conn.execute(
                "SELECT id, source, kind, target FROM relationships "
                f"WHERE id IN ({', '.join('?' * len(batch))})",
                batch,
            )
            found.update((i, (s, k, t)) for i, s, k, t in rows)
        return found

    @_reported
    def resolve(self, ref: str) -> str:
        # Most references are ids: one index lookup. Names and aliases need the casefolded
        # comparison of the generic rule, over every entity.
        if self._version is not None and self._conn.execute(
                "SELECT 1 FROM entities WHERE id = ?", (ref,)).fetchone():
            return ref
        return super().resolve(ref)

    @_reported
    def entity_names(self, ids: Iterable[str]) -> dict[str, str]:
        if self._version is None:
            return {}
        rows = self._conn.execute(
            "SELECT id, name FROM entities WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(ids))),),
        )
        return dict(rows.fetchall())

    @_reported
    def count_entities(self) -> int:
        if self._version is None:
            return 0
        return self._conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0]

    @_reported
    def count_deals(self, kinds: Collection[str] | None = None, min_amount: float | None = None) -> int:
        if self._version is None:
            return 0
        where, params = ["1"], []
        if kinds is not None:
            where.append(f"kind IN ({_marks(kinds)})")
            params.extend(kinds)
        if min_amount is not None:
            where.append("amount_usd >= ?")
            params.append(min_amount)
        sql = f"SELECT COUNT(*) FROM relationships WHERE {' AND '.join(where)}"
        return self._conn.execute(sql, params).fetchone()[0]

    @_reported
    def entities_of(self, ids: Iterable[str]) -> list[Entity]:
        if self._version is None:
            return []
        rows = self._conn.execute(
            "SELECT id, name, kind, ticker, country, aliases FROM entities"
            " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(sorted(set(ids))),),
        )
        return [
            Entity(id=i, name=n, kind=k, ticker=t, country=c, aliases=tuple(json.loads(a)))
            for i, n, k, t, c, a in rows
        ]

    @_reported
    def as_of(self) -> str | None:
        if self._version is None:
            return None
        return self._conn.execute(
            "SELECT MAX(date) FROM relationships WHERE date IS NOT NULL AND date != ''"
        ).fetchone()[0]

    def money_flows(self, kinds: Collection[str] | None = None) -> Iterator[tuple[str, str, float | None]]:
        # Rows are streamed (a million deals would be ~100 MiB as a list).
        forward, reverse = _flow_kinds(kinds)
        return self._turned_deals(forward, reverse)

    def exposure_flows(self) -> Iterator[tuple[str, str, float | None]]:
        return self._turned_deals(tuple(schema().kinds_exposing("source")),
                                  tuple(schema().kinds_exposing("target")), self_deals=False)

    def _turned_deals(self, as_is: tuple[str, ...], turned: tuple[str, ...],
                      self_deals: bool = True) -> Iterator[tuple[str, str, float | None]]:
        """``(source, target, amount_usd)`` of the deals that count of kinds ``as_is``, and
        ``(target, source, amount_usd)`` of those of kinds ``turned``: one scan of three
        columns, the superseded ids (few) collected once rather than looked up per deal.
        Streamed, so errors are reported here rather than by ``_reported``."""
        if self._version is None:
            return
        marks = _marks(turned)
        try:
            yield from self._conn.execute(
                f"""SELECT CASE WHEN kind IN ({marks}) THEN target ELSE source END,
                           CASE WHEN kind IN ({marks}) THEN source ELSE target END,
                           amount_usd
                    FROM relationships
                    WHERE kind IN ({_marks(as_is + turned)}) AND {self._counts_sql()}
                      {"" if self_deals else "AND source <> target"}""",
                (*turned, *turned, *as_is, *turned),
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    @_reported
    def money_flow_deals(
        self, pairs: Iterable[tuple[str, str]], kinds: Collection[str] | None = None
    ) -> dict[tuple[str, str], list[Relationship]]:
        found: dict[tuple[str, str], list[Relationship]] = {}
        if self._version is None:
            return found
        # The pairs go in as one JSON parameter and are joined on the source index, so only
        # the deals on those hops are read.
        pairs = json.dumps(sorted(set(pairs)))
        forward, reverse = _flow_kinds(kinds)
        columns = ", ".join(
            f"r.{c}" if c in _RELATIONSHIP_COLUMNS[self._version] else f"NULL AS {c}"
            for c in _RELATIONSHIP_FIELDS
        )
        rows = self._conn.execute(
            f"""WITH hop(payer, payee) AS (
                    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
                SELECT hop.payer, hop.payee, {columns} FROM hop JOIN relationships AS r
                  ON r.source = hop.payer AND r.target = hop.payee AND r.kind IN ({_marks(forward)})
                UNION ALL
                SELECT hop.payer, hop.payee, {columns} FROM hop JOIN relationships AS r
                  ON r.source = hop.payee AND r.target = hop.payer AND r.kind IN ({_marks(reverse)})""",
            (pairs, *forward, *reverse),
        )
        for payer, payee, *fields in rows:
            found.setdefault((payer, payee), []).append(Relationship(*fields))
        for deals in found.values():
            deals.sort(key=lambda r: r.id)
        return found

    @_reported
    def superseded(self) -> dict[str, tuple[str, ...]]:
        # Only the deals that name another (indexed on supersedes): usually a handful.
        if self._version is None or self._version == 1:
            return {}
        found: dict[str, list[str]] = {}
        for old, new in self._conn.execute(
            "SELECT supersedes, id FROM relationships WHERE supersedes IS NOT NULL ORDER BY id"
        ):
            found.setdefault(old, []).append(new)
        return {old: tuple(new) for old, new in found.items()}

    def _counts_sql(self, table: str = "relationships") -> str:
        """SQL true for the deals that count (graph/lineage.py: no deal supersedes them); a
        version-1 store has no lineage, so every deal counts."""
        if self._version == 1:
            return "1"
        return (f"{table}.id NOT IN (SELECT supersedes FROM relationships "
                "WHERE supersedes IS NOT NULL)")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class _LoadLedger:
    """What SQLite notes about the deals of one load, inside its transaction.

    Rows this load inserts get rowids above the largest one before it; stored rows it
    replaces are noted in ``temp.load_replaced`` with their endpoints as they were. A
    temporary trigger on every replaced row notes a deal id given twice in this load with
    different fields. Nothing is noted for a plain insert, so a first load pays nothing.
    """

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def __enter__(self) -> "_LoadLedger":
        conn = self._conn
        self.before = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM relationships").fetchone()[0])
        changed = " OR ".join(f"OLD.{f} IS NOT NEW.{f}" for f in _RELATIONSHIP_FIELDS[1:])
        conn.execute("CREATE TEMP TABLE load_replaced (id TEXT PRIMARY KEY, source TEXT, "
                     "kind TEXT, target TEXT) WITHOUT ROWID")
        conn.execute("CREATE TEMP TABLE load_conflicting (id TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute(f"""
            CREATE TEMP TRIGGER load_replacing BEFORE UPDATE ON main.relationships
            BEGIN
                INSERT INTO load_conflicting (id) SELECT NEW.id
                WHERE (OLD.rowid > {self.before}
                       OR EXISTS (SELECT 1 FROM load_replaced WHERE id = OLD.id))
                  AND ({changed})
                  AND NOT EXISTS (SELECT 1 FROM load_conflicting WHERE id = NEW.id);
                -- (no OR IGNORE: inside a trigger the upsert's conflict handling would win)
                INSERT INTO load_replaced (id, source, kind, target)
                SELECT OLD.id, OLD.source, OLD.kind, OLD.target WHERE OLD.rowid <= {self.before}
                  AND NOT EXISTS (SELECT 1 FROM load_replaced WHERE id = OLD.id);
            END
        """)
        return self

    def __exit__(self, *exc) -> None:
        # Temporary objects are the connection's, not the file's: drop them either way.
        if self._conn.in_transaction:
            for statement in ("DROP TRIGGER IF EXISTS temp.load_replacing",
                              "DROP TABLE IF EXISTS temp.load_replaced",
                              "DROP TABLE IF EXISTS temp.load_conflicting"):
                self._conn.execute(statement)

    def conflicting_ids(self) -> list[str]:
        return [i for (i,) in self._conn.execute("SELECT id FROM load_conflicting")]

    def moved(self) -> dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]]:
        """``{id: (stored endpoints, new endpoints)}`` of stored deals this load moves."""
        rows = self._conn.execute("""
            SELECT p.id, p.source, p.kind, p.target, r.source, r.kind, r.target
            FROM load_replaced AS p JOIN relationships AS r ON r.id = p.id
            WHERE p.source IS NOT r.source OR p.kind IS NOT r.kind OR p.target IS NOT r.target
        """)
        return {row[0]: (tuple(row[1:4]), tuple(row[4:7])) for row in rows}

    def lineage(self):
        """``(links, loaded, missing)``: every deal's lineage links, the ids of this load
        among them, and ``(id, field, named id)`` of links of this load naming no deal."""
        links = {
            i: (s, e) for i, s, e in self._conn.execute(
                "SELECT id, supersedes, expands FROM relationships "
                "WHERE supersedes IS NOT NULL OR expands IS NOT NULL")
        }
        loaded = {
            i for (i,) in self._conn.execute(
                "SELECT id FROM relationships WHERE (supersedes IS NOT NULL OR expands IS NOT NULL) "
                "AND (rowid > ? OR id IN (SELECT id FROM load_replaced))", (self.before,))
        }
        missing = [
            (i, field, other) for i in sorted(loaded)
            for field, other in zip(("supersedes", "expands"), links[i])
            if other is not None and other not in links and not self._conn.execute(
                "SELECT 1 FROM relationships WHERE id = ?", (other,)).fetchone()
        ]
        return links, loaded, missing

    def distinct_deals(self) -> int:
        """Deals this load wrote, each once: new rows plus stored rows it replaced."""
        return self._conn.execute(
            "SELECT (SELECT count(*) FROM relationships WHERE rowid > ?)"
            " + (SELECT count(*) FROM load_replaced)", (self.before,)
        ).fetchone()[0]


@contextlib.contextmanager
def _load_settings(conn: sqlite3.Connection) -> Iterator[None]:
    """Connection settings for a streaming load (set outside its transaction, as SQLite
    requires for foreign keys).

    A larger page cache keeps the id and endpoint indexes in memory. Foreign-key checks
    are off: every deal's ``source``/``target`` was resolved against the entities in the
    store and in the files (entities are never deleted), so the checks could only cost,
    two index lookups per deal.
    """
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
        conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)
    ).fetchone() is not None


def _flow_kinds(kinds: Collection[str] | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The relationship kinds (of ``kinds`` if given) whose money moves source -> target,
    and those whose money moves target -> source."""
    return tuple(
        tuple(k for k in schema().kinds_flowing(flow) if kinds is None or k in kinds)
        for flow in ("forward", "reverse")
    )


def _marks(values) -> str:
    """``?, ?, ...``: one parameter per value (kinds are parameters, never SQL text)."""
    return ", ".join("?" * len(values)) or "NULL"


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements one by one (``executescript`` would COMMIT first)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _link_new(source: Path, target: Path) -> bool:
    """Give ``source`` the name ``target`` unless that exists (atomically); True if done."""
    try:
        os.link(source, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: not atomic, but rarely raced
        if target.exists():
            return False
        os.rename(source, target)
        return True


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _figure_row(f: Figure) -> tuple:
    # amounts read back as floats, as Neo4j returns them
    return tuple(
        float(v) if name in ("amount_usd", "percent") and v is not None else v
        for name, v in zip(_FIGURE_FIELDS, (getattr(f, n) for n in _FIGURE_FIELDS))
    )


#: ``json.dumps(..., ensure_ascii=False)`` without building an encoder per call (a load
#: writes one list of aliases per entity).
_aliases_json = json.JSONEncoder(ensure_ascii=False).encode


def _entity_row(e: Entity) -> tuple:
    return (e.id, e.name, e.kind, e.ticker, e.country, _aliases_json(list(e.aliases)))


#: A deal's row, its fields in column order.
_relationship_row = operator.attrgetter(*_RELATIONSHIP_FIELDS)
