"""Datasets, numpy only: toy two-dimensional sets (the same points for the same seed) and real digits.

Each function returns ``(X, y)``: ``X`` a float64 array of shape (n, features) -- (n, 2) for the toy
sets -- and ``y`` an int64 array of class labels 0, 1, ... of shape (n,). ``train_test_split`` holds
some samples out for measuring accuracy on data the model never trained on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import checks

__all__ = ["DIGITS_SHA256", "load_digits", "make_circles", "make_moons", "make_spirals", "train_test_split", "xor"]

DIGITS_FILE = Path(__file__).with_name("datasets") / "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def _finish(parts: list[np.ndarray], noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stack the classes' points (part k has label k), add jitter and shuffle."""
    X = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(parts)])
    X = X + rng.normal(0.0, noise, X.shape) if noise else X
    order = rng.permutation(len(X))
    return X[order], y[order]


def _split(n: int, k: int) -> list[int]:
    """n points shared by k classes as evenly as possible (the first classes get the extra ones)."""
    return [n // k + (i < n % k) for i in range(k)]


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: label 1 where exactly one coordinate is 1."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0], dtype=np.int64)


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: label 0 the upper arc, label 1 the lower one shifted right."""
    n, noise = checks.count(n, "n", 2), checks.in_range(noise, "noise", 0.0)
    rng = np.random.default_rng(seed)
    n0, n1 = _split(n, 2)
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    return _finish([upper, lower], noise, rng)


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: label 0 radius 1, label 1 radius ``factor`` (0 <= factor < 1)."""
    n, noise = checks.count(n, "n", 2), checks.in_range(noise, "noise", 0.0)
    factor = checks.in_range(factor, "factor", 0.0, 1.0, high_open=True)
    rng = np.random.default_rng(seed)
    parts = []
    for radius, m in zip((1.0, factor), _split(n, 2)):
        t = np.linspace(0.0, 2.0 * np.pi, m, endpoint=False)
        parts.append(radius * np.stack([np.cos(t), np.sin(t)], axis=1))
    return _finish(parts, noise, rng)


def make_spirals(
    n: int = 150, classes: int = 3, noise: float = 0.05, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms around the origin, each turning once as the radius goes 0.1 -> 1."""
    classes = checks.count(classes, "classes", 2)
    n, noise = checks.count(n, "n", classes), checks.in_range(noise, "noise", 0.0)
    rng = np.random.default_rng(seed)
    parts = []
    for k, m in enumerate(_split(n, classes)):
        r = np.linspace(0.1, 1.0, m)
        t = 2.0 * np.pi * (k / classes + r)
        parts.append(np.stack([r * np.cos(t), r * np.sin(t)], axis=1))
    return _finish(parts, noise, rng)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits (UCI, CC BY 4.0; see tinygrad_relu/datasets/README.md): ``X`` of
    shape (1797, 64), each image's 64 pixels row by row scaled from 0..16 to [0, 1], and ``y`` the digit 0-9."""
    table = np.loadtxt(DIGITS_FILE, delimiter=",")
    return table[:, :-1] / 16.0, table[:, -1].astype(np.int64)


def as_samples(x: object, what: str) -> np.ndarray:
    """``x`` as a numpy array of numbers with one entry per sample along its first axis, or an error naming ``what``."""
    array = None if x is None or isinstance(x, (str, bytes)) else np.asarray(x)
    if array is None or array.dtype.kind not in "biuf":  # bool, ints, floats: never objects or strings
        raise TypeError(f"{what} must be an array of numbers, got {type(x).__name__} {x!r:.80}")
    if array.ndim == 0:
        raise ValueError(f"{what} must be an array with one row per sample, got a 0-d {type(x).__name__} {x!r}")
    if len(array) == 0:
        raise ValueError(f"{what} has no samples (shape {array.shape})")
    return array


def train_test_split(
    X: np.ndarray, y: np.ndarray, test: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_test, y_test)``: a seeded shuffle, then the last ``test`` share held out
    (rounded, at least one sample on each side). The same seed gives the same split."""
    test = checks.in_range(test, "test", 0.0, 1.0, high_open=True)
    X, y = as_samples(X, "X"), as_samples(y, "y")
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} samples but y has {len(y)}")
    n = checks.count(len(X), "number of samples", 2)
    held = min(max(round(test * n), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    train, held_out = order[: n - held], order[n - held :]
    return X[train], y[train], X[held_out], y[held_out]
