"""Plain-text, JSON and CSV renderings of query results and cycles for the terminal.

Everything here takes plain data (lists of dicts, the DESIGN.md cycle shape) and returns a
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


def rows_table(rows: Sequence[dict], max_width: int = 60) -> str:
    """Rows as an aligned text table; long cells are cut with an ellipsis."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in line] for line in cells]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
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


def format_rows(rows: Sequence[dict], fmt: str) -> str:
    """Query rows in one of :data:`FORMATS`."""
    return {"table": rows_table, "json": rows_json, "csv": rows_csv}[fmt](rows).rstrip("\n")


def cycle_path(cycle: dict) -> str:
    """``nvidia → coreweave → nvidia``."""
    nodes = cycle["nodes"]
    return " → ".join([*nodes, nodes[0]])


def cycles_table(cycles: Sequence[dict], names: dict[str, str] | None = None, evidence: bool = True) -> str:
    """Cycles for reading in a terminal: the loop, the money that can go round, each hop's deals."""
    if not cycles:
        return "No money-flow loops found."
    names = names or {}
    lines = []
    for rank, cycle in enumerate(cycles, 1):
        loop = " → ".join(names.get(n, n) for n in [*cycle["nodes"], cycle["nodes"][0]])
        lines.append(f"{rank}. {loop}")
        lines.append(f"   money that can go all the way round: {usd(cycle['min_amount_usd'])}")
        if cycle.get("order"):
            order = cycle["order"]
            lines.append(f"   in time order from {names.get(order['start'], order['start'])}, over at least "
                         f"{order['span_days']} day(s): {', '.join(order['deal_ids'])}")
        for row in cycle.get("economics") or ():
            ratio = "?" if row["back_per_dollar"] is None else f"{row['back_per_dollar']:.2f}"
            lines.append(f"   {names.get(row['entity'], row['entity'])} put in {usd(row['put_in_usd'])}, "
                         f"got back {usd(row['came_back_usd'])} ({ratio} per dollar)")
        for hop in cycle["hops"]:
            lines.append(
                f"   {names.get(hop['source'], hop['source'])} → {names.get(hop['target'], hop['target'])}"
                f"  {usd(hop['amount_usd'])} in {len(hop['relationships'])} deal(s)"
            )
            if evidence:
                for deal in hop["relationships"]:
                    when = f" {deal['date']}" if deal.get("date") else ""
                    lines.append(
                        f"     - {deal['kind']} {usd(deal['amount_usd'])}{when}  {deal.get('evidence_url') or ''}".rstrip()
                    )
        lines.append("")
    return "\n".join(lines).rstrip()


def cycles_summary(cycles: Sequence[dict], names: dict[str, str] | None = None) -> str:
    """One line per loop: rank, the loop, the money that can go round, the known hops."""
    names = names or {}
    lines = []
    for rank, cycle in enumerate(cycles, 1):
        loop = " → ".join(names.get(n, n) for n in [*cycle["nodes"], cycle["nodes"][0]])
        hops = cycle["hops"]
        known = [h["amount_usd"] for h in hops if h["amount_usd"] is not None]
        if cycle["min_amount_usd"] is not None:
            money = usd(cycle["min_amount_usd"])
        elif known:
            money = f"? ({len(hops) - len(known)} of {len(hops)} hops unknown; known ≥ {usd(min(known))})"
        else:
            money = "? (no hop amount known)"
        lines.append(f"{rank:>3}. {loop}   {money}")
    return "\n".join(lines)


def cycles_csv(cycles: Iterable[dict]) -> str:
    """One row per hop: the cycle's rank and path, the hop, its amount and deal ids (with
    ``--ordered``: the loop's start, span and deals in time order; with ``--economics``:
    what came back to the hop's source and per dollar it put in)."""
    cycles = list(cycles)
    ordered = any("order" in c for c in cycles)
    economics = any("economics" in c for c in cycles)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["cycle", "path", "min_amount_usd", "hop", "source", "target", "amount_usd", "relationship_ids"]
    header += ["order_start", "order_span_days", "order_deal_ids"] if ordered else []
    header += ["source_came_back_usd", "source_back_per_dollar"] if economics else []
    writer.writerow(header)
    for rank, cycle in enumerate(cycles, 1):
        for i, hop in enumerate(cycle["hops"], 1):
            row = [
                rank, cycle_path(cycle), _cell(cycle["min_amount_usd"]), i, hop["source"], hop["target"],
                _cell(hop["amount_usd"]), ";".join(d["id"] for d in hop["relationships"]),
            ]
            if ordered:
                order = cycle["order"]
                row += [order["start"], order["span_days"], ";".join(order["deal_ids"])]
            if economics:
                e = cycle["economics"][i - 1]
                row += [_cell(e["came_back_usd"]), _cell(e["back_per_dollar"])]
            writer.writerow(row)
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
