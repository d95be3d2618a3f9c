"""Filling the explorer's HTML template so that nothing a user wrote can turn into markup or script.

Every placeholder is filled in one pass (a filled-in value is never searched for placeholders again); JSON
put in a ``<script>`` block has every character that could end or confuse that block written as a ``\\u``
escape.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{([A-Z]+)\}\}")
# < > & could close the block or open a comment in it; U+2028/9 end a line in older JavaScript parsers
_SCRIPT_ESCAPES = {ord(char): f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"}


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe as the whole text of a ``<script>`` block."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with every ``{{NAME}}`` replaced by ``values[NAME]``, all in one pass."""
    missing = set(_PLACEHOLDER.findall(template)) - values.keys()
    if missing:
        raise KeyError(f"no value for the placeholders {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
