"""Where loaded deals live: the store interface (:mod:`.base`), the opener that picks an
engine from a path or URI (:mod:`.opener`), the period view (:mod:`.period`) and the two
engines, embedded SQLite (:mod:`.sqlite_store`) and Neo4j (:mod:`.neo4j_store`)."""
