"""The Neo4j store: the graph in a Neo4j 5 server (local, Docker, a cluster or Aura).

Entities are ``(:Entity {id, name, kind, ticker, country, aliases})`` nodes; each deal is a
relationship typed by its kind's ``neo4j_type`` from the model (``INVESTS_IN``, ...) with
the properties ``id, kind, amount_usd, amount_note, date, summary, evidence_url,
evidence_title``. Relationship types are never taken from input: only the model's list
is ever put into query text; every value travels as a ``$parameter``.

Writes are batched ``UNWIND $rows ... MERGE`` statements, one managed transaction
(``execute_write``) per batch, MERGE on the entity id and on the deal id and SET of every
property, so a transaction function can be retried and loading the same records twice
leaves the same graph. A load spans many transactions, so unlike the embedded store it
is not all-or-nothing: a load that stops part-way (server gone, interrupted) has written
its first batches, and re-running the same load converges to exactly the same graph (the
same counts) as an uninterrupted one.
"""

from __future__ import annotations

import re
from typing import Any, Sequence
from urllib.parse import urlsplit, urlunsplit

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

from graph.errors import StoreError
from graph.model import Entity, Relationship, schema
from graph.store import Progress, Store

#: Records per write transaction.
BATCH_SIZE = 10_000

HINT = "is Neo4j running? try: docker compose up -d"

URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

_DEAL_PROPERTIES = (
    "kind", "amount_usd", "amount_note", "date", "summary", "evidence_url", "evidence_title",
)

_MERGE_ENTITIES = """
UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
SET e.name = row.name, e.kind = row.kind, e.ticker = row.ticker,
    e.country = row.country, e.aliases = row.aliases
"""


def relationship_types() -> dict[str, str]:
    """``{kind: neo4j_type}`` for every relationship kind of the model, checked to be safe
    to place in query text (types cannot be parameters in Cypher)."""
    types = {}
    for kind in schema().relationship_kinds.values():
        if not _TYPE_NAME.match(kind.neo4j_type):
            raise StoreError(f"schema: relationship type {kind.neo4j_type!r} is not a valid Neo4j type")
        types[kind.name] = kind.neo4j_type
    return types


# Deal rows travel as lists in this order (cheaper to send than maps).
_ROW_FIELDS = ("id", "source", "target", *_DEAL_PROPERTIES)


def _merge_relationships(rel_type: str, create: bool = False) -> str:
    # Properties are SET one by one, not with `r += map`: a map could hold `id`, which would
    # make the planner add an Eager barrier between the MERGE and the SET.
    # create=True (only when no deal is stored and the rows' ids are distinct) CREATEs instead:
    # MERGE has to look each id up, and the plan Neo4j picks for that lookup follows the
    # statistics of a graph that changes under a load (after a wipe it was seen to scan the
    # whole relationship index per row, hundreds of seconds for one batch).
    sets = ", ".join(f"r.{p} = row[{i}]" for i, p in enumerate(_ROW_FIELDS) if i >= 3)
    verb = "CREATE" if create else "MERGE"
    return f"""
UNWIND $rows AS row
MATCH (a:Entity {{id: row[1]}}), (b:Entity {{id: row[2]}})
{verb} (a)-[r:{rel_type} {{id: row[0]}}]->(b)
SET {sets}
RETURN count(r) AS written
"""


def _remove_moved(types: list[str]) -> str:
    # A deal keeps its id if the input changes its kind or its entities; the earlier copy
    # (of any type, between any entities) is removed first, as the embedded store's
    # upsert-by-id replaces it.
    return f"""
UNWIND $rows AS row
MATCH (a:Entity)-[r:{"|".join(types)} {{id: row[0]}}]->(b:Entity)
WHERE type(r) <> $type OR a.id <> row[1] OR b.id <> row[2]
DELETE r
"""


def safe_uri(uri: str) -> str:
    """The URI as it may be shown to a user: any ``user:password@`` part removed."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<invalid URI>"
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _uri_password(uri: str) -> str | None:
    try:
        return urlsplit(uri).password
    except ValueError:
        return None


class Neo4jStore(Store):
    """A dealgraph store in a Neo4j 5 database (``bolt://`` or ``neo4j://`` URI)."""

    def __init__(
        self,
        uri: str,
        username: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ):
        self.uri = uri
        self.database = database or None
        self._secrets = [x for x in (password, _uri_password(uri)) if x]
        self._shown_uri = safe_uri(uri)
        self._types = relationship_types()
        scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
        if scheme not in URI_SCHEMES:
            raise StoreError(
                f"cannot use Neo4j URI {self._shown_uri}: expected one of "
                f"{', '.join(s + '://' for s in URI_SCHEMES)}"
            )
        auth = None
        if username or password:
            auth = (username or "neo4j", password or "")
        try:
            # Server notifications (for example a property no deal has yet) are not the
            # user's concern; max_transaction_retry_time bounds how long a write waits for
            # a server that went away before reporting it.
            self._driver = GraphDatabase.driver(
                uri,
                auth=auth,
                notifications_min_severity="OFF",
                connection_timeout=15.0,
                max_transaction_retry_time=15.0,
            )
        except (ValueError, DriverError, Neo4jError) as exc:
            raise StoreError(self._message(f"cannot use Neo4j URI {self._shown_uri}", exc, hint=False)) from None
        try:
            self._driver.verify_connectivity()
            self._create_schema()
        except AuthError:
            self._driver.close()
            user = auth[0] if auth else "(no credentials)"
            raise StoreError(
                f"cannot log in to Neo4j at {self._shown_uri} as {user}: wrong username or password "
                "(set NEO4J_USERNAME and NEO4J_PASSWORD)"
            ) from None
        except Neo4jError as exc:
            self._driver.close()
            if exc.code == "Neo.ClientError.Database.DatabaseNotFound":
                raise StoreError(
                    f"Neo4j at {self._shown_uri} has no database {self.database!r} (check --database / NEO4J_DATABASE)"
                ) from None
            raise StoreError(self._message(f"cannot open Neo4j at {self._shown_uri}", exc)) from None
        except (DriverError, OSError) as exc:
            self._driver.close()
            raise StoreError(self._message(f"cannot reach Neo4j at {self._shown_uri}", exc)) from None

    # ------------------------------------------------------------------ plumbing

    def _message(self, what: str, exc: BaseException | None, hint: bool = True) -> str:
        """One line for the user: what failed, the driver's reason (password removed), a hint."""
        reason = ""
        if exc is not None:
            text = (getattr(exc, "message", None) if isinstance(exc, Neo4jError) else None) or str(exc)
            text = text or type(exc).__name__
            text = " ".join(str(text).split())
            for secret in self._secrets:
                text = text.replace(secret, "***")
            if len(text) > 200:
                text = text[:197] + "..."
            reason = f" ({text})"
        tail = f"; {HINT}" if hint and _looks_unreachable(exc) else ""
        return f"{what}{reason}{tail}"

    def _session(self):
        return self._driver.session(database=self.database) if self.database else self._driver.session()

    def _create_schema(self) -> None:
        statements = ["CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE"]
        for kind, rel_type in self._types.items():
            statements.append(
                f"CREATE INDEX deal_id_{kind} IF NOT EXISTS FOR ()-[r:{rel_type}]-() ON (r.id)"
            )
        with self._session() as session:
            for statement in statements:
                session.run(statement).consume()
            session.run("CALL db.awaitIndexes(300)").consume()

    # ------------------------------------------------------------------ writes

    def write(
        self,
        entities: Sequence[Entity],
        relationships: Sequence[Relationship],
        progress: Progress | None = None,
    ) -> None:
        """Upsert entities and deals in batches of :data:`BATCH_SIZE`, one transaction each.

        Not all-or-nothing: if it stops part-way, the batches before the failure are
        written and re-running the same write completes it exactly.
        """
        # Later records win over earlier ones with the same id, as in the embedded store.
        entity_rows = list({e.id: _entity_row(e) for e in entities}.values())
        deals = list({r.id: r for r in relationships}.values())
        by_type: dict[str, list[list]] = {}
        for r in deals:
            by_type.setdefault(self._type_of(r), []).append(_deal_row(r))
        total = len(entity_rows) + len(deals)
        done = 0
        try:
            with self._session() as session:
                # A deal already stored may have changed kind or entities; looking that up
                # costs an index seek per type and row, needless when no deal is stored yet
                # (a first load). The count comes from Neo4j's count store, not a scan.
                types = list(self._types.values())
                stored = session.execute_read(_count_deals, "|".join(types)) if deals else 0
                for start in range(0, len(entity_rows), BATCH_SIZE):
                    batch = entity_rows[start : start + BATCH_SIZE]
                    session.execute_write(_run_write, _MERGE_ENTITIES, batch)
                    done += len(batch)
                    if progress:
                        progress(done, total)
                for rel_type, rows in by_type.items():  # one statement per type and batch
                    for start in range(0, len(rows), BATCH_SIZE):
                        batch = rows[start : start + BATCH_SIZE]
                        try:
                            session.execute_write(_write_deals, types, rel_type, batch, stored > 0)
                        except _MissingEntities as exc:
                            raise StoreError(
                                f"Neo4j at {self._shown_uri}: {exc.count} deal(s) name entities that are not "
                                f"in the store; stopped after {done} of {total} records"
                            ) from None
                        done += len(batch)
                        if progress:
                            progress(done, total)
        except AuthError as exc:
            raise StoreError(self._message(f"Neo4j at {self._shown_uri} refused the write", exc)) from None
        except (DriverError, Neo4jError, OSError) as exc:
            raise StoreError(
                self._message(
                    f"Neo4j at {self._shown_uri}: write stopped after {done} of {total} records, "
                    "re-run the same load to complete it",
                    exc,
                )
            ) from None

    def _type_of(self, r: Relationship) -> str:
        try:
            return self._types[r.kind]
        except KeyError:
            schema().relationship_kind(r.kind)  # raises ModelError naming the allowed kinds
            raise

    # ------------------------------------------------------------------ reads

    def entities(self) -> list[Entity]:
        rows = self._read(
            "MATCH (e:Entity) RETURN e.id AS id, e.name AS name, e.kind AS kind, "
            "e.ticker AS ticker, e.country AS country, e.aliases AS aliases"
        )
        out = [
            Entity(
                id=row["id"], name=row["name"], kind=row["kind"], ticker=row["ticker"],
                country=row["country"], aliases=tuple(row["aliases"] or ()),
            )
            for row in rows
        ]
        out.sort(key=lambda e: e.id)  # code-point order, like the embedded store
        return out

    def relationships(self) -> list[Relationship]:
        types = "|".join(self._types.values())
        rows = self._read(
            f"MATCH (a:Entity)-[r:{types}]->(b:Entity) RETURN r.id AS id, a.id AS source, "
            "r.kind AS kind, b.id AS target, "
            + ", ".join(f"r.{p} AS {p}" for p in _DEAL_PROPERTIES[1:])
        )
        out = [Relationship(**row) for row in rows]
        out.sort(key=lambda r: r.id)
        return out

    def stats(self) -> dict[str, dict[str, int]]:
        types = "|".join(self._types.values())
        entities = self._read("MATCH (e:Entity) RETURN e.kind AS kind, count(*) AS n")
        deals = self._read(f"MATCH (:Entity)-[r:{types}]->(:Entity) RETURN r.kind AS kind, count(*) AS n")
        return {
            "entities": dict(sorted((row["kind"], row["n"]) for row in entities)),
            "relationships": dict(sorted((row["kind"], row["n"]) for row in deals)),
        }

    def run_cypher(self, text: str, params: dict[str, Any] | None = None) -> list[dict]:
        """Run a read-only query with ``params``; rows as plain dicts in the query's order."""
        return self._read(text, params or {})

    def _read(self, text: str, params: dict[str, Any] | None = None) -> list[dict]:
        try:
            with self._session() as session:
                return session.execute_read(_run_read, text, params or {})
        except (DriverError, Neo4jError, OSError) as exc:
            raise StoreError(self._message(f"Neo4j at {self._shown_uri}: read failed", exc)) from None

    def close(self) -> None:
        self._driver.close()


def _looks_unreachable(exc: BaseException | None) -> bool:
    return exc is None or isinstance(exc, (ServiceUnavailable, DriverError, OSError)) or (
        isinstance(exc, Neo4jError) and "unavailable" in str(exc).lower()
    )


def _entity_row(e: Entity) -> dict:
    return {
        "id": e.id, "name": e.name, "kind": e.kind, "ticker": e.ticker,
        "country": e.country, "aliases": list(e.aliases),
    }


def _run_write(tx, text: str, rows: list[dict]) -> None:
    tx.run(text, rows=rows).consume()


def _count_deals(tx, types: str) -> int:
    return tx.run(f"MATCH ()-[r:{types}]->() RETURN count(r) AS n").single()["n"]


def _deal_row(r: Relationship) -> list:
    row = [getattr(r, name) for name in _ROW_FIELDS]
    if row[4] is not None:  # amount_usd: always a float, as the embedded store reads it back
        row[4] = float(row[4])
    return row


def _write_deals(tx, types: list[str], rel_type: str, rows: list[list], moved_possible: bool) -> int:
    """One batch of deals of one type: drop copies whose kind or entities changed, then MERGE
    (or CREATE when no deal was stored before this write). Safe to retry: a failed attempt
    is rolled back whole and the statements converge on the same graph."""
    if rel_type not in types:  # never place anything but a model type in query text
        raise StoreError(f"relationship type {rel_type!r} is not in the model")
    if moved_possible:
        tx.run(_remove_moved(types), rows=rows, type=rel_type).consume()
    # No deal stored (a first load) and ids made unique by write(): nothing to merge with.
    written = tx.run(_merge_relationships(rel_type, create=not moved_possible), rows=rows).single()["written"]
    if written != len(rows):  # rolls this batch back: a MATCH found no entity for some rows
        raise _MissingEntities(len(rows) - written)


class _MissingEntities(Exception):
    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def _run_read(tx, text: str, params: dict) -> list[dict]:
    return [record.data() for record in tx.run(text, params)]
