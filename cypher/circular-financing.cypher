// name: circular-financing
// description: Money loops: chains of deals through which money leaves an entity and comes back to it in at most $maxLength hops (optionally through $entity, every hop worth at least $minAmount USD), each loop once with the deals on every hop, ranked by the money that can go all the way round.
// params: maxLength=6, entity=null, minAmount=null:number
// Paste into Neo4j Browser first (one line):
// :params {maxLength: 6, entity: null, minAmount: null}
//
// Money direction (graph/schema.yaml): INVESTS_IN, LENDS_TO, CUSTOMER_OF, LEASES_FROM move money
// from the start node to the end node; SUPPLIES, OWNS_WARRANT_IN and GRANTED_SHARES_BY move it from
// the end node to the start node. A step "x pays y" follows either kind, so one loop can mix both directions.
//
// Why it stays usable on big graphs (not a bare MATCH p=(a)-[*]->(a)):
// * anchored: a loop is grown only from its smallest id (every other node has a larger id), or
//   only from $entity when one is given, so each loop is found once, not once per rotation;
// * parallel deals collapsed: the search extends paths of *entities* (DISTINCT per step), so ten
//   deals between two entities do not make ten copies of every loop through them;
// * pruned: a node joins a path only if it can still get back to the start within the hops left
//   (checked exactly for the last two hops), and with $minAmount a step whose deals sum to less
//   than $minAmount is never taken;
// * superseded deals (see below) make no step, so a loop exists only through deals that count;
// * bounded by $maxLength (a parameter: the search runs level by level, no fixed pattern length).
// $entity names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $entity OR toLower(toUpper(e.name)) = toLower(toUpper($entity))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($entity)))
  RETURN e ORDER BY e.id = $entity DESC, e.id
} AS named
WITH CASE WHEN named[0].id = $entity OR size(named) = 1 THEN named[0] END AS through
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
// A loop has at most one step per entity: a larger $maxLength is no bound, and the search
// runs no more levels than there are entities, however large the value.
WITH *, CASE WHEN $maxLength > COUNT { MATCH (:Entity) } THEN COUNT { MATCH (:Entity) }
             ELSE $maxLength END AS bound
MATCH (s:Entity)
WHERE ($entity IS NULL OR s = through)
  AND EXISTS {
    MATCH (s)-[r:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(:Entity)
    WHERE ((type(r) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND startNode(r) = s)
           OR (type(r) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND endNode(r) = s))
      AND NOT r.id IN superseded
  }
WITH s, supersession, superseded, reduce(search = {paths: [[s]], loops: []}, i IN range(1, bound) | {
  // paths of i entities whose last entity pays s: loops of i entities
  loops: search.loops + COLLECT {
    UNWIND search.paths AS path
    WITH path, path[-1] AS x
    WHERE EXISTS {
      MATCH (x)-[r:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(s)
      WHERE ((type(r) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(r) = x)
             OR (type(r) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(r) = x))
        AND NOT r.id IN superseded
    }
    RETURN path
  },
  // paths of i + 1 entities that can still close within $maxLength
  paths: CASE WHEN i >= bound THEN [] ELSE COLLECT {
    UNWIND search.paths AS path
    WITH path, path[-1] AS x
    MATCH (x)-[r:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(y:Entity)
    WHERE ((type(r) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(r) = x)
           OR (type(r) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(r) = x))
      AND NOT r.id IN superseded
      AND ($entity IS NOT NULL OR y.id > s.id)
      AND NOT y IN path
    WITH DISTINCT path, x, y
    WHERE (bound - i > 2
           OR EXISTS {
             MATCH (y)-[r:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(s)
             WHERE ((type(r) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(r) = y)
                    OR (type(r) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(r) = y))
               AND NOT r.id IN superseded
           }
           OR (bound - i = 2 AND EXISTS {
             MATCH (y)-[r1:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(z:Entity)
                   -[r2:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(s)
             WHERE ($entity IS NOT NULL OR z.id > s.id) AND NOT z IN path
               AND NOT r1.id IN superseded AND NOT r2.id IN superseded
               AND ((type(r1) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(r1) = y)
                    OR (type(r1) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(r1) = y))
               AND ((type(r2) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(r2) = z)
                    OR (type(r2) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(r2) = z))
           }))
      AND ($minAmount IS NULL OR reduce(total = null, amount IN COLLECT {
             MATCH (x)-[d:INVESTS_IN|LENDS_TO|CUSTOMER_OF|LEASES_FROM|SUPPLIES|OWNS_WARRANT_IN|GRANTED_SHARES_BY]-(y)
             WHERE ((type(d) IN ['INVESTS_IN', 'LENDS_TO', 'CUSTOMER_OF', 'LEASES_FROM'] AND startNode(d) = x)
                    OR (type(d) IN ['SUPPLIES', 'OWNS_WARRANT_IN', 'GRANTED_SHARES_BY'] AND endNode(d) = x))
               AND d.amount_usd IS NOT NULL AND NOT d.id IN superseded
             RETURN d.amount_usd ORDER BY d.id
           } | coalesce(total, 0.0) + amount) >= $minAmount)
    RETURN path + [y]
  } END
}) AS search
UNWIND search.loops AS found
// start every loop at its smallest id (only needed when it was grown from $entity)
WITH supersession, found, reduce(least = 0, j IN range(0, size(found) - 1) |
       CASE WHEN found[j].id < found[least].id THEN j ELSE least END) AS first
WITH supersession, found[first..] + found[..first] AS loop
WITH loop, [j IN range(0, size(loop) - 1) | {
  source: loop[j].id,
  target: loop[(j + 1) % size(loop)].id,
  relationships: COLLECT {
    WITH loop[j] AS a, loop[(j + 1) % size(loop)] AS b
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
WITH [n IN loop | n.id] AS nodes, [h IN steps | {
  source: h.source,
  target: h.target,
  // the deals that count, their known amounts added in deal-id order
  amount_usd: reduce(total = null, deal IN h.relationships |
                CASE WHEN deal.amount_usd IS NULL OR size(deal.superseded_by) > 0 THEN total
                     ELSE coalesce(total, 0.0) + deal.amount_usd END),
  relationships: h.relationships
}] AS hops
WITH nodes, hops, [h IN hops WHERE h.amount_usd IS NOT NULL | h.amount_usd] AS known
WITH nodes, hops, known,
     CASE WHEN size(known) < size(hops) THEN null
          ELSE reduce(least = known[0], a IN known | CASE WHEN a < least THEN a ELSE least END) END AS min_amount_usd,
     reduce(least = known[0], a IN known | CASE WHEN a < least THEN a ELSE least END) AS least_known
WHERE $minAmount IS NULL OR min_amount_usd >= $minAmount
RETURN nodes, hops, min_amount_usd
ORDER BY min_amount_usd IS NULL, min_amount_usd DESC, least_known IS NULL, least_known DESC, size(hops), nodes
