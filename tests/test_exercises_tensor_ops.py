"""Notebook 09's checkers (tinygrad_relu.exercises.tensor_ops): the worked solutions pass, each classic mistake in a
Tensor op's backward fails with the hint that names it, and the notebook's stubs are "to do"."""

import json
import pathlib

import numpy as np
import pytest

from tinygrad_relu.exercises import check_cross_entropy_backward, check_linear_backward, check_unbroadcast

ROOT = pathlib.Path(__file__).resolve().parent.parent

# --- the worked solutions ------------------------------------------------------------------------------------------


def unbroadcast(g, shape):
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def linear_backward(g, x, W):
    return g @ W, g.T @ x, g.sum(axis=0)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def onehot(labels, c):
    return np.eye(c)[labels]


def cross_entropy_backward(g, logits, labels):
    return g * (softmax(logits) - onehot(labels, logits.shape[1])) / len(logits)


def stub(*args): ...


def test_the_worked_solutions_pass():
    assert check_unbroadcast(unbroadcast).ok
    assert check_linear_backward(linear_backward).ok
    assert check_cross_entropy_backward(cross_entropy_backward).ok


@pytest.mark.parametrize("check", [check_unbroadcast, check_linear_backward, check_cross_entropy_backward])
def test_a_stub_is_to_do(check):
    assert check(stub).status == "todo" and check(None).status == "todo"


# --- the classic mistakes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda g, shape: g, "shape"),
        (
            lambda g, shape: np.mean(g, axis=tuple(range(g.ndim - len(shape)))).mean(
                axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True
            ),
            "a sum, not a mean",
        ),
        (lambda g, shape: unbroadcast(np.ones_like(g), shape), "does not depend on g"),
        (lambda g, shape: g.reshape(-1)[: int(np.prod(shape))].reshape(shape), "copied along axes"),
        (lambda g, shape: g.sum(axis=tuple(range(g.ndim - len(shape)))), "shape"),  # leading axes only
    ],
    ids=["not_summed", "mean", "ignores_g", "a_slice", "stretched_axis_not_summed"],
)
def test_unbroadcast_mistakes(wrong, hint):
    result = check_unbroadcast(wrong)
    assert result.status == "fail" and hint in result.message, result


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda g, x, W: (g @ W, x.T @ g, g.sum(0)), "transposed"),  # grad_W as (in, out)
        (lambda g, x, W: (g @ W, (g.T @ x).T, g.sum(0)), "transposed"),  # right shape only when square
        (lambda g, x, W: (g @ W.T, g.T @ x, g.sum(0)), "matmul"),  # the shapes do not line up: numpy says so
        (lambda g, x, W: (g @ W, g.T @ x, g.mean(0)), "a sum, not a mean"),
        (lambda g, x, W: (np.ones_like(g) @ W, g.T @ x, g.sum(0)), "ignores g"),
        (lambda g, x, W: (g @ W, g.T @ x, g), "shape"),  # the bias's gradient not summed over the rows
        (lambda g, x, W: (-(g @ W), g.T @ x, g.sum(0)), "wrong sign"),
        (lambda g, x, W: (g @ W, g.T @ x), "three gradients"),
    ],
    ids=[
        "grad_W_transposed",
        "grad_W_transposed_square",
        "grad_x_wrong_product",
        "bias_mean",
        "ignores_g",
        "bias_not_summed",
        "wrong_sign",
        "two_gradients",
    ],
)
def test_linear_backward_mistakes(wrong, hint):
    result = check_linear_backward(wrong)
    assert result.status == "fail" and hint in result.message, result


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda g, z, y: g * (softmax(z) - onehot(y, z.shape[1])), "times N"),  # missing / n
        (lambda g, z, y: (softmax(z) - onehot(y, z.shape[1])) / len(z), "does not scale with g"),
        (lambda g, z, y: softmax(z) - onehot(y, z.shape[1]), "both the mean"),
        (lambda g, z, y: g * (onehot(y, z.shape[1]) - softmax(z)) / len(z), "wrong sign"),
        (lambda g, z, y: g * softmax(z) / len(z), "one-hot"),
        (lambda g, z, y: (g * (softmax(z) - onehot(y, z.shape[1])) / len(z)).sum(0), "shape"),
        (lambda g, z, y: g * (np.exp(z) - onehot(y, z.shape[1])) / len(z), "differs"),  # exp, not softmax
    ],
    ids=["missing_mean", "ignores_g", "ignores_g_and_mean", "wrong_sign", "no_onehot", "summed_rows", "not_softmax"],
)
def test_cross_entropy_backward_mistakes(wrong, hint):
    result = check_cross_entropy_backward(wrong)
    assert result.status == "fail" and hint in result.message, result


def test_the_notebooks_exercise_cells_run_with_the_solutions(capsys):
    """Notebook 09's cells as shipped print "to do" for each exercise; with the worked solutions in place of the
    stubs, every check passes."""
    notebook = json.loads((ROOT / "notebooks" / "09_a_tensor_ops_backward.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    namespace = {}
    for source in cells:
        exec(compile(source, "notebook 09", "exec"), namespace)
    printed = capsys.readouterr().out
    assert sum(line.startswith("to do:") for line in printed.splitlines()) == 3, printed
    solved = {
        "unbroadcast": unbroadcast,
        "linear_backward": linear_backward,
        "cross_entropy_backward": cross_entropy_backward,
    }
    exercises = ("def unbroadcast", "def linear_backward", "def cross_entropy_backward")
    for source in cells:
        if source.startswith(exercises):
            source = source[source.index("print(") :]  # keep the check, skip the stub
        exec(compile(source, "notebook 09", "exec"), solved)
    printed = capsys.readouterr().out
    assert printed.count("pass") == 3 and "to do" not in printed and "not yet" not in printed, printed
