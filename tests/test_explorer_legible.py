"""The explorer a learner can read, measured in Chromium at 1400x900 on the three pages the README shows: the
moons network as the CLI draws it (its layers, each opening into its neurons), the spirals Tensor network, and
the 3-step neuron y = leaky_relu(w x + b).

First view: box text at least 11 px high. After every step the current node's box is on the stage. Every edge
that carried a gradient has its arrowhead at the receiving input (the tail of the forward edge); every caption
names only nodes whose names are drawn; clicks at the centre and near the corners of sampled boxes select
them; no text leaves its box (or its record field) at any step. One browser for the module.
"""

import os
import pathlib
import re

import pytest
from browser import opened_pages

from tinygrad_relu import Value, explore
from tinygrad_relu.data import make_moons, make_spirals
from tinygrad_relu.nn import MLP, mlp
from tinygrad_relu.train import HEADS, loss_of

SHOWN = "#main .level:not([hidden])"  # the picture on the stage: its level as shown
pytestmark = pytest.mark.slow


def network_page(make, build, sizes, head):
    """The page of one sample's loss through a fresh network, at the level the CLI opens it on."""
    X, Y = make(seed=0)
    loss = loss_of(build(2, sizes, activation="leaky_relu", seed=0), HEADS[head], X[:1], Y[:1])[0]
    loss.label = "loss"
    return explore(loss, group="auto", dataset=X)


def moons_page():
    return network_page(make_moons, MLP, [16, 16, 1], "bce")


def spirals_page():
    return network_page(make_spirals, mlp, [16, 16, 3], "ce")


def three_step_page():
    w, x, b = Value(-3.0, "w"), Value(2.0, "x"), Value(1.0, "b")
    n = w * x + b
    n.label = "n"
    y = n.leaky_relu(alpha=0.1)
    y.label = "y"
    return explore(y)


PAGES = {"moons": moons_page, "spirals": spirals_page, "three": three_step_page}


@pytest.fixture(scope="module")
def pages(browser, tmp_path_factory):
    """Each page built once, saved, and opened in its own tab of the module's browser."""
    yield from opened_pages(browser, tmp_path_factory.mktemp("pages"), PAGES)


# The in-page measures. Every function of the page's script (go, onStage, boxes, D, pz ...) is global.
FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
TEXT_HEIGHTS = """() => {
  const stage = document.getElementById("stage").getBoundingClientRect();
  const heights = [];
  for (const t of document.querySelectorAll("#main g.node text")) {
    const r = t.getBoundingClientRect();
    if (r.width && r.right > stage.left && r.left < stage.right && r.bottom > stage.top && r.top < stage.bottom) {
      heights.push(+getComputedStyle(t).fontSize.replace("px", "") * main.pz.getSizes().realZoom);
    }
  }
  return heights;
}"""
CURRENT_ON_STAGE = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const outside = [];
  for (let step = 1; step <= N; step++) {
    go(step);
    await frame();
    const hot = [...document.querySelectorAll("#main .level:not([hidden]) g.node.hot")];
    const stage = document.getElementById("main").getBoundingClientRect();
    if (!hot.length) outside.push([step, "nothing lit"]);
    for (const g of hot) {
      const r = g.getBoundingClientRect();
      if (r.left < stage.left || r.right > stage.right || r.top < stage.top || r.bottom > stage.bottom) {
        outside.push([step, g.querySelector("title").textContent]);
      }
    }
  }
  return outside;
}"""
ARROWHEADS = """(within) => {
  const wrong = [], seen = [];
  const boxOf = (svg, key) => [...svg.querySelectorAll("g.node")]
    .find((g) => g.querySelector("title").textContent === key);
  const centre = (b) => [b.x + b.width / 2, b.y + b.height / 2];
  const gap = (p, b) => Math.hypot(Math.max(b.x - p[0], 0, p[0] - b.x - b.width),
                                   Math.max(b.y - p[1], 0, p[1] - b.y - b.height));
  for (const svg of document.querySelectorAll(within + " svg")) {
    for (const e of svg.querySelectorAll("g.edge")) {
      const head = e.querySelector("polygon");
      if (!head || getComputedStyle(head).display === "none") continue;  // no arrowhead: carried nothing
      const [tail, to] = e.querySelector("title").textContent.split("->");
      const a = boxOf(svg, tail), b = boxOf(svg, to);
      if (!a || !b) continue;
      const p = centre(head.getBBox());
      seen.push(tail + "->" + to);
      if (gap(p, a.getBBox()) > gap(p, b.getBBox())) wrong.push(tail + "->" + to);
    }
  }
  return {wrong, seen: seen.length};
}"""
WAITING_EDGES_HEADLESS = """() => [...document.querySelectorAll("#main g.edge.wait polygon")]
  .filter((p) => getComputedStyle(p).display !== "none").length"""
# an empty details panel
CLEAR = """() => { document.getElementById("details").innerHTML = ""; }"""
DRAWN_TEXT = """(within) => [...document.querySelectorAll(within + " svg text")].map((t) => t.textContent)"""
OVERFLOW = """async (within) => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const out = [];
  const cell = (g, p) => {  // the record field (or the whole box) around point p, from graphviz's separators
    const shape = g.querySelector("polygon, path, ellipse").getBBox();
    let [l, r, t, b] = [shape.x, shape.x + shape.width, shape.y, shape.y + shape.height];
    for (const line of g.querySelectorAll("polyline")) {
      const pts = line.getAttribute("points").trim().split(/\\s+/).map((s) => s.split(",").map(Number));
      const [[x1, y1], [x2, y2]] = [pts[0], pts[pts.length - 1]];
      if (Math.abs(x1 - x2) < 0.5 && p[1] > Math.min(y1, y2) && p[1] < Math.max(y1, y2)) {
        if (x1 < p[0]) l = Math.max(l, x1); else r = Math.min(r, x1);
      } else if (Math.abs(y1 - y2) < 0.5 && p[0] > Math.min(x1, x2) && p[0] < Math.max(x1, x2)) {
        if (y1 < p[1]) t = Math.max(t, y1); else b = Math.min(b, y1);
      }
    }
    return [l, r, t, b];
  };
  for (let step = 0; step <= N; step++) {
    go(step);
    await frame();
    for (const g of document.querySelectorAll(within + " g.node")) {
      if (!g.querySelector("polygon, path, ellipse") || g.querySelector("title").textContent.startsWith("s")) continue;
      if (["legend", "seed"].includes(g.querySelector("title").textContent)) continue;
      for (const t of g.querySelectorAll("text")) {
        const box = t.getBBox();
        if (!box.width) continue;
        const [l, r, top, bottom] = cell(g, [box.x + box.width / 2, box.y + box.height / 2]);
        if (box.x < l - 1 || box.x + box.width > r + 1) {
          out.push([step, t.textContent, +(box.width - (r - l)).toFixed(1)]);
        }
      }
    }
  }
  go(0);
  return out;
}"""


@pytest.mark.parametrize("name", PAGES)
def test_first_view_text_is_at_least_11_px(pages, name):
    _, page = pages[name]
    page.page.evaluate("() => { go(0); readable(); }")
    page.settle()
    heights = page.page.evaluate(TEXT_HEIGHTS)
    assert heights and min(heights) >= 11, (name, min(heights, default=None))


@pytest.mark.parametrize("name", PAGES)
def test_every_step_keeps_the_current_node_on_the_stage(pages, name):
    _, page = pages[name]
    page.page.evaluate("() => { go(0); readable(); }")
    assert page.page.evaluate(CURRENT_ON_STAGE) == []


@pytest.mark.parametrize("name", PAGES)
def test_every_gradient_arrow_points_at_the_input_that_received_it(pages, name):
    explorer, page = pages[name]
    page.page.evaluate("() => go(1)")
    assert page.page.evaluate(WAITING_EDGES_HEADLESS) == 0  # a forward edge has no arrowhead
    page.page.evaluate("() => go(N)")
    found = page.page.evaluate(ARROWHEADS, SHOWN)
    assert found["wrong"] == [] and found["seen"] > 0
    if explorer.data["groups"]:  # and inside an open group
        key = sorted(explorer.data["groups"])[-2]
        page.page.evaluate("(key) => clicked(key)", key)
        found = page.page.evaluate(ARROWHEADS, f'#main .level[data-level="{key}"]')
        page.page.evaluate("(key) => clicked(key)", key)
        assert found["wrong"] == [] and found["seen"] > 0


@pytest.mark.parametrize("name", PAGES)
def test_captions_name_only_what_is_drawn(pages, name):
    explorer, page = pages[name]
    drawn = " | ".join(page.page.evaluate(DRAWN_TEXT, "body"))  # every picture: the levels and the opened boxes
    for step in explorer.data["steps"]:
        text = step["caption"]
        assert "closure #" not in text and "shape shape" not in text
        assert explorer.data["nodes"][step["node"]]["name"] in text  # the node that ran, by its one name
        for mentioned in step["mentions"]:
            assert mentioned in drawn, (text, mentioned)
    names = {node["name"] for node in explorer.data["nodes"]}
    for step in explorer.data["steps"][:3]:  # the first captions a learner reads say everything in words
        text = step["caption"]
        assert not re.findall(r"\bv\d+\b", text), text
        # a or b standing for a number (not the article "a", not a node a learner named b)
        symbols = [m for m in re.findall(r"\b([ab])\b(?!\s+[a-z]{2,})", text) if m not in names]
        assert not symbols, text


@pytest.mark.parametrize("name", PAGES)
def test_a_click_anywhere_in_a_box_selects_it(pages, name):
    explorer, page = pages[name]
    page.page.evaluate("() => go(0)")
    keys = page.page.evaluate("() => boxes.filter((b) => b.main && /^[ng]\\d+$/.test(b.key)).map((b) => b.key)")
    sample = sorted(set(keys[:: max(1, len(keys) // 5)] + keys[-1:]))
    for key in sample:
        page.reveal(key)
        title = page.box(key, SHOWN).locator("title")
        box = page.box(key, SHOWN).bounding_box()
        inset_x, inset_y = min(10, box["width"] / 4), min(8, box["height"] / 4)
        points = [
            (box["width"] / 2, box["height"] / 2),
            (inset_x, inset_y),
            (box["width"] - inset_x, inset_y),
            (inset_x, box["height"] - inset_y),
            (box["width"] - inset_x, box["height"] - inset_y),
        ]
        if key.startswith("g"):
            expected = explorer.data["groups"][key]["title"]
        else:
            expected = explorer.data["nodes"][int(key[1:])]["name"]
        for x, y in points:
            page.page.evaluate(CLEAR)
            page.page.mouse.click(box["x"] + x, box["y"] + y)
            heading = page.page.inner_text("#details h2") if page.page.locator("#details h2").count() else ""
            assert heading.startswith(expected), (key, x, y, heading, title.text_content())
    page.page.evaluate(CLEAR)


@pytest.mark.parametrize("name", PAGES)
def test_no_text_leaves_its_box_at_any_step(pages, name):
    explorer, page = pages[name]
    assert page.page.evaluate(OVERFLOW, SHOWN) == []
    for key in sorted(explorer.data["groups"])[-2:]:  # two boxes opened in place too
        page.page.evaluate("(key) => clicked(key)", key)
        assert page.page.evaluate(OVERFLOW, f'#main .level[data-level="{key}"]') == [], key
        page.page.evaluate("(key) => clicked(key)", key)


SHOTS = os.environ.get("TINYGRAD_RELU_SCREENSHOTS")  # a folder: docs/explorer makes the docs' screenshots


@pytest.mark.skipif(not SHOTS, reason="set TINYGRAD_RELU_SCREENSHOTS=docs/explorer to write the screenshots")
@pytest.mark.parametrize("name", PAGES)
def test_screenshots_at_the_start_midway_and_the_end(pages, name):
    """Each page at step 0, half-way (the current node's details open) and the end (a group open, if any)."""
    explorer, page = pages[name]
    folder = pathlib.Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    middle = explorer.steps // 2
    page.goto(pathlib.Path(page.page.url.removeprefix("file://")))  # as a learner opens it: nothing picked
    page.page.evaluate("() => { go(0); readable(); }")
    page.settle()
    page.page.screenshot(path=str(folder / f"{name}-step-0.png"))
    page.page.evaluate("(step) => { go(step); details(D.steps[step - 1].node); }", middle)
    page.settle()
    page.page.screenshot(path=str(folder / f"{name}-step-{middle}.png"))
    page.page.evaluate("() => go(N)")
    groups = explorer.data["groups"]
    if groups:
        key = sorted(groups, key=lambda k: int(k[1:]))[-2]  # the last hidden layer's last box
        page.page.evaluate("(key) => clicked(key)", key)
        page.page.evaluate("(i) => details(i)", groups[key]["output"])
    else:
        page.page.evaluate("(i) => details(i)", 0)
    page.settle()
    page.page.screenshot(path=str(folder / f"{name}-step-{explorer.steps}.png"))
    page.page.evaluate(CLEAR)
