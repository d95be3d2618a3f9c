"""Regression tests for what surrounds the numbers: training on odd labels and inputs, saving and loading
models, the frames writer and the command line refusing what it cannot do before it trains."""

import inspect
import io
import os

import numpy as np
import pytest

from tinygrad_relu import Tensor, Value
from tinygrad_relu.nn import MLP, LeakyReLU, Linear, Module, Sequential


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
    torch = pytest.importorskip("torch", reason="torch is only a test dependency: pip install torch==2.13.0")
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
