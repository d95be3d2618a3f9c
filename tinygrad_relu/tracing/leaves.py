"""The leaves ``trace`` makes for the data: the data enter the traced function as nodes, so that everything
computed from them is in the graph, and a number that leaves the graph on the way is refused by name.

A data argument becomes ``DataValue`` leaves (the scalar engine: a list, or an object array, of the same shape)
or one ``DataTensor`` (the Tensor engine). Their numbers are the real ones, so the function runs as it would;
but code outside the package that reads one as a number (``float(x)``, ``x > 0``, ``x.data``, ``np.asarray(X)``)
gets a ``TraceError`` naming its line, as ``jax.jit`` refuses a concrete value of a tracer: the program could
not replay a Python decision or a number taken out of the graph.
"""

from __future__ import annotations

import linecache
import sys
from typing import Any, NoReturn

import numpy as np

from ..engine import Value
from ..tensor import Tensor
from ..tensor.node import leaf

_PACKAGE = __name__.split(".")[0] + "."


class TraceError(RuntimeError):
    """What ``trace`` and a traced program raise when they cannot replay the eager engine exactly."""


def user_line() -> str:
    """Where the user's code is: the innermost frame outside this package, as 'file, line n: its text'."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "inside tinygrad_relu"
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}, line {frame.f_lineno}" + (f": {text}" if text else "")


def _outside(what: str, node: Any) -> NoReturn:
    whose = "the data" if isinstance(node, (DataValue, DataTensor)) else "a node computed"
    raise TraceError(
        f"{what} of {whose} while tracing ({user_line()}): a traced program replays the graph, and this number "
        "leaves it (a Python decision, or a number taken out of a node). Compute with the nodes' ops instead, or "
        "close over the data (it is then fixed at trace time)"
    )


def _guarded(slot: Any, base: type) -> Any:
    """A stand-in's ``data``: what ``slot`` holds, for the engine's ops; user code reading it is refused."""

    def get(self: Any) -> Any:
        if not sys._getframe(1).f_globals.get("__name__", "").startswith(_PACKAGE):  # read by the caller's code
            _outside("reading .data", self)
        return slot.__get__(self, base)

    return property(get, slot.__set__, doc="The number(s), for the engine's ops; refused to user code.")


class _Refusals:
    """What both engines' stand-ins refuse: the ways a number leaves a node."""

    __slots__ = ()

    def __float__(self) -> float:
        _outside("float()", self)

    def __bool__(self) -> bool:
        _outside("the truth", self)

    def detach(self) -> Any:
        """Refused while tracing: the new leaf's numbers would be fixed in the program."""
        _outside("detach()", self)


class TracedValue(_Refusals, Value):
    """A node while ``trace`` records: the ops make every node of this class then (``made_by_ops``), so that
    user code may compute with one but not take its number out of the graph."""

    __slots__ = ()
    data = _guarded(vars(Value)["data"], Value)

    def __index__(self) -> int:
        _outside("an index", self)

    def _compared(self, other: Any) -> bool:
        _outside("a comparison", self)

    __lt__ = __le__ = __gt__ = __ge__ = _compared


class DataValue(TracedValue):
    """One element of a data argument while tracing: a leaf that user code may compute with, not read."""

    __slots__ = ("where",)
    where: tuple[int, tuple[int, ...]]  # (which data argument, the element's index in it)


class TracedTensor(_Refusals, Tensor):
    """A Tensor node while ``trace`` records (see ``TracedValue``)."""

    __slots__ = ()
    _stand_in = True
    data = _guarded(vars(Tensor)["data"], Tensor)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        _outside("np.asarray()", self)

    def item(self) -> float:
        """Refused while tracing."""
        _outside("item()", self)

    def numpy(self) -> np.ndarray:
        """Refused while tracing."""
        _outside("numpy()", self)

    @property
    def _taken_as_is(self) -> bool:  # type: ignore[override]
        """What ``Tensor(t)`` asks first: for a node computed while tracing it would copy the numbers into a new
        leaf, fixed in the program, so asking is refused."""
        _outside("Tensor()", self)


class DataTensor(TracedTensor):
    """A data argument while tracing: a Tensor leaf that records every op applied to it (it asks for a gradient,
    which the program never computes) and that ``Tensor(x)`` hands back as it is."""

    __slots__ = ("where",)
    where: tuple[int, tuple[int, ...]]  # (which data argument, () for all of it)
    _taken_as_is = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Nothing: ``Tensor(x)`` of a data leaf is the leaf itself (``leaf`` makes them)."""


def data_leaves(x: Any, k: int, tensor: bool) -> tuple[Any, list[Any]]:
    """Data argument number ``k`` as the traced function gets it, and its leaves. For the Tensor engine one
    DataTensor; for the scalar engine DataValues in the argument's own structure (an array of them for an
    array, nested lists for a list), each knowing its place."""
    array = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    if tensor:
        t = leaf(DataTensor, array.copy())
        assert isinstance(t, DataTensor)
        t.requires_grad, t.where = True, (k, ())
        return t, [t]
    made: list[Any] = []

    def element(index: tuple[int, ...]) -> DataValue:
        v = DataValue(float(array[index]))
        v.where = (k, index)
        made.append(v)
        return v

    if isinstance(x, (np.ndarray, Tensor)):
        objects = np.empty(array.shape, dtype=object)
        for index in np.ndindex(array.shape):
            objects[index] = element(index)
        return objects, made

    def nested(index: tuple[int, ...], item: Any) -> Any:
        if isinstance(item, (list, tuple)):
            return type(item)(nested((*index, i), v) for i, v in enumerate(item))
        return element(index)

    return nested((), x), made
