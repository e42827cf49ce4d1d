"""The views' colours under simulated colour blindness, read from the overview of the shipped
data as a real headless Chromium draws it.

Deuteranopia, protanopia and tritanopia are simulated with Machado, Oliveira & Fernandes
(2009)'s matrices at severity 1 (complete dichromacy), applied in linear RGB; colours are
compared with CIEDE2000 (Sharma, Wu & Dalal 2005's formulas, checked on their test pair).

Thresholds. One CIEDE2000 unit is about a just-noticeable difference between two large
patches side by side; telling categories apart at a glance, on marks that are not side by
side, needs many times that, and the smaller the mark the more (Szafir 2018, "Modelling
colour difference for visualization design"). So the entity kinds the story needs told
apart (dots of 16 px and more, legend swatches) must be at least ``NODE_MIN`` = 20 apart,
and the deal kinds, thin lines, at least ``EDGE_MIN`` = 15 apart as drawn (the colour at
the line's opacity over the white page). The palette before this test met neither (AI lab
against chipmaker 12.5 under deuteranopia; customer_of against supplies 4.6 under
tritanopia, invests_in against customer_of 9.7 even with normal vision).

A simulated screenshot of each is written to the test's temporary folder (paths printed),
through an SVG colour matrix filter on the page, and checked pixel by pixel on the legend
against the simulation computed here, so what is measured is what the page shows.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib

import pytest

from dealgraph.output.html import render_view

STORY_ENTITIES = ("ai_lab", "lender", "bank", "chipmaker", "hyperscaler")
STORY_DEALS = ("lends_to", "invests_in", "supplies", "customer_of")
NODE_MIN = 20.0
EDGE_MIN = 15.0
#: Every deal line as drawn against the white page (a mid grey, #a0a0a0, is 25 from white).
PAGE_MIN = 25.0

# Machado et al. 2009, severity 1.0, on linear RGB.
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
VISIONS = ("normal", *MACHADO)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _gamma(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def rgb(color: str) -> tuple[float, float, float]:
    """``#rrggbb`` or ``rgb(r, g, b)`` as three floats in 0..1."""
    if color.startswith("#"):
        return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    parts = color[color.index("(") + 1:color.index(")")].split(",")
    return tuple(int(p) / 255 for p in parts[:3])


def simulate(colour: tuple[float, float, float], vision: str) -> tuple[float, float, float]:
    if vision == "normal":
        return colour
    lin, m = [_linear(c) for c in colour], MACHADO[vision]
    return tuple(_gamma(sum(m[i][j] * lin[j] for j in range(3))) for i in range(3))


def lab(colour: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    r, g, b = (_linear(c) for c in colour)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883
    f = lambda t: t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116  # noqa: E731
    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1, lab2) -> float:
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    cbar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cbar ** 7 / (cbar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = L2 - L1, c2p - c1p
    dhp = 0.0
    if c1p * c2p:
        dhp = h2p - h1p
        dhp = dhp - 360 if dhp > 180 else dhp + 360 if dhp < -180 else dhp
    dHp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lbar, cbarp = (L1 + L2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        hbar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbar = (h1p + h2p) / 2
    else:
        hbar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hbar - 30)) + 0.24 * math.cos(math.radians(2 * hbar))
         + 0.32 * math.cos(math.radians(3 * hbar + 6)) - 0.20 * math.cos(math.radians(4 * hbar - 63)))
    dtheta = 30 * math.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbarp ** 7 / (cbarp ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / math.sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cbarp, 1 + 0.015 * cbarp * t
    rt = -math.sin(math.radians(2 * dtheta)) * rc
    return math.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dHp / sh) ** 2 + rt * (dcp / sc) * (dHp / sh))


def test_ciede2000_gives_sharmas_published_differences():
    # Sharma, Wu & Dalal (2005), table 1, pairs 1, 7 and 17.
    assert round(ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)), 4) == 2.0425
    assert round(ciede2000((50, 0, 0), (50, -1, 2)), 4) == 2.3669
    assert round(ciede2000((50, 2.5, 0), (73, 25, -18)), 4) == 27.1492


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes], int]:
    """An 8-bit RGB or RGBA, non-interlaced PNG (as Chromium writes screenshots) as rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


@pytest.fixture(scope="module")
def overview(shipped_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("colours")
    return render_view(shipped_store, "overview", folder / "overview.html").path, folder


@pytest.fixture
def drawn_colours(overview, open_page):
    """The colours as the page draws them: each story kind's entity dots and deal lines
    (at their opacity, over the white page), and the legend's swatches where they are."""
    page = open_page(overview[0])
    colours = page.js("""() => {
      const nodes = {}, edges = {}, swatches = [];
      dealgraph.nodes.get().forEach(n => { (nodes[n.kind] = nodes[n.kind] || new Set()).add(n.color.background); });
      dealgraph.edges.get().forEach(e => { (edges[e.kind] = edges[e.kind] || new Set()).add(JSON.stringify([e.color.color, e.color.opacity])); });
      document.querySelectorAll('#legend-entities .swatch').forEach(s => {
        const r = s.getBoundingClientRect();
        swatches.push({label: s.nextSibling.textContent, colour: getComputedStyle(s).backgroundColor,
                       x: Math.round(r.left + r.width / 2 - 0.5), y: Math.round(r.top + r.height / 2 - 0.5)});
      });
      const lines = {};
      document.querySelectorAll('#kind-filters input').forEach(i => { lines[i.dataset.kind] = getComputedStyle(i.nextSibling).borderTopColor; });
      return {nodes: Object.fromEntries(Object.entries(nodes).map(([k, v]) => [k, [...v]])),
              edges: Object.fromEntries(Object.entries(edges).map(([k, v]) => [k, [...v].map(JSON.parse)])),
              swatches: swatches, lines: lines, legend: dealgraph.data.meta.legend};
    }""")
    return page, colours


def _pairs(colours: dict[str, tuple]) -> dict[str, list[tuple[float, str, str]]]:
    out = {}
    for vision in VISIONS:
        labs = {k: lab(simulate(c, vision)) for k, c in colours.items()}
        out[vision] = sorted((round(ciede2000(labs[a], labs[b]), 1), a, b) for a, b in itertools.combinations(labs, 2))
    return out


def test_story_entity_kinds_stay_apart_under_colour_blindness(drawn_colours):
    page, colours = drawn_colours
    for kind in STORY_ENTITIES:  # every kind drawn, in one colour, the legend's
        assert len(colours["nodes"][kind]) == 1, (kind, colours["nodes"][kind])
    dots = {k: rgb(colours["nodes"][k][0]) for k in STORY_ENTITIES}
    legend = {k["kind"]: rgb(k["color"]) for k in colours["legend"]["entity_kinds"]}
    assert all(legend[k] == dots[k] for k in STORY_ENTITIES)
    pairs = _pairs(dots)
    for vision, rows in pairs.items():
        print(f"entities, {vision}: closest {rows[:3]}")
    closest = {vision: rows[0] for vision, rows in pairs.items()}
    assert all(d >= NODE_MIN for d, _, _ in closest.values()), closest
    assert page.errors == []


def test_story_deal_kinds_stay_apart_under_colour_blindness(drawn_colours):
    _, colours = drawn_colours
    drawn = {}
    for kind in STORY_DEALS:
        # Deals off a loop are drawn at 0.6, on a loop at full opacity: the paler one is
        # the harder to tell apart, and it is what most of the drawing shows. (Superseded
        # deals, at 0.3, are meant to recede: they are also finely dashed.)
        assert {rgb(c) for c, _ in colours["edges"][kind]} == {rgb(colours["lines"][kind])}, kind
        colour, opacity = min((e for e in colours["edges"][kind] if e[1] > 0.3), key=lambda e: e[1])
        assert opacity in (0.6, 1), colours["edges"][kind]
        drawn[kind] = tuple(opacity * c + (1 - opacity) for c in rgb(colour))
    pairs = _pairs(drawn)
    for vision, rows in pairs.items():
        print(f"deals as drawn, {vision}: closest {rows[:3]}")
    closest = {vision: rows[0] for vision, rows in pairs.items()}
    assert all(d >= EDGE_MIN for d, _, _ in closest.values()), closest
    for vision in VISIONS:  # and every line stands out from the white page
        assert min(ciede2000(lab(simulate(c, vision)), lab((1, 1, 1))) for c in drawn.values()) >= PAGE_MIN


@pytest.mark.parametrize("vision", sorted(MACHADO))
def test_simulated_screenshot_shows_the_simulated_colours(drawn_colours, overview, vision):
    page, colours = drawn_colours
    page.page.wait_for_function("() => window.__dealgraphSettled === true", timeout=120_000)
    normal = page.page.screenshot()
    m = MACHADO[vision]
    values = " ".join(" ".join(str(v) for v in row) + " 0 0" for row in m) + " 0 0 0 1 0"
    # The filter works in linear RGB (color-interpolation-filters), as the matrices expect.
    page.js("""([id, values]) => {
      const ns = 'http://www.w3.org/2000/svg', svg = document.createElementNS(ns, 'svg');
      svg.setAttribute('width', '0'); svg.setAttribute('height', '0'); svg.style.position = 'absolute';
      const filter = document.createElementNS(ns, 'filter'), matrix = document.createElementNS(ns, 'feColorMatrix');
      filter.id = id; filter.setAttribute('color-interpolation-filters', 'linearRGB');
      matrix.setAttribute('type', 'matrix'); matrix.setAttribute('values', values);
      filter.appendChild(matrix); svg.appendChild(filter); document.body.appendChild(svg);
      document.documentElement.style.filter = 'url(#' + id + ')';
    }""", [f"cvd-{vision}", values])
    shot = overview[1] / f"overview-{vision}.png"
    page.page.screenshot(path=str(shot))
    print(f"simulated {vision}: {shot}")
    simulated = shot.read_bytes()
    assert simulated != normal
    for picture, expect in ((normal, lambda c: c), (simulated, lambda c: simulate(c, vision))):
        width, _, rows, bpp = _png_pixels(picture)
        for swatch in colours["swatches"]:
            x, y = swatch["x"], swatch["y"]
            got = tuple(rows[y][x * bpp + i] for i in range(3))
            want = tuple(round(c * 255) for c in expect(rgb(swatch["colour"])))
            # 8-bit steps through linear RGB and back: a few levels either way.
            assert max(abs(g - w) for g, w in zip(got, want)) <= 8, (vision, swatch, got, want)
