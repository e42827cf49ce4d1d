"""The load ledger of the SQLite store: what SQLite notes, inside a streaming load's own
transaction, about the deals that load writes (ids given twice with different fields, stored
deals moved to other entities, lineage naming no deal), so that nothing needs every deal in
memory at once. Used by :meth:`dealgraph.stores.sqlite_store.SQLiteStore.write_streaming`.
"""

from __future__ import annotations

import sqlite3

from dealgraph.model.records import schema

_RELATIONSHIP_FIELDS = schema().field_names("relationship")


class LoadLedger:
    """What SQLite notes about the deals of one load, inside its transaction.

    Rows this load inserts get rowids above the largest one before it; stored rows it
    replaces are noted in ``temp.load_replaced`` with their endpoints as they were. A
    temporary trigger on every replaced row notes a deal id given twice in this load with
    different fields. Nothing is noted for a plain insert, so a first load pays nothing.
    """

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def __enter__(self) -> "LoadLedger":
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
