"""The walker's order: the chain walk from the root hands over to a depth-first search at the first node with
two inner parents, and must give exactly the search's order of inner nodes and its set of leaves."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_relu import Tensor, Value
from tinygrad_relu.graph import _post_order, _search, backward_order, topological_order


def _random_graph(choices):
    """A Value graph built from hypothesis' choices: each new node reads one or two earlier nodes, so chains,
    diamonds, shared nodes and repeated parents (x * x) all occur."""
    pool = [Value(1.5, label="a"), Value(-0.5, label="b")]
    for kind, i, j in choices:
        x, y = pool[i % len(pool)], pool[j % len(pool)]
        pool.append([x + y, x * y, x.leaky_relu(0.1), x * 2.0, x * x, x - 1.0][kind])
    return pool[-1]


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=40))
def test_chain_walk_gives_the_search_order(choices):
    root = _random_graph(choices)
    if not root._prev:
        return
    order, leaves = _post_order(root)
    searched: dict = {}
    assert order == _search(root, searched)
    assert set(leaves) == set(searched) and all(leaves[n] == n.grad for n in leaves)


def test_a_chain_above_a_diamond_above_a_chain():
    x = Value(3.0, label="x")
    low = (x * 2.0).leaky_relu(0.1)  # a chain below the diamond
    top = (low * low + low).relu() * 0.5 - 1.0  # the diamond (low used twice), then a chain up to the root
    order = backward_order(top)
    assert [n._op for n in order] == ["-", "*", "relu", "+", "*", "leaky_relu(0.1)", "*"]
    top.backward()
    assert x.grad == 0.5 * (2 * 6.0 + 1.0) * 2.0  # d/dx of (4x^2 + 2x) / 2 - 1 at x = 3
    nodes = topological_order(top)
    assert nodes[0] is x and nodes[-1] is top and len(nodes) == len(order) + 4  # x and the constants 2, 0.5, 1


def test_a_tensor_chain_gets_exact_gradients():
    w = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    b = Tensor(np.array([0.25, -1.0]), requires_grad=True)
    x = Tensor(np.array([[1.0, 2.0]]))
    loss = ((x.linear(w, b).leaky_relu(0.5) - 1.0) ** 2).mean()
    loss.backward()
    # h = [1 - 4 + 0.25, 0.5 + 6 - 1] = [-2.75, 5.5]; out = [-1.375, 5.5]; d/dout = (out - 1) = [-2.375, 4.5]
    assert b.grad.tolist() == [-2.375 * 0.5, 4.5]
    assert w.grad.tolist() == [[-1.1875, -2.375], [4.5, 9.0]]
