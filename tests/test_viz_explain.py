"""The explorer's details panel gives a reason in words and numbers for every op of the op table, and its
captions name nodes as the screen does."""

import re

import numpy as np
import pytest
from optable import OPS, TENSOR_OPS, TENSOR_SHAPES, TENSOR_SHAPES_OF

from tinygrad_relu import Tensor, Value, explore
from tinygrad_relu.engine.graph import topological_order
from tinygrad_relu.losses import binary_cross_entropy_with_logits, cross_entropy
from tinygrad_relu.nn import Neuron
from tinygrad_relu.viz.explain import GENERIC, caption, reason

OLD_GENERIC = "a Jacobian, applied by the closure without being built"


def value_graphs():
    rng = np.random.default_rng(0)
    for name, f, n, (lo, hi) in OPS:
        yield name, f(*[Value(float(rng.uniform(lo, hi))) for _ in range(n)])


def tensor_graphs():
    rng = np.random.default_rng(1)
    for name, f, n, (lo, hi) in OPS:
        for shapes in TENSOR_SHAPES_OF.get(name, TENSOR_SHAPES):
            yield name, f(*[Tensor(rng.uniform(lo, hi, shapes[i]), requires_grad=True) for i in range(n)])
    for name, f, shapes, (lo, hi) in TENSOR_OPS:
        yield name, f(*[Tensor(rng.uniform(lo, hi, s), requires_grad=True) for s in shapes])


def loss_graphs():
    z = Tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], requires_grad=True)
    yield "tensor cross_entropy", cross_entropy(z, np.array([2, 0]))
    logits = Tensor([[0.3], [-1.2]], requires_grad=True)
    yield "tensor bce_logits", binary_cross_entropy_with_logits(logits, np.array([[1.0], [0.0]]))
    yield "value bce_logits", binary_cross_entropy_with_logits([Value(0.3)], [1.0])
    yield "value cross_entropy", cross_entropy([[Value(0.5), Value(-1.0), Value(2.0)]], [2])


def every_graph():
    yield from value_graphs()
    yield from tensor_graphs()
    yield from loss_graphs()


def reasons(out):
    """Every (op, reason) pair the details panel shows for the graph of ``out``."""
    for node in topological_order(out):
        for parent in dict.fromkeys(node._prev):
            yield node._op, reason(node, parent)


@pytest.mark.parametrize("name, out", list(every_graph()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_op_of_the_table_has_its_own_reason(name, out):
    for op, why in reasons(out):
        assert GENERIC not in why and OLD_GENERIC not in why, (name, op, why)
        word = {"@": "matmul", "wsum": "weighted sum"}.get(op, op.split("(")[0])
        assert why.startswith(word), (name, op, why)


def by_op(graphs, op):
    """Every reason given for ``op``'s inputs in ``graphs`` (joined, to search in)."""
    return " / ".join(why for _, out in graphs for node_op, why in reasons(out) if node_op == op)


def test_vector_jacobian_products_are_written_out_with_their_shapes():
    graphs = list(every_graph())
    x, w, b = Tensor(np.ones((4, 3)), requires_grad=True), Tensor(np.ones((5, 3)), requires_grad=True), None
    b = Tensor(np.zeros(5), requires_grad=True)
    linear = by_op([("linear", x.linear(w, b))], "linear")
    assert "grad_x = g @ W: (4, 5) @ (5, 3) -> (4, 3)" in linear
    assert "grad_W = g.T @ x: (5, 4) @ (4, 3) -> (5, 3)" in linear
    assert "grad_b = g summed over the rows" in linear and "-> (5,)" in linear
    matmul = by_op(graphs, "@")
    assert "grad_A = g @ B.T" in matmul and "grad_B = A.T @ g" in matmul
    assert "1/n with n = 6" in by_op(graphs, "mean")
    assert "every entry of the input (2, 3) gets the upstream gradient" in by_op(graphs, "sum")
    assert "broadcast" in by_op(graphs, "+") and "summed over the broadcast axes back to (4,)" in by_op(graphs, "+")
    assert "g - softmax(x) * (g summed over the axis)" in by_op(graphs, "log_softmax")
    assert "softmax(logits) - onehot(label)" in by_op(graphs, "cross_entropy")
    bce = by_op(graphs, "bce_logits")
    assert "sigmoid(z) - y" in bce and "sigmoid(0.3) - 1" in bce  # the scalar one with its numbers


def test_the_panel_of_a_tensor_page_gives_the_reasons():
    x = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]))
    w = Tensor(np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]), requires_grad=True, label="W")
    loss = x.linear(w).leaky_relu(0.1).mean()
    page = explore(loss)
    whys = [inp["why"] for node in page.data["nodes"] for inp in node["inputs"]]
    assert any("grad_W = g.T @ x: (3, 2) @ (2, 2) -> (3, 2)" in why for why in whys)
    assert any("1/n with n = 6" in why for why in whys)
    assert all(GENERIC not in why for why in whys)


def test_captions_and_the_panel_call_each_node_by_its_one_name():
    neuron = Neuron(2, "leaky_relu", alpha=0.1, seed=1)
    y = neuron([Value(-2.0), Value(1.0)])
    page = explore(y, group="neuron")
    names = [node["name"] for node in page.data["nodes"]]
    assert names == ["w1", "w2", "x1", "x2", "b", "z1", "loss"]  # as a hand-written backprop calls them
    first = page.data["steps"][0]["caption"]
    assert first.startswith("loss = leaky_relu(z1): input ") and "its gradient" in first
    second = page.data["steps"][1]["caption"]
    assert "weights w1 and w2" in second and "inputs x1 and x2" in second and "bias b" in second
    assert not re.findall(r"\bv\d+", second)
    ops = {node["op"] for node in page.data["nodes"] if not node["inputs"]}
    assert ops == {"leaf"}  # one word for a leaf
    assert page.data["groups"]["g0"]["about"] == "5 scalar nodes, its output loss"


def test_a_caption_names_the_numbers_of_a_rectifier():
    n = Value(-0.0119, label="n")
    y = n.leaky_relu(0.01)
    said = caption(y, {id(n): "n", id(y): "y"})[0]
    assert said == "y = leaky_relu(n): input -0.0119 <= 0, so it passed 0.01 x its gradient back."
    m = Value(2.0, label="m")
    z = m.relu()
    said = caption(z, {id(m): "m", id(z): "z"})[0]
    assert said == "z = relu(m): input 2 > 0, so it passed its gradient unchanged back."
