"""Losses on Values: each against numbers worked out by hand, their gradients, and bad input."""

import pytest

from tinygrad_relu import Value, gradcheck
from tinygrad_relu.losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, mse_loss


def _grads(loss_fn, preds, targets):
    nodes = [Value(p) for p in preds]
    loss = loss_fn(nodes, targets)
    loss.backward()
    return loss.data, [v.grad for v in nodes]


def test_mse_by_hand():
    # ((1 - 0)^2 + (2 - 4)^2) / 2 = 2.5; d/dp = 2 (p - t) / n
    loss, grads = _grads(mse_loss, [1.0, 2.0], [0.0, 4.0])
    assert loss == 2.5 and grads == [1.0, -2.0]


def test_bce_with_logits_by_hand():
    # z = 0, y = 1: log(1 + e^0) = log 2 = 0.693147...; z = 2, y = 0: log(1 + e^2) = 2.126928...
    loss, grads = _grads(binary_cross_entropy_with_logits, [0.0, 2.0], [1, 0])
    assert loss == pytest.approx((0.6931471805599453 + 2.1269280110429727) / 2, rel=1e-12)
    # d/dz = (sigmoid(z) - y) / n: (0.5 - 1) / 2 and 0.880797... / 2
    assert grads == pytest.approx([-0.25, 0.8807970779778823 / 2], rel=1e-12)


def test_bce_gradient_at_exactly_zero_is_sigmoid_minus_target():
    # composed from relu(z) and |z| it would be -y here: both kinks give slope 0 at z = 0
    assert _grads(binary_cross_entropy_with_logits, [0.0], [0.0])[1] == [0.5]


def test_bce_is_stable_at_plus_minus_1000():
    loss, grads = _grads(binary_cross_entropy_with_logits, [1000.0, -1000.0], [0, 1])
    assert loss == 1000.0 and grads == [0.5, -0.5]  # both confidently wrong: loss |z|, slope +-1
    loss, grads = _grads(binary_cross_entropy_with_logits, [1000.0, -1000.0], [1, 0])
    assert loss == 0.0 and grads == [0.0, 0.0]


def test_hinge_by_hand():
    # max(0, 1 - y s): 1 - 0.5 = 0.5, 1 + 2 = 3, 1 + 3 = 4 -> mean 2.5; d/ds = -y / n where positive
    loss, grads = _grads(hinge_loss, [0.5, -2.0, 3.0], [1, 1, -1])
    assert loss == 2.5 and grads == pytest.approx([-1 / 3, -1 / 3, 1 / 3])
    loss, grads = _grads(hinge_loss, [2.0, -1.5], [1, -1])  # beyond the margin: no loss, no slope
    assert loss == 0.0 and grads == [0.0, 0.0]


def test_cross_entropy_by_hand():
    # logsumexp(1, 2, 3) - 3 = log(e^-2 + e^-1 + 1) = 0.407606...; gradient softmax - onehot
    row = [Value(1.0), Value(2.0), Value(3.0)]
    loss = cross_entropy([row], [2])
    loss.backward()
    assert loss.data == pytest.approx(0.4076059644443806, rel=1e-12)
    softmax = [0.09003057317038043, 0.24472847105479759, 0.6652409557748217]
    assert [v.grad for v in row] == pytest.approx([softmax[0], softmax[1], softmax[2] - 1.0], rel=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    row = [Value(1000.0), Value(0.0)]
    loss = cross_entropy([row], [1])
    loss.backward()
    assert loss.data == 1000.0 and [v.grad for v in row] == [1.0, -1.0]


@pytest.mark.parametrize(
    "loss_fn, targets",
    [
        (mse_loss, [0.3, -1.2]),
        (binary_cross_entropy_with_logits, [1.0, 0.25]),
        (hinge_loss, [1, -1]),
    ],
)
def test_losses_pass_gradcheck(loss_fn, targets):
    assert gradcheck(lambda a, b: loss_fn([a, b], targets), Value(0.7), Value(0.4))


def test_cross_entropy_passes_gradcheck():
    assert gradcheck(lambda a, b, c: cross_entropy([[a, b], [b, c]], [0, 1]), Value(0.2), Value(-1.1), Value(0.9))


def test_single_value_and_plain_numbers_are_accepted():
    assert mse_loss(Value(3.0), [1.0]).data == 4.0
    assert mse_loss([3.0], [1.0]).data == 4.0
    assert isinstance(hinge_loss([0.0], [1]), Value)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: mse_loss([Value(1.0)], [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
        (lambda: mse_loss([], []), ValueError, "no predictions"),
        (lambda: mse_loss([Value(1.0)], ["a"]), TypeError, "mse_loss target must be a real number"),
        (lambda: hinge_loss([Value(1.0)], [0]), ValueError, "labels must be -1 or \\+1"),
        (lambda: binary_cross_entropy_with_logits([Value(1.0)], [2]), ValueError, "targets must lie in \\[0, 1\\]"),
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [2]), ValueError, "label 2 of sample 0"),
        (lambda: cross_entropy([[Value(1.0)]], [0, 0]), ValueError, "1 rows of logits need 1 labels"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("big", [1e15, 1e17, 1e308])
def test_cross_entropy_keeps_log_two_for_huge_tied_logits(big):
    # torch.nn.functional.cross_entropy([[big, big, 0]], [0]) = log 2; log(2) + big - big rounded it to 0
    row = [Value(big), Value(big), Value(0.0)]
    loss = cross_entropy([row], [0])
    loss.backward()
    assert loss.data == pytest.approx(0.6931471805599453, rel=1e-12)
    assert [v.grad for v in row] == [-0.5, 0.5, 0.0]
