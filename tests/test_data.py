"""Toy datasets: shapes, labels, geometry without noise, determinism, bad arguments."""

import numpy as np
import pytest

from tinygrad_relu.data import make_circles, make_moons, make_spirals, xor

MAKERS = [make_moons, make_circles, make_spirals]


def test_xor():
    X, y = xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_dtypes_and_balance(make):
    X, y = make(n=31, seed=0)
    assert X.shape == (31, 2) and X.dtype == np.float64
    assert y.shape == (31,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("make", MAKERS)
def test_same_seed_same_points_other_seed_other_points(make):
    X1, y1 = make(n=40, seed=7)
    X2, y2 = make(n=40, seed=7)
    X3, _ = make(n=40, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_moons_without_noise_lie_on_two_unit_arcs():
    X, y = make_moons(n=50, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(*upper.T), 1.0) and (upper[:, 1] >= 0).all()
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0) and (lower[:, 1] <= 0.5).all()


def test_circles_without_noise_have_radius_1_and_factor():
    X, y = make_circles(n=50, noise=0.0, factor=0.3)
    r = np.hypot(*X.T)
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)


def test_spirals_without_noise():
    X, y = make_spirals(n=60, classes=4, noise=0.0)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3]
    r = np.hypot(*X.T)
    assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
    # each arm starts at its own angle, a quarter turn apart
    starts = [np.arctan2(*X[(y == k) & np.isclose(r, 0.1)][0][::-1]) for k in range(4)]
    assert np.allclose(np.diff(np.unwrap(starts)), 2 * np.pi / 4)


@pytest.mark.parametrize("call, match", [
    (lambda: make_moons(n=1), "n must be an int >= 2"),
    (lambda: make_moons(n=10.5), "n must be an int"),
    (lambda: make_moons(noise=-0.1), "noise must be a number in \\[0, inf\\]"),
    (lambda: make_circles(factor=1.0), "factor must be a number in \\[0, 1\\)"),
    (lambda: make_spirals(classes=1), "classes must be an int >= 2"),
    (lambda: make_spirals(n=2, classes=3), "n must be an int >= 3"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
