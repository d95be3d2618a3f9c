"""A target that takes part in the graph gets PyTorch's gradient from every loss, on both engines.

PyTorch differentiates mse_loss, binary_cross_entropy_with_logits and a hinge (relu(1 - y * s).mean())
with respect to the target too; class-index targets of cross_entropy are integers there and cannot
require a gradient, so cross_entropy refuses a target that would want one.
"""

import numpy as np
import pytest
from needs import require_torch

from tinygrad_relu import Tensor, Value
from tinygrad_relu.losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, mse_loss

torch = require_torch()
F = torch.nn.functional
RTOL, ATOL = 1e-12, 1e-15


def _hinge(scores, target):
    return torch.relu(1.0 - target * scores).mean()


# (our loss, PyTorch's, random targets): BCE targets in [0, 1], hinge labels in {-1, +1}
LOSSES = {
    "mse": (mse_loss, F.mse_loss, lambda rng, n: rng.normal(size=n) * 3.0),
    "bce_with_logits": (
        binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        lambda rng, n: rng.random(n),
    ),
    "hinge": (hinge_loss, _hinge, lambda rng, n: rng.choice([-1.0, 1.0], size=n)),
}
SEEDS = range(25)


def _pytorch(name, preds, targets, pred_grad=True):
    """Loss, prediction gradient and target gradient from PyTorch, float64."""
    p = torch.tensor(preds, dtype=torch.float64, requires_grad=pred_grad)
    t = torch.tensor(targets, dtype=torch.float64, requires_grad=True)
    loss = LOSSES[name][1](p, t)
    loss.backward()
    return loss.item(), None if p.grad is None else p.grad.numpy(), t.grad.numpy()


def _case(name, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    return rng.normal(size=n) * 4.0, LOSSES[name][2](rng, n)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("target_shape", ["same", "column"])
def test_tensor_losses_give_a_target_that_requires_grad_pytorch_gradient(name, target_shape):
    for seed in SEEDS:
        preds, targets = _case(name, seed)
        pred = Tensor(preds, requires_grad=True)
        target = Tensor(targets if target_shape == "same" else targets[:, None], requires_grad=True)
        loss = LOSSES[name][0](pred, target)
        loss.backward()
        value, pred_grad, target_grad = _pytorch(name, preds, targets)
        assert loss.item() == pytest.approx(value, rel=RTOL, abs=ATOL)
        np.testing.assert_allclose(pred.grad, pred_grad, rtol=RTOL, atol=ATOL)
        assert target.grad is not None, f"{name}: the target's gradient was dropped"
        np.testing.assert_allclose(target.grad.ravel(), target_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", LOSSES)
def test_tensor_losses_differentiate_the_target_alone(name):
    preds, targets = _case(name, 0)
    target = Tensor(targets, requires_grad=True)
    LOSSES[name][0](Tensor(preds), target).backward()
    np.testing.assert_allclose(target.grad, _pytorch(name, preds, targets, pred_grad=False)[2], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", LOSSES)
def test_value_losses_give_a_target_value_pytorch_gradient(name):
    for seed in SEEDS:
        preds, targets = _case(name, seed)
        pred, target = [Value(p) for p in preds], [Value(t) for t in targets]
        loss = LOSSES[name][0](pred, target)
        loss.backward()
        value, pred_grad, target_grad = _pytorch(name, preds, targets)
        assert loss.data == pytest.approx(value, rel=RTOL, abs=ATOL)
        np.testing.assert_allclose([v.grad for v in pred], pred_grad, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose([v.grad for v in target], target_grad, rtol=RTOL, atol=ATOL)


def test_value_losses_take_numbers_and_values_mixed_as_targets():
    y = Value(0.25)
    loss = binary_cross_entropy_with_logits([Value(2.0), Value(-1.0)], [1.0, y])
    loss.backward()
    assert y.grad == 1.0 / 2  # d/dy of softplus(z) - z * y is -z, here 1, over two samples


def test_cross_entropy_refuses_class_labels_that_would_want_a_gradient_as_pytorch_does():
    with pytest.raises(RuntimeError):  # PyTorch: class indices are integers, which cannot require grad
        F.cross_entropy(torch.zeros(2, 3, dtype=torch.float64), torch.tensor([0.0, 2.0], requires_grad=True))
    with pytest.raises(TypeError, match="cross_entropy: class labels get no gradient"):
        cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), Tensor([0.0, 2.0], requires_grad=True))
    with pytest.raises(TypeError, match="cross_entropy: class labels get no gradient"):
        cross_entropy([[Value(0.0), Value(1.0)]], [Value(1.0)])
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    cross_entropy(logits, Tensor([0.0, 2.0])).backward()  # labels as a Tensor without grad are fine
    assert logits.grad.shape == (2, 3)
