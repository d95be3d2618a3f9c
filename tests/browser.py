"""The pages of the tests opened in the Debian Chromium (driven by playwright), recording what went wrong, and
what to do when the browser is missing: skip with the reason on a developer's machine, fail with the same reason
in CI (CI=true), where a silent skip would hide that the page tests never ran.

The ``browser`` fixture (conftest.py) launches it; ``Page`` opens a file and records every console error
(a Content-Security-Policy violation is one), page error and request that leaves the file system.
"""

import os
from pathlib import Path

import needs

CHROMIUM = "/usr/bin/chromium"  # Debian's package; playwright's own browser download is not used
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    reason = needs.missing("browser", "the browser tests")
    if reason is not None:
        return reason
    if not os.path.exists(CHROMIUM):
        return f"the browser tests need the Debian chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    return None


def require_chromium() -> None:
    """Call at module level in a browser test file: skips it locally, fails it in CI, naming what is missing."""
    reason = missing()
    if reason is not None:
        needs.skip_or_fail(reason)


class Page:
    """A file opened in a new tab, with every console error and non-file request recorded."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.set_default_timeout(10_000)  # a broken page fails in seconds, not playwright's 30
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.goto(path)

    def goto(self, path: Path):
        """Open another file in the same tab (a new tab costs more than the page itself)."""
        self.page.goto(path.as_uri())

    def _route(self, route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def where(self):
        return self.page.inner_text("#where")

    def box(self, key, within="#main"):
        return self.page.locator(f"{within} g.node:has(> title:text-is('{key}'))")

    def reveal(self, key):
        """Pan the main picture so the box ``key`` is in the middle of the stage, and wait until it is drawn there."""
        self.page.evaluate("(key) => reveal(key)", key)
        self.settle()

    def settle(self):
        """Wait two animation frames: svg-pan-zoom moves the picture on the next one."""
        self.page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")

    def close(self):
        self.page.close()
        assert self.errors == [] and self.requests == [], (self.errors, self.requests)


def opened_pages(browser, folder: Path, builds: dict):
    """Each explorer page of ``builds`` (name -> function making it) built once, saved in ``folder`` and opened in
    its own tab: yields {name: (explorer, Page)} and closes the tabs (checking their errors) afterwards."""
    opened = {}
    for name, build in builds.items():
        explorer = build()
        opened[name] = (explorer, Page(browser, explorer.save(folder / f"{name}.html")))
    yield opened
    for _, page in opened.values():
        page.close()
