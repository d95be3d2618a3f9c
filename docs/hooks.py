"""MkDocs hooks: the pages of the site that are generated from the repository at build time.

- ``index.md`` (docs/) is Getting started, the landing page: what the project is and where a learner starts;
- every ``notebooks/*.ipynb`` becomes a page through mkdocs-jupyter, with its stored outputs, a short title in
  the navigation (the notebook's own first heading, its question, opens the page), and below that heading a
  link to download the ``.ipynb`` (mkdocs-jupyter copies it beside the page) -- plus "Open in Colab" and
  "Launch Binder" when ``pyproject.toml`` names a GitHub repository in ``[project.urls]``;
- ``api/<module>.md`` documents the public API only: the package and each of its modules or subpackages that
  declares ``__all__``, one entry per exported name (where it is defined, so internals never get a page of
  their own); ``Value`` and ``Tensor`` get a page each. A module that adds ``__all__`` later is documented
  without editing anything here (mkdocstrings renders the docstrings);
- ``explorer.md`` and ``explorer/example.html`` appear only when ``tinygrad_relu.explore`` exists.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import pkgutil
import tempfile
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = "tinygrad_relu"
# The navigation's titles of the notebooks, short enough not to wrap in the sidebar; a notebook missing here is
# titled from its file name. The notebook's first heading, its question, stays the first line of its page.
BRANCH = "main"  # the branch the Colab and Binder links read the notebooks from
SHORT_TITLES = {
    "00_build_the_engine": "Build the engine yourself",
    "01_value_and_leaky_relu": "Value and the leaky ReLU",
    "02_xor_without_handwritten_derivatives": "XOR: the derivative's bug",
    "03_output_layer_for_binary_classification": "The output layer",
    "04_which_leaky_relu": "Which leaky ReLU?",
    "05_gradient_at_zero": "The gradient at 0",
    "06_dying_relu": "Dying ReLUs, measured",
    "07_visualising_the_backward_pass": "Watching the backward pass",
    "08_digits_dying_relu": "Digits: dead units",
    "09_a_tensor_ops_backward": "A Tensor op's backward",
    "10_the_code_autograd_writes": "The code autograd writes",
    "11_gradients_of_gradients": "Gradients of gradients",
}


def notebooks() -> list[pathlib.Path]:
    """The course's notebooks, in order."""
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def notebook_title(path: pathlib.Path) -> str:
    """The notebook's number and short title, for the navigation."""
    number, _, rest = path.stem.partition("_")
    title = SHORT_TITLES.get(path.stem) or rest.replace("_", " ").capitalize()
    return f"{number}. {title}"


def repository() -> str | None:
    """The repository's URL from ``[project.urls]`` in pyproject.toml (Repository, else Source), or None."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: no TOML reader in the standard library, so no such links
        return None
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")).get("project", {}).get("urls", {})
    by_key = {key.lower(): url for key, url in urls.items()}
    return by_key.get("repository") or by_key.get("source")


def notebook_links(name: str, repo: str | None) -> list[tuple[str, str]]:
    """(label, href) of the links on notebook ``name``'s page: the .ipynb beside it, and when ``repo`` is a
    GitHub repository, the notebook opened in Colab and in Binder (both read it from ``BRANCH``)."""
    links = [("Download the notebook (.ipynb)", quote(name))]
    parts = urlsplit(repo or "")
    path = parts.path.strip("/").removesuffix(".git")
    if parts.netloc in ("github.com", "www.github.com") and path.count("/") == 1:
        where = f"notebooks/{name}"
        links.append(("Open in Colab", f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/{quote(where)}"))
        links.append(("Launch Binder", f"https://mybinder.org/v2/gh/{path}/{BRANCH}?labpath={quote(where, safe='')}"))
    return links


def modules() -> list[str]:
    """The public modules: the package, then each module or subpackage directly in it that declares ``__all__``."""
    package = importlib.import_module(PACKAGE)
    found = [PACKAGE]
    for info in pkgutil.iter_modules(package.__path__, PACKAGE + "."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue  # __main__ runs the CLI on import
        if hasattr(importlib.import_module(info.name), "__all__"):
            found.append(info.name)
    return found


# The two classes a learner reads most get a page each, so the package page stays a list of functions.
OWN_PAGE = ("Value", "Tensor")


def _path(module: str, name: str, obj: Any) -> str:
    """Where mkdocstrings finds ``name``: its definition for a class or function (one anchor, wherever it is
    exported), else the module's attribute (a constant such as ``HEADS``)."""
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    return f"{module}.{name}"


def _entry(path: str, level: int = 2) -> str:
    return (
        f"::: {path}\n    options:\n      show_root_heading: true\n      show_root_full_path: false\n"
        f"      heading_level: {level}\n"
    )


def api_pages() -> dict[str, tuple[str, str]]:
    """Page name -> (navigation title, markdown) for the public API; each exported object is documented once,
    on the first page that exports it."""
    pages: dict[str, tuple[str, str]] = {}
    seen: set[int] = set()
    for module in modules():
        mod = importlib.import_module(module)
        entries = []
        for name in mod.__all__:
            obj = getattr(mod, name)
            if id(obj) in seen and not isinstance(obj, (int, float, str)):
                continue
            if "<" in getattr(obj, "__qualname__", ""):
                continue  # a stand-in made at run time (the docs tests replace ``explore``): nothing to document
            seen.add(id(obj))
            if module == PACKAGE and name in OWN_PAGE:
                pages[name] = (name, _entry(_path(module, name, obj), level=1))  # its heading is the page's title
            else:
                entries.append(_entry(_path(module, name, obj)))
        if entries:
            head = f"# `{module}`\n\n::: {module}\n    options:\n      members: false\n\n"
            pages[module] = (module, head + "\n".join(entries))
    order = [*OWN_PAGE, *modules()]
    return {name: pages[name] for name in order if name in pages}


def explorer_html() -> str | None:
    """The explorer page of one leaky-ReLU neuron, or None when this version has no ``explore``."""
    package = importlib.import_module(PACKAGE)
    try:
        explore = package.explore
    except AttributeError:
        return None
    Value = package.Value
    x1, x2 = Value(2.0, "x1"), Value(-1.0, "x2")
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(4.0, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    out = n.leaky_relu(0.1)
    out.label = "o"
    page = explore(out)
    html = page._repr_html_() if hasattr(page, "_repr_html_") else str(page)
    if hasattr(page, "save"):  # the standalone page, as a user saves it
        with tempfile.TemporaryDirectory() as tmp:
            target = pathlib.Path(tmp) / "explorer.html"
            page.save(str(target))
            html = target.read_text(encoding="utf-8")
    return html


EXPLORER_PAGE = """# The backward-pass explorer

`explore(root)` writes one self-contained page that steps through a backward pass closure by closure. Below is
the page for one leaky-ReLU neuron, `o = leaky_relu(x1*w1 + x2*w2 + b, 0.1)` with `x1 = 2, x2 = -1, w1 = -3,
w2 = 1, b = 4` (so `n = -3` and the gradient takes the alpha path). Click into it and use the arrow keys, or
[open it on its own page](explorer/example.html).

<iframe src="example.html" title="backward-pass explorer"
        style="width:100%;height:720px;border:1px solid #ccc"></iframe>

Every arrow is a gradient: it points from the node whose closure sent it to the input that received it, labelled
with what it carried; a thin grey line without an arrowhead is a forward edge nothing has flowed back on yet.
Drag or use the mouse wheel to pan and zoom (`+`, `-`, `0` fits, `r` back to readable text).

## Screenshots

Three pages at 1400 x 900, each at step 0, half-way and the end.

**A scalar network, one box per neuron** (`python -m tinygrad_relu --dataset moons --explore m.html`):

![moons, step 0: the root and its seed, with the legend](explorer/moons-step-0.png)
![moons, step 33 of 67: neuron 2.2's weighted sum sent its gradient back](explorer/moons-step-33.png)
![moons, step 67: the whole pass, neuron 2.16 open over the picture](explorer/moons-step-67.png)

**A Tensor network, one box per layer, top to bottom**
(`python -m tinygrad_relu --dataset spirals --engine tensor --explore s.html`):

![spirals, step 0](explorer/spirals-step-0.png)
![spirals, step 4 of 9: log_softmax's vector-Jacobian product in the details panel](explorer/spirals-step-4.png)
![spirals, step 9: layer 2 open over the picture](explorer/spirals-step-9.png)

**The 3-step neuron** `y = leaky_relu(w x + b, 0.1)`:

![3-step neuron, step 0](explorer/three-step-0.png)
![3-step neuron, step 1: the arrow from y to n carries 0.1](explorer/three-step-1.png)
![3-step neuron, step 3: the whole pass](explorer/three-step-3.png)
"""


def on_config(config: Any) -> Any:
    """The navigation, a learner's first: getting started, the course (the notebooks in order), the explorer (when
    present), the API (a guide by example, then the reference pages), performance, development."""
    nav: list[Any] = [
        {"Getting started": "index.md"},
        {"Course": [{notebook_title(p): f"notebooks/{p.name}"} for p in notebooks()]},
    ]
    if _has_explore():
        nav.append({"Explorer": "explorer.md"})
    reference = [{title: f"api/{name}.md"} for name, (title, _) in api_pages().items()]
    nav.append({"API": [{"Guide: the package by example": "guide.md"}, *reference]})
    nav.append({"Performance": "performance.md"})
    nav.append({"Development": "development.md"})
    config["nav"] = nav
    if not config["extra"].get("repository"):  # mkdocs.yml's extra.repository, if set, wins
        config["extra"]["repository"] = repository()
    return config


def _has_explore() -> bool:
    return hasattr(importlib.import_module(PACKAGE), "explore")


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns the .ipynb files into pages
def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages and the notebooks."""
    for path in notebooks():
        rel = f"notebooks/{path.name}"
        if files.get_file_from_path(rel) is None:
            files.append(File(rel, str(ROOT), config["site_dir"], config["use_directory_urls"]))
    for name, (_, content) in api_pages().items():
        files.append(File.generated(config, f"api/{name}.md", content=content))
    html = explorer_html()
    if html is not None:
        files.append(File.generated(config, "explorer.md", content=EXPLORER_PAGE))
        files.append(File.generated(config, "explorer/example.html", content=html))
    return files


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """A notebook's page gets its links in a line just below its first heading, the notebook's question."""
    src = page.file.src_uri
    if not (src.startswith("notebooks/") and src.endswith(".ipynb")):
        return html
    links = notebook_links(src.rsplit("/", 1)[-1], config["extra"].get("repository"))
    line = (
        '<p class="notebook-links">'
        + " · ".join(
            f'<a href="{escape(href)}"{" download" if href.endswith(".ipynb") else ""}>{escape(label)}</a>'
            for label, href in links
        )
        + "</p>"
    )
    end = html.find("</h1>")
    return html + line if end < 0 else html[: end + 5] + line + html[end + 5 :]
