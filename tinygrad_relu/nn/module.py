"""Module: the base of every model, for Values and Tensors alike, with PyTorch's ways to walk it.

A module's children are the modules among its attributes (or in a list or tuple attribute); its own
parameters are the leaf nodes among them that want a gradient (a ``Value`` leaf, a ``Tensor`` with
``requires_grad=True``, or a list or tuple of them). Names follow the attributes: ``layers.0.neurons.3.w.1``.
Attributes whose name starts with ``_`` are private and not walked.

Calling a module (``module(x)``) also tags the nodes it returns with the modules being called and the
inputs it got: one attribute per returned node, set once per call, never per op. The drawings read
the tags to draw a neuron or a layer as one box (``draw_graph(loss, group="neuron")``).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, BinaryIO

import numpy as np

from ..tensor import Tensor
from ..value import Value

Parameter = Value | Tensor


class _Scope:
    """The modules being called right now, outermost first (one slot: read once per module call)."""

    __slots__ = ("path",)

    def __init__(self) -> None:
        self.path: tuple[Module, ...] = ()


scope = _Scope()


class CallTag:
    """What a module call leaves on a node it returned: the modules being called, and the call's arguments."""

    __slots__ = ("path", "inputs")

    def __init__(self, path: tuple[Module, ...], inputs: tuple) -> None:
        self.path = path
        self.inputs = inputs


def tag(out: Any, path: tuple[Module, ...], inputs: tuple) -> None:
    """Mark the node(s) a module returned as made by the modules ``path`` from ``inputs``.

    A node keeps its first tag: the innermost module that made it tags it first, and the outer modules
    are in its path already. A list whose last node is tagged is taken as made by an inner module and
    left alone (one check, not one per node). Leaves (an input handed back unchanged) are not tagged.
    A scalar ``Layer`` puts only its call path on its last output (see ``viz.groups.module_calls``).
    """
    nodes = out if type(out) is list or type(out) is tuple else (out,)
    if not nodes or scope_of(nodes[-1]) is not None:
        return
    call = CallTag(path, inputs)
    for node in nodes:
        if getattr(node, "_prev", None) and scope_of(node) is None:
            set_scope(node, call)


class _ScopedOp(str):
    """An op name that also carries ``scope``, what a module call put on the node it returned. A Value has no
    slot for the tag (8 bytes more on each of a network's thousands of nodes), so on a Value the tag rides on
    the op name, which compares and prints as the plain one; a Tensor keeps it in its ``_scope`` slot."""

    scope: Any


def scope_of(node: Any) -> Any:
    """The tag a module call put on ``node`` (a ``CallTag``, or a scalar Layer's call path), or None."""
    if type(node) is Tensor:
        pair = node._scope  # a Tensor holds the plain pair (path, inputs): see Module.__call__
        return None if pair is None else CallTag(*pair)
    return getattr(getattr(node, "_op", None), "scope", None)


def set_scope(node: Any, scope: Any) -> None:
    """Tag ``node`` with ``scope`` (see ``scope_of``)."""
    if type(node) is Tensor:
        node._scope = (scope.path, scope.inputs)
        return
    node._op = scoped_op(node._op, scope)


def scoped_op(op: str, scope: Any) -> _ScopedOp:
    """The op name ``op`` carrying ``scope``: what a Value tagged with ``scope`` has as its ``_op``."""
    tagged = _ScopedOp(op)
    tagged.scope = scope
    return tagged


def _is_parameter(x: object) -> bool:
    """A leaf node that wants a gradient."""
    if type(x) is Value or isinstance(x, Value):  # the exact type first: cheap, and the common case
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


@contextmanager
def _opened(file: str | os.PathLike[str] | BinaryIO, mode: str) -> Iterator[BinaryIO]:
    """``file`` opened in ``mode`` if it is a path (closed after), or the file object itself (left open)."""
    if isinstance(file, (str, os.PathLike)):
        with open(file, mode) as stream:
            yield stream  # type: ignore[misc]
    else:
        yield file


class Module:
    """A callable holding parameters and child modules: subclasses define ``forward``."""

    #: True for an activation layer: a drawing puts it in one box with the layer whose output it reads
    joins_previous = False
    #: True for a layer whose forward() calls no other module (Linear, the activations): a Sequential runs its
    #: forward() itself and tags the output as ``layer(x)`` would, for less than a module call costs. A subclass
    #: that defines its own forward() is taken to call modules, unless its class body says otherwise.
    calls_no_module = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in vars(cls) and "calls_no_module" not in vars(cls):
            cls.calls_no_module = False

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child, in attribute order; a list attribute's items are ``name.i``."""
        for name, value in vars(self).items():
            if name[0] == "_":
                continue
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

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
        for name, value in vars(self).items():
            if name[0] == "_":
                continue
            if _is_parameter(value):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if _is_parameter(item):
                        yield f"{name}.{i}", item

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
        """Every trainable node (Value or Tensor) of this module and the modules below it: ``named_parameters()``
        without the names, which training loops, calling it every step, need not pay for. One pass over each
        module's attributes finds both its parameters and its children (in ``named_modules()`` order)."""
        found: list[Any] = []
        seen: set[int] = set()  # parameters met
        walked: set[int] = set()  # modules met (a shared one is walked once)
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            if id(module) in walked:
                continue
            walked.add(id(module))
            children: list[Module] = []
            for name, value in vars(module).items():
                if name[0] == "_":
                    continue
                for item in value if type(value) is tuple or type(value) is list else (value,):
                    # the exact-type test first: a Neuron's weights pass it without a call
                    if type(item) is Value and not item._prev or _is_parameter(item):
                        if id(item) not in seen:
                            seen.add(id(item))
                            found.append(item)
                    elif isinstance(item, Module):
                        children.append(item)
            if type(module).named_children is not Module.named_children:  # a class that lists its own children
                children = [child for _, child in module.named_children()]
            stack.extend(reversed(children))
        return found

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

    def save(self, file: str | os.PathLike[str] | BinaryIO) -> None:
        """Write ``state_dict()`` to ``file`` (a path, written as given, or a binary file object) as a numpy ``.npz``
        archive: one ``name.npy`` member per parameter, which ``numpy.load`` reads too."""
        arrays = self.state_dict()
        with _opened(file, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
            for name, array in arrays.items():
                # written member by member: np.savez takes names as keywords, and some collide with its own
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    def load(self, file: str | os.PathLike[str] | BinaryIO, strict: bool = True) -> None:
        """Read parameters written by ``save`` (``load_state_dict`` with the file's contents)."""
        state = {}
        with _opened(file, "rb") as stream, zipfile.ZipFile(stream) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    raise ValueError(f"load: {member!r} in {file!r} is not a numpy array (.npy)")
                with archive.open(member) as data:
                    state[member[: -len(".npy")]] = np.lib.format.read_array(data, allow_pickle=False)
        self.load_state_dict(state, strict)

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter (0.0 for a Value, None for a Tensor, as PyTorch)."""
        for p in self.parameters():
            p.zero_grad()

    def forward(self, *args: Any) -> Any:
        """Compute the module's output."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __getstate__(self) -> dict:
        """What copy and pickle keep: the attributes, without the cached call path (it names the callers)."""
        state = dict(vars(self))
        state.pop("_call_path", None)
        return state

    #: (the enclosing call path, it + (self,)) from this module's last call: the path is built once, not per call
    _call_path: tuple[tuple[Module, ...], tuple[Module, ...]] | None = None

    def __call__(self, *args: Any) -> Any:
        """Run ``forward`` and tag what it returns for the drawings."""
        outer = scope.path
        cached = self._call_path  # from the last call: the same path if called from the same place
        path = cached[1] if cached is not None and cached[0] is outer else self._path_under(outer)
        scope.path = path
        try:
            out = self.forward(*args)
        finally:
            scope.path = outer
        if type(out) is Tensor:  # the common case of tag(), inline: a Tensor layer returns one node,
            if out._scope is None and out._prev:  # tagged with the plain pair, which scope_of wraps
                out._scope = (path, args)
        else:
            tag(out, path, args)
        return out

    def _path_under(self, outer: tuple[Module, ...]) -> tuple[Module, ...]:
        """The call path of this module called within ``outer``, kept for the next call."""
        path = outer + (self,)
        self._call_path = (outer, path)
        return path
