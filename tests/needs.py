"""What some tests need beyond the ``test`` extra, and what happens without it: on a developer's machine the test
is skipped with the reason and the install that brings it; in CI (CI=true) it fails with the same reason, since
CI installs everything and a skip there would hide a test that never ran."""

import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    """True when the CI environment variable says so (CI=true, as .ci/run is run)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip the calling test (or the whole module, when called at module level); fail instead under CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing dependency fails instead of skipping)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_torch() -> ModuleType:
    """torch, for the PyTorch-parity tests; it is in its own extra (``parity``), not in ``test``."""
    try:
        import torch
    except ImportError:
        skip_or_fail("a PyTorch-parity test: torch is not installed (pip install -e '.[parity]')")
    return torch
