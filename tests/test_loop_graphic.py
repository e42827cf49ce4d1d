"""The one-loop graphic (`dealgraph loop N` and the cycles view's "Loop graphic" button), measured
in a real headless Chromium: every hop's amount and a source line per hop, no two texts
overlapping, text of at least 14 px at 1200 px wide, the same SVG from the CLI and from
the dossier, hostile names kept as text, and a loop number out of range refused.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.output.text import sized, usd
from dealgraph.stores.sqlite_store import SQLiteStore

from browser_pages import HOSTILE, hostile_store

SVG_NS = "{http://www.w3.org/2000/svg}"

#: Every text of the graphic as drawn: its box, its text, its class and hop, and its font
#: size in screen pixels (the SVG may be scaled to the page).
TEXTS = """() => {
  const svg = document.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom, text: t.textContent, cls: t.getAttribute('class'),
            hop: t.dataset.hop || null, px: parseFloat(getComputedStyle(t).fontSize) * scale};
  });
}"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def top_loop(shipped_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop-graphic")
    html, svg = folder / "loop.html", folder / "loop.svg"
    for out in (html, svg):
        result = run("loop", "1", "--db", shipped_db, "--out", out)
        assert result.exit_code == 0, result.output
    listed = run("cycles", "--db", shipped_db, "--format", "json")
    assert listed.exit_code == 0, listed.output
    return {"html": html, "svg": svg, "loop": json.loads(listed.output)[0], "folder": folder}


def open_graphic(browser, path, width=1200):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    return context, page, errors


def hop_amount(hop: dict) -> str:
    return sized(hop["size_usd"], hop["size_basis"]) if hop["size_usd"] is not None else "amount unknown"


def overlapping(boxes):
    pairs = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]:
                pairs.append((a["text"], b["text"]))
    return pairs


def test_the_top_loop_graphic_has_every_hop_amount_and_its_sources_and_no_text_overlaps(top_loop, shipped_db,
                                                                                       browser):
    loop = top_loop["loop"]
    with SQLiteStore(shipped_db) as store:
        names = store.entity_names(set(loop["nodes"]))
        as_of = store.as_of()
    context, page, errors = open_graphic(browser, top_loop["html"])
    try:
        page.screenshot(path=str(top_loop["folder"] / "loop-1.png"), full_page=True)
        print(f"screenshot: {top_loop['folder'] / 'loop-1.png'}")
        texts = page.evaluate(TEXTS)
        width = page.evaluate("() => document.querySelector('svg').getBoundingClientRect().width")
        assert page.evaluate("() => document.querySelectorAll('script, img, foreignObject').length") == 0
    finally:
        context.close()
    assert errors == []
    assert width >= 1150  # drawn at (about) its full 1200 px
    by_class = lambda cls: [t for t in texts if t["cls"] == cls]  # noqa: E731
    title = " → ".join(names[n] for n in [*loop["nodes"], loop["nodes"][0]])
    assert " ".join(t["text"] for t in by_class("title")) == title
    subtitle = " ".join(t["text"] for t in by_class("subtitle"))
    size = usd(loop["size_usd"]) if loop["size_basis"] == "stated" else sized(loop["size_usd"], loop["size_basis"])
    assert size in subtitle and f"{len(loop['hops'])} hops" in subtitle
    for k, hop in enumerate(loop["hops"], 1):
        amount = " ".join(t["text"] for t in by_class("amount") if t["hop"] == str(k))
        assert amount == hop_amount(hop)
        sources = [t["text"] for t in by_class("source") if t["hop"] == str(k)]
        assert sources, f"hop {k} has no source line"
        for deal in hop["relationships"]:
            deal_text = " ".join(t["text"] for t in by_class("deal") if t["hop"] == str(k))
            assert deal["date"] and deal["date"] in deal_text
            host = urlsplit(deal["evidence_url"]).hostname.removeprefix("www.")
            assert any(host in s for s in sources), (host, sources)
    assert f"Data as of {as_of}" in " ".join(t["text"] for t in by_class("date-line"))
    # no text over another, none past the edge, none under 14 px
    assert overlapping(texts) == []
    assert all(t["x0"] >= 0 and t["x1"] <= width + 0.5 for t in texts), [t["text"] for t in texts if t["x1"] > width]
    assert min(t["px"] for t in texts) >= 14
    # the page is the SVG file, and the SVG is well-formed
    assert top_loop["svg"].read_text(encoding="utf-8") in top_loop["html"].read_text(encoding="utf-8")
    ET.fromstring(top_loop["svg"].read_text(encoding="utf-8"))


def test_the_dossier_button_downloads_the_same_graphic(top_loop, shipped_db, tmp_path, open_page):
    view = tmp_path / "cycles.html"
    result = run("render", "--view", "cycles", "--db", shipped_db, "--out", view)
    assert result.exit_code == 0, result.output
    page = open_page(view)
    page.page.locator("#loops-list li").nth(0).click()
    with page.page.expect_download() as info:
        page.page.locator("#dossier-graphic").click()
    download = info.value
    assert download.suggested_filename == "dealgraph-loop-1.svg"
    with open(download.path(), encoding="utf-8") as f:
        assert f.read() == top_loop["svg"].read_text(encoding="utf-8")
    assert page.errors == []


def test_a_loop_further_down_and_a_filtered_numbering_match_cycles(shipped_db, tmp_path):
    for options in ([], ["--through", "coreweave"], ["--min-amount", "10B"], ["--since", "2025-09"]):
        listed = run("cycles", "--db", shipped_db, "--format", "json", *options)
        assert listed.exit_code == 0, listed.output
        loops = json.loads(listed.output)
        n = len(loops)
        out = tmp_path / f"last{len(options)}.svg"
        result = run("loop", n, "--db", shipped_db, "--out", out, *options)
        assert result.exit_code == 0, result.output
        assert f"loop {n} of {n}: " in result.output
        root = ET.fromstring(out.read_text(encoding="utf-8"))
        hops = [t for t in root.iter(f"{SVG_NS}text") if t.get("class") == "amount"]
        assert sorted({t.get("data-hop") for t in hops}) == [str(k) for k in range(1, len(loops[-1]["hops"]) + 1)]


def test_hostile_names_stay_text(tmp_path, browser):
    hostile_store(tmp_path / "h.db").close()
    out = tmp_path / "hostile.html"
    result = run("loop", "1", "--db", tmp_path / "h.db", "--out", out)
    assert result.exit_code == 0, result.output
    svg = tmp_path / "hostile.svg"
    assert run("loop", "1", "--db", tmp_path / "h.db", "--out", svg).exit_code == 0
    root = ET.fromstring(svg.read_text(encoding="utf-8"))  # well-formed: every name escaped
    assert {el.tag for el in root.iter()} <= {f"{SVG_NS}{t}" for t in ("svg", "title", "defs", "marker", "path",
                                                                        "rect", "text")}
    assert svg.read_text(encoding="utf-8") in out.read_text(encoding="utf-8")
    context, page, errors = open_graphic(browser, out)
    try:
        page.wait_for_timeout(300)
        text = page.evaluate("() => document.querySelector('svg').textContent")
        assert page.evaluate("() => document.querySelectorAll('img, script, b, i, foreignObject').length") == 0
        assert page.evaluate("() => document.querySelectorAll('svg').length") == 1  # no injected <svg onload>
        assert page.evaluate("() => window.__pwned") is None
    finally:
        context.close()
    assert errors == []
    for hostile in HOSTILE[:4]:
        assert hostile.split()[0] in text


@pytest.mark.parametrize("number", ["0", "999", "-1"])
def test_a_loop_number_out_of_range_is_one_clear_line(shipped_db, tmp_path, number):
    out = tmp_path / "x.html"
    result = CliRunner().invoke(main, ["loop", "--db", str(shipped_db), "--out", str(out), "--", number])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: loop {number}: there are ") and "from 1 to " in lines[0]
    assert not out.exists()


def test_png_is_refused_in_one_line(shipped_db, tmp_path):
    out = tmp_path / "x.png"
    result = run("loop", "1", "--db", shipped_db, "--out", out)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: PNG is not written (it would need a browser): write --format svg and convert it"]
    assert not out.exists()


def test_the_graphic_from_neo4j_is_the_embedded_one(neo4j_db, neo4j_server, shipped_db, tmp_path):
    from dealgraph.load import shipped_dataset_dir

    env = {"NEO4J_URI": neo4j_server.uri, "NEO4J_USERNAME": neo4j_server.username,
           "NEO4J_PASSWORD": neo4j_server.password, "NEO4J_DATABASE": neo4j_server.database}
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(shipped_dataset_dir())], env=env)
    assert loaded.exit_code == 0, loaded.output
    for options, numbers in (([], ("1", "3")), (["--through", "nvidia", "--since", "2025-09"], ("1", "2"))):
        for n in numbers:
            neo, embedded = tmp_path / f"neo{n}.svg", tmp_path / f"emb{n}.svg"
            result = runner.invoke(main, ["loop", n, "--out", str(neo), *options], env=env)
            assert result.exit_code == 0, result.output
            assert run("loop", n, "--db", shipped_db, "--out", embedded, *options).exit_code == 0
            assert neo.read_text(encoding="utf-8") == embedded.read_text(encoding="utf-8")
