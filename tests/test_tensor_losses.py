"""The losses on Tensors: the same numbers and gradients as on Values, stability, and bad input."""

import numpy as np
import pytest

from tinygrad_relu import Tensor, Value, gradcheck
from tinygrad_relu.losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, mse_loss

PREDS = [-1000.0, -2.0, 0.0, 0.3, 1000.0]


def both_engines(loss, preds, targets, shape):
    """(loss, gradients) from Values and from one Tensor of ``shape`` holding the same numbers."""
    values = [Value(p) for p in preds]
    on_values = loss(values, targets)
    on_values.backward()
    t = Tensor(np.reshape(preds, shape), requires_grad=True)
    on_tensor = loss(t, targets)
    on_tensor.backward()
    return (on_values.data, [v.grad for v in values]), (on_tensor.item(), t.grad.ravel().tolist())


@pytest.mark.parametrize(
    "loss, targets",
    [
        (mse_loss, [1.0, 0.0, 1.0, 0.5, 0.0]),
        (binary_cross_entropy_with_logits, [1.0, 0.0, 1.0, 0.5, 0.0]),
        (hinge_loss, [1.0, -1.0, 1.0, -1.0, 1.0]),
    ],
)
@pytest.mark.parametrize("shape", [(5,), (5, 1)])
def test_tensor_losses_match_the_value_losses(loss, targets, shape):
    (lv, gv), (lt, gt) = both_engines(loss, PREDS, targets, shape)
    assert lt == pytest.approx(lv, rel=1e-12)
    np.testing.assert_allclose(gt, gv, rtol=1e-12, atol=1e-15)


def test_bce_gradient_is_exactly_sigmoid_minus_target_over_n():
    z = Tensor([0.0, 2.0], requires_grad=True)
    binary_cross_entropy_with_logits(z, [1.0, 0.0]).backward()
    assert z.grad.tolist() == [(0.5 - 1.0) / 2, (1 / (1 + np.exp(-2.0))) / 2]


def test_cross_entropy_matches_the_value_version():
    logits = [[2.0, -1.0, 0.5], [1000.0, 0.0, -1000.0], [0.1, 0.2, 0.3]]
    labels = [0, 2, 1]
    rows = [[Value(z) for z in row] for row in logits]
    on_values = cross_entropy(rows, labels)
    on_values.backward()
    t = Tensor(logits, requires_grad=True)
    on_tensor = cross_entropy(t, np.array(labels))
    on_tensor.backward()
    assert on_tensor.item() == pytest.approx(on_values.data, rel=1e-12)
    np.testing.assert_allclose(t.grad, [[v.grad for v in row] for row in rows], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "loss, target",
    [
        (mse_loss, np.array([[0.5], [-1.0], [2.0]])),
        (binary_cross_entropy_with_logits, np.array([[1.0], [0.0], [0.25]])),
        (lambda z, y: cross_entropy(z.reshape(1, 3), y), np.array([2])),
    ],
)
def test_tensor_losses_pass_gradcheck(loss, target):
    assert gradcheck(lambda z: loss(z, target), Tensor([[0.3], [-1.2], [2.0]]))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: mse_loss(Tensor(np.ones((4, 1))), np.ones(3)),
            r"mse_loss: predictions of shape \(4, 1\) but targets of shape \(3,\)",
        ),
        (lambda: mse_loss(Tensor(np.ones((4, 1))), np.ones((1, 4, 2))), "broadcasting them would compare every pair"),
        (lambda: mse_loss(Tensor(np.ones(0)), np.ones(0)), "mse_loss: no predictions"),
        (
            lambda: binary_cross_entropy_with_logits(Tensor([0.0, 1.0]), [1.0, 2.0]),
            r"targets must lie in \[0, 1\], got 2",
        ),
        (lambda: hinge_loss(Tensor([0.0, 1.0]), [1.0, 0.0]), "labels must be -1 or \\+1, got 0"),
        (lambda: cross_entropy(Tensor(np.ones((2, 3))), [0, 3]), r"label 3 of sample 1 is not a class index in 0..2"),
        (lambda: cross_entropy(Tensor(np.ones((2, 3))), [0.5, 1]), r"label 0.5 of sample 0 is not a class index"),
        (lambda: cross_entropy(Tensor(np.ones((2, 3))), [1, np.nan]), r"label nan of sample 1 is not a class index"),
        (lambda: cross_entropy(Tensor(np.ones((2, 3))), ["a", "b"]), r"label 'a' of sample 0 is not a class index"),
        (lambda: cross_entropy(Tensor(np.ones((2, 3))), [0, 1, 2]), r"2 rows of logits need 2 labels"),
        (lambda: cross_entropy(Tensor(np.ones(3)), [0]), r"logits must have shape \(samples, classes\)"),
    ],
)
def test_tensor_loss_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("big", [1e15, 1e17, 1e308])
def test_cross_entropy_keeps_log_two_for_huge_tied_logits(big):
    # torch.nn.functional.cross_entropy: loss log 2, gradient [[-0.25, 0.25, 0], [0, 0.25, -0.25]];
    # it was 0 (or 0.75 at 1e15) with gradient [[0, 0.5, 0], [0, 0.5, 0]]
    logits = Tensor([[big, big, 0.0], [0.0, big, big]], requires_grad=True)
    loss = cross_entropy(logits, [0, 2])
    loss.backward()
    assert loss.item() == pytest.approx(0.6931471805599453, rel=1e-12)
    np.testing.assert_allclose(logits.grad, [[-0.25, 0.25, 0.0], [0.0, 0.25, -0.25]], rtol=1e-12, atol=1e-15)
