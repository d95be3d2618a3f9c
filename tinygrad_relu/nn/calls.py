"""Which module call returned a node: noted beside the graph, for the drawings, never on the node itself.

Every module call runs the hooks registered with ``register_module_forward_hook``; the one here notes, for each
node a call returns, that call: the module, its arguments, and the outermost module that handed the node on
(the calls return from the inside out, so the innermost call notes the node first and the outer ones only widen
``outermost``). The notes are kept by the node's id with a weak reference to it: a note goes the moment its
node is freed, so a note keeps no graph alive, and the node carries nothing but its own numbers.
"""

from __future__ import annotations

import weakref
from functools import partial
from typing import Any

from .module import Module, RemovableHandle, register_module_forward_hook


class ModuleCall:
    """A module call that returned a node: the module, the call's arguments, and the outermost module whose call
    returned the node (the whole model, once its call returns)."""

    __slots__ = ("module", "inputs", "outermost")

    def __init__(self, module: Module, inputs: tuple[Any, ...]) -> None:
        self.module, self.inputs, self.outermost = module, inputs, module


# id(node) -> (a weak reference to the node, its call). Keyed by id, not by the node itself: a Tensor's == compares
# numbers. The weak reference's callback, _notes.pop(id, the dead reference), drops the note when the node is freed.
_notes: dict[int, tuple[weakref.ref[Any], ModuleCall]] = {}


def module_call(node: Any) -> ModuleCall | None:
    """The innermost module call that returned ``node``, or None (a leaf, or a node no module call returned)."""
    note = _notes.get(id(node))
    return None if note is None else note[1]


def _note_outputs(module: Module, args: tuple[Any, ...], out: Any) -> None:
    """The forward hook: note the call on each node it returned (one, or a list or tuple of them) that has a graph,
    unless an inner call noted it already (then the call only becomes its outermost)."""
    call = None  # made at the first node no inner call noted
    for node in out if isinstance(out, (list, tuple)) else (out,):
        if not getattr(node, "_prev", None):
            continue
        key = id(node)
        note = _notes.get(key)
        if note is not None:
            note[1].outermost = module
            continue
        if call is None:
            call, handed_back = ModuleCall(module, args), _ids(args)
        if key not in handed_back:  # an argument returned as it is: its note would name it, and keep it alive
            _notes[key] = (weakref.ref(node, partial(_notes.pop, key)), call)


def _ids(args: tuple[Any, ...]) -> set[int]:
    """The ids of ``args`` and of the items of the lists and tuples among them."""
    return {id(x) for arg in args for x in (arg if isinstance(arg, (list, tuple)) else (arg,))}


_noting: list[RemovableHandle] = []  # the hook, once something asked for the notes


def note_module_calls() -> None:
    """Start noting which module call returns each node, from now on, in every thread. What reads the notes asks for
    them (the drawings when they load, ``RectifierWatch``), so that a plain training step pays nothing for them."""
    if not _noting:
        _noting.append(register_module_forward_hook(_note_outputs))
