"""Text, JSON and CSV renderings of entity profiles (``show``) and concentration rankings.

Like :mod:`dealgraph.output.text`, everything takes plain data and returns a string.
"""

from __future__ import annotations

import csv
import io
from typing import Sequence

from dealgraph.model.records import schema
from dealgraph.model.values import usd_by_basis, usd_on_basis
from dealgraph.output.text import format_rows, not_counted_words, rows_json, usd


def pct(value: float | None) -> str:
    """``67%``, ``70.5%``; ``?`` when unknown.

    >>> pct(67.0), pct(70.54), pct(None)
    ('67%', '70.5%', '?')
    """
    if value is None:
        return "?"
    return f"{value:.1f}".removesuffix(".0") + "%"


def figure_value(figure: dict) -> str:
    """A figure's value as read: ``$1.9B`` or ``62%``."""
    return pct(figure["percent"]) if figure["percent"] is not None else usd(figure["amount_usd"])


def figure_time(figure: dict) -> str:
    """``2025-Q2``, ``as of 2025-06-30``, or ``2026 (as of 2026-03)``."""
    if figure["period"] and figure["as_of"]:
        return f"{figure['period']} (as of {figure['as_of']})"
    return figure["period"] or f"as of {figure['as_of']}"


def evidence(item: dict) -> str:
    """The evidence title and URL, whichever are known."""
    return "  ".join(x for x in (item.get("evidence_title"), item.get("evidence_url")) if x)


def loop_money(cycle: dict) -> str:
    """The money that can go round a loop, or what is known when a hop's size is not.

    >>> loop_money({"min_amount_usd": None, "hops": [{"amount_usd": 2e9}, {"amount_usd": None}]})
    'smallest known hop $2B, 1 hop of unknown size'
    """
    if cycle["min_amount_usd"] is not None:
        return usd(cycle["min_amount_usd"])
    known = [h["amount_usd"] for h in cycle["hops"] if h["amount_usd"] is not None]
    unknown = len(cycle["hops"]) - len(known)
    sizes = f"{unknown} hop{'s' if unknown != 1 else ''} of unknown size"
    return f"smallest known hop {usd(min(known))}, {sizes}" if known else f"{sizes} (no hop amount known)"


def figure_line(figure: dict, with_entity: bool = False) -> str:
    label = schema().figure_kind(figure["kind"]).label
    whom = f" ({figure['counterparty_name']})" if figure.get("counterparty_name") else ""
    subject = f"{figure['entity_name']}: " if with_entity else ""
    note = f" - {figure['note']}" if figure.get("note") else ""
    return f"{subject}{label}{whom} {figure_time(figure)}: {figure_value(figure)}{note}"


# --------------------------------------------------------------------------- concentration


def group_words(row: dict, prefix: str = "top_customer") -> str:
    """``group of 5`` (or ``a group``) for a counterparty that is a group; else empty.

    >>> group_words({"top_customer_group": True, "top_customer_members": 5}), group_words({"top_customer_group": False})
    ('group of 5', '')
    """
    if not row.get(f"{prefix}_group"):
        return ""
    n = row.get(f"{prefix}_members") or 0
    return f"group of {n}" if n else "a group"


def hhi_words(row: dict) -> str:
    """The HHI as read, or why there is none (a group's share is no one customer's)."""
    return f"{row['hhi']:,.0f}" if row["hhi"] is not None else "none (a group's share)"


def concentration_table(rows: Sequence[dict]) -> str:
    shown = [
        {
            "rank": n, "entity": r["name"],
            "top customer": r["top_customer_name"] + (f" ({group_words(r)})" if group_words(r) else ""),
            "top share": pct(r["top_share_pct"]), "HHI": hhi_words(r),
            "customers": r["customers"], "basis": r["basis"], "period": r["period"] or "",
        }
        for n, r in enumerate(rows, 1)
    ]
    return format_rows(shown, "table")


def format_concentration(rows: Sequence[dict], fmt: str) -> str:
    if fmt == "table":
        if not rows:
            return "No entity has known customers."
        return concentration_table(rows)
    return format_rows(list(rows), fmt)


# --------------------------------------------------------------------------- profile


def profile_table(profile: dict, names: dict[str, str] | None = None, loops: int = 10) -> str:
    """The profile for reading in a terminal, section by section."""
    e = profile["entity"]
    names = names or {}
    extra = ", ".join(x for x in (e["kind"], e.get("ticker"), e.get("country")) if x)
    lines = [f"{e['name']} ({e['id']}; {extra})"]
    if e["aliases"]:
        lines.append(f"also known as: {', '.join(e['aliases'])}")

    lines += ["", "Figures over time:"]
    if not profile["figures"]:
        lines.append("  (none in the store)")
    for f in profile["figures"]:
        lines.append(f"  {figure_line(f)}")
        if evidence(f):
            lines.append(f"      {evidence(f)}")
    if profile["figures_as_counterparty"]:
        lines += ["", f"Figures of others about {e['name']}:"]
        for f in profile["figures_as_counterparty"]:
            lines.append(f"  {figure_line(f, with_entity=True)}")

    for direction, title in (("out", "Deals it makes"), ("in", "Deals made with it")):
        lines += ["", f"{title}:"]
        by_kind = profile["deals"][direction]
        if not by_kind:
            lines.append("  (none)")
        for kind, group in by_kind.items():
            # the total and each amount on its basis when not plain cash ("$350M in stock")
            total = usd_by_basis((d["amount_usd"], d.get("amount_basis")) for d in group["deals"]
                                 if not d["superseded_by"]) if group["known_usd"] is not None else usd(None)
            lines.append(f"  {kind} ({len(group['deals'])}, known total {total}):")
            for d in group["deals"]:
                when = f" {d['date']}" if d["date"] else ""
                amount = usd_on_basis(d["amount_usd"], d.get("amount_basis"), d.get("amount_note"))
                replaced = f"  [{not_counted_words(d['superseded_by'])}]" if d["superseded_by"] else ""
                lines.append(f"    {d['reads']}  {amount}{when}{replaced}")
                if evidence(d):
                    lines.append(f"      {evidence(d)}")

    lines += ["", f"Money loops through it ({len(profile['loops'])}):"]
    if not profile["loops"]:
        lines.append("  (none)")
    for n, c in enumerate(profile["loops"][:loops], 1):
        path = " → ".join(names.get(x, x) for x in [*c["nodes"], c["nodes"][0]])
        lines.append(f"  {n}. {path}   {loop_money(c)}")
    if len(profile["loops"]) > loops:
        lines.append(f"  ... and {len(profile['loops']) - loops} more (dealgraph cycles --through {e['id']})")

    lines += ["", "Customer concentration:"]
    c = profile["customer_concentration"]
    if c is None:
        # on contract values it needs two customers of known amount (the query's minCustomers)
        known = sum(row["contract_usd"] is not None for row in profile["customers"])
        lines.append("  (one customer with a known contract value: no concentration measure)" if known == 1
                     else "  (no customer with a known contract value)" if profile["customers"]
                     else "  (no known customers)")
    else:
        group = group_words(c)
        whom = f"{c['top_customer_name']} ({group}, not one customer)" if group else c["top_customer_name"]
        hhi = f"HHI {c['hhi']:,.0f}" if c["hhi"] is not None else "no HHI (a group's share is not one customer's)"
        lines.append(
            f"  top customer {whom} {pct(c['top_share_pct'])}, {hhi} "
            f"({c['basis']}{', ' + c['period'] if c['period'] else ''}; {c['customers']} customer(s))"
        )
        if c["evidence_title"] or c["evidence_url"]:
            lines.append(f"      {evidence(c)}")
    if profile["customers"]:
        lines.append("  known contract values by customer:")
        for row in profile["customers"]:
            share = f" = {pct(100 * row['share'])} of known" if row["share"] is not None else ""
            lines.append(f"    {row['customer_name']}  {usd(row['contract_usd'])} in {row['deals']} deal(s){share}")

    lines += ["", "Lender concentration:"]
    lc = profile["lender_concentration"]
    if lc is None:
        lines.append("  (no known loan amounts)")
    else:
        lines.append(
            f"  top lender {lc['top_lender_name']} {pct(lc['top_share_pct'])} of {usd(lc['known_usd'])} "
            f"known, HHI {lc['hhi']:,.0f} ({lc['basis']}; {len(lc['lenders'])} lender(s))"
        )
        for row in lc["lenders"]:
            lines.append(f"    {row['lender_name']}  {usd(row['total_usd'])} = {pct(row['share_pct'])}")
            if row.get("members"):
                lines.append(f"      members: {member_list(row['members'])}")
        inst = lc.get("institutions")
        if inst is not None:
            lines.append(
                f"  per institution (every member's share known): top lender {inst['top_lender_name']} "
                f"{pct(inst['top_share_pct'])}, HHI {inst['hhi']:,.0f}"
            )
            for row in inst["lenders"]:
                lines.append(f"    {row['lender_name']}  {usd(row['total_usd'])} = {pct(row['share_pct'])}")

    ts = profile.get("through_syndicates")
    if ts is not None:
        lines += ["", f"Through syndicates ({len(ts['syndicates'])}):"]
        for g in ts["syndicates"]:
            share = f"its share {usd(g['share_usd'])}" if g["share_usd"] is not None else "share not disclosed"
            if g["share_usd"] is None and g.get("share_high") is not None:
                share += f" (up to {usd(g['share_high'])})"
            lines.append(f"  {g['syndicate_name']}: {share}")
            if not g["deals"]:
                lines.append("    (no counted deals of its own)")
            for d in g["deals"]:
                when = f" {d['date']}" if d["date"] else ""
                aside = "" if d["funding"] else "  (neither lends nor invests: not in the total)"
                lines.append(f"    {d['kind']} {d['counterparty_name']}  {usd(d['amount_usd'])}{when}{aside}")
        undisclosed = ts["shares_not_disclosed"]
        lent = ts["syndicates_known_usd"]
        own = ts["own_known_usd"]
        lines.append(
            f"  these syndicates lent or invested {usd(lent) + ' known' if lent is not None else 'no known amount'}"
            f" (theirs, not {e['name']}'s own); {e['name']}'s own known part "
            f"{usd(own) if own is not None else 'not known'}"
            + (f" (share not disclosed in {undisclosed} of {len(ts['syndicates'])})" if undisclosed else "")
        )
    return "\n".join(lines)


def member_list(members: list[dict]) -> str:
    """``A $1B, B (share not disclosed)``.

    >>> member_list([{"member_name": "A", "share_usd": 1e9}, {"member_name": "B", "share_usd": None}])
    'A $1B, B (share not disclosed)'
    """
    return ", ".join(
        f"{m['member_name']} {usd(m['share_usd'])}" if m["share_usd"] is not None else f"{m['member_name']} (share not disclosed)"
        for m in members
    )


PROFILE_CSV_COLUMNS = (
    "section", "kind", "counterparty", "amount_usd", "percent", "period", "date", "note",
    "evidence_title", "evidence_url", "id",
)


def profile_csv(profile: dict) -> str:
    """One row per figure, deal, loop and concentration measure, with a ``section`` column."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PROFILE_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()

    def row(**values) -> None:
        writer.writerow({k: ("" if values.get(k) is None else _cell(values.get(k))) for k in PROFILE_CSV_COLUMNS})

    for section, figures in (("figure", profile["figures"]), ("figure_as_counterparty", profile["figures_as_counterparty"])):
        for f in figures:
            row(section=section, kind=f["kind"],
                counterparty=f["counterparty"] if section == "figure" else f["entity"],
                amount_usd=f["amount_usd"], percent=f["percent"], period=f["period"], date=f["as_of"],
                note=f["note"], evidence_title=f["evidence_title"], evidence_url=f["evidence_url"], id=f["id"])
    for direction in ("out", "in"):
        for kind, group in profile["deals"][direction].items():
            for d in group["deals"]:
                row(section=f"deal_{direction}", kind=kind, counterparty=d["counterparty"],
                    amount_usd=d["amount_usd"], date=d["date"], note=d["amount_note"],
                    evidence_title=d["evidence_title"], evidence_url=d["evidence_url"], id=d["id"])
    for c in profile["loops"]:
        row(section="loop", kind=" → ".join([*c["nodes"], c["nodes"][0]]), amount_usd=c["min_amount_usd"])
    c = profile["customer_concentration"]
    if c is not None:
        row(section="customer_concentration", kind=c["basis"], counterparty=c["top_customer"],
            percent=c["top_share_pct"], period=c["period"],
            note=f"HHI {c['hhi']}" if c["hhi"] is not None else f"{group_words(c)}; no HHI",
            evidence_title=c["evidence_title"], evidence_url=c["evidence_url"])
    lc = profile["lender_concentration"]
    if lc is not None:
        row(section="lender_concentration", kind=lc["basis"], counterparty=lc["top_lender"],
            amount_usd=lc["known_usd"], percent=lc["top_share_pct"], note=f"HHI {lc['hhi']}")
    ts = profile.get("through_syndicates")
    for g in (ts or {}).get("syndicates", ()):
        row(section="through_syndicate", kind="member_of", counterparty=g["syndicate"], amount_usd=g["share_usd"],
            note="share not disclosed" if g["share_usd"] is None else "own share", id=g["membership"])
        for d in g["deals"]:
            row(section="syndicate_deal", kind=d["kind"], counterparty=d["counterparty"], amount_usd=d["amount_usd"],
                date=d["date"], note=f"by {g['syndicate']} (not the member's own)", id=d["id"])
    return out.getvalue()


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_profile(profile: dict, fmt: str, names: dict[str, str] | None = None) -> str:
    if fmt == "json":
        return rows_json(profile)
    if fmt == "csv":
        return profile_csv(profile).rstrip("\n")
    return profile_table(profile, names)


# --------------------------------------------------------------------------- the demo's story


def story_text(story: dict, names: dict[str, str] | None = None) -> str:
    """The demo's "what stands out" section: short lines, every number from ``story``."""
    names = names or {}
    subject = story["subject_name"]
    lines = []
    for party in story["entangled"]:
        roles = [r["role"] for r in party["roles"]]
        joined = ", ".join(roles[:-1]) + f" and {roles[-1]}" if len(roles) > 1 else roles[0]
        lines.append(f"- {party['name']} is {subject}'s {joined}:")
        for r in party["roles"]:
            # on its basis when not plain cash: "$350M in stock" (model/values.py)
            amount = (usd_by_basis(r.get("known_by_basis") or [(r["known_usd"], None)])
                      if r["known_usd"] is not None else "amount not reported")
            lines.append(f"    as {r['role']}: {amount} in {len(r['deals'])} deal(s)")

    share = story["customer_share"]
    if share is not None:
        trail = " → ".join(f"{pct(h['percent'])} ({h['period']})" for h in share["history"])
        lines.append(f"- {share['customer_name']}'s share of {subject}'s revenue, as stated: {trail}.")
        if share["share_by_known_contracts_pct"] is not None:
            lines.append(
                f"    Counting only the contracts on record it would look like "
                f"{pct(share['share_by_known_contracts_pct'])}: headline contract values are not revenue."
            )
        last = share["history"][-1]
        if evidence(last):
            lines.append(f"    {evidence(last)}")

    ob = story["obligations"]
    if ob is not None:
        rev = ob["revenue"]
        lines.append(f"- Against {subject}'s {rev['period']} revenue of {usd(rev['amount_usd'])}:")
        for f in ob["against_revenue"]:
            label = schema().figure_kind(f["kind"]).label.lower()
            times = f" = {f['times_revenue']:.1f}× revenue" if f["times_revenue"] is not None else ""
            note = f" ({f['note']})" if f.get("note") else ""
            lines.append(f"    {label} {usd(f['amount_usd'])} {figure_time(f)}{times}{note}")

    if story["largest_loops"]:
        lines.append("- The largest loops by the money that can go all the way round:")
        for c in story["largest_loops"]:
            path = " → ".join(names.get(n, n) for n in [*c["nodes"], c["nodes"][0]])
            lines.append(f"    {usd(c['min_amount_usd'])}  {path}")
    if story["most_concentrated"]:
        lines.append("- The most concentrated customer bases:")
        for r in story["most_concentrated"]:
            period = f", {r['period']}" if r["period"] else ""
            lines.append(
                f"    {r['name']}: {r['top_customer_name']}{' (' + group_words(r) + ')' if group_words(r) else ''} "
                f"{pct(r['top_share_pct'])}, HHI {hhi_words(r)} ({r['basis']}{period})"
            )
    return "\n".join(lines)
