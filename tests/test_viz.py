"""Drawings of the forward and backward pass, rendered with the real graphviz `dot`."""

import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest
from optable import OPS, TENSOR_SHAPES, TENSOR_SHAPES_OF

from tinygrad_relu import Tensor, Value, backward_frames, draw_graph, write_frames
from tinygrad_relu.engine.graph import backward_order, topological_order
from tinygrad_relu.viz import GraphvizNotFoundError, save_graph
from tinygrad_relu.viz.record import trace_backward

SVG = "{http://www.w3.org/2000/svg}"
ALPHA_COLOUR, ZERO_COLOUR = "#e07b00", "#a0a0a0"


def leaky_neuron():
    """y = leaky_relu(w1*x1 + w2*x2 + b, 0.1) with a negative pre-activation n = -4.5."""
    w1, x1, w2, x2, b = (
        Value(v, name) for v, name in [(-3.0, "w1"), (2.0, "x1"), (1.0, "w2"), (0.5, "x2"), (1.0, "b")]
    )
    n = w1 * x1 + w2 * x2 + b
    n.label = "n"
    y = n.leaky_relu(0.1)
    y.label = "y"
    return y, n, (w1, x1, w2, x2, b)


def busy_graph():
    """Every kind of edge: a reused input (a * a), a dead relu, the alpha path, a prelu slope, a custom op."""
    a, c, s = Value(-1.5, "a"), Value(2.0, "c"), Value(0.25, "s")
    cube = Value.custom_op(c.data**3, (c,), lambda g: 3 * c.data**2 * g, op="cube")
    z = a * a + a.relu() * c + (a * c).leaky_relu(0.2) + a.prelu(s) + cube / 4
    z.label = "z"
    return z


def parse_svg(svg: str):
    """{node name: [texts]}, and [(tail, head, [texts], stroke colour)] for each edge."""
    nodes, edges = {}, []
    for group in ET.fromstring(svg).iter(SVG + "g"):
        title = group.findtext(SVG + "title")
        texts = [t.text for t in group.iter(SVG + "text")]
        if group.get("class") == "node":
            nodes[title] = texts
        elif group.get("class") == "edge":
            tail, head = title.split("->")
            edges.append((tail, head, texts, next(group.iter(SVG + "path")).get("stroke")))
    return nodes, edges


def names_by_label(nodes):
    """Node names by the label text in their box (the first text that is not '#k')."""
    return {next(t for t in texts if not t.startswith("#")): name for name, texts in nodes.items() if texts}


def state(root):
    return [(id(v), v.data, v.grad) for v in topological_order(root)]


# ---------------------------------------------------------------- the backward picture


def test_leaky_neuron_backward_svg_shows_labels_order_and_alpha():
    y, n, leaves = leaky_neuron()
    nodes, edges = parse_svg(draw_graph(y, mode="backward").pipe(format="svg", encoding="utf-8"))
    all_text = [t for texts in nodes.values() for t in texts]
    for label in ["y", "n", "w1", "x1", "w2", "x2", "b"]:
        assert label in all_text
    closures = len(backward_order(y))
    assert closures == 5
    assert [f"#{k}" for k in range(1, closures + 1)] == sorted(
        t for t in all_text if t.startswith("#") and t[1:].isdigit()
    )
    by_label = names_by_label(nodes)
    assert nodes[by_label["y"]][:2] == ["#1", "y"]  # the root's closure runs first
    # The edge from y's leaky_relu into n carries the local derivative alpha = 0.1, coloured as the alpha path.
    (edge,) = [e for e in edges if e[0] == by_label["y"] + "_op" and e[1] == by_label["n"]]
    assert edge[2] == ["∂y/∂n = 0.1", "carries 1 × 0.1 = 0.1"]
    assert edge[3] == ALPHA_COLOUR
    # w1 gets x1 * 0.1: the local derivative of * and the carried gradient both show.
    (edge,) = [e for e in edges if e[1] == by_label["w1"]]
    assert edge[2][0].endswith("/∂w1 = 2") and edge[2][1] == "carries 0.1 × 2 = 0.2"
    # The legend explains the colours.
    assert any("alpha" in t for t in nodes["legend"])


def test_forward_and_backward_are_the_same_graph_read_in_reverse():
    y, _, _ = leaky_neuron()
    fwd_nodes, fwd_edges = parse_svg(draw_graph(y).pipe(format="svg", encoding="utf-8"))
    bwd_nodes, bwd_edges = parse_svg(draw_graph(y, mode="backward").pipe(format="svg", encoding="utf-8"))
    forward = {(tail, head) for tail, head, _, _ in fwd_edges}
    backward = {(tail, head) for tail, head, _, _ in bwd_edges if tail != "seed"}
    assert backward == {(head, tail) for tail, head in forward}
    # Only the backward picture has order numbers, derivative labels, a seed and a legend.
    fwd_text = [t for texts in fwd_nodes.values() for t in texts] + [t for e in fwd_edges for t in e[2]]
    assert not any(t.startswith("#") or "∂" in t for t in fwd_text)
    assert "legend" not in fwd_nodes and "seed" not in fwd_nodes
    assert "legend" in bwd_nodes and "seed" in bwd_nodes
    # Forward shows the current grads (none computed yet); backward shows the pass's gradients.
    assert "grad 0" in fwd_nodes[names_by_label(fwd_nodes)["w1"]]
    assert "grad 0.2" in bwd_nodes[names_by_label(bwd_nodes)["w1"]]


def test_dead_relu_edge_is_zero_and_reused_input_is_summed():
    z = busy_graph()
    _, edges = parse_svg(draw_graph(z, mode="backward").pipe(format="svg", encoding="utf-8"))
    relu_edges = [e for e in edges if any("∂" in t for t in e[2]) and e[2][0].endswith("= 0")]
    assert relu_edges and all(e[3] == ZERO_COLOUR for e in relu_edges)
    (square,) = [e for e in edges if "(input used 2×, summed)" in e[2]]
    assert square[2][0].endswith("/∂a = -3")  # d(a*a)/da = 2a at a = -1.5


def test_local_derivatives_match_backward_for_every_op_in_the_table():
    rng = random.Random(5)
    for name, fn, arity, (lo, hi) in OPS:
        inputs = [Value(rng.uniform(lo, hi)) for _ in range(arity)]
        out = fn(*inputs)
        nodes = topological_order(out)
        (step,) = trace_backward(out, nodes, 1.0, every_step=False)
        out.backward()
        for v in nodes:
            assert step.grads[id(v)] == pytest.approx(v.grad, rel=1e-12, abs=1e-12), name
        for flow in step.flows[id(out)]:  # the root's upstream is 1, so what it carries is its local derivative
            assert flow.carried == pytest.approx(flow.local, rel=1e-12), name


def test_tensor_pass_on_the_side_matches_backward_for_every_op_in_the_table():
    rng = np.random.default_rng(5)
    for name, fn, arity, (lo, hi) in OPS:
        shapes = TENSOR_SHAPES_OF.get(name, TENSOR_SHAPES)[1]  # a broadcasting pair
        inputs = [Tensor(rng.uniform(lo, hi, size=shape), requires_grad=True) for shape in shapes[:arity]]
        out = fn(*inputs)
        seed = rng.normal(size=out.data.shape)
        nodes = topological_order(out)
        (step,) = trace_backward(out, nodes, seed, every_step=False)
        out.backward(seed)
        for t in inputs:
            np.testing.assert_allclose(step.grads[id(t)], t.grad, rtol=1e-12, atol=1e-12, err_msg=name)
        for flow in step.flows[id(out)]:  # elementwise ops: the ones-upstream run gives the derivative
            if flow.parent.requires_grad and flow.parent.data.shape == out.data.shape:
                np.testing.assert_allclose(flow.local * seed, flow.carried, rtol=1e-12, err_msg=name)


# ---------------------------------------------------------------- Tensors


def tensor_layer():
    """loss = mean(leaky_relu(X @ W + b, 0.1) ** 2) with X a constant batch, and the pre-activation."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(6, 3)), label="X")
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True, label="W")
    b = Tensor(np.zeros(4), requires_grad=True, label="b")
    z = X @ W + b
    z.label = "z"
    h = z.leaky_relu(0.1)
    h.label = "h"
    loss = (h * h).mean()
    loss.label = "loss"
    return loss, z, W, b


def test_tensor_nodes_show_shape_and_summaries_not_arrays():
    loss, z, W, b = tensor_layer()
    nodes, edges = parse_svg(draw_graph(loss, mode="backward").pipe(format="svg", encoding="utf-8"))
    by_label = names_by_label(nodes)
    assert "shape (3, 4)" in nodes[by_label["W"]] and "shape (6, 4)" in nodes[by_label["z"]]
    loss.backward()
    norm, zeros = np.linalg.norm(W.grad), np.mean(W.grad == 0)
    assert f"grad norm {norm:.4g}, {zeros:.0%} zero" in nodes[by_label["W"]]
    assert not any(str(round(float(W.data[0, 0]), 4)) in t for t in nodes[by_label["W"]])  # no entries listed
    # The leaky_relu edge into z: what fraction of z went through the slope, in the alpha colour.
    (edge,) = [e for e in edges if e[0] == by_label["h"] + "_op" and e[1] == by_label["z"]]
    assert edge[2][0] == f"{np.mean(z.data <= 0):.0%} of entries on the alpha path" and edge[3] == ALPHA_COLOUR
    assert edge[2][1].startswith("carries norm ")
    # The constant batch X asked for no gradient: its edge says so, and the legend explains it.
    (edge,) = [e for e in edges if e[1] == by_label["X"]]
    assert edge[2] == ["no gradient asked for"]
    assert any("requires_grad=False" in t for t in nodes["legend"])
    # One-element Tensors get plain numbers and derivatives.
    assert nodes[by_label["loss"]][:2] == ["#1", "loss"] and "grad 1" in nodes[by_label["loss"]]


def test_tensor_drawing_changes_no_grad_and_frames_end_at_backward():
    loss, z, W, b = tensor_layer()
    W.grad = np.full((3, 4), 2.0)  # an old gradient the pass on the side must not touch
    old = W.grad
    loss.backward()  # W.grad is now a new array: old + this pass
    nodes = topological_order(loss)
    before = [(t, t.grad, None if t.grad is None else t.grad.copy(), t.data.copy()) for t in nodes]
    frames = backward_frames(loss)
    draw_graph(loss, mode="backward")
    draw_graph(loss)
    for t, grad, contents, data in before:
        assert t.grad is grad
        if grad is not None:
            np.testing.assert_array_equal(t.grad, contents)
        np.testing.assert_array_equal(t.data, data)
    assert len(frames) == len(backward_order(loss))
    steps = trace_backward(loss, nodes, np.ones(()), every_step=True)
    np.testing.assert_allclose(steps[-1].grads[id(W)], W.grad - old, rtol=1e-12)
    np.testing.assert_allclose(steps[-1].grads[id(b)], b.grad, rtol=1e-12)


def test_a_non_scalar_tensor_root_needs_a_seed():
    _, z, _, _ = tensor_layer()
    assert "shape (6, 4)" in draw_graph(z).source  # forward needs none
    with pytest.raises(ValueError, match=r"shape \(6, 4\).*seed="):
        draw_graph(z, mode="backward")
    assert "#1 | z" in draw_graph(z, mode="backward", seed=np.ones((6, 4))).source


# ---------------------------------------------------------------- frames


def test_frames_one_per_closure_and_the_last_matches_backward():
    z = busy_graph()
    order = backward_order(z)
    frames = backward_frames(z)
    assert len(frames) == len(order)
    for k, (frame, _node) in enumerate(zip(frames, order), 1):
        highlighted = [line for line in frame.source.splitlines() if "#ffe27a" in line]
        assert len(highlighted) == 1 and f"#{k} " in highlighted[0], k
        assert f"step {k} of {len(order)}" in frame.source
    z.backward()
    last = parse_svg(frames[-1].pipe(format="svg", encoding="utf-8"))[0]
    by_label = names_by_label(last)
    for v in topological_order(z):
        if v.label:
            assert f"grad {v.grad:.4g}" in last[by_label[v.label]], v.label


def test_write_frames_numbered_svgs_and_pngs(tmp_path):
    y, _, _ = leaky_neuron()
    frames = backward_frames(y)
    svgs = write_frames(frames, tmp_path / "svg")
    assert [p.name for p in svgs] == [f"frame_{k:03d}.svg" for k in range(1, 6)]
    assert "step 5 of 5" in svgs[-1].read_text(encoding="utf-8")
    (png,) = write_frames(frames[:1], tmp_path / "png", format="png")
    assert png.read_bytes().startswith(b"\x89PNG")
    dot = save_graph(frames[0], tmp_path / "one.dot")
    assert dot.read_text(encoding="utf-8") == frames[0].source
    with pytest.raises(ValueError, match="suffix"):
        save_graph(frames[0], tmp_path / "no_suffix")


def test_leaf_root():
    x = Value(3.0, "x")
    assert backward_frames(x) == []
    assert "grad 1" in draw_graph(x, mode="backward").source


# ---------------------------------------------------------------- drawing changes nothing


def test_drawing_leaves_data_and_grad_unchanged():
    z = busy_graph()
    z.backward()
    z.backward()  # leaves now hold accumulated gradients, intermediates their last pass's
    for i, v in enumerate(topological_order(z)):
        if not v._prev:
            v.grad += 0.5 * i - 1.0  # and some arbitrary leaf grads on top
    before = state(z)
    draw_graph(z)
    draw_graph(z, mode="backward")
    frames = backward_frames(z)
    frames[2].source  # noqa: B018 -- building the text must not touch the graph either
    assert state(z) == before
    # Drawn or not, the next backward adds the same amounts.
    fresh = busy_graph()
    fresh.backward()
    leaves = [v for v in topological_order(z) if not v._prev]
    old = [v.grad for v in leaves]
    z.backward()
    added = [v.grad - g for v, g in zip(leaves, old)]
    expected = [v.grad for v in topological_order(fresh) if not v._prev]
    assert added == pytest.approx(expected, rel=1e-12)


def test_refuses_a_huge_graph_quickly_and_without_recursion():
    x = Value(0.5, "x")
    y = x
    for _ in range(50_000):
        y = y * 1.0001
    with pytest.raises(
        ValueError, match=r'100001 nodes, more than max_nodes=500; .* group="neuron"; or pass max_nodes=100001'
    ):
        draw_graph(y)
    with pytest.raises(ValueError, match="max_nodes"):
        backward_frames(y, max_nodes=10)


def test_a_deep_chain_within_the_cap_is_drawn_without_recursion():
    y = Value(0.5, "x")
    for _ in range(1000):
        y = y.leaky_relu(0.5) - 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion over the 3001 nodes would fail at once
    try:
        source = draw_graph(y, mode="backward", max_nodes=10_000).source
    finally:
        sys.setrecursionlimit(limit)
    assert "#2000 " in source


def test_bad_arguments():
    y, _, _ = leaky_neuron()
    with pytest.raises(ValueError, match="mode"):
        draw_graph(y, mode="sideways")
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(y, rankdir="up")


def test_top_to_bottom_layout_renders():
    y, _, _ = leaky_neuron()
    svg = draw_graph(y, mode="backward", rankdir="TB").pipe(format="svg", encoding="utf-8")
    assert "∂y/∂n = 0.1" in svg


# ---------------------------------------------------------------- without graphviz's dot


def test_without_dot_building_works_and_rendering_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot anywhere
    y, _, _ = leaky_neuron()
    drawing = draw_graph(y, mode="backward")
    assert "∂y/∂n = 0.1" in drawing.source
    assert save_graph(drawing, tmp_path / "ok.dot").exists()
    for render in (
        lambda: drawing.pipe(format="svg"),
        lambda: drawing.render(tmp_path / "out", format="png"),
        drawing._repr_mimebundle_,
        lambda: save_graph(drawing, tmp_path / "out.png"),
        lambda: write_frames(backward_frames(y), tmp_path / "frames"),
    ):
        with pytest.raises(GraphvizNotFoundError) as caught:
            render()
        message = str(caught.value)
        assert "apt-get install graphviz" in message and "brew" in message and "conda" in message
        assert isinstance(caught.value, graphviz.ExecutableNotFound)  # still caught by graphviz's own type
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_import_needs_no_dot(tmp_path):
    code = "import tinygrad_relu as t; print(len(t.draw_graph(t.Value(1.0).exp(), mode='backward').source) > 0)"
    result = subprocess.run(
        [sys.executable, "-c", code], env={"PATH": str(tmp_path)}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_numbers_inf_and_nan_are_drawn():
    y = Value(1000.0, "big").exp() * Value(0.0, "zero").log()
    source = draw_graph(y, mode="backward").source
    assert "data inf" in source and "data -inf" in source


# ---------------------------------------------------------------- the command line


def test_cli_writes_the_backward_drawing_and_frames(tmp_path, capsys):
    from tinygrad_relu.cli import main

    svg, frames = tmp_path / "loss.svg", tmp_path / "frames"
    argv = ["--epochs", "2", "--hidden", "2", "--graph", str(svg), "--frames", str(frames), "--group", "none"]
    assert main(argv) == 0
    nodes, edges = parse_svg(svg.read_text(encoding="utf-8"))
    by_label = names_by_label(nodes)
    assert nodes[by_label["loss"]][:2] == ["#1", "loss"]
    for name in ["w1_1_1", "w1_2_2", "b1_1", "w2_1_2", "b2_1", "x1", "x2"]:  # every parameter and input is named
        assert name in by_label
    assert any(t.startswith("∂loss/∂") for e in edges for t in e[2])
    written = sorted(p.name for p in frames.iterdir())
    assert written[0] == "frame_001.svg" and len(written) > 5
    assert f"step {len(written)} of {len(written)}" in (frames / written[-1]).read_text(encoding="utf-8")
    out = capsys.readouterr().out
    # the default sample is the worst-classified before training, said by its index (never its inputs)
    assert re.search(
        r"backward pass of the loss on sample \d \(the worst-classified, loss [\d.]+ before training\)", out
    )
    assert f"{len(written)} frames" in out and "x =" not in out


def test_cli_draws_a_network_one_box_per_neuron_by_default(tmp_path, capsys):
    from tinygrad_relu.cli import main

    svg, page = tmp_path / "loss.svg", tmp_path / "loss.html"
    argv = ["--epochs", "2", "--hidden", "3", "--graph", str(svg), "--sample", "1", "--explore", str(page)]
    assert main([*argv, "--group", "neuron"]) == 0
    html = page.read_text(encoding="utf-8")
    assert "one box per neuron" in html and "neuron 2.1" in html
    assert main(argv) == 0  # the page's default: a graph this small node by node
    assert "one box per" not in page.read_text(encoding="utf-8")
    nodes, edges = parse_svg(svg.read_text(encoding="utf-8"))
    titles = sorted(texts[0] for texts in nodes.values() if texts and texts[0].startswith("neuron"))
    assert titles == ["neuron 1.1", "neuron 1.2", "neuron 1.3", "neuron 2.1"]
    # x1 feeds each of the 3 hidden neurons once: one edge per neuron, not one per weight
    x1 = names_by_label(nodes)["x1"]
    assert len([e for e in edges if e[0] == x1]) == 3
    out = capsys.readouterr().out
    assert "sample 1 (loss " in out and f"in a browser: {page}" in out


def test_cli_dot_output_needs_no_dot_and_png_says_how_to_install(tmp_path, monkeypatch, capsys):
    from tinygrad_relu.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--epochs", "1", "--hidden", "2", "--graph", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph grouped")
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:  # found out before training, not after
        main(["--epochs", "1", "--hidden", "2", "--graph", str(tmp_path / "g.png")])
    err = capsys.readouterr()
    assert info.value.code == 2 and "apt-get install graphviz" in err.err.splitlines()[-1]
    assert "epoch" not in err.out


def test_a_picture_past_the_megapixel_cap_is_refused_with_its_size_and_the_group_that_helps(
    tmp_path, capsys, monkeypatch
):
    from tinygrad_relu.cli import main
    from tinygrad_relu.viz.draw import picture_size

    y, _, _ = leaky_neuron()
    drawing = draw_graph(y, mode="backward")
    width, height = picture_size(drawing)
    assert 100 < width < 3000 and 100 < height < 3000
    with pytest.raises(ValueError, match=rf"{width} x {height} pixels .* --group neuron"):
        save_graph(drawing, tmp_path / "y.png", max_megapixels=width * height / 2e6)
    assert not (tmp_path / "y.png").exists()
    save_graph(drawing, tmp_path / "y.dot", max_megapixels=0.001)  # DOT text is not a picture
    assert save_graph(drawing, tmp_path / "y.png", max_megapixels=None).read_bytes().startswith(b"\x89PNG")
    # from the command line: the size and the advice on stderr, exit 1, no file (a huge size stands in)
    monkeypatch.setattr("tinygrad_relu.viz.draw.picture_size", lambda drawing: (6000, 30000))
    assert main(["--epochs", "1", "--hidden", "2", "--group", "none", "--graph", str(tmp_path / "g.png")]) == 1
    err = capsys.readouterr().err
    assert "6000 x 30000 pixels = 180 megapixels" in err and "--group neuron" in err
    assert not (tmp_path / "g.png").exists()
