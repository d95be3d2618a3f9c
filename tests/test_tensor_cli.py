"""The command line with --engine tensor: the same datasets, trained on Tensors."""

import io
import re

import numpy as np
import pytest

from tinygrad_relu.cli import main, parse_args, train
from tinygrad_relu.nn import Linear, Sequential


def test_tensor_engine_gets_xor_right(capsys):
    assert main(["--engine", "tensor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "model: Sequential(" and "(33 parameters)" in "\n".join(lines)
    header = next(i for i, line in enumerate(lines) if "p(y=1)" in line)
    rows = [line.replace("|", " ").split() for line in lines[header + 1 : header + 5]]
    for r in rows:
        p, predicted, target = float(r[2]), int(r[3]), int(r[4])
        assert predicted == target and (p if target else 1 - p) > 0.9, r


@pytest.mark.parametrize(
    "options, accuracy",
    [
        (["--dataset", "moons"], 0.97),
        (["--dataset", "spirals"], 0.9),
        (["--dataset", "circles", "--loss", "hinge", "--activation", "relu"], 0.9),
        (["--dataset", "moons", "--loss", "mse", "--activation", "prelu", "--optimizer", "sgd"], 0.85),
    ],
)
def test_tensor_engine_trains_the_datasets(options, accuracy):
    result = train(parse_args(["--engine", "tensor", *options]), io.StringIO())
    assert isinstance(result.model, Sequential)
    assert result.accuracy >= accuracy


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_tensor_engine_takes_every_activation(activation):
    result = train(parse_args(["--engine", "tensor", "--activation", activation, "--epochs", "3"]), io.StringIO())
    z = result.model(result.X).data[:, 0]  # the final loss is the bce of the trained model's logits
    assert result.final_loss == pytest.approx(np.mean(np.logaddexp(0.0, z) - z * result.y), rel=1e-12)
    assert any(activation.capitalize() in line for line in result.output[:8])


def test_tensor_engine_draws_the_loss_of_sample_0(tmp_path, capsys):
    path = tmp_path / "loss.dot"
    assert main(["--engine", "tensor", "--epochs", "2", "--graph", str(path)]) == 0
    text = path.read_text()
    assert "W1" in text and "b2" in text and "linear" in text
    result = train(parse_args(["--engine", "tensor", "--epochs", "1"]), io.StringIO())
    loss = result.sample_loss(0)
    loss.backward()
    first = next(m for m in result.model if isinstance(m, Linear))
    assert loss.shape == () and first.weight.grad.shape == (8, 2)


def test_unknown_engine_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        parse_args(["--engine", "jax"])
    assert info.value.code == 2 and "invalid choice: 'jax'" in capsys.readouterr().err


def test_digits_prints_a_test_accuracy(capsys):
    assert main(["--dataset", "digits", "--epochs", "20"]) == 0  # the Tensor engine is digits' default
    out = capsys.readouterr().out
    assert "data: digits, 1438 points (+ 359 held out)" in out and "Linear(64, 64)" in out
    accuracy = float(re.search(r"^test accuracy (\d+\.\d)% \(359 held-out samples\)$", out, re.M).group(1))
    assert 85.0 <= accuracy <= 100.0  # 20 epochs; the 150 of the defaults reach 98.3%
    assert "           sample |  p(class) class | target" in out


def test_digits_on_the_value_engine_trains_on_a_subset_and_says_so(capsys):
    result = train(parse_args(["--dataset", "digits", "--engine", "value", "--epochs", "1", "--hidden", "8"]))
    out = capsys.readouterr().out
    assert "value engine: training on the first 200 of the 1438 training images" in out
    assert len(result.X) == 200 and result.history.epochs == 1 and len(result.history.test_accuracy) == 1
    assert re.search(r"^test accuracy \d+\.\d% \(359 held-out samples\)$", out, re.M)


def test_digits_needs_cross_entropy(capsys):
    with pytest.raises(SystemExit) as info:
        parse_args(["--dataset", "digits", "--loss", "bce"])
    assert info.value.code == 2 and "digits has ten: use --loss ce" in capsys.readouterr().err
