"""The documentation site builds with `mkdocs build --strict` (any warning fails it), has no broken link, renders
every notebook with its stored outputs, and documents every public name of the package."""

import html
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
from urllib.parse import unquote, urlsplit

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MISSING = [
    name
    for name in ("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings_handlers.python")
    if importlib.util.find_spec(name.split(".")[0]) is None
    or (name.count(".") and importlib.util.find_spec(name) is None)
]
pytestmark = [
    pytest.mark.slow,  # a full site build
    pytest.mark.skipif(
        bool(MISSING), reason=f"the docs extra is not installed (missing {MISSING}): pip install -e '.[docs]'"
    ),
]


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


def test_landing_page_is_the_readme(site):
    site_dir, _ = site
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", readme, flags=re.M)
    assert headings and all(
        html.escape(h.replace("`", ""), quote=False) in re.sub(r"</?code>", "", index) for h in headings
    )


def test_every_notebook_has_a_page_with_its_outputs(site):
    site_dir, _ = site
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = (site_dir / "notebooks" / notebook.stem / "index.html").read_text(encoding="utf-8")
        assert "jp-OutputArea-output" in page, f"{notebook.name}: no stored outputs rendered"
        source = notebook.read_text(encoding="utf-8")
        assert page.count("data:image/png") >= source.count('"image/png"'), f"{notebook.name}: a figure is missing"


def test_api_reference_covers_every_public_name(site):
    """The names tests/test_public_api.py requires docstrings for each have an anchor in the API pages: under
    their own name, or where they are defined (Tensor binds its ops from tensor/elementwise.py and friends)."""
    site_dir, _ = site
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from test_public_api import CALLABLES
    finally:
        sys.path.pop(0)
    anchors = set()
    for page in (site_dir / "api").rglob("index.html"):
        anchors |= set(re.findall(r'id="(tinygrad_relu[\w.]*)"', page.read_text(encoding="utf-8")))
    missing = sorted(
        name
        for name, obj in CALLABLES.items()
        if name not in anchors and f"{obj.__module__}.{obj.__qualname__}" not in anchors and obj.__name__ != "__init__"
    )  # merged into the class's entry
    assert not missing, f"no API entry for {missing}"


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
    build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path), strict=True))
    assert "step 0 of N for o" in (tmp_path / "explorer" / "example.html").read_text(encoding="utf-8")
    page = (tmp_path / "explorer" / "index.html").read_text(encoding="utf-8")
    assert 'src="example.html"' in page and 'href="example.html"' in page
    assert 'href="explorer/"' in (tmp_path / "index.html").read_text(encoding="utf-8")  # in the navigation
    assert not broken_links(tmp_path)
