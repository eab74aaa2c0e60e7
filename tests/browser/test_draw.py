"""The draw-a-digit explorer (chapter 7) in a real JupyterLab: drawing a stroke with the mouse
changes the CNN's prediction.

A small notebook written into the test server's copy of the course trains chapter 7's CNN
briefly on MNIST and shows ``chapter.draw_explorer``, starting from a test image of a 0. The
test checks that the canvas widget renders (the anywidget front end), that Clear reaches the
kernel (the explorer reports a blank drawing), and that a vertical stroke drawn with the mouse
is read as a digit other than the 0 it started from, with the figure redrawn.
"""
from __future__ import annotations

import json
import re

import pytest
from labtools import wait_for

pytestmark = pytest.mark.browser

SOURCE = """\
import numpy as np
from companion import data
from companion.chapters import ch07 as chapter
x, y = data.mnist_subset(300, "train", seed=0)
model = chapter.mnist_cnn(seed=0)
_ = chapter.train(model, chapter.mnist_float(x), y.astype(np.int64), 1, 32, seed=0)
xt, yt = data.mnist_subset(1, "test", seed=0)
first = int(np.flatnonzero(yt == 0)[0])
order = [first] + [i for i in range(len(yt)) if i != first]
explorer = chapter.draw_explorer(model, xt[order], yt[order])
explorer"""

JS_SUMMARY = """() => {
  const out = document.querySelector('.companion-explorer .companion-explorer-output');
  if (!out) return null;
  return {text: out.innerText.trim(), images: out.querySelectorAll('img').length,
          src: [...out.querySelectorAll('img')].map(i => i.src.length + ':' + i.src.slice(-40)).join()};
}"""


def _notebook(path):
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "draw0001",
                     "metadata": {}, "outputs": [], "source": SOURCE}],
          "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                      "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def _read(text: str):
    m = re.search(r"reads a (\d)", text)
    return int(m.group(1)) if m else None


def _wait_text(page, predicate, what, timeout=120):
    return wait_for(page, JS_SUMMARY, lambda s: bool(s) and predicate(s), timeout, what)


def test_drawing_a_stroke_changes_the_prediction(lab_server, lab, screenshots_dir):
    url, root = lab_server
    name = "draw_a_digit_test.ipynb"
    _notebook(root / "notebooks" / name)
    page = lab.ensure()
    errors: list[str] = []

    def on_page_error(e):
        errors.append(str(e)[:300])

    page.on("pageerror", on_page_error)
    passed = False
    try:
        lab.open(name)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        start = _wait_text(page, lambda s: _read(s["text"]) is not None and s["images"],
                           "the explorer's first drawing and sentence", timeout=300)
        assert _read(start["text"]) == 0, start["text"]       # the test image of a 0
        canvas = page.locator(".companion-draw-canvas")
        canvas.wait_for(timeout=30_000)

        page.locator(".companion-draw-clear").click()
        _wait_text(page, lambda s: s["text"].startswith("blank"), "Clear to reach the kernel")

        box = canvas.bounding_box()
        x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
        page.mouse.move(x0 + 0.5 * w, y0 + 0.15 * h)
        page.mouse.down()
        for k in range(1, 21):                                  # a vertical stroke: a "1"
            page.mouse.move(x0 + 0.5 * w, y0 + (0.15 + 0.7 * k / 20) * h)
        page.mouse.up()
        after = _wait_text(page, lambda s: _read(s["text"]) is not None,
                           "the stroke to be read")
        page.screenshot(path=str(screenshots_dir / "draw-a-digit.png"))
        passed = True
    finally:
        page.remove_listener("pageerror", on_page_error)
        lab.close() if passed else lab.discard()
    assert not errors, errors
    assert after["images"] >= 1 and after["src"] != start["src"]     # the figure was redrawn
    assert _read(after["text"]) == 1, \
        f"a vertical stroke was not read as a 1: {after['text']!r}"
