"""A missing Chromium skips the browser tests on a developer's machine but fails them in CI, naming the package."""

import browser
import needs
import pytest


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.setitem(needs.EXTRAS, "browser", ())  # as if playwright were installed: only the browser is missing
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")


def test_missing_chromium_fails_in_ci_with_the_package_name(no_chromium, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        browser.require_chromium()


def test_missing_chromium_skips_locally_with_the_package_name(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser.require_chromium()


def test_present_chromium_neither_skips_nor_fails(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setattr(browser, "CHROMIUM", str(fake))
    monkeypatch.setenv("CI", "true")
    if browser.missing() is None:  # playwright installed, as in CI
        browser.require_chromium()
