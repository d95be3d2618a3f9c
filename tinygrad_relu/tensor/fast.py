"""The Tensor engine's fast paths: the few places where the plain numpy costs a benchmark in ``benchmarks/`` more
than 5 %. Each function's docstring gives the plain version, with the same numbers; the ops call them by name.
Everything else in ``tensor/`` is written the plain way.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .node import quiet


def slope(positive: np.ndarray, alpha: Any) -> np.ndarray:
    """``np.where(positive, 1.0, alpha)``: 1 where ``positive``, else ``alpha`` (a number or an array broadcast
    against it), exactly. Above a few thousand elements np.where branches per element on a random mask and is
    several times slower, so there the slope is arithmetic on the 0/1 mask, which is exact for a finite alpha."""
    if positive.size <= 4096 or not finite(alpha):
        return np.where(positive, 1.0, alpha)
    on = positive.astype(np.float64)
    off = 1.0 - on
    off *= alpha  # exactly alpha or 0, so the sum below is exactly 1 or alpha
    off += on
    return off


def finite(alpha: Any) -> bool:
    """True if the slope ``alpha`` (a number or an array) has no inf or nan."""
    return math.isfinite(alpha) if isinstance(alpha, float) else bool(np.isfinite(alpha).all())


def times_slope(x: np.ndarray, slope: np.ndarray, finite: bool) -> np.ndarray:
    """``with np.errstate(all="ignore"): return x * slope``: an infinite slope makes 0 * inf = nan (as Value and
    PyTorch do) without a warning. The errstate context costs as much as the product on a small array, so it is
    entered only when the slope is not finite."""
    if finite:
        product: np.ndarray = x * slope
        return product
    with quiet():
        return x * slope  # type: ignore[no-any-return]


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``. For two matrices it is ``np.dot``, the same BLAS product: numpy's matmul copies a transposed
    operand (``g.T @ x``, ``x @ w.T``) before the product, which np.dot hands to BLAS as it is."""
    product: np.ndarray = np.dot(a, b) if a.ndim == 2 and b.ndim == 2 else np.matmul(a, b)
    return product
