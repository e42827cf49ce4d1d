// name: lender-web
// description: The lender web: who lends to whom (lends_to deals), one row per lender and borrower with the number of loans and their known total, lenders with the most known lending first (optionally only rows involving $entity).
// params: entity=null
// Paste into Neo4j Browser first (one line):
// :params {entity: null}
// $entity names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $entity OR toLower(toUpper(e.name)) = toLower(toUpper($entity))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($entity)))
  RETURN e ORDER BY e.id = $entity DESC, e.id
} AS named
WITH CASE WHEN named[0].id = $entity OR size(named) = 1 THEN named[0] END AS entity
MATCH (l:Entity)-[:LENDS_TO]->(b:Entity)
WHERE l <> b AND ($entity IS NULL OR l = entity OR b = entity)
WITH DISTINCT l, b
WITH l, b,
  COLLECT { MATCH (l)-[d:LENDS_TO]->(b) RETURN d.amount_usd AS amount ORDER BY d.id } AS amounts,
  COLLECT { MATCH (l)-[d:LENDS_TO]->(o:Entity) WHERE o <> l RETURN d.amount_usd AS amount ORDER BY d.id } AS lent
WITH l, b, size(amounts) AS deals,
  reduce(t = null, a IN amounts | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS total_usd,
  reduce(t = null, a IN lent | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS lender_total_usd
RETURN l.id AS lender, l.name AS lender_name, b.id AS borrower, b.name AS borrower_name,
       deals, total_usd, lender_total_usd
ORDER BY lender_total_usd IS NULL, lender_total_usd DESC, lender, total_usd IS NULL, total_usd DESC, borrower
