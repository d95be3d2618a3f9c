"""Grouped drawings and the explorer page, checked in Python (the browser drives the page in test_explorer_browser)."""

import re
import struct

import pytest
from test_viz import parse_svg

from tinygrad_relu import Value, backward_frames, draw_graph, explore
from tinygrad_relu.data import make_moons
from tinygrad_relu.engine.graph import topological_order
from tinygrad_relu.exercises import check_first_zero_step
from tinygrad_relu.nn import MLP, Module, mlp
from tinygrad_relu.train import HEADS, loss_of
from tinygrad_relu.viz.groups import find_groups
from tinygrad_relu.viz.names import node_names

X, Y = make_moons(seed=0)


def moons_loss(build=MLP, activation="leaky_relu"):
    model = build(2, [16, 16, 1], activation=activation, seed=0)
    loss = loss_of(model, HEADS["bce"], X[:1], Y[:1])[0]
    loss.label = "loss"
    return model, loss


def png_pixels(png: bytes) -> int:
    width, height = struct.unpack(">II", png[16:24])
    return width * height


def test_mlp_groups_by_neuron_and_by_layer():
    model, loss = moons_loss()
    nodes = topological_order(loss)
    neurons = find_groups(nodes, "neuron")
    assert [g.title for g in neurons[:2]] == ["neuron 1.1", "neuron 1.2"] and neurons[-1].title == "neuron 3.1"
    assert len(neurons) == 33 and [g.column for g in neurons].count(2) == 16
    first = model.layers[0].neurons[0]
    assert {id(n) for n in neurons[0].members} >= {id(first.w[0]), id(first.w[1]), id(first.b)}
    assert sorted(n._op for n in neurons[0].members) == ["", "", "", "leaky_relu", "wsum"]
    layers = find_groups(nodes, "layer")
    assert [(g.title, len(g.members)) for g in layers] == [("layer 1", 80), ("layer 2", 304), ("layer 3", 18)]
    names = node_names(nodes)
    alone = [names[id(n)] for n in nodes if not any(n in g.members for g in neurons)]
    assert alone[:2] == ["x1", "x2"] and alone[-1] == "loss" and "n" in alone  # inputs named, a mean's count n
    assert names[id(neurons[20].output)] == "h2_5" and names[id(neurons[20].output._prev[0])] == "z2_5"


def test_grouped_drawing_meets_its_size_targets():
    _, loss = moons_loss()
    drawing = draw_graph(loss, mode="backward", group="neuron", dataset=X)
    nodes, edges = parse_svg(drawing.pipe(format="svg", encoding="utf-8"))
    assert len(nodes) <= 90
    assert len([t for t in nodes.values() if t and t[0].startswith("neuron ")]) == 33
    assert png_pixels(drawing.pipe(format="png")) <= 6_000_000


def test_edges_between_boxes_carry_the_summed_gradient():
    model = MLP(2, [6, 1], activation="leaky_relu", seed=0)
    x = [Value(v) for v in X[0]]
    out = model(x)
    out.label = "out"
    nodes, edges = parse_svg(draw_graph(out, mode="backward", group="neuron").pipe(format="svg", encoding="utf-8"))
    out.backward()
    by_first_text = {texts[0]: name for name, texts in nodes.items() if texts}
    x1 = by_first_text["x1"]
    carried = [float(e[2][0]) for e in edges if e[0] == x1 and e[2]]
    assert len(carried) == 6  # one edge per first-layer neuron, each the sum of what reached x1 through it
    assert sum(carried) == pytest.approx(x[0].grad, rel=1e-3, abs=1e-6)


def test_a_unit_silent_on_this_sample_differs_from_one_dead_on_every_sample():
    model, loss = moons_loss(activation="relu")
    dead, silent = model.layers[0].neurons[0], model.layers[0].neurons[1]
    dead.b.data = -100.0  # <= 0 on every sample
    silent.w[0].data, silent.w[1].data, silent.b.data = 1.0, 0.0, -X[0, 0]  # exactly 0 on sample 0 only
    loss = loss_of(model, HEADS["bce"], X[:1], Y[:1])[0]
    source = draw_graph(loss, mode="backward", group="neuron", dataset=X).source
    looks = {
        title: fill for title, fill in re.findall(r'label="(neuron 1\.[12])\\n[^"]*".*?fillcolor="(#\w+)"', source)
    }
    assert looks == {"neuron 1.1": "#4a4a4a", "neuron 1.2": "#eeeeee"}
    assert "activation input <= 0 on every sample" in source and "passed no gradient back on this sample" in source


def test_a_users_own_module_groups_and_a_bare_graph_does_not():
    class Doubler(Module):
        def __init__(self):
            self.w = Value(2.0, "w")

        def forward(self, x):
            return (self.w * x).relu() + 0.5

    class Net(Module):
        def __init__(self):
            self.first, self.second = Doubler(), Doubler()

        def forward(self, x):
            return self.second(self.first(x))

    y = Net()(Value(1.5))
    groups = find_groups(topological_order(y), "neuron")
    assert [(g.title, len(g.members)) for g in groups] == [("Doubler first", 5), ("Doubler second", 5)]
    bare = (Value(2.0, "w") * Value(1.5)).relu()
    assert find_groups(topological_order(bare), "neuron") == []
    assert draw_graph(bare, mode="backward", group="neuron").source == draw_graph(bare, mode="backward").source


def test_tensor_network_is_one_box_per_linear_and_activation():
    _, loss = moons_loss(build=mlp)
    groups = find_groups(topological_order(loss), "neuron")
    assert [g.title for g in groups] == [
        "layer 1: Linear(2, 16) + LeakyReLU(alpha=0.01)",
        "layer 2: Linear(16, 16) + LeakyReLU(alpha=0.01)",
        "layer 3: Linear(16, 1)",
    ]
    source = draw_graph(loss, mode="backward", group="layer").source
    assert "one box per layer" in source and "W1 (16, 2), b1 (16,)" in source  # (out, in), as PyTorch


def test_frames_name_nodes_the_same_way_and_grey_what_no_gradient_reached():
    a, b = Value(2.0), Value(-3.0)
    y = (a * b).leaky_relu(0.1) + a
    frames = [f.source for f in backward_frames(y)]
    assert len(frames) == 3
    for source in frames:
        assert "∂mul1" in source or "#1" in source
        assert "/∂in" not in source and "∂#" not in source
    names = {f: set(re.findall(r"∂(h\d+|mul\d+)/", f)) for f in frames}
    assert names[frames[0]] <= names[frames[-1]]  # the same node keeps its name from frame to frame
    first = frames[0]
    # After the first closure the leaf 2 (a) has a gradient so far, the leaf -3 (b) none yet: greyed.
    assert re.search(r'label="\{ c2 \| data -3 \| grad 0 \}" color="#c8c8c8"', first)
    assert "so far" in first and "so far }" not in frames[-1]
    assert "no gradient has flowed on it yet" in first  # the legend names the faint edges
    assert "no gradient has flowed on it yet" not in frames[-1]


def test_explore_builds_a_self_contained_page_and_changes_no_grad(tmp_path):
    model, loss = moons_loss()
    for p in model.parameters():
        p.grad = 0.25
    page = explore(loss, group="neuron", dataset=X)
    assert all(p.grad == 0.25 for p in model.parameters())
    assert page.steps == len(page.data["steps"]) == 67
    html = page.html
    assert len(html.encode("utf-8")) <= 3_000_000
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    # XML namespace names (never fetched) and the vendored library's home page, in its header comment
    known = {"2000/svg", "1999/xlink", "2000/xmlns/", "XML/1998/namespace", "2001/xml-events"}
    addresses = {f"http://www.w3.org/{name}" for name in known} | {"https://github.com/bumbu/svg-pan-zoom"}
    assert set(re.findall(r"https?://[\w./-]+", html)) <= addresses
    path = page.save(tmp_path / "pass.html")
    assert path.read_text(encoding="utf-8") == html
    assert page._repr_html_().startswith("<iframe srcdoc=")


def test_explore_details_give_the_reason_and_the_chain_rule():
    w, x = Value(-2.5, "w"), Value(2.0, "x")
    y = (w * x).leaky_relu(0.1)
    y.label = "y"
    data = explore(y).data
    by_name = {n["name"]: n for n in data["nodes"]}
    (inp,) = by_name["y"]["inputs"]
    assert inp["why"] == "leaky_relu: input -5 <= 0, slope alpha = 0.1"
    assert inp["chain"] == "1 × 0.1 = 0.1" and inp["kind"] == "alpha"
    places = [data["nodes"].index(by_name[name]) for name in ("y", "mul1")]
    assert [s["node"] for s in data["steps"]] == places


def test_explore_a_tensor_graph_keeps_histograms():
    _, loss = moons_loss(build=mlp)
    data = explore(loss, group="layer").data
    assert data["hists"] and all(0.0 <= h[1]["zero"] <= 1.0 for hs in data["hists"].values() for h in hs)


def test_first_zero_step_check():
    from tinygrad_relu.exercises.explorer import first_zero_edges

    model, loss = moons_loss(activation="relu")
    page = explore(loss, group="neuron")
    todo = check_first_zero_step(page, None)
    assert todo.status == "todo" and str(todo).startswith("to do: open the page")
    first = first_zero_edges(page.data)[0]  # the first grey-dashed edge between two boxes (tests/test_exercises.py)
    assert check_first_zero_step(page, first).status == "pass" and str(check_first_zero_step(page, first)) == "pass"
    late = check_first_zero_step(page, first + 1)
    assert late.status == "fail" and "earlier step" in str(late) and str(first) not in str(late)
    assert check_first_zero_step(page, True).status == "fail"  # a bool is not a step number


def test_a_pickled_model_computes_and_groups_as_the_original():
    import pickle

    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0])
    again = pickle.loads(pickle.dumps(model))
    assert again([1.0, 2.0]).data == model([1.0, 2.0]).data
    assert [g.title for g in find_groups(topological_order(again([1.0, 2.0])), "neuron")] == [
        "neuron 1.1",
        "neuron 1.2",
        "neuron 1.3",
        "neuron 2.1",
    ]
