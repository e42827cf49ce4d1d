"""The Neo4j store: the graph in a Neo4j 5 server (local, Docker, a cluster or Aura).

Entities are ``(:Entity {id, name, kind, ticker, country, aliases})`` nodes, with their kind
as a second label (``:Entity:Chipmaker``, see :func:`entity_labels`); each deal is a
relationship typed by its kind's ``neo4j_type`` from the model (``INVESTS_IN``, ...) with
the properties ``id, kind, amount_usd, amount_note, date, summary, evidence_url,
evidence_title, supersedes, expands`` (the last two: deal ids, see :mod:`dealgraph.model.lineage`).
Relationship types are never taken from input: only the model's list is ever put into
query text; every value travels as a ``$parameter``.

Writes are batched ``UNWIND $rows`` statements, one managed transaction (``execute_write``)
per batch, and every transaction function is safe to run twice; loading the same records
twice leaves the same graph. Entities MERGE on their id. Deals are written on their deal
id without ``MERGE (a)-[r:T {id}]->(b)``: the plan Neo4j picks for that lookup (an index
seek, or a scan of the whole index for every row) follows index statistics that lag behind
a load, and both were seen, the scan taking hundreds of seconds for one batch. Instead a
write first looks up the ids it writes, and where they are stored (in each relationship type
that holds deals, none on a first load; ``USING INDEX SEEK`` on the per-type uniqueness
constraint, so one seek per id whatever the statistics); stored deals are then updated or
removed by their element id and new ones are CREATEd. Every lookup a write makes is a
unique seek or an element-id seek. A batch of new deals also records a marker node,
``(:DealgraphBatch {id: "<load token>-<n>"})``, in its transaction: if the driver runs the
batch again because the commit's acknowledgement was lost, the marker says it is done. A
load deletes its own markers when it ends, never another's.

Loads may run side by side. The uniqueness constraints stop two loads creating the same deal
in one type: the batch that fails is written again by :func:`_reconcile_deals`, which looks
its ids up afresh; an update whose deal another load moved is written again the same way.
The constraints cannot stop two loads creating one id under two kinds: each load records
itself with a marker while it runs, learns whether another ran at the same time, and if so
ends by deleting the :func:`_extra_copies` of its ids.

Entity figures are ``(:Figure {id, kind, amount_usd, percent, period, as_of, when, note,
evidence_url, evidence_title})`` nodes, linked ``(:Entity)-[:HAS_FIGURE]->(:Figure)`` and,
for a figure about a tie to another entity (a customer's share),
``(:Figure)-[:COUNTERPARTY]->(:Entity)``. ``when`` is the date the figure speaks for
(:attr:`dealgraph.model.records.Figure.when`), so queries can order figures in time. Figures MERGE on
their id (unique constraint) in batched ``UNWIND`` writes after the deals; a figure's links
are replaced on every write, so rewriting one that moved to another entity leaves no
stale link.

Batches run :data:`WRITE_WORKERS` transactions side by side. Entities are spread over
buckets by a hash of their id, and two batches that touch a common bucket never run at the
same time, so parallel writers do not wait on each other's node locks. A load spans many
transactions, so unlike the embedded store it is not all-or-nothing: a load that stops
part-way (server gone, interrupted) has written some batches, and re-running the same load
converges to exactly the same graph (the same counts) as an uninterrupted one.
"""

from __future__ import annotations

import functools
import logging
import queue
import re
import threading
import uuid
import zlib
from typing import Any, Callable, Collection, Sequence
from urllib.parse import urlsplit, urlunsplit

from neo4j import GraphDatabase
from neo4j import graph as neo4j_graph
from neo4j.exceptions import (
    AuthError, ConstraintError, DriverError, Neo4jError, ServiceUnavailable, TransientError,
)

from dealgraph.model.errors import StoreError
from dealgraph.model.records import Entity, Figure, Relationship, schema
from dealgraph.stores.base import Progress, Store

#: Records per write transaction.
BATCH_SIZE = 10_000

#: Write transactions run side by side (each on its own session); 1 writes one batch at a time.
WRITE_WORKERS = 2

#: Entity buckets per worker: more buckets, more batches that can run side by side.
BUCKETS_PER_WORKER = 4

#: Deal ids looked up per read statement.
LOOKUP_SIZE = 10_000

#: Times a batch that lost a race with another load is written again before giving up.
RACE_RETRIES = 5

# The driver logs each retried transaction (a deadlock between parallel writers, a leader
# switch) as a warning; errors that end a write reach the user as one line from this module.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

HINT = "is Neo4j running? try: docker compose up -d"

URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

#: A deal's properties: its fields in schema.yaml but the id and the two entities it ties.
_DEAL_PROPERTIES = tuple(n for n in schema().field_names("relationship") if n not in ("id", "source", "target"))

#: A figure's properties: its fields but the id and the entities it links to, and ``when``
#: (the date it speaks for, see :attr:`Figure.when`) after ``as_of``.
_FIGURE_PROPERTIES = tuple(
    p for n in schema().field_names("figure") if n not in ("id", "entity", "counterparty")
    for p in ((n, "when") if n == "as_of" else (n,))
)

# Rows: maps with the figure's id, entity, counterparty and _FIGURE_PROPERTIES.
_MERGE_FIGURES = (
    "UNWIND $rows AS row MERGE (f:Figure {id: row.id}) SET "
    + ", ".join(f"f.{p} = row.{p}" for p in _FIGURE_PROPERTIES)
)
_UNLINK_FIGURES = (
    "UNWIND $rows AS row MATCH (f:Figure {id: row.id})-[old:COUNTERPARTY]->() DELETE old"
)
_UNLINK_FIGURE_ENTITIES = (
    "UNWIND $rows AS row MATCH (:Entity)-[old:HAS_FIGURE]->(f:Figure {id: row.id}) DELETE old"
)
_LINK_FIGURES = """
UNWIND $rows AS row
MATCH (f:Figure {id: row.id}), (e:Entity {id: row.entity})
CREATE (e)-[:HAS_FIGURE]->(f)
WITH f, row WHERE row.counterparty IS NOT NULL
MATCH (c:Entity {id: row.counterparty})
CREATE (f)-[:COUNTERPARTY]->(c)
"""

_LABEL_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def entity_labels() -> dict[str, str]:
    """``{kind: label}``: each entity kind of the model as a second node label beside
    ``Entity`` (``ai_lab`` -> ``AiLab``), so Neo4j Browser's style (``cypher/dealgraph.grass``)
    can colour entities by kind; checked to be safe to place in query text."""
    labels = {}
    for name in schema().entity_kinds:
        label = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
        if not _LABEL_NAME.match(label) or label in ("Entity", "Figure", _MARKER):
            raise StoreError(f"schema: entity kind {name!r} does not make a valid Neo4j label ({label!r})")
        labels[name] = label
    return labels


def _merge_entities_statement() -> str:
    """MERGE entities; each gets its kind's label and loses any other kind's (a reload may
    change an entity's kind). Only the model's labels are placed in the text."""
    labels = entity_labels()
    relabel = "".join(
        f"\nFOREACH (_ IN CASE WHEN row.kind = '{kind}' THEN [1] ELSE [] END | REMOVE e:"
        + ":".join(other for k, other in labels.items() if k != kind)
        + f" SET e:{label})"
        for kind, label in labels.items()
    )
    return f"""
UNWIND $rows AS row
MERGE (e:Entity {{id: row.id}})
SET e.name = row.name, e.kind = row.kind, e.ticker = row.ticker,
    e.country = row.country, e.aliases = row.aliases{relabel}
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


@functools.lru_cache(maxsize=None)
def _create_deals_statement(rel_type: str) -> str:
    """CREATE deals of one model type (never a type taken from input)."""
    props = ", ".join(f"{p}: row[{i}]" for i, p in enumerate(_ROW_FIELDS) if i not in (1, 2))
    return f"""
UNWIND $rows AS row
MATCH (a:Entity {{id: row[1]}}), (b:Entity {{id: row[2]}})
CREATE (a)-[r:{rel_type} {{{props}}}]->(b)
RETURN count(r) AS written
"""


# Rows: [element id, *deal row]. The deal id is checked too: Neo4j may reuse the element id
# of a relationship deleted since it was read. Properties are SET one by one, not with
# `r = map`: a map holding `id` would make the planner add an Eager barrier.
_UPDATE_DEALS = (
    "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row[0] AND r.id = row[1] SET "
    + ", ".join(f"r.{p} = row[{i + 1}]" for i, p in enumerate(_ROW_FIELDS) if i >= 3)
)

# Rows: [element id, deal id].
_DELETE_DEALS = "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row[0] AND r.id = row[1] DELETE r"

_MARKER = "DealgraphBatch"
_MERGE_ENTITIES = _merge_entities_statement()


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
            f"CREATE CONSTRAINT dealgraph_batch_id IF NOT EXISTS FOR (m:{_MARKER}) REQUIRE m.id IS UNIQUE",
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
        """Upsert entities, then deals, then figures, in batches of up to :data:`BATCH_SIZE`
        records, one transaction each, :data:`WRITE_WORKERS` at a time (figures one batch
        at a time).

        Not all-or-nothing: if it stops part-way, the batches that committed are written and
        re-running the same write completes it exactly.
        """
        # Later records win over earlier ones with the same id, as in the embedded store.
        entity_rows = list({e.id: _entity_row(e) for e in entities}.values())
        deals = list({r.id: r for r in relationships}.values())
        for r in deals:
            self._type_of(r)  # an unknown kind is refused before anything is written
        figure_rows = list({f.id: _figure_row(f) for f in figures}.values())
        tracker = _Tracker(len(entity_rows) + len(deals) + len(figure_rows), progress)
        try:
            self._check_entities_exist(deals, {row["id"] for row in entity_rows}, figure_rows)
            if entity_rows:
                tasks = [
                    _Task((), len(batch), _run_write, (_MERGE_ENTITIES, batch))
                    for batch in _chunks(entity_rows, BATCH_SIZE)
                ]
                self._run_tasks(tasks, tracker)
            if deals:
                self._write_deals(deals, tracker)
            if figure_rows:
                with self._session() as session:
                    for batch in _chunks(figure_rows, BATCH_SIZE):
                        session.execute_write(_write_figures, batch)
                        tracker.add(len(batch))
        except _MissingEntities as exc:
            raise StoreError(
                f"Neo4j at {self._shown_uri}: {exc.count} deal(s) name entities that are not "
                f"in the store; stopped after {tracker.done} of {tracker.total} records"
            ) from None
        except AuthError as exc:
            raise StoreError(self._message(f"Neo4j at {self._shown_uri} refused the write", exc)) from None
        except (DriverError, Neo4jError, OSError) as exc:
            raise StoreError(
                self._message(
                    f"Neo4j at {self._shown_uri}: write stopped after {tracker.done} of {tracker.total} "
                    "records, re-run the same load to complete it",
                    exc,
                )
            ) from None

    def _write_deals(self, deals: list[Relationship], tracker: "_Tracker") -> None:
        """Remove moved copies, then update or create every deal; with markers that belong
        to this load only (a token), and, when another load ran at the same time, a last
        pass that leaves one copy of each deal id across relationship types."""
        load = uuid.uuid4().hex
        with self._session() as session:
            session.execute_write(_begin_load, load)
        try:
            deletes, writes = self._deal_tasks(deals, load)
            self._run_tasks(deletes, tracker)
            self._run_tasks(writes, tracker)
            with self._session() as session:
                overlapped = session.execute_read(_load_overlapped, load)
            if overlapped:
                extra = _extra_copies(self._stored_copies(sorted({r.id for r in deals})))
                with self._session() as session:
                    for batch in _chunks(extra, BATCH_SIZE):
                        session.execute_write(_run_write, _DELETE_DEALS, batch)
        finally:
            try:
                with self._session() as session:
                    session.execute_write(_forget_load, load)
            except (DriverError, Neo4jError, OSError):
                pass  # the write's own error says more; the markers go with the next load

    def _check_entities_exist(
        self, deals: list[Relationship], written: set[str], figure_rows: Sequence[dict] = ()
    ) -> None:
        """Refuse, before writing anything, deals and figures naming an entity neither in
        this write nor in the store (deal batches run side by side, so one failing batch
        would not stop the others)."""
        wanted = {r.source for r in deals} | {r.target for r in deals}
        wanted |= {row[k] for row in figure_rows for k in ("entity", "counterparty") if row[k]}
        wanted -= written
        if not wanted:
            return
        with self._session() as session:
            missing = set(session.execute_read(_missing_entities, sorted(wanted)))
        if missing:
            bad = sum(1 for r in deals if r.source in missing or r.target in missing)
            bad_figures = sum(1 for row in figure_rows if {row["entity"], row["counterparty"]} & missing)
            what = f"{bad} deal(s)" + (f" and {bad_figures} figure(s)" if bad_figures else "")
            shown = ", ".join(sorted(missing)[:5]) + (", ..." if len(missing) > 5 else "")
            raise StoreError(
                f"Neo4j at {self._shown_uri}: {what} name entities that are not in the store "
                f"({shown}); nothing was written"
            )

    def _deal_tasks(self, deals: list[Relationship], load: str) -> tuple[list["_Task"], list["_Task"]]:
        """Batches removing stored copies of deals that moved (changed kind or entities), and
        batches updating or creating the deals; each batch within one cell of two entity
        buckets, biggest cells first."""
        stored = self._stored_copies(sorted({r.id for r in deals}))
        # About one batch per cell: with small cells, per-statement costs would outweigh what
        # running side by side gains. k buckets make k(k+1)/2 cells.
        n_buckets = 1
        while (
            n_buckets < self.workers * BUCKETS_PER_WORKER
            and (n_buckets + 1) * (n_buckets + 2) // 2 * BATCH_SIZE <= len(deals)
        ):
            n_buckets += 1
        buckets: dict[str, int] = {}

        def bucket(entity_id: str) -> int:
            b = buckets.get(entity_id)
            if b is None:
                b = buckets[entity_id] = zlib.crc32(entity_id.encode("utf-8")) % n_buckets
            return b

        def cell(source: str, target: str) -> tuple[int, int]:
            i, j = bucket(source), bucket(target)
            return (i, j) if i < j else (j, i)

        moved: dict[tuple, list[list]] = {}
        updated: dict[tuple, list[tuple[str, Relationship]]] = {}
        created: dict[tuple, list[Relationship]] = {}
        for r in deals:
            place = (self._types[r.kind], r.source, r.target)
            kept = None
            for copy in stored.get(r.id, ()):  # (type, source, target, element id)
                if kept is None and copy[:3] == place:
                    kept = copy
                else:
                    moved.setdefault(cell(copy[1], copy[2]), []).append([copy[3], r.id])
            if kept is None:
                created.setdefault(cell(r.source, r.target), []).append(r)
            else:
                updated.setdefault(cell(r.source, r.target), []).append((kept[3], r))

        deletes = [
            _Task(frozenset(key), 0, _run_write, (_DELETE_DEALS, batch))
            for key, rows in sorted(moved.items(), key=lambda item: -len(item[1]))
            for batch in _chunks(rows, BATCH_SIZE)
        ]
        writes = []
        def size(key: tuple) -> int:
            return len(created.get(key, ())) + len(updated.get(key, ()))

        for key in sorted(created.keys() | updated.keys(), key=size, reverse=True):
            for batch in _chunks(updated.get(key, []), BATCH_SIZE):
                again = (_reconcile_deals, (self._types, [r for _, r in batch]))
                writes.append(_Task(frozenset(key), len(batch), _update_deals, (batch,), again))
            new = sorted(created.get(key, []), key=lambda r: r.kind)  # few types per batch: few statements
            for batch in _chunks(new, BATCH_SIZE):
                # Rows are built by the worker that runs the batch, while the other one waits
                # on the server.
                marker = f"{load}-{len(writes)}"
                again = (_reconcile_deals, (self._types, batch))
                writes.append(_Task(frozenset(key), len(batch), _create_deals, (self._types, batch, marker), again))
        return deletes, writes

    def _stored_copies(self, ids: list[str]) -> dict[str, list[tuple]]:
        """``{deal id: [(type, source, target, element id), ...]}`` for the stored deals
        among ``ids``, in the types that hold deals (Neo4j's count store says which; none on
        a first load): by unique seeks, one per id, in a type holding more deals than there
        are ids (a small load into a big graph reads only its own ids); otherwise one pass
        over the type reads less."""
        with self._session() as session:
            counts = {t: session.execute_read(_count_deals, t) for t in self._types.values()}
            seek = [t for t, n in counts.items() if n and len(ids) <= n]
            scan = [t for t, n in counts.items() if n and len(ids) > n]
            stored: dict[str, list[tuple]] = {}
            if seek:
                for chunk in _chunks(ids, LOOKUP_SIZE):
                    stored.update(session.execute_read(_stored_deals, seek, chunk))
            if scan:
                for deal_id, copies in session.execute_read(_scan_deals, scan, set(ids)).items():
                    stored.setdefault(deal_id, []).extend(copies)
        return stored

    def _run_tasks(self, tasks: list["_Task"], tracker: "_Tracker") -> None:
        """Run each task in a managed write transaction, up to ``self.workers`` at a time and
        never two whose bucket keys meet; progress is reported from the calling thread."""
        workers = min(self.workers, len(tasks))
        if workers <= 1:
            with self._session() as session:
                for task in tasks:
                    _run_task(session, task)
                    tracker.add(task.size)
            return
        scheduler = _Scheduler(tasks)
        events: queue.Queue = queue.Queue()

        def work() -> None:
            try:
                with self._session() as session:
                    while (task := scheduler.take()) is not None:
                        try:
                            _run_task(session, task)
                        finally:
                            scheduler.release(task)
                        events.put(task.size)
            except BaseException as exc:  # handed to the calling thread, which raises it
                scheduler.stop()
                events.put(exc)
            finally:
                events.put(None)

        threads = [threading.Thread(target=work, name=f"dealgraph-write-{n}", daemon=True) for n in range(workers)]
        for thread in threads:
            thread.start()
        error: BaseException | None = None
        try:
            running = workers
            while running:
                event = events.get()
                if event is None:
                    running -= 1
                elif isinstance(event, BaseException):
                    error = error or event
                else:
                    tracker.add(event)
        except BaseException:  # the progress callback raised, or Ctrl-C: let running batches end
            scheduler.stop()
            for thread in threads:
                thread.join()
            raise
        if error is not None:
            raise error

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

    def superseded(self) -> dict[str, tuple[str, ...]]:
        # Only the deals that name another (few), not every deal.
        types = "|".join(self._types.values())
        rows = self._read(f"MATCH (:Entity)-[s:{types}]->(:Entity) WHERE s.supersedes IS NOT NULL "
                          "RETURN s.supersedes AS old, s.id AS new")
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["old"], []).append(row["new"])
        return {old: tuple(sorted(new)) for old, new in found.items()}

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
            + ", ".join(f"f.{p} AS {p}" for p in _FIGURE_PROPERTIES if p not in ("kind", "when")),
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
        write finds them (:meth:`_stored_copies`: a forced unique seek per id, or one pass
        over a type holding fewer deals than there are ids)."""
        kinds = {rel_type: kind for kind, rel_type in self._types.items()}
        try:
            stored = self._stored_copies(list(dict.fromkeys(ids)))
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


def _entity_row(e: Entity) -> dict:
    return {
        "id": e.id, "name": e.name, "kind": e.kind, "ticker": e.ticker,
        "country": e.country, "aliases": list(e.aliases),
    }


def _figure_row(f: Figure) -> dict:
    row = f.to_dict()
    row["when"] = f.when
    for name in ("amount_usd", "percent"):  # always floats, as the embedded store reads them back
        if row[name] is not None:
            row[name] = float(row[name])
    return row


def _write_figures(tx, rows: list[dict]) -> None:
    """MERGE one batch of figures and (re)link them to their entities. Safe to run twice."""
    tx.run(_MERGE_FIGURES, rows=rows).consume()
    tx.run(_UNLINK_FIGURES, rows=rows).consume()
    tx.run(_UNLINK_FIGURE_ENTITIES, rows=rows).consume()
    tx.run(_LINK_FIGURES, rows=rows).consume()


def _run_write(tx, text: str, rows: list[dict]) -> None:
    tx.run(text, rows=rows).consume()


def _missing_entities(tx, ids: list[str]) -> list[str]:
    query = "UNWIND $ids AS id OPTIONAL MATCH (e:Entity {id: id}) WITH id, e WHERE e IS NULL RETURN id"
    return [record["id"] for record in tx.run(query, ids=ids)]


def _count_deals(tx, rel_type: str) -> int:
    return tx.run(f"MATCH ()-[r:{rel_type}]->() RETURN count(r) AS n").single()["n"]


def _deal_row(r: Relationship) -> list:
    row = [getattr(r, name) for name in _ROW_FIELDS]
    if row[4] is not None:  # amount_usd: always a float, as the embedded store reads it back
        row[4] = float(row[4])
    return row


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@functools.lru_cache(maxsize=None)
def _find_deals_statement(rel_type: str) -> str:
    """The stored deals of one model type among ``$ids``: a unique seek per id. The hint is
    needed: planned while the index statistics still say the type is (nearly) empty, Neo4j
    otherwise picks a scan of the whole index for every id, and keeps that plan cached as
    the type grows (seen: every lookup reading all deals of six types). ``USING INDEX SEEK``
    allows only the seek."""
    return (
        f"UNWIND $ids AS id MATCH (a:Entity)-[r:{rel_type} {{id: id}}]->(b:Entity) "
        f"USING INDEX SEEK r:{rel_type}(id) RETURN r.id, a.id, b.id, elementId(r)"
    )


def _stored_deals(tx, types: list[str], ids: list[str]) -> dict[str, list[tuple]]:
    """``{deal id: [(type, source, target, element id), ...]}`` for the stored deals among
    ``ids``, looked up by id in each of ``types`` (one copy per type at most; more than one
    type only after loads that ran at the same time, until the load deletes its _extra_copies)."""
    found: dict[str, list[tuple]] = {}
    for rel_type in types:
        for deal_id, source, target, element_id in tx.run(_find_deals_statement(rel_type), ids=ids):
            found.setdefault(deal_id, []).append((rel_type, source, target, element_id))
    return found


def _scan_deals(tx, types: list[str], wanted: set[str]) -> dict[str, list[tuple]]:
    """Like :func:`_stored_deals`, reading each of ``types`` once: for a write of more ids
    than those types hold."""
    found: dict[str, list[tuple]] = {}
    for rel_type in types:
        result = tx.run(f"MATCH (a:Entity)-[r:{rel_type}]->(b:Entity) RETURN r.id, a.id, b.id, elementId(r)")
        for deal_id, source, target, element_id in result:
            if deal_id in wanted:
                found.setdefault(deal_id, []).append((rel_type, source, target, element_id))
    return found


def _stored_types(tx, types) -> list[str]:
    return [t for t in types if tx.run(f"MATCH ()-[r:{t}]->() RETURN count(r) AS n").single()["n"]]


def _create_deals(tx, types: dict[str, str], deals: list[Relationship], marker: str) -> None:
    """CREATE one batch of new deals, and its marker. Safe to retry: a failed attempt is
    rolled back whole, and an attempt that committed without the driver hearing of it left
    its marker."""
    if tx.run(f"MATCH (m:{_MARKER} {{id: $id}}) RETURN count(m) AS n", id=marker).single()["n"]:
        return
    by_type: dict[str, list[list]] = {}
    for r in deals:
        by_type.setdefault(types[r.kind], []).append(_deal_row(r))
    for rel_type, rows in by_type.items():  # types from relationship_types(): the model's, checked
        written = tx.run(_create_deals_statement(rel_type), rows=rows).single()["written"]
        if written != len(rows):  # rolls this batch back: a MATCH found no entity for some rows
            raise _MissingEntities(len(rows) - written)
    tx.run(f"CREATE (:{_MARKER} {{id: $id}})", id=marker).consume()


def _update_deals(tx, deals: list[tuple[str, Relationship]]) -> None:
    """SET the fields of stored deals, found by element id. Safe to run twice. If a deal is
    no longer where it was read (another load moved it), the batch is written again by
    _reconcile_deals."""
    rows = [[element_id, *_deal_row(r)] for element_id, r in deals]
    updated = tx.run(_UPDATE_DEALS + " RETURN count(r) AS n", rows=rows).single()["n"]
    if updated != len(rows):
        raise _Moved()


def _reconcile_deals(tx, types: dict[str, str], deals: list[Relationship]) -> None:
    """Write one batch of deals whatever is stored now, in one transaction: look each id up
    (unique seeks), delete copies elsewhere, update the copy in place, create the rest. For
    a batch that lost a race with another load. Safe to run twice."""
    stored = _stored_deals(tx, _stored_types(tx, types.values()), [r.id for r in deals])
    gone, kept, new = [], [], []
    for r in deals:
        place = (types[r.kind], r.source, r.target)
        found = None
        for copy in stored.get(r.id, ()):
            if found is None and copy[:3] == place:
                found = copy
            else:
                gone.append([copy[3], r.id])
        if found is None:
            new.append(r)
        else:
            kept.append([found[3], *_deal_row(r)])
    if gone:
        tx.run(_DELETE_DEALS, rows=gone).consume()
    if kept:
        tx.run(_UPDATE_DEALS, rows=kept).consume()
    by_type: dict[str, list[list]] = {}
    for r in new:
        by_type.setdefault(types[r.kind], []).append(_deal_row(r))
    for rel_type, rows in by_type.items():
        written = tx.run(_create_deals_statement(rel_type), rows=rows).single()["written"]
        if written != len(rows):
            raise _MissingEntities(len(rows) - written)


def _extra_copies(stored: dict[str, list[tuple]]) -> list[list]:
    """``[element id, deal id]`` rows deleting all but one stored copy of each deal id.
    Per-type constraints keep an id unique within a type; two loads writing the same id
    under two kinds at the same time can leave one copy in each. Every load that overlapped
    another deletes these for its ids, and all keep the same copy (the least by type, then
    entities), so doing it twice or side by side agrees; a delete checks the deal id too."""
    return [[copy[3], deal_id] for deal_id, copies in stored.items() for copy in sorted(copies)[1:]]


# Markers: a load marker (:DealgraphBatch {id: token, started}) for each running load, and a
# batch marker {id: "token-n"} for each committed batch of new deals. Markers of loads that
# started more than a day ago (a write that stopped part-way) are removed by the next load.
_STALE_MS = 24 * 3600 * 1000


def _begin_load(tx, load: str) -> None:
    """Record this load as running, and mark it and every other running load as overlapping
    when there is one. The lock node makes loads begin one at a time, so two loads starting
    together still see each other."""
    tx.run(f"MERGE (lock:{_MARKER} {{id: 'begin-lock'}}) SET lock.at = timestamp()").consume()
    tx.run(
        f"MATCH (old:{_MARKER}) WHERE old.started < timestamp() - $stale "
        f"OPTIONAL MATCH (batch:{_MARKER}) WHERE batch.id STARTS WITH old.id + '-' "
        "DETACH DELETE batch, old",
        stale=_STALE_MS,
    ).consume()
    tx.run(
        f"CREATE (self:{_MARKER} {{id: $load, started: timestamp(), overlapped: false}}) "
        f"WITH self MATCH (other:{_MARKER}) WHERE other.started IS NOT NULL AND other <> self "
        "SET other.overlapped = true, self.overlapped = true",
        load=load,
    ).consume()
    tx.run(f"MATCH (lock:{_MARKER} {{id: 'begin-lock'}}) DELETE lock").consume()


def _load_overlapped(tx, load: str) -> bool:
    record = tx.run(f"MATCH (m:{_MARKER} {{id: $load}}) RETURN m.overlapped AS o", load=load).single()
    return record is None or bool(record["o"])  # no marker: treat as overlapped, to be safe


def _forget_load(tx, load: str) -> None:
    """Delete this load's markers only: another load may be running and need its own."""
    tx.run(
        f"MATCH (m:{_MARKER}) WHERE m.id = $load OR m.id STARTS WITH $prefix DELETE m",
        load=load, prefix=load + "-",
    ).consume()


def _run_task(session, task: "_Task") -> None:
    """Run a task's transaction; if it lost a race with another load (a deal id it creates
    was just created, or a deal it updates was moved), write its batch again as it stands."""
    try:
        session.execute_write(task.function, *task.args)
        return
    except (ConstraintError, _Moved):
        if task.again is None:
            raise
    for attempt in range(RACE_RETRIES):
        try:
            session.execute_write(task.again[0], *task.again[1])
            return
        except ConstraintError:
            if attempt == RACE_RETRIES - 1:
                raise


class _Moved(Exception):
    """A deal to update is no longer where the load read it."""


class _MissingEntities(Exception):
    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


class _Task:
    """One write transaction: ``function(tx, *args)``, touching the entity buckets ``keys``;
    ``again`` is ``(function, args)`` writing the same records whatever is stored, run if
    the first lost a race with another load."""

    __slots__ = ("keys", "size", "function", "args", "again")

    def __init__(self, keys, size: int, function: Callable, args: tuple, again: tuple | None = None):
        self.keys, self.size, self.function, self.args, self.again = keys, size, function, args, again


class _Scheduler:
    """Hands tasks to workers in order, skipping any whose buckets a running task holds."""

    def __init__(self, tasks: list[_Task]):
        self._pending = list(tasks)
        self._busy: set = set()
        self._stopped = False
        self._changed = threading.Condition()

    def take(self) -> _Task | None:
        with self._changed:
            while not self._stopped and self._pending:
                for n, task in enumerate(self._pending):
                    if self._busy.isdisjoint(task.keys):
                        del self._pending[n]
                        self._busy.update(task.keys)
                        return task
                self._changed.wait()
            return None

    def release(self, task: _Task) -> None:
        with self._changed:
            self._busy.difference_update(task.keys)
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()


class _Tracker:
    """Records written so far, reported to the progress callback."""

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.done, self._progress = total, 0, progress

    def add(self, n: int) -> None:
        self.done += n
        if self._progress and n:
            self._progress(self.done, self.total)


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
