"""Filling the explorer's HTML template so that nothing a user wrote can turn into markup or script.

Every placeholder is filled in one pass (a filled-in value is never searched for placeholders again); JSON
put in a ``<script>`` block has every character that could end or confuse that block written as a ``\\u``
escape; and the page carries a Content-Security-Policy that lets only the template's own script run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from importlib import resources
from typing import Any

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
