"""Money clusters: the strongly connected parts of the money-flow graph.

Inside a cluster every entity's money can reach every other entity and come back, so a
cluster is where loops live; its total flow is the known money moving between its members,
and ``not_cash_usd`` the part of it that is not cash paid (an ``amount_basis`` other than
``cash``: commitments, facility sizes, multi-year contract totals, stock, estimates).

>>> from dealgraph.model.records import Relationship
>>> deals = [Relationship("r1", "a", "invests_in", "b", 5.0), Relationship("r2", "b", "customer_of", "a", 3.0),
...          Relationship("r3", "b", "lends_to", "c", 9.0)]
>>> [c.to_dict() for c in money_clusters(deals)]
[{'entities': ['a', 'b'], 'deals': 2, 'total_flow_usd': 8.0, 'not_cash_usd': 0.0, 'unknown_amount_deals': 0}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from dealgraph.model.lineage import counting_deals
from dealgraph.model.records import Relationship, money_flow
from dealgraph.model.values import BASIS_WORDS  # the bases other than cash

__all__ = ["Cluster", "money_clusters"]


@dataclass(frozen=True)
class Cluster:
    entities: list[str]  # sorted ids
    deals: int  # money-moving deals between two members
    total_flow_usd: float | None  # their known amounts summed; None when none is known
    unknown_amount_deals: int
    not_cash_usd: float | None = None  # the part of total_flow_usd on a basis other than cash

    def to_dict(self) -> dict:
        return {
            "entities": list(self.entities), "deals": self.deals,
            "total_flow_usd": self.total_flow_usd, "not_cash_usd": self.not_cash_usd,
            "unknown_amount_deals": self.unknown_amount_deals,
        }


def money_clusters(relationships: Iterable[Relationship], include_talks: bool = False) -> list[Cluster]:
    """Every strongly connected set of two or more entities of the money-flow graph, the
    largest known total flow first (then more entities, then the smallest id)."""
    import networkx as nx

    relationships = counting_deals(relationships, include_talks)
    flows = []
    G = nx.DiGraph()
    for r in relationships:
        flow = money_flow(r.kind, r.source, r.target)
        if flow is None or flow[0] == flow[1]:
            continue
        G.add_edge(*flow)
        flows.append((flow, r.amount_usd, r.amount_basis))
    member = {}
    for i, comp in enumerate(c for c in nx.strongly_connected_components(G) if len(c) > 1):
        for v in comp:
            member[v] = i
    groups: dict[int, list] = {}
    for (a, b), amount, basis in flows:
        i = member.get(a)
        if i is not None and member.get(b) == i:
            groups.setdefault(i, []).append((amount, basis))
    comps: dict[int, list[str]] = {}
    for v, i in member.items():
        comps.setdefault(i, []).append(v)
    clusters = []
    for i, amounts in groups.items():
        known = [(float(a), basis) for a, basis in amounts if a is not None]
        clusters.append(Cluster(
            entities=sorted(comps[i]), deals=len(amounts),
            total_flow_usd=sum(a for a, _ in known) if known else None,
            unknown_amount_deals=len(amounts) - len(known),
            not_cash_usd=sum((a for a, basis in known if basis in BASIS_WORDS), 0.0) if known else None,
        ))
    clusters.sort(key=lambda c: (c.total_flow_usd is None, -(c.total_flow_usd or 0.0), -len(c.entities), c.entities[0]))
    return clusters

