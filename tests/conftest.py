import pathlib
import sys

import pytest

# optable.py and browser.py are plain modules beside the tests, shared by several test files.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

from browser import ARGS, CHROMIUM, require_chromium  # noqa: E402  (found through the path set just above)


@pytest.fixture(scope="module")
def browser():
    """The Debian Chromium driven by playwright: skipped where either is missing, failed in CI."""
    require_chromium()
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
