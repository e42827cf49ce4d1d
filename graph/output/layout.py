"""Where the HTML views put things: positions for large views and the arcs of parallel deals.

The views up to ``ARRANGE_LIMIT`` entities (:mod:`dealgraph.output.html`) are laid out by
the page itself (``templates/view.html``, ``arrange``: stress majorization on the deal
graph's distances, then labels kept apart and off the deals, single deals bent round the
labels still in their way), since only the browser knows
how big each label is drawn. Above ``LAYOUT_THRESHOLD`` entities the page has no time for
that: :func:`radial_layout` gives every entity its place here, in linear time. In between
vis-network's physics lays the graph out.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

from dealgraph.model.records import Relationship

__all__ = ["arc_smoothing", "radial_layout"]


def radial_layout(node_ids: list[str], deals: list[Relationship]) -> dict[str, tuple[int, int]]:
    """Positions for a large view, in linear time and pure Python.

    Each connected component is drawn as rings around its best-connected entity (ring k
    holds the entities k deals away, ordered by the angle of the entity that reached them,
    so branches stay together); components are packed in rows, largest first.

    >>> deals = [Relationship("r1", "a", "invests_in", "b"), Relationship("r2", "a", "invests_in", "c")]
    >>> pos = radial_layout(["a", "b", "c", "d"], deals)
    >>> pos["a"] == (pos["b"][0] - 70, pos["b"][1])   # b on a's first ring, 2.5 spacings out
    True
    >>> pos["c"], pos["d"]   # c opposite b; d, alone, packed in the next row
    ((28, 98), (28, 224))
    """
    spacing = 28.0
    adjacent: dict[str, list[str]] = {v: [] for v in node_ids}
    for r in deals:
        if r.source in adjacent and r.target in adjacent and r.source != r.target:
            adjacent[r.source].append(r.target)
            adjacent[r.target].append(r.source)

    seen: set[str] = set()
    components: list[list[list[str]]] = []  # component -> rings -> ids
    parent_of: dict[str, str] = {}
    for start in sorted(node_ids, key=lambda v: (-len(adjacent[v]), v)):
        if start in seen:
            continue
        seen.add(start)
        rings = [[start]]
        queue = deque([start])
        depth = {start: 0}
        while queue:
            v = queue.popleft()
            for w in adjacent[v]:
                if w not in seen:
                    seen.add(w)
                    depth[w] = depth[v] + 1
                    parent_of[w] = v
                    if depth[w] == len(rings):
                        rings.append([])
                    rings[depth[w]].append(w)
                    queue.append(w)
        components.append(rings)

    local: dict[str, tuple[float, float]] = {}
    extents: list[float] = []
    for rings in components:
        angle: dict[str, float] = {rings[0][0]: 0.0}
        local[rings[0][0]] = (0.0, 0.0)
        radius = 0.0
        for ring in rings[1:]:
            ring.sort(key=lambda v: angle[parent_of[v]])
            radius = max(radius + spacing * 2.5, len(ring) * spacing / (2 * math.pi))
            step = 2 * math.pi / len(ring)
            for i, v in enumerate(ring):
                a = i * step
                angle[v] = a
                local[v] = (radius * math.cos(a), radius * math.sin(a))
        extents.append(radius + spacing)

    # Shelf packing: rows of components, about as wide as the total area is square.
    total_area = sum((2 * r) ** 2 for r in extents)
    row_width = max(max(extents, default=0) * 2, math.sqrt(total_area))
    positions: dict[str, tuple[int, int]] = {}
    x = y = row_height = 0.0
    for rings, r in zip(components, extents):
        if x > 0 and x + 2 * r > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        cx, cy = x + r, y + r
        for ring in rings:
            for v in ring:
                lx, ly = local[v]
                positions[v] = (round(cx + lx), round(cy + ly))
        x += 2 * r
        row_height = max(row_height, 2 * r)
    return positions


def arc_smoothing(deals: list[Relationship], large: bool) -> list:
    """Per-deal curve settings: parallel deals between one pair fan out as arcs.

    >>> deals = [Relationship("r1", "a", "invests_in", "b"), Relationship("r2", "b", "lends_to", "a"),
    ...          Relationship("r3", "a", "invests_in", "c")]
    >>> arc_smoothing(deals, large=False)
    [{'enabled': True, 'type': 'curvedCW', 'roundness': 0.12}, {'enabled': True, 'type': 'curvedCW', 'roundness': 0.12}, False]
    >>> arc_smoothing(deals, large=True)
    [False, False, False]
    """
    if large:
        return [False] * len(deals)
    pairs: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(deals):
        pairs[tuple(sorted((r.source, r.target)))].append(i)
    out: list = [False] * len(deals)
    for (a, _b), members in pairs.items():
        if len(members) == 1:
            continue
        for rank, i in enumerate(members):
            # Bend all arcs of a pair to the same side of the a->b line, each further out;
            # the first one fans the other way so the bundle is centred.
            side = "curvedCW" if (deals[i].source == a) == (rank % 2 == 0) else "curvedCCW"
            out[i] = {"enabled": True, "type": side, "roundness": round(0.12 * (rank // 2 + 1), 3)}
    return out
