"""Plain-text, JSON and CSV renderings of query results and cycles for the terminal.

Everything here takes plain data (lists of dicts, the loop shape of `dealgraph cycles --format json`) and returns a
string, so the CLI only has to print it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Sequence

FORMATS = ("table", "json", "csv")


def usd(amount: float | None) -> str:
    """A compact dollar figure: ``$1.3B``, ``$667.7M``, ``?`` when unknown.

    >>> usd(1_300_000_000), usd(667_700_000), usd(None)
    ('$1.3B', '$667.7M', '?')
    """
    if amount is None:
        return "?"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= size:
            return f"${amount / size:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${amount:,.0f}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


#: Query columns that hold lists of deals (listed under their row in a table, not squeezed in).
DEAL_LIST_COLUMNS = ("financing", "purchases", "relationships")


def rows_table(rows: Sequence[dict], max_width: int = 60, names: dict[str, str] | None = None) -> str:
    """Rows as an aligned text table; long cells are cut with an ellipsis.

    Columns that list deals (:data:`DEAL_LIST_COLUMNS`) or hops are not cells: under each
    row, every deal is written out as it reads, with its caveats and evidence
    (:func:`deal_lines`).
    """
    if not rows:
        return "(no rows)"
    columns = [c for c in rows[0] if c not in DEAL_LIST_COLUMNS and c != "hops"]
    listed = [c for c in rows[0] if c not in columns]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in line] for line in cells]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row, line in zip(rows, cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
        for column in listed:
            if column == "hops":
                for hop in row[column]:
                    lines.extend("  " + text for text in hop_lines(hop, names))
            else:
                lines.append(f"  {column}:")
                for deal in row[column]:
                    lines.extend("    " + text for text in deal_lines(deal, names))
    return "\n".join(lines)


def rows_csv(rows: Sequence[dict]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]))
    writer.writerows([_cell(v) for v in row.values()] for row in rows)
    return out.getvalue()


def rows_json(rows) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)


def format_rows(rows: Sequence[dict], fmt: str, names: dict[str, str] | None = None) -> str:
    """Query rows in one of :data:`FORMATS` (``names``: entity names for the table)."""
    if fmt == "table":
        return rows_table(rows, names=names)
    return {"json": rows_json, "csv": rows_csv}[fmt](rows).rstrip("\n")


def cycle_path(cycle: dict) -> str:
    """``nvidia → coreweave → nvidia``."""
    nodes = cycle["nodes"]
    return " → ".join([*nodes, nodes[0]])


def deal_reads(deal: dict, names: dict[str, str] | None = None) -> str:
    """The deal as it reads: ``Nvidia supplies CoreWeave``."""
    names = names or {}
    return f"{names.get(deal['source'], deal['source'])} {deal['kind'].replace('_', ' ')} " \
        f"{names.get(deal['target'], deal['target'])}"


def deal_lines(deal: dict, names: dict[str, str] | None = None, evidence: bool = True) -> list[str]:
    """One deal for reading: how it reads, its amount with its note, date and lineage; then
    its evidence (title and link).

    >>> deal = {"id": "d2", "source": "nvidia", "kind": "invests_in", "target": "openai",
    ...         "amount_usd": 1e11, "amount_note": "up to; letter of intent", "date": "2025-09-22",
    ...         "evidence_url": "https://e/2", "evidence_title": "Nvidia to invest $100B",
    ...         "supersedes": None, "expands": None, "superseded_by": ["d3"]}
    >>> print("\\n".join(deal_lines(deal, {"nvidia": "Nvidia", "openai": "OpenAI"})))
    - Nvidia invests in OpenAI: $100B (up to; letter of intent), 2025-09-22; superseded by d3, not counted
      "Nvidia to invest $100B" https://e/2
    """
    line = f"- {deal_reads(deal, names)}: {usd(deal['amount_usd'])}"
    if deal.get("amount_note"):
        line += f" ({deal['amount_note']})"
    if deal.get("date"):
        line += f", {deal['date']}"
    lineage = []
    if deal.get("supersedes"):
        lineage.append(f"supersedes {deal['supersedes']}")
    if deal.get("expands"):
        lineage.append(f"expands {deal['expands']}")
    if deal.get("superseded_by"):
        lineage.append(f"superseded by {', '.join(deal['superseded_by'])}, not counted")
    if lineage:
        line += "; " + "; ".join(lineage)
    lines = [line]
    if evidence and (deal.get("evidence_title") or deal.get("evidence_url")):
        title = f'"{deal["evidence_title"]}"' if deal.get("evidence_title") else ""
        lines.append(f"  {title} {deal.get('evidence_url') or ''}".rstrip())
    return lines


def hop_lines(hop: dict, names: dict[str, str] | None = None, evidence: bool = True) -> list[str]:
    """A hop: who pays whom and how much in all, then each of its deals as it reads."""
    names = names or {}
    deals = hop["relationships"]
    counted = [d for d in deals if not d.get("superseded_by")]
    count = f"{len(counted)} deal{'s' if len(counted) != 1 else ''}"
    if len(counted) < len(deals):
        count += f" (+{len(deals) - len(counted)} superseded, not counted)"
    lines = [
        f"{names.get(hop['source'], hop['source'])} pays {names.get(hop['target'], hop['target'])}: "
        f"{usd(hop['amount_usd'])} in {count}"
    ]
    for deal in deals:
        lines.extend("  " + text for text in deal_lines(deal, names, evidence))
    return lines


def loop_money(cycle: dict) -> str:
    """What can go round: the smallest hop, or what is known when some hops are not.

    >>> loop_money({"min_amount_usd": None, "hops": [{"amount_usd": 5e9}, {"amount_usd": None}]})
    '? (smallest known hop $5B, 1 hop of unknown size)'
    """
    if cycle["min_amount_usd"] is not None:
        return usd(cycle["min_amount_usd"])
    hops = cycle["hops"]
    known = [h["amount_usd"] for h in hops if h["amount_usd"] is not None]
    unknown = len(hops) - len(known)
    if not known:
        return "? (no hop amount known)"
    return f"? (smallest known hop {usd(min(known))}, {unknown} hop{'s' if unknown != 1 else ''} of unknown size)"


def cycles_table(cycles: Sequence[dict], names: dict[str, str] | None = None, evidence: bool = True) -> str:
    """Cycles for reading in a terminal: the loop, the money that can go round, each hop
    with its deals as they read, their caveats, lineage and evidence."""
    if not cycles:
        return "No money-flow loops found."
    names = names or {}
    lines = []
    for rank, cycle in enumerate(cycles, 1):
        loop = " → ".join(names.get(n, n) for n in [*cycle["nodes"], cycle["nodes"][0]])
        lines.append(f"{rank}. {loop}")
        lines.append(f"   money that can go all the way round: {loop_money(cycle)}")
        if cycle.get("order"):
            order = cycle["order"]
            lines.append(f"   in time order from {names.get(order['start'], order['start'])}, over at least "
                         f"{order['span_days']} day(s): {', '.join(order['deal_ids'])}")
        for row in cycle.get("economics") or ():
            ratio = "?" if row["back_per_dollar"] is None else f"{row['back_per_dollar']:.2f}"
            lines.append(f"   {names.get(row['entity'], row['entity'])} put in {usd(row['put_in_usd'])}, "
                         f"got back {usd(row['came_back_usd'])} ({ratio} per dollar)")
        for hop in cycle["hops"]:
            lines.extend("   " + text for text in hop_lines(hop, names, evidence))
        lines.append("")
    return "\n".join(lines).rstrip()


def cycles_summary(cycles: Sequence[dict], names: dict[str, str] | None = None) -> str:
    """One line per loop: rank, the loop, the money that can go round."""
    names = names or {}
    lines = []
    for rank, cycle in enumerate(cycles, 1):
        loop = " → ".join(names.get(n, n) for n in [*cycle["nodes"], cycle["nodes"][0]])
        lines.append(f"{rank:>3}. {loop}   {loop_money(cycle)}")
    return "\n".join(lines)


CYCLES_CSV_COLUMNS = (
    "cycle", "path", "min_amount_usd", "hop", "source", "target", "hop_amount_usd",
    "relationship_id", "deal", "kind", "amount_usd", "amount_note", "date", "evidence_title",
    "evidence_url", "supersedes", "expands", "superseded_by", "counted",
)


def cycles_csv(cycles: Iterable[dict]) -> str:
    """One row per deal on a hop: the cycle's rank and path, the hop (payer, payee, the amount
    that counts), then the deal as it reads with its amount, caveat, evidence and lineage
    (with ``--ordered``: the loop's start, span and deals in time order; with
    ``--economics``: what came back to the hop's source and per dollar it put in)."""
    cycles = list(cycles)
    ordered = any("order" in c for c in cycles)
    economics = any("economics" in c for c in cycles)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = list(CYCLES_CSV_COLUMNS)
    header += ["order_start", "order_span_days", "order_deal_ids"] if ordered else []
    header += ["source_came_back_usd", "source_back_per_dollar"] if economics else []
    writer.writerow(header)
    for rank, cycle in enumerate(cycles, 1):
        for i, hop in enumerate(cycle["hops"], 1):
            extra = []
            if ordered:
                order = cycle["order"]
                extra += [order["start"], order["span_days"], ";".join(order["deal_ids"])]
            if economics:
                e = cycle["economics"][i - 1]
                extra += [_cell(e["came_back_usd"]), _cell(e["back_per_dollar"])]
            for deal in hop["relationships"]:
                writer.writerow([
                    rank, cycle_path(cycle), _cell(cycle["min_amount_usd"]), i, hop["source"], hop["target"],
                    _cell(hop["amount_usd"]), deal["id"], deal_reads(deal), deal["kind"],
                    _cell(deal["amount_usd"]), _cell(deal.get("amount_note")), _cell(deal.get("date")),
                    _cell(deal.get("evidence_title")), _cell(deal.get("evidence_url")),
                    _cell(deal.get("supersedes")), _cell(deal.get("expands")),
                    ";".join(deal.get("superseded_by") or ()), "no" if deal.get("superseded_by") else "yes",
                    *extra,
                ])
    return out.getvalue()


def format_cycles(cycles: Sequence[dict], fmt: str, names: dict[str, str] | None = None) -> str:
    if fmt == "json":
        return rows_json(list(cycles))
    if fmt == "csv":
        return cycles_csv(cycles).rstrip("\n")
    return cycles_table(cycles, names)


def dataset_counts(dataset) -> str:
    """``80 entities, 139 relationships and 34 figures`` (``2 entities and 2 relationships``
    when there are no figures)."""
    return load_counts(len(dataset.entities), len(dataset.relationships), len(dataset.figures))


def load_counts(entities: int, relationships: int, figures: int = 0) -> str:
    """The counts of :func:`dataset_counts`, given as numbers (what a load returns)."""
    counts = f"{entities} entities"
    if figures:
        return f"{counts}, {relationships} relationships and {figures} figures"
    return f"{counts} and {relationships} relationships"


def stats_table(stats: dict[str, dict[str, int]]) -> str:
    lines = []
    for section in ("entities", "relationships", "figures"):
        if section not in stats:
            continue
        counts = stats[section]
        lines.append(f"{section}: {sum(counts.values())}")
        lines += [f"  {kind:<16} {n}" for kind, n in counts.items()]
    return "\n".join(lines)


def stress_table(result: dict, names: dict[str, str] | None = None) -> str:
    """A stress test for reading: each hit entity's loss and the way the shock came."""
    names = names or {}
    failed = ", ".join(names.get(f, f) for f in result["failed"])
    lines = [f"Failure of {failed}: DebtRank {result['debtrank']:.3f} "
             "(share of the exposures' value lost beyond the failure itself)"]
    hit = [row for row in result["entities"] if row["round"] > 0]
    if not hit:
        lines.append("No other entity is exposed to it through a deal of known amount.")
    for row in hit:
        path = " → ".join(names.get(n, n) for n in row["path"])
        buffer = f"{usd(row['buffer_usd'])} {row['buffer_from']} buffer"
        lines.append(f"{row['loss'] * 100:6.1f}%  {names.get(row['entity'], row['entity'])}"
                     f"  lost {usd(row['loss_usd'])} of {buffer}, round {row['round']}: {path}")
    if result["unknown_exposures"]:
        lines.append(f"{result['unknown_exposures']} exposure deal(s) of unknown amount were left out.")
    return "\n".join(lines)


def stress_csv(result: dict) -> str:
    """One row per entity with a loss (the failed ones first); the path joined by '>'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["entity", "loss", "loss_usd", "buffer_usd", "buffer_from", "round", "path"])
    for row in result["entities"]:
        writer.writerow([row["entity"], _cell(row["loss"]), _cell(row["loss_usd"]), _cell(row["buffer_usd"]),
                         row["buffer_from"], row["round"], ">".join(row["path"])])
    return out.getvalue()


def format_stress(result: dict, fmt: str, names: dict[str, str] | None = None) -> str:
    if fmt == "json":
        return rows_json(result)
    if fmt == "csv":
        return stress_csv(result).rstrip("\n")
    return stress_table(result, names)
