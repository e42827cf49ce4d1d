"""Benchmark: HTML views of random deal graphs (1k and 10k entities, ~4 deals each).

For each size, in the same run: our ``overview`` view (``dealgraph.output.html.render_view``) and
plain pyvis with its defaults (physics on, ``cdn_resources="in_line"``) built from the
same entities and deals. Reports the time to write the HTML, the file size, and the time
until the network is first drawn in headless Chromium (each page given 60 s), as the
median of ``--runs`` runs (ours and pyvis taking turns) with the spread (fastest–slowest)
and the machine's 1-minute load average before each run: one run on a shared 2-core
machine says little. A pyvis page that is not drawn within the cap is not loaded again
(each further run would only cost another 60 s). Not a test.

    python bench/render.py [--sizes 1000 10000] [--seed 1] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pyvis.network import Network

from dealgraph.model.records import Entity, Relationship, schema
from dealgraph.output.html import LAYOUT_THRESHOLD, render_view
from dealgraph.stores.sqlite_store import SQLiteStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
CAP_S = 60.0
DEALS_PER_ENTITY = 4

# Set on vis-network's first "afterDrawing" (and on "stabilizationIterationsDone") in the
# plain-pyvis page, which has no such hook of its own; appended after pyvis's drawGraph()
# call, before any frame is drawn.
PYVIS_HOOK = (
    "<script>network.once('afterDrawing', function () { window.__dealgraphDrawn = true; });"
    "network.once('stabilizationIterationsDone', function () { window.__stable = true; });</script>"
)


def random_graph(n: int, seed: int) -> tuple[list[Entity], list[Relationship]]:
    rng = random.Random(seed)
    entity_kinds = list(schema().entity_kinds)
    deal_kinds = list(schema().relationship_kinds)
    entities = [Entity(f"e{i}", f"Entity {i}", rng.choice(entity_kinds)) for i in range(n)]
    deals = []
    for j in range(n * DEALS_PER_ENTITY):
        a, b = rng.randrange(n), rng.randrange(n)
        while b == a:
            b = rng.randrange(n)
        amount = None if rng.random() < 0.2 else round(10 ** rng.uniform(6, 11), -3)
        deals.append(Relationship(f"d{j}", f"e{a}", rng.choice(deal_kinds), f"e{b}", amount,
                                  None, f"20{rng.randint(19, 25)}", None,
                                  f"https://example.com/{j}", f"Deal {j}"))
    return entities, deals


def plain_pyvis(entities, deals, out: Path) -> None:
    net = Network(directed=True, cdn_resources="in_line")
    for e in entities:
        net.add_node(e.id, label=e.name, title=e.name)
    for r in deals:
        net.add_edge(r.source, r.target, title=r.kind, value=r.amount_usd or 1)
    html = net.generate_html()
    out.write_text(html.replace("</body>", PYVIS_HOOK + "</body>", 1), encoding="utf-8")


def time_to_draw(browser, path: Path) -> tuple[float | None, list[str]]:
    """Seconds from navigation until the first frame is drawn (None past the cap), and
    the off-machine requests the page tried (all refused)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    start = time.perf_counter()
    try:
        page.goto(path.as_uri(), timeout=CAP_S * 1000)
        left = CAP_S - (time.perf_counter() - start)
        page.wait_for_function("() => window.__dealgraphDrawn === true", timeout=max(left, 0.1) * 1000)
        took = time.perf_counter() - start
    except Exception:
        took = None
    context.close()
    return took, blocked


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs per view (the median is reported)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        folder = Path(tmp)
        for n in args.sizes:
            entities, deals = random_graph(n, args.seed)
            ours, base = Runs(f"dealgraph ({'fixed layout' if n > LAYOUT_THRESHOLD else 'physics'})"), Runs("pyvis defaults")
            with SQLiteStore(folder / f"g{n}.db") as store:
                store.write(entities, deals)
                for run in range(args.runs):
                    ours.load.append(os.getloadavg()[0])
                    t = time.perf_counter()
                    result = render_view(store, "overview", folder / f"ours-{n}.html")
                    ours.write.append(time.perf_counter() - t)
                    ours.size = result.path.stat().st_size
                    ours.add_draw(*time_to_draw(browser, result.path))
                    if base.capped:
                        continue
                    base.load.append(os.getloadavg()[0])
                    t = time.perf_counter()
                    base_path = folder / f"pyvis-{n}.html"
                    plain_pyvis(entities, deals, base_path)
                    base.write.append(time.perf_counter() - t)
                    base.size = base_path.stat().st_size
                    base.add_draw(*time_to_draw(browser, base_path))
            rows.append((n, len(deals), ours))
            rows.append((n, len(deals), base))
            print(_format(rows[-2:], header=len(rows) == 2), flush=True)
        browser.close()

    print()
    for n in args.sizes:
        (_, _, ours), (_, _, base) = [r for r in rows if r[0] == n]
        if ours.drawn is None:
            ratio = "ours not drawn"
        elif base.drawn is None:
            ratio = f"pyvis not drawn within {int(CAP_S)} s"
        else:
            ratio = f"{base.drawn / ours.drawn:.1f}x faster to draw"
        ours_write, base_write = statistics.median(ours.write), statistics.median(base.write)
        write = (f"{base_write / ours_write:.1f}x faster" if ours_write <= base_write
                 else f"{ours_write / base_write:.1f}x slower (layout, loops, data)")
        print(f"{n:>6} entities (medians): HTML written {write} than plain pyvis; {ratio}")
    big = [r[2] for r in rows if r[0] >= 10000 and r[2].who.startswith("dealgraph")]
    if big:
        ok = all(r.drawn is not None and r.drawn < 10 for r in big)
        print(f"target (10k-entity view drawn in < 10 s, median): {'met' if ok else 'NOT met'}")
    return 0


class Runs:
    """One renderer's runs at one size: times to write and to draw, load averages."""

    def __init__(self, who: str):
        self.who = who
        self.write: list[float] = []
        self.draws: list[float | None] = []
        self.load: list[float] = []
        self.blocked = 0
        self.size = 0

    def add_draw(self, took: float | None, blocked: list[str]) -> None:
        self.draws.append(took)
        self.blocked += len(blocked)

    @property
    def capped(self) -> bool:
        return None in self.draws

    @property
    def drawn(self) -> float | None:
        """Median time to draw; None when any run was not drawn within the cap."""
        return None if self.capped or not self.draws else statistics.median(self.draws)


def _spread(values) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"


def _format(rows, header=False) -> str:
    lines = []
    if header:
        lines.append(f"{'entities':>8} {'deals':>7}  {'renderer':<26} {'runs':>4} {'write s':>8} {'size MB':>8} "
                     f"{'drawn s (median, spread)':>26} {'blocked':>7}  load avg (1 min)")
    for n, m, r in rows:
        if r.drawn is not None:
            drawn = f"{r.drawn:.2f} ({_spread(r.draws)})"
        else:
            drawn = f"> {int(CAP_S)}" + (f" ({sum(d is None for d in r.draws)} of {len(r.draws)} runs)")
        lines.append(f"{n:>8} {m:>7}  {r.who:<26} {len(r.draws):>4} {statistics.median(r.write):8.2f} "
                     f"{r.size / 1e6:8.2f} {drawn:>26} {r.blocked:>7}  {_spread(r.load)}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
