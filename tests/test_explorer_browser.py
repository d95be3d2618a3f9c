"""The explorer page driven in a real Chromium: keys, buttons, clicks, and not one network request.

Needs the Debian ``chromium`` (/usr/bin/chromium) and the ``playwright`` package (its own browser
download is not used): the ``browser`` fixture of conftest.py skips these tests without them.
"""

import re

import pytest
from browser import Page

from tinygrad_relu import Value, explore
from tinygrad_relu.data import make_moons
from tinygrad_relu.nn import MLP, Neuron, mlp
from tinygrad_relu.train import HEADS, loss_of

SHOWN = "#main .level:not([hidden])"  # the picture on the stage: its level as shown
pytestmark = pytest.mark.slow  # a real browser

X, Y = make_moons(seed=0)


def test_neuron_page_steps_with_keys_and_buttons_and_explains_a_node(browser, tmp_path):
    neuron = Neuron(2, "leaky_relu", alpha=0.1, seed=1)
    y = neuron([Value(-2.0), Value(1.0)])
    y.label = "y"
    explorer = explore(y)
    page = Page(browser, explorer.save(tmp_path / "pass.html"))
    assert page.where() == "step 0 of 2"
    assert "Forward values" in page.page.inner_text("#caption")
    page.page.keyboard.press("ArrowRight")
    assert page.where() == "step 1 of 2" and page.page.inner_text("#caption").startswith("y = leaky_relu(z1): input ")
    page.page.keyboard.press("End")
    assert page.where() == "step 2 of 2"
    page.page.keyboard.press("ArrowLeft")
    assert page.where() == "step 1 of 2"
    page.page.click("#last")
    page.page.click("#prev")
    page.page.click("#first")
    assert page.where() == "step 0 of 2"
    y_index = next(i for i, n in enumerate(explorer.data["nodes"]) if n["name"] == "y")
    page.box(f"n{y_index}", SHOWN).click()
    assert "Its closure runs at step 1" in page.page.inner_text("#details")
    page.page.keyboard.press("ArrowRight")  # the panel follows the step
    details = page.page.inner_text("#details")
    pre = explorer.data["nodes"][y_index]["inputs"][0]
    assert pre["why"] in details and pre["chain"] in details and "leaky_relu: input" in pre["why"]
    page.close()


def test_network_page_expands_and_folds_a_neuron(browser, tmp_path):
    model = MLP(2, [16, 16, 1], activation="leaky_relu", seed=0)
    loss = loss_of(model, HEADS["bce"], X[:1], Y[:1])[0]
    loss.label = "loss"
    explorer = explore(loss, dataset=X)  # one box per layer: each opens into its neurons, a neuron onto its nodes
    page = Page(browser, explorer.save(tmp_path / "pass.html"))
    assert page.where() == "step 0 of 67"
    waiting = page.page.locator("#main .level:not([hidden]) g.node.wait").count()
    assert waiting == 3 + 2 + 1  # every layer box, the two inputs and bce1 (the mean's count n has no box)
    page.page.keyboard.press("End")
    assert (
        page.page.locator("#main .level:not([hidden]) g.node.wait").count() == 0
        and page.page.locator("#main .level:not([hidden]) g.edge.wait").count() == 0
    )
    page.page.keyboard.press("Home")
    for _ in range(3):
        page.page.keyboard.press("ArrowRight")
    groups = explorer.data["groups"]
    key = next(
        k
        for k, g in groups.items()  # a layer-2 neuron whose activation input is <= 0
        if g["title"].startswith("neuron 2.") and explorer.data["nodes"][g["output"]]["inputs"][0]["kind"] == "alpha"
    )
    level = f'#main .level[data-level="{key}"]'
    assert page.page.locator(level).is_hidden()
    page.box(groups[key]["parent"], SHOWN).click()  # its layer, expanded into its neurons
    page.reveal(key)
    page.box(key, SHOWN).click()
    assert page.page.evaluate("() => cur") == key and page.page.locator(level).is_visible()  # opened in place
    for member in groups[key]["members"]:  # 16 weights, bias, sum, activation, each its own box now
        assert page.box(member, within=level).count() == 1
    assert page.box(key, within=level).count() == 0
    title = groups[key]["title"]
    assert title in page.page.inner_text("#details")
    activation = groups[key]["output"]
    for _ in range(explorer.data["nodes"][activation]["ran"] - 3):
        page.page.keyboard.press("ArrowRight")
    page.box(f"n{activation}", within=level).click()
    assert "slope alpha = 0.01" in page.page.inner_text("#details")
    page.reveal(f"fold-{key}")
    page.box(f"fold-{key}", within=level).click()  # its heading folds it back
    assert page.page.evaluate("() => cur") == groups[key]["parent"] and page.page.locator(level).is_hidden()
    page.close()


def test_tensor_page_shows_a_gradient_histogram(browser, tmp_path):
    model = mlp(2, [16, 16, 1], activation="relu", seed=0)
    loss = loss_of(model, HEADS["bce"], X[:4], Y[:4])[0]
    explorer = explore(loss, group="layer")
    page = Page(browser, explorer.save(tmp_path / "pass.html"))
    page.page.keyboard.press("End")
    page.reveal("g0")
    page.box("g0", SHOWN).click()
    member = explorer.data["groups"]["g0"]["members"][-1]  # the relu output: a (4, 16) gradient
    page.box(member, within='#main .level[data-level="g0"]').click()
    details = page.page.inner_text("#details")
    assert re.search(r"shape\s+\(4, 16\)", details) and "shape shape" not in details
    assert "% of entries exactly zero" in details
    assert page.page.locator("#details svg.hist rect").count() == 10
    page.close()


HOT_NODES = "() => [...document.querySelectorAll('#code .src div.hot')].map((d) => +d.dataset.node)"
# whether every lit statement is inside the code pane's visible part (the pane scrolls; the page does not)
HOT_IN_VIEW = """() => {
  const src = document.querySelector('#code .src').getBoundingClientRect();
  const hot = document.querySelector('#code .src div.hot').getBoundingClientRect();
  return hot.top >= src.top - 1 && hot.bottom <= src.bottom + 1;
}"""


def test_code_pane_follows_the_steps_and_selects_a_node(browser, tmp_path):
    neuron = Neuron(2, "leaky_relu", alpha=0.1, seed=1)
    y = neuron([Value(-2.0, label="x1"), Value(1.0, label="x2")])
    y.label = "y"
    loss = loss_of(MLP(2, [16, 16, 1], activation="leaky_relu", seed=0), HEADS["bce"], X[:1], Y[:1])[0]
    pages = [explore(y), explore(loss, group="neuron", dataset=X)]
    paths = [explorer.save(tmp_path / f"code{i}.html") for i, explorer in enumerate(pages)]
    page = Page(browser, paths[0])
    for explorer, path in zip(pages, paths):
        page.goto(path)
        steps = explorer.data["steps"]
        assert page.page.evaluate(HOT_NODES) == []  # step 0: no closure has run
        for k in (1, 2, len(steps)):
            page.page.fill("#slider", str(k))
            hot = page.page.evaluate(HOT_NODES)
            assert hot and set(hot) == {steps[k - 1]["node"]}, k
            assert page.page.evaluate(HOT_IN_VIEW), k
        page.page.keyboard.press("Home")
        page.page.keyboard.press("ArrowRight")
        assert set(page.page.evaluate(HOT_NODES)) == {steps[0]["node"]}
        # a statement of an input of the first closure's node: clicking it selects that node
        target = explorer.data["nodes"][steps[0]["node"]]["parents"][0]
        line = page.page.locator(f"#code .src div[data-node='{target}']").first
        line.click()
        node = explorer.data["nodes"][target]
        assert page.page.inner_text("#details h2").startswith(node["name"])
        assert "picked" in (line.get_attribute("class") or "")
        box = node["group"] or f"n{target}"  # on a grouped page, the box the node is drawn in
        assert "picked" in (page.box(box, SHOWN).get_attribute("class") or "")
    page.close()
