"""The embedded default store: one SQLite file, no server.

Every ``write`` is a single transaction (all-or-nothing) of idempotent upserts keyed by
entity id, deal id and figure id, so loading the same files twice changes nothing.

Schema versions (``PRAGMA user_version``): 1 held entities and relationships; 2 adds deal
lineage and the ``figures`` table. A version-1 store is migrated in place when opened.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Sequence

from graph.errors import StoreError
from graph.model import Entity, Figure, Relationship
from graph.store import Progress, Store

#: 1: entities and deals. 2: deal lineage (``supersedes``, ``expands``) and the
#: ``current_relationships`` view, and the ``figures`` table; a version-1 store is
#: migrated when opened.
SCHEMA_VERSION = 2

_DDL = """
CREATE TABLE IF NOT EXISTS entities (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    ticker  TEXT,
    country TEXT,
    aliases TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS relationships (
    id             TEXT PRIMARY KEY,
    source         TEXT NOT NULL REFERENCES entities(id),
    kind           TEXT NOT NULL,
    target         TEXT NOT NULL REFERENCES entities(id),
    amount_usd     REAL,
    amount_note    TEXT,
    date           TEXT,
    summary        TEXT,
    evidence_url   TEXT,
    evidence_title TEXT,
    supersedes     TEXT,
    expands        TEXT
);
CREATE INDEX IF NOT EXISTS relationships_source ON relationships(source);
CREATE INDEX IF NOT EXISTS relationships_target ON relationships(target);
""" + """
CREATE INDEX IF NOT EXISTS relationships_supersedes ON relationships(supersedes);
-- The deals that count (graph/lineage.py): every deal no other deal supersedes.
CREATE VIEW IF NOT EXISTS current_relationships AS
SELECT * FROM relationships AS r
WHERE NOT EXISTS (SELECT 1 FROM relationships AS s WHERE s.supersedes = r.id);
"""

# Version 1 -> 2: the lineage columns (NULL for every stored deal: none is superseded).
_MIGRATE_1_TO_2 = """
ALTER TABLE relationships ADD COLUMN supersedes TEXT;
ALTER TABLE relationships ADD COLUMN expands TEXT;
"""

# Version 2 also holds entity figures.
_DDL_FIGURES = """
CREATE TABLE IF NOT EXISTS figures (
    id             TEXT PRIMARY KEY,
    entity         TEXT NOT NULL REFERENCES entities(id),
    kind           TEXT NOT NULL,
    counterparty   TEXT REFERENCES entities(id),
    amount_usd     REAL,
    percent        REAL,
    period         TEXT,
    as_of          TEXT,
    note           TEXT,
    evidence_url   TEXT,
    evidence_title TEXT
);
CREATE INDEX IF NOT EXISTS figures_entity ON figures(entity);
"""

_FIGURE_FIELDS = (
    "id", "entity", "kind", "counterparty", "amount_usd", "percent", "period", "as_of",
    "note", "evidence_url", "evidence_title",
)

_UPSERT_FIGURE = f"""
INSERT INTO figures ({", ".join(_FIGURE_FIELDS)})
VALUES ({", ".join(":" + f for f in _FIGURE_FIELDS)})
ON CONFLICT(id) DO UPDATE SET
    {", ".join(f"{f} = excluded.{f}" for f in _FIGURE_FIELDS[1:])}
"""

_UPSERT_ENTITY = """
INSERT INTO entities (id, name, kind, ticker, country, aliases)
VALUES (:id, :name, :kind, :ticker, :country, :aliases)
ON CONFLICT(id) DO UPDATE SET
    name = excluded.name, kind = excluded.kind, ticker = excluded.ticker,
    country = excluded.country, aliases = excluded.aliases
"""

_RELATIONSHIP_FIELDS = (
    "id", "source", "kind", "target", "amount_usd", "amount_note",
    "date", "summary", "evidence_url", "evidence_title", "supersedes", "expands",
)

_UPSERT_RELATIONSHIP = f"""
INSERT INTO relationships ({", ".join(_RELATIONSHIP_FIELDS)})
VALUES ({", ".join(":" + f for f in _RELATIONSHIP_FIELDS)})
ON CONFLICT(id) DO UPDATE SET
    {", ".join(f"{f} = excluded.{f}" for f in _RELATIONSHIP_FIELDS[1:])}
"""

BATCH_SIZE = 5_000


class SQLiteStore(Store):
    """A dealgraph store in a SQLite file (created on first use unless ``create`` is false)."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        try:
            if self.path.parent and not self.path.parent.exists():
                raise StoreError(f"{self.path}: directory {self.path.parent} does not exist")
            if not create and not self.path.exists():
                raise StoreError(
                    f"{self.path}: no store here yet; load data first "
                    "(dealgraph load PATH..., or dealgraph demo), or pick one with --db"
                )
            self._conn = sqlite3.connect(self.path, isolation_level=None)
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, 1, SCHEMA_VERSION):
                raise StoreError(
                    f"{self.path}: store schema version {version} is not supported "
                    f"(this dealgraph reads versions 1 to {SCHEMA_VERSION})"
                )
            if version != SCHEMA_VERSION:
                # One transaction: a store is either still at its old version or fully migrated.
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    if version == 1:
                        for statement in _statements(_MIGRATE_1_TO_2):
                            self._conn.execute(statement)
                    for statement in _statements(_DDL + _DDL_FIGURES):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            elif not self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'figures'"
            ).fetchone():
                # A version-2 store written before figures were part of version 2.
                self._conn.executescript(_DDL_FIGURES)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable dealgraph store ({exc})") from None

    def write(
        self,
        entities: Sequence[Entity],
        relationships: Sequence[Relationship],
        progress: Progress | None = None,
        figures: Sequence[Figure] = (),
    ) -> None:
        total = len(entities) + len(relationships) + len(figures)
        done = 0
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            for sql, rows in (
                (_UPSERT_ENTITY, [_entity_row(e) for e in entities]),
                (_UPSERT_RELATIONSHIP, [r.to_dict() for r in relationships]),
                (_UPSERT_FIGURE, [_figure_row(f) for f in figures]),
            ):
                for start in range(0, len(rows), BATCH_SIZE):
                    batch = rows[start : start + BATCH_SIZE]
                    cur.executemany(sql, batch)
                    done += len(batch)
                    if progress:
                        progress(done, total)
            cur.execute("COMMIT")
        except sqlite3.Error as exc:
            cur.execute("ROLLBACK")
            raise StoreError(f"{self.path}: write failed, nothing was written ({exc})") from None
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def entities(self) -> list[Entity]:
        rows = self._conn.execute(
            "SELECT id, name, kind, ticker, country, aliases FROM entities ORDER BY id"
        )
        return [
            Entity(id=i, name=n, kind=k, ticker=t, country=c, aliases=tuple(json.loads(a)))
            for i, n, k, t, c, a in rows
        ]

    def relationships(self) -> list[Relationship]:
        rows = self._conn.execute(
            f"SELECT {', '.join(_RELATIONSHIP_FIELDS)} FROM relationships ORDER BY id"
        )
        return [Relationship(*row) for row in rows]

    def figures(self, entity: str | None = None, kind: str | None = None) -> list[Figure]:
        rows = self._conn.execute(
            f"SELECT {', '.join(_FIGURE_FIELDS)} FROM figures "
            "WHERE (:entity IS NULL OR entity = :entity) AND (:kind IS NULL OR kind = :kind) "
            "ORDER BY id",
            {"entity": entity, "kind": kind},
        )
        return [Figure(*row) for row in rows]

    def stored_deal_endpoints(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
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

    def close(self) -> None:
        self._conn.close()


def _statements(script: str) -> list[str]:
    """The statements of a DDL script (it holds no ';' inside a statement)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _figure_row(f: Figure) -> dict:
    row = f.to_dict()
    for name in ("amount_usd", "percent"):  # read back as floats, as Neo4j returns them
        if row[name] is not None:
            row[name] = float(row[name])
    return row


def _entity_row(e: Entity) -> dict:
    row = e.to_dict()
    row["aliases"] = json.dumps(list(e.aliases), ensure_ascii=False)
    return row
