// name: customer-concentration
// description: Customer concentration: for $vendor (or every vendor when null), each customer's known contract value and its share of the vendor's known total. Customers are the entities that pay the vendor: C customer_of V, C leases_from V, or V supplies C.
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
MATCH (v:Entity)-[:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(c:Entity)
WHERE v <> c AND ($vendor IS NULL OR v = vendor)
WITH DISTINCT v, c
WITH v, c, COLLECT {
    MATCH (v)-[d:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(c)
    WHERE (type(d) = 'SUPPLIES' AND startNode(d) = v) OR (type(d) <> 'SUPPLIES' AND startNode(d) = c)
    RETURN d.amount_usd AS amount ORDER BY d.id
  } AS amounts
WHERE size(amounts) > 0
WITH v, c, size(amounts) AS deals,
  reduce(t = null, a IN amounts | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS contract_usd,
  // the vendor's known total: every customer deal's amount, added in deal-id order
  reduce(t = null, a IN COLLECT {
      MATCH (v)-[d:SUPPLIES|CUSTOMER_OF|LEASES_FROM]-(o:Entity)
      WHERE o <> v AND ((type(d) = 'SUPPLIES' AND startNode(d) = v) OR (type(d) <> 'SUPPLIES' AND startNode(d) = o))
      RETURN d.amount_usd AS amount ORDER BY d.id
    } | CASE WHEN a IS NULL THEN t ELSE coalesce(t, 0.0) + a END) AS vendor_total_usd
RETURN v.id AS vendor, c.id AS customer, c.name AS customer_name, deals, contract_usd,
       CASE WHEN contract_usd IS NULL OR vendor_total_usd IS NULL OR vendor_total_usd = 0 THEN null
            ELSE contract_usd / vendor_total_usd END AS share,
       vendor_total_usd
ORDER BY vendor, contract_usd IS NULL, contract_usd DESC, customer
