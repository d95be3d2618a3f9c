"""Finding the block a scalar graph repeats once per sample, so that the program writes it once, as a loop.

A loss over a batch built from Values (``sum(loss(model(x), y) for x, y in zip(X, Y))``) holds one copy of the
same computation per sample, each after the one before in the graph's order, each reading its sample's data and
the same parameters, and (for a running sum) the previous sample's total. A hand-written backprop writes that
block once, inside ``for`` loops over the samples; so does ``trace`` when the copies are alike node for node.

A node belongs to the last sample whose data it reads (a constant leaf to the node that first reads it); the
samples whose blocks have the same shape -- the same ops, parameters and closures, reading the same places of
their own block, of the block before, of the parameters -- form the loop, if they are contiguous in the order.
The nodes before are written as they are (the "head"), and so are the nodes after (the "tail", the mean and the
rest of the loss), which may read only the last block's nodes that the next block would have read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .record import Leaves

MIN_UNITS = 3  # fewer repeats are written out as they are


@dataclass
class Loop:
    """A run of alike blocks: their places in the order, and how they read one another."""

    units: list[list[int]]  # each block's nodes (places in the order), the first block of the loop first
    first_sample: int  # the sample of units[0]
    carried: list[int]  # places inside a block that the next block reads (a running total)
    before: list[int]  # for each carried place, the node of the block before the loop that the first block reads
    start: int  # the first place of the region the loop covers
    end: int  # the last place of that region


def _signature(
    order: list[Any],
    index: dict[int, int],
    leaves: Leaves,
    needed: list[bool],
    nodes: list[int],
    previous: list[int],
    unit_of: list[int | None],
) -> tuple[Any, ...] | None:
    """The shape of one block, or None if it reads a block other than its own and the one before."""
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
            if j in local:
                refs.append(("own", local[j]))
            elif j in prior:  # counted from the end: the block before the loop may hold a few more leaves
                refs.append(("before", len(previous) - prior[j]))
            elif unit_of[j] is None:
                refs.append(("shared", j))
            else:
                return None
        code = getattr(node._backward, "__code__", None)
        arg = None if node._arg is None else repr(node._arg)
        shape.append((node._op, arg, id(code), needed[pos], tuple(refs)))
    return tuple(shape)


def find_loop(order: list[Any], index: dict[int, int], leaves: Leaves, needed: list[bool]) -> Loop | None:
    """The run of alike per-sample blocks in a scalar graph, or None when there is none worth a loop."""
    samples = {pos: where[0] for pos, (_, where) in leaves.data.items() if where}
    if not samples:
        return None
    params = set(leaves.params)
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
    for pos, node in enumerate(order):  # a constant leaf goes with the first node that reads it
        for parent in node._prev:
            j = index[id(parent)]
            if unit_of[j] is None and j not in params and not order[j]._prev and j not in leaves.captured:
                unit_of[j] = unit_of[pos]
    count = max(samples.values()) + 1
    blocks: list[list[int]] = [[] for _ in range(count)]
    for pos, u in enumerate(unit_of):
        if u is not None:
            blocks[u].append(pos)
    if count < MIN_UNITS + 1 or any(not b for b in blocks):
        return None
    size = len(blocks[count - 2])
    blocks[count - 1] = blocks[count - 1][:size]  # the rest of the last sample's nodes is the tail

    def shape_of(u: int) -> tuple[Any, ...] | None:
        return _signature(order, index, leaves, needed, blocks[u], blocks[u - 1] if u else [], unit_of)

    shape = shape_of(count - 2)
    end_unit = count - 1 if shape_of(count - 1) == shape else count - 2
    first = end_unit
    while first > 0 and shape_of(first - 1) == shape:  # back from the end, while the blocks are alike
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
    return Loop(units, first, carried, before, start, end)
