// name: customer-concentration
// description: Customer concentration: for $vendor (or every vendor when null), each customer's known contract value and its share of the vendor's known total. Customers are the entities that pay the vendor: C customer_of V, C leases_from V, or V supplies C. Superseded deals are listed but not counted. A customer that is a group (member_of members, or kind investor_group) is marked: customer_group, customer_members.
// params: vendor=null
// Paste into Neo4j Browser first (one line):
// :params {vendor: null}
// $vendor names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $vendor OR toLower(toUpper(e.name)) = toLower(toUpper($vendor))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($vendor)))
  RETURN e ORDER BY e.id = $vendor DESC, e.id
} AS named
WITH CASE WHEN named[0].id = $vendor OR size(named) = 1 THEN named[0] END AS vendor
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
MATCH (v:Entity)-[r:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(c:Entity)
WHERE v <> c AND ($vendor IS NULL OR v = vendor)
  AND ((type(r) = 'SUPPLIES' AND startNode(r) = v) OR (type(r) <> 'SUPPLIES' AND startNode(r) = c))
  AND NOT r.id IN superseded
WITH supersession, superseded, collect(DISTINCT [v, c]) AS pairs
UNWIND pairs AS pair
WITH supersession, superseded, pair[0] AS v, pair[1] AS c
WITH v, c, superseded, COLLECT {
    MATCH (v)-[d:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(c)
    WHERE (type(d) = 'SUPPLIES' AND startNode(d) = v) OR (type(d) <> 'SUPPLIES' AND startNode(d) = c)
    RETURN {id: d.id, kind: d.kind, amount_usd: d.amount_usd, date: d.date, evidence_url: d.evidence_url,
            source: startNode(d).id, target: endNode(d).id, amount_note: d.amount_note,
            evidence_title: d.evidence_title, supersedes: d.supersedes, expands: d.expands,
            amount_basis: d.amount_basis, status: d.status, amount_low: d.amount_low, amount_high: d.amount_high,
            superseded_by: [link IN supersession WHERE link[0] = d.id | link[1]]} AS deal
    ORDER BY d.id
  } AS relationships
WITH v, c, superseded, relationships, size([d IN relationships WHERE size(d.superseded_by) = 0]) AS deals,
  reduce(t = null, d IN relationships | CASE WHEN d.amount_usd IS NULL OR size(d.superseded_by) > 0 THEN t
                                             ELSE coalesce(t, 0.0) + d.amount_usd END) AS contract_usd,
  // the vendor's known total: every customer deal that counts, added in deal-id order
  reduce(t = null, a IN COLLECT {
      MATCH (v)-[d:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(o:Entity)
      WHERE o <> v AND ((type(d) = 'SUPPLIES' AND startNode(d) = v) OR (type(d) <> 'SUPPLIES' AND startNode(d) = o))
        AND NOT d.id IN superseded
      RETURN d.amount_usd AS amount ORDER BY d.id
    } | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS vendor_total_usd
// A customer that is a group (an entity with member_of members that count, or of kind
// investor_group) is not one customer: customer_group says so, customer_members counts its
// distinct members (as the concentration query does).
WITH v, c, superseded, relationships, deals, contract_usd, vendor_total_usd, COLLECT {
    MATCH (m:Entity)-[mo:MEMBER_OF]->(c)
    WHERE m <> c AND NOT mo.id IN superseded
    RETURN DISTINCT m.id
  } AS members
RETURN v.id AS vendor, c.id AS customer, c.name AS customer_name, deals, contract_usd,
       CASE WHEN contract_usd IS NULL OR vendor_total_usd IS NULL OR vendor_total_usd = 0 THEN null
            ELSE contract_usd / vendor_total_usd END AS share,
       vendor_total_usd, c.kind = 'investor_group' OR size(members) > 0 AS customer_group,
       size(members) AS customer_members, relationships
ORDER BY vendor, contract_usd IS NULL, contract_usd DESC, customer
