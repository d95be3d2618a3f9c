"""Self-check for notebook 11 (gradients of gradients): the learner's Hessian-vector product, written with two calls
of ``grad``, against the engine's ``hvp`` on a few functions of a Tensor, with random vectors.

The hints name what went wrong -- the gradient returned instead of its derivative, a first gradient that is not a
graph (``create_graph`` left off), a shape, ``backward`` used where ``grad`` returns -- never the two lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autodiff import grad, hvp
from ..tensor import Tensor
from .check import CheckResult, _call, _fail, _run


def _cubic(x: Tensor) -> Tensor:
    return (x**3).sum() + (x[0] * x[1]) * x[2]


def _network(x: Tensor) -> Tensor:
    """A 2-2-1 leaky_relu network's softplus loss on two points, as a function of its 9 parameters."""
    w1, b1, w2, b2 = x[:4].reshape(2, 2), x[4:6], x[6:8].reshape(2, 1), x[8]
    z = (Tensor([[1.0, -0.5], [0.3, 0.8]]) @ w1 + b1).leaky_relu(0.1) @ w2 + b2
    return (z.exp() + 1.0).log().mean()


_CASES: tuple[tuple[str, Callable[[Tensor], Tensor], int], ...] = (
    ("sum(x ** 3) + x0 x1 x2", _cubic, 3),
    ("a 2-2-1 leaky_relu network's loss", _network, 9),
)


def check_hvp(my_hvp: Callable[[Any, Tensor, np.ndarray], Any] | None) -> CheckResult:
    """Exercise 11.1: ``my_hvp(f, x, v)`` returns the Hessian of ``f`` at the Tensor ``x`` times ``v`` (an array of
    x's shape), by differentiating the gradient, as ``tinygrad_relu.hvp`` does."""

    def body() -> CheckResult:
        rng = np.random.default_rng(11)
        for name, f, n in _CASES:
            x = Tensor(rng.normal(size=n), requires_grad=True)
            v = rng.normal(size=n)
            want = hvp(f, x, v)
            result = _call(my_hvp, f, x, v)
            got = np.asarray(result.data if isinstance(result, Tensor) else result, dtype=float)
            where = f"for f = {name}"
            if x.grad is not None:
                return _fail(
                    f"{where}, x.grad was filled: use grad(output, x), which returns the gradient, not backward"
                )
            if got.shape != x.data.shape:
                return _fail(f"{where}, your result has shape {got.shape}, but x (and H v) has shape {x.data.shape}")
            if np.allclose(got, want, rtol=1e-9, atol=1e-12):
                continue
            first = grad(f(x), x)
            if np.allclose(got, first, rtol=1e-9, atol=1e-12):
                return _fail(f"{where}, yours is the gradient of f: differentiate (gradient . v) once more")
            if not got.any():
                return _fail(
                    f"{where}, yours is all zeros: the first gradient must be a graph to differentiate "
                    "(grad(..., create_graph=True)), else the second grad finds nothing behind it"
                )
            return _fail(f"{where}, yours differs from H v (largest gap {np.max(np.abs(got - want)):.3g})")
        return CheckResult("pass")

    return _run("fill in my_hvp(f, x, v): the gradient as a graph, then the gradient of its dot product with v", body)
