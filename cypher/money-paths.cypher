// name: money-paths
// description: Money-flow paths from $from to $to of at most $maxLength hops (each entity at most once), with the deals and evidence on every hop; shortest first, then by the money that can go all the way.
// params: from=null, to=null, maxLength=4
// Paste into Neo4j Browser first (one line):
// :params {from: null, to: null, maxLength: 4}
// from and to are required: replace each null with an entity id, name or alias, e.g. {from: 'Nvidia', to: 'OpenAI', maxLength: 4}
//
// Money direction (graph/schema.yaml): INVESTS_IN, LENDS_TO, CUSTOMER_OF, LEASES_FROM move money
// from the start node to the end node; SUPPLIES, OWNS_WARRANT_IN and GRANTED_SHARES_BY from the end
// node to the start.
// The search extends paths of entities level by level (parallel deals collapsed), stops a path
// when it reaches $to, and takes the last hop only into $to. Superseded deals make no step.
// $from names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $from OR toLower(toUpper(e.name)) = toLower(toUpper($from))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($from)))
  RETURN e ORDER BY e.id = $from DESC, e.id
} AS named
WITH CASE WHEN named[0].id = $from OR size(named) = 1 THEN named[0] END AS origin
// $to names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH origin, COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $to OR toLower(toUpper(e.name)) = toLower(toUpper($to))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($to)))
  RETURN e ORDER BY e.id = $to DESC, e.id
} AS named
WITH origin, CASE WHEN named[0].id = $to OR size(named) = 1 THEN named[0] END AS destination
WITH origin, destination WHERE origin IS NOT NULL AND destination IS NOT NULL
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
// A path has fewer steps than there are entities: a larger $maxLength is no bound, and the
// search runs no more levels than there are entities, however large the value.
WITH *, CASE WHEN $maxLength > COUNT { MATCH (:Entity) } THEN COUNT { MATCH (:Entity) }
             ELSE $maxLength END AS bound
WITH supersession, superseded, origin, destination, reduce(search = {paths: [[origin]], found: []}, i IN range(1, bound) | [next IN [COLLECT {
    UNWIND search.paths AS path
    WITH path, path[-1] AS x
    MATCH (x)-[r:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(y:Entity)
    WHERE ((type(r) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(r) = x)
           OR (type(r) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(r) = x))
      AND NOT r.id IN superseded
      AND NOT y IN path
      AND (y = destination OR i < bound)
    RETURN DISTINCT path + [y] AS extended
  }] | {
    paths: [p IN next WHERE p[-1] <> destination],
    found: search.found + [p IN next WHERE p[-1] = destination]
  }][0]) AS search
UNWIND search.found AS path
WITH supersession, path, [j IN range(0, size(path) - 2) | {
  source: path[j].id,
  target: path[j + 1].id,
  relationships: COLLECT {
    WITH path[j] AS a, path[j + 1] AS b
    MATCH (a)-[d:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(b)
    WHERE (type(d) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(d) = a)
       OR (type(d) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(d) = a)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url,
            source: startNode(d).id, target: endNode(d).id, amount_note: d.amount_note,
            evidence_title: d.evidence_title, supersedes: d.supersedes, expands: d.expands,
            amount_basis: d.amount_basis, status: d.status, amount_low: d.amount_low, amount_high: d.amount_high,
            superseded_by: [link IN supersession WHERE link[0] = d.id | link[1]]} AS deal
    ORDER BY d.id
  }
}] AS steps
WITH [n IN path | n.id] AS nodes, [h IN steps | {
  source: h.source,
  target: h.target,
  // the deals that count, their known amounts added in deal-id order
  amount_usd: reduce(total = null, deal IN h.relationships |
                CASE WHEN deal.amount_usd IS NULL OR size(deal.superseded_by) > 0 THEN total
                     ELSE coalesce(total, 0.0) + deal.amount_usd END),
  relationships: h.relationships
}] AS hops
WITH nodes, hops, [h IN hops WHERE h.amount_usd IS NOT NULL | h.amount_usd] AS known
WITH nodes, hops,
     CASE WHEN size(known) < size(hops) THEN null
          ELSE reduce(least = known[0], a IN known | CASE WHEN a < least THEN a ELSE least END) END AS min_amount_usd
RETURN nodes, hops, min_amount_usd
ORDER BY size(hops), min_amount_usd IS NULL, min_amount_usd DESC, nodes
