"""The README and the documentation pages with code (Getting started, the guide) keep their promises: every Python
block runs as written and prints exactly what its comments claim; the README stays a learner's page (at most 300
lines, every notebook of the course in its table, every local link and picture present)."""

import builtins
import io
import pathlib
import re
import sys

import pytest
from needs import require

ROOT = pathlib.Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# the pages of the docs site that show code a reader will paste
PAGES = {name: (ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("index.md", "guide.md")}
BLOCKS = [
    pytest.param(code, id=f"{name}-block{i}")
    for name, text in {"README.md": README, **PAGES}.items()
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", text, flags=re.S))
]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _same(claim: str, printed: str) -> bool:
    """The claim is the printed line, word for word and digit for digit (``-0.3`` is not
    ``-0.30000000000000004``); ``...`` in the claim stands for any words, none included."""
    words, got = claim.split(), printed.split()
    if "..." not in words:
        return words == got
    cut = words.index("...")
    head, tail = words[:cut], words[cut + 1 :]
    return len(got) >= len(head) + len(tail) and got[: len(head)] == head and got[len(got) - len(tail) :] == tail


def test_same_is_exact_except_for_the_ellipsis():
    assert _same("0.2 -0.30000000000000004 0.1", "0.2 -0.30000000000000004 0.1")
    assert not _same("0.2 -0.3 0.1", "0.2 -0.30000000000000004 0.1")
    assert not _same("loss 0.01", "loss 0.0100") and not _same("0.2 -0.3", "0.2 -0.31")
    assert _same("loss 0.0005, ... 100/100", "loss 0.0005, training accuracy 100/100")
    assert not _same("layer 1 dead", "layer 1 alive") and not _same("0.2", "0.2 0.3")


def test_there_are_blocks_to_check():
    assert len([b for b in BLOCKS if b.id.startswith("README")]) >= 2
    assert all(any(b.id.startswith(name) for b in BLOCKS) for name in PAGES)


@pytest.mark.parametrize("code", BLOCKS)
def test_block_runs_and_prints_exactly_what_it_claims(code, tmp_path, monkeypatch):
    if re.search(r"\bplot_\w+\(|matplotlib", code):
        require("plot", "a page's example that plots")
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    printed: dict[int, list[str]] = {}  # line of the print call -> the lines it printed

    def recording_print(*args, **kwargs):
        text = io.StringIO()
        builtins.print(*args, **{**kwargs, "file": text})
        printed.setdefault(sys._getframe(1).f_lineno, []).extend(text.getvalue().splitlines())

    exec(compile(code, "block", "exec"), {"print": recording_print})
    for number, line in enumerate(code.splitlines(), 1):
        claim = re.search(r"print\(.*\)\s*# (.*)$", line)
        if claim:
            assert number in printed, f"line {line!r} printed nothing"
            assert _same(claim.group(1), printed[number][0]), (
                f"the page says {claim.group(1)!r} but the code printed {printed[number][0]!r}"
            )


def test_readme_is_short():
    assert len(README.splitlines()) <= 300


def test_the_course_tables_list_every_notebook_once():
    assert NOTEBOOKS[0].startswith("00_") and len(NOTEBOOKS) >= 11
    for name, text in (("README.md", README), ("docs/index.md", PAGES["index.md"])):
        linked = re.findall(r"\]\(notebooks/(\w+)\.ipynb\)", text)
        assert sorted(set(linked)) == NOTEBOOKS, f"{name}: the course table lists {linked}"


def test_readme_local_links_and_pictures_exist():
    for target in re.findall(r"\]\((?!https?:|#|mailto:)([^)\s#]+)\)", README):
        assert (ROOT / target).exists(), f"README links to {target}, which is missing"


def test_readme_test_command_is_what_ci_runs():
    """The README's test command installs what .ci/run installs, and runs the same checks."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extras = re.search(r'pip install .*-e "\.\[([\w,]+)\]"', ci).group(1)
    assert f'pip install -e ".[{extras}]" && ruff check . && ruff format --check . && mypy && python -m pytest -q' in (
        README
    )
    assert "parity" in extras.split(",")
