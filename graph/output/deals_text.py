"""Text, JSON and CSV renderings of ``dealgraph deals`` (:func:`dealgraph.analyses.deals.find_deals`).

The table says what was summed and what was only listed; JSON is the result as found;
CSV is one row per deal, or one row per group with ``--group-by``. Amounts stay raw in
JSON and CSV.
"""

from __future__ import annotations

import csv
import io

from dealgraph.model.values import usd_by_basis
from dealgraph.output.text import csv_cell, deal_lines, rows_json, rows_table, usd

#: The columns of a deal row in CSV and of the deals table, in order.
DEAL_COLUMNS = ("id", "date", "source", "kind", "target", "amount_usd", "amount_note", "amount_basis", "status",
                "counted", "superseded_by", "evidence_url")
GROUP_CSV_COLUMNS = ("group", "deals", "counted_deals", "amount_usd", "share", "unknown_amount_deals")

#: How a group key the data leaves open reads in a table, by grouping.
_OPEN_KEY = {"year": "(undated)", "status": "(no status given)", "lender-type": "(no lender type)",
             "counterparty-kind": "(unknown entity)"}
_ENTITY_GROUPS = ("source", "target")


def total_line(total: dict, deals: list[dict] | None = None) -> str:
    """``12 deals, 11 counted: $45.2B (2 of unknown amount); 1 not counted (listed only)``;
    given the ``deals`` listed, the sum says its parts that are not plain cash
    (``$45.2B (incl. $350M in stock)``, model/values.py usd_by_basis).

    >>> total = {"deals": 2, "counted_deals": 2, "amount_usd": 1.35e9, "unknown_amount_deals": 0}
    >>> total_line(total, [{"counted": True, "amount_usd": 1e9, "amount_basis": "cash"},
    ...                    {"counted": True, "amount_usd": 3.5e8, "amount_basis": "stock"}])
    '2 deals, 2 counted: $1.4B (incl. $350M in stock)'
    """
    n, counted = total["deals"], total["counted_deals"]
    amount = usd(total["amount_usd"])
    if deals is not None and total["amount_usd"] is not None:
        amount = usd_by_basis((d["amount_usd"], d.get("amount_basis")) for d in deals if d["counted"])
    line = f"{n} deal{'s' if n != 1 else ''}, {counted} counted: {amount}"
    if total["unknown_amount_deals"]:
        line += f" ({total['unknown_amount_deals']} of unknown amount)"
    if counted < n:
        line += f"; {n - counted} not counted (listed only)"
    return line


def deals_table(result: dict, names: dict[str, str] | None = None) -> str:
    names = names or {}
    group_by = result["group_by"]
    if not result["deals"]:
        return "No deals match."
    if group_by is None:
        lines = []
        for deal in result["deals"]:
            lines.extend(_deal_lines(deal, names))
        return "\n".join([*lines, "", total_line(result["total"], result["deals"])])
    shown = []
    for g in result["groups"]:
        key = g["group"]
        label = _OPEN_KEY.get(group_by, "(none)") if key is None else names.get(key, key) \
            if group_by in _ENTITY_GROUPS else key
        shown.append({group_by: label, "deals": g["deals"], "counted": g["counted_deals"],
                      "amount_usd": g["amount_usd"], "share": g["share"],
                      "unknown_amount": g["unknown_amount_deals"], "relationships": g["relationships"]})
    table = rows_table(shown, names=names, list_deal=_deal_lines)
    return "\n".join([table, "", total_line(result["total"])])


def _deal_lines(deal: dict, names: dict[str, str]) -> list[str]:
    lines = deal_lines(deal, names)
    if deal.get("status"):
        lines[0] += f"; status {deal['status']}"
    if not deal["counted"] and not deal.get("superseded_by"):
        lines[0] += "; not counted"
    return lines


def deals_csv(result: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if result["group_by"] is None:
        writer.writerow(DEAL_COLUMNS)
        for deal in result["deals"]:
            row = {**deal, "counted": "yes" if deal["counted"] else "no",
                   "superseded_by": ";".join(deal.get("superseded_by") or ())}
            writer.writerow([csv_cell(row.get(c)) for c in DEAL_COLUMNS])
    else:
        writer.writerow([result["group_by"], *GROUP_CSV_COLUMNS[1:]])
        for g in result["groups"]:
            writer.writerow([csv_cell(g[c]) for c in GROUP_CSV_COLUMNS])
    return out.getvalue()


def format_deals(result: dict, fmt: str, names: dict[str, str] | None = None) -> str:
    if fmt == "json":
        return rows_json(result)
    if fmt == "csv":
        return deals_csv(result).rstrip("\n")
    return deals_table(result, names)
