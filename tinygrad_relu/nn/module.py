"""Module: the base of every model, for Values and Tensors alike, with PyTorch's ways to walk it.

A module's children are the modules among its attributes (or in a list or tuple attribute); its own
parameters are the leaf nodes among them that want a gradient (a ``Value`` leaf, a ``Tensor`` with
``requires_grad=True``, or a list or tuple of them). Names follow the attributes: ``layers.0.neurons.3.w.1``.
Attributes whose name starts with ``_`` are private and not walked.

Every module call goes through ``Module.__call__``: it runs ``forward``, then the module's forward hooks
(``register_forward_hook``) and the ones every module runs (``register_module_forward_hook``), as in PyTorch.
Saving and loading are in ``serialize.py``; which call returned a node, for the drawings, in ``calls.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..engine import Value
from ..tensor import Tensor
from . import serialize

Parameter = Value | Tensor
#: ``hook(module, args, output)``: what it returns, if not None, replaces the output
ForwardHook = Callable[["Module", tuple[Any, ...], Any], Any]


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``handle.remove()`` takes the hook off (also as ``with handle:``)."""

    def __init__(self, hooks: dict[int, ForwardHook], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        """Take the hook off its module (again: nothing)."""
        self._hooks.pop(self._key, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


_hook_keys = iter(range(1, 2**63))  # next() on it is atomic: one key per hook, across threads
#: the hooks every module call runs, after the module's own (``register_module_forward_hook``)
_global_forward_hooks: dict[int, ForwardHook] = {}


def register_module_forward_hook(hook: ForwardHook) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after every module's call, after the module's own forward hooks
    (PyTorch's global forward hook, which PyTorch runs before them: here it sees what the call returns)."""
    key = next(_hook_keys)
    _global_forward_hooks[key] = hook
    return RemovableHandle(_global_forward_hooks, key)


def _is_parameter(x: object) -> bool:
    """A leaf node that wants a gradient: a Value leaf, or a Tensor leaf with ``requires_grad``."""
    if isinstance(x, Value):
        return not x._prev
    return isinstance(x, Tensor) and x.requires_grad and not x._prev


def _numbers(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array for ``load_state_dict``, or a TypeError naming ``name``: numbers only, as
    PyTorch refuses anything but a tensor (None would become nan, the string '2.5' a number)."""
    if isinstance(value, (Value, Tensor)):
        value = value.data
    elif hasattr(value, "detach"):  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    array = None if value is None or isinstance(value, (str, bytes)) else np.asarray(value)
    if array is None or array.dtype.kind not in "biuf":  # bool, ints, floats: not objects, strings or complex
        raise TypeError(
            f"load_state_dict: {name!r} must be a number or an array of numbers, got {type(value).__name__} {value!r}"
        )
    return array.astype(np.float64)


class Module:
    """A callable holding parameters and child modules: subclasses define ``forward``."""

    #: True for an activation layer: a drawing puts it in one box with the layer whose output it reads
    joins_previous = False

    def _public(self) -> Iterator[tuple[str, int | None, Any]]:
        """(attribute name, index, value) for each public attribute, in order; a list or tuple attribute gives
        its items one by one with their index (None for a plain attribute)."""
        for name, value in vars(self).items():
            if name[0] == "_":
                continue
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    yield name, i, item
            else:
                yield name, None, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child, in attribute order; a list attribute's items are ``name.i``."""
        for name, i, value in self._public():
            if isinstance(value, Module):
                yield (name if i is None else f"{name}.{i}"), value

    def children(self) -> Iterator[Module]:
        """Each direct child module."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module (name ``prefix``, "" at the top) and every module below it, each once,
        depth first with the children in order (iteratively: no recursion limit)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [
                (f"{name}.{child_name}" if name else child_name, child) for child_name, child in module.named_children()
            ]
            stack.extend(reversed(below))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, each once."""
        for _, module in self.named_modules():
            yield module

    def _own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) for the parameters held by this module's own attributes."""
        for name, i, value in self._public():
            if _is_parameter(value):
                yield (name if i is None else f"{name}.{i}"), value

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) for every parameter of this module and the modules below it, each once
        (a parameter shared by two modules is listed under its first name), as PyTorch orders them."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> list[Any]:
        """Every trainable node (Value or Tensor) of this module and the modules below it, each once, in
        ``named_parameters()`` order; without building the names, which a training step does not need."""
        found: dict[int, Any] = {}
        for module in self.modules():
            for _, _, value in module._public():
                if _is_parameter(value):
                    found.setdefault(id(value), value)
        return list(found.values())

    def _state_items(self) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) for every path to a parameter: a module or a parameter reached two ways is listed under
        each name, as PyTorch's ``state_dict`` lists a tied layer (a module inside itself is not entered again)."""
        stack: list[tuple[str, Module, frozenset[int]]] = [("", self, frozenset())]
        while stack:
            prefix, module, above = stack.pop()
            inside = above | {id(module)}
            for name, p in module._own_parameters():
                yield (f"{prefix}.{name}" if prefix else name), p
            below = [
                (f"{prefix}.{name}" if prefix else name, child, inside)
                for name, child in module.named_children()
                if id(child) not in inside
            ]
            stack.extend(reversed(below))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Each parameter's numbers by name, as PyTorch names and orders them: copies, so training on does not
        change them. A shared module appears under each of its names (``0.weight`` and ``2.weight``), so
        ``torch_model.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})`` takes them."""
        return {name: np.array(p.data, dtype=np.float64) for name, p in self._state_items()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy numbers into the parameters by name (numpy arrays, numbers, lists of numbers, Tensors, Values or
        PyTorch tensors). With ``strict``, a missing or an extra name is an error; a wrong shape and anything but
        numbers (None, a string) always are. Nothing is changed when it fails."""
        own = dict(self._state_items())
        missing, extra = [k for k in own if k not in state], [k for k in state if k not in own]
        if strict and (missing or extra):
            raise KeyError(
                f"load_state_dict: missing {missing or 'none'}, unexpected {extra or 'none'} "
                f"(this {type(self).__name__} has {list(own)})"
            )
        arrays = {}
        for name, value in state.items():
            if name in own:
                array = _numbers(value, name)
                if array.shape != np.shape(own[name].data):
                    raise ValueError(
                        f"load_state_dict: {name!r} has shape {array.shape}, but the parameter has shape "
                        f"{np.shape(own[name].data)}"
                    )
                arrays[name] = array
        for name, array in arrays.items():
            p = own[name]
            if isinstance(p, Value):
                p.data = float(array)
            else:
                p.data[...] = array  # in place: an optimizer's references stay valid

    def save(self, file: serialize.File) -> None:
        """Write ``state_dict()`` to ``file`` (a path or a binary file object) as a numpy ``.npz`` archive, a path
        whole or not at all (``serialize.save``)."""
        serialize.save(self, file)

    def load(self, file: serialize.File, strict: bool = True) -> None:
        """Read parameters written by ``save`` (``serialize.load``)."""
        serialize.load(self, file, strict)

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter (0.0 for a Value, None for a Tensor, as PyTorch)."""
        for p in self.parameters():
            p.zero_grad()

    def forward(self, *args: Any) -> Any:
        """Compute the module's output."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def register_forward_hook(self, hook: ForwardHook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each call of this module (PyTorch's forward hook): it sees
        the call's arguments and output, and what it returns, if not None, replaces the output."""
        hooks: dict[int, ForwardHook] = vars(self).setdefault("_forward_hooks", {})
        key = next(_hook_keys)
        hooks[key] = hook
        return RemovableHandle(hooks, key)

    def __getstate__(self) -> dict[str, Any]:
        """What copy and pickle keep: the attributes, without the forward hooks (they watch this very module)."""
        state = dict(vars(self))
        state.pop("_forward_hooks", None)
        return state

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward(*args, **kwargs)``, then this module's forward hooks and every module's."""
        out = self.forward(*args, **kwargs)
        own = self.__dict__.get("_forward_hooks", {})
        for hook in [*own.values(), *_global_forward_hooks.values()]:  # a list: a hook may remove itself
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out
