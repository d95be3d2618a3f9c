"""The command line: the default XOR run, moons with its defaults, options, and bad input."""

import io
import math
import subprocess
import sys

import pytest

from tinygrad_relu.cli import build_parser, main, parse_args, train


def test_default_run_gets_xor_right(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("model: MLP of [Layer of [8 x LeakyReLUNeuron(2, alpha=0.01)]")
    assert any(line.startswith("epoch 150/150 [" + "#" * 30 + "]") for line in lines)
    assert any(line.startswith("final loss ") for line in lines)
    header = next(i for i, line in enumerate(lines) if "p(y=1)" in line)
    rows = [line.replace("|", " ").split() for line in lines[header + 1 : header + 5]]
    assert [(float(r[0]), float(r[1]), int(r[4])) for r in rows] == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    for r in rows:
        p, predicted, target = float(r[2]), int(r[3]), int(r[4])
        assert predicted == target and (p if target else 1 - p) > 0.9, r


def test_train_returns_the_model_and_what_it_printed():
    out = io.StringIO()
    result = train(parse_args(["--epochs", "5"]), out)
    assert result.output == out.getvalue().splitlines()
    assert len(result.model.parameters()) == 2 * 8 + 8 + 8 + 1
    z = result.model([0.0, 0.0]).data  # sample 0 of XOR is (0, 0), label 0
    assert result.sample_loss(0).data == pytest.approx(math.log1p(math.exp(z)))  # softplus(z) - z * 0


def test_moons_reaches_97_percent_with_its_defaults():
    result = train(parse_args(["--dataset", "moons"]), io.StringIO())
    assert result.accuracy >= 0.97


@pytest.mark.parametrize(
    "options",
    [
        ["--optimizer", "sgd", "--lr", "0.1"],
        ["--activation", "prelu", "--alpha", "0.1", "--hidden", "8,8"],
        ["--activation", "tanh", "--loss", "mse"],
        ["--activation", "relu", "--loss", "hinge", "--seed", "3"],
        ["--loss", "ce"],
    ],
)
def test_options_train_xor(options):
    assert train(parse_args(options), io.StringIO()).accuracy == 1.0


def test_spirals_trains_with_cross_entropy():
    result = train(parse_args(["--dataset", "spirals", "--epochs", "3", "--hidden", "4"]), io.StringIO())
    assert len(result.model.layers[-1].neurons) == 3
    assert any("p(class)" in line for line in result.output)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--hidden", "16,x"], "argument --hidden: expected comma-separated positive layer sizes"),
        (["--hidden", "0"], "argument --hidden"),
        (["--epochs", "0"], "argument --epochs: expected an integer from 1 to 100,000, got '0'"),
        (["--epochs", "1000001"], "argument --epochs: expected an integer from 1 to 100,000"),
        (["--seed", "-1"], "argument --seed: expected an integer >= 0, got '-1'"),
        (["--lr", "-1"], "argument --lr: expected a number > 0"),
        (["--alpha", "nan"], "argument --alpha: expected a finite number"),
        (["--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
        (["--dataset", "mnist"], "argument --dataset: invalid choice"),
        (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice"),
        (["--activation", "relu", "--alpha", "0.1"], "--alpha applies to leaky_relu and prelu, not relu"),
        (["--dataset", "spirals", "--loss", "bce"], "spirals has three: use --loss ce"),
        (["--seed", "one"], "argument --seed: expected an integer >= 0, got 'one'"),
        (["--graph", "g.jpeg"], "--graph g.jpeg: the file name must end in .svg, .png, .pdf, .dot, .gv"),
        (["--graph", "/no/such/folder/g.svg"], "cannot write into /no/such/folder"),
        (["--explore", "page.svg"], "--explore page.svg: the file name must end in .html, .htm"),
        (["--explore", "/no/such/folder/e.html"], "cannot write into /no/such/folder"),
        (["--frames", "/etc/hostname/frames"], "--frames /etc/hostname/frames: cannot write into /etc/hostname"),
        (["--sample", "-1"], "argument --sample: expected an integer >= 0, got '-1'"),
        (["--group", "unit"], "argument --group: invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tinygrad-relu: error: ") and message in err[0]


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--dataset",
        "--activation",
        "--alpha",
        "--hidden",
        "--epochs",
        "--lr",
        "--optimizer",
        "--loss",
        "--seed",
    ):
        assert option in text
    assert build_parser().prog == "tinygrad-relu"


def test_python_dash_m_runs_the_default():
    done = subprocess.run(
        [sys.executable, "-m", "tinygrad_relu", "--epochs", "3"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "final loss" in done.stdout
