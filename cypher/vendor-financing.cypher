// name: vendor-financing
// description: Vendor financing: A puts money into B (equity or a loan) and B buys from A (B customer_of or leases_from A, or A supplies B) - the Nvidia/CoreWeave pattern; one row per pair with both sides' deals, largest financing first (optionally only pairs involving $entity).
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
// Which deals count (graph/lineage.py): a deal that another deal supersedes adds nothing to
// any total and makes no step, pair or row of its own; it is still listed beside the deals
// that count, with superseded_by naming the deals that replace it.
CALL () {
  MATCH (:Entity)-[s]->(:Entity) WHERE s.supersedes IS NOT NULL
  WITH s ORDER BY s.id
  RETURN collect([s.supersedes, s.id]) AS supersession
}
WITH *, [link IN supersession | link[0]] AS superseded
MATCH (a:Entity)-[f:INVESTS_IN|LENDS_TO]->(b:Entity)
WHERE a <> b AND NOT f.id IN superseded AND ($entity IS NULL OR a = entity OR b = entity)
WITH supersession, collect(DISTINCT [a, b]) AS pairs
UNWIND pairs AS pair
WITH supersession, pair[0] AS a, pair[1] AS b
WITH a, b,
  COLLECT {
    MATCH (a)-[d:INVESTS_IN|LENDS_TO]->(b)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url,
            source: startNode(d).id, target: endNode(d).id, amount_note: d.amount_note,
            evidence_title: d.evidence_title, supersedes: d.supersedes, expands: d.expands,
            superseded_by: [link IN supersession WHERE link[0] = d.id | link[1]]} AS deal
    ORDER BY d.id
  } AS financing,
  COLLECT {
    MATCH (a)-[d:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(b)
    WHERE (type(d) = 'SUPPLIES' AND startNode(d) = a) OR (type(d) IN ['CUSTOMER_OF', 'LEASES_FROM'] AND startNode(d) = b)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url,
            source: startNode(d).id, target: endNode(d).id, amount_note: d.amount_note,
            evidence_title: d.evidence_title, supersedes: d.supersedes, expands: d.expands,
            superseded_by: [link IN supersession WHERE link[0] = d.id | link[1]]} AS deal
    ORDER BY d.id
  } AS purchases
WHERE any(d IN purchases WHERE size(d.superseded_by) = 0)
// the known amounts of the deals that count, added in deal-id order; null when none is known
WITH a, b, financing, purchases,
  reduce(t = null, d IN financing | CASE WHEN d.amount_usd IS NULL OR size(d.superseded_by) > 0 THEN t
                                         ELSE coalesce(t, 0.0) + d.amount_usd END) AS financing_usd,
  reduce(t = null, d IN purchases | CASE WHEN d.amount_usd IS NULL OR size(d.superseded_by) > 0 THEN t
                                         ELSE coalesce(t, 0.0) + d.amount_usd END) AS purchases_usd
RETURN a.id AS financier, a.name AS financier_name, b.id AS client, b.name AS client_name,
       financing_usd, purchases_usd, financing, purchases
ORDER BY financing_usd IS NULL, financing_usd DESC, financier, client
