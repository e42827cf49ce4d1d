"""Exports of a store, for the tools people already use.

* ``graphml`` and ``gexf`` — the deal graph for Gephi, yEd, Cytoscape, networkx or igraph:
  one node per entity (``label`` its name, its fields as attributes, aliases joined by
  ``"; "``), one edge per deal from ``source`` to ``target`` keyed by the deal id (``label``
  its kind, ``deal_id`` its id, its fields as attributes, ``money_flows`` the kind's
  direction of money, ``counts`` whether it counts, ``weight`` the money it counts for in
  billions of USD, at least 0.001 — Gephi drops edges of weight 0 — so 0.001 when the
  amount is unknown or not counted); fields with no value are left out.
  GEXF is 1.2draft, valid against its XSD, and carries no export date: the same store
  gives the same bytes.
* ``graphml-pairs`` and ``gexf-pairs`` — one edge per payer -> payee pair with the counted
  sum and the deals listed (:func:`pair_graph`), for tools that merge parallel edges.
* ``csv`` — ``entities.csv``, ``relationships.csv`` and ``figures.csv`` in the loaders' own
  CSV format, so ``dealgraph load`` of the folder gives back the same store.
* ``ftm`` — FollowTheMoney entities as JSON Lines (Aleph, OpenSanctions; the mapping is
  in :mod:`dealgraph.model.ftm`); ``dealgraph load`` reads it back too.

Entity figures (revenue, debt, ...) travel in the ``csv`` and ``ftm`` exports; the graph
formats carry entities and deals only, and the pair formats none of a deal's own fields
(status, basis, range, evidence, ...) but its id and kind: :meth:`ExportResult.counts` says
what a format left out, so nothing is dropped silently.

Everything is read through the :class:`~dealgraph.stores.base.Store` interface, so both engines
export the same thing. Files are written whole or not at all (a temporary file, renamed).
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, TextIO

from dealgraph.model.errors import DealgraphError
from dealgraph.model.ftm import number_text, to_ftm
from dealgraph.model.lineage import counting_deals
from dealgraph.model.records import Entity, Figure, Relationship, schema
from dealgraph.stores.base import Store

if TYPE_CHECKING:
    import networkx as nx

FORMATS = ("graphml", "gexf", "graphml-pairs", "gexf-pairs", "csv", "ftm")

#: Where each format goes when no ``--out`` is given (``csv``: a folder of two files).
DEFAULT_OUT = {
    "graphml": Path("dealgraph.graphml"),
    "gexf": Path("dealgraph.gexf"),
    "graphml-pairs": Path("dealgraph-pairs.graphml"),
    "gexf-pairs": Path("dealgraph-pairs.gexf"),
    "csv": Path("dealgraph-csv"),
    "ftm": Path("dealgraph.ftm.json"),
}

#: File names of a ``csv`` export.
CSV_FILES = ("entities.csv", "relationships.csv", "figures.csv")

ALIAS_SEPARATOR = ";"


class ExportError(DealgraphError):
    """The store cannot be exported in the asked format, or the files cannot be written."""


#: What each format leaves out of the store, said with its counts (never dropped silently);
#: ``csv`` and ``ftm`` carry everything.
GRAPH_FORMATS = ("graphml", "gexf")
PAIR_FORMATS = ("graphml-pairs", "gexf-pairs")


@dataclass(frozen=True)
class ExportResult:
    paths: list[Path]
    entities: int
    relationships: int
    figures: int
    fmt: str = "csv"

    def counts(self) -> str:
        """What was written, and what the format leaves out (:meth:`left_out`)."""
        if self.fmt in GRAPH_FORMATS + PAIR_FORMATS:
            written = f"{self.entities} entities, {self.relationships} deals"
            if self.fmt in PAIR_FORMATS:
                written += " summed per payer -> payee"
        else:
            written = f"{self.entities} entities, {self.relationships} deals, {self.figures} figures"
        left_out = self.left_out()
        return f"{written}; {left_out}" if left_out else written

    def left_out(self) -> str:
        """``""``, or what of the store this format does not carry, in one phrase: the graph
        formats carry no figures, the pair formats none of a deal's own fields either (an
        edge lists its deals' ids, kinds and which do not count)."""
        missing = []
        if self.fmt in PAIR_FORMATS and self.relationships:
            missing.append("the deals' own fields (status, basis, range, dates, evidence, ...)")
        if self.fmt in GRAPH_FORMATS + PAIR_FORMATS and self.figures:
            missing.append(f"{self.figures} figure{'s' * (self.figures != 1)}")
        if not missing:
            return ""
        return f"not in {self.fmt}: {' and '.join(missing)} (export csv or ftm for those)"


def export_store(store: Store, fmt: str, out: Path | None = None, stdout: TextIO | None = None) -> ExportResult:
    """Write ``store`` in format ``fmt`` to ``out`` (a folder for ``csv``, else a file;
    default :data:`DEFAULT_OUT`), or to ``stdout`` when ``out`` is ``-`` (not ``csv``)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    entities, deals, figures = store.entities(), store.relationships(), store.figures()
    counts = (len(entities), len(deals), len(figures))
    out = DEFAULT_OUT[fmt] if out is None else Path(out)
    if str(out) == "-":
        if fmt == "csv":
            raise ExportError(f"csv writes {len(CSV_FILES)} files ({', '.join(CSV_FILES)}): give --out FOLDER")
        WRITERS[fmt](entities, deals, figures, stdout or io.StringIO())
        return ExportResult([], *counts, fmt)
    if fmt == "csv":
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: not a folder (csv writes {', '.join(CSV_FILES)} into a folder)")
        texts = csv_texts(entities, deals, figures)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / name for name in CSV_FILES]
        for path, text in zip(paths, texts):
            _write_atomically(path, lambda f, text=text: f.write(text))
        return ExportResult(paths, *counts, fmt)
    if out.is_dir():
        raise ExportError(f"{out}: is a folder; give a file name for {fmt}")
    _write_atomically(out, lambda f: WRITERS[fmt](entities, deals, figures, f))
    return ExportResult([out], *counts, fmt)


def _write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"{path}: folder {directory} does not exist")
    tmp = directory / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        # Not mkstemp: its files are private (0600); an export is made to be shared.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise ExportError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------- graphs

#: ``weight`` of an edge: the money it counts for, in billions of USD ...
WEIGHT_UNIT = 1e9
#: ... and never less than this (USD 1M): Gephi leaves out edges of weight 0 on import, so
#: an edge that counts no known amount (unknown, or not counted) weighs this little.
MIN_WEIGHT = 0.001


def weight(amount_usd: float | None) -> float:
    """The ``weight`` of an edge counting ``amount_usd`` (``None``: no known amount counts)."""
    return max(MIN_WEIGHT, (amount_usd or 0.0) / WEIGHT_UNIT)


def deal_weight(deal: Relationship, counts: bool) -> float:
    """An edge's ``weight``: the deal's amount in billions of USD, or :data:`MIN_WEIGHT`
    when the amount is unknown or the deal does not count
    (:func:`dealgraph.model.lineage.counting_deals`: superseded)."""
    return weight(deal.amount_usd if counts else None)


def export_graph(entities: Iterable[Entity], deals: Iterable[Relationship]) -> "nx.MultiDiGraph":
    """The deal graph with only GraphML/GEXF-safe attribute values (text, numbers).

    Edges are keyed by deal id and carry it as ``deal_id`` too (an attribute named ``id``
    clashes with the readers' own edge ids); ``counts`` says whether the deal counts and
    ``weight`` is :func:`deal_weight`.
    """
    import networkx as nx

    deals = list(deals)
    counting = {r.id for r in counting_deals(deals)}
    g = nx.MultiDiGraph()
    for e in entities:
        g.add_node(e.id, **_attributes({"label": e.name, **e.to_dict()}, skip=("id",)))
    kinds = schema().relationship_kinds
    for r in deals:
        counts = r.id in counting
        values = r.to_dict()
        attrs = {"label": r.kind, "deal_id": values.pop("id"), **values,
                 "money_flows": kinds[r.kind].money_flows, "counts": counts,
                 "weight": deal_weight(r, counts)}
        g.add_edge(r.source, r.target, key=r.id, **_attributes(attrs, skip=("source", "target")))
    return g


def pair_graph(entities: Iterable[Entity], deals: Iterable[Relationship]) -> "nx.DiGraph":
    """One edge per ordered pair of entities, for tools that merge parallel edges (Gephi).

    A deal that moves money goes from its payer to its payee (``source``/``target`` turned
    round for the kinds whose money flows the other way), any other deal from its source to
    its target. Each edge lists its deals (``deal_ids``, and their ``kinds`` in the same
    order) and adds up the ``amount_usd`` of the money-moving deals that count;
    ``not_counted`` names the others (superseded, in talks or terminated:
    :func:`dealgraph.model.lineage.counting_deals`), ``unknown_amounts`` counts the counting
    money-moving deals with no amount, ``ties`` names the deals on the pair that move no money
    (a partner or guarantee: listed, never added in, whatever their amount), ``money_flows`` is
    "yes" when any deal on the pair moves money, and ``weight`` is the sum in billions of USD
    (:data:`MIN_WEIGHT` when no counting deal has an amount).
    """
    import networkx as nx

    deals = list(deals)
    counting = {r.id for r in counting_deals(deals)}
    pairs: dict[tuple[str, str], list[Relationship]] = {}
    for r in deals:
        pairs.setdefault(r.money_flow or (r.source, r.target), []).append(r)
    g = nx.DiGraph()
    for e in entities:
        g.add_node(e.id, **_attributes({"label": e.name, **e.to_dict()}, skip=("id",)))
    for (payer, payee), group in sorted(pairs.items()):
        counted = [r for r in group if r.id in counting and r.money_flow]
        amounts = [r.amount_usd for r in counted if r.amount_usd is not None]
        total = sum(amounts) if amounts else None
        attrs = {
            "label": "; ".join(dict.fromkeys(r.kind for r in group)),
            "deal_ids": [r.id for r in group],
            "kinds": [r.kind for r in group],
            "deals": len(group),
            "amount_usd": total,
            "unknown_amounts": len(counted) - len(amounts),
            "not_counted": [r.id for r in group if r.id not in counting],
            "ties": [r.id for r in group if not r.money_flow],
            "money_flows": "yes" if any(r.money_flow for r in group) else "none",
            "weight": weight(total),
        }
        g.add_edge(payer, payee, **_attributes(attrs, skip=()))
    return g


def _attributes(values: dict, skip: tuple[str, ...]) -> dict:
    out = {}
    for name, value in values.items():
        if name in skip or value is None or value == [] or value == ():
            continue
        if isinstance(value, (list, tuple)):
            value = "; ".join(map(str, value))
        elif isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        out[name] = value
    return out


def _graphml(g, f: TextIO) -> None:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(g, buffer, encoding="utf-8", prettyprint=True)
    f.write(buffer.getvalue().decode("utf-8"))


def write_graphml(entities, deals, figures, f: TextIO) -> None:
    _graphml(export_graph(entities, deals), f)


def write_graphml_pairs(entities, deals, figures, f: TextIO) -> None:
    _graphml(pair_graph(entities, deals), f)


GEXF_NS = "http://www.gexf.net/1.2draft"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _gexf(g, f: TextIO) -> None:
    """GEXF 1.2draft, written here rather than by networkx so that the file is valid
    against the XSD and the same for the same store (no export date, no internal keys).

    Attributes are declared in the order first met, typed ``double``, ``integer``,
    ``boolean`` or ``string``; an edge's ``label`` and ``weight`` are GEXF's own."""
    from xml.etree.ElementTree import Element, SubElement, indent, tostring

    def declare(table: dict, name: str, value) -> str:
        if name not in table:
            kind = ("boolean" if isinstance(value, bool) else "integer" if isinstance(value, int)
                    else "double" if isinstance(value, float) else "string")
            table[name] = (str(len(table)), kind)
        return table[name][0]

    def text(value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return number_text(value)
        return str(value)

    node_attrs: dict[str, tuple[str, str]] = {}
    edge_attrs: dict[str, tuple[str, str]] = {}
    root = Element("gexf", {"xmlns": GEXF_NS, "xmlns:xsi": _XSI, "version": "1.2",
                            "xsi:schemaLocation": f"{GEXF_NS} {GEXF_NS}/gexf.xsd"})
    meta = SubElement(root, "meta")
    SubElement(meta, "creator").text = "dealgraph"
    graph = SubElement(root, "graph", {"defaultedgetype": "directed", "mode": "static"})
    node_decl = SubElement(graph, "attributes", {"class": "node", "mode": "static"})
    edge_decl = SubElement(graph, "attributes", {"class": "edge", "mode": "static"})
    nodes = SubElement(graph, "nodes")
    for node, data in g.nodes(data=True):
        el = SubElement(nodes, "node", {"id": node, "label": data.get("label", node)})
        values = [(declare(node_attrs, k, v), text(v)) for k, v in data.items() if k != "label"]
        if values:
            attvalues = SubElement(el, "attvalues")
            for att_id, value in values:
                SubElement(attvalues, "attvalue", {"for": att_id, "value": value})
    edges = SubElement(graph, "edges")
    items = g.edges(keys=True, data=True) if g.is_multigraph() else (
        (u, v, f"{u}->{v}", d) for u, v, d in g.edges(data=True))
    for u, v, key, data in items:
        attrs = {"id": key, "source": u, "target": v, "label": data["label"], "weight": text(data["weight"])}
        el = SubElement(edges, "edge", attrs)
        values = [(declare(edge_attrs, k, v), text(v)) for k, v in data.items() if k not in ("label", "weight")]
        if values:
            attvalues = SubElement(el, "attvalues")
            for att_id, value in values:
                SubElement(attvalues, "attvalue", {"for": att_id, "value": value})
    for decl, table in ((node_decl, node_attrs), (edge_decl, edge_attrs)):
        for name, (att_id, kind) in table.items():
            SubElement(decl, "attribute", {"id": att_id, "title": name, "type": kind})
    indent(root, "  ")
    f.write("<?xml version='1.0' encoding='utf-8'?>\n")
    f.write(tostring(root, encoding="unicode"))
    f.write("\n")


def write_gexf(entities, deals, figures, f: TextIO) -> None:
    _gexf(export_graph(entities, deals), f)


def write_gexf_pairs(entities, deals, figures, f: TextIO) -> None:
    _gexf(pair_graph(entities, deals), f)


# ---------------------------------------------------------------------------- csv


def csv_texts(
    entities: Iterable[Entity], deals: Iterable[Relationship], figures: Iterable[Figure] = ()
) -> tuple[str, str, str]:
    """``(entities.csv, relationships.csv, figures.csv)`` as the loaders read them: every
    field of the model as a column, amounts written so they read back exactly, aliases
    joined by ``;``."""
    texts = []
    for model, rows in ((Entity, entities), (Relationship, deals), (Figure, figures)):
        columns = [f.name for f in fields(model)]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row, name) for name in columns])
        texts.append(buffer.getvalue())
    return texts[0], texts[1], texts[2]


def _cell(row, name: str) -> str:
    value = getattr(row, name)
    if value is None:
        return ""
    if name == "aliases":
        for alias in value:
            if ALIAS_SEPARATOR in alias:
                raise ExportError(
                    f"entity {row.id!r}: alias {alias!r} holds {ALIAS_SEPARATOR!r}, which the CSV format "
                    "uses between aliases; export as ftm or graphml instead"
                )
        return ALIAS_SEPARATOR.join(value)
    if isinstance(value, float):
        return number_text(value)
    return str(value)


# ---------------------------------------------------------------------------- ftm


def write_ftm(entities, deals, figures, f: TextIO) -> None:
    """FollowTheMoney objects, one JSON object per line (entities first, then deals)."""
    for obj in to_ftm(entities, deals, figures):
        f.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


#: Single-file formats and their writers (``csv`` writes a folder, see :func:`csv_texts`).
WRITERS = {"graphml": write_graphml, "gexf": write_gexf, "graphml-pairs": write_graphml_pairs,
           "gexf-pairs": write_gexf_pairs, "ftm": write_ftm}
