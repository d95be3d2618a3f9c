"""The heavy tools are in extras of their own (``parity``, ``plot``, ``course``, ``browser``, ``docs``), not in
``test``: without one, the tests that need it skip on a developer's machine, naming the extra to install, and
fail in CI, which installs them all. ``needs.EXTRAS`` is the one table of them; these tests keep it, pyproject.toml,
.ci/run and the test files agreeing."""

import pathlib
import re
import sys

import needs
import pytest

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent


def optional_dependencies() -> dict[str, list[str]]:
    """pyproject.toml's extras: name -> the distribution names it lists (versions and markers dropped)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = {}
    for name, body in re.findall(r"^(\w+) = \[(.*?)\][ \t]*(?:#[^\n]*)?$", section, re.M | re.S):
        requirements = re.findall(r'"([^"]+)"', body)
        extras[name] = [re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements]
    return extras


def top(module: str) -> str:
    return module.split(".")[0]


@pytest.fixture
def hide(monkeypatch):
    """hide(extra): make every module of the extra look uninstalled (find_spec and import both see None)."""

    def hide_extra(extra):
        for module in needs.EXTRAS[extra]:
            monkeypatch.setitem(sys.modules, module, None)

    return hide_extra


@pytest.mark.parametrize("extra", sorted(needs.EXTRAS))
def test_a_missing_extra_skips_locally_naming_it(extra, hide, monkeypatch):
    hide(extra)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=rf"the thing: .* not installed \(pip install -e '\.\[{extra}\]'\)"):
        needs.require(extra, "the thing")


@pytest.mark.parametrize("extra", sorted(needs.EXTRAS))
def test_a_missing_extra_fails_in_ci(extra, hide, monkeypatch):
    hide(extra)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=rf"'\.\[{extra}\]'.*CI=true"):
        needs.require(extra, "the thing")


def test_missing_torch_skips_the_parity_tests_naming_the_parity_extra(hide, monkeypatch):
    hide("parity")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"PyTorch-parity test: torch is not installed.*\.\[parity\]"):
        needs.require_torch()


def test_test_extra_holds_none_of_the_heavy_ones():
    """``[test]`` is what every contributor installs: the packages of the other extras stay out of it."""
    extras = optional_dependencies()
    heavy = {package for extra in needs.EXTRAS for package in extras[extra]}
    assert not heavy & set(extras["test"]), heavy & set(extras["test"])


def test_every_extra_the_tests_name_is_in_pyproject_and_installed_by_ci():
    extras = optional_dependencies()
    assert set(needs.EXTRAS) <= set(extras), set(needs.EXTRAS) - set(extras)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    installed = re.search(r'pip install .*-e "\.\[([\w,]+)\]"', ci).group(1).split(",")
    assert {"test", *needs.EXTRAS} <= set(installed), {"test", *needs.EXTRAS} - set(installed)


def test_a_test_importing_an_extras_module_asks_for_the_extra_first():
    """A bare import would break a ``[test]``-only run; an importorskip would skip silently in CI."""
    asks = {}  # top-level module -> what in a file shows it asked for an extra bringing it
    for extra, modules in needs.EXTRAS.items():
        for module in modules:
            asks.setdefault(top(module), []).append(f'require("{extra}"')
    asks["playwright"].append("require_chromium()")
    asks["torch"].append("require_torch()")
    offenders = []
    for path in sorted(HERE.glob("*.py")):
        if path.name in ("needs.py", pathlib.Path(__file__).name):
            continue
        text = path.read_text(encoding="utf-8")
        for module, ways in asks.items():
            if f'importorskip("{module}' in text:
                offenders.append(f"{path.name}: importorskip({module!r})")
            imported = re.search(rf"^\s*(?:import|from) {module}\b", text, re.M)
            if imported and not any(way in text for way in ways):
                offenders.append(f"{path.name}: imports {module} without {' or '.join(ways)}")
    assert offenders == []
