"""The one-loop graphic: one money loop alone, drawn large for sharing, as an SVG built here.

The loop's entities stand in a column in the loop's order (its first entity at the top,
as ``dealgraph cycles`` lists it); an arrow runs down from each entity to the next in the
direction money moves, and the last hop's arrow runs back up the left side to the first
entity. Beside each arrow: the hop's amount in large type (its size by the rule of
:func:`dealgraph.analyses.cycles.size_loops`: estimates and low ends said), who pays whom,
and each of the hop's deals with its date and its source (the evidence's host and
headline). Above: a title naming the loop's entities and what can go all the way round;
below: the date the data runs to (the store's latest deal date, never today's date, so the
same store gives the same file).

The same function draws it for ``dealgraph loop N`` and for the cycles view's "Loop
graphic" button (the page embeds each loop's SVG), so both give the same file.

Every piece of text comes from data and is XML-escaped (control characters dropped): a
name like ``<img src=x onerror=...>`` is drawn as those characters, never as markup. The
layout measures no font: lines are wrapped at a width estimated generously per character,
and every block is placed below the one before it, so no two texts can meet.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from dealgraph.model.errors import DealgraphError, RenderError
from dealgraph.model.values import usd, usd_on_basis
from dealgraph.output.text import hop_heading, loop_money, not_counted_words, sized

__all__ = ["GRAPHIC_FORMATS", "LoopGraphic", "loop_graphic_html", "loop_svg", "write_loop_graphic"]

#: What ``dealgraph loop --format`` writes. PNG would need a browser or a rasteriser the
#: project does not ship: convert the SVG with any tool that reads SVG.
GRAPHIC_FORMATS = ("html", "svg")

WIDTH = 1200
_MARGIN = 40
_FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
_INK, _GREY, _LINE = "#1f2328", "#57606a", "#1f2328"
_BOX_X, _BOX_W = 110, 340  # entity boxes
_ARROW_X = _BOX_X + _BOX_W // 2
_RETURN_X = 64  # the closing hop runs up here
_TEXT_X = _BOX_X + _BOX_W + 40  # the hop's labels
_TEXT_W = WIDTH - _MARGIN - _TEXT_X
# Estimated advance per character, as a share of the font size: wide enough for DejaVu Sans
# (the widest common fallback), so a wrapped line never runs past its column.
_ADVANCE = {False: 0.64, True: 0.72}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _clean(text) -> str:
    return _CONTROL.sub(" ", str(text))


def _wrap(text: str, size: float, width: float, bold: bool = False, max_lines: int = 6) -> list[str]:
    """``text`` in lines that fit ``width`` at ``size`` px (estimated), cut with … past ``max_lines``."""
    per_line = max(4, int(width / (size * _ADVANCE[bold])))
    lines: list[str] = []
    line = ""
    for word in _clean(text).split():
        while len(word) > per_line:  # a word longer than a line (a URL, a hostile string) is cut
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= per_line:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: per_line - 1].rstrip() + "…"
    return lines or [""]


class _Canvas:
    """SVG elements in drawing order; ``text`` escapes everything it is given."""

    def __init__(self):
        self.parts: list[str] = []

    def text(self, x: float, y: float, line: str, size: int, *, bold: bool = False, color: str = _INK,
             anchor: str = "start", cls: str = "", italic: bool = False, data: dict | None = None) -> None:
        attrs = f'x="{x:g}" y="{y:g}" font-size="{size}" fill="{color}"'
        if bold:
            attrs += ' font-weight="700"'
        if italic:
            attrs += ' font-style="italic"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if cls:
            attrs += f' class="{cls}"'
        for key, value in (data or {}).items():
            attrs += f' data-{key}="{escape(str(value), {chr(34): "&quot;"})}"'
        self.parts.append(f"<text {attrs}>{escape(line)}</text>")

    def lines(self, x: float, y: float, lines: list[str], size: int, leading: float, **kw) -> float:
        """Draw ``lines`` from baseline ``y``; the y below the last line's descent."""
        for i, line in enumerate(lines):
            self.text(x, y + i * leading, line, size, **kw)
        return y + (len(lines) - 1) * leading + size * 0.35

    def raw(self, element: str) -> None:
        self.parts.append(element)


def _host(url) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(str(url)).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _hop_amount(hop: dict) -> str:
    if hop.get("size_usd") is not None:
        return sized(hop["size_usd"], hop.get("size_basis"))
    if "size_usd" not in hop and hop.get("amount_usd") is not None:
        return usd(hop["amount_usd"])
    return "amount unknown"


def _deal_line(deal: dict, names: dict) -> str:
    reads = (f"{names.get(deal['source'], deal['source'])} {deal['kind'].replace('_', ' ')} "
             f"{names.get(deal['target'], deal['target'])}")
    amount = deal.get("amount_usd")
    # the date first: a long note is what gets cut; the amount on its basis ("(contract total)")
    stated = usd_on_basis(amount, deal.get("amount_basis")) if amount is not None else "amount not stated"
    line = f"{deal.get('date') or 'Undated'} · {reads}: {stated}"
    if deal.get("superseded_by"):
        line += f"; {not_counted_words(deal['superseded_by'])}, not counted"
    if deal.get("amount_note"):
        line += f" ({deal['amount_note']})"
    return line


def _source_line(deal: dict) -> str:
    host, title = _host(deal.get("evidence_url")), deal.get("evidence_title")
    if host and title:
        return f"Source: {host}: “{title}”"
    if host or title:
        return f"Source: {host or ''}{'“' + title + '”' if title else ''}"
    return "Source: none given"


def loop_svg(cycle: dict, names: dict[str, str], as_of: str | None, period: dict | None = None) -> str:
    """The graphic of one loop as an SVG document (a string).

    ``cycle`` is shaped as ``dealgraph cycles --format json`` gives it, sizes included
    (:func:`dealgraph.analyses.cycles.size_loops`); ``names`` maps entity ids to names;
    ``as_of`` is the date the data runs to; ``period`` (``since`` / ``until``) is said on
    the date line when the loops were found in one.
    """
    c = _Canvas()
    nodes, hops = list(cycle["nodes"]), list(cycle["hops"])
    name = lambda n: _clean(names.get(n, n))  # noqa: E731
    y = _MARGIN + 34
    title = " → ".join(name(n) for n in [*nodes, nodes[0]])
    y = c.lines(_MARGIN, y, _wrap(title, 34, WIDTH - 2 * _MARGIN, bold=True, max_lines=4), 34, 44,
                bold=True, cls="title") + 32
    count = f"{len(hops)} hop{'s' if len(hops) != 1 else ''}"
    subtitle = f"Money that can go all the way round: {loop_money(cycle)} · {count}"
    y = c.lines(_MARGIN, y, _wrap(subtitle, 22, WIDTH - 2 * _MARGIN), 22, 30, cls="subtitle") + 24
    y = c.lines(_MARGIN, y, ["Arrows point the way money moves."], 16, 22, color=_GREY, cls="note") + 28

    def box(top: float, n: str) -> float:
        label = _wrap(name(n), 24, _BOX_W - 32, bold=True, max_lines=3)
        height = 24 + len(label) * 30
        c.raw(f'<rect x="{_BOX_X}" y="{top:g}" width="{_BOX_W}" height="{height:g}" rx="10" fill="#f6f8fa" '
              f'stroke="{_LINE}" stroke-width="2.5" class="entity"/>')
        c.lines(_ARROW_X, top + 12 + 24, label, 24, 30, bold=True, anchor="middle", cls="entity-name")
        return top + height

    def hop_block(top: float, k: int, hop: dict) -> float:
        """The labels of hop ``k`` from ``top``; returns the y below them."""
        data = {"hop": k + 1}
        t = c.lines(_TEXT_X, top + 34, _wrap(_hop_amount(hop), 34, _TEXT_W, bold=True, max_lines=2), 34, 42,
                    bold=True, cls="amount", data=data) + 14
        deals = hop.get("relationships") or []
        counted = sum(1 for d in deals if not d.get("superseded_by"))
        heading = hop_heading(hop, {n: name(n) for n in (hop["source"], hop["target"])})
        pays = (f"{heading} · {counted} deal{'s' if counted != 1 else ''}"
                + (f" (+{len(deals) - counted} not counted)" if counted < len(deals) else ""))
        t = c.lines(_TEXT_X, t + 17, _wrap(pays, 17, _TEXT_W, max_lines=3), 17, 23, cls="pays", data=data) + 10
        if hop.get("size_usd") is None and hop.get("unknown_why"):
            t = c.lines(_TEXT_X, t + 15, _wrap(f"Unknown: {hop['unknown_why']}", 15, _TEXT_W, max_lines=3),
                        15, 21, color=_GREY, cls="why", data=data) + 8
        for deal in deals:
            t = c.lines(_TEXT_X, t + 15, _wrap(_deal_line(deal, names), 15, _TEXT_W, max_lines=4), 15, 21,
                        cls="deal", data=data) + 4
            t = c.lines(_TEXT_X, t + 15, _wrap(_source_line(deal), 15, _TEXT_W, max_lines=3), 15, 21,
                        color=_GREY, italic=True, cls="source", data=data) + 12
        return t

    arrow = f'stroke="{_LINE}" stroke-width="3" fill="none" marker-end="url(#head)"'
    first_top = y
    first_mid = None
    for k, n in enumerate(nodes):
        bottom = box(y, n)
        if first_mid is None:
            first_mid = (first_top + bottom) / 2
        below = hop_block(bottom + 8, k, hops[k])
        if k < len(nodes) - 1:
            nxt = max(below + 12, bottom + 90)
            c.raw(f'<path d="M{_ARROW_X} {bottom:g} V{nxt - 2:g}" {arrow} class="hop" data-hop="{k + 1}"/>')
            y = nxt
        else:
            end = max(below, bottom + 60)
            c.raw(f'<path d="M{_ARROW_X} {bottom:g} V{end:g} H{_RETURN_X} V{first_mid:g} H{_BOX_X - 2}" {arrow} '
                  f'class="hop" data-hop="{k + 1}"/>')
            y = end
    y += 44
    since, until = (period or {}).get("since"), (period or {}).get("until")
    when = f"Data as of {as_of} (the latest deal date in the store)" if as_of else "Data: no dated deal in the store"
    if since or until:
        when += f" · deals {'from ' + since if since else ''}{' ' if since and until else ''}" \
                f"{'to ' + until if until else ''}"
    y = c.lines(_MARGIN, y, _wrap(when + " · made with dealgraph", 15, WIDTH - 2 * _MARGIN), 15, 21,
                color=_GREY, cls="date-line") + 24
    height = round(y)
    head = ('<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="{_LINE}"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="{_FONT}" role="img">'
            f"<title>{escape(title)}</title>{head}"
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>'
            + "".join(c.parts) + "</svg>\n")


def loop_graphic_html(svg: str, title: str) -> str:
    """A standalone page showing ``svg``: no script, nothing fetched (its policy forbids both)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(_clean(title))}</title>"
            "<style>body{margin:0;background:#fff}svg{display:block;max-width:100%;height:auto}</style>"
            f"</head><body>\n{svg}</body></html>\n")


@dataclass(frozen=True)
class LoopGraphic:
    """What :func:`write_loop_graphic` wrote."""

    path: Path
    fmt: str
    title: str
    loops: int


def write_loop_graphic(store, rank: int, out: str | os.PathLike | None = None, fmt: str | None = None, *,
                       max_length: int = 6, through: str | None = None, min_amount: float | None = None,
                       since: str | None = None, until: str | None = None) -> LoopGraphic:
    """Write the graphic of loop number ``rank`` (1 = the first, as ``dealgraph cycles``
    numbers the loops with the same ``max_length``, ``through``, ``min_amount`` and period).

    ``fmt`` is ``html`` (a page embedding the SVG) or ``svg``; by default ``out``'s suffix
    says which (``.svg``), else html. ``out`` defaults to ``dealgraph-loop-RANK.html``
    (or ``.svg``). Raises :class:`~dealgraph.model.errors.RenderError` for a loop number out
    of range, an unknown format or a file that cannot be written.
    """
    from dealgraph.analyses.queries import cycles

    if fmt is None:
        suffix = Path(out).suffix.lower() if out is not None else ""
        if suffix == ".png":
            raise RenderError("PNG is not written (it would need a browser): write --format svg and convert it")
        fmt = "svg" if suffix == ".svg" else "html"
    if fmt not in GRAPHIC_FORMATS:
        raise RenderError(f"unknown graphic format {fmt!r}; choose one of {', '.join(GRAPHIC_FORMATS)}")
    period_store = store
    if since is not None or until is not None:
        from dealgraph.stores.period import deals_in_period

        period_store = deals_in_period(store, since, until)
    through_id = store.resolve(through) if through else None
    try:
        found = cycles(period_store, max_length=max_length, through=through_id, min_amount=min_amount)
    except DealgraphError as exc:
        raise RenderError(f"cannot find loops: {exc}") from None
    if not 1 <= rank <= len(found):
        if not found:
            raise RenderError(f"loop {rank}: no money-flow loop found with these options")
        n = len(found)
        raise RenderError(f"loop {rank}: there {'is' if n == 1 else 'are'} {n} loop{'s' if n != 1 else ''} "
                          f"with these options; give a number from 1 to {n}")
    cycle = found[rank - 1]
    names = store.entity_names(set(cycle["nodes"]))
    period = {"since": since, "until": until} if since is not None or until is not None else None
    svg = loop_svg(cycle, names, period_store.as_of(), period)
    title = " → ".join(names.get(n, n) for n in [*cycle["nodes"], cycle["nodes"][0]])
    path = Path(out) if out is not None else Path(f"dealgraph-loop-{rank}.{fmt}")
    try:
        path.write_text(svg if fmt == "svg" else loop_graphic_html(svg, title), encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from None
    return LoopGraphic(path=path, fmt=fmt, title=title, loops=len(found))
