"""Plain-text, JSON and CSV renderings of query results and cycles for the terminal.

Everything here takes plain data (lists of dicts, the loop shape of `dealgraph cycles --format json`) and returns a
string, so the CLI only has to print it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Sequence

from dealgraph.model.lineage import not_counted_tally, split_marks
from dealgraph.model.records import schema
from dealgraph.model.values import usd, usd_by_basis, usd_on_basis

FORMATS = ("table", "json", "csv")


def csv_cell(value) -> str:
    """A raw value as a CSV cell: empty for None, whole floats without ``.0``, lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


#: Query columns that hold lists of deals (listed under their row in a table, not squeezed in).
DEAL_LIST_COLUMNS = ("financing", "purchases", "relationships")

#: Columns holding a fraction of a whole (0.468 reads 46.8%); a column named ``*_usd`` holds
#: dollars and ``*_pct`` a percentage already (46.8).
SHARE_COLUMNS = ("share",)


def table_cell(column: str, value) -> str:
    """One table cell, written by what its column means: dollars as :func:`usd`, shares and
    percentages as ``46.8%``, the HHI with thousands separators, lists as ``a, b``. JSON and
    CSV keep the raw value (:func:`csv_cell`).

    >>> table_cell("contract_usd", 35.2e9), table_cell("share", 0.46808510638297873), table_cell("top_share_pct", 67.0)
    ('$35.2B', '46.8%', '67%')
    >>> table_cell("hhi", 4489.0), table_cell("entities", ["amd", "nvidia"]), table_cell("share", None)
    ('4,489', 'amd, nvidia', '')
    >>> table_cell("customer_group", True), table_cell("customer_group", False)
    ('yes', 'no')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if column.endswith("_usd"):
            return usd(value)
        if column in SHARE_COLUMNS:
            return _percent(100.0 * value)
        if column.endswith("_pct"):
            return _percent(value)
        if column == "hhi":
            return f"{value:,.0f}"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(map(csv_cell, value))
    return csv_cell(value)


def _percent(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + "%"


def _wrap(text: str, width: int) -> list[str]:
    """A cell's lines: ``text`` wrapped at ``width`` (at spaces where it can), never cut."""
    import textwrap

    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def rows_table(rows: Sequence[dict], max_width: int = 60, names: dict[str, str] | None = None,
               list_deal=None) -> str:
    """Rows as an aligned text table, each cell written by its column's meaning
    (:func:`table_cell`); a cell longer than ``max_width`` wraps onto more lines, whole.

    Columns that list deals (:data:`DEAL_LIST_COLUMNS`) or hops are not cells: under each
    row, every deal is written out as it reads, with its caveats and evidence
    (``list_deal(deal, names)``, by default :func:`deal_lines`).
    """
    if not rows:
        return "(no rows)"
    write_deal = list_deal or deal_lines
    columns = [c for c in rows[0] if c not in DEAL_LIST_COLUMNS and c != "hops"]
    listed = [c for c in rows[0] if c not in columns]
    cells = [[_wrap(table_cell(c, row.get(c)), max_width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(part) for line in cells for part in line[i])) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row, line in zip(rows, cells):
        for k in range(max(len(parts) for parts in line)):
            parts = [p[k] if k < len(p) else "" for p in line]
            lines.append("  ".join(c.ljust(w) for c, w in zip(parts, widths)).rstrip())
        for column in listed:
            if column == "hops":
                for hop in row[column]:
                    lines.extend("  " + text for text in hop_lines(hop, names))
            else:
                lines.append(f"  {column}:")
                for deal in row[column]:
                    lines.extend("    " + text for text in write_deal(deal, names))
    return "\n".join(lines)


def rows_csv(rows: Sequence[dict]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]))
    writer.writerows([csv_cell(v) for v in row.values()] for row in rows)
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


def not_counted_words(superseded_by) -> str:
    """Why a listed deal does not count, from its ``superseded_by`` (model/lineage.py).

    >>> not_counted_words(["d3"]), not_counted_words(["d3", "status:talks"])
    ('superseded by d3', 'superseded by d3; status talks')
    """
    ids, statuses = split_marks(superseded_by)
    words = [f"superseded by {', '.join(ids)}"] if ids else []
    words += [f"status {status}" for status in statuses]
    return "; ".join(words)


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
    >>> deal.update(amount_basis="commitment", superseded_by=None)
    >>> deal_lines(deal, evidence=False)
    ['- nvidia invests in openai: $100B (commitment; up to; letter of intent), 2025-09-22']
    """
    # the amount on its basis when not plain cash ("$350M in stock", "~$40B (estimate)"),
    # the note inside the same parentheses when there are some
    amount = usd_on_basis(deal["amount_usd"], deal.get("amount_basis"), deal.get("amount_note"))
    line = f"- {deal_reads(deal, names)}: {amount}"
    if deal.get("date"):
        line += f", {deal['date']}"
    lineage = []
    if deal.get("supersedes"):
        lineage.append(f"supersedes {deal['supersedes']}")
    if deal.get("expands"):
        lineage.append(f"expands {deal['expands']}")
    if deal.get("superseded_by"):
        lineage.append(f"{not_counted_words(deal['superseded_by'])}, not counted")
    if lineage:
        line += "; " + "; ".join(lineage)
    lines = [line]
    if evidence and (deal.get("evidence_title") or deal.get("evidence_url")):
        title = f'"{deal["evidence_title"]}"' if deal.get("evidence_title") else ""
        lines.append(f"  {title} {deal.get('evidence_url') or ''}".rstrip())
    return lines


def hop_usd(hop: dict) -> str:
    """What a hop's deals that count add up to, on their bases ("$350M in stock", "$138B
    (contract total)", "$13.2B (incl. $11.9B contract total, $350M in stock)"): the hop's
    ``amount_usd`` as it reads.

    >>> hop_usd({"relationships": [{"amount_usd": 3.5e8, "amount_basis": "stock"},
    ...                             {"amount_usd": 9e9, "amount_basis": "cash", "superseded_by": ["x"]}]})
    '$350M in stock'
    """
    return usd_by_basis((d.get("amount_usd"), d.get("amount_basis"))
                        for d in hop["relationships"] if not d.get("superseded_by"))


def hop_heading(hop: dict, names: dict[str, str] | None = None) -> str:
    """Who gives whom what along a hop (its source to its target): "A pays B", or, when every
    deal on it that counts is a grant of equity (warrants, shares as consideration: schema
    ``grant``), "A grants B equity".

    >>> hop = {"source": "amd", "target": "openai", "relationships": [{"kind": "owns_warrant_in"}]}
    >>> hop_heading(hop, {"amd": "AMD", "openai": "OpenAI"})
    'AMD grants OpenAI equity'
    >>> hop_heading(dict(hop, relationships=[{"kind": "owns_warrant_in"}, {"kind": "lends_to"}]), {})
    'amd pays openai'
    """
    names = names or {}
    grants = set(schema().kinds_with("grant"))
    counted = [d for d in hop["relationships"] if not d.get("superseded_by")] or hop["relationships"]
    source, target = names.get(hop["source"], hop["source"]), names.get(hop["target"], hop["target"])
    if counted and all(d["kind"] in grants for d in counted):
        return f"{source} grants {target} equity"
    return f"{source} pays {target}"


def hop_lines(hop: dict, names: dict[str, str] | None = None, evidence: bool = True) -> list[str]:
    """A hop: who pays whom and how much in all, then each of its deals as it reads."""
    names = names or {}
    deals = hop["relationships"]
    counted = [d for d in deals if not d.get("superseded_by")]
    count = f"{len(counted)} deal{'s' if len(counted) != 1 else ''}"
    if len(counted) < len(deals):
        # how many and why: "+1 superseded", "+1 in talks", "+1 superseded, 1 terminated"
        count += f" (+{not_counted_tally(d.get('superseded_by') for d in deals)}, not counted)"
    amount = hop_usd(hop)  # on its basis: "$300B (contract total)", "~$40B (estimate)"
    size = ""
    if hop.get("size_basis") in ("estimate", "low end") and sized(hop["size_usd"], hop["size_basis"]) != amount:
        size = f"; size {sized(hop['size_usd'], hop['size_basis'])}"
    lines = [f"{hop_heading(hop, names)}: {amount} in {count}{size}"]
    for deal in deals:
        lines.extend("  " + text for text in deal_lines(deal, names, evidence))
    return lines


def sized(amount: float | None, basis: str | None) -> str:
    """A size as it reads with its basis (see :func:`dealgraph.analyses.cycles.size_loops`).

    >>> sized(3.4e10, "estimate"), sized(2e10, "low end"), sized(5e9, "stated")
    ('~$34B (estimate)', 'at least $20B (low end of a range)', '$5B')
    """
    if basis == "estimate":
        return f"~{usd(amount)} (estimate)"
    if basis == "low end":
        return f"at least {usd(amount)} (low end of a range)"
    return usd(amount)


def loop_money(cycle: dict) -> str:
    """What can go round: the smallest hop, or what is known when some hops are not; with
    sizes (``dealgraph cycles``), estimates and low ends are used and said.

    >>> loop_money({"min_amount_usd": None, "hops": [{"amount_usd": 5e9}, {"amount_usd": None}]})
    '? (smallest known hop $5B, 1 hop of unknown size)'
    >>> loop_money({"min_amount_usd": None, "size_usd": 3.4e10, "size_basis": "estimate", "hops": []})
    'smallest hop ~$34B (estimate)'
    """
    if "size_usd" in cycle:
        if cycle["size_usd"] is not None:
            if cycle["size_basis"] == "stated":
                return usd(cycle["size_usd"])
            return f"smallest hop {sized(cycle['size_usd'], cycle['size_basis'])}"
        known = [h for h in cycle["hops"] if h["size_usd"] is not None]
        unknown = len(cycle["hops"]) - len(known)
        if not known:
            return "? (no hop amount known)"
        least = min(known, key=lambda h: (h["size_usd"], h["size_basis"] != "stated"))
        return (f"? (smallest known hop {sized(least['size_usd'], least['size_basis'])}, "
                f"{unknown} hop{'s' if unknown != 1 else ''} of unknown size)")
    if cycle["min_amount_usd"] is not None:
        return usd(cycle["min_amount_usd"])
    hops = cycle["hops"]
    known = [h["amount_usd"] for h in hops if h["amount_usd"] is not None]
    unknown = len(hops) - len(known)
    if not known:
        return "? (no hop amount known)"
    return f"? (smallest known hop {usd(min(known))}, {unknown} hop{'s' if unknown != 1 else ''} of unknown size)"


def unsized_lines(cycle: dict, names: dict[str, str] | None = None) -> list[str]:
    """One line per hop of a loop with no size: which hop, and why.

    >>> unsized_lines({"unsized_hops": [{"hop": 0, "source": "nvidia", "target": "coreweave",
    ...                                  "why": "no amount in its source (d1)"}]}, {"nvidia": "Nvidia"})
    ['unknown: Nvidia → coreweave: no amount in its source (d1)']
    """
    names = names or {}
    return [f"unknown: {names.get(h['source'], h['source'])} → {names.get(h['target'], h['target'])}: {h['why']}"
            for h in cycle.get("unsized_hops") or ()]


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
        lines.extend("   " + text for text in unsized_lines(cycle, names))
        if cycle.get("order"):
            order = cycle["order"]
            lines.append(f"   in time order from {names.get(order['start'], order['start'])}, over at least "
                         f"{order['span_days']} day(s): {', '.join(order['deal_ids'])}")
        hops = cycle["hops"]
        for i, row in enumerate(cycle.get("economics") or ()):  # in loop order: its hop out is hops[i]
            ratio = "?" if row["back_per_dollar"] is None else f"{row['back_per_dollar']:.2f}"
            lines.append(f"   {names.get(row['entity'], row['entity'])} put in {hop_usd(hops[i])}, "
                         f"got back {hop_usd(hops[i - 1])} ({ratio} per dollar)")
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
        lines.extend("       " + text for text in unsized_lines(cycle, names))
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
    ``--economics``: what came back to the hop's source and per dollar it put in; then the
    loop's and the hop's sizes, estimates included, and why a hop has none)."""
    cycles = list(cycles)
    ordered = any("order" in c for c in cycles)
    economics = any("economics" in c for c in cycles)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = list(CYCLES_CSV_COLUMNS)
    header += ["order_start", "order_span_days", "order_deal_ids"] if ordered else []
    header += ["source_came_back_usd", "source_back_per_dollar"] if economics else []
    sizes = any("size_usd" in c for c in cycles)
    header += ["size_usd", "size_basis", "hop_size_usd", "hop_size_basis", "hop_unknown_why"] if sizes else []
    writer.writerow(header)
    for rank, cycle in enumerate(cycles, 1):
        for i, hop in enumerate(cycle["hops"], 1):
            extra = []
            if ordered:
                order = cycle["order"]
                extra += [order["start"], order["span_days"], ";".join(order["deal_ids"])]
            if economics:
                e = cycle["economics"][i - 1]
                extra += [csv_cell(e["came_back_usd"]), csv_cell(e["back_per_dollar"])]
            if sizes:
                h = cycle["hops"][i - 1]
                extra += [csv_cell(cycle["size_usd"]), csv_cell(cycle["size_basis"]), csv_cell(h["size_usd"]),
                          csv_cell(h["size_basis"]), csv_cell(h["unknown_why"])]
            for deal in hop["relationships"]:
                writer.writerow([
                    rank, cycle_path(cycle), csv_cell(cycle["min_amount_usd"]), i, hop["source"], hop["target"],
                    csv_cell(hop["amount_usd"]), deal["id"], deal_reads(deal), deal["kind"],
                    csv_cell(deal["amount_usd"]), csv_cell(deal.get("amount_note")), csv_cell(deal.get("date")),
                    csv_cell(deal.get("evidence_title")), csv_cell(deal.get("evidence_url")),
                    csv_cell(deal.get("supersedes")), csv_cell(deal.get("expands")),
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
    """``116 entities, 219 relationships and 126 figures`` (``2 entities and 2 relationships``
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
    sections = [s for s in ("entities", "relationships", "figures") if s in stats]
    # One column for the counts of every section, as wide as the longest kind needs, the
    # counts right-aligned in it (units under units).
    width = max((len(kind) for s in sections for kind in stats[s]), default=0)
    digits = max((len(str(n)) for s in sections for n in stats[s].values()), default=0)
    for section in sections:
        counts = stats[section]
        lines.append(f"{section}: {sum(counts.values())}")
        lines += [f"  {kind:<{width}}  {n:>{digits}}" for kind, n in counts.items()]
    return "\n".join(lines)


def stress_loss(row: dict) -> str:
    """How one hit entity's loss reads: against its equity, an assumed buffer, or, with no
    equity figure, the exposure it lost, not scored.

    >>> stress_loss({"loss": None, "loss_usd": 5e8, "buffer_usd": None, "buffer_from": "none", "cash_usd": None})
    'no equity figure: loss $500M of exposure, not scored'
    >>> stress_loss({"loss": 0.1, "loss_usd": 3e10, "buffer_usd": 3e11, "buffer_from": "equity", "cash_usd": 8e10})
    'lost $30B of $300B equity (cash $80B)'

    A loss capped at the buffer says what was at stake, which the buffer could not cover:

    >>> stress_loss({"loss": 1.0, "loss_usd": 3.2e9, "buffer_usd": 3.2e9, "buffer_from": "equity",
    ...              "cash_usd": None, "at_stake_usd": 1.5e10})
    'lost $3.2B of $3.2B equity ($15B at stake)'
    """
    notes = []
    if row["loss"] is None:
        text = f"no equity figure: loss {usd(row['loss_usd'])} of exposure, not scored"
    else:
        buffer = "assumed buffer" if row["buffer_from"] == "assumed" else "equity"
        text = f"lost {usd(row['loss_usd'])} of {usd(row['buffer_usd'])} {buffer}"
        stake = row.get("at_stake_usd")
        if stake is not None and row["loss_usd"] is not None and stake > row["loss_usd"] * (1 + 1e-9):
            notes.append(f"{usd(stake)} at stake")
    if row.get("cash_usd") is not None:
        notes.append(f"cash {usd(row['cash_usd'])}")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def stress_table(result: dict, names: dict[str, str] | None = None) -> str:
    """A stress test for reading: each hit entity's loss and the way the shock came."""
    names = names or {}
    failed = ", ".join(names.get(f, f) for f in result["failed"])
    lines = [f"Failure of {failed}: DebtRank {result['debtrank']:.3f} "
             "(share of the exposures' value lost beyond the failure itself, by the scored entities)"]
    hit = [row for row in result["entities"] if row["round"] > 0]
    if not hit:
        lines.append("No other entity is exposed to it through a deal of known amount.")
    for row in hit:
        path = " → ".join(names.get(n, n) for n in row["path"])
        share = "     —" if row["loss"] is None else f"{row['loss'] * 100:5.1f}%"
        lines.append(f"{share}  {names.get(row['entity'], row['entity'])}"
                     f"  {stress_loss(row)}, round {row['round']}: {path}")
    if result.get("unscored"):
        lines.append(f"{result['unscored']} entit{'y' if result['unscored'] == 1 else 'ies'} hit with no equity figure: "
                     "not scored, and the shock does not travel on through them.")
    if result.get("default_buffer") is not None:
        lines.append(f"An assumed buffer is {result['default_buffer']:g} × the entity's total known exposure "
                     "(--default-buffer), for entities with no equity figure.")
    if result["unknown_exposures"]:
        lines.append(f"{result['unknown_exposures']} exposure deal(s) of unknown amount were left out.")
    return "\n".join(lines)


def stress_csv(result: dict) -> str:
    """One row per entity with a loss (the failed ones first); the path joined by '>'; an
    entity not scored has an empty loss and its lost exposure in loss_usd."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["entity", "loss", "loss_usd", "buffer_usd", "buffer_from", "scored", "exposure_usd", "cash_usd",
                     "at_stake_usd", "round", "path"])
    for row in result["entities"]:
        writer.writerow([row["entity"], csv_cell(row["loss"]), csv_cell(row["loss_usd"]), csv_cell(row["buffer_usd"]),
                         row["buffer_from"], "yes" if row["scored"] else "no", csv_cell(row["exposure_usd"]),
                         csv_cell(row["cash_usd"]), csv_cell(row["at_stake_usd"]), row["round"], ">".join(row["path"])])
    return out.getvalue()


def format_stress(result: dict, fmt: str, names: dict[str, str] | None = None) -> str:
    if fmt == "json":
        return rows_json(result)
    if fmt == "csv":
        return stress_csv(result).rstrip("\n")
    return stress_table(result, names)
