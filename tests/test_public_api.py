"""What ruff (docstrings) and mypy (annotations) cannot see: every package's ``__all__`` names what it has, the
names the README uses are at the top, and the drawing names are loaded lazily but listed."""

import importlib

import pytest

import tinygrad_relu

PACKAGES = [
    "tinygrad_relu",
    "tinygrad_relu.autodiff",
    "tinygrad_relu.engine",
    "tinygrad_relu.exercises",
    "tinygrad_relu.losses",
    "tinygrad_relu.nn",
    "tinygrad_relu.optim",
    "tinygrad_relu.viz",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_only_names_the_package_has(name):
    package = importlib.import_module(name)
    missing = [n for n in package.__all__ if not hasattr(package, n)]
    assert not missing and len(set(package.__all__)) == len(package.__all__), missing


def test_top_level_names():
    names = ("Value", "Tensor", "no_grad", "gradcheck", "check_derivative", "draw_graph", "backward_frames", "grad")
    for name in names:
        assert name in tinygrad_relu.__all__ and hasattr(tinygrad_relu, name), name


def test_the_lazy_drawing_names_are_listed_and_in_dir():
    assert set(tinygrad_relu._LAZY) <= set(tinygrad_relu.__all__) <= set(dir(tinygrad_relu))
