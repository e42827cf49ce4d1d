"""Self-contained HTML views of the deal graph, drawn by pyvis (vis-network).

Four views, all written by :func:`render_view`:

* ``overview`` -- every entity and deal: nodes coloured by entity kind and sized by the
  money they move (log scale), one edge per deal coloured by relationship kind, width by
  amount (log scale), the arrowhead at the payee (money-flow direction; structural ties
  are dashed with no arrow), deals that lie on a money loop glow.
* ``cycles`` -- the entities and deals of the money loops, with a side panel listing the
  loops ranked as ``dealgraph cycles`` ranks them; clicking a loop highlights exactly its
  entities and hops and dims the rest (click it again, or "Show all", to clear); a loop's dossier
  has a "Loop graphic" button that downloads the loop alone, drawn large
  (:mod:`dealgraph.output.loop_graphic`: the SVG ``dealgraph loop N`` writes).
* ``focus`` -- one entity (id, name or alias) and everything within ``depth`` hops of it,
  in either direction, structural ties included.
* ``stress`` -- the entities that fail (``failed``) and every entity their failure
  reaches through exposures, coloured by the share of its buffer lost
  (:func:`dealgraph.analyses.stress.stress_test`, DebtRank), with a side panel of who loses what.

Every view has tooltips, a details panel (click an entity or a deal; evidence links open
in a new tab), a search box, filters by relationship kind and minimum amount, a legend and
a footer with the data's ``as_of`` date and the number of entities and deals shown.

The page is one file that fetches nothing: vis-network's JS and CSS are inlined by pyvis
(``cdn_resources="in_line"``) and our own template (``templates/view.html``) replaces
pyvis's, which links Bootstrap from a CDN. Data never becomes HTML or JS source: it is
embedded as JSON in a ``<script type="application/json">`` block with ``<``, ``>``, ``&``
and U+2028/U+2029 escaped, read with ``JSON.parse`` and put on the page with
``textContent``; tooltips are plain strings (vis-network shows them as text), and
evidence links are made only for ``http(s)`` URLs.

Size limits:

* above :data:`LAYOUT_THRESHOLD` entities (1,500) the layout is computed here
  (:func:`dealgraph.output.layout.radial_layout`: radial rings around each component's
  best-connected entity, components packed in rows, pure Python, linear time) and the page
  draws at once with physics off; up to :data:`ARRANGE_LIMIT` (300) the page lays the view
  out for reading itself (``templates/view.html`` ``arrange``); in between vis-network's
  physics lays the graph out and stops once it is stable;
* above :data:`MAX_NODES` entities (20,000) or :data:`MAX_EDGES` deals (100,000) the view
  is refused with :class:`~dealgraph.model.errors.RenderError`, saying how to narrow it
  (``--view focus --focus ENTITY``, ``--min-amount USD``, ``--kind KIND``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from dealgraph.analyses.cycles import find_cycles, find_money_loops, size_loops
from dealgraph.model.errors import DealgraphError, ModelError, QueryError, RenderError
from dealgraph.model.graphs import money_flow_graph
from dealgraph.model.lineage import not_counted_tally, split_marks
from dealgraph.model.records import Entity, Relationship, schema
from dealgraph.output.layout import arc_smoothing, radial_layout
from dealgraph.output.loop_graphic import loop_svg
from dealgraph.output.text import hop_usd
from dealgraph.stores.base import Store

if TYPE_CHECKING:  # pyvis imports networkx, IPython and more: loaded only to draw a view
    from pyvis.network import Network

__all__ = [
    "LAYOUT_THRESHOLD",
    "MAX_EDGES",
    "MAX_NODES",
    "MAX_PANEL_CYCLES",
    "RenderResult",
    "VIEWS",
    "embed_json",
    "render_view",
]

VIEWS = ("overview", "cycles", "focus", "stress")

#: Above this many entities the layout is precomputed and physics is off.
LAYOUT_THRESHOLD = 1_500
#: Hard limits: larger views are refused (a browser cannot show them usefully).
MAX_NODES = 20_000
MAX_EDGES = 100_000
#: The cycles view lists (and draws) at most this many loops, the best ranked.
MAX_PANEL_CYCLES = 300
#: Up to this many entities the page lays the view out for reading (see view.html
#: ``arrange``): position by connection, labels legible when fitted, no deal over a label.
ARRANGE_LIMIT = 300

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_FALLBACK_COLOR = "#9e9e9e"
#: The glow of a deal on a money loop (the cycles view gives it to the highlighted loop only).
LOOP_GLOW = {"enabled": True, "color": "rgba(213,94,0,0.6)", "size": 12, "x": 0, "y": 0}
_VIEW_TITLES = {"overview": "Overview", "cycles": "Money loops", "focus": "Focus", "stress": "Stress test"}


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_view` wrote: the file, and how many entities and deals it shows."""

    path: Path
    nodes: int
    edges: int


def render_view(
    store: Store,
    view: str,
    out: str | os.PathLike,
    focus: str | None = None,
    depth: int = 1,
    min_amount: float | None = None,
    kinds: Sequence[str] | None = None,
    max_length: int = 6,
    failed: Sequence[str] | None = None,
    default_buffer: float | None = None,
    shock: float = 1.0,
    since: str | None = None,
    until: str | None = None,
) -> RenderResult:
    """Write the HTML ``view`` of the deals in ``store`` to ``out``.

    ``kinds`` keeps only deals of those relationship kinds. ``min_amount`` keeps only
    deals of at least that many USD in ``overview`` and ``focus``; in ``cycles`` it keeps
    the loops whose every hop moves at least that much (as ``dealgraph cycles
    --min-amount`` does). ``focus`` (id, name or alias) and ``depth`` are used by the
    ``focus`` view; ``max_length`` bounds the loops found (in entities).

    The ``stress`` view fails the entities ``failed`` (ids, names or aliases) and shows
    every entity that loses something, coloured by the fraction of its buffer lost (grey: no
    equity figure, not scored), with
    the deals among them; the losses are :func:`dealgraph.analyses.stress.stress_test`'s (all the
    store's deals count, as in ``dealgraph stress``; ``kinds`` and ``min_amount`` only
    narrow what is drawn), with its ``default_buffer`` and ``shock``.

    ``since`` / ``until`` (``YYYY[-MM[-DD]]``) keep only the deals that may fall in that
    period, as every command's ``--since`` / ``--until`` do; the view then draws only the
    entities with a deal in the period, and its date slider spans the period.

    Raises :class:`~dealgraph.model.errors.RenderError` for an unknown view, kind or entity, or a
    view above :data:`MAX_NODES` / :data:`MAX_EDGES`.
    """
    if view not in VIEWS:
        raise RenderError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    kinds = _check_kinds(kinds)
    if min_amount is not None and (isinstance(min_amount, bool) or not min_amount >= 0):
        raise RenderError(f"min_amount must be a number of at least 0, got {min_amount!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise RenderError(f"depth must be a whole number of at least 0, got {depth!r}")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise RenderError(f"max_length must be a whole number of at least 1, got {max_length!r}")

    period = None
    if since is not None or until is not None:
        from dealgraph.stores.period import deals_in_period

        try:
            store = deals_in_period(store, since, until)
        except DealgraphError as exc:
            raise RenderError(str(exc)) from None
        period = {"since": since, "until": until}
    if view == "overview":
        _refuse_from_counts(store, kinds, min_amount)
    # From every deal, not only those shown: a deal stays superseded when the view leaves
    # out the deal that replaces it.
    superseded = store.superseded()
    focus_id = None
    cycles: list = []
    cycles_total = 0
    stress = None

    if view == "cycles":
        # Only the loops' entities and deals are read, whatever the size of the store.
        entity_ids, deals, cycles, cycles_total = _cycles_view(store, kinds, max_length, min_amount)
        entities = store.entities_of(entity_ids)
    else:
        entities = store.entities()
        deals = [r for r in store.relationships() if kinds is None or r.kind in kinds]
        deals = _at_least(deals, min_amount)
        if view == "focus":
            if not focus:
                raise RenderError("the focus view needs an entity: --focus ENTITY")
            try:
                focus_id = store.resolve(focus)
            except DealgraphError as exc:
                raise RenderError(f"cannot focus: {exc}") from None
            entity_ids = _neighbourhood(focus_id, deals, depth)
            deals = [r for r in deals if r.source in entity_ids and r.target in entity_ids]
        elif view == "stress":
            stress = _stress(store, failed, default_buffer, shock)
            entity_ids = {row["entity"] for row in stress["entities"]}
            deals = [r for r in deals if r.source in entity_ids and r.target in entity_ids]
        elif kinds is None and min_amount is None and period is None:
            entity_ids = {e.id for e in entities}
        else:
            entity_ids = {end for r in deals for end in (r.source, r.target)}

    _check_size(len(entity_ids), len(deals))
    shown = [e for e in entities if e.id in entity_ids]
    if view != "cycles":
        loops = find_cycles(money_flow_graph(shown, deals, superseded), max_length=max_length)
    else:
        loops = [c for c, _ in cycles]
    on_loop = {rel["id"] for c in loops for h in c.hops for rel in h.relationships if not rel["superseded_by"]}

    # In the cycles view every deal is on a loop: a glow there would say nothing, so only
    # the highlighted loop glows (the page adds it).
    net = _network(shown, deals, set() if view == "cycles" else on_loop, focus_id, superseded, view)
    meta = {
        "view": view,
        "title": _VIEW_TITLES[view],
        "as_of": store.as_of(),
        "focus": focus_id,
        "depth": depth if view == "focus" else None,
        "min_amount": min_amount,
        "kinds": sorted(kinds) if kinds is not None else None,
        "max_length": max_length,
        "period": period,
        "loop_glow": LOOP_GLOW,
        "large": len(shown) > LAYOUT_THRESHOLD,
        "loops_found": len(loops) if view != "cycles" else cycles_total,
        "legend": _legend(shown, deals),
    }
    names = {e.id: e.name for e in shown}
    payload = {
        "meta": meta,
        # Each loop's one-loop graphic, the very SVG `dealgraph loop N` writes (the dossier's button).
        "cycles": [dict(_cycle_payload(c, size), graphic=loop_svg(size, names, meta["as_of"], period))
                   for c, size in cycles],
        "stress": stress,
    }
    html = _generate_html(net, payload)
    path = Path(out)
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from None
    return RenderResult(path=path, nodes=len(net.nodes), edges=len(net.edges))


# --------------------------------------------------------------------------- selection


def _check_kinds(kinds: Sequence[str] | None) -> frozenset[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    model = schema()
    for kind in kinds:
        try:
            model.relationship_kind(kind)
        except ModelError as exc:
            raise RenderError(str(exc)) from None
    return frozenset(kinds)


def _at_least(deals: list[Relationship], min_amount: float | None) -> list[Relationship]:
    if min_amount is None:
        return deals
    return [r for r in deals if r.amount_usd is not None and r.amount_usd >= min_amount]


def _neighbourhood(start: str, deals: Iterable[Relationship], depth: int) -> set[str]:
    """Entities within ``depth`` deals of ``start``, whichever way the deals point."""
    adjacent = defaultdict(set)
    for r in deals:
        adjacent[r.source].add(r.target)
        adjacent[r.target].add(r.source)
    seen = {start}
    frontier = [start]
    for _ in range(depth):
        frontier = [n for v in frontier for n in adjacent[v] if n not in seen and not seen.add(n)]
        if not frontier:
            break
    return seen


def _cycles_view(store: Store, kinds, max_length, min_amount):
    fetched: list[Relationship] = []

    def deals_on(pairs):
        found = store.hop_deals(pairs, kinds)
        fetched.extend(Relationship(**{k: v for k, v in d.items() if k != "superseded_by"})
                       for deals in found.values() for d in deals)
        return found

    try:
        found = find_money_loops(store.money_flows(kinds), deals_on, max_length, min_amount=min_amount)
    except QueryError as exc:  # a store's own errors (StoreError) already say what is wrong
        raise RenderError(f"cannot find loops: {exc}") from None
    # Ranked by size, estimates and low ends included, as `dealgraph cycles` ranks them.
    sizes = size_loops({**c.to_dict(), "index": i} for i, c in enumerate(found))
    ranked = [(found[s["index"]], s) for s in sizes]
    listed = ranked[:MAX_PANEL_CYCLES]
    entity_ids = {n for c, _ in listed for n in c.nodes}
    deal_ids = {rel["id"] for c, _ in listed for h in c.hops for rel in h.relationships}
    deals = sorted((r for r in fetched if r.id in deal_ids), key=lambda r: r.id)
    return entity_ids, deals, listed, len(ranked)


def _stress(store: Store, failed: Sequence[str] | None, default_buffer: float | None, shock: float) -> dict:
    from dealgraph.analyses.stress import stress_test

    if not failed:
        raise RenderError("the stress view needs a failing entity: --fail ENTITY")
    try:
        result = stress_test(store, list(failed), default_buffer=default_buffer, shock=shock).to_dict()
    except DealgraphError as exc:
        raise RenderError(f"cannot run the stress test: {exc}") from None
    # The page says which run it shows, so a view and a `dealgraph stress` run can be compared.
    return dict(result, default_buffer=default_buffer, shock=shock)


def _refuse_from_counts(store: Store, kinds, min_amount) -> None:
    """Refuse a view too big to draw from the store's counts, before reading any deal."""
    deals = store.count_deals(kinds, min_amount)
    entities = store.count_entities() if kinds is None and min_amount is None else None
    if deals > MAX_EDGES or (entities or 0) > MAX_NODES:
        # Without filters every entity is shown; with them, at most the deals' ends are.
        _check_size(entities if entities is not None else min(2 * deals, store.count_entities()), deals,
                    exact=entities is not None)


def _check_size(nodes: int, edges: int, exact: bool = True) -> None:
    if nodes > MAX_NODES or edges > MAX_EDGES:
        entities = f"{nodes} entities" if exact else f"up to {nodes} entities"
        raise RenderError(
            f"the view has {entities} and {edges} deals, more than a browser can show "
            f"(limits: {MAX_NODES} entities, {MAX_EDGES} deals); narrow it with "
            "--view focus --focus ENTITY [--depth N], --min-amount USD or --kind KIND"
        )


# --------------------------------------------------------------------------- drawing


def not_counted_mark(replaced_by: Iterable[str] | None) -> str:
    """What an edge label adds for a deal that does not count (``superseded_by``, see
    :mod:`dealgraph.model.lineage`): ``" (superseded)"`` when deals replace it, its status
    (``" (talks)"``, ``" (terminated)"``) when it is left out for that, both when both.

    >>> not_counted_mark(["stake"]), not_counted_mark(["status:talks"]), not_counted_mark(["b", "status:terminated"])
    (' (superseded)', ' (talks)', ' (superseded, terminated)')
    >>> not_counted_mark(None)
    ''
    """
    ids, statuses = split_marks(replaced_by)
    words = (["superseded"] if ids else []) + statuses
    return f" ({', '.join(words)})" if words else ""


def _money_moved(deals: Iterable[Relationship], superseded) -> dict[str, float]:
    """Money each entity moves, from the deals that count (a superseded deal adds nothing)."""
    moved: dict[str, float] = defaultdict(float)
    for r in deals:
        if r.amount_usd is not None and r.money_flow is not None and r.id not in superseded:
            moved[r.source] += r.amount_usd
            moved[r.target] += r.amount_usd
    return moved


def node_size(money_usd: float) -> float:
    """Dot radius for an entity that moves ``money_usd``: 8 up to $1M, +4 per factor of 10."""
    if money_usd <= 1e6:
        return 8.0
    return round(8.0 + 4.0 * math.log10(money_usd / 1e6), 2)


#: Longest entity label drawn, in characters: the full name is in the tooltip and details.
MAX_LABEL_CHARS = 26


def drawn_label(name: str) -> str:
    """The label drawn for an entity: its name, cut at a word before :data:`MAX_LABEL_CHARS`.

    >>> drawn_label("Related Digital / Oracle Michigan (Saline Twp) data center")
    'Related Digital / Oracle…'
    >>> drawn_label("Nvidia")
    'Nvidia'
    """
    if len(name) <= MAX_LABEL_CHARS:
        return name
    cut = name[: MAX_LABEL_CHARS - 1]
    if " " in cut[MAX_LABEL_CHARS // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ;,/(-") + "…"


def edge_width(amount_usd: float | None) -> float:
    """Line width for a deal: 1 when unknown or up to $10M, +1.2 per factor of 10."""
    if amount_usd is None or amount_usd <= 1e7:
        return 1.0
    return round(1.0 + 1.2 * math.log10(amount_usd / 1e7), 2)


#: A character that cannot be in a link as written: a control character, a space or DEL
#: (such a value, like one with white space around it, is not taken as a URL at all).
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def evidence_href(url: str | None) -> str | None:
    """``url`` if it is a plain absolute http(s) URL that can be a link, else ``None``.

    >>> evidence_href("https://example.com/a?b=1")
    'https://example.com/a?b=1'
    >>> evidence_href("javascript:alert(1)") is None
    True
    """
    if not url or url != url.strip() or _CONTROL_OR_SPACE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _darker(color: str, factor: float = 0.7) -> str:
    if len(color) != 7 or not color.startswith("#"):
        return color
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#%02x%02x%02x" % (int(r * factor), int(g * factor), int(b * factor))


class _IdList(list):
    """pyvis keeps node ids in a list and tests membership on every add_node/add_edge,
    which is quadratic; a set beside the list makes building a 10k-node view linear."""

    def __init__(self):
        super().__init__()
        self._members: set = set()

    def append(self, item):
        self._members.add(item)
        super().append(item)

    def __contains__(self, item):
        return item in self._members


def _network(
    entities: list[Entity], deals: list[Relationship], on_loop: set[str], focus_id: str | None,
    superseded=None, view: str = "overview",
) -> Network:
    from pyvis.network import Network

    model = schema()
    large = len(entities) > LAYOUT_THRESHOLD
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.node_ids = _IdList()
    positions = radial_layout([e.id for e in entities], deals) if large else {}
    superseded = superseded or {}
    moved = _money_moved(deals, superseded)
    degree = defaultdict(int)
    for r in deals:
        degree[r.source] += 1
        degree[r.target] += 1

    for e in entities:
        kind = model.entity_kinds.get(e.kind)
        color = kind.color if kind else _FALLBACK_COLOR
        extra = {}
        if e.id in positions:
            extra["x"], extra["y"] = positions[e.id]
            extra["physics"] = False
        size = node_size(moved.get(e.id, 0.0))
        # Bigger players get bigger labels, so the names that matter read at a glance.
        extra["font"] = {"size": round(14 + (size - 8) / 3)}
        if e.id == focus_id:
            # The centre of a focus view: the biggest dot, a thick dark ring, a halo and
            # the biggest label, so it cannot be mistaken for a neighbour.
            extra["borderWidth"] = 7
            extra["font"] = {"size": 28}
            extra["shadow"] = {"enabled": True, "color": "rgba(0,0,0,0.45)", "size": 22, "x": 0, "y": 0}
            extra["focus"] = True
        node_data = {
            # Data fields, read by the page's own script (vis-network ignores them);
            # empty ones are left out to keep big pages small.
            "name": e.name,
            "kind": e.kind,
            "kind_label": kind.label if kind else e.kind,
            "ticker": e.ticker,
            "country": e.country,
            "aliases": list(e.aliases),
            "money_usd": moved.get(e.id, 0.0),
            "deals": degree.get(e.id, 0),
        }
        net.add_node(
            e.id,
            label=drawn_label(e.name),
            color=color if large else {
                "background": color,
                "border": "#111111" if e.id == focus_id else _darker(color),
                "highlight": {"background": color, "border": "#111111"},
                "hover": {"background": color, "border": "#111111"},
            },
            size=max(size, 30) + 8 if e.id == focus_id else size,
            **{k: v for k, v in node_data.items() if v is not None},
            **extra,
        )

    for r, smooth in zip(deals, arc_smoothing(deals, large)):
        kind = model.relationship_kinds.get(r.kind)
        color = kind.color if kind else _FALLBACK_COLOR
        flow = r.money_flow
        loop = r.id in on_loop
        replaced_by = superseded.get(r.id)
        edge = {
            "id": r.id,
            "color": color if large else {"color": color, "highlight": color, "hover": color,
                                          "opacity": 0.3 if replaced_by else 1.0 if loop else 0.6},
            # A superseded deal's amount does not count: thinnest line, whatever its amount.
            "width": edge_width(None if replaced_by else r.amount_usd) + (1.0 if loop else 0.0),
            # Data fields for the page's script.
            "kind": r.kind,
            "amount_usd": r.amount_usd,
            "on_loop": loop,
        }
        if flow is not None:
            edge["arrows"] = "to" if flow == (r.source, r.target) else "from"
            edge["flow"] = list(flow)
        else:
            edge["arrows"] = ""  # pyvis would add an arrow to every edge of a directed network
            edge["dashes"] = True
        if replaced_by:
            # Superseded: faded and finely dashed (structural ties have long dashes), and the
            # page says by which deals.
            edge["dashes"] = [3, 5]
            edge["superseded_by"] = list(replaced_by)
        if not large:
            edge["label"] = r.kind.replace("_", " ") + not_counted_mark(replaced_by)
        if smooth:
            edge["smooth"] = smooth
        if loop and not large:
            edge["shadow"] = dict(LOOP_GLOW)
        for field in ("amount_note", "date", "summary", "evidence_url", "evidence_title", "supersedes", "expands"):
            if getattr(r, field) is not None:
                edge[field] = getattr(r, field)
        if evidence_href(r.evidence_url):
            edge["evidence_link"] = True
        net.add_edge(r.source, r.target, **edge)

    net.options = _options(large, len(entities), view)
    return net


def _options(large: bool, n: int, view: str = "overview") -> dict:
    arranged = n <= ARRANGE_LIMIT  # laid out by the page itself, physics never runs
    physics = {
        "enabled": not large and not arranged,
        "solver": "barnesHut",
        "barnesHut": {
            "gravitationalConstant": -9000,
            "centralGravity": 0.45,
            "springLength": 170,
            "springConstant": 0.03,
            "damping": 0.3,
            "avoidOverlap": 0.3,
        },
        "stabilization": {"enabled": not large and not arranged, "iterations": 300 if n <= 300 else 150,
                          "updateInterval": 50, "fit": True},
        "minVelocity": 1.0,
    }
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": n <= 300 and not arranged},
        "physics": physics,
        "nodes": {
            "shape": "dot",
            "borderWidth": 2,
            # The label's own white box hides the deals that run into its entity, so no
            # line is ever drawn over a name (the page keeps other deals off it).
            "font": {"size": 15, "face": "system-ui, -apple-system, Segoe UI, sans-serif",
                     "color": "#1f2328", "strokeWidth": 4, "strokeColor": "#ffffff",
                     "background": "rgba(255,255,255,0.88)"},
            "scaling": {"label": {"drawThreshold": 6}},
            "widthConstraint": {"maximum": 150},
        },
        "edges": {
            # Straight lines (parallel deals still fan out as arcs): a label is kept off
            # a line it can be measured against.
            "smooth": False if large or arranged else {"enabled": True, "type": "continuous", "roundness": 0.2},
            # Turned along the line: horizontal labels ("align": "horizontal", the page can
            # fan arcs out for them) still overlap on short steep bundles.
            "font": {"size": 11, "color": "#3d444d", "strokeWidth": 3, "strokeColor": "#ffffff",
                     "align": "middle"},
            # The overview's deal labels show once zoomed in (at the fitted zoom they would
            # bury the names); the smaller views show them at once.
            "scaling": {"label": {"drawThreshold": 14 if view == "overview" else 9}},
            "arrowStrikethrough": False,
            "arrows": {"to": {"scaleFactor": 0.55}, "from": {"scaleFactor": 0.55}},
            "selectionWidth": 2,
            "hoverWidth": 1.5,
        },
        "interaction": {
            "hover": not large,
            "tooltipDelay": 150,
            "hideEdgesOnDrag": large,
            "hideEdgesOnZoom": large,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        },
    }


def _legend(entities: list[Entity], deals: list[Relationship]) -> dict:
    model = schema()
    entity_kinds = {e.kind for e in entities}
    deal_kinds = {r.kind for r in deals}
    return {
        "entity_kinds": [
            {"kind": k.name, "label": k.label, "color": k.color}
            for k in model.entity_kinds.values() if k.name in entity_kinds
        ],
        "relationship_kinds": [
            {"kind": k.name, "label": k.name.replace("_", " "), "reads_as": k.reads_as,
             "money_flows": k.money_flows, "color": k.color}
            for k in model.relationship_kinds.values() if k.name in deal_kinds
        ],
    }


def _cycle_payload(cycle, size: dict) -> dict:
    return {
        "nodes": list(cycle.nodes),
        "min_amount_usd": cycle.min_amount_usd,
        "size_usd": size["size_usd"],
        "size_basis": size["size_basis"],
        "unsized_hops": size["unsized_hops"],
        "hops": [
            {"source": h.source, "target": h.target, "amount_usd": h.amount_usd,
             # the amount on its basis, worded as the CLI words it ("$300B (contract total)")
             "amount_text": hop_usd({"relationships": h.relationships}),
             "size_usd": s["size_usd"], "size_basis": s["size_basis"],
             "deals": [rel["id"] for rel in h.relationships],
             "superseded": [rel["id"] for rel in h.relationships if rel["superseded_by"]],
             # "1 superseded, 1 in talks": the uncounted deals by why (model/lineage.py)
             "not_counted": not_counted_tally(rel["superseded_by"] for rel in h.relationships)}
            for h, s in zip(cycle.hops, size["hops"])
        ],
    }


# --------------------------------------------------------------------------- HTML


def embed_json(value) -> str:
    """``value`` as JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (so no
    ``</script>`` or ``<!--`` can appear) and U+2028/U+2029 as escapes too; JSON.parse
    reads the same strings back.

    >>> embed_json({"name": "</script><b>&"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _environment() -> Environment:
    import pyvis

    # Our template first; pyvis's folder second, for the vis-network files it inlines.
    pyvis_templates = Path(pyvis.__file__).resolve().parent / "templates"
    return Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(str(TEMPLATE_DIR)), FileSystemLoader(str(pyvis_templates))]
        ),
        autoescape=True,
    )


def _generate_html(net: Network, payload: dict) -> str:
    env = _environment()
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    payload = dict(payload, nodes=nodes, edges=edges, options=json.loads(options))
    env.globals["dealgraph_data"] = Markup(embed_json(payload))
    net.templateEnv = env
    net.path = "view.html"
    return net.generate_html()
