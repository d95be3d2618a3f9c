import os
import pathlib
import sys

import pytest

# optable.py and browser.py are plain modules beside the tests, shared by several test files.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

from browser import ARGS, CHROMIUM  # noqa: E402  (found through the path set just above)


@pytest.fixture(scope="module")
def browser():
    """The Debian Chromium driven by playwright; the test is skipped where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs the Debian chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
