"""Every chapter as a learner first meets it: opened in JupyterLab, not yet run.

For each notebooks/NN_*.ipynb the test opens the stored notebook (a copy, untrusted, as on a
fresh clone before `make setup` trusts it) and, once its kernel is idle, asserts that
  - JupyterLab does not consider it modified (the file is stored exactly as JupyterLab
    writes it: see tests/test_notebook_format.py);
  - no output shows a widget's text repr (``VBox(children=(...``): each explorer shows its
    last drawing (a trusted notebook: the stored widget state, controls included; an untrusted
    one: the Explorer's image/png fallback) or a sentence telling the learner to run the cell;
  - saving it unchanged (File > Save) rewrites the file byte for byte.
"""
from __future__ import annotations

import time

import pytest
from labtools import JS_STATE, chapter_notebooks, notebooks_dir, shutdown_kernels, wait_for

pytestmark = pytest.mark.browser

JS_STORED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const repr = /^(VBox|HBox|Box|GridBox|Output|interactive)\\(/;
  const r = {dirty: w.context.model.dirty, reprs: [], views: 0, fallbacks: 0, shown: []};
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    cell.model.outputs.toJSON().forEach((o, k) => {
      const node = cell.outputArea.widgets[k] && cell.outputArea.widgets[k].node;
      const text = node ? node.innerText.trim() : '';
      if (repr.test(text)) r.reprs.push({cell: i, text: text.slice(0, 60)});
      if (!o.data || !o.data['application/vnd.jupyter.widget-view+json']) return;
      r.views += 1;
      r.shown.push({cell: i, text: text.slice(0, 60), img: !!(node && node.querySelector('img'))});
      if (node && (node.querySelector('img') || /Run this cell/.test(text))) r.fallbacks += 1;
    });
  });
  return r;
}"""


@pytest.mark.parametrize("name", chapter_notebooks())
def test_opened_chapter_is_unmodified_and_shows_no_widget_repr(name, lab_server, browser,
                                                              screenshots_dir):
    url, root = lab_server
    stored = (root / "notebooks" / name).read_bytes()
    assert stored == (notebooks_dir() / name).read_bytes()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/lab/tree/notebooks/{name}?reset", wait_until="domcontentloaded")
        wait_for(page, JS_STATE, lambda s: s.get("ready") and s.get("kernel") == "idle"
                 and s.get("path", "").endswith(name), 180, f"{name} to open, kernel idle")
        time.sleep(2)                       # kernel info and metadata updates land
        seen = page.evaluate(JS_STORED)
        if seen["shown"]:                   # what a learner sees of the first explorer
            cell = page.locator(".jp-Notebook .jp-Cell").nth(seen["shown"][0]["cell"])
            cell.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshots_dir / f"opened-{name.removesuffix('.ipynb')}.png"))
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        wait_for(page, "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                 bool, 60, f"{name} to be saved")
        time.sleep(1)
    finally:
        page.close()
        shutdown_kernels(url)
    saved = (root / "notebooks" / name).read_bytes()
    assert not seen["dirty"], f"{name}: JupyterLab marks the chapter modified on opening"
    assert not seen["reprs"], f"{name}: widget reprs shown: {seen['reprs']}"
    assert seen["fallbacks"] == seen["views"], \
        f"{name}: an explorer shows neither a drawing nor a sentence before the chapter is " \
        f"run: {seen['shown']}"
    assert saved == stored, f"{name}: saving it unchanged rewrote the file"
