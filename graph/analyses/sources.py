"""``dealgraph sources``: where each deal's and figure's evidence comes from, and what it lacks.

One row per deal and per figure (deals first, each in id order): its source class (from
:mod:`dealgraph.model.sources`), host, what is missing and its fragile-URL flags; the
totals count the rows listed.

Missing items, in this order:
  url        no evidence URL at all
  quote      no evidence_quote (the sentence stating the number)
  published  no published date of the source
  primary    the source is not primary (not a filing or a company release)
  title      the title is rebuilt from the URL (title_rebuilt), not the page's headline
"""

from __future__ import annotations

from typing import Iterable

from dealgraph.model.errors import DealgraphError
from dealgraph.model.sources import fragile_flags, source_class, source_host, source_table

MISSING = ("url", "quote", "published", "primary", "title")


class UnknownSourceClassError(DealgraphError):
    """``--class`` names no class of source_classes.yaml."""


def source_row(record: str, r) -> dict:
    """The row of one deal or figure (``record``: "deal" or "figure")."""
    url = r.evidence_url or None
    cls = source_class(url)
    missing = [item for item, lacks in (
        ("url", not url),
        ("quote", not r.evidence_quote),
        ("published", not r.published),
        ("primary", cls not in source_table().primary),
        ("title", r.title_rebuilt == "yes"),
    ) if lacks]
    return {"id": r.id, "record": record, "class": cls, "host": source_host(url), "missing": missing,
            "fragile": fragile_flags(url, cls, archived=bool(r.archive_url)), "evidence_url": url}


def source_rows(store, only_missing: bool = False, source_class_: str | None = None) -> list[dict]:
    """Every deal's and figure's row; ``only_missing``: only rows missing something;
    ``source_class_``: only rows of that class."""
    table = source_table()
    if source_class_ is not None and source_class_ not in table.classes:
        raise UnknownSourceClassError(
            f"--class: unknown source class {source_class_!r} (one of: {', '.join(table.classes)})")
    rows = [source_row("deal", r) for r in sorted(store.relationships(), key=lambda r: r.id)]
    rows += [source_row("figure", f) for f in sorted(store.figures(), key=lambda f: f.id)]
    return [row for row in rows
            if (not only_missing or row["missing"]) and (source_class_ is None or row["class"] == source_class_)]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def source_totals(rows: Iterable[dict]) -> dict:
    """Counts over ``rows``: rows by record and class, the primary share (filing + company
    over all) of deals, figures and both, each missing item, rebuilt titles, each fragile flag."""
    table = source_table()
    rows = list(rows)
    by_record = {rec: [r for r in rows if r["record"] == rec] for rec in ("deal", "figure")}

    def primary(rs):
        return sum(1 for r in rs if r["class"] in table.primary)

    return {
        "rows": len(rows),
        "deals": len(by_record["deal"]),
        "figures": len(by_record["figure"]),
        "classes": {c: sum(1 for r in rows if r["class"] == c) for c in table.classes},
        "classes_deals": {c: sum(1 for r in by_record["deal"] if r["class"] == c) for c in table.classes},
        "classes_figures": {c: sum(1 for r in by_record["figure"] if r["class"] == c) for c in table.classes},
        "primary": {"deals": primary(by_record["deal"]), "figures": primary(by_record["figure"]),
                    "all": primary(rows)},
        "primary_share": {"deals": _share(primary(by_record["deal"]), len(by_record["deal"])),
                          "figures": _share(primary(by_record["figure"]), len(by_record["figure"])),
                          "all": _share(primary(rows), len(rows))},
        "missing": {item: sum(1 for r in rows if item in r["missing"]) for item in MISSING},
        "title_rebuilt": sum(1 for r in rows if "title" in r["missing"]),
        "fragile": {flag: sum(1 for r in rows if flag in r["fragile"]) for flag in table.fragile},
        "hosts": len({r["host"] for r in rows if r["host"]}),
    }


def sources_report(store, only_missing: bool = False, source_class_: str | None = None) -> dict:
    """``{"rows": [...], "totals": {...}}`` as ``dealgraph sources --format json`` prints it."""
    rows = source_rows(store, only_missing, source_class_)
    return {"rows": rows, "totals": source_totals(rows)}
