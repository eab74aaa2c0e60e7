"""Helpers shared by the browser suite's conftest and tests (no pytest fixtures here)."""
from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# each test process writes its findings here; the root conftest.py joins them into
# artifacts/browser-report.json when the run ends
REPORT_PARTS = ROOT / "artifacts" / ".browser-report-parts"
# each chapter as Run All left it (the front end's notebook model, before any explorer moves):
# `make test` then runs nbval on these outputs (`--nbval-replay`, tools/nbval_replay.py)
# instead of executing every notebook a second time
RECORDINGS = ROOT / "artifacts" / "executed"


def notebooks_dir() -> Path:
    return Path(os.environ.get("COMPANION_BROWSER_NOTEBOOKS", ROOT / "notebooks")).resolve()


def chapter_notebooks() -> list[str]:
    """The NN_*.ipynb present now (chapters are discovered at run time, not listed)."""
    return sorted(p.name for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def notebook_seconds() -> dict[str, float]:
    """Each chapter's Run All time in a fresh kernel as `make bench` last measured it
    (benchmarks/notebook_times.json; empty if absent): the browser suite runs the longest first."""
    try:
        data = json.loads((ROOT / "benchmarks" / "notebook_times.json").read_text())
        return {n["notebook"]: float(n["seconds"]) for n in data["notebooks"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def shutdown_kernels(url: str) -> None:
    """Shut down every kernel on the test server (frees memory between notebooks)."""
    try:
        with urllib.request.urlopen(url + "/api/kernels", timeout=10) as r:
            kernels = json.load(r)
        for k in kernels:
            req = urllib.request.Request(f"{url}/api/kernels/{k['id']}", method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()
    except OSError:
        pass


# the current notebook panel: is it loaded, with a kernel, and in which state
JS_STATE = """() => {
  const app = window.jupyterapp;
  if (!app) return {ready: false};
  const w = app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.context) return {ready: false};
  const sc = w.sessionContext, k = sc.session && sc.session.kernel;
  return {ready: w.context.isReady && sc.isReady && !!k, kernel: k ? k.status : null,
          path: w.context.path};
}"""


# close every document in the main area without the "save your changes?" dialog (a chapter
# after Run All is modified; the test server's copy is never saved again)
JS_CLOSE_ALL = """() => {
  for (const w of [...window.jupyterapp.shell.widgets('main')]) {
    if (w.context && w.context.model) w.context.model.dirty = false;
    w.dispose();
  }
  return window.jupyterapp.shell.currentWidget === null;
}"""


class LabPage:
    """One JupyterLab page per test process, reused from notebook to notebook.

    Booting the JupyterLab app in a new browser context took about 5.3 s of Chromium's CPU
    (and the server's, sending it every script again); opening a notebook in the app already
    loaded, 1.2 s. So the first notebook is opened by URL (``?reset``: a fresh workspace) and
    the next ones with the app's own ``docmanager:open``; between two, ``close`` disposes the
    open documents and shuts every kernel down. After a failure the test calls ``discard``: the
    next notebook starts in a new context, as if it were the first.
    """

    VIEWPORT = {"width": 1400, "height": 1000}

    def __init__(self, browser, url: str):
        self.browser, self.url = browser, url
        self.context = self.page = None

    def ensure(self):
        """The page (a new context, at no URL yet, if there is none)."""
        if self.page is None or self.page.is_closed():
            self.context = self.browser.new_context(viewport=self.VIEWPORT)
            self.page = self.context.new_page()
        return self.page

    def open(self, name: str, timeout: float = 180):
        """Open notebooks/<name> and wait for its kernel to be idle; return the page."""
        page = self.ensure()
        if page.evaluate("() => !!window.jupyterapp"):
            page.evaluate("p => window.jupyterapp.commands.execute('docmanager:open', "
                          "{path: p}).then(() => true)", f"notebooks/{name}")
        else:
            page.goto(f"{self.url}/lab/tree/notebooks/{name}?reset",
                      wait_until="domcontentloaded")
        wait_for(page, JS_STATE, lambda s: s.get("ready") and s.get("kernel") == "idle"
                 and s.get("path", "").endswith(name), timeout,
                 f"{name} to open with an idle kernel")
        return page

    def close(self) -> None:
        """Close every open document and shut every kernel down, keeping the app loaded."""
        if self.page is not None and not self.page.is_closed():
            assert self.page.evaluate(JS_CLOSE_ALL), "a document is still open after closing all"
        shutdown_kernels(self.url)

    def discard(self) -> None:
        """Drop the page and its context (the next ``open`` starts afresh)."""
        if self.context is not None:
            try:
                self.context.close()
            except Exception:      # a crashed browser: nothing left to close
                pass
        self.context = self.page = None
        shutdown_kernels(self.url)


def wait_for(page, js, predicate, timeout, what, poll=0.5, arg=None):
    """Evaluate ``js`` until ``predicate`` holds (dialogs accepted meanwhile); return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(js, arg) if arg is not None else page.evaluate(js)
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; "
                                 f"last state: {value!r}")
        dismiss_dialogs(page)
        time.sleep(poll)


def dismiss_dialogs(page):
    """Accept a kernel-selection or similar dialog with its default button, if one is up."""
    dialog = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    if dialog.count():
        dialog.first.click()


# --- a chapter as a learner first meets it: opened in JupyterLab, not yet run ----------------
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


def check_opened(page, name: str, root: Path, screenshots_dir: Path) -> dict:
    """Checks on a chapter just opened (a copy, untrusted, as on a fresh clone before
    `make setup` trusts it), kernel idle, before anything runs:
      - JupyterLab does not consider it modified (the file is stored exactly as JupyterLab
        writes it: see tests/test_notebook_format.py);
      - no output shows a widget's text repr (``VBox(children=(...``): each explorer shows its
        last drawing (a trusted notebook: the stored widget state; an untrusted one: the
        Explorer's image/png fallback) or a sentence telling the learner to run the cell;
      - saving it unchanged (File > Save) rewrites the file byte for byte.
    A screenshot of the first explorer as opened goes to screenshots_dir/opened-<name>.png.
    Returns what it saw."""
    stored = (root / "notebooks" / name).read_bytes()
    assert stored == (notebooks_dir() / name).read_bytes()
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
    saved = (root / "notebooks" / name).read_bytes()
    assert not seen["dirty"], f"{name}: JupyterLab marks the chapter modified on opening"
    assert not seen["reprs"], f"{name}: widget reprs shown: {seen['reprs']}"
    assert seen["fallbacks"] == seen["views"], \
        f"{name}: an explorer shows neither a drawing nor a sentence before the chapter is " \
        f"run: {seen['shown']}"
    assert saved == stored, f"{name}: saving it unchanged rewrote the file"
    return {"widget_views": seen["views"], "fallbacks": seen["fallbacks"]}
