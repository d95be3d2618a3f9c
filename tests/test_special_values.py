"""The two engines agree on every op of the shared table at IEEE's special values: the forward number and every
input's gradient (a Value against a 0-d Tensor): the same inf, nan or zero, and finite numbers to 1e-14 (Python's
math and numpy may round exp and tanh an ulp apart; the sign of a zero aside)."""

import itertools
import math
import warnings

import pytest

from tests.optable import OPS
from tinygrad_relu import Tensor, Value

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-14)


def _run(f, engine, xs):
    inputs = [Value(x) if engine is Value else Tensor(x, requires_grad=True) for x in xs]
    out = f(*inputs)
    out.backward()
    grads = [v.grad if engine is Value else (0.0 if v.grad is None else float(v.grad)) for v in inputs]
    return float(out.data), grads


@pytest.mark.parametrize("name, f, arity", [(name, f, arity) for name, f, arity, _ in OPS])
def test_both_engines_agree_on_special_values(name, f, arity):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy may warn on overflow; the numbers are what is compared
        for xs in itertools.product(SPECIAL, repeat=arity):
            value, tensor = _run(f, Value, xs), _run(f, Tensor, xs)
            assert _same(value[0], tensor[0]), (name, xs, "forward", value[0], tensor[0])
            for k, (gv, gt) in enumerate(zip(value[1], tensor[1])):
                assert _same(gv, gt), (name, xs, f"gradient of input {k}", gv, gt)
