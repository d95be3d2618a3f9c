"""Datasets: the toys' shapes, labels, geometry without noise, determinism, bad arguments; the digits and the split."""

import hashlib

import numpy as np
import pytest

from tinygrad_relu.data import (
    DIGITS_FILE,
    DIGITS_SHA256,
    load_digits,
    make_circles,
    make_moons,
    make_spirals,
    train_test_split,
    xor,
)

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


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_moons(n=1), "n must be an int >= 2"),
        (lambda: make_moons(n=10.5), "n must be an int"),
        (lambda: make_moons(noise=-0.1), "noise must be a number in \\[0, inf\\]"),
        (lambda: make_circles(factor=1.0), "factor must be a number in \\[0, 1\\)"),
        (lambda: make_spirals(classes=1), "classes must be an int >= 2"),
        (lambda: make_spirals(n=2, classes=3), "n must be an int >= 3"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- the handwritten digits


def test_digits_file_is_the_one_we_ship():
    assert hashlib.sha256(DIGITS_FILE.read_bytes()).hexdigest() == DIGITS_SHA256
    assert (DIGITS_FILE.parent / "README.md").read_text().count("CC BY 4.0") == 1


def test_load_digits_shapes_classes_and_pixels():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert X.min() == 0.0 and X.max() == 1.0 and set(np.unique(X * 16)) <= set(range(17))
    assert y[:10].tolist() == list(range(10))
    # the first image is a 0: a ring of ink around an empty middle
    zero = (16 * X[0]).reshape(8, 8)
    assert zero[3:5, 3:5].max() == 0.0 and zero[0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert zero[3].tolist() == [0, 4, 12, 0, 0, 8, 8, 0]


def test_train_test_split_is_seeded_and_disjoint():
    X, y = load_digits()
    X_train, y_train, X_test, y_test = train_test_split(X, y, test=0.2, seed=0)
    assert X_train.shape == (1438, 64) and X_test.shape == (359, 64) and len(y_train) == 1438
    again = train_test_split(X, y, test=0.2, seed=0)
    other = train_test_split(X, y, test=0.2, seed=1)
    assert np.array_equal(again[2], X_test) and not np.array_equal(other[2], X_test)
    rows = {row.tobytes() for row in X_train} | {row.tobytes() for row in X_test}
    assert len(rows) == len({row.tobytes() for row in X})
    assert train_test_split(X[:3], y[:3], test=0.0)[2].shape == (1, 64)  # at least one held out


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"test": 1.0}, "test"),
        ({"test": -0.1}, "test"),
    ],
)
def test_train_test_split_bad_arguments(kwargs, message):
    X, y = xor()
    with pytest.raises(ValueError, match=message):
        train_test_split(X, y, **kwargs)
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        train_test_split(X, y[:3])
