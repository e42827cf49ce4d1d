"""Helpers for the tests of the HTML views in a real headless Chromium (Playwright):
where Chromium is, a view opened in a page that records everything it tries to do, and
hostile text for every field. The ``browser`` and ``open_page`` fixtures are in conftest.py.

Needs Debian's ``chromium`` at /usr/bin/chromium. Without it the browser tests skip, unless
``DEALGRAPH_REQUIRE_BROWSER=1`` (set by CI), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

from dealgraph.model.records import Entity, Relationship
from dealgraph.stores.sqlite_store import SQLiteStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
REQUIRE = os.environ.get("DEALGRAPH_REQUIRE_BROWSER") == "1"

HOSTILE = [
    '<img src=x onerror="window.__pwned=1;alert(1)">',
    "</script><script>window.__pwned=1;alert(1)</script>",
    '"><svg onload="window.__pwned=1;alert(1)">',
    "' onmouseover='window.__pwned=1;alert(1)' x='",
    "<b>bold</b> & <i>co</i> \u2028 line",
]


class Page:
    """A view opened in a fresh context that records everything the page tries to do."""

    def __init__(self, browser, path: Path, bypass_csp: bool = False):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => window.__dealgraphDrawn === true", timeout=60_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def visible(self) -> tuple[set, set]:
        nodes = self.js("() => dealgraph.nodes.get({filter: n => !n.hidden}).map(n => n.id)")
        edges = self.js("() => dealgraph.edges.get({filter: e => !e.hidden}).map(e => e.id)")
        return set(nodes), set(edges)

    def states(self, what: str) -> dict:
        return self.js(f"() => Object.fromEntries(dealgraph.{what}.get().map(x => [x.id, x.dg_state]))")

    def close(self):
        self.context.close()


def hostile_store(path: Path) -> SQLiteStore:
    """Every text field of every record is hostile; the deals form one loop h0 -> ... -> h0."""
    n = len(HOSTILE)
    store = SQLiteStore(path)
    store.write(
        [Entity(f"h{i}", text, "company", ticker=text, country=text, aliases=(text,))
         for i, text in enumerate(HOSTILE)],
        [Relationship(f"r{i}", f"h{i}", "invests_in", f"h{(i + 1) % n}", 1e9 * (i + 1), text,
                      "2025-01-0" + str(i + 1), text,
                      "javascript:window.__pwned=1;alert(1)" if i % 2 == 0
                      else 'https://example.com/x?"><script>alert(1)</script>', text)
         for i, text in enumerate(HOSTILE)]
        + [Relationship("r-structural", "h0", "partner_of", "h2", None, HOSTILE[1], "2024",
                        HOSTILE[0], "JAVASCRIPT:alert(1)", HOSTILE[2])],
    )
    return store
