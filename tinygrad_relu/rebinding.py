"""A function's own code run with some of the names it looks up bound to other things: how ``trace`` runs an op's
closure on names (its helpers record calls) and ``grad(..., create_graph=True)`` runs it on nodes (its helpers are
ops). The code, its defaults and its closure stay the same; only the globals it reads its helpers from change."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any


def names_used(code: types.CodeType) -> set[str]:
    """The global names ``code`` and the comprehensions and lambdas inside it look up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= names_used(const)
    return names


def with_globals(fn: Callable[..., Any], namespace: dict[str, Any]) -> Callable[..., Any]:
    """``fn`` looking its global names up in ``namespace`` instead of its module."""
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
