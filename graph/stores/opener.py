"""Pick and open a store from the user's options: Neo4j when a URI is given, else SQLite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # the CLI imports this module for DEFAULT_DB; stores load when opened
    from dealgraph.stores.base import Store

DEFAULT_DB = "dealgraph.db"


def open_store(
    db: str | Path | None = None,
    neo4j_uri: str | None = None,
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
    create: bool = True,
    missing_hint: Callable[[Path], str | None] | None = None,
) -> Store:
    """Open the Neo4j store when ``neo4j_uri`` is set, otherwise the embedded SQLite file.

    Credentials default to ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD`` from the environment.
    With ``create=False`` a missing SQLite file is an error rather than a new empty store;
    ``missing_hint(path)``, when given, may say where a store is instead (the CLI points at
    the demo's store).
    """
    if neo4j_uri:
        from dealgraph.stores.neo4j_store import Neo4jStore  # the driver is only loaded when used

        return Neo4jStore(
            neo4j_uri,
            username=username if username is not None else os.environ.get("NEO4J_USERNAME"),
            password=password if password is not None else os.environ.get("NEO4J_PASSWORD"),
            database=database,
        )
    from dealgraph.stores.sqlite_store import SQLiteStore

    path = Path(db or DEFAULT_DB)
    if not create and not path.exists() and missing_hint is not None:
        from dealgraph.model.errors import StoreError

        hint = missing_hint(path)
        if hint:  # the common case right after `dealgraph demo`
            raise StoreError(f"{path}: no store here yet; {hint}")
    return SQLiteStore(path, create=create)
