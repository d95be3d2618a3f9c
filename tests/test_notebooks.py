"""Each teaching notebook runs top to bottom (its own asserts check the figures it claims)."""

import pathlib

import nbformat
import pytest
from needs import require

pytestmark = pytest.mark.slow  # each notebook runs in its own kernel

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    require("course", "executing the notebooks")
    import nbclient

    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display in CI
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_keep_their_figures(path):
    """The committed outputs are what the docs site shows: a cell that plots must have stored its figure (a
    notebook executed with MPLBACKEND=Agg, as test_notebook_runs does, silently stores none)."""
    notebook = nbformat.read(path, as_version=4)
    missing = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and "plt.show()" in cell.source
        and not any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
    ]
    assert not missing, f"cells {missing} plot but stored no figure: re-execute without MPLBACKEND=Agg"


def test_stored_outputs_name_no_temporary_path():
    """A stored output is what the docs site shows: a path into a temporary folder is a dead link there."""
    stale = [
        (path.name, i)
        for path in NOTEBOOKS
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells)
        for out in cell.get("outputs", [])
        if any(marker in str(out) for marker in ("/tmp/", "\\\\Temp\\\\", "/var/folders/"))
    ]
    assert not stale, stale


# (notebook, the exercise's check, text of a cell that gives its answer away): the check must come first
ANSWER_AFTER_EXERCISE = [
    ("00_", "check_local_derivatives(", "L.backward()"),
    ("00_", "check_chain_rule(", "L.backward()"),
    ("00_", "check_training_loop(", "losses = train(*xor_problem"),
    ("01_", "check_gradients_at_zero(", "gradient for a at x = 0"),
    ("01_", "check_gradients_at_zero(", "tinygrad_relu chooses as PyTorch does"),
    ("02_", "check_leaky_relu_prime(", "def slope_right"),
    ("02_", "check_xor_backward(", "def train_by_hand"),
    ("03_", "check_classifier(", "model = Sequential(Linear(2, 8, seed=0), LeakyReLU(0.01), Linear(8, 1"),
    ("04_", "check_leaky_relu_any_alpha(", "np.where(x > 0, x, 0.1 * x)"),
    ("05_", "check_relu_at_zero(", "def relu_with_slope_at_zero"),
    ("08_", "check_zero_gradients(", "column_grads = {}"),
    ("10_", "check_layer_backward(", "print(step.source)"),
    ("11_", "check_hvp(", "product = hvp("),
]


@pytest.mark.parametrize(
    "prefix, check, answer", ANSWER_AFTER_EXERCISE, ids=[f"{p}{c}" for p, c, _ in ANSWER_AFTER_EXERCISE]
)
def test_no_exercise_has_its_answer_above_it(prefix, check, answer):
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(prefix)]
    sources = [cell.source for cell in nbformat.read(path, as_version=4).cells]
    exercise = next(i for i, s in enumerate(sources) if check in s)
    given = next(i for i, s in enumerate(sources) if answer in s)
    assert exercise < given, f"{path.name}: cell {given} gives the answer of the exercise in cell {exercise}"
