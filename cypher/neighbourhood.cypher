// name: neighbourhood
// description: Everything within $depth deals of $entity (any kind of deal, either direction): one row per entity with its distance and the deals that link it to the entities one step closer.
// params: entity=null, depth=2
// Paste into Neo4j Browser first (one line):
// :params {entity: null, depth: 2}
// entity is required: replace null with an entity id, name or alias, e.g. {entity: 'Nvidia', depth: 2}
// $entity names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $entity OR toLower(toUpper(e.name)) = toLower(toUpper($entity))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($entity)))
  RETURN e ORDER BY e.id = $entity DESC, e.id
} AS named
WITH CASE WHEN named[0].id = $entity OR size(named) = 1 THEN named[0] END AS s
WITH s WHERE s IS NOT NULL
// No entity is more than one step per entity away: a larger $depth is no bound, and the
// search runs no more levels than there are entities, however large the value.
WITH s, CASE WHEN $depth > COUNT { MATCH (:Entity) } THEN COUNT { MATCH (:Entity) } ELSE $depth END AS bound
// breadth-first, one level per step: each entity appears once, at its shortest distance
WITH reduce(search = {levels: [[s]], seen: [s]}, i IN range(1, bound) |
  [next IN [COLLECT {
     UNWIND search.levels[-1] AS x
     MATCH (x)-[:INVESTS_IN|LENDS_TO|CUSTOMER_OF|SUPPLIES|LEASES_FROM|OWNS_WARRANT_IN|GRANTED_SHARES_BY|GUARANTEES|PARTNER_OF|MEMBER_OF|SUBSIDIARY_OF|ACQUIRES]-(y:Entity)
     WHERE NOT y IN search.seen
     RETURN DISTINCT y
   }] | {levels: search.levels + [next], seen: search.seen + next}][0]
) AS search
UNWIND range(0, size(search.levels) - 1) AS distance
UNWIND search.levels[distance] AS n
RETURN distance, n.id AS id, n.name AS name, n.kind AS kind,
       CASE distance WHEN 0 THEN [] ELSE COLLECT {
         WITH search.levels[distance - 1] AS closer
         MATCH (n)-[r:INVESTS_IN|LENDS_TO|CUSTOMER_OF|SUPPLIES|LEASES_FROM|OWNS_WARRANT_IN|GRANTED_SHARES_BY|GUARANTEES|PARTNER_OF|MEMBER_OF|SUBSIDIARY_OF|ACQUIRES]-(p:Entity)
         WHERE p IN closer
         RETURN r.id AS deal ORDER BY r.id
       } END AS via
ORDER BY distance, id
