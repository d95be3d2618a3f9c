"""IEEE arithmetic on Python floats, as PyTorch gives it: never an OverflowError or a math domain error.

Python's ``math`` raises where IEEE (and numpy, and PyTorch) return inf or nan: ``math.exp(1000)``,
``1.0 / 0.0``, ``math.log(0)``. ``Value``'s ops call these instead, so ``Value(1000).exp()`` is inf.
"""

from __future__ import annotations

import math

_inf, _nan = math.inf, math.nan


def ieee_div(a: float, b: float) -> float:
    """a / b with IEEE results for b == 0 (inf with the right sign, nan for 0/0)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return _nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)


def ieee_pow(a: float, b: float) -> float:
    """a ** b as IEEE/PyTorch give it: 0 ** -1 = inf, (-0.0) ** -1 = -inf, (-8) ** 0.5 = nan, overflow = +-inf."""
    if b == 0.5:  # numpy and PyTorch take x ** 0.5 as sqrt(x): nan for every x < 0, -inf too (C's pow gives inf)
        return math.sqrt(a) if a >= 0 else _nan
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError) as error:
        if isinstance(error, ValueError) and a != 0:  # a negative base to a fractional power
            return _nan
        # overflow, or 0 to a negative power: the sign of a survives only an odd integer power
        odd_integer = b.is_integer() and b % 2 == 1
        return math.copysign(_inf, a) if odd_integer else _inf


def ieee_exp(x: float) -> float:
    """e ** x, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return _inf


def ieee_log(x: float) -> float:
    """Natural log with log(0) = -inf and log(negative) = nan."""
    if x > 0:
        return math.log(x)
    return -_inf if x == 0 else _nan


def ieee_sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = ieee_exp(x)
    return e / (1.0 + e)
