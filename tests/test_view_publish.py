"""Views an investigator would publish, in a real headless Chromium: the loop dossier and
its CSV, labels after switching loops, the details panel in sight, no overlapping labels
and no legend over the drawing, amounts on the edges, and the PNG download.

Screenshots of what is checked are written to the test's temporary folder (their paths
are printed; ``pytest -s`` shows them) so a person can look at them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.model.lineage import superseded_by
from dealgraph.model.records import Entity, Relationship
from dealgraph.output.html import not_counted_mark, render_view
from dealgraph.output.text import hop_usd, usd
from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import read_dataset

NODE_FONT = "#1f2328"
FORMULAS = ['=HYPERLINK("http://evil.example/","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("publish")
    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(folder / "demo.db") as store:
        store.write(dataset.entities, dataset.relationships)
        views = {v: render_view(store, v, folder / f"{v}.html", focus="nvidia").path
                 for v in ("overview", "cycles", "focus")}
    result = CliRunner().invoke(main, ["cycles", "--db", str(folder / "demo.db"), "--format", "json"])
    assert result.exit_code == 0, result.output
    deals = {r.id: r for r in dataset.relationships}
    names = {e.id: e.name for e in dataset.entities}
    return {"views": views, "loops": json.loads(result.output), "deals": deals, "names": names,
            "shots": folder}


def shown(amount: float | None) -> str:
    """An amount as the views show it: the CLI's figure, or "amount unknown"."""
    return "amount unknown" if amount is None else usd(amount)


def num(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def shot(page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def wait_settled(page):
    page.page.wait_for_function("() => window.__dealgraphSettled === true", timeout=60_000)


def loop_index(loops, members: set[str]) -> int:
    return next(i for i, c in enumerate(loops) if set(c["nodes"]) == members)


# --------------------------------------------------------------------------- dossier


def test_clicking_a_loop_opens_its_dossier(shipped, open_page):
    page = open_page(shipped["views"]["cycles"])
    loops, names, deals = shipped["loops"], shipped["names"], shipped["deals"]
    i = loop_index(loops, {"nvidia", "coreweave"})
    loop = loops[i]
    page.page.locator("#loops-list li").nth(i).click()
    body = page.page.locator("#details-body")
    path = " → ".join(names[v] for v in loop["nodes"] + loop["nodes"][:1])
    assert body.locator("h3").inner_text() == f"Loop #{i + 1}: {path}"
    hops = body.locator("h4").all_inner_texts()
    assert hops == [
        f"Hop {k}: {names[h['source']]} → {names[h['target']]}: {hop_usd(h)} "
        f"({len(h['relationships'])} deal{'s' if len(h['relationships']) != 1 else ''})"
        for k, h in enumerate(loop["hops"], 1)
    ]
    # on its basis, as the CLI says it: $2.1B of stakes, $6.3B committed, a $1.3B contract total
    assert "Hop 2: Nvidia → CoreWeave: $9.7B (incl. $6.3B commitment, $1.3B contract total) (4 deals)" in hops
    listed = body.locator(".deal").evaluate_all("els => els.map(e => e.dataset.deal)")
    assert listed == [d["id"] for h in loop["hops"] for d in h["relationships"]]
    for n, deal_id in enumerate(listed):
        box = body.locator(".deal").nth(n)
        deal = deals[deal_id]
        text = box.inner_text()
        assert text.startswith(f"{names[deal.source]} {deal.kind.replace('_', ' ')} {names[deal.target]}")
        assert f"Amount\n{shown(deal.amount_usd)}" in text.replace("\t", "\n")
        if deal.amount_note:
            assert deal.amount_note in text
        if deal.date:
            assert deal.date in text
        if deal.evidence_url and deal.evidence_url.startswith("https://"):
            assert box.locator("a").get_attribute("href") == deal.evidence_url
    shot(page, shipped["shots"], "dossier")
    assert page.errors == []


def read_download(page, click_selector: str):
    with page.page.expect_download() as info:
        page.page.locator(click_selector).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_dossier_downloads_as_csv(shipped, open_page):
    page = open_page(shipped["views"]["cycles"])
    loops, names = shipped["loops"], shipped["names"]
    i = loop_index(loops, {"nvidia", "coreweave"})
    page.page.locator("#loops-list li").nth(i).click()
    filename, raw = read_download(page, "#dossier-csv")
    assert filename == f"dealgraph-loop-{i + 1}.csv"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    loop = loops[i]
    expected = [(k, h, d) for k, h in enumerate(loop["hops"], 1) for d in h["relationships"]]
    assert len(rows) == len(expected)
    for row, (k, hop, deal) in zip(rows, expected):
        assert row["loop"] == str(i + 1)
        assert num(row["loop_min_amount_usd"]) == loop["min_amount_usd"]
        assert (row["hop"], row["hop_from"], row["hop_to"]) == (str(k), names[hop["source"]], names[hop["target"]])
        assert num(row["hop_amount_usd"]) == hop["amount_usd"]
        assert row["deal_id"] == deal["id"]
        assert row["kind"] == deal["kind"]
        assert num(row["amount_usd"]) == deal["amount_usd"]
        assert row["amount"] == ("" if deal["amount_usd"] is None else usd(deal["amount_usd"]))
        assert row["date"] == (deal["date"] or "")
        assert row["evidence_url"] == (deal["evidence_url"] or "")
    assert page.errors == []


def test_dossier_csv_is_escaped_and_formula_safe(tmp_path, open_page):
    n = len(FORMULAS)
    with SQLiteStore(tmp_path / "f.db") as store:
        store.write(
            [Entity(f"f{i}", text, "company") for i, text in enumerate(FORMULAS)],
            [Relationship(f"r{i}", f"f{i}", "invests_in", f"f{(i + 1) % n}", 1e9 * (i + 1),
                          amount_note=FORMULAS[(i + 1) % n], date="2025-01-01",
                          summary='a "quoted", comma\nand newline ' + text,
                          evidence_url="https://example.com/" + str(i), evidence_title=text)
             for i, text in enumerate(FORMULAS)],
        )
        result = render_view(store, "cycles", tmp_path / "c.html")
    page = open_page(result.path)
    page.page.locator("#loops-list li").first.click()
    _, raw = read_download(page, "#dossier-csv")
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == n
    numeric = {"loop", "loop_min_amount_usd", "hop", "hop_amount_usd", "amount_usd"}
    for row in rows:
        for column, cell in row.items():
            if column in numeric:
                float(cell)
            else:
                assert not cell or cell[0] not in "=+-@\t\r", (column, cell)
    by_id = {row["deal_id"]: row for row in rows}
    for i, formula in enumerate(FORMULAS):
        row = by_id[f"r{i}"]
        assert row["hop_from"] == "'" + formula
        assert row["evidence_title"] == "'" + formula
        assert row["amount_note"] == "'" + FORMULAS[(i + 1) % n]
        assert row["summary"] == 'a "quoted", comma\nand newline ' + formula
    assert page.errors == []


# --------------------------------------------------------------------------- labels, layout


def font_colors(page) -> dict:
    return page.js("() => Object.fromEntries(Object.values(dealgraph.network.body.nodes)"
                   ".map(n => [n.id, n.options.font.color]))")


def test_switching_loops_leaves_no_label_grey(shipped, open_page):
    page = open_page(shipped["views"]["cycles"])
    loops = shipped["loops"]
    first = 0
    second = next(i for i, c in enumerate(loops) if not set(c["nodes"]) <= set(loops[first]["nodes"])
                  and set(c["nodes"]) - set(loops[first]["nodes"]))
    page.page.locator("#loops-list li").nth(first).click()
    page.page.locator("#loops-list li").nth(second).click()
    page.page.wait_for_timeout(700)
    colors = font_colors(page)
    on = set(loops[second]["nodes"])
    assert {v: colors[v] for v in on} == {v: NODE_FONT for v in on}
    assert all(colors[v] != NODE_FONT for v in colors if v not in on)
    shot(page, shipped["shots"], "switched-loop")
    page.page.locator("#loops-reset").click()
    assert set(font_colors(page).values()) == {NODE_FONT}
    assert page.errors == []


def test_details_panel_is_in_sight_next_to_the_loop_list(shipped, open_page):
    page = open_page(shipped["views"]["cycles"])
    items = page.page.locator("#loops-list li")
    assert items.count() > 20  # long enough that an unbounded list would push the details away
    items.nth(items.count() - 1).click()
    assert page.js("() => document.getElementById('side').scrollTop") == 0
    heading = page.page.locator("#details-body h3").bounding_box()
    viewport = page.page.viewport_size
    assert 0 < heading["y"] and heading["y"] + heading["height"] < viewport["height"] - 28
    assert page.page.locator("#details-body h3").inner_text().startswith(f"Loop #{items.count()}:")


def test_overview_has_no_overlapping_labels_and_no_legend_over_the_drawing(shipped, open_page):
    page = open_page(shipped["views"]["overview"])
    wait_settled(page)
    boxes = page.js("() => dealgraph.nodes.getIds().map(id => [id, dealgraph.drawnBox(id)])")
    assert len(boxes) == len(shipped["names"])
    overlapping = [
        (a, b) for i, (a, p) in enumerate(boxes) for b, q in boxes[i + 1:]
        if p["left"] < q["right"] and q["left"] < p["right"] and p["top"] < q["bottom"] and q["top"] < p["bottom"]
    ]
    assert overlapping == []

    # Zoomed out to the whole graph (the page opens at the zoom where every label is
    # legible, which may not hold it all), every entity is drawn inside the canvas, and
    # neither the legend nor the PNG button covers one.
    page.page.locator("#fit-all").click()
    page.page.wait_for_timeout(100)
    canvas = page.page.locator("#mynetwork").bounding_box()
    on_screen = page.js("""() => dealgraph.nodes.getIds().map(id => {
        const b = dealgraph.drawnBox(id), n = dealgraph.network;
        const tl = n.canvasToDOM({x: b.left, y: b.top}), br = n.canvasToDOM({x: b.right, y: b.bottom});
        return [id, tl.x, tl.y, br.x, br.y]; })""")
    covers = []
    for selector in ("#legend", "#download-png"):
        box = page.page.locator(selector).bounding_box()
        for node, x0, y0, x1, y1 in on_screen:
            x0, y0, x1, y1 = x0 + canvas["x"], y0 + canvas["y"], x1 + canvas["x"], y1 + canvas["y"]
            if x0 < box["x"] + box["width"] and box["x"] < x1 and y0 < box["y"] + box["height"] and box["y"] < y1:
                covers.append((selector, node))
    assert covers == []
    outside = [node for node, x0, y0, x1, y1 in on_screen
               if x0 < -1 or y0 < -1 or x1 > canvas["width"] + 1 or y1 > canvas["height"] + 1]
    assert outside == []
    shot(page, shipped["shots"], "overview")
    assert page.errors == []


# Each edge label drawn at the current zoom, as vis-network draws it: a box of the label's size centred on the
# middle of its curve, turned by the angle of the line between the two entities.
ARC_LABELS = """(pairs) => {
  const net = dealgraph.network, ctx = net.canvas.getContext(), out = [];
  for (const e of dealgraph.edges.get({filter: e => !e.hidden && e.label !== undefined})) {
    const pair = [e.from, e.to].sort().join(" ");
    if (pairs !== null && !pairs.includes(pair)) continue;
    const edge = net.body.edges[e.id], turn = edge._getRotation(ctx), size = edge.labelModule.size;
    if (!edge.labelModule.visible()) continue;  // too small to be drawn at this zoom
    out.push({id: e.id, pair: pair, x: turn.x, y: size.top + size.height / 2, w: size.width, h: size.height,
              angle: turn.angle});
  }
  return out;
}"""


def corners(label: dict) -> list[tuple[float, float]]:
    c, s = math.cos(label["angle"]), math.sin(label["angle"])
    half_w, half_h = label["w"] / 2, label["h"] / 2
    return [(label["x"] + dx * c - dy * s, label["y"] + dx * s + dy * c)
            for dx, dy in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))]


def labels_overlap(a: dict, b: dict) -> bool:
    """Whether two turned label boxes overlap (separating axis test on their edges)."""
    ca, cb = corners(a), corners(b)
    for poly in (ca, cb):
        for k in range(4):
            (x1, y1), (x2, y2) = poly[k], poly[(k + 1) % 4]
            nx_, ny_ = y2 - y1, x1 - x2
            pa = [nx_ * x + ny_ * y for x, y in ca]
            pb = [nx_ * x + ny_ * y for x, y in cb]
            if max(pa) <= min(pb) or max(pb) <= min(pa):
                return False
    return True


def parallel_overlaps(labels: list[dict]) -> list[tuple[str, str]]:
    return [(a["id"], b["id"]) for i, a in enumerate(labels) for b in labels[i + 1:]
            if a["pair"] == b["pair"] and labels_overlap(a, b)]


def test_labels_on_parallel_arcs_do_not_overlap_when_a_loop_is_highlighted(shipped, open_page):
    # Every loop of the shipped data, highlighted: the labels of the deals between two of
    # its entities (on the loop or dimmed, as drawn) never lie on top of each other.
    page = open_page(shipped["views"]["cycles"])
    wait_settled(page)
    loops = shipped["loops"]
    bundles_checked = 0
    for i, loop in enumerate(loops):
        pairs = sorted({" ".join(sorted((h["source"], h["target"]))) for h in loop["hops"]})
        page.js("(i) => dealgraph.highlightLoop(i)", i)
        page.page.wait_for_timeout(650)  # the zoom onto the loop takes 500 ms
        labels = page.js(ARC_LABELS, pairs)
        per_pair = {p: sum(1 for lab in labels if lab["pair"] == p) for p in pairs}
        bundles_checked += sum(1 for n in per_pair.values() if n > 1)
        assert parallel_overlaps(labels) == [], (i, loop["nodes"])
    # The shipped loops run over pairs with 2 to 5 deals between them (Nvidia and OpenAI:
    # three), so the check has something to check.
    assert bundles_checked > 30
    nvidia_openai = loop_index(loops, {"nvidia", "openai", "oracle"})
    page.js("(i) => dealgraph.highlightLoop(i)", nvidia_openai)
    page.page.wait_for_timeout(650)
    assert len(page.js(ARC_LABELS, ["nvidia openai"])) >= 3
    page.js("""() => { const n = dealgraph.network, p = n.getPositions(["nvidia", "openai"]);
        n.moveTo({position: {x: (p.nvidia.x + p.openai.x) / 2, y: (p.nvidia.y + p.openai.y) / 2}, scale: 2.2}); }""")
    page.page.wait_for_timeout(200)
    shot(page, shipped["shots"], "parallel-arcs-nvidia-openai")
    assert page.errors == []


def test_labels_on_parallel_arcs_do_not_overlap_in_the_overview(shipped, open_page):
    page = open_page(shipped["views"]["overview"])
    wait_settled(page)
    # Fitted to the window, the overview's edge labels are too small to be drawn; zoomed in,
    # every one is.
    page.js("() => { dealgraph.network.moveTo({scale: 1.5}); dealgraph.network.redraw(); }")
    page.page.wait_for_timeout(100)
    labels = page.js(ARC_LABELS, None)
    assert len(labels) == len(shipped["deals"])
    pairs = [lab["pair"] for lab in labels]
    assert sum(1 for p in set(pairs) if pairs.count(p) > 1) > 10
    assert parallel_overlaps(labels) == []
    # Dragging an entity next to another one fans their arcs out again.
    page.js("""() => { const n = dealgraph.network, p = n.getPositions(["nvidia"]);
        n.moveNode("openai", p.nvidia.x + 120, p.nvidia.y + 40); n.emit("dragEnd", {nodes: ["openai"]}); }""")
    page.page.wait_for_timeout(100)
    assert parallel_overlaps(page.js(ARC_LABELS, ["nvidia openai"])) == []
    assert page.errors == []


@pytest.mark.parametrize("view", ["overview", "cycles", "focus"])
def test_edges_carry_their_amounts(shipped, open_page, view):
    page = open_page(shipped["views"][view])
    labels = page.js("() => dealgraph.edges.get().map(e => [e.id, e.label])")
    deals = shipped["deals"]
    superseded = superseded_by(deals.values())
    for deal_id, label in labels:
        deal = deals[deal_id]
        kind = deal.kind.replace("_", " ") + not_counted_mark(superseded.get(deal_id))  # test_not_counted_labels.py
        assert label == (kind if deal.amount_usd is None else f"{kind}\n{usd(deal.amount_usd)}")


# --------------------------------------------------------------------------- PNG


def png_pixels(raw: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA rows of an 8-bit RGBA/RGB, non-interlaced PNG."""
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        chunk = raw[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0
    bpp = 4 if color == 6 else 3
    data, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        filt, line = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if filt == 1:
                line[x] = (line[x] + a) & 255
            elif filt == 2:
                line[x] = (line[x] + b) & 255
            elif filt == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 4 else b"".join(bytes(line[i:i + 3]) + b"\xff" for i in range(0, stride, 3)))
        prev = line
    return width, height, rows


def test_download_png_saves_the_whole_drawing_at_twice_the_pixels(shipped, open_page):
    page = open_page(shipped["views"]["overview"])
    wait_settled(page)
    before = page.js("() => [dealgraph.network.getScale(), dealgraph.network.getViewPosition()]")
    filename, raw = read_download(page, "#download-png")
    out = shipped["shots"] / "downloaded-overview.png"
    out.write_bytes(raw)
    print(f"downloaded PNG: {out}")
    assert filename == "dealgraph-overview.png"
    width, height, rows = png_pixels(raw)
    info = page.js("() => window.__dealgraphPng")
    assert (width, height) == (info["width"], info["height"])
    assert info["scale"] == 2 and width == round(info["w"] * 2) and height > round(info["h"] * 2)
    # Fit to content: every entity, dot and label, lies inside the image's drawing, and its
    # dot's centre has its kind's colour; every label at least 11 px (22 image pixels).
    boxes = page.js("""() => dealgraph.nodes.get().map(n => {
        const b = dealgraph.drawnBox(n.id), p = dealgraph.network.getPositions([n.id])[n.id];
        return [n.id, b, p, n.color.background || n.color, dealgraph.network.body.nodes[n.id].options.font.size]; })""")
    assert len(boxes) == len(shipped["names"])
    zoom, cx, cy = info["zoom"], info["centre"]["x"], info["centre"]["y"]
    def to_image(x, y):
        return ((x - cx) * zoom + info["w"] / 2) * 2, (info["top"] + (y - cy) * zoom + info["h"] / 2) * 2
    outside = []
    for node, b, p, color, font in boxes:
        x0, y0 = to_image(b["left"], b["top"])
        x1, y1 = to_image(b["right"], b["bottom"])
        if x0 < 0 or x1 > width or y0 < info["top"] * 2 or y1 > (info["top"] + info["h"]) * 2:
            outside.append(node)
        assert font * zoom >= 11, node
        x, y = to_image(p["x"], p["y"])
        px = rows[math.floor(y)][math.floor(x) * 4:][:4]
        kind = (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))
        assert px[3] == 255
        assert sum(abs(a - b) for a, b in zip(px[:3], kind)) <= 48, (node, px, color)
    assert outside == []
    # White background (not transparent) in the corners; the page's own view is as it was.
    assert rows[0][:4] == b"\xff\xff\xff\xff" and rows[-1][-4:] == b"\xff\xff\xff\xff"
    after = page.js("() => [dealgraph.network.getScale(), dealgraph.network.getViewPosition()]")
    assert after[0] == pytest.approx(before[0]) and after[1]["x"] == pytest.approx(before[1]["x"])
    assert page.js("() => document.querySelector('#mynetwork canvas').width") == round(
        page.page.locator("#mynetwork").bounding_box()["width"])
    assert page.errors == []
