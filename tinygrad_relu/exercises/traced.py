"""The self-check for notebook 10 (the code autograd writes): one layer's backward block, written by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..gradcheck import upstream_gradient
from ..tensor import Tensor
from .check import CheckResult, _call, _fail, _run

_NAMES = ("d_x", "d_W", "d_b")
_AT_ZERO = "zero biases and an all-zero input row (pre-activations exactly 0)"
# (the pre-activations, the weights' scale, the bias around which they lie): each side of the kink, just above it,
# and exactly on it
_CASES: tuple[tuple[str, float, float | None], ...] = (
    ("pre-activations of both signs", 0.5, 0.0),
    ("all pre-activations > 0", 0.5, 6.0),
    ("all pre-activations < 0", 0.5, -6.0),
    ("pre-activations just above 0, below alpha", 0.001, 0.5),
    (_AT_ZERO, 0.5, None),  # shift None: zero biases and an all-zero input row (a blank sample)
)


def _autograd(x: np.ndarray, W: np.ndarray, b: np.ndarray, d_h: np.ndarray, alpha: float) -> list[np.ndarray]:
    """(d_x, d_W, d_b) from the engine, seeded with the upstream gradient ``d_h``."""
    tx, tW, tb = (Tensor(a, requires_grad=True) for a in (x, W, b))
    tx.linear(tW, tb).leaky_relu(alpha).backward(d_h)
    return [tx.grad, tW.grad, tb.grad]


def check_layer_backward(
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Sequence[np.ndarray]] | None,
    alpha: float = 0.2,
) -> CheckResult:
    """Exercise 10.1: ``backward(x, W, b, d_h)`` returns (d_x, d_W, d_b) for ``h = leaky_relu(x @ W.T + b, alpha)``
    given the gradient ``d_h`` that arrives at h; compared with autograd for random upstream gradients, on both
    sides of the kink."""

    def body() -> CheckResult:
        rng = np.random.default_rng(9)
        wrong: dict[str, list[str]] = {}
        for k, (case, scale, shift) in enumerate(_CASES):
            x, W = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)) * scale
            if shift is None:
                x[0], b = 0.0, np.zeros(4)
            else:
                b = rng.standard_normal(4) * scale * 0.2 + shift * (alpha if scale < 0.01 else 1.0)
            d_h = upstream_gradient((5, 4), seed=k)
            got = _call(backward, x.copy(), W.copy(), b.copy(), d_h.copy())
            if len(got) != 3:
                return _fail(f"backward must return 3 arrays (d_x, d_W, d_b), it returned {len(got)}")
            for name, g, want in zip(_NAMES, got, _autograd(x, W, b, d_h, alpha)):
                g = np.asarray(g, dtype=np.float64)
                if g.shape != want.shape:
                    return _fail(f"{name} has shape {g.shape}, but its input has shape {want.shape}")
                if not np.allclose(g, want, rtol=1e-9, atol=1e-12):
                    wrong.setdefault(name, []).append(case)
        if not wrong:
            return CheckResult("pass")
        if "d_b" in wrong and len(wrong) == 1:
            return _fail("d_b differs from autograd: the bias was added to every row, so every row sends it something")
        sides = sorted({case for cases in wrong.values() for case in cases})
        if sides == [_AT_ZERO]:
            return _fail(
                f"{', '.join(sorted(wrong))} differ from autograd only with {_AT_ZERO}: at exactly 0 your slope is "
                "not alpha -- a mask like z >= 0 gives 1 there, but the engine (as PyTorch) takes the other branch"
            )
        return _fail(
            f"{', '.join(sorted(wrong))} differ from autograd with {' and with '.join(sides)}: look at the slope you "
            "multiply d_h by on that side of the kink (which number decides the side?), and check that the upstream "
            "gradient d_h is used, not ones"
        )

    return _run("fill in backward(x, W, b, d_h): return (d_x, d_W, d_b) as numpy arrays", body)
