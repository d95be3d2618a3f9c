"""The package's shape: imports point one way, without cycles, and the scalar path stays light."""

import ast
import pathlib
import re
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).parent.parent / "tinygrad_relu"


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its body (functions included), except
    under ``if TYPE_CHECKING:``, which only the type checker runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    skip = {
        id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node) for n in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from . import graph` names a module; `from .value import Value` does not
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _reach(start: str) -> set[str]:
    seen, stack = set(), list(GRAPH[start])
    while stack:
        m = stack.pop()
        if m not in seen:
            seen.add(m)
            stack.extend(GRAPH[m])
    return seen


def test_the_import_graph_is_read_right():
    assert "tinygrad_relu.engine.graph" in GRAPH["tinygrad_relu.engine.value"]
    assert "tinygrad_relu.tensor.arithmetic" in GRAPH["tinygrad_relu.tensor.tensor"]
    assert "tinygrad_relu.tensor.tensor" not in GRAPH["tinygrad_relu.tensor.arithmetic"]  # TYPE_CHECKING only
    assert "tinygrad_relu.viz" in GRAPH["tinygrad_relu.run"]  # a function-level import counts


def test_no_module_imports_one_that_imports_it_back():
    cycles = sorted(m for m in GRAPH if m in _reach(m))
    assert not cycles, f"import cycles through {cycles}"


def test_the_scalar_core_knows_nothing_of_tensors_or_what_is_built_on_it():
    for core in [m for m in MODULES if m.startswith("tinygrad_relu.engine")] + ["tinygrad_relu.checks"]:
        above = {m for m in _reach(core) if not m.startswith(("tinygrad_relu.engine", "tinygrad_relu.checks"))}
        assert not above, f"{core} imports {above}"


def test_the_engines_import_neither_drawing_nor_checking_nor_layers():
    for engine in ("tinygrad_relu.engine.value", "tinygrad_relu.tensor.tensor"):
        reached = _reach(engine)
        assert not {
            m
            for m in reached
            if m.startswith(
                ("tinygrad_relu.viz", "tinygrad_relu.gradcheck", "tinygrad_relu.nn", "tinygrad_relu.losses")
            )
        }, engine
    assert "tinygrad_relu.engine.value" not in _reach("tinygrad_relu.tensor.tensor")


def test_only_the_layers_above_see_both_engines():
    both = {m for m in GRAPH if {"tinygrad_relu.engine.value", "tinygrad_relu.tensor"} <= _reach(m) | GRAPH[m]}
    allowed = (
        "tinygrad_relu.autodiff",  # grad runs both engines' closures on nodes
        "tinygrad_relu.gradcheck",  # gradgradcheck differentiates through grad
        "tinygrad_relu.nn",
        "tinygrad_relu.losses",
        "tinygrad_relu.train",
        "tinygrad_relu.tracing",
        "tinygrad_relu.plot",
        "tinygrad_relu.viz",
        "tinygrad_relu.run",
        "tinygrad_relu.exercises",
        "tinygrad_relu.cli",
        "tinygrad_relu.__main__",
    )
    assert {m for m in both if m != "tinygrad_relu" and not m.startswith(allowed)} == set()


def test_importing_the_package_and_using_value_loads_no_graphviz_or_matplotlib():
    code = (
        "import sys, tinygrad_relu as t; t.Value(2.0).exp().backward(); "
        "print(sorted(m for m in ('graphviz', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    code = "import sys, tinygrad_relu as t; t.draw_graph(t.Value(1.0)); print('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


def test_an_op_is_said_once_nothing_recovers_a_parameter_from_a_closure_or_a_name():
    """The op's parameters are on its node: no code reads a closure's cells, and no op name is taken apart. The one
    reader of a code object's constants looks for the comprehensions inside a closure, to rebind their names."""
    engine = PACKAGE / "engine"
    assert not any("code_rule" in f.read_text() or "RULES" in f.read_text() for f in engine.glob("*.py"))
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "cell_contents" not in text, path
        assert not re.search(r"_op\s*(\.split|\.startswith|\[)", text), path
        assert "co_consts" not in text or path.name == "rebinding.py", path
