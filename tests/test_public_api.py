"""Every public name has a docstring and type hints, and the package exports what the README uses."""

import importlib
import inspect
import pkgutil

import pytest

import tinygrad_relu

MODULES = [
    importlib.import_module(m.name)
    for m in pkgutil.walk_packages(tinygrad_relu.__path__, "tinygrad_relu.")
    if not m.name.endswith("__main__")
]


def public_callables():
    for module in MODULES:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        yield f"{module.__name__}.{name}.{attr}", member


CALLABLES = dict(public_callables())


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_has_a_docstring(name):
    assert (CALLABLES[name].__doc__ or "").strip(), f"{name} has no docstring"


@pytest.mark.parametrize("name", sorted(n for n, o in CALLABLES.items() if inspect.isfunction(o)))
def test_has_type_hints(name):
    fn = CALLABLES[name]
    signature = inspect.signature(fn)
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls")
        and p.annotation is inspect.Parameter.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name} has no return type hint"


def test_top_level_names():
    for name in ("Value", "Tensor", "no_grad", "gradcheck", "check_derivative", "draw_graph", "backward_frames"):
        assert hasattr(tinygrad_relu, name), name
