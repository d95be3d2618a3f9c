"""Hostile labels, op names and titles in Chromium: nothing runs, and the explorer page still works.

Every payload in test_page_safety.HOSTILE that could run sets ``window.__pwned`` and ``document.title``;
each page is checked for those, for event-handler attributes, ``javascript:`` values, links and elements
it has no business holding, with the explorer's details panel filled for every node and group.
"""

import pytest
from browser import Page
from test_page_safety import PWN, hostile_graph, hostile_network, hostile_tensor

from tinygrad_relu import Value, draw_graph, explore

pytestmark = pytest.mark.slow  # a real browser

# What the explorer page and dot's SVG are made of (dot's <a> carries a tooltip only, checked below).
ALLOWED = set(
    "html head meta title style body header h1 h2 h3 div span button input main aside section p b br "
    "table tbody tr td script svg g text polygon path ellipse polyline rect a".split()
)
# A report of the page: whether a payload ran, and every element or attribute that could run one.
INSPECT = """(root) => {
  const bad = [], all = (root || document).querySelectorAll("*");
  for (const el of all) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name.endsWith("href") || /^\\s*javascript:/i.test(attr.value)) {
        bad.push(`${el.localName} ${attr.name}=${attr.value}`);
      }
    }
  }
  const tags = [...new Set([...all].map((el) => el.localName))];
  return {pwned: window.__pwned ?? null, title: document.title, bad, tags};
}"""
# Every node's and every group's details, each checked as it is shown (the panel is filled by innerHTML).
ALL_DETAILS = (
    "() => { const found = [], panel = document.getElementById('details'), inspect = " + INSPECT + ";\n"
    "for (let i = 0; i < D.nodes.length; i++) { details(i); found.push(...inspect(panel).bad); }\n"
    "for (const key of Object.keys(D.groups)) { clicked(key); found.push(...inspect(panel).bad); clicked(key); }\n"
    "return found; }"
)
HOSTILE_TITLE = f'"\'><svg onload="{PWN}"><!--<script> {{{{DATA}}}}'


def assert_nothing_ran(report, title=None):
    """No payload ran, and nothing in the page could run one."""
    assert report["pwned"] is None and report["title"] != "pwned"
    assert report["bad"] == [] and set(report["tags"]) <= ALLOWED, (report["bad"], set(report["tags"]) - ALLOWED)
    if title is not None:
        assert report["title"] == title


def assert_it_steps(frame):
    """A button steps the page on, changing its caption, and the slider takes it back."""
    before = frame.inner_text("#caption")
    frame.click("#next")
    assert frame.inner_text("#where").startswith("step 1 of ") and frame.inner_text("#caption") != before
    frame.fill("#slider", "0")
    assert frame.inner_text("#where").startswith("step 0 of ") and frame.inner_text("#caption") == before


def test_hostile_text_runs_nothing_in_the_explorer_page(browser, tmp_path):
    pages = [explore(hostile_graph(), title=HOSTILE_TITLE), explore(hostile_network(), group="neuron")]
    pages.append(explore(hostile_tensor()))
    paths = [explorer.save(tmp_path / f"page{i}.html") for i, explorer in enumerate(pages)]
    page = Page(browser, paths[0])
    for explorer, path in zip(pages, paths):
        page.goto(path)
        assert_nothing_ran(page.page.evaluate(INSPECT), explorer.title)
        assert page.page.text_content("h1") == explorer.title
        assert page.page.locator("script").count() == 3  # the JSON, the pan/zoom library and the page script
        assert_it_steps(page.page)
        code, shown = explorer.data["code"], page.page.text_content("#code")  # the code pane shows it as text
        assert code["error"] in shown if "error" in code else all(line[0] in shown for line in code["lines"])
        page.page.keyboard.press("ArrowRight")
        assert page.where() == f"step 1 of {explorer.steps}"
        assert page.page.evaluate(ALL_DETAILS) == []
        page.page.keyboard.press("End")
        assert_nothing_ran(page.page.evaluate(INSPECT), explorer.title)
    page.close()


def test_hostile_text_runs_nothing_in_a_drawing(browser, tmp_path):
    drawings = [
        draw_graph(hostile_graph()),
        draw_graph(hostile_graph(), mode="backward"),
        draw_graph(hostile_network(), mode="backward", group="neuron"),
        draw_graph(hostile_tensor(), mode="backward"),
    ]
    paths = [tmp_path / f"drawing{i}.svg" for i in range(len(drawings))]
    for drawing, path in zip(drawings, paths):
        path.write_bytes(drawing.pipe(format="svg"))
    page = Page(browser, paths[0])
    for path in paths:
        page.goto(path)
        assert_nothing_ran(page.page.evaluate(INSPECT))
    page.close()


def test_hostile_text_runs_nothing_in_the_notebook_iframe(browser, tmp_path):
    explorer = explore(hostile_graph(), title=HOSTILE_TITLE)
    host = tmp_path / "notebook.html"
    host.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>notebook</title></head>'
        f"<body>{explorer._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    page = Page(browser, host)
    (inner,) = page.page.main_frame.child_frames
    assert_it_steps(inner)
    assert_nothing_ran(inner.evaluate(INSPECT), explorer.title)
    assert inner.evaluate(ALL_DETAILS) == []
    assert inner.evaluate("() => { try { return parent.document.title; } catch (e) { return 'walled off'; } }") == (
        "walled off"
    )
    host_report = page.page.evaluate(INSPECT)
    assert host_report["pwned"] is None and host_report["bad"] == [] and host_report["title"] == "notebook"
    page.close()


def test_the_policy_stops_a_script_that_slipped_through(browser, tmp_path):
    injected = f'<img src="x" onerror="{PWN}"><script>{PWN}</script><a href="javascript:{PWN}" id="go">go</a>'
    page_html = explore(Value(2.0, label="a") * Value(3.0, label="b")).html.replace("<main>", "<main>" + injected, 1)
    path = tmp_path / "slipped.html"
    path.write_text(page_html, encoding="utf-8")
    page = Page(browser, path)
    page.page.click("#go")
    assert page.page.evaluate("() => window.__pwned ?? null") is None and page.page.title() != "pwned"
    page.page.keyboard.press("ArrowRight")  # the page's own script still runs
    assert page.where().startswith("step 1 of ")
    assert page.errors and all("Content Security Policy" in error for error in page.errors), page.errors
    page.errors.clear()
    page.close()
