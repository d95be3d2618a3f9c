"""The last stage of a page: the explorer's HTML template filled with the pictures and what the page says, so
that nothing a user wrote can turn into markup or script.

Every placeholder is filled in one pass (a filled-in value is never searched for placeholders again); JSON
put in a ``<script>`` block has every character that could end or confuse that block written as a ``\\u``
escape; and the page carries a Content-Security-Policy that lets only the template's own script run.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

from .groups import Boxes
from .layout import Pictures
from .look import encodable
from .record import Recording
from .said import Said

WARN_MB, MAX_MB = 5.0, 20.0  # a page past WARN_MB warns; past max_mb (MAX_MB unless given) it is refused


class Explorer:
    """A built explorer page: ``.save("pass.html")`` writes it, and Jupyter shows it inline."""

    def __init__(self, page: str, steps: int, title: str, data: dict[Any, Any]) -> None:
        self.html = page
        self.steps = steps
        self.title = title
        #: what the page steps through, as Python data: ``data["steps"][k - 1]`` is closure k (the node
        #: that ran and the inputs it filled), ``data["nodes"][i]`` a node with, per input, the local
        #: derivative, its reason, the chain-rule product and the kind of edge ("full", "alpha", "zero")
        self.data = data

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (one .html file, nothing else needed); returns the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # A sandbox without allow-same-origin: the page's script runs but can never reach the notebook.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'title="{html.escape(self.title)}" '
            'style="width:100%;height:720px;border:1px solid #ccc"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Explorer({self.title!r}, {self.steps} steps, {len(self.html) / 1e6:.2f} MB)"


_VENDORED = re.compile(r"<!--inline (vendor/[\w.-]+\.js)-->")  # a vendored script, inlined as its own block
_PLACEHOLDER = re.compile(r"\{\{([A-Z]+)\}\}")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", flags=re.S)  # the scripts that run (not type=json)
# < > & could close the block or open a comment in it; U+2028/9 end a line in older JavaScript parsers
_SCRIPT_ESCAPES = {ord(char): f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"}


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe as the whole text of a ``<script>`` block."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script text: ``'sha256-<base64>'``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(template: str) -> str:
    """A CSP for a page made from ``template``: its own inline scripts by hash, inline styles, no network."""
    scripts = _INLINE_SCRIPT.findall(template)
    if any(_PLACEHOLDER.search(script) for script in scripts):
        raise ValueError("a placeholder inside an inline script would change the script after it was hashed")
    # default-src 'none' covers fetch, images, fonts and frames; base-uri and form-action are not under it
    allowed = " ".join(map(script_hash, scripts)) or "'none'"
    return f"default-src 'none'; script-src {allowed}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with every ``{{NAME}}`` replaced by ``values[NAME]``, all in one pass."""
    missing = set(_PLACEHOLDER.findall(template)) - values.keys()
    if missing:
        raise KeyError(f"no value for the placeholders {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def template(name: str) -> str:
    """The page template ``name`` of this package with each vendored script it names inlined as a script block."""
    files = resources.files(__package__)

    def inline(match: re.Match[str]) -> str:
        script = files.joinpath(match.group(1)).read_text(encoding="utf-8")
        if "</script" in script.lower():
            raise ValueError(f"{match.group(1)} would end its own script block")
        return f"<script>{script}</script>"

    return _VENDORED.sub(inline, files.joinpath(name).read_text(encoding="utf-8"))


def page(recording: Recording, boxes: Boxes, said: Said, pictures: Pictures, max_mb: float) -> Explorer:
    """The page of a recorded pass, drawn as ``pictures`` and saying what ``said`` says."""
    nodes = recording.nodes
    index = {id(node): i for i, node in enumerate(nodes)}
    names = said.names
    payload = {
        "title": said.title,
        "steps": [
            {
                "node": index[id(s.current)],
                "op": op,
                "filled": [index[id(p)] for p in dict.fromkeys(s.current._prev)],
                "caption": text,
                "mentions": [names[id(node)] for node in mentioned],
            }
            for s, op, (text, mentioned) in zip(recording.steps, said.ops, said.captions)
        ],
        "nodes": said.nodes,
        "groups": {
            g.key: {
                "title": g.title,
                "members": [f"n{index[id(m)]}" for m in g.members],
                "output": index[id(g.output)],
                "about": said.about[g.key],
                "expands": g.key in boxes.inner,
                "view": g.key in pictures.parents,  # it opens in place onto its nodes
                "parent": pictures.parents.get(g.key, ""),
            }
            for g in boxes.every
        },
        "texts": said.texts,
        "hists": said.hists,
        "runs": said.runs,
        "edges": said.edges,
        "seed": said.seed,
        "across": pictures.across,
        "zero_root": said.zero_root,
        "code": said.code,
        "views_left_out": boxes.left_out,
    }
    mains = "".join(
        f'<div class="level" data-level="{key}"{" hidden" if key else ""}>{svg}</div>'
        for key, svg in pictures.levels.items()
    )
    text = template("explorer.html")
    values = {"TITLE": html.escape(said.title), "MAIN": mains, "DATA": script_json(payload)}
    filled = encodable(fill(text, {"CSP": content_security_policy(text), **values}))
    size = len(filled.encode("utf-8")) / 1e6
    smaller = "a smaller sample or network" if boxes.level == "layer" else "group='layer'"
    if size > max_mb:
        raise ValueError(
            f"the explorer page would be {size:.1f} MB, over max_mb={max_mb:g}: draw it with {smaller}, or pass "
            f"max_mb={int(size) + 1} to write it anyway (a browser takes seconds to open a page that big)"
        )
    if size > WARN_MB:
        warnings.warn(f"the explorer page is {size:.1f} MB: it opens slowly; {smaller} makes it smaller", stacklevel=3)
    return Explorer(filled, len(recording.steps), encodable(said.title), payload)
