"""Exports of a store, for the tools people already use.

* ``graphml`` and ``gexf`` — the deal graph for Gephi, yEd, Cytoscape or networkx: one
  node per entity (``label`` its name, its fields as attributes, aliases joined by
  ``"; "``), one edge per deal from ``source`` to ``target`` keyed by the deal id (``label``
  its kind, its fields as attributes, ``money_flows`` the kind's direction of money);
  fields with no value are left out.
* ``csv`` — ``entities.csv``, ``relationships.csv`` and ``figures.csv`` in the loaders' own
  CSV format, so ``dealgraph load`` of the folder gives back the same store.
* ``ftm`` — FollowTheMoney entities as JSON Lines (Aleph, OpenSanctions; the mapping is
  in :mod:`dealgraph.model.ftm`); ``dealgraph load`` reads it back too.

Entity figures (revenue, debt, ...) travel in the ``csv`` and ``ftm`` exports; the graph
formats carry entities and deals only.

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
from dealgraph.model.records import Entity, Figure, Relationship, schema
from dealgraph.stores.base import Store

if TYPE_CHECKING:
    import networkx as nx

FORMATS = ("graphml", "gexf", "csv", "ftm")

#: Where each format goes when no ``--out`` is given (``csv``: a folder of two files).
DEFAULT_OUT = {
    "graphml": Path("dealgraph.graphml"),
    "gexf": Path("dealgraph.gexf"),
    "csv": Path("dealgraph-csv"),
    "ftm": Path("dealgraph.ftm.json"),
}

#: File names of a ``csv`` export.
CSV_FILES = ("entities.csv", "relationships.csv", "figures.csv")

ALIAS_SEPARATOR = ";"


class ExportError(DealgraphError):
    """The store cannot be exported in the asked format, or the files cannot be written."""


@dataclass(frozen=True)
class ExportResult:
    paths: list[Path]
    entities: int
    relationships: int
    figures: int

    def counts(self) -> str:
        return f"{self.entities} entities, {self.relationships} deals, {self.figures} figures"


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
        return ExportResult([], *counts)
    if fmt == "csv":
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: not a folder (csv writes {', '.join(CSV_FILES)} into a folder)")
        texts = csv_texts(entities, deals, figures)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / name for name in CSV_FILES]
        for path, text in zip(paths, texts):
            _write_atomically(path, lambda f, text=text: f.write(text))
        return ExportResult(paths, *counts)
    if out.is_dir():
        raise ExportError(f"{out}: is a folder; give a file name for {fmt}")
    _write_atomically(out, lambda f: WRITERS[fmt](entities, deals, figures, f))
    return ExportResult([out], *counts)


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


def export_graph(entities: Iterable[Entity], deals: Iterable[Relationship]) -> "nx.MultiDiGraph":
    """The deal graph with only GraphML/GEXF-safe attribute values (text, numbers)."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for e in entities:
        g.add_node(e.id, **_attributes({"label": e.name, **e.to_dict()}, skip=("id",)))
    kinds = schema().relationship_kinds
    for r in deals:
        attrs = {"label": r.kind, **r.to_dict(), "money_flows": kinds[r.kind].money_flows}
        g.add_edge(r.source, r.target, key=r.id, **_attributes(attrs, skip=("source", "target")))
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


def write_graphml(entities, deals, figures, f: TextIO) -> None:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(export_graph(entities, deals), buffer, encoding="utf-8", prettyprint=True)
    f.write(buffer.getvalue().decode("utf-8"))


def write_gexf(entities, deals, figures, f: TextIO) -> None:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_gexf(export_graph(entities, deals), buffer, encoding="utf-8", prettyprint=True)
    f.write(buffer.getvalue().decode("utf-8"))


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
WRITERS = {"graphml": write_graphml, "gexf": write_gexf, "ftm": write_ftm}
