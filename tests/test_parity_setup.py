"""torch is in the ``parity`` extra, not in ``test``: without it the PyTorch-parity tests skip on a developer's
machine, naming the install, and fail in CI, which installs it."""

import sys

import needs
import pytest


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError


def test_missing_torch_skips_locally_naming_the_parity_extra(no_torch, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"\.\[parity\]"):
        needs.require_torch()


def test_missing_torch_fails_in_ci(no_torch, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"torch is not installed.*CI=true"):
        needs.require_torch()


def test_every_test_that_imports_torch_goes_through_require_torch():
    """A bare ``import torch`` or an importorskip of it would break ``[test]`` alone or skip silently in CI."""
    import pathlib

    here = pathlib.Path(__file__).parent
    offenders = [
        p.name
        for p in here.glob("*.py")
        if p.name not in ("needs.py", pathlib.Path(__file__).name)
        and any(s in p.read_text(encoding="utf-8") for s in ("import torch", 'importorskip("torch"'))
    ]
    assert offenders == []
