// name: lender-web
// description: The lender web: who lends to whom (lends_to deals), one row per lender and borrower with the number of loans, their known total and the loans themselves (superseded loans listed, not counted), lenders with the most known lending first (optionally only rows involving $entity).
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
// Which deals count (graph/lineage.py): a deal that another deal supersedes, or in talks or
// terminated, adds nothing to any total and makes no step, pair or row of its own; it is still
// listed beside the deals that count, with superseded_by naming the deals that replace it, then
// 'status:talks' or 'status:terminated' (the CLI's --include-talks answers from the Python twin).
CALL () {
  MATCH (:Entity)-[s]->(:Entity) WHERE s.supersedes IS NOT NULL OR s.status IN ['talks', 'terminated']
  WITH s ORDER BY s.id
  RETURN collect(CASE WHEN s.supersedes IS NOT NULL THEN [s.supersedes, s.id] END)
       + collect(CASE WHEN s.status IN ['talks', 'terminated'] THEN [s.id, 'status:' + s.status] END) AS supersession
}
WITH *, [link IN supersession | link[0]] AS superseded
MATCH (l:Entity)-[r:LENDS_TO]->(b:Entity)
WHERE l <> b AND NOT r.id IN superseded AND ($entity IS NULL OR l = entity OR b = entity)
WITH supersession, superseded, collect(DISTINCT [l, b]) AS pairs
UNWIND pairs AS pair
WITH supersession, superseded, pair[0] AS l, pair[1] AS b
WITH l, b,
  COLLECT {
    MATCH (l)-[d:LENDS_TO]->(b)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url,
            source: startNode(d).id, target: endNode(d).id, amount_note: d.amount_note,
            evidence_title: d.evidence_title, supersedes: d.supersedes, expands: d.expands,
            amount_basis: d.amount_basis, status: d.status, amount_low: d.amount_low, amount_high: d.amount_high,
            superseded_by: [link IN supersession WHERE link[0] = d.id | link[1]]} AS deal
    ORDER BY d.id
  } AS relationships,
  COLLECT { MATCH (l)-[d:LENDS_TO]->(o:Entity) WHERE o <> l AND NOT d.id IN superseded
            RETURN d.amount_usd AS amount ORDER BY d.id } AS lent
WITH l, b, relationships, size([d IN relationships WHERE size(d.superseded_by) = 0]) AS deals,
  reduce(t = null, d IN relationships | CASE WHEN d.amount_usd IS NULL OR size(d.superseded_by) > 0 THEN t
                                             ELSE coalesce(t, 0.0) + d.amount_usd END) AS total_usd,
  reduce(t = null, a IN lent | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS lender_total_usd
RETURN l.id AS lender, l.name AS lender_name, b.id AS borrower, b.name AS borrower_name,
       deals, total_usd, lender_total_usd, relationships
ORDER BY lender_total_usd IS NULL, lender_total_usd DESC, lender, total_usd IS NULL, total_usd DESC, borrower
