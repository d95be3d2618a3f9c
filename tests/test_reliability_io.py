"""Regression tests for what surrounds the numbers: training on odd labels and inputs, saving and loading
models, the frames writer and the command line refusing what it cannot do before it trains."""

import inspect
import io
import math
import os
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest
from needs import require, require_torch

from tinygrad_relu import Tensor, Value
from tinygrad_relu.cli import main
from tinygrad_relu.data import train_test_split, xor
from tinygrad_relu.nn import MLP, LeakyReLU, Linear, Module, Sequential, mlp, serialize
from tinygrad_relu.optim import Adam
from tinygrad_relu.train import HEADS, accuracy, fit


# ---------------------------------------------------------------- training reads labels of shape (N, 1)
def _trained_xor(y):
    model = mlp(2, [8, 1], activation="leaky_relu", seed=0)
    X = xor()[0]
    return model, X, fit(model, HEADS["bce"], Adam(model.parameters(), lr=0.05), X, y, 150)


@pytest.mark.parametrize("shape", [(4,), (4, 1)])
def test_column_labels_score_like_flat_ones(shape):
    y = xor()[1].reshape(shape)
    model, X, result = _trained_xor(y)
    assert result.accuracy == 1.0 and result.history.accuracy[-1] == 1.0
    assert accuracy(model, HEADS["bce"], X, y) == 1.0


def test_column_labels_give_the_same_decision_boundary_title():
    require("plot", "plot_decision_boundary")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    from tinygrad_relu import plot_decision_boundary

    y = xor()[1][:, None]
    model, X, _ = _trained_xor(y)
    figure = plot_decision_boundary(model, X, y, head="bce")
    assert figure.axes[0].get_title() == "decision regions (100% right)"
    pyplot.close(figure)


# ---------------------------------------------------------------- fit and train_test_split check their input
def _xor_fit(**changes):
    model = mlp(2, [4, 1], seed=0)
    X, y = xor()
    kwargs = {"X": X, "y": y, "epochs": 2, **changes}
    return fit(model, HEADS["bce"], Adam(model.parameters(), lr=0.05), **kwargs)


def test_fit_takes_lists_as_arrays():
    X, y = xor()
    from_lists = _xor_fit(X=X.tolist(), y=y.tolist())
    from_arrays = _xor_fit()
    assert from_lists.final_loss == from_arrays.final_loss


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"epochs": -3}, ValueError, "epochs must be an int >= 0, got -3"),
        ({"epochs": 2.5}, ValueError, "epochs must be an int >= 0, got 2.5"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, ValueError, "X has no samples"),
        ({"X": np.zeros(4)}, ValueError, "X must be a 2-D array .* got shape \\(4,\\)"),
        ({"X": [["a", "b"]] * 4}, TypeError, "X must be an array of numbers"),
        ({"y": np.zeros((4, 2))}, ValueError, "y must be one label per sample"),
        ({"y": np.zeros(3)}, ValueError, "X has 4 samples but y has 3"),
        ({"y": None}, TypeError, "y must be an array of numbers"),
        ({"test": (np.zeros((2, 2)),)}, ValueError, "test must be a pair \\(X_test, y_test\\)"),
        ({"test": (np.zeros((2, 2)), np.zeros(3))}, ValueError, "X_test has 2 samples but y_test has 3"),
    ],
)
def test_fit_names_the_argument_it_refuses(changes, error, message):
    with pytest.raises(error, match=message):
        _xor_fit(**changes)


def test_fit_with_zero_epochs_only_measures():
    result = _xor_fit(epochs=0)
    assert result.history.epochs == 0 and 0.0 <= result.accuracy <= 1.0


def test_train_test_split_takes_lists_and_refuses_what_it_cannot_split():
    X, y = xor()
    parts = train_test_split(X.tolist(), y.tolist(), test=0.5, seed=0)
    assert [p.shape for p in parts] == [(2, 2), (2,), (2, 2), (2,)]
    with pytest.raises(ValueError, match="X has no samples"):
        train_test_split(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="X must be an array with one row per sample, got a 0-d"):
        train_test_split(np.float64(3.0), y)
    with pytest.raises(TypeError, match="y must be an array of numbers"):
        train_test_split(X, None)
    with pytest.raises(ValueError, match="test must be a number in \\[0, 1\\), got 2"):
        train_test_split(X, y, test=2)


# ---------------------------------------------------------------- load_state_dict refuses what is not a number
@pytest.mark.parametrize("bad", [None, "2.5", b"2.5", ["1", "2", "3"], np.array([1.0, None, 2.0]), 1 + 2j])
def test_load_state_dict_refuses_non_numbers_and_leaves_the_model_as_it_was(bad):
    model = Sequential(Linear(2, 3, seed=0))
    before = model.state_dict()
    with pytest.raises(TypeError, match="load_state_dict: '0.bias' must be"):
        model.load_state_dict({"0.weight": np.zeros((3, 2)), "0.bias": bad})
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    scalar = MLP(1, [1], seed=0)
    names = list(scalar.state_dict())
    with pytest.raises(TypeError, match="must be a number"):
        scalar.load_state_dict({names[0]: 0.5, names[1]: None})
    assert scalar.state_dict()[names[0]] != 0.5


def test_load_state_dict_takes_numbers_arrays_and_nodes():
    model = Sequential(Linear(2, 1, seed=0))
    model.load_state_dict({"0.weight": Tensor([[1.0, 2.0]]), "0.bias": [np.float32(0.5)]})
    assert model.state_dict()["0.weight"].tolist() == [[1.0, 2.0]] and model.state_dict()["0.bias"].tolist() == [0.5]
    scalar = MLP(1, [1], seed=0)
    scalar.load_state_dict({name: Value(3.0) if i else 2 for i, name in enumerate(scalar.state_dict())})
    assert list(scalar.state_dict().values()) == [2.0, 3.0]


# ---------------------------------------------------------------- save writes the path it is given, every name
def test_save_writes_exactly_the_path_given(tmp_path):
    model = Sequential(Linear(2, 3, seed=0))
    model.save(tmp_path / "weights.bin")
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]
    other = Sequential(Linear(2, 3, seed=1))
    other.load(tmp_path / "weights.bin")
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in other.state_dict().items())
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    other.load(buffer)


def test_a_save_that_fails_leaves_the_file_that_was_there(tmp_path, monkeypatch):
    path = tmp_path / "weights.npz"
    Sequential(Linear(2, 3, seed=0)).save(path)
    before = path.read_bytes()
    written = []

    def interrupted(member, array, **kwargs):
        written.append(array)
        if len(written) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Sequential(Linear(2, 3, seed=1)).save(path)
    assert len(written) == 2 and path.read_bytes() == before and os.listdir(tmp_path) == ["weights.npz"]


def test_save_through_a_symlink_writes_the_file_it_points_to(tmp_path):
    (tmp_path / "real.npz").write_bytes(b"old")
    (tmp_path / "link.npz").symlink_to(tmp_path / "real.npz")
    model = Sequential(Linear(2, 3, seed=0))
    model.save(tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink() and sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]
    other = Sequential(Linear(2, 3, seed=1))
    other.load(tmp_path / "real.npz")
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in other.state_dict().items())


def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "weights.npz"
    path.write_bytes(b"old")
    path.chmod(0o640)
    Sequential(Linear(2, 3, seed=0)).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.npz"  # a new file gets what open() would give it: 0o666 less the umask
    umask = os.umask(0o022)
    try:
        Sequential(Linear(2, 3, seed=0)).save(fresh)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_a_symlink_planted_at_the_old_temporary_name_is_left_alone(tmp_path):
    path, victim = tmp_path / "weights.npz", tmp_path / "victim.txt"
    victim.write_bytes(b"not yours")
    planted = tmp_path / f"weights.npz.{os.getpid()}.{threading.get_ident()}.partial"  # a name anyone could guess
    planted.symlink_to(victim)
    model = Sequential(Linear(2, 3, seed=0))
    model.save(path)
    assert victim.read_bytes() == b"not yours" and planted.is_symlink() and os.readlink(planted) == str(victim)
    assert sorted(os.listdir(tmp_path)) == sorted(["weights.npz", "victim.txt", planted.name])
    other = Sequential(Linear(2, 3, seed=1))
    other.load(path)
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in other.state_dict().items())


def test_the_temporary_file_is_created_exclusively_so_a_name_taken_meanwhile_is_never_written(tmp_path, monkeypatch):
    path, victim = tmp_path / "weights.npz", tmp_path / "victim.txt"
    victim.write_bytes(b"not yours")
    (tmp_path / ".weights.npz.taken.partial").symlink_to(victim)  # planted at the first name the save draws
    names = iter(["taken", "free"])
    monkeypatch.setattr(serialize.secrets, "token_hex", lambda n: next(names))
    model = Sequential(Linear(2, 3, seed=0))
    model.save(path)
    assert victim.read_bytes() == b"not yours" and (tmp_path / ".weights.npz.taken.partial").is_symlink()
    assert sorted(os.listdir(tmp_path)) == [".weights.npz.taken.partial", "victim.txt", "weights.npz"]
    other = Sequential(Linear(2, 3, seed=1))
    other.load(path)
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in other.state_dict().items())


class _Named(Module):
    """A module whose parameters carry the names it is given."""

    def __init__(self, names):
        for i, name in enumerate(names):
            setattr(self, name, Tensor(np.full(2, float(i)), requires_grad=True))


def _keywords(*functions):
    return {name for f in functions for name in inspect.signature(f).parameters}


def test_every_parameter_name_round_trips_through_a_file(tmp_path):
    names = sorted(_keywords(np.savez, np.savez_compressed, np.load) | {"arr_0", "x", "x.npy", "kwds", "args"})
    assert {"file", "allow_pickle", "mmap_mode", "max_header_size"} <= set(names)
    model = _Named(names)
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as stored:  # an ordinary .npz: numpy reads it too
        assert len(stored.files) == len(names)
    loaded = _Named(names)
    for p in loaded.parameters():
        p.data[...] = -1.0
    loaded.load(tmp_path / "m.npz")
    assert {k: v.tolist() for k, v in loaded.state_dict().items()} == {
        name: [float(i)] * 2 for i, name in enumerate(names)
    }


# ---------------------------------------------------------------- a module registered twice keeps both names
def _tied():
    shared = Linear(3, 3, seed=0)
    return Sequential(shared, LeakyReLU(0.1), shared)


def test_a_shared_module_is_in_the_state_dict_under_each_name():
    model = _tied()
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]  # each parameter once
    model.load_state_dict(_tied().state_dict())  # strict: both names expected
    with pytest.raises(KeyError, match="missing \\['2.weight', '2.bias'\\]"):
        model.load_state_dict({k: v for k, v in _tied().state_dict().items() if k.startswith("0.")})


def test_a_shared_module_loads_strictly_to_and_from_pytorch():
    torch = require_torch()
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 3).double()
    theirs = torch.nn.Sequential(layer, torch.nn.LeakyReLU(0.1), layer)
    ours = _tied()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=0, atol=1e-12)
    fresh = _tied()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in fresh.state_dict().items()})
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), fresh(x).data, rtol=0, atol=1e-12)


def test_a_module_that_contains_itself_does_not_loop():
    model = Sequential(Linear(2, 2, seed=0))
    model.again = model
    assert list(model.state_dict()) == ["0.weight", "0.bias"]


# ---------------------------------------------------------------- frames: only this run's files are left
def _frames():
    pytest.importorskip("graphviz")
    from tinygrad_relu import backward_frames

    w = Value(2.0, "w")
    return backward_frames((w * 3.0).relu())


def test_write_frames_removes_an_earlier_runs_frames_and_nothing_else(tmp_path):
    from tinygrad_relu import write_frames

    frames = _frames()
    for name in ("frame_001.dot", "frame_002.dot", "frame_0007.dot", "frame_1.svg", "frame_x.dot", "notes.txt"):
        (tmp_path / name).write_text("earlier")
    written = write_frames(frames, tmp_path, format="dot")
    assert [p.name for p in written] == [f"frame_{k:03d}.dot" for k in range(1, len(frames) + 1)]
    assert sorted(os.listdir(tmp_path)) == sorted(
        [p.name for p in written] + ["frame_1.svg", "frame_x.dot", "notes.txt"]
    )
    assert all(p.read_text() != "earlier" for p in written)


# ---------------------------------------------------------------- init gain for any finite slope
@pytest.mark.parametrize("alpha", [1e200, -1e200, 1.7e308])
def test_a_huge_slope_gives_a_finite_init(alpha):
    layer = Linear(2, 3, alpha=alpha, seed=0)
    assert np.all(np.isfinite(layer.weight.data)) and np.any(layer.weight.data != 0)
    for model in (MLP(2, [3, 1], activation="leaky_relu", alpha=alpha, seed=0), mlp(2, [3, 1], "leaky_relu", alpha)):
        assert all(np.all(np.isfinite(p.data)) for p in model.parameters())


# ---------------------------------------------------------------- the command line refuses before it trains
def _refused(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    assert info.value.code == 2 and "epoch" not in captured.out, captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_bad_value_is_one_line_without_the_usage(capsys):
    line = _refused(["--epochs", "zero"], capsys)
    assert line == "tinygrad-relu: error: argument --epochs: expected an integer from 1 to 100,000, got 'zero'"


def test_help_still_shows_the_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("usage: tinygrad-relu")


@pytest.mark.parametrize("option, name", [("--plot", "out.png"), ("--graph", "out.svg"), ("--explore", "out.html")])
def test_an_output_that_is_a_folder_is_refused_before_training(option, name, tmp_path, capsys):
    (tmp_path / name).mkdir()
    line = _refused([option, str(tmp_path / name)], capsys)
    assert f"{option} {tmp_path / name}: is a folder" in line


def test_frames_that_name_a_file_are_refused_and_the_file_kept(tmp_path, capsys):
    (tmp_path / "frames").write_text("mine")
    line = _refused(["--frames", str(tmp_path / "frames")], capsys)
    assert line.endswith(f"--frames {tmp_path / 'frames'}: is a file, not a folder")
    assert (tmp_path / "frames").read_text() == "mine"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--frames", "/proc/tinygrad-frames"], "--frames /proc/tinygrad-frames: cannot write"),
        (["--graph", "/proc/g.svg"], "--graph /proc/g.svg: cannot write"),
        (["--plot", "/sys/p.png"], "--plot /sys/p.png: cannot write"),
        (["--sample", "99"], "--sample 99: xor has 4 samples (0 to 3)"),
        (["--dataset", "digits", "--engine", "value", "--sample", "200"], "digits has 200 samples (0 to 199)"),
        (["--hidden", "100000000000"], "--hidden 100000000000: "),
        (["--hidden", "2000,2000"], "parameters, more than"),
    ],
)
def test_what_cannot_be_done_is_refused_before_training(argv, message, capsys):
    assert message in _refused(argv, capsys)


def test_nothing_is_written_unless_everything_can_be(tmp_path, capsys):
    page = tmp_path / "page.html"
    _refused(["--explore", str(page), "--plot", str(tmp_path / "p.png"), "--sample", "99"], capsys)
    _refused(
        ["--graph", str(tmp_path / "g.dot"), "--frames", str(tmp_path / "new" / "frames"), "--plot", "/sys/p.png"],
        capsys,
    )
    assert os.listdir(tmp_path) == []


def test_two_outputs_on_one_path_are_refused(tmp_path, capsys):
    path = str(tmp_path / "same.svg")
    assert "--plot and --graph both write " in _refused(["--plot", path, "--graph", path], capsys)
    line = _refused(["--graph", path, "--frames", path], capsys)
    assert line.endswith(f"--graph writes {path}, the folder --frames fills: give each its own path")
    assert os.listdir(tmp_path) == []


def test_a_huge_slope_trains_on_the_command_line(capsys):
    assert main(["--alpha", "1e200", "--epochs", "3"]) == 0
    assert "final loss" in capsys.readouterr().out


def test_the_command_line_prints_one_line_in_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-m", "tinygrad_relu", "--lr", "fast"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "--lr" in done.stderr


# ---------------------------------------------------------------- small models train on one BLAS thread
def test_fit_runs_a_small_model_on_one_blas_thread():
    import threadpoolctl

    seen = []
    model = mlp(2, [4, 1], seed=0)
    X, y = xor()
    fit(
        model,
        HEADS["bce"],
        Adam(model.parameters(), lr=0.05),
        X,
        y,
        1,
        on_epoch=lambda *_: seen.append(
            [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        ),
    )
    assert all(n == 1 for n in seen[0])
    assert math.isfinite(fit(model, HEADS["bce"], Adam(model.parameters()), X, y, 1).final_loss)
