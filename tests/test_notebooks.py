"""Each teaching notebook runs top to bottom (its own asserts check the figures it claims)."""

import pathlib

import pytest

pytestmark = pytest.mark.slow  # each notebook runs in its own kernel

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_name_no_temporary_path(path):
    """A stored output is what a reader of the docs site sees: a path into a temporary folder of the machine that
    ran the notebook is a dead link for everyone else."""
    import re

    text = "".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert not re.findall(r"(?:/tmp/|/var/folders/|\\Temp\\)\S*", text)
