"""The explorer's code pane, without a browser: the page carries the statements ``trace`` writes for its graph,
each with its node's place, and says in one line why when the graph cannot be written as code."""

import json
import re

from test_page_safety import HOSTILE, hostile_graph

from tinygrad_relu import Tensor, Value, explore
from tinygrad_relu.nn import Neuron
from tinygrad_relu.tracing import graph_source_lines


def payload(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))


def neuron_loss() -> Value:
    neuron = Neuron(2, "leaky_relu", alpha=0.1, seed=1)
    y = neuron([Value(-2.0, label="x1"), Value(1.0, label="x2")])
    y.label = "y"
    return y


def test_the_page_carries_each_statement_with_its_node():
    y = neuron_loss()
    explorer = explore(y)
    lines = payload(explorer.html)["code"]["lines"]
    assert [tuple(line) for line in lines] == [(t, i, p[:1]) for t, i, p in graph_source_lines(y)]
    names = [n["name"] for n in explorer.data["nodes"]]
    assert ["x1 = P[0].data", names.index("x1"), "f"] in lines
    for step in explorer.data["steps"]:  # every closure the walker runs has its block under a comment
        block = [text for text, i, phase in lines if i == step["node"] and phase == "b"]
        assert any(text.startswith("# ") for text in block) and len(block) >= 2
    assert "d_y = 1.0  # d loss / d loss" in [line[0] for line in lines]


def test_a_tensor_page_carries_numpy_statements():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = Tensor([[1.0, 2.0]])
    loss = (x @ w).relu().sum()
    texts = [line[0] for line in explore(loss).data["code"]["lines"]]
    assert any("np." in text or "@" in text for text in texts) and any(text.startswith("# ") for text in texts)


def test_a_graph_without_code_rules_gets_a_one_line_note_with_hostile_text_escaped():
    explorer = explore(hostile_graph())
    code = explorer.data["code"]
    assert "lines" not in code and "was made by custom_op" in code["error"] and "\n" not in code["error"]
    assert repr(HOSTILE[0]) in code["error"]  # the op's name, a hostile text, is in the note
    assert '<img src=x onerror="' not in explorer.html  # and the page holds it only as escaped JSON


def test_unlabelled_numbers_are_constants_and_need_no_backward_block():
    a, b, w = Value(2.0), Value(3.0), Value(1.5, label="w")
    y = a * b * w
    lines = explore(y).data["code"]["lines"]
    texts = [line[0] for line in lines]
    assert "c1 = 2.0" in texts and "w = P[0].data" in texts
    assert not any(text.startswith("d_c1") for text in texts)  # a constant gets no gradient
