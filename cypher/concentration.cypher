// name: concentration
// description: Customer concentration of every entity with customers (or only $entity): the top customer's share in percent and the HHI (sum of squared percent shares, 0-10000). Basis: the entity's stated revenue shares (its customer_share figures of the latest date) where it has any, else its known contract values (C customer_of V, C leases_from V, V supplies C; superseded deals and deals in talks or terminated do not count). A customer that is a group (an entity with member_of members that count, or of kind investor_group) is not one customer: the row says top_customer_group and top_customer_members, and when any share on the row is a group's the HHI is null. Stated revenue shares rank first, then by top share, then HHI (null last). On the contract basis, entities with fewer than $minCustomers known customers are left out (one known contract says nothing about concentration).
// params: entity=null, minCustomers=2
// Paste into Neo4j Browser first (one line):
// :params {entity: null, minCustomers: 2}
// $entity names an entity by id, or else by its name or an alias in any case, as in the CLI
// (a name that fits no entity, or several, matches nothing)
WITH COLLECT {
  MATCH (e:Entity)
  WHERE e.id = $entity OR toLower(toUpper(e.name)) = toLower(toUpper($entity))
     OR any(a IN e.aliases WHERE toLower(toUpper(a)) = toLower(toUpper($entity)))
  RETURN e ORDER BY e.id = $entity DESC, e.id
} AS named
WITH CASE WHEN named[0].id = $entity OR size(named) = 1 THEN named[0] END AS entity
MATCH (v:Entity)
WHERE $entity IS NULL OR v = entity
WITH v, COLLECT {
    MATCH (v)-[:HAS_FIGURE]->(f:Figure {kind: 'customer_share'})
    RETURN f.when AS latest ORDER BY latest DESC LIMIT 1
  } AS latest
// Stated basis: at the latest date, one share per customer (the larger, then the smaller
// figure id, if two figures of that date differ).
WITH v, COLLECT {
    MATCH (v)-[:HAS_FIGURE]->(f:Figure {kind: 'customer_share'})-[:COUNTERPARTY]->(c:Entity)
    WHERE f.when = latest[0]
    WITH c, f ORDER BY f.percent DESC, f.id
    WITH c, collect(f)[0] AS f
    RETURN {customer: c.id, name: c.name, pct: f.percent, period: coalesce(f.period, f.as_of),
            evidence_title: f.evidence_title, evidence_url: f.evidence_url} AS share
    ORDER BY share.customer
  } AS stated,
  // Contract basis: each paying customer's known contract value, added in deal-id order.
  COLLECT {
    MATCH (v)-[:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(c:Entity)
    WHERE c <> v
    WITH DISTINCT c
    WITH c, reduce(t = null, a IN COLLECT {
        MATCH (v)-[d:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(c)
        WHERE ((type(d) = 'SUPPLIES' AND startNode(d) = v) OR (type(d) <> 'SUPPLIES' AND startNode(d) = c))
          // a superseded deal, or one in talks or terminated, does not count (graph/lineage.py)
          AND NOT EXISTS { MATCH (:Entity)-[s]->(:Entity) WHERE s.supersedes = d.id }
          AND NOT coalesce(d.status, '') IN ['talks', 'terminated']
        RETURN d.amount_usd AS amount ORDER BY d.id
      } | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS known
    WHERE known IS NOT NULL
    RETURN {customer: c.id, name: c.name, amount: known} AS contract ORDER BY contract.customer
  } AS contracts
WITH v, stated, contracts, reduce(t = 0.0, r IN contracts | t + r.amount) AS total
WHERE size(stated) > 0 OR (total > 0 AND size(contracts) >= $minCustomers)
WITH v,
  CASE WHEN size(stated) > 0 THEN 'stated revenue share' ELSE 'known contract values' END AS basis,
  CASE WHEN size(stated) > 0 THEN stated
       ELSE [r IN contracts | {customer: r.customer, name: r.name, pct: 100.0 * r.amount / total,
                               period: null, evidence_title: null, evidence_url: null}] END AS shares
// A group customer: an entity with member_of members (memberships that count: not
// superseded, in talks or terminated), or of kind investor_group; its members are counted
// (distinct) and its share makes the row's HHI null.
WITH v, basis, [r IN shares | r {.*, members: COLLECT {
      MATCH (m:Entity)-[mo:MEMBER_OF]->(g:Entity {id: r.customer})
      WHERE m <> g AND NOT EXISTS { MATCH (:Entity)-[s]->(:Entity) WHERE s.supersedes = mo.id }
        AND NOT coalesce(mo.status, '') IN ['talks', 'terminated']
      RETURN DISTINCT m.id
    }, group: EXISTS { MATCH (g:Entity {id: r.customer}) WHERE g.kind = 'investor_group' }}] AS shares
WITH v, basis, [r IN shares | r {.*, group: r.group OR size(r.members) > 0, members: size(r.members)}] AS shares
WITH v, basis, shares,
  reduce(top = null, r IN shares | CASE WHEN top IS NULL OR r.pct > top.pct THEN r ELSE top END) AS top,
  CASE WHEN any(r IN shares WHERE r.group) THEN null
       ELSE reduce(h = 0.0, r IN shares | h + r.pct * r.pct) END AS hhi
RETURN v.id AS entity, v.name AS name, basis, top.period AS period, top.customer AS top_customer,
       top.name AS top_customer_name, top.pct AS top_share_pct, hhi, size(shares) AS customers,
       top.evidence_title AS evidence_title, top.evidence_url AS evidence_url,
       top.group AS top_customer_group, top.members AS top_customer_members
ORDER BY CASE basis WHEN 'stated revenue share' THEN 0 ELSE 1 END, top_share_pct DESC, hhi IS NULL, hhi DESC, entity
