"""The documentation site builds with `mkdocs build --strict` (any warning fails it), has no broken link, opens on
Getting started, renders every notebook with its stored outputs and a link to download it, draws its equations
offline, and documents every public name of the package."""

import html
import json
import os
import pathlib
import re
import subprocess
import sys
from urllib.parse import unquote, urlsplit

import pytest
from needs import require

ROOT = pathlib.Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # a full site build
require("docs", "building the docs site")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One strict build for the whole module, into a temporary directory; returns (site dir, build log)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{log[-4000:]}"
    return out, log


def pages(site_dir):
    return sorted(site_dir.rglob("*.html"))


def test_build_is_strict_and_quiet(site):
    _, log = site
    assert not [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))], log


def broken_links(site_dir):
    """Every relative href/src of every page (notebook pages too, which mkdocs does not validate) that is missing."""
    broken = []
    for page in pages(site_dir):
        if page.name == "404.html":
            continue  # served at any URL, so its links are absolute to the site root by design
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            parts = urlsplit(html.unescape(target))
            if parts.scheme or parts.netloc or not parts.path:
                continue  # external, or an anchor on the same page
            path = (page.parent / unquote(parts.path)).resolve()
            if not (path.is_file() or (path / "index.html").is_file()):
                broken.append(f"{page.relative_to(site_dir)} -> {target}")
    return broken


def test_no_broken_links(site):
    broken = broken_links(site[0])
    assert not broken, "broken links:\n" + "\n".join(broken[:30])


def text_of(page: pathlib.Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_landing_page_is_getting_started(site):
    """The first page says what the project is and where a learner starts, not how to develop it."""
    site_dir, _ = site
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    assert "<h1" in index and "Getting started" in index
    assert "Where to start" in text_of(site_dir / "index.html")
    assert 'href="notebooks/00_build_the_engine/"' in index
    assert "ruff" not in text_of(site_dir / "index.html") and "mypy" not in text_of(site_dir / "index.html")


NAV_LINK = re.compile(r'class="md-nav__link[^"]*"[^>]*>\s*(?:<span[^>]*>)?\s*([^<]+?)\s*<')


def nav_titles(site_dir) -> list[str]:
    """The titles of the navigation's entries and sections, in order (from the landing page's sidebar)."""
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    return [html.unescape(t) for t in NAV_LINK.findall(index[index.index("md-nav--primary") :])]


def test_navigation_starts_with_the_learner(site):
    site_dir, _ = site
    titles = nav_titles(site_dir)
    order = ["Getting started", "Course", "Explorer", "API", "Performance", "Development"]
    seen = [t for t in titles if t in order]
    assert list(dict.fromkeys(seen)) == order, titles


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def notebook_page(site_dir, notebook: pathlib.Path) -> str:
    return (site_dir / "notebooks" / notebook.stem / "index.html").read_text(encoding="utf-8")


def test_every_notebook_has_a_page_with_its_outputs(site):
    site_dir, _ = site
    for notebook in NOTEBOOKS:
        page = notebook_page(site_dir, notebook)
        assert "jp-OutputArea-output" in page, f"{notebook.name}: no stored outputs rendered"
        source = notebook.read_text(encoding="utf-8")
        assert page.count("data:image/png") >= source.count('"image/png"'), f"{notebook.name}: a figure is missing"


def test_every_notebook_page_links_its_ipynb_which_is_in_the_site(site):
    """mkdocs.yml promises a download link on each notebook page: it is there, and the file it names is the
    notebook itself, byte for byte."""
    site_dir, _ = site
    for notebook in NOTEBOOKS:
        page = notebook_page(site_dir, notebook)
        links = re.search(r'<p class="notebook-links">(.*?)</p>', page, flags=re.S)
        assert links, f"{notebook.name}: no notebook links"
        article = page[page.index("<article") :]
        assert article.index("</h1>") < article.index("notebook-links"), "the question must stay the first line"
        assert f'<a href="{notebook.name}" download>' in links.group(1), links.group(1)
        copy = site_dir / "notebooks" / notebook.stem / notebook.name
        assert copy.read_bytes() == notebook.read_bytes()
        # pyproject.toml names no repository yet, so there is nothing to open in Colab or Binder
        assert hooks().repository() is not None or "colab" not in links.group(1).lower()


def test_notebook_titles_are_short_and_the_question_opens_the_page(site):
    site_dir, _ = site
    module = hooks()
    for notebook in NOTEBOOKS:
        title = module.notebook_title(notebook)
        assert title.startswith(notebook.stem[:2] + ". ") and len(title) <= 32, title
        page = notebook_page(site_dir, notebook)
        article = page[page.index("<article") :]
        first = re.search(r"<h1[^>]*>(.*?)</h1>", article, flags=re.S)
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        markdown = "".join("".join(c["source"]) + "\n" for c in cells if c["cell_type"] == "markdown")
        heading = next(line[2:] for line in markdown.splitlines() if line.startswith("# "))
        assert first and html.unescape(re.sub(r"<[^>]+>|¶", "", first.group(1))).strip() == heading.replace("`", "")
        assert title in nav_titles(site_dir), title


def test_notebook_links_follow_the_repository_url(tmp_path, monkeypatch):
    """Colab and Binder links appear only when pyproject.toml names a GitHub repository; the download always."""
    module = hooks()
    assert module.notebook_links("00_x.ipynb", None) == [("Download the notebook (.ipynb)", "00_x.ipynb")]
    assert module.notebook_links("00_x.ipynb", "https://gitlab.com/a/b") == module.notebook_links("00_x.ipynb", None)
    links = dict(module.notebook_links("00_x.ipynb", "https://github.com/someone/tinygrad_relu.git"))
    assert links["Open in Colab"] == (
        "https://colab.research.google.com/github/someone/tinygrad_relu/blob/main/notebooks/00_x.ipynb"
    )
    assert (
        links["Launch Binder"] == "https://mybinder.org/v2/gh/someone/tinygrad_relu/main?labpath=notebooks%2F00_x.ipynb"
    )
    project = tmp_path / "pyproject.toml"
    monkeypatch.setattr(module, "ROOT", tmp_path)
    project.write_text('[project]\nname = "x"\n')
    assert module.repository() is None
    project.write_text('[project]\nname = "x"\n[project.urls]\nSource = "https://github.com/a/b"\n')
    assert module.repository() == "https://github.com/a/b"
    project.write_text('[project.urls]\nSource = "https://github.com/a/b"\nRepository = "https://github.com/c/d"\n')
    assert module.repository() == "https://github.com/c/d"


def hooks():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import hooks as module
    finally:
        sys.path.pop(0)
    return module


def api_anchors(site_dir):
    anchors = set()
    for page in (site_dir / "api").rglob("index.html"):
        anchors |= set(re.findall(r'id="(tinygrad_relu[\w.]*)"', page.read_text(encoding="utf-8")))
    return anchors


def test_api_reference_covers_every_exported_name(site):
    """Every name in ``__all__`` of the package and of its public modules has an entry: under its own module's
    name, or where it is defined (Value lives in tinygrad_relu.engine.value and is exported from tinygrad_relu)."""
    import importlib
    import inspect

    site_dir, _ = site
    anchors = api_anchors(site_dir)
    missing = []
    for module in hooks().modules():
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            defined = f"{obj.__module__}.{obj.__qualname__}" if inspect.isclass(obj) or inspect.isfunction(obj) else ""
            if f"{module}.{name}" not in anchors and defined not in anchors:
                missing.append(f"{module}.{name}")
    assert not missing, f"no API entry for {missing}"
    assert {"tinygrad_relu.nn", "tinygrad_relu.losses", "tinygrad_relu.exercises"} <= set(hooks().modules())


def test_api_reference_leaves_the_internals_out(site):
    """Only the public modules have pages; nothing private or merely internal is documented."""
    import tinygrad_relu

    site_dir, _ = site
    pages = {p.name for p in (site_dir / "api").iterdir() if p.is_dir()}
    assert pages == set(hooks().api_pages()) and {"Value", "Tensor", "tinygrad_relu"} <= pages
    internal = {
        "tinygrad_relu.checks",
        "tinygrad_relu.engine.graph",
        "tinygrad_relu.engine.value",
        "tinygrad_relu.tensor.node",
    }
    assert not pages & internal
    exported = set(tinygrad_relu.__all__)
    top = re.findall(r'id="tinygrad_relu\.([A-Za-z_]\w*)"', (site_dir / "api/tinygrad_relu/index.html").read_text())
    assert set(top) <= exported, set(top) - exported
    assert all(not a.rsplit(".", 1)[-1].startswith("_") for a in api_anchors(site_dir))


def test_value_page_opens_with_value(site):
    """The page of Value starts with the class and its docstring: no type alias (Number, Backward) and no private
    member (_backward) before it, or anywhere on the page."""
    site_dir, _ = site
    page = (site_dir / "api" / "Value" / "index.html").read_text(encoding="utf-8")
    article = page[page.index("<article") :]
    ids = re.findall(r'id="(tinygrad_relu[\w.]*)"', article)
    assert ids[0].endswith(".Value") and "A number that records" in article[: article.index(ids[1])]
    assert not [i for i in ids if i.rsplit(".", 1)[-1] in ("Number", "Backward") or "._" in i], ids
    assert ">_backward<" not in article


def test_getting_started_and_the_course_in_order(site):
    site_dir, _ = site
    start = text_of(site_dir / "index.html")
    assert "pip install -e" in start and "00. Build the engine yourself" in start
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    nav = list(dict.fromkeys(re.findall(r'href="(?:\./)?notebooks/(\d\d)_', index)))  # in the order first seen
    assert nav == [p.stem[:2] for p in NOTEBOOKS] and nav[0] == "00" and "10" in nav


def test_explorer_page_only_when_the_package_has_explore(site):
    import tinygrad_relu

    site_dir, _ = site
    page = site_dir / "explorer" / "index.html"
    assert page.is_file() == hasattr(tinygrad_relu, "explore")
    if page.is_file():
        assert (site_dir / "explorer" / "example.html").stat().st_size > 1000


def test_explorer_page_is_built_when_explore_exists(monkeypatch, tmp_path):
    """Issue 10's ``explore`` is called by the docs hook when present: with a stand-in, a strict build (run in
    this process, so the stand-in is seen) gets an Explorer page that embeds and links the saved example."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import tinygrad_relu

    class Page:
        def __init__(self, root):
            self.root = root

        def save(self, path):
            pathlib.Path(path).write_text(
                f"<html><body>step 0 of N for {self.root.label}</body></html>" + " " * 1000, encoding="utf-8"
            )

    monkeypatch.setattr(tinygrad_relu, "explore", lambda root, **kwargs: Page(root), raising=False)
    monkeypatch.chdir(ROOT)
    repo = "https://github.com/someone/tinygrad_relu"
    build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path), strict=True, extra={"repository": repo}))
    assert "step 0 of N for o" in (tmp_path / "explorer" / "example.html").read_text(encoding="utf-8")
    page = (tmp_path / "explorer" / "index.html").read_text(encoding="utf-8")
    assert 'src="example.html"' in page and 'href="example.html"' in page
    assert 'href="explorer/"' in (tmp_path / "index.html").read_text(encoding="utf-8")  # in the navigation
    assert not broken_links(tmp_path)
    # with the repository known, every notebook page opens in Colab and Binder too
    for notebook in NOTEBOOKS:
        links = re.search(r'<p class="notebook-links">(.*?)</p>', notebook_page(tmp_path, notebook), flags=re.S)
        assert f"colab.research.google.com/github/someone/tinygrad_relu/blob/main/notebooks/{notebook.name}" in (
            links.group(1)
        )
        assert "mybinder.org/v2/gh/someone/tinygrad_relu/main?labpath=notebooks%2F" in links.group(1)


# --- opened offline: a real browser, and not one request past localhost -----------------------------------------


@pytest.fixture(scope="module")
def served(site):
    """The built site on a local http.server (127.0.0.1, a free port): what `mkdocs serve` or a file copy gives a
    reader without a network. Yields the base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a page closed while a file was still being sent: the browser's business

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site[0])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()


def _router(base, seen, external, name):
    """A playwright route handler: lets requests to ``base`` through, records and aborts any other."""

    def route(r):
        seen.append(r.request.url)
        if r.request.url.startswith(base):
            r.continue_()
        else:
            external.append(f"{name} -> {r.request.url}")
            r.abort()

    return route


def test_pages_request_nothing_beyond_localhost(served, site):
    """Every page of the site (getting started, the notebooks, the API pages, the explorer and its example,
    404), loaded in Chromium, asks only the local server for anything: no web font, no script or style from a CDN.
    (mkdocs-material loads Google Fonts unless theme.font is false.)"""
    browser = _chromium()
    from playwright.sync_api import sync_playwright

    paths = sorted(str(p.relative_to(site[0])).removesuffix("index.html") for p in pages(site[0]))
    local, external = {}, []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.ARGS)
        try:
            for path in paths:
                page = chromium.new_page()
                seen = []

                page.route("**/*", _router(served, seen, external, path or "index"))
                page.goto(served + path, wait_until="load")
                page.wait_for_timeout(100)  # scripts that run after load (search, the explorer) ask now
                local[path or "index"] = len(seen)
                page.close()
        finally:
            chromium.close()
    assert not external, "requests past localhost:\n" + "\n".join(external)
    assert {"index", "guide/", "performance/", "api/Value/", "notebooks/00_build_the_engine/"} <= set(local)
    assert all(n >= 1 for n in local.values()), local


def _chromium():
    import browser  # tests/browser.py, on the path conftest.py sets

    browser.require_chromium()
    return browser


def notebooks_with_math() -> list[pathlib.Path]:
    """The notebooks whose markdown cells hold an equation ($...$ or $$...$$, as Jupyter writes them)."""
    found = []
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        if any(c["cell_type"] == "markdown" and re.search(r"\$[^$\s][^$]*\$", "".join(c["source"])) for c in cells):
            found.append(notebook)
    return found


def test_equations_render_offline_in_chromium(served):
    """The getting-started page's equation (and any notebook's) is drawn by the vendored KaTeX: its output
    elements are there, none is an error, no raw $$ is left, and not one request leaves localhost."""
    browser = _chromium()
    from playwright.sync_api import sync_playwright

    paths = ["", *(f"notebooks/{p.stem}/" for p in notebooks_with_math())]
    external: list[str] = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.ARGS)
        try:
            for path in paths:
                page = chromium.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.route("**/*", _router(served, [], external, path or "index"))
                page.goto(served + path, wait_until="load")
                article = page.locator("article")
                assert article.locator(".katex").count() >= (2 if path == "" else 1), path
                assert article.locator(".katex-display").count() >= (1 if path == "" else 0), path
                assert article.locator(".katex-error").count() == 0, path
                assert "$$" not in article.inner_text() and not errors, (path, errors)
                page.close()
        finally:
            chromium.close()
    assert not external, "requests past localhost:\n" + "\n".join(external)


def test_first_screen_says_what_it_is_and_where_to_start(served):
    """At 1400 x 900 the landing page shows, without scrolling, what the project is and the link to notebook 00."""
    browser = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", _router(served, [], [], "index"))
            page.goto(served, wait_until="load")
            for locator in (
                page.locator("article h1"),
                page.locator("article p", has_text="is a course on backpropagation"),
                page.locator("article p", has_text="Where to start").locator(
                    'a[href="notebooks/00_build_the_engine/"]'
                ),
            ):
                box = locator.first.bounding_box()
                assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 900, (locator, box)
            if os.environ.get("TINYGRAD_RELU_SCREENSHOTS"):  # a folder: where to put the picture of the first screen
                page.screenshot(path=str(pathlib.Path(os.environ["TINYGRAD_RELU_SCREENSHOTS"]) / "site-home.png"))
        finally:
            chromium.close()


def test_a_notebooks_equations_come_through_mkdocs_jupyter_and_render(browser, tmp_path):
    """A notebook's markdown cell keeps $...$ and $$...$$ through mkdocs-jupyter's conversion (as the site renders
    notebooks), and the site's math.js with the vendored KaTeX draws them, with no request leaving the disk."""
    import nbformat
    from browser import Page
    from mkdocs_jupyter.convert import nb2html

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "# Slopes\n\nInline $\\frac{\\partial y}{\\partial x_1} = \\alpha_1$, and displayed:\n\n"
            "$$\\mathrm{leaky\\_relu}'(x) = \\begin{cases} 1 & x > 0 \\\\ \\alpha & x \\le 0 \\end{cases}$$"
        )
    ]
    source = tmp_path / "math.ipynb"
    nbformat.write(notebook, source)
    body = nb2html(str(source), execute=False, theme="light", custom_mathjax_url="")  # as mkdocs.yml's plugin does
    docs = ROOT / "docs"
    scripts = "".join(
        f'<script src="{(docs / s).as_uri()}"></script>'
        for s in ("vendor/katex/katex.min.js", "vendor/katex/contrib/auto-render.min.js", "math.js")
    )
    css = (docs / "vendor/katex/katex.min.css").as_uri()
    page_file = tmp_path / "page.html"
    page_file.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="{css}"></head>'
        f"<body><article>{body}</article>{scripts}</body></html>",
        encoding="utf-8",
    )
    page = Page(browser, page_file)
    try:
        article = page.page.locator("article")
        assert article.locator(".katex").count() == 2 and article.locator(".katex-display").count() == 1
        assert article.locator(".katex-error").count() == 0 and "$" not in article.inner_text()
    finally:
        page.close()
