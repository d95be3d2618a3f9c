"""Pictures: plot_history, plot_decision_boundary, plot_comparison, and the CLI's --plot and --compare."""

import re
import struct
import subprocess
import sys

import numpy as np
import pytest
from needs import require

require("plot", "the plotting tests")
import matplotlib  # noqa: E402  (after the check, which says which extra brings it)

matplotlib.use("Agg")  # no display in CI
from matplotlib import pyplot  # noqa: E402

from tinygrad_relu.cli import main  # noqa: E402
from tinygrad_relu.data import make_moons  # noqa: E402
from tinygrad_relu.nn import mlp  # noqa: E402
from tinygrad_relu.optim import Adam  # noqa: E402
from tinygrad_relu.plot import plot_comparison, plot_decision_boundary, plot_history  # noqa: E402
from tinygrad_relu.train import HEADS, fit  # noqa: E402


@pytest.fixture(scope="module")
def run():
    X, y = make_moons(60, seed=0)
    model = mlp(2, [8, 8, 1], activation="relu", seed=0)
    result = fit(model, HEADS["bce"], Adam(model.parameters(), lr=0.05), X, y, 20, test=(X[:10], y[:10]), label="relu")
    yield result.history, model, X, y
    pyplot.close("all")


def png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_import_loads_no_matplotlib():
    code = "import sys, tinygrad_relu, tinygrad_relu.plot, tinygrad_relu.cli; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_plot_history_draws_the_three_panels(run):
    history = run[0]
    figure = plot_history(history)
    curves, gradients, shares = figure.axes[:3]
    assert [line.get_label() for line in gradients.get_lines()] == ["layer 1", "layer 2", "layer 3"]
    assert gradients.get_yscale() == "log" and curves.get_yscale() == "log"
    assert np.allclose(gradients.get_lines()[1].get_ydata(), [row[1] for row in history.grad_norm])
    assert np.allclose(shares.get_lines()[0].get_ydata(), [row[0] for row in history.dead_share])
    twin = figure.axes[3]  # the accuracy axis to the right of the loss
    assert [line.get_label() for line in twin.get_lines()] == ["training accuracy", "test accuracy"]
    assert curves.get_title() == "relu: loss and accuracy"


def test_plot_history_draws_on_the_axes_it_is_given(run):
    figure, axes = pyplot.subplots(2, 2)
    with pytest.raises(ValueError, match="expected 3 Axes for 3 panels, got 2"):
        plot_history(run[0], ax=axes[0])
    assert plot_history(run[0], ax=axes[1, 1], panels=["gradients"]) is figure
    assert len(axes[1, 1].get_lines()) == 3 and not axes[0, 0].get_lines()
    with pytest.raises(ValueError, match="panels must be some of"):
        plot_history(run[0], panels=["weights"])


def test_decision_boundary_colours_the_plane(run):
    _, model, X, y = run
    figure, ax = pyplot.subplots()
    assert plot_decision_boundary(model, X, y, ax=ax, resolution=40) is figure
    assert len(ax.collections) >= 2  # the filled regions and the points
    assert re.fullmatch(r"decision regions \(\d+% right\)", ax.get_title())
    with pytest.raises(ValueError, match=r"needs 2-D points, X of shape \(n, 2\), got \(4, 3\)"):
        plot_decision_boundary(model, np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="head must be a Head or one of"):
        plot_decision_boundary(model, X, y, head="softplus")


def test_plot_comparison_one_row_per_run(run):
    history, model, X, y = run
    figure = plot_comparison([(history, model), (history, model)], X, y)
    assert figure.get_size_inches() == pytest.approx([4 * 4.2, 2 * 3.2])
    with pytest.raises(ValueError, match="at least one"):
        plot_comparison([])


def test_a_missing_matplotlib_is_one_clear_error(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # makes the import fail
    with pytest.raises(ImportError, match=r'plotting needs matplotlib: pip install "tinygrad_relu\[plot\]"'):
        plot_history(run[0])


@pytest.mark.parametrize(
    "argv, size",
    [
        (["--epochs", "3"], (4 * 420, 320)),  # 2-D data: the three panels and the decision regions
        (["--epochs", "3", "--compare", "relu,leaky_relu"], (4 * 420, 2 * 320)),
        (["--dataset", "digits", "--epochs", "2"], (3 * 420, 320)),  # 64 inputs: no regions to draw
    ],
)
def test_cli_plot_writes_a_png_of_the_expected_size(tmp_path, capsys, argv, size):
    path = tmp_path / "history.png"
    assert main([*argv, "--plot", str(path)]) == 0
    assert path.stat().st_size > 10_000 and png_size(path) == size
    assert f"training history: {path}" in capsys.readouterr().out


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_cli_plot_writes_svg_and_pdf(tmp_path, suffix, magic):
    path = tmp_path / f"history{suffix}"
    assert main(["--epochs", "2", "--engine", "tensor", "--plot", str(path)]) == 0
    assert path.read_bytes().startswith(magic)


@pytest.mark.parametrize(
    "target, message",
    [
        ("history.jpg", "the file name must end in .png, .svg, .pdf"),
        ("missing/history.png", "cannot write in"),
    ],
)
def test_cli_plot_target_is_checked_before_training(tmp_path, capsys, target, message):
    with pytest.raises(SystemExit) as info:
        main(["--plot", str(tmp_path / target)])
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == "" and message in err.strip().splitlines()[-1]


def test_cli_plot_without_matplotlib_stops_before_training(monkeypatch, capsys, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    with pytest.raises(SystemExit) as info:
        main(["--plot", str(tmp_path / "h.png")])
    assert info.value.code == 2 and "--plot needs matplotlib: pip install" in capsys.readouterr().err


def test_cli_compare_prints_one_summary_line_per_activation(capsys):
    assert main(["--engine", "tensor", "--epochs", "5", "--compare", "relu,leaky_relu,prelu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("== ")] == ["== relu ==", "== leaky_relu ==", "== prelu =="]
    table = lines[lines.index(next(x for x in lines if x.startswith("activation"))) + 1 : -1]
    assert lines[-1].startswith("units <= 0: per hidden layer, the share of units <= 0 on every training sample")
    assert [row.split()[0] for row in table] == ["relu", "leaky_relu", "prelu"]
    assert all(re.search(r"layer 1 \d+%$", row) for row in table)
    assert "PReLU" in "\n".join(lines) and "LeakyReLU(alpha=0.01)" in "\n".join(lines)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--compare", "relu,swish"], "argument --compare: expected distinct activations"),
        (["--compare", "relu,relu"], "argument --compare: expected distinct activations"),
        (["--compare", "relu,prelu", "--activation", "tanh"], "--compare trains each activation it lists"),
    ],
)
def test_cli_compare_bad_input(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err.strip().splitlines()[-1]
