"""The explorer as a learner first meets it, in Chromium at 1400x900, on the moons, spirals and digits pages:
the whole network in the first view with readable text, one name per node in the code and on the picture,
a number on every arrow whose step has run, details that follow the step, and boxes that open without
covering themselves or the zoom buttons.
"""

import os
import pathlib
import random
import re

import pytest
from browser import opened_pages

from tinygrad_relu import explore
from tinygrad_relu.data import load_digits, make_moons, make_spirals
from tinygrad_relu.nn import MLP, mlp
from tinygrad_relu.train import HEADS, loss_of

pytestmark = pytest.mark.slow  # a real browser


def network(data, build, sizes, head):
    """The page of one sample's loss through a fresh network, at the level the explorer picks by itself."""
    X, Y = data
    loss = loss_of(build(X.shape[1], sizes, activation="leaky_relu", seed=0), HEADS[head], X[:1], Y[:1])[0]
    loss.label = "loss"
    return explore(loss, dataset=X)


PAGES = {
    "moons": lambda: network(make_moons(seed=0), MLP, [16, 16, 1], "bce"),
    "spirals": lambda: network(make_spirals(seed=0), mlp, [16, 16, 3], "ce"),
    "digits": lambda: network(load_digits(), mlp, [64, 64, 10], "ce"),
}


@pytest.fixture(scope="module")
def pages(browser, tmp_path_factory):
    yield from opened_pages(browser, tmp_path_factory.mktemp("levels"), PAGES)


# every box of the level shown (the layers and the nodes drawn alone: the inputs, the loss), with the median pixel
# height of its text and whether it is on the stage
FIRST_VIEW = """() => {
  const stage = document.getElementById("stage").getBoundingClientRect();
  const zoom = main.pz.getSizes().realZoom;
  return boxes.filter((b) => onMain(b) && (D.groups[b.key] || /^n\\d+$/.test(b.key))).map((b) => {
    const r = b.g.getBoundingClientRect();
    const px = [...b.g.querySelectorAll("text")].map((t) => +getComputedStyle(t).fontSize.replace("px", "") * zoom)
      .sort((x, y) => x - y);
    return {key: b.key, px: px[Math.floor(px.length / 2)],
            inside: r.left >= stage.left - 1 && r.right <= stage.right + 1 && r.top >= stage.top - 1 &&
                    r.bottom <= stage.bottom + 1};
  });
}"""
# the text of the box the code pane's click picked, in the picture or in an opened view
PICKED_TEXT = """() => [...document.querySelectorAll("g.node.picked")]
  .filter((g) => g.getBoundingClientRect().width > 0).map((g) => g.textContent)"""
# an arrow: an edge with an arrowhead (one that asked for no gradient is dotted and has none)
ARROW = """(e) => onMain(e) && e.heads.length && e.heads.some((i) => D.nodes[i].ran > 0 && D.nodes[i].ran <= k) &&
  [...e.g.querySelectorAll("polygon")].some((p) => getComputedStyle(p).display !== "none")"""
UNLABELLED = f"""() => edges.filter({ARROW}).filter((e) => !e.label || !e.label.textContent.trim())
  .map((e) => e.tail + "->" + e.head)"""
LABELS = f"""() => edges.filter({ARROW}).map((e) => e.label ? e.label.textContent : null)"""
TOP_AT = """([x, y]) => {
  const el = document.elementFromPoint(x, y);
  return el ? (el.closest("g.node, button") || el).outerHTML.slice(0, 80) : "";
}"""


@pytest.mark.parametrize("name", PAGES)
def test_the_first_view_shows_every_layer_with_readable_text(pages, name):
    _, page = pages[name]
    page.settle()
    shown = page.page.evaluate(FIRST_VIEW)
    explorer, _ = pages[name]
    layers = [box for box in shown if box["key"] in explorer.data["groups"]]
    inputs = [
        box for box in shown if box["key"][0] == "n" and explorer.data["nodes"][int(box["key"][1:])]["name"][0] == "x"
    ]
    assert len(layers) >= 3 and inputs, shown  # every layer has its box, and the input is there
    assert all(box["inside"] for box in shown), shown
    assert all(box["px"] >= 11 for box in shown), shown


@pytest.mark.parametrize("name", PAGES)
def test_a_code_line_and_its_box_carry_the_same_name(pages, name):
    explorer, page = pages[name]
    lines = [(i, text) for i, (text, node, _) in enumerate(explorer.data["code"]["lines"]) if node >= 0]
    for i, _ in random.Random(29).sample(lines, 20):
        node = explorer.data["code"]["lines"][i][1]
        want = explorer.data["nodes"][node]["name"]
        line = page.page.locator("#code .src > div").nth(i)
        line.scroll_into_view_if_needed()
        line.click()
        page.settle()
        assert want in explorer.data["code"]["lines"][i][0]
        picked = page.page.evaluate(PICKED_TEXT)
        assert any(want in text for text in picked), (want, picked)
        back = page.page.evaluate(
            "(i) => [...document.querySelectorAll('#code .src div.picked')].map((d) => d.textContent)", node
        )
        assert back and all(want in text for text in back if not text.startswith("P[")), (want, back)
        assert page.page.inner_text("#details h2").startswith(want)
    page.page.evaluate("() => setLevel('')")


@pytest.mark.parametrize("name", PAGES)
def test_every_arrow_whose_step_ran_has_a_label(pages, name):
    explorer, page = pages[name]
    page.page.evaluate("() => setLevel('')")
    layers = [key for key, g in explorer.data["groups"].items() if g["expands"]]
    for level in ["", *layers[:1]]:
        page.page.evaluate("(key) => setLevel(key)", level)
        for step in range(0, explorer.steps + 1, max(1, explorer.steps // 12)):
            page.page.evaluate("(s) => go(s)", step)
            assert page.page.evaluate(UNLABELLED) == [], (level, step)
        labels = page.page.evaluate(LABELS)
        assert labels and all(labels), level
    page.page.evaluate("() => setLevel('')")


@pytest.mark.parametrize("name", PAGES)
def test_the_details_follow_the_step(pages, name):
    explorer, page = pages[name]
    page.page.evaluate("() => { setLevel(''); go(0); }")
    key = next(iter(explorer.data["groups"]))
    page.page.evaluate("(key) => groupDetails(key, false)", key)
    for step in (1, 2, 5, explorer.steps):
        page.page.evaluate("(s) => go(s)", step)
        said = re.findall(r"at step (\d+)", page.page.inner_text("#details"))
        assert said and set(said) == {str(step)}, (step, said)
    node = explorer.data["steps"][0]["node"]
    page.page.evaluate("(i) => details(i)", node)
    for step in (0, 3):
        page.page.evaluate("(s) => go(s)", step)
        # the gradient "(at step k)" is the current step's; "its closure runs at step 1" says when it will run
        assert set(re.findall(r"\(at step (\d+)\)", page.page.inner_text("#details"))) == {str(step)}


ON_STAGE = """(key) => {
  const stage = document.getElementById("stage").getBoundingClientRect();
  const r = boxes.find((b) => onMain(b) && b.key === key).g.getBoundingClientRect();
  return r.width > 0 && r.left >= stage.left && r.right <= stage.right &&
    r.top >= stage.top && r.bottom <= stage.bottom;
}"""


def test_a_neuron_opens_in_place_and_the_same_click_folds_it(pages):
    explorer, page = pages["moons"]
    page.page.evaluate("() => { setLevel(''); go(20); }")
    layer = next(key for key, g in explorer.data["groups"].items() if g["expands"])
    shown = "#main .level:not([hidden])"
    page.box(layer, shown).click()
    page.settle()
    assert page.page.evaluate("() => cur") == layer
    neuron = next(key for key, g in explorer.data["groups"].items() if g["view"] and key.startswith("u"))
    assert explorer.data["groups"][neuron]["parent"] == layer
    page.reveal(neuron)
    page.box(neuron, shown).click()
    page.settle()
    # in place: the picture with the layer open now holds the neuron's nodes where its box was, its neighbours
    # moved aside (the other neurons are still boxes), under a heading that folds it
    assert page.page.evaluate("() => cur") == neuron
    members = explorer.data["groups"][neuron]["members"]
    assert all(page.box(m, shown).count() == 1 for m in members) and page.box(neuron, shown).count() == 0
    others = [k for k, g in explorer.data["groups"].items() if g["parent"] == layer and k != neuron]
    assert all(page.box(k, shown).count() == 1 for k in others)
    heading = f"fold-{neuron}"
    assert page.page.evaluate(ON_STAGE, heading)
    for locator in (page.box(heading, shown), page.page.locator("#zoom-in"), page.page.locator("#fit")):
        r = locator.bounding_box()
        top = page.page.evaluate(TOP_AT, [r["x"] + r["width"] / 2, r["y"] + r["height"] / 2])
        assert f"<title>{heading}</title>" in top or "button" in top, top
    page.box(heading, shown).click()  # the same click folds it
    page.settle()
    assert page.page.evaluate("() => cur") == layer and page.box(neuron, shown).count() == 1
    fold = page.page.locator(f"{shown} g.node:has(> title:text-matches('^layer')) > title").first.text_content()
    page.reveal(fold)
    page.box(fold, shown).click()  # the layer's heading folds the layer
    assert page.page.evaluate("() => cur") == ""


@pytest.mark.skipif(
    not os.environ.get("TINYGRAD_RELU_SCREENSHOTS"), reason="set TINYGRAD_RELU_SCREENSHOTS=docs/explorer"
)
def test_screenshots_of_the_first_views_and_an_opened_neuron(pages):
    """The README's pictures: each page as a learner first sees it, and moons with a layer-2 neuron open."""
    folder = pathlib.Path(os.environ["TINYGRAD_RELU_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, page) in pages.items():
        page.goto(pathlib.Path(page.page.url.removeprefix("file://")))  # as a learner opens it: nothing picked
        page.settle()
        page.page.screenshot(path=str(folder / f"{name}-first-view.png"))
    explorer, page = pages["moons"]
    shown = "#main .level:not([hidden])"
    layer = next(key for key, g in explorer.data["groups"].items() if g["expands"] and "layer 2" in g["title"])
    output = next(g["output"] for g in explorer.data["groups"].values() if g["title"] == "neuron 2.8")
    page.page.evaluate("(step) => go(step)", explorer.data["nodes"][output]["ran"] + 1)
    page.box(layer, shown).click()
    neuron = next(key for key, g in explorer.data["groups"].items() if g["title"] == "neuron 2.8")
    page.reveal(neuron)
    page.box(neuron, shown).click()
    page.settle()
    page.page.screenshot(path=str(folder / "moons-neuron-open.png"))
    page.box(f"fold-{neuron}", shown).click()
    page.page.evaluate("() => setLevel('')")
