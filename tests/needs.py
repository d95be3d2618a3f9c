"""What some tests need beyond the ``test`` extra, and what happens without it: on a developer's machine the test
is skipped with the reason and the extra that brings it; in CI (CI=true) it fails with the same reason, since
CI installs every extra and a skip there would hide a test that never ran.

``EXTRAS`` is the one table of them: each optional extra of pyproject.toml the tests use, with the modules whose
absence means it is not installed. A test asks for one with ``require(extra, what)``.
"""

import importlib.util
import os
from types import ModuleType

import pytest

# extra -> the importable modules it brings that the tests use (pyproject.toml lists the packages)
EXTRAS: dict[str, tuple[str, ...]] = {
    "parity": ("torch",),  # the PyTorch-parity tests
    "plot": ("matplotlib",),  # tinygrad_relu.plot and the CLI's --plot
    "course": ("nbclient", "ipykernel", "matplotlib"),  # executing the notebooks in a kernel; they plot
    "browser": ("playwright",),  # driving the Debian chromium
    "docs": ("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings_handlers.python"),  # building the site
}


def in_ci() -> bool:
    """True when the CI environment variable says so (CI=true, as .ci/run is run)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip the calling test (or the whole module, when called at module level); fail instead under CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing dependency fails instead of skipping)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def missing(extra: str, what: str) -> str | None:
    """Why ``what`` (the tests that need ``extra``) cannot run here, naming the install; None when they can."""
    absent = [module for module in EXTRAS[extra] if not _installed(module)]
    if not absent:
        return None
    verb = "is" if len(absent) == 1 else "are"
    return f"{what}: {', '.join(absent)} {verb} not installed (pip install -e '.[{extra}]')"


def require(extra: str, what: str) -> None:
    """Skip the calling test or module when ``extra`` is not installed (fail under CI=true), saying why."""
    reason = missing(extra, what)
    if reason is not None:
        skip_or_fail(reason)


def require_torch() -> ModuleType:
    """torch, for the PyTorch-parity tests; it is in its own extra (``parity``), not in ``test``."""
    require("parity", "a PyTorch-parity test")
    import torch

    return torch
