"""Nothing in a label, an op name or a title becomes markup, in the explorer page or in a drawing.

The hostile texts here are also what the browser test (test_page_safety_browser.py) feeds to Chromium.
"""

import html
import json
import re
import xml.etree.ElementTree as ET

import pytest

from tinygrad_relu import Tensor, Value, draw_graph, explore
from tinygrad_relu.nn import MLP
from tinygrad_relu.viz.page import content_security_policy, fill, script_hash, script_json, template

TEMPLATE = template("explorer.html")  # with the vendored pan/zoom library inlined, as explore() fills it
PWN = "window.__pwned=1;document.title='pwned'"
LONG = "long " * 1000
HOSTILE = [
    f'<img src=x onerror="{PWN}">',
    f'<<table><tr><td href="javascript:{PWN}">click</td></tr></table>>',  # graphviz HTML: a link in the SVG
    f'<a href="javascript:{PWN}">click</a>',
    "<b>bold</b>",  # a well-formed graphviz HTML label; malformed ones made dot fail
    "<!--<script>",
    f"</script><script>{PWN}</script>",
    f'"\'><svg onload="{PWN}">',
    "{{7*7}} ${7*7} {{DATA",
    *sorted(set(re.findall(r"\{\{[A-Z]+\}\}", TEMPLATE))),  # the template's own placeholders
    LONG,
    "∂loss/∂w — 重み ✓ 🙂 שלום",
    "line\u2028separator\u2029paragraph",
    'back\\slash \\N \\G \\l "quoted" \\" ends in\\',
    "&lt;b&gt; &amp; & &#60;",
]


def hostile_graph() -> Value:
    """A sum of custom ops, each named by one hostile text and fed by a leaf labelled with another."""
    total = Value(0.0, label=HOSTILE[0])
    for i, text in enumerate(HOSTILE):
        leaf = Value(float(i + 1), label=HOSTILE[-1 - i])
        total = total + Value.custom_op(2.0 * leaf.data, [leaf], lambda g: 2.0 * g, op=text)
    total.label = "{{DATA}}"  # the root's label goes into the page's title
    return total


def hostile_network() -> Value:
    """A small network whose inputs carry hostile labels: its grouped views show them as stubs."""
    model = MLP(2, [3, 1], activation="leaky_relu", seed=0)
    return model([Value(1.0, label=HOSTILE[0]), Value(-1.0, label=HOSTILE[6])])


def hostile_tensor() -> Tensor:
    """A Tensor graph through a custom op with a hostile name."""
    x = Tensor([[1.0, -2.0]], requires_grad=True)
    x.label = HOSTILE[1]
    y = Tensor.custom_op(x.data * 3.0, [x], lambda g: g * 3.0, op=HOSTILE[2])
    return y.sum()


def svg_texts(svg: str) -> str:
    """All the text an SVG shows (its <text> elements and tooltips), one per line, as a reader sees it."""
    root = ET.fromstring(svg)
    shown = ["".join(element.itertext()) for element in root.iter("{http://www.w3.org/2000/svg}text")]
    shown += [v for element in root.iter() for k, v in element.attrib.items() if k.endswith("}title")]
    return "\n".join(shown)


def assert_plain_svg(svg: str) -> None:
    """An SVG from dot with no link, no script and no event handler anywhere."""
    root = ET.fromstring(svg)
    tags = {element.tag.split("}")[-1] for element in root.iter()}
    assert tags <= {"svg", "g", "title", "text", "polygon", "path", "ellipse", "polyline", "a"}, tags
    for element in root.iter():
        for key, value in element.attrib.items():
            assert not key.split("}")[-1].lower().startswith("on"), (key, value)
            assert "javascript" not in value.lower(), (key, value)
            if key.endswith("}href"):  # graphviz makes an <a> only for a tooltip, never with a target
                pytest.fail(f"a link to {value!r}")


def page_parts(page: str) -> tuple[str, str, str]:
    """The page's HTML before its JSON block, the JSON text, and the HTML after it."""
    before, rest = page.split('<script type="application/json" id="data">', 1)
    data, after = rest.split("</script>", 1)
    return before, data, after


# -- item 1: one-pass template, JSON escaped for <script>


def test_a_placeholder_in_a_label_or_the_title_stays_text():
    root = hostile_graph()
    for title in (None, "{{DATA}} {{MAIN}} {{VIEWS}} {{TITLE}} {{CSP}}"):
        page = explore(root, title=title)
        before, data, after = page_parts(page.html)
        assert re.search(r"<h1>(.*?)</h1>", before, flags=re.S).group(1) == html.escape(page.title)
        assert re.search(r"<title>(.*?)</title>", before, flags=re.S).group(1) == html.escape(page.title)
        assert '"steps":' not in before + after and before.count("<svg") == 1  # the data and the picture once
        assert json.loads(data) == page.data


def test_json_in_the_script_block_cannot_end_or_change_it():
    page = explore(hostile_graph())
    _, data, _ = page_parts(page.html)
    assert not set(data) & set("<>&\u2028\u2029")
    assert json.loads(data) == page.data
    labels = {node["label"] for node in page.data["nodes"]}
    assert "<!--<script>" in labels and f"</script><script>{PWN}</script>" in labels
    assert script_json({"a": "<\u2028>&"}) == '{"a":"\\u003c\\u2028\\u003e\\u0026"}'


def test_fill_replaces_every_placeholder_once():
    assert fill("{{A}}-{{B}}-{{A}}", {"A": "{{B}}", "B": "x"}) == "{{B}}-x-{{B}}"
    with pytest.raises(KeyError, match="C"):
        fill("{{C}}", {})


# -- item 2: every text reaching graphviz is text


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_draw_graph_shows_hostile_labels_and_op_names_as_text(mode):
    svg = draw_graph(hostile_graph(), mode=mode).pipe(format="svg").decode("utf-8")
    assert_plain_svg(svg)
    shown = svg_texts(svg)
    for text in HOSTILE:
        assert text.replace("\u2028", "").replace("\u2029", "") in shown.replace("\u2028", "").replace("\u2029", "")


def test_grouped_drawings_and_tensor_graphs_show_hostile_text_as_text():
    for drawing in (
        draw_graph(hostile_network(), mode="backward", group="neuron"),
        draw_graph(hostile_tensor(), mode="backward"),
    ):
        assert_plain_svg(drawing.pipe(format="svg").decode("utf-8"))


def test_explore_draws_hostile_text_as_text():
    for page in (explore(hostile_graph()), explore(hostile_network(), group="neuron"), explore(hostile_tensor())):
        for svg in re.findall(r"<svg.*?</svg>", page_parts(page.html)[0], flags=re.S):
            assert_plain_svg(svg)
    title = f'<<table><tr><td href="javascript:{PWN}">t</td></tr></table>>'
    page = explore(hostile_graph(), title=title)
    (main,) = re.findall(r"<svg.*?</svg>", page_parts(page.html)[0], flags=re.S)
    assert_plain_svg(main)
    assert title in svg_texts(main)


# -- item 4: a Content-Security-Policy and a sandboxed iframe


def test_the_page_allows_only_its_own_script():
    page = explore(hostile_graph()).html
    (policy,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert page.index("Content-Security-Policy") < page.index("<title>")  # in force before anything else
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'" and rules["style-src"] == "'unsafe-inline'"
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2 and "svg-pan-zoom v3.6.2" in scripts[0]  # the vendored library, then the page's
    assert rules["script-src"] == " ".join(map(script_hash, scripts))
    assert policy == content_security_policy(TEMPLATE)


def test_a_placeholder_inside_a_script_is_refused():
    with pytest.raises(ValueError, match="inline script"):
        content_security_policy("<script>let x = '{{DATA}}';</script>")


def test_the_notebook_iframe_is_sandboxed_without_same_origin():
    page = explore(hostile_graph(), title=f'"><script>{PWN}</script>')
    frame = page._repr_html_()
    assert re.fullmatch(r'<iframe srcdoc="[^"]*" [^<>]*></iframe>', frame)
    assert ' sandbox="allow-scripts" ' in frame and "same-origin" not in frame
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == page.html


def test_a_lone_surrogate_in_a_label_or_title_is_shown_escaped_not_a_crash(tmp_path):
    from tinygrad_relu import Value, draw_graph, explore

    x = Value(1.0, "x\ud800")
    page = explore(x * 2.0, title="t\udfff")
    assert "\\ud800" in page.save(tmp_path / "page.html").read_text(encoding="utf-8")  # the label, in the details
    # the picture calls the node by its ASCII name (x_), as the code does
    assert ">x_<" in draw_graph(x * 2.0, mode="backward").pipe(format="svg", encoding="utf-8")


def test_a_node_whose_parent_asks_no_gradient_is_drawn_and_explored():
    from tinygrad_relu import Tensor, draw_graph, explore
    from tinygrad_relu.losses import mse_loss

    loss = mse_loss(Tensor([[1.0]], requires_grad=True), [[0.0]])  # the target's edge carries no gradient
    assert explore(loss).steps == 1
    assert "none" in draw_graph(loss, mode="backward").source
