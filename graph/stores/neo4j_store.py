"""The Neo4j store: the graph in a Neo4j 5 server (local, Docker, a cluster or Aura).

Entities are ``(:Entity {id, name, kind, ticker, country, aliases})`` nodes, with their kind
as a second label (``:Entity:Chipmaker``, see :func:`~dealgraph.stores.neo4j_writer.entity_labels`); each deal is a
relationship typed by its kind's ``neo4j_type`` from the model (``INVESTS_IN``, ...) with
the properties ``id, kind, amount_usd, amount_note, date, summary, evidence_url,
evidence_title, supersedes, expands`` (the last two: deal ids, see :mod:`dealgraph.model.lineage`).
Relationship types are never taken from input: only the model's list is ever put into
query text; every value travels as a ``$parameter``.

Entity figures are ``(:Figure {id, kind, amount_usd, percent, period, as_of, when, note,
evidence_url, evidence_title})`` nodes, linked ``(:Entity)-[:HAS_FIGURE]->(:Figure)`` and,
for a figure about a tie to another entity (a customer's share),
``(:Figure)-[:COUNTERPARTY]->(:Entity)``. ``when`` is the date the figure speaks for
(:attr:`dealgraph.model.records.Figure.when`), so queries can order figures in time. Figures MERGE on
their id (unique constraint) in batched ``UNWIND`` writes after the deals; a figure's links
are replaced on every write, so rewriting one that moved to another entity leaves no
stale link.

Writes (batches, parallel workers, loads running side by side) are the write engine's:
:mod:`dealgraph.stores.neo4j_writer`.
"""

from __future__ import annotations

import logging
from typing import Any, Collection, Sequence
from urllib.parse import urlsplit, urlunsplit

from neo4j import GraphDatabase
from neo4j import graph as neo4j_graph
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, TransientError

from dealgraph.model.errors import StoreError
from dealgraph.model.lineage import UNCOUNTED_STATUSES, not_counted
from dealgraph.model.records import Entity, Figure, Relationship, schema
from dealgraph.stores.base import Progress, Store
from dealgraph.stores.neo4j_writer import (
    DEAL_PROPERTIES, ENTITY_PROPERTIES, FIGURE_PROPERTIES, MARKER, WRITE_WORKERS, Neo4jWriter, relationship_types,
)

# The driver logs each retried transaction (a deadlock between parallel writers, a leader
# switch) as a warning; errors that end a write reach the user as one line from this module.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

HINT = "is Neo4j running? try: docker compose up -d"

URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


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
        workers: int = WRITE_WORKERS,
    ):
        self.uri = uri
        self.database = database or None
        if workers < 1:
            raise StoreError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self._secrets = [x for x in (password, _uri_password(uri)) if x]
        self._shown_uri = safe_uri(uri)
        self._types = relationship_types()
        self._writer = Neo4jWriter(self._session, self._types, workers, self._shown_uri, self._message)
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
        statements = [
            "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
            f"CREATE CONSTRAINT dealgraph_batch_id IF NOT EXISTS FOR (m:{MARKER}) REQUIRE m.id IS UNIQUE",
            "CREATE CONSTRAINT figure_id IF NOT EXISTS FOR (f:Figure) REQUIRE f.id IS UNIQUE",
        ]
        # A deal id is unique within each relationship type: loads running at the same time
        # cannot both create a deal (one fails and writes its batch again as updates), and a
        # lookup by deal id is a unique seek whatever the statistics say. (Uniqueness across
        # types is kept by the write, see _extra_copies.)
        for kind, rel_type in self._types.items():
            statements.append(
                f"CREATE CONSTRAINT deal_id_unique_{kind} IF NOT EXISTS "
                f"FOR ()-[r:{rel_type}]-() REQUIRE r.id IS UNIQUE"
            )
        with self._session() as session:
            # Stores written before the constraints had a plain index on the same property;
            # it has to go before the constraint's own index can be made.
            old = [
                record["name"]
                for record in session.run(
                    "SHOW INDEXES YIELD name, owningConstraint WHERE owningConstraint IS NULL "
                    "AND name STARTS WITH 'deal_id_' RETURN name"
                )
            ]
            for name in old:
                if name in {f"deal_id_{kind}" for kind in self._types}:  # names we made, never a user's
                    session.run(f"DROP INDEX {name} IF EXISTS").consume()
            for statement in statements:
                self._create_schema_rule(session, statement)
            # Every field of the model is a known property key, stored or not: a query that
            # reads a field no deal has yet (status, before any deal gives one) raises no
            # "property key does not exist" notification in Browser.
            # Only keys not yet known are made, in a managed transaction: making a token
            # takes a lock that a load writing at the same moment may hold, and the
            # driver retries the deadlock that can follow.
            fields = {f.name for r in ("entity", "relationship", "figure") for f in schema().fields(r)}
            known = {record["propertyKey"] for record in session.run("CALL db.propertyKeys()")}
            missing = sorted(fields - known)
            if missing:
                session.execute_write(
                    lambda tx: tx.run("UNWIND $keys AS key CALL db.createProperty(key)", {"keys": missing}).consume()
                )
            session.run("CALL db.awaitIndexes(300)").consume()

    def _create_schema_rule(self, session, statement: str) -> None:
        for attempt in range(3):
            try:
                session.run(statement).consume()
                return
            except Neo4jError as exc:
                code = exc.code or ""
                if code.endswith(("EquivalentSchemaRuleAlreadyExists", "ConstraintAlreadyExists")):
                    return  # another load made it at the same moment
                if "ConstraintCreationFailed" in code or "ConstraintValidationFailed" in code:
                    raise StoreError(
                        self._message(
                            f"Neo4j at {self._shown_uri}: cannot make deal ids unique, the database "
                            "already holds a deal id twice (delete the extra copies, or reload into "
                            "an empty database)",
                            exc, hint=False,
                        )
                    ) from None
                if attempt == 2 or not isinstance(exc, TransientError):
                    raise

    # ------------------------------------------------------------------ writes

    def write(
        self,
        entities: Sequence[Entity],
        relationships: Sequence[Relationship],
        progress: Progress | None = None,
        figures: Sequence[Figure] = (),
    ) -> None:
        """Upsert entities, then deals, then figures: :meth:`Neo4jWriter.write
        <dealgraph.stores.neo4j_writer.Neo4jWriter.write>`. Not all-or-nothing: re-running
        a write that stopped part-way completes it exactly."""
        self._writer.write(entities, relationships, progress, figures)

    # ------------------------------------------------------------------ reads

    def entities(self) -> list[Entity]:
        rows = self._read(
            "MATCH (e:Entity) RETURN e.id AS id, "
            + ", ".join(f"e.{p} AS {p}" for p in ENTITY_PROPERTIES)
        )
        out = [Entity(**dict(row, aliases=tuple(row["aliases"] or ()))) for row in rows]
        out.sort(key=lambda e: e.id)  # code-point order, like the embedded store
        return out

    def relationships(self) -> list[Relationship]:
        types = "|".join(self._types.values())
        rows = self._read(
            f"MATCH (a:Entity)-[r:{types}]->(b:Entity) RETURN r.id AS id, a.id AS source, "
            "r.kind AS kind, b.id AS target, "
            + ", ".join(f"r.{p} AS {p}" for p in DEAL_PROPERTIES[1:])
        )
        out = [Relationship(**row) for row in rows]
        out.sort(key=lambda r: r.id)
        return out

    def superseded(self) -> dict[str, tuple[str, ...]]:
        # Only the deals that name another (few), not every deal; and those of a status
        # that does not count (model/lineage.py).
        types = "|".join(self._types.values())
        rows = self._read(f"MATCH (:Entity)-[s:{types}]->(:Entity) WHERE s.supersedes IS NOT NULL "
                          "RETURN s.supersedes AS old, s.id AS new")
        statuses = [] if self.include_talks else self._read(
            f"MATCH (:Entity)-[s:{types}]->(:Entity) WHERE s.status IN $statuses "
            "RETURN s.id AS id, s.status AS status", {"statuses": list(UNCOUNTED_STATUSES)})
        return not_counted([(row["old"], row["new"]) for row in rows],
                           [(row["id"], row["status"]) for row in statuses], self.include_talks)

    def money_flows(self, kinds: Collection[str] | None = None) -> list[tuple[str, str, float | None]]:
        forward = [k for k in schema().kinds_flowing("forward") if kinds is None or k in kinds]
        reverse = [k for k in schema().kinds_flowing("reverse") if kinds is None or k in kinds]
        return self._turned_deals(forward, reverse)

    def exposure_flows(self) -> list[tuple[str, str, float | None]]:
        return self._turned_deals(schema().kinds_exposing("source"), schema().kinds_exposing("target"),
                                  self_deals=False)

    def _turned_deals(self, as_is: Sequence[str], turned: Sequence[str],
                      self_deals: bool = True) -> list[tuple[str, str, float | None]]:
        """``(source, target, amount_usd)`` of the deals that count of kinds ``as_is`` and
        ``(target, source, amount_usd)`` of those of kinds ``turned`` (as the embedded
        store's lean read): four properties per deal instead of every field."""
        kinds = [*as_is, *turned]
        if not kinds:
            return []
        superseded = self.superseded()
        types = "|".join(dict.fromkeys(self._types[k] for k in kinds))
        rows = self._read(f"MATCH (a:Entity)-[r:{types}]->(b:Entity) RETURN r.id AS id, a.id AS source, "
                          "r.kind AS kind, b.id AS target, r.amount_usd AS amount_usd")
        as_is, turned = set(as_is), set(turned)
        out = []
        for row in rows:
            source, target, kind = row["source"], row["target"], row["kind"]
            if row["id"] in superseded or (not self_deals and source == target):
                continue
            if kind in as_is:
                out.append((source, target, row["amount_usd"]))
            elif kind in turned:
                out.append((target, source, row["amount_usd"]))
        return out

    def figures(self, entity: str | None = None, kind: str | None = None) -> list[Figure]:
        rows = self._read(
            "MATCH (e:Entity)-[:HAS_FIGURE]->(f:Figure) "
            "WHERE ($entity IS NULL OR e.id = $entity) AND ($kind IS NULL OR f.kind = $kind) "
            "OPTIONAL MATCH (f)-[:COUNTERPARTY]->(c:Entity) "
            "RETURN f.id AS id, e.id AS entity, f.kind AS kind, c.id AS counterparty, "
            + ", ".join(f"f.{p} AS {p}" for p in FIGURE_PROPERTIES if p not in ("kind", "when")),
            {"entity": entity, "kind": kind},
        )
        out = [Figure(**row) for row in rows]
        out.sort(key=lambda f: f.id)
        return out

    def stats(self) -> dict[str, dict[str, int]]:
        types = "|".join(self._types.values())
        entities = self._read("MATCH (e:Entity) RETURN e.kind AS kind, count(*) AS n")
        deals = self._read(f"MATCH (:Entity)-[r:{types}]->(:Entity) RETURN r.kind AS kind, count(*) AS n")
        figures = self._read("MATCH (:Entity)-[:HAS_FIGURE]->(f:Figure) RETURN f.kind AS kind, count(*) AS n")
        return {
            "entities": dict(sorted((row["kind"], row["n"]) for row in entities)),
            "relationships": dict(sorted((row["kind"], row["n"]) for row in deals)),
            "figures": dict(sorted((row["kind"], row["n"]) for row in figures)),
        }

    def stored_deal_endpoints(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """``{id: (source, kind, target)}`` for the stored deals among ``ids``, found as a
        write finds them (:meth:`Neo4jWriter.stored_copies <dealgraph.stores.neo4j_writer.Neo4jWriter.stored_copies>`: a forced unique seek per id, or one pass
        over a type holding fewer deals than there are ids)."""
        kinds = {rel_type: kind for kind, rel_type in self._types.items()}
        try:
            stored = self._writer.stored_copies(list(dict.fromkeys(ids)))
        except (DriverError, Neo4jError, OSError) as exc:
            raise StoreError(self._message(f"Neo4j at {self._shown_uri}: read failed", exc)) from None
        # more than one copy only while loads overlap; the one they will keep
        return {
            deal_id: (copy[1], kinds[copy[0]], copy[2])
            for deal_id, copies in stored.items()
            for copy in sorted(copies)[:1]
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


def _run_read(tx, text: str, params: dict) -> list[dict]:
    return [{key: _plain(value) for key, value in record.items()} for record in tx.run(text, params)]


def _plain(value: Any) -> Any:
    """A result value as plain data. Graph values keep what identifies them: a node is its
    properties, a relationship the deal it stores (id, kind, and its entities in the stored
    direction), a path the list of its relationships."""
    if isinstance(value, neo4j_graph.Path):
        return [_plain(r) for r in value.relationships]
    if isinstance(value, neo4j_graph.Relationship):
        return {
            "id": value.get("id"), "kind": value.get("kind"),
            "source": value.start_node.get("id"), "target": value.end_node.get("id"),
        }
    if isinstance(value, neo4j_graph.Node):
        return dict(value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
