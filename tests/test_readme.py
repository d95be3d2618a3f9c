"""The README's Python examples run as written, and every output they claim in a comment is the real one."""

import builtins
import io
import pathlib
import re
import sys

import pytest

README = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
# the docs site's getting-started page makes the same kind of promise
GUIDE = (pathlib.Path(__file__).parent.parent / "docs" / "getting-started.md").read_text()
GUIDE_BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.S)
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)(e-?\d+)?")


def _same(claim: str, printed: str) -> bool:
    """The claim matches the printed line word by word: the same text, or numbers equal to within rounding
    (the README writes -0.3 for -0.30000000000000004); ``...`` in the claim stands for any words."""
    words, got = claim.split(), printed.split()
    if "..." in words:
        cut = words.index("...")
        head, tail = words[:cut], words[cut + 1 :]
        return (
            len(got) >= len(head) + len(tail)
            and _same(" ".join(head), " ".join(got[: len(head)]))
            and _same(" ".join(tail), " ".join(got[len(got) - len(tail) :]))
        )
    if len(words) != len(got):
        return False
    for want, have in zip(words, got):
        if want == have:
            continue
        w, h = NUMBER.fullmatch(want.strip(",;")), NUMBER.fullmatch(have.strip(",;"))
        if not (
            w
            and h
            and want[len(w.group(0).strip(",;")) :] == have[len(h.group(0).strip(",;")) :]
            and float(w.group(0)) == pytest.approx(float(h.group(0)), rel=1e-9, abs=1e-12)
        ):
            return False
    return True


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


def test_same_accepts_rounding_and_rejects_a_changed_word():
    assert _same("0.2 -0.3 0.1", "0.2 -0.30000000000000004 0.1")
    assert _same("loss 0.01", "loss 0.0100") and _same(
        "loss 0.0005, ... 100/100", "loss 0.0005, training accuracy 100/100"
    )
    assert not _same("0.2 -0.3", "0.2 -0.31") and not _same("layer 1 dead", "layer 1 alive")
    assert not _same("0.2", "0.2 0.3")


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs_and_prints_what_it_claims(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    printed: dict[int, list[str]] = {}  # line of the print call -> the lines it printed

    def recording_print(*args, **kwargs):
        text = io.StringIO()
        builtins.print(*args, **{**kwargs, "file": text})
        printed.setdefault(sys._getframe(1).f_lineno, []).extend(text.getvalue().splitlines())

    exec(compile(code, "README.md", "exec"), {"print": recording_print})
    for number, line in enumerate(code.splitlines(), 1):
        claim = re.search(r"print\(.*\)\s*# (.*)$", line)
        if claim:
            assert number in printed, f"README line {line!r} printed nothing"
            assert _same(claim.group(1), printed[number][0]), (
                f"README says {claim.group(1)!r} but the code printed {printed[number][0]!r}"
            )


@pytest.mark.parametrize("code", GUIDE_BLOCKS, ids=[f"guide{i}" for i in range(len(GUIDE_BLOCKS))])
def test_getting_started_block_runs_and_prints_what_it_claims(code, tmp_path, monkeypatch):
    assert GUIDE_BLOCKS
    test_readme_block_runs_and_prints_what_it_claims(code, tmp_path, monkeypatch)
