// name: vendor-financing
// description: Vendor financing: A puts money into B (equity or a loan) and B buys from A (B customer_of A, or A supplies B) - the Nvidia/CoreWeave pattern; one row per pair with both sides' deals, largest financing first (optionally only pairs involving $entity).
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
MATCH (a:Entity)-[:INVESTS_IN|LENDS_TO]->(b:Entity)
WHERE a <> b AND ($entity IS NULL OR a = entity OR b = entity)
WITH DISTINCT a, b
WITH a, b,
  COLLECT {
    MATCH (a)-[d:INVESTS_IN|LENDS_TO]->(b)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url} AS deal
    ORDER BY d.id
  } AS financing,
  COLLECT {
    MATCH (a)-[d:SUPPLIES|CUSTOMER_OF]-(b)
    WHERE (type(d) = 'SUPPLIES' AND startNode(d) = a) OR (type(d) = 'CUSTOMER_OF' AND startNode(d) = b)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url} AS deal
    ORDER BY d.id
  } AS purchases
WHERE size(purchases) > 0
// known amounts added in deal-id order; null when no deal has an amount
WITH a, b, financing, purchases,
  reduce(t = null, d IN financing | CASE WHEN d.amount_usd IS NULL THEN t ELSE coalesce(t, 0.0) + d.amount_usd END) AS financing_usd,
  reduce(t = null, d IN purchases | CASE WHEN d.amount_usd IS NULL THEN t ELSE coalesce(t, 0.0) + d.amount_usd END) AS purchases_usd
RETURN a.id AS financier, a.name AS financier_name, b.id AS client, b.name AS client_name,
       financing_usd, purchases_usd, financing, purchases
ORDER BY financing_usd IS NULL, financing_usd DESC, financier, client
