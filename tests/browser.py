"""The system Chromium that the browser tests drive through playwright, and what to do when it is missing:
skip with the reason on a developer's machine, fail with the same reason in CI (CI=true), where a silent skip
would hide that the page tests never ran."""

import importlib.util
import os

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's package; playwright's own browser download is not used
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing: pip install -e '.[test]'"
    if not os.path.exists(CHROMIUM):
        return f"the browser tests need the Debian chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    return None


def require_chromium() -> None:
    """Call at module level in a browser test file: skips it locally, fails it in CI, naming what is missing."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: a missing browser fails instead of skipping)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)
