// name: vendor-financing
// description: Vendor financing: A puts money into B (equity or a loan) and B buys from A (B customer_of A, or A supplies B) - the Nvidia/CoreWeave pattern; one row per pair with both sides' deals, largest financing first (optionally only pairs involving $entity).
// params: entity=null
// Paste into Neo4j Browser first (one line):
// :params {entity: null}
MATCH (a:Entity)-[:INVESTS_IN|LENDS_TO]->(b:Entity)
WHERE a <> b AND ($entity IS NULL OR a.id = $entity OR b.id = $entity)
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
