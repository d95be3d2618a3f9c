"""The argument checks, one per concept, shared by both engines and everything built on them.

Each returns the checked value in its plain Python type or raises an error whose message names the
argument (``what``) and what it got. A bool is a number as data (``Value(True)``, like numpy), but
never a hyper-parameter: ``leaky_relu(True)`` or ``Linear(2, True)`` is almost surely a slip.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any


def number(x: object, what: str) -> float:
    """``x`` as a float, for data: any real number (bool included), else a TypeError naming ``what``."""
    if type(x) is float:  # the common cases, without the abstract-class check
        return x
    if type(x) is int:
        return float(x)
    if isinstance(x, Real):
        return float(x)
    if hasattr(x, "_prev") and isinstance(getattr(x, "grad", None), float):  # a Value (not an import: the checks
        raise TypeError(  # sit below the engines); under trace, also the data's elements, which are Values
            f"{what} must be a number, got a {type(x).__name__}: use the Value itself in the computation, or its "
            "number (v.data), or v.detach() for a new leaf with the same number"
        )
    same_engine(x, type(None), what)  # for data, the only nodes welcome are those the caller unwraps first
    hint = " (Value holds one number; use Tensor for arrays)" if hasattr(x, "__len__") else ""
    raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__} {x!r}{hint}")


def real(x: object, what: str) -> float:
    """``x`` as a float, for a hyper-parameter such as an op's slope: any real number but a bool."""
    if type(x) is float:  # a layer's slope, every call: spared the abstract-class check below
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__} {x!r}")
    return float(x)


def finite(x: object, what: str) -> float:
    """``x`` as a float, for a model's setting (a layer's slope or its init): a finite real number, not a bool."""
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise ValueError(f"{what} must be a finite real number, got {x!r}")
    return float(x)


def count(n: object, what: str, least: int = 1) -> int:
    """``n`` as an int >= ``least``, for a size or a count (numpy integers welcome, bools and floats not)."""
    if isinstance(n, bool) or not isinstance(n, Integral) or n < least:
        bound = "a positive int" if least == 1 else f"an int >= {least}"
        raise ValueError(f"{what} must be {bound}, got {n!r}")
    return int(n)


def in_range(x: object, what: str, low: float, high: float = math.inf, high_open: bool = False) -> float:
    """``x`` as a float in [low, high] (or [low, high) with ``high_open``), for a rate, a noise level, ..."""
    if isinstance(x, Real) and not isinstance(x, bool):
        value = float(x)
        if low <= value <= high and not (high_open and value == high):
            return value
    raise ValueError(f"{what} must be a number in [{low:g}, {high:g}{')' if high_open else ']'}, got {x!r}")


def same_engine(x: object, engine: type, what: str) -> None:
    """A TypeError if ``x`` is a graph node that is not an ``engine`` one: a Tensor where Values are used, or
    the reverse. Each engine's ops would hand the other back to it, so the mix needs saying how to fix."""
    if hasattr(x, "_prev") and not isinstance(x, engine):
        raise TypeError(
            f"{what} is a {type(x).__name__}: Value and Tensor do not mix. Use Tensor(v.data) or "
            "Value(t.item()) for a constant, or build the whole computation with one engine"
        )


def op_name(op: object) -> str:
    """A custom op's name: a string, as the drawings and error messages show it."""
    if not isinstance(op, str):
        raise TypeError(f"custom_op's op must be a string (its name in drawings and messages), got {op!r}")
    return op


def per_parent(grads: object, parents: int, op: str) -> tuple[Any, ...]:
    """What the backward of a custom op returned, as one gradient (or None) per parent: a tuple or list of them,
    or the gradient itself for an op with one parent. Anything else is an error that names the op."""
    if isinstance(grads, (tuple, list)):
        many = tuple(grads)
    elif parents == 1:
        many = (grads,)
    else:
        raise TypeError(
            f"backward of op {op!r} returned a {type(grads).__name__} for {parents} parents: return a tuple "
            f"with one gradient per parent, in order (None for a parent that gets none)"
        )
    if len(many) != parents:
        raise ValueError(f"backward of op {op!r} returned {len(many)} gradients for {parents} parents")
    return many
