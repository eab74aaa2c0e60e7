"""Drawing a digit with the mouse: a canvas widget and the MNIST-style preparation of a drawing.

``draw_canvas()`` is an ``anywidget`` (JupyterLab 4 and ipywidgets 8, no extension to build):
a black square on which the mouse (or a finger) draws white strokes; when a stroke ends, the
canvas, shrunk to ``RESOLUTION`` x ``RESOLUTION`` grey levels in [0, 1], becomes its ``value``
(a flat list, row by row), so an ``Explorer`` observes it like a slider. Setting ``value`` from
Python paints it. ``prepare`` turns such a drawing into an MNIST image the way MNIST's own
digits were made: the ink's bounding box scaled to fit 20 x 20 (aspect kept), placed in a
28 x 28 field with its centre of mass at the centre.
"""
from __future__ import annotations

import numpy as np

RESOLUTION = 56            # the drawing sent to Python: 56 x 56 grey levels
_CLASS = None

_ESM = r"""
function render({ model, el }) {
  const N = model.get("resolution"), size = model.get("size");
  const box = document.createElement("div");
  const c = document.createElement("canvas");
  c.width = size; c.height = size;
  c.className = "companion-draw-canvas";
  c.style.cssText = "background:#000;cursor:crosshair;touch-action:none;border:1px solid #888";
  const ctx = c.getContext("2d");
  let sending = false, drawing = false, last = null;
  function paint() {
    const v = model.get("value");
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, size, size);
    if (v.length !== N * N) return;
    const off = document.createElement("canvas"); off.width = N; off.height = N;
    const o = off.getContext("2d"), img = o.createImageData(N, N);
    for (let i = 0; i < N * N; i++) {
      const g = Math.round(255 * v[i]);
      img.data[4 * i] = g; img.data[4 * i + 1] = g; img.data[4 * i + 2] = g; img.data[4 * i + 3] = 255;
    }
    o.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true; ctx.drawImage(off, 0, 0, size, size);
  }
  function send() {
    const off = document.createElement("canvas"); off.width = N; off.height = N;
    const o = off.getContext("2d"); o.imageSmoothingEnabled = true;
    o.drawImage(c, 0, 0, N, N);
    const d = o.getImageData(0, 0, N, N).data, v = new Array(N * N);
    for (let i = 0; i < N * N; i++) v[i] = Math.round(1000 * d[4 * i] / 255) / 1000;
    sending = true; model.set("value", v); model.save_changes(); sending = false;
  }
  const pos = e => { const r = c.getBoundingClientRect();
    return [(e.clientX - r.left) * size / r.width, (e.clientY - r.top) * size / r.height]; };
  function segment(a, b) {
    ctx.strokeStyle = "#fff"; ctx.lineWidth = size / 12; ctx.lineCap = "round";
    ctx.lineJoin = "round"; ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }
  c.addEventListener("pointerdown", e => { drawing = true; last = pos(e);
    try { c.setPointerCapture(e.pointerId); } catch (err) {} segment(last, last); });
  c.addEventListener("pointermove", e => { if (!drawing) return;
    const p = pos(e); segment(last, p); last = p; });
  const end = () => { if (!drawing) return; drawing = false; send(); };
  c.addEventListener("pointerup", end);
  c.addEventListener("pointercancel", end);
  const clear = document.createElement("button");
  clear.textContent = "Clear"; clear.className = "companion-draw-clear";
  clear.style.cssText = "display:block;margin-top:4px";
  clear.addEventListener("click", () => {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, size, size); send(); });
  model.on("change:value", () => { if (!sending) paint(); });
  paint();
  box.appendChild(c); box.appendChild(clear); el.appendChild(box);
}
export default { render };
"""


def draw_canvas(value=None, size: int = 280):
    """A drawing canvas widget, ``size`` pixels square. ``value``: RESOLUTION x RESOLUTION grey
    levels in [0, 1] (array or flat list) to start from; empty (all black) when None."""
    global _CLASS
    if _CLASS is None:
        import anywidget
        import traitlets

        class DrawCanvas(anywidget.AnyWidget):
            _esm = _ESM
            value = traitlets.List(traitlets.Float()).tag(sync=True)
            resolution = traitlets.Int(RESOLUTION).tag(sync=True)
            size = traitlets.Int(280).tag(sync=True)

        _CLASS = DrawCanvas
    start = [] if value is None else np.round(np.asarray(value, float), 3).ravel().tolist()
    if start and len(start) != RESOLUTION ** 2:
        raise ValueError(f"value: expected {RESOLUTION} x {RESOLUTION} grey levels, got "
                         f"{len(start)} numbers")
    return _CLASS(value=start, size=size)


def upscale(image28) -> np.ndarray:
    """An MNIST image (28, 28) (uint8 or [0, 1]) as a drawing: (RESOLUTION, RESOLUTION) in
    [0, 1], each pixel repeated RESOLUTION / 28 times along each axis (to start the canvas
    from a real digit)."""
    img = np.asarray(image28, float).reshape(28, 28)
    img = img / 255 if img.max() > 1 else img
    k = RESOLUTION // 28
    return np.kron(img, np.ones((k, k)))


def prepare(drawing, threshold: float = 0.05) -> np.ndarray:
    """A drawing (RESOLUTION^2 values in [0, 1], flat or square) -> an MNIST-style image
    (28, 28, 1) float32 in [0, 1]: the ink's bounding box scaled so its longer side is 20
    pixels (aspect kept, area-averaged), then shifted so the centre of mass is at (14, 14)
    (MNIST's 13.5 in pixel centres). An empty drawing gives zeros."""
    from PIL import Image
    img = np.asarray(drawing, float)
    if img.size != RESOLUTION ** 2:
        raise ValueError(f"drawing: expected {RESOLUTION ** 2} grey levels, got {img.size}")
    img = np.clip(img.reshape(RESOLUTION, RESOLUTION), 0, 1)
    out = np.zeros((28, 28), np.float32)
    rows, cols = np.flatnonzero(img.max(1) > threshold), np.flatnonzero(img.max(0) > threshold)
    if len(rows) == 0:
        return out[..., None]
    crop = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = 20 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(
        (w, h), Image.Resampling.BOX), np.float32) / 255
    top, left = (28 - h) // 2, (28 - w) // 2
    out[top:top + h, left:left + w] = small
    if out.sum() > 0:
        r, c = np.indices(out.shape)
        dr = int(round(13.5 - (r * out).sum() / out.sum()))
        dc = int(round(13.5 - (c * out).sum() / out.sum()))
        dr = int(np.clip(dr, -top, 28 - top - h))
        dc = int(np.clip(dc, -left, 28 - left - w))
        out = np.roll(out, (dr, dc), axis=(0, 1))
    return out[..., None]
