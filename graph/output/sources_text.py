"""Text, JSON and CSV renderings of ``dealgraph sources`` (:func:`dealgraph.analyses.sources.sources_report`).

The table lists the rows, then the totals; JSON is ``{"rows": [...], "totals": {...}}``;
CSV is the rows, lists joined by ``;``.
"""

from __future__ import annotations

import csv
import io

from dealgraph.output.text import csv_cell, rows_json, rows_table

#: The columns of a row in CSV, in order.
CSV_COLUMNS = ("id", "record", "class", "host", "missing", "fragile", "evidence_url")


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


#: Longest line of the totals a list wraps at (its items are never split).
WRAP = 100


def wrap_items(head: str, items: list[str], width: int = WRAP, indent: str = "    ") -> list[str]:
    """``head`` then ``items`` joined by ", ", wrapped before ``width`` between items, the
    continuation lines indented.

    >>> wrap_items("  fragile URLs: ", ["not https 9", "AMP page 8", "feed URL 0"], width=34)
    ['  fragile URLs: not https 9,', '    AMP page 8, feed URL 0']
    """
    lines, line = [], head
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if i and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = indent + piece
        else:
            line += (" " if i else "") + piece
    return lines + [line]


def totals_lines(totals: dict) -> list[str]:
    from dealgraph.model.sources import source_table

    table = source_table()
    lines = [f"Totals: {_count(totals['rows'], 'row')} ({_count(totals['deals'], 'deal')}, "
             f"{_count(totals['figures'], 'figure')}), {_count(totals['hosts'], 'host')}"]
    # one row per source class, its counts in right-aligned columns
    cells = [("class", "rows", "deals", "figures", "source")] + [
        (name, str(totals["classes"][name]), str(totals["classes_deals"][name]),
         str(totals["classes_figures"][name]), cls.label)
        for name, cls in table.classes.items()]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    for row in cells:
        lines.append("  " + row[0].ljust(widths[0]) + "".join(
            "  " + cell.rjust(w) for cell, w in zip(row[1:4], widths[1:])) + "  " + row[4])
    share, count = totals["primary_share"], totals["primary"]
    lines += wrap_items(f"  primary share ({' + '.join(table.primary)} over all): ", [
        f"deals {_percent(share['deals'])} ({count['deals']} of {totals['deals']})",
        f"figures {_percent(share['figures'])} ({count['figures']} of {totals['figures']})",
        f"all {_percent(share['all'])} ({count['all']} of {totals['rows']})"])
    lines += wrap_items("  missing: ", [f"{item} {n}" for item, n in totals["missing"].items()])
    lines.append(f"  titles rebuilt from the URL: {totals['title_rebuilt']}")
    lines += wrap_items("  fragile URLs: ", [
        f"{table.fragile[flag].reads_as} {n}" for flag, n in totals["fragile"].items()])
    return lines


def sources_table(report: dict) -> str:
    rows = [{"record": r["record"], "id": r["id"], "class": r["class"], "host": r["host"] or "(no URL)",
             "missing": ", ".join(r["missing"]) or "-", "fragile": ", ".join(r["fragile"]) or "-"}
            for r in report["rows"]]
    listed = rows_table(rows) if rows else "No deals or figures match."
    return "\n".join([listed, "", *totals_lines(report["totals"])])


def sources_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["rows"]:
        writer.writerow([";".join(row[c]) if isinstance(row[c], list) else csv_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue().rstrip("\n")


def format_sources(report: dict, fmt: str) -> str:
    if fmt == "table":
        return sources_table(report)
    if fmt == "json":
        return rows_json(report)
    return sources_csv(report)
