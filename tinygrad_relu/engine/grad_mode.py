"""Grad mode: whether ops record a graph. On, unless this thread is inside ``no_grad()`` (as in PyTorch).

A context variable holds it: each thread (and each asyncio task) sees its own, and a new thread starts on.

Both engines read it (``grad_enabled.get()``) when they build an op's node, and an optimizer's update
``p -= lr * p.grad`` runs under ``no_grad()`` so that it changes the parameter instead of growing the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: True unless this thread is inside ``no_grad()``; the ops read it, ``is_grad_enabled()`` says it
grad_enabled: ContextVar[bool] = ContextVar("grad_enabled", default=True)


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return grad_enabled.get()


@contextmanager
def no_grad() -> Iterator[None]:
    """Context in which ops compute values but record no graph (like ``torch.no_grad()``), in this thread."""
    token = grad_enabled.set(False)
    try:
        yield
    finally:
        grad_enabled.reset(token)


def in_place(op: Callable[[Any, Any], Any], check: Callable[[Any], None] | None = None) -> Callable[[Any, Any], Any]:
    """The augmented assignment ``a op= b`` (``+=``, ``-=``, ``*=``, ``/=``) of a node class, made from ``op``.

    Under ``no_grad()`` it writes the result into ``a``'s own data and returns ``a``, so the update
    ``p -= lr * p.grad`` changes the parameter itself, as in PyTorch. Otherwise it records ``a op b`` as a
    new node, as ``a = a op b`` would (micrograd's ``total += term`` builds the graph), after ``check(a)``,
    which may refuse (a Tensor leaf that requires a gradient, PyTorch's rule).
    """

    def method(self: Any, other: Any) -> Any:
        if is_grad_enabled():
            if check is not None:
                check(self)
            return op(self, other)
        result = op(self, other)
        if result is NotImplemented:
            return result
        if type(self.data) is float:
            self.data = result.data
        else:  # write into the array itself: whoever holds it (an optimizer, .numpy()) sees the update
            self.data[...] = result.data
        return self

    method.__doc__ = f"In-place {op.__name__} under no_grad(); the recorded op otherwise (see grad_mode.in_place)."
    return method
