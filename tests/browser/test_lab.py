"""Every chapter as a learner meets it: JupyterLab in Chromium, Run All, then each explorer moved.

For each notebooks/NN_*.ipynb (discovered at run time) the test opens the notebook in the
real JupyterLab front end (the test process's one page, where the chapter before it was
closed: labtools.LabPage) and checks it as stored (labtools.check_opened: not marked modified,
no widget shown as its text repr, saved unchanged byte for byte), then clears it and runs all
cells, waits for the kernel to go idle and asserts:
  - every non-empty code cell ran and no cell shows an error output;
  - every widget rendered: no "Error displaying widget", no widget left as its text repr
    (the sign of a missing front-end extension), at least one companion Explorer displayed;
  - for each Explorer, moving its first control (slider one step, next dropdown option, ...)
    changes what it draws (its output area: summary line and figure), with no traceback.
Run All runs in nbval's environment (progress bars off) and what it leaves is recorded in
artifacts/executed/ for nbval (`make test`: --nbval-replay); the bars are then switched on for
the explorers, and test_training_progress_bar_renders checks fit's bar in a scratch notebook.
A screenshot per chapter goes to artifacts/screenshots/<notebook>.png, findings (cells,
widgets, progress bars seen, stderr, console errors, times) to artifacts/browser-report.json.
"""
from __future__ import annotations

import time

import nbformat
import pytest
from labtools import (
    JS_STATE,
    RECORDINGS,
    chapter_notebooks,
    check_opened,
    wait_for,
)

pytestmark = pytest.mark.browser

RUN_TIMEOUT_S = 600          # one notebook, Run All (the target is 60 s on 2 idle cores)
EXPLORER_TIMEOUT_S = 240     # one explorer redraw after a control moved (some train a model)

JS_INSTALL_PROBES = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  window.jupyterapp.shell.activateById(w.id);
  window.jupyterapp.shell.collapseLeft();
  const k = w.sessionContext.session.kernel;
  window.__busy = 0;
  k.statusChanged.connect((_, s) => { if (s === 'busy') window.__busy += 1; });
  window.__bars = 0;
  window.__barTexts = [];
}"""

# Count the progress bars that appear from now on (installed only once bars can appear: a scan
# of the notebook's DOM on every mutation would cost CPU during a Run All that shows none)
JS_WATCH_BARS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const seen = new WeakSet();
  new MutationObserver(() => {
    for (const el of w.node.querySelectorAll('.widget-hprogress, .widget-vprogress')) {
      if (!seen.has(el)) {
        seen.add(el); window.__bars += 1;
        // what the bar says a moment later (tqdm: "epochs:  40%|... 24/60 [00:01<00:02, ...]")
        setTimeout(() => { const box = el.parentElement;
          if (box && window.__barTexts.length < 5) window.__barTexts.push(box.innerText.trim().replace(/\\s+/g, ' ')); }, 400);
      }
    }
  }).observe(w.node, {childList: true, subtree: true});
}"""

JS_RUN_ALL = """async () => {
  const app = window.jupyterapp;
  await app.commands.execute('notebook:clear-all-cell-outputs');
  window.__run = 'running';
  app.commands.execute('notebook:run-all-cells').then(
    r => { window.__run = 'done'; }, e => { window.__run = 'failed: ' + e; });
}"""

# what the front end holds after Run All, as nbformat JSON (the notebook model's toJSON)
JS_NOTEBOOK = "() => window.jupyterapp.shell.currentWidget.content.model.toJSON()"

# progress bars on, for the explorers (Run All ran with COMPANION_PROGRESS=0, as nbval does)
JS_BARS_ON = """async () => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  await k.requestExecute({code: "import os; os.environ['COMPANION_PROGRESS'] = '1'",
                          silent: true, store_history: false}).done;
}"""

JS_CELLS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const r = {code: 0, unexecuted: [], errors: [], stderr: [], pending: 0, widget_views: 0};
  w.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code' || !c.model.sharedModel.getSource().trim()) return;
    r.code += 1;
    if (c.model.executionCount === null) r.unexecuted.push(i);
    const prompt = c.node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) r.pending += 1;
    for (const o of c.model.outputs.toJSON()) {
      if (o.data && o.data['application/vnd.jupyter.widget-view+json']) r.widget_views += 1;
      if (o.output_type === 'error')
        r.errors.push({cell: i, error: o.ename + ': ' + String(o.evalue).slice(0, 400)});
      if (o.output_type === 'stream' && o.name === 'stderr') {
        const t = Array.isArray(o.text) ? o.text.join('') : String(o.text);
        r.stderr.push({cell: i, text: t.slice(0, 300)});
      }
    }
  });
  return r;
}"""

JS_WIDGETS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.node;
  const views = [...nb.querySelectorAll('.jp-OutputArea-output')].filter(
    o => !o.parentElement.closest('.jupyter-widgets') && o.querySelector('.jupyter-widgets'));
  const repr = /^(VBox|HBox|Box|GridBox|IntSlider|FloatSlider|FloatLogSlider|IntRangeSlider|Dropdown|Output|Button|HTML|Label|Tab|Accordion|interactive|FloatProgress|IntProgress|Checkbox|ToggleButtons|RadioButtons|SelectionSlider)\\(/;
  const fallbacks = [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="text/plain"]')]
    .filter(e => repr.test(e.innerText.trim())).map(e => e.innerText.trim().slice(0, 80));
  return {rendered: views.length,
          errors: (nb.innerText.match(/Error displaying widget[^\\n]*/g) || []),
          loading: (nb.innerText.match(/Loading widget/g) || []).length,
          fallbacks: fallbacks,
          explorers: nb.querySelectorAll('.companion-explorer').length};
}"""

# A fingerprint of what one explorer shows: its text and a hash of every image it draws.
JS_EXPLORER_SIG = """(el) => {
  const out = el.querySelector('.companion-explorer-output');
  if (!out) return null;
  let h = 2166136261;
  const add = s => { for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i);
                                                         h = Math.imul(h, 16777619); } };
  for (const img of out.querySelectorAll('img')) add(img.src);
  for (const svg of out.querySelectorAll('svg')) add(svg.outerHTML);
  return {text: out.innerText.trim(), images: out.querySelectorAll('img, svg').length,
          hash: (h >>> 0).toString(16),
          tracebacks: out.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
          errorText: (out.innerText.match(/Traceback|Error displaying widget/g) || []).length};
}"""


# Share of "inked" (non-white) pixels in each figure an explorer shows: a redraw that comes
# out blank or half-drawn (as it once did in JupyterLab but not headless) has almost none.
JS_INK = """async (el) => {
  const imgs = [...el.querySelectorAll('.companion-explorer-output img')];
  const ink = [];
  for (const img of imgs) {
    if (!img.complete) await new Promise(r => { img.onload = r; img.onerror = r; });
    const w = img.naturalWidth, h = img.naturalHeight;
    if (!w || !h) { ink.push(0); continue; }
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, w, h).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (d[i + 3] > 32 && (d[i] < 225 || d[i + 1] < 225 || d[i + 2] < 225)) n += 1;
    ink.push(n / (w * h));
  }
  return ink;
}"""


def _open(lab, name):
    page = lab.open(name)
    page.evaluate(JS_INSTALL_PROBES)
    return page


def _kernel_idle(page) -> bool:
    return page.evaluate(JS_STATE).get("kernel") == "idle"


def _run_all(page, name) -> dict:
    page.evaluate(JS_RUN_ALL)
    wait_for(page, "() => window.__run", lambda r: r != "running", RUN_TIMEOUT_S,
          f"Run All to finish in {name}", poll=1.0)
    wait_for(page, JS_STATE, lambda s: s.get("kernel") == "idle", 120, "the kernel to go idle")
    cells = wait_for(page, JS_CELLS, lambda c: c["pending"] == 0, 60, "no cell left pending")
    # let widget views attach (rendering is asynchronous after the last message)
    wait_for(page, JS_WIDGETS, lambda w: w["loading"] == 0, 60, "widgets to finish loading")
    return cells


def _record(page, name) -> None:
    """Write the notebook as Run All left it to RECORDINGS/<name> (for nbval's replay)."""
    RECORDINGS.mkdir(parents=True, exist_ok=True)
    nb = page.evaluate(JS_NOTEBOOK)
    for cell in nb["cells"]:
        if cell.get("attachments", {}) is None:      # the model's "no attachments"
            del cell["attachments"]
    nb = nbformat.from_dict(nb)
    tmp = RECORDINGS / (name + ".part")
    nbformat.write(nb, tmp)
    tmp.replace(RECORDINGS / name)          # whole or absent: never half a recording


def _move(control, kind: str, page) -> str:
    """Move one control the way a learner would; return a description, or '' if unmovable."""
    if kind == "slider":
        handle = control.locator(".noUi-handle").first
        readout = control.locator(".widget-readout").first
        before = readout.inner_text()
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        if readout.inner_text() == before:     # at its maximum: step the other way
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(300)
        after = readout.inner_text()
        return f"slider {before} -> {after}" if after != before else ""
    if kind == "dropdown":
        select = control.locator("select").first
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex] ? s.selectedIndex : -1")
        if len(options) < 2:
            return ""
        target = (current + 1) % len(options)
        select.select_option(index=target)
        return f"dropdown -> {options[target]!r}"
    if kind == "number":
        box = control.locator("input").first
        before = box.input_value()
        box.focus()
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Enter")
        box.blur()
        return f"number {before} -> {box.input_value()}"
    if kind == "text":
        box = control.locator("input, textarea").first
        before = box.input_value()
        if not before:
            return ""
        box.focus()
        page.keyboard.press("End")
        page.keyboard.press("Backspace")        # e.g. a typo 'kingg' -> 'king'
        page.keyboard.press("Enter")
        box.blur()
        return f"text {before!r} -> {box.input_value()!r}"
    if kind == "checkbox":
        control.locator("input[type=checkbox]").first.click()
        return "checkbox toggled"
    if kind == "buttons":
        buttons = control.locator("button:not(.mod-active)")
        if not buttons.count():
            return ""
        label = buttons.first.inner_text()
        buttons.first.click()
        return f"toggle -> {label!r}"
    if kind == "radio":
        radios = control.locator("input[type=radio]:not(:checked)")
        if not radios.count():
            return ""
        radios.first.check()
        return "radio moved"
    return ""


def _kind(classes: str) -> str:
    c = classes.split()
    if "widget-slider" in c or "widget-hslider" in c or "widget-vslider" in c:
        return "slider"
    if "widget-dropdown" in c:
        return "dropdown"
    if "widget-checkbox" in c:
        return "checkbox"
    if "widget-toggle-buttons" in c:
        return "buttons"
    if "widget-radio" in c:
        return "radio"
    if "widget-textarea" in c:
        return "text"
    if "widget-text" in c:
        return "text?"       # Text, or IntText / FloatText (an <input type=number>)
    return ""


def _await_redraw(page, explorer, before: dict, busy0: int):
    """The explorer's new signature once the kernel handled the change; None if unchanged."""
    deadline = time.monotonic() + 20
    while page.evaluate("() => window.__busy") <= busy0:    # the change reaches the kernel
        if time.monotonic() > deadline:
            return None
        page.wait_for_timeout(200)
    deadline, idle_since = time.monotonic() + EXPLORER_TIMEOUT_S, None
    while time.monotonic() < deadline:
        page.wait_for_timeout(300)
        if not _kernel_idle(page):
            idle_since = None
            continue
        sig = explorer.evaluate(JS_EXPLORER_SIG)
        if sig != before and sig["text"]:
            page.wait_for_timeout(300)         # let the last output of the redraw attach
            return explorer.evaluate(JS_EXPLORER_SIG)
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > 5:
            return None
    return None


def _exercise_explorer(page, explorer, index: int, notes: list) -> str:
    """Move the first movable control (sliders, dropdowns... before free text) and check that the
    explorer's drawing changes: after Run All, an explorer must answer its first control."""
    explorer.scroll_into_view_if_needed()
    before = explorer.evaluate(JS_EXPLORER_SIG)
    assert before is not None, f"explorer {index}: no output area"
    assert before["tracebacks"] == 0 and before["errorText"] == 0, \
        f"explorer {index} shows an error before any control moved: {before['text'][:300]}"
    ink_before = sum(explorer.evaluate(JS_INK))
    if before["images"] == 0:
        notes.append(f"explorer {index} showed no figure after Run All: {before['text'][:200]!r}")
    controls = explorer.locator(".companion-explorer-control")
    found = []
    for j in range(controls.count()):
        kind = _kind(controls.nth(j).get_attribute("class") or "")
        if kind == "text?":
            number = controls.nth(j).locator("input[type=number]").count()
            kind = "number" if number else "text"
        found.append((j, kind))
    # sliders, dropdowns... first; editing free text is the last resort
    found.sort(key=lambda jk: jk[1] == "text")
    tried = []
    for j, kind in found:
        control = controls.nth(j)
        busy0 = page.evaluate("() => window.__busy")
        moved = _move(control, kind, page) if kind else ""
        if not moved:
            tried.append(f"control {j} ({kind or 'not movable by the test'})")
            continue
        run = explorer.locator(".companion-explorer-run")
        if run.count():
            run.first.click()
        changed = _await_redraw(page, explorer, before, busy0)
        if changed is None:
            # after Run All, the first control a learner can move must change the drawing
            raise AssertionError(f"explorer {index}: moving its first control ({moved}) changed "
                                 "nothing it draws" + (f" (skipped: {'; '.join(tried)})"
                                                       if tried else ""))
        assert changed["tracebacks"] == 0 and changed["errorText"] == 0, \
            f"explorer {index}: {moved} raised in its callback: {changed['text'][:500]}"
        ink_after = sum(explorer.evaluate(JS_INK))
        if before["images"] and not changed["images"]:
            assert "Error" in changed["text"], \
                f"explorer {index}: {moved} left no figure and no message: {changed['text']!r}"
        elif before["images"] and ink_after < 0.2 * ink_before:
            raise AssertionError(f"explorer {index}: after {moved} the figure is nearly blank "
                                 f"(ink {ink_after:.4f} against {ink_before:.4f} before)")
        return moved
    raise AssertionError(f"explorer {index}: no control the test can move; tried "
                         + "; ".join(tried))


@pytest.mark.parametrize("name", chapter_notebooks())
def test_notebook_in_jupyterlab(name, lab_server, lab, screenshots_dir, suite_report):
    url, root = lab_server
    page = lab.ensure()
    console_errors: list[str] = []

    def on_console(m):
        if m.type == "error":
            console_errors.append(m.text[:300])

    def on_page_error(e):
        console_errors.append(f"pageerror: {str(e)[:300]}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    report = suite_report["notebooks"].setdefault(name, {})
    start = time.monotonic()
    shot = screenshots_dir / (name.removesuffix(".ipynb") + ".png")
    passed = False
    try:
        _open(lab, name)
        report["opened"] = check_opened(page, name, root, screenshots_dir)   # as stored
        run_start = time.monotonic()
        cells = _run_all(page, name)
        report["run_all_seconds"] = round(time.monotonic() - run_start, 1)
        _record(page, name)
        report.update(code_cells=cells["code"], stderr=cells["stderr"],
                      progress_bars_seen=page.evaluate("() => window.__bars"),
                      progress_bar_texts=page.evaluate("() => window.__barTexts"))
        assert not cells["errors"], f"{name}: cells show errors: {cells['errors']}"
        assert not cells["unexecuted"], \
            f"{name}: code cells {cells['unexecuted']} did not run (Run All stopped early)"
        widgets = page.evaluate(JS_WIDGETS)
        report["widget_views"] = cells["widget_views"]
        report["widget_views_rendered"] = widgets["rendered"]
        report["explorers"] = widgets["explorers"]
        assert not widgets["errors"], f"{name}: {widgets['errors']}"
        assert not widgets["fallbacks"], \
            f"{name}: widgets shown as text, not rendered (front-end extension missing?): " \
            f"{widgets['fallbacks']}"
        assert widgets["explorers"] >= 1, f"{name}: no companion Explorer rendered"
        page.evaluate(JS_BARS_ON)       # a learner sees the bars of what an explorer trains
        page.evaluate(JS_WATCH_BARS)
        explorers = page.locator(".companion-explorer")
        moved, notes = [], []
        report["moves"], report["notes"] = moved, notes
        for i in range(explorers.count()):
            moved.append(_exercise_explorer(page, explorers.nth(i), i, notes))
            report["explorers_moved"] = len(moved)
        cells = page.evaluate(JS_CELLS)
        assert not cells["errors"], f"{name}: errors after moving controls: {cells['errors']}"
        widgets = page.evaluate(JS_WIDGETS)
        assert not widgets["errors"], f"{name}: {widgets['errors']}"
        explorers.first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        passed = True
    finally:
        report["seconds"] = round(time.monotonic() - start, 1)
        report["console_errors"] = console_errors[:20]
        try:
            page.screenshot(path=str(shot))
            report["screenshot"] = str(shot)
        except Exception as exc:       # a screenshot must not hide the real failure
            report["screenshot_error"] = str(exc)
        if passed:                     # the next chapter opens in this page
            page.remove_listener("console", on_console)
            page.remove_listener("pageerror", on_page_error)
            lab.close()
        else:                          # or, after a failure, in a new one
            lab.discard()


# A learner's training cell (progress bars are on by default outside the test environment):
# Run All above records the chapters with the bars off, as nbval runs them; this test opens a
# scratch notebook and checks that fit's tqdm bar renders as a JupyterLab widget and counts up.
BARS_CELL = """\
import os, time
import numpy as np
from companion.nn import Callback, Dense, Sequential, fit, losses, optim
os.environ.pop("COMPANION_PROGRESS", None)            # a learner's default: bars on

class Slow(Callback):                                  # keep the bar up long enough to read
    def on_epoch_end(self, epoch, history):
        time.sleep(0.3)

x = np.random.default_rng(0).standard_normal((64, 3))
y = (x.sum(1, keepdims=True) > 0).astype(float)
model = Sequential([Dense(1, activation="sigmoid")], input_shape=(3,), seed=0)
history = fit(model, x, y, losses.BinaryCrossentropy(), optim.SGD(0.1), epochs=5,
              seed=0, progress=None, callbacks=[Slow()])
print("epochs run:", len(history["loss"]))
"""


def test_training_progress_bar_renders(lab_server, lab):
    url, root = lab_server
    name = "progress_bar_scratch.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BARS_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, root / "notebooks" / name)
    passed = False
    try:
        page = _open(lab, name)
        page.evaluate(JS_WATCH_BARS)
        cells = _run_all(page, name)
        assert not cells["errors"], cells["errors"]
        bars = page.evaluate("() => window.__bars")
        texts = page.evaluate("() => window.__barTexts")
        text = page.evaluate("() => window.jupyterapp.shell.currentWidget.node.innerText")
        assert "epochs run: 5" in text
        assert bars >= 1, "fit's progress bar never appeared as a widget"
        assert any(t.startswith("epochs") and "/5" in t for t in texts), texts
        passed = True
    finally:
        lab.close() if passed else lab.discard()
