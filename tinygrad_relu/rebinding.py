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


class Operators:
    """Python's operators for a stand-in a closure runs on: each arithmetic one hands its symbol to
    ``_operate(symbol, other, reflected)``, each comparison to ``_compare(symbol, other)``. ``trace``'s names and
    ``grad``'s nodes share this one list and say, each, what an operation does to them."""

    __slots__ = ()

    def _operate(self, symbol: str, other: Any, reflected: bool = False) -> Any:
        raise NotImplementedError

    def _compare(self, symbol: str, other: Any) -> Any:
        raise NotImplementedError

    def __add__(self, o: Any) -> Any:
        return self._operate("+", o)

    def __radd__(self, o: Any) -> Any:
        return self._operate("+", o, True)

    def __sub__(self, o: Any) -> Any:
        return self._operate("-", o)

    def __rsub__(self, o: Any) -> Any:
        return self._operate("-", o, True)

    def __mul__(self, o: Any) -> Any:
        return self._operate("*", o)

    def __rmul__(self, o: Any) -> Any:
        return self._operate("*", o, True)

    def __truediv__(self, o: Any) -> Any:
        return self._operate("/", o)

    def __rtruediv__(self, o: Any) -> Any:
        return self._operate("/", o, True)

    def __pow__(self, o: Any) -> Any:
        return self._operate("**", o)

    def __rpow__(self, o: Any) -> Any:
        return self._operate("**", o, True)

    def __matmul__(self, o: Any) -> Any:
        return self._operate("@", o)

    def __rmatmul__(self, o: Any) -> Any:
        return self._operate("@", o, True)

    def __and__(self, o: Any) -> Any:
        return self._operate("&", o)

    def __or__(self, o: Any) -> Any:
        return self._operate("|", o)

    def __gt__(self, o: Any) -> Any:
        return self._compare(">", o)

    def __ge__(self, o: Any) -> Any:
        return self._compare(">=", o)

    def __lt__(self, o: Any) -> Any:
        return self._compare("<", o)

    def __le__(self, o: Any) -> Any:
        return self._compare("<=", o)

    def __eq__(self, o: Any) -> Any:
        return self._compare("==", o)

    def __ne__(self, o: Any) -> Any:
        return self._compare("!=", o)

    __hash__ = object.__hash__
