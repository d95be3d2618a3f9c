"""Finding the block a scalar graph repeats once per sample, so that the program writes it once, as a loop.

A loss over a batch built from Values (``sum(loss(model(x), y) for x, y in zip(X, Y))``) holds one copy of the
same computation per sample, each after the one before in the graph's order, each reading its sample's data and
the same parameters, and (for a running sum) the previous sample's total. A hand-written backprop writes that
block once, inside ``for`` loops over the samples; so does ``trace`` when the copies are alike node for node.

A node belongs to the last sample whose data it reads (a constant leaf to the node that first reads it); the
samples whose blocks have the same shape -- the same ops, parameters and closures, reading the same places of
their own block, of the block before, of the parameters -- form the loop, if they are contiguous in the order.
The nodes before are written as they are (the "head"), and so are the nodes after (the "tail", the mean and the
rest of the loss), which may read only the last block's nodes that the next block would have read. The first
block differs from the others when ``sum()`` made the total: it starts from 0, so that block adds ``own + 0.0``
where the others add ``total + own``; it joins the loop, which carries the 0.0 in.

A sum over the parameters (``sum(p * p for p in model.parameters())``) is a run of alike blocks too: a node that
reads no data belongs to the last parameter it reads, block k reads parameter k (in P's order), and the loop
reads ``P[k]`` and adds into its gradient ``d_P[k]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Value
from .record import Leaves

MIN_UNITS = 3  # fewer repeats are written out as they are
ZERO = np.float64(0.0).tobytes()
_ADD = getattr((Value(0.0) + Value(0.0))._backward, "__code__", None)  # the engine's a + b


@dataclass
class Loop:
    """A run of alike blocks: their places in the order, and how they read one another."""

    units: list[list[int]]  # each block's nodes (places in the order), the first block of the loop first
    first: int  # the number of units[0]: its sample, or for a loop over the parameters its parameter's P[k]
    carried: list[int]  # places inside a block that the next block reads (a running total)
    before: list[int]  # for each carried place, the node of the block before the loop that the first block reads
    start: int  # the first place of the region the loop covers
    end: int  # the last place of that region
    # a loop over the parameters: each parameter units[1] reads (its place), with its P number minus units[1]'s
    parameters: list[tuple[int, int]] = field(default_factory=list)
    # the names the writer gives: the list of each block's numbers, the carried totals, the parameters read
    saved: str = ""
    carry: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)


def _signature(
    order: list[Any],
    index: dict[int, int],
    leaves: Leaves,
    needed: list[bool],
    nodes: list[int],
    previous: list[int],
    unit_of: list[int | None],
    numbered: dict[int, int] | None,
    u: int,
    start: dict[int, tuple[str, int]] | None = None,
) -> tuple[Any, ...] | None:
    """The shape of block ``u``, or None if it reads a block other than its own and the one before. With
    ``numbered`` (a parameter's place -> its P number), a block reads its parameters counted from its own number;
    ``start`` reads a node as another's place (the 0.0 a sum starts from, as the total the next blocks carry)."""
    local = {pos: t for t, pos in enumerate(nodes)}
    prior = {pos: t for t, pos in enumerate(previous)}
    shape: list[Any] = []
    for pos in nodes:
        node = order[pos]
        if not node._prev:
            if pos in leaves.data:
                k, where = leaves.data[pos]
                shape.append(("data", k, where[1:]))
            else:
                shape.append(("const", np.float64(node.data).tobytes()))
            continue
        refs: list[tuple[str, int]] = []
        for parent in node._prev:
            j = index[id(parent)]
            if start is not None and j in start:
                refs.append(start[j])
            elif j in local:
                refs.append(("own", local[j]))
            elif j in prior:  # counted from the end: the block before the loop may hold a few more leaves
                refs.append(("before", len(previous) - prior[j]))
            elif numbered is not None and j in numbered:
                refs.append(("parameter", numbered[j] - u))
            elif unit_of[j] is None:
                refs.append(("shared", j))
            else:
                return None
        code = getattr(node._backward, "__code__", None)
        arg = None if node._arg is None else repr(node._arg)
        shape.append((node._op, arg, id(code), needed[pos], tuple(refs)))
    return tuple(shape)


def _with_constants(order: list[Any], index: dict[int, int], leaves: Leaves, unit_of: list[int | None]) -> None:
    """A constant leaf goes with the first node that reads it."""
    params = set(leaves.params)
    for pos, node in enumerate(order):
        for parent in node._prev:
            j = index[id(parent)]
            if unit_of[j] is None and j not in params and not order[j]._prev and j not in leaves.captured:
                unit_of[j] = unit_of[pos]


def find_loop(order: list[Any], index: dict[int, int], leaves: Leaves, needed: list[bool]) -> Loop | None:
    """The run of alike per-sample blocks in a scalar graph, or None when there is none worth a loop."""
    samples = {pos: where[0] for pos, (_, where) in leaves.data.items() if where}
    if not samples:
        return None
    last: list[int] = [-1] * len(order)  # the last sample each node reads
    for pos, node in enumerate(order):
        if pos in samples:
            last[pos] = samples[pos]
        elif node._prev:
            last[pos] = max(last[index[id(p)]] for p in node._prev)
    unit_of: list[int | None] = [None] * len(order)
    for pos, node in enumerate(order):
        if (node._prev or pos in samples) and last[pos] >= 0:
            unit_of[pos] = last[pos]
    _with_constants(order, index, leaves, unit_of)
    count = max(samples.values()) + 1
    return _run(order, index, leaves, needed, unit_of, count, None)


def find_parameter_loop(order: list[Any], index: dict[int, int], leaves: Leaves, needed: list[bool]) -> Loop | None:
    """The run of alike blocks that each read the next parameter, as ``sum(p * p for p in model.parameters())``
    does (block k reads P[k], and the block before's total), or None when there is none worth a loop.

    A node that reads no data belongs to the last parameter (in P's order) it reads, through its parents."""
    numbered = {pos: k for k, pos in enumerate(leaves.params)}
    last: list[int] = [-1] * len(order)  # the last parameter each node reads; -2 for a node that reads data
    for pos, node in enumerate(order):
        if pos in leaves.data:
            last[pos] = -2
        elif pos in numbered:
            last[pos] = numbered[pos]
        elif node._prev:
            reads = [last[index[id(p)]] for p in node._prev]
            last[pos] = -2 if -2 in reads else max(reads)
    unit_of: list[int | None] = [None] * len(order)
    for pos, node in enumerate(order):
        if node._prev and last[pos] >= 0:
            unit_of[pos] = last[pos]
    _with_constants(order, index, leaves, unit_of)
    return _run(order, index, leaves, needed, unit_of, len(numbered), numbered)


def _run(
    order: list[Any],
    index: dict[int, int],
    leaves: Leaves,
    needed: list[bool],
    unit_of: list[int | None],
    count: int,
    numbered: dict[int, int] | None,
) -> Loop | None:
    """The loop over the last run of alike blocks, the nodes of number u being block u, or None."""
    params = set(leaves.params)
    blocks: list[list[int]] = [[] for _ in range(count)]
    for pos, u in enumerate(unit_of):
        if u is not None:
            blocks[u].append(pos)
    count = max((u + 1 for u, b in enumerate(blocks) if b), default=0)  # after the last block, none
    low = count  # the blocks from the last empty one on
    while low > 0 and blocks[low - 1]:
        low -= 1
    if count - low < MIN_UNITS + 1 or (numbered is None and (low > 0 or count < len(blocks))):
        return None
    size = len(blocks[count - 2])
    blocks[count - 1] = blocks[count - 1][:size]  # the rest of the last block's nodes is the tail

    def shape_of(u: int) -> tuple[Any, ...] | None:
        previous = blocks[u - 1] if u else []
        return _signature(order, index, leaves, needed, blocks[u], previous, unit_of, numbered, u)

    shape = shape_of(count - 2)
    end_unit = count - 1 if shape_of(count - 1) == shape else count - 2
    first = end_unit
    while first > low and shape_of(first - 1) == shape:  # back from the end, while the blocks are alike
        first -= 1
    if shape is None or end_unit - first + 1 < MIN_UNITS:
        return None
    units = blocks[first : end_unit + 1]
    start, end = units[0][0], units[-1][-1]
    inside = {pos for unit in units for pos in unit}
    if any(pos not in inside and pos not in params for pos in range(start, end + 1)):
        return None  # something else sits between the blocks: they are not one after the other
    for a, b in zip(units, units[1:]):
        if a[-1] > b[0]:
            return None
    size = len(shape)
    back = sorted({d for item in shape if len(item) == 5 for kind, d in item[4] if kind == "before"})
    carried = [size - d for d in back][::-1]
    for t, item in enumerate(shape):  # a block reads the one before's place u before it writes its own u
        if len(item) == 5 and any(kind == "before" and size - d < t for kind, d in item[4]):
            return None
    if carried and (first == 0 or max(back) > len(blocks[first - 1])):
        return None
    last_carried = {units[-1][t] for t in carried}
    for pos in range(end + 1, len(order)):  # the tail reads only what a next block would have read
        if any(index[id(p)] in inside and index[id(p)] not in last_carried for p in order[pos]._prev):
            return None
    previous = blocks[first - 1] if first else []
    before = [previous[len(previous) - (size - t)] for t in carried]
    if first == low + 1 and len(carried) == 1:
        carry = ("before", size - carried[0])
        zero = _sum_start(order, index, leaves, needed, blocks, low, shape, carry, unit_of, numbered)
        between = range(blocks[low][0], start)  # nothing but the first block and parameters before the second
        if zero is not None and all(pos in params or unit_of[pos] == low for pos in between):
            first, before = low, [zero]  # the first block joins the loop, which carries the 0.0 in
            units.insert(0, [pos for pos in blocks[low] if pos != zero])
            start = blocks[low][0]
    reads: dict[int, int] = {}  # the parameters the second block reads, counted from its number
    for pos in units[1]:
        for parent in order[pos]._prev:
            j = index[id(parent)]
            if numbered is not None and j in numbered:
                reads.setdefault(j, numbered[j] - (first + 1))
    return Loop(units, first, carried, before, start, end, list(reads.items()))


def _commuted(shape: tuple[Any, ...], carried: tuple[str, int]) -> tuple[Any, ...]:
    """A block's shape with the parents of the ``a + b`` that reads the carried total in one order: ``0.0 + h`` is
    ``h + 0.0``, bit for bit, and an add gives both parents the same gradient."""
    return tuple(
        item[:4] + (tuple(sorted(item[4])),) if len(item) == 5 and item[2] == id(_ADD) and carried in item[4] else item
        for item in shape
    )


def _sum_start(
    order: list[Any],
    index: dict[int, int],
    leaves: Leaves,
    needed: list[bool],
    blocks: list[list[int]],
    u: int,
    shape: tuple[Any, ...],
    carried: tuple[str, int],
    unit_of: list[int | None],
    numbered: dict[int, int] | None,
) -> int | None:
    """The place of the 0.0 that the first block (block ``u``) starts its total from, if that block is the others'
    but for it, else None. ``sum()`` starts from 0: the first total is ``own + 0.0`` where the next ones are
    ``total + own``; a loop that carries 0.0 into its first block computes ``0.0 + own``, the same number, and the
    same gradients."""
    for zero in blocks[u]:
        if order[zero]._prev or zero in leaves.data or np.float64(order[zero].data).tobytes() != ZERO:
            continue
        nodes = [pos for pos in blocks[u] if pos != zero]
        folded = _signature(order, index, leaves, needed, nodes, [], unit_of, numbered, u, {zero: carried})
        if folded is not None and _commuted(folded, carried) == _commuted(shape, carried):
            return zero
    return None
