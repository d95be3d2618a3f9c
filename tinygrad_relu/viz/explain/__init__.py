"""Why each op's local derivative has the value it has, in one table keyed by op: the explorer's details pane
and captions, and every drawing's op label, read it.

A row says an op three ways, each a function of its node (the op's parameters come from ``node._arg``: a Value
op holds its one parameter as it is, a Tensor op a dict): ``scalar(d)`` and ``tensor(d)`` give the reason for
d(out)/d(parent) (``leaky_relu: input -5 <= 0, slope alpha = 0.1``; for a Tensor the vector-Jacobian product
its closure computes, with the shapes), ``caption(c)`` what the closure did, in the names on the screen. An
op without a row, or a row without the way asked for, gets a sentence starting with ``GENERIC``.

By concept: ``table.py`` the one table and the three ways to read it, ``reading.py`` what a row reads (``Local``,
``Caption``, ``Op``), and the rows' functions for ``rectifiers.py``, ``arithmetic.py`` and ``arrays.py`` (a
Tensor's ops and the losses).
"""

from .table import GENERIC, TABLE, caption, op_title, reason

__all__ = ["GENERIC", "TABLE", "caption", "op_title", "reason"]
