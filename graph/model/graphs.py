"""The deals as networkx graphs: the money-flow view (payer -> payee, deals that count) and
the deal graph (every deal as written).

>>> from dealgraph.model.records import Entity, Relationship
>>> g = money_flow_graph([Entity("n", "Nvidia"), Entity("c", "CoreWeave")],
...                      [Relationship("s", "n", "supplies", "c", 5.0)])
>>> list(g.edges(keys=True))
[('c', 'n', 's')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from dealgraph.model.lineage import superseded_by
from dealgraph.model.records import Entity, Relationship

if TYPE_CHECKING:  # networkx is imported where used: `dealgraph --help` stays fast
    import networkx as nx


def money_flow_graph(
    entities: Iterable[Entity],
    relationships: Iterable[Relationship],
    superseded: Mapping[str, Sequence[str]] | None = None,
) -> nx.MultiDiGraph:
    """The money-flow view: one node per entity, one edge per money-moving deal that counts.

    Nodes carry the entity's fields; edges run payer -> payee, are keyed by the deal id
    and carry every field of the deal (``source``/``target`` keep the deal's own wording).
    Deals that move no money are left out. Superseded deals (see :mod:`dealgraph.model.lineage`;
    ``superseded`` maps a deal id to the deals replacing it, computed from
    ``relationships`` when not given) are no edges: they are kept, with their
    ``superseded_by``, in ``G.graph["superseded"]`` as ``{(payer, payee): [fields, ...]}``
    so that a hop can still list them. A new graph is returned each call.
    """
    import networkx as nx

    relationships = list(relationships)
    if superseded is None:
        superseded = superseded_by(relationships)
    g = nx.MultiDiGraph()
    g.graph["superseded"] = {}
    for e in entities:
        g.add_node(e.id, **e.to_dict())
    for r in relationships:
        flow = r.money_flow
        if flow is None:
            continue
        replaced = superseded.get(r.id)
        if replaced:
            fields = dict(r.to_dict(), superseded_by=list(replaced))
            g.graph["superseded"].setdefault(flow, []).append(fields)
            continue
        g.add_edge(flow[0], flow[1], key=r.id, **r.to_dict())
    return g


def deal_graph(entities: Iterable[Entity], relationships: Iterable[Relationship]) -> nx.MultiDiGraph:
    """Every deal as an edge ``source -> target`` as written (views show structural ties too)."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for e in entities:
        g.add_node(e.id, **e.to_dict())
    for r in relationships:
        g.add_edge(r.source, r.target, key=r.id, **r.to_dict())
    return g
