"""Every view on a phone (390 x 844 CSS pixels, a mobile viewport with touch) in a real
headless Chromium: the drawing keeps most of the screen and nothing covers it (the side
panel goes below it and scrolls on its own), every control can be reached and used, the
page never scrolls sideways, and no text is drawn under 12 px.

A screenshot of each view is written to the test's temporary folder (paths printed).
"""

from __future__ import annotations

import pytest

from dealgraph.output.html import render_view

PHONE = {"width": 390, "height": 844}
MIN_TEXT_PX = 12
VIEWS = {"overview": {}, "cycles": {}, "focus": {"focus": "nvidia"}, "stress": {"failed": ["coreweave"]}}


@pytest.fixture(scope="module")
def views(shipped_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone")
    return {view: render_view(shipped_store, view, folder / f"{view}.html", **kw).path for view, kw in VIEWS.items()}, folder


@pytest.fixture
def phone(browser):
    from browser_pages import Page

    opened = []

    def _open(path):
        page = Page.__new__(Page)
        page.context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page.errors = []
        page.page = page.context.new_page()
        page.page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.page.goto(path.as_uri())
        page.page.wait_for_function("() => window.__dealgraphSettled === true", timeout=120_000)
        opened.append(page)
        return page

    yield _open
    for page in opened:
        page.close()


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_view_is_usable_on_a_phone(views, phone, view):
    paths, folder = views
    page = phone(paths[view])
    shot = folder / f"{view}-390.png"
    page.page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    m = page.js("""() => {
      const r = id => { const b = document.getElementById(id).getBoundingClientRect(); return {l: b.left, r: b.right, t: b.top, b: b.bottom}; };
      const small = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        if (!t.textContent.trim()) continue;
        const e = t.parentElement, s = getComputedStyle(e);
        if (e.closest('[hidden]') || s.display === 'none' || s.visibility === 'hidden' || !e.getClientRects().length) continue;
        if (parseFloat(s.fontSize) < 12) small.push([e.tagName, e.id || e.className, t.textContent.trim().slice(0, 30), s.fontSize]);
      }
      return {drawing: r('canvas-wrap'), side: r('side'), legend: r('legend'), footer: r('footer'),
              scrollWidth: document.documentElement.scrollWidth, bodyScroll: document.body.scrollWidth,
              innerWidth: window.innerWidth, innerHeight: window.innerHeight, small: small};
    }""")
    print(m)
    d, side = m["drawing"], m["side"]
    # No sideways scrolling of the page.
    assert m["innerWidth"] == PHONE["width"]
    assert m["scrollWidth"] <= PHONE["width"] and m["bodyScroll"] <= PHONE["width"]
    # The drawing: the full width, at least half the screen's height, and nothing over it.
    assert d["l"] <= 0.5 and d["r"] >= PHONE["width"] - 0.5
    assert d["b"] - d["t"] >= 0.5 * PHONE["height"]
    for other in ("side", "legend", "footer"):
        o = m[other]
        overlap = min(d["r"], o["r"]) > max(d["l"], o["l"]) and min(d["b"], o["b"]) > max(d["t"], o["t"])
        assert not overlap, (other, o, d)
    assert side["t"] >= d["b"] - 0.5  # the panel below the drawing
    assert m["small"] == []
    # Every control that shows can be reached (scrolled to) and is not covered: a trial tap.
    controls = page.page.locator("#side button:visible, #side input:visible, #legend button:visible")
    assert controls.count() >= 5
    for i in range(controls.count()):
        control = controls.nth(i)
        control.scroll_into_view_if_needed(timeout=5000)
        control.tap(trial=True, timeout=5000)
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box
    # The search works with a tap and the keyboard, and the drawing is still in sight.
    page.page.locator("#search").tap()
    page.page.keyboard.type("Nvidia")
    page.page.locator("#search-go").tap()
    assert page.js("() => dealgraph.network.getSelectedNodes()") == ["nvidia"]
    assert page.errors == []
