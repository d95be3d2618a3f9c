// The site's equations, drawn by the vendored KaTeX (vendor/katex/), offline. The markdown pages' equations come
// from pymdownx.arithmatex in generic mode, as \( \) and \[ \] inside an element of class "arithmatex"; the
// notebooks' from their markdown cells, where Jupyter writes $ $ and $$ $$ and mkdocs-jupyter keeps them as text.
(function () {
  "use strict";
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
    { left: "$", right: "$", display: false },
  ];
  for (const element of document.querySelectorAll(".arithmatex, .jp-RenderedMarkdown")) {
    renderMathInElement(element, { delimiters: delimiters, throwOnError: false });
  }
})();
