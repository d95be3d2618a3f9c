"""The README's Python examples run as written, and the outputs they show in comments are the real ones."""

import contextlib
import io
import pathlib
import re

import pytest

README = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    # A comment after print(...) states what it prints, up to the first ": " (the rest explains it):
    # every word of that claim must be in the output, numbers to within rounding.
    output = printed.getvalue()
    printed_numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", output)]
    for claim in re.findall(r"^print\(.*?\)\s*# (.*)$", code, flags=re.M):
        for word in claim.split(": ")[0].split():
            word = word.strip(",;")
            if word in ("", "..."):  # an ellipsis stands for what the comment leaves out
                continue
            try:
                number = float(word)
            except ValueError:
                assert word in output, f"README says {claim!r} but the code printed {output!r}"
                continue
            assert any(abs(number - n) < 1e-9 for n in printed_numbers), \
                f"README says {claim!r} but the code printed {output!r}"
