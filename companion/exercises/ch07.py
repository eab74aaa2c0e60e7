"""Chapter 7 exercises: the naive convolution forward and backward (stride, padding), max
pooling forward and backward, and average pooling's backward (stride, overlapping windows).

Each ``check_*`` runs the learner's function on several cases (a batch of one, stride 2,
padding, windows that overlap, rows a stride leaves unused), compares it with the package
(``companion.nn.layers.conv`` and ``pool``) and, when it differs, with planted-bug variants
that name the likely mistake. Images are NHWC; kernels (f, f, C_in, C_out) as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, check, hints, planted, verdict
from companion.nn.layers.conv import conv2d_backward, conv2d_forward
from companion.nn.layers.pool import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward,
    max_pool_forward,
)

HINTS = hints("ch07")


def _pad(x, p: int):
    """Zero-pad the two spatial axes of (N, H, W, C) by p on every side."""
    return np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))


def _conv_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [((2, 5, 5, 3), 3, 4, 1, 0, "3x3, stride 1, no padding"),
              ((2, 6, 6, 2), 3, 3, 2, 1, "stride 2, pad 1"),
              ((1, 4, 4, 1), 2, 2, 1, 1, "a batch of one, pad 1"),
              ((2, 7, 6, 2), 3, 2, 2, 0, "stride 2 leaves a column unused"),
              ((2, 3, 3, 2), 1, 3, 1, 0, "a 1x1 kernel")]
    cases = []
    for shape, f, F, s, p, label in shapes:
        x, W = rng.standard_normal(shape), rng.standard_normal((f, f, shape[3], F))
        cases.append(Case((x, W, rng.standard_normal(F), s, p), label=label))
    return cases


# --- 1. the naive convolution forward -----------------------------------------------------------
def _conv_forward(x, W, b, stride, pad):
    return conv2d_forward(_pad(x, pad), W, b, strides=stride)[0]


def _conv_forward_loops(x, W, b, stride, pad, window_step=None, flip=False):
    """The loop version with one planted bug: the window moving by ``window_step`` instead of
    the stride, or a flipped kernel."""
    xp, f = _pad(x, pad), W.shape[0]
    ho, wo = ((n + 2 * pad - f) // stride + 1 for n in x.shape[1:3])
    step = stride if window_step is None else window_step
    K = W[::-1, ::-1] if flip else W
    out = np.zeros((x.shape[0], ho, wo, W.shape[3]))
    for i in range(ho):
        for j in range(wo):
            win = xp[:, i * step:i * step + f, j * step:j * step + f, :]
            if win.shape[1:3] != (f, f):
                raise IndexError("window outside the image")
            out[:, i, j] = np.tensordot(win, K, axes=3) + b
    return out


def check_conv_forward(conv_forward: Callable) -> bool:
    """``conv_forward(x (N, H, W, C), W (f, f, C, F), b (F,), stride, pad) -> (N, Ho, Wo, F)``
    with Ho = floor((H + 2 pad - f) / stride) + 1."""
    def cropped(x, W, b, s, p):
        return _conv_forward(x[:, p:x.shape[1] - p, p:x.shape[2] - p], W, b, s, p)
    mistakes = planted({
        "window at (i, j)": lambda x, W, b, s, p: _conv_forward_loops(x, W, b, s, p,
                                                                      window_step=1),
        "flipped": lambda x, W, b, s, p: _conv_forward_loops(x, W, b, s, p, flip=True),
        "no bias": lambda x, W, b, s, p: _conv_forward(x, W, b, s, p) - b,
        "cropped instead of padded": cropped,
        "not padded": lambda x, W, b, s, p: conv2d_forward(x, W, b, strides=s)[0],
    }, HINTS["conv_forward"])
    cases = _conv_cases()
    return check("conv_forward", conv_forward, _conv_forward, cases, mistakes,
                 returns="the output array (N, Ho, Wo, F)", rtol=1e-6, atol=1e-8, pure=True)


# --- 2. the naive convolution backward ----------------------------------------------------------
def _conv_backward(dout, x, W, stride, pad):
    _, cache = conv2d_forward(_pad(x, pad), W, np.zeros(W.shape[3]), strides=stride)
    dxp, (dW, db) = conv2d_backward(dout, cache)
    H, Wd = x.shape[1:3]
    return dxp[:, pad:pad + H, pad:pad + Wd], dW, db


def _conv_backward_assign(dout, x, W, stride, pad):
    """Planted bug: dx[window] = ... (overlapping windows overwrite each other)."""
    xp, f = _pad(x, pad), W.shape[0]
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            r, c = i * stride, j * stride
            dxp[:, r:r + f, c:c + f] = np.tensordot(dout[:, i, j], W, axes=(1, 3))
    H, Wd = x.shape[1:3]
    _, dW, db = _conv_backward(dout, x, W, stride, pad)
    return dxp[:, pad:pad + H, pad:pad + Wd], dW, db


def _backward_cases() -> list[Case]:
    cases = []
    for case in _conv_cases(3):
        x, W, b, s, p = case.args
        out = _conv_forward(x, W, b, s, p)
        dout = np.random.default_rng(out.size).standard_normal(out.shape)
        cases.append(Case((dout, x, W, s, p), label=case.label))
    return cases


def check_conv_backward(conv_backward: Callable) -> bool:
    """``conv_backward(dout (N, Ho, Wo, F), x, W, stride, pad) -> (dx, dW, db)``: dx like x
    (N, H, W, C), dW like W (f, f, C, F), db (F,)."""
    def flipped_dx(dout, x, W, s, p):
        dx = _conv_backward(dout, x, W[::-1, ::-1], s, p)[0]
        return (dx,) + _conv_backward(dout, x, W, s, p)[1:]

    def dW_averaged(dout, x, W, s, p):
        dx, dW, db = _conv_backward(dout, x, W, s, p)
        return dx, dW / len(x), db

    def with_dx(dx_of):
        return lambda dout, x, W, s, p: (dx_of(dout, x, W, s, p),) + \
            _conv_backward(dout, x, W, s, p)[1:]

    def padded_dx(dout, x, W, s, p):
        return _conv_backward(dout, _pad(x, p), W, s, 0)[0] if p == 0 else \
            conv2d_backward(dout, conv2d_forward(_pad(x, p), W, None, strides=s)[1])[0]

    def dW_unpadded(dout, x, W, s, p):
        xs = np.pad(x, ((0, 0), (0, 2 * p), (0, 2 * p), (0, 0)))
        dxw = _conv_backward(dout, x, W, s, p)
        return dxw[0], conv2d_backward(dout, conv2d_forward(xs, W, None, strides=s)[1])[1][0], \
            dxw[2]

    mistakes = planted({
        "assign": _conv_backward_assign,
        "flipped dx": flipped_dx,
        "dW averaged": dW_averaged,
        "db averaged": lambda dout, x, W, s, p: (*_conv_backward(dout, x, W, s, p)[:2],
                                                 dout.mean(axis=(0, 1, 2))),
        "padded dx": with_dx(padded_dx),
        "empty slice": with_dx(lambda dout, x, W, s, p: np.zeros((len(x), 0, 0, x.shape[3]))),
        "dW unpadded": dW_unpadded,
    }, HINTS["conv_backward"])
    cases = _backward_cases()
    return check("conv_backward", conv_backward, _conv_backward, cases, mistakes,
                 returns="the tuple (dx, dW, db)", names=("dx", "dW", "db"), pure=True)


# --- 3 and 4. max pooling -------------------------------------------------------------------------
def _pool_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    return [Case((rng.standard_normal((2, 4, 4, 3)), 2, 2), label="2x2, stride 2"),
            Case((rng.standard_normal((1, 5, 5, 2)), 3, 2), label="3x3, stride 2 (overlapping)"),
            Case((rng.standard_normal((2, 5, 7, 1)), 2, 2), label="a row and a column left over"),
            Case((rng.standard_normal((1, 3, 3, 1)), 2, 1), label="a batch of one, stride 1")]


def _max_pool(x, f, stride):
    return max_pool_forward(x, f, stride)[0]


def _pool_loops(x, f, stride, step, axes=(1, 2)):
    """Max pooling whose window of output (i, j) starts at (i * step, j * step), reduced over
    ``axes`` of the (N, f, f, C) window (a planted bug when step != stride or axes != (1, 2))."""
    ho, wo = ((n - f) // stride + 1 for n in x.shape[1:3])
    out = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for i in range(ho):
        for j in range(wo):
            win = x[:, i * step:i * step + f, j * step:j * step + f]
            out[:, i, j] = win.max(axis=axes) if win.shape[1:3] == (f, f) else 0
    return out


def check_max_pool_forward(max_pool_forward_fn: Callable) -> bool:
    """``max_pool_forward(x (N, H, W, C), f, stride) -> (N, Ho, Wo, C)``, each channel
    separately, Ho = floor((H - f) / stride) + 1."""
    mistakes = planted({
        "average": lambda x, f, s: avg_pool_forward(x, f, s)[0],
        "across channels": lambda x, f, s: np.repeat(
            _max_pool(x.max(axis=3, keepdims=True), f, s), x.shape[3], axis=3),
        "H // f": lambda x, f, s: _max_pool(x, f, s)[:, :x.shape[1] // f, :x.shape[2] // f],
        "window at i f": lambda x, f, s: _pool_loops(x, f, s, f),
        "over the batch": lambda x, f, s: _pool_loops(x, f, s, s, axes=(0, 1)),
    }, HINTS["max_pool_forward"])
    cases = _pool_cases(4)
    return check("max_pool_forward", max_pool_forward_fn, _max_pool, cases, mistakes,
                 returns="the pooled array (N, Ho, Wo, C)", pure=True)


def _max_pool_backward(dout, x, f, stride):
    return max_pool_backward(dout, max_pool_forward(x, f, stride)[1])[0]


def _pool_backward_loops(dout, x, f, stride, route, step=None):
    """Loop backward with a planted bug chosen by ``route(window, g) -> window gradient`` (or
    windows starting at multiples of ``step`` instead of the stride)."""
    dx, step = np.zeros_like(x), stride if step is None else step
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            r, c = i * step, j * step
            win = x[:, r:r + f, c:c + f]
            if win.shape[1:3] != (f, f):
                continue
            route(dx[:, r:r + f, c:c + f], win, dout[:, i, j][:, None, None, :])
    return dx


def _assign_max(d, win, g):
    mask = win == win.max(axis=(1, 2), keepdims=True)
    d[...] = np.where(mask, g, d)


def _add_max(d, win, g):
    d += (win == win.max(axis=(1, 2), keepdims=True)) * g


def _to_all(d, win, g):
    d += g + 0 * win


def _average(d, win, g):
    d += g / (win.shape[1] * win.shape[2]) + 0 * win


def _backward_pool_cases() -> list[Case]:
    ties = np.maximum(np.random.default_rng(6).standard_normal((2, 4, 4, 2)), 0)
    ties[0, :2, :2, 0] = 0.5                    # a window of equal values, and ReLU's zeros
    cases = []
    for case in _pool_cases(5) + [Case((ties, 2, 2), label="ties (after a ReLU)")]:
        x, f, s = case.args
        out = _max_pool(x, f, s)
        dout = np.random.default_rng(out.size).standard_normal(out.shape)
        cases.append(Case((dout, x, f, s), label=case.label))
    return cases


def check_max_pool_backward(max_pool_backward_fn: Callable) -> bool:
    """``max_pool_backward(dout (N, Ho, Wo, C), x (N, H, W, C), f, stride) -> dx`` (like x):
    each output's gradient goes to the position of its window's maximum."""
    mistakes = planted({
        "ties": lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _add_max),
        "to all": lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _to_all),
        "average": lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _average),
        "assign": lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _assign_max),
        "dout": lambda d, x, f, s: d,
        "window at i f": lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _add_max, step=f),
    }, HINTS["max_pool_backward"])
    cases = _backward_pool_cases()
    return check("max_pool_backward", max_pool_backward_fn, _max_pool_backward, cases,
                 mistakes, returns="dx, an array shaped like x", pure=True)


# --- 5. average pooling backward -----------------------------------------------------------------
def _avg_pool_backward(dout, x_shape, f, stride):
    cache = avg_pool_forward(np.zeros(x_shape), f, stride)[1]
    return avg_pool_backward(dout, cache)[0]


def _spread(dout, x_shape, f, stride, step=None, share=None, assign=False):
    """Loop backward of average pooling with one planted bug: windows starting at multiples of
    ``step``, each position getting ``share`` * g instead of g / f², or ``=`` for ``+=``."""
    dx, step = np.zeros(x_shape), stride if step is None else step
    share = 1 / f ** 2 if share is None else share
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            r, c = i * step, j * step
            g = share * dout[:, i, j][:, None, None, :]
            if assign:
                dx[:, r:r + f, c:c + f] = g
            else:
                dx[:, r:r + f, c:c + f] += g
    return dx


def _avg_backward_cases() -> list[Case]:
    cases = []
    for case in _pool_cases(7) + [Case((np.zeros((2, 7, 5, 2)), 3, 1),
                                       label="3x3, stride 1 (each pixel in up to 9 windows)")]:
        x, f, s = case.args
        out = avg_pool_forward(x, f, s)[0]
        dout = np.random.default_rng(out.size).standard_normal(out.shape)
        cases.append(Case((dout, x.shape, f, s), label=case.label))
    return cases


def check_avg_pool_backward(avg_pool_backward_fn: Callable) -> bool:
    """``avg_pool_backward(dout (N, Ho, Wo, C), x_shape (N, H, W, C), f, stride) -> dx`` of
    shape x_shape: each output's gradient spread evenly, dout / f², over its f x f window."""
    mistakes = planted({
        "no 1/f^2": lambda d, xs, f, s: _spread(d, xs, f, s, share=1.0),
        "1/f": lambda d, xs, f, s: _spread(d, xs, f, s, share=1 / f),
        "assign": lambda d, xs, f, s: _spread(d, xs, f, s, assign=True),
        "window at i f": lambda d, xs, f, s: _spread(d, xs, f, s, step=f),
        "dout": lambda d, xs, f, s: d / f ** 2,
    }, HINTS["avg_pool_backward"])
    cases = _avg_backward_cases()
    return check("avg_pool_backward", avg_pool_backward_fn, _avg_pool_backward, cases,
                 mistakes, returns="dx, an array of shape x_shape", pure=True)


# --- 6. the capstone: the learner's convolution and pooling train a CNN ---------------------------
def _package_versions() -> dict:
    """The package's functions with the exercises' signatures (what a capstone borrows)."""
    return {"conv_forward": _conv_forward, "conv_backward": _conv_backward,
            "max_pool_forward": _max_pool, "max_pool_backward": _max_pool_backward}


def _choose(functions: dict) -> tuple[dict, list[str]]:
    """Keep each learner function its checker passes (checked quietly); borrow the others."""
    checks = {"conv_forward": check_conv_forward, "conv_backward": check_conv_backward,
              "max_pool_forward": check_max_pool_forward,
              "max_pool_backward": check_max_pool_backward}
    used, borrowed = {}, []
    for name, fn in functions.items():
        ok = callable(fn) and verdict(checks[name], fn)[0]
        used[name] = fn if ok else _package_versions()[name]
        if not ok:
            borrowed.append(name)
    return used, borrowed


def capstone(conv_forward: Callable, conv_backward: Callable, max_pool_forward_fn: Callable,
             max_pool_backward_fn: Callable, epochs: int = 2, seed: int = 0,
             verbose: bool = True) -> dict:
    """Train ``chapter.capstone_train``'s CNN (conv 3x3, 8 filters, pad 1, ReLU; max pool 2;
    dense softmax) on the 8x8 digits with the learner's four functions where their checkers
    pass and the package's otherwise. Prints which were borrowed, the loss per epoch and the
    test accuracy; returns {"borrowed", "losses", "accuracy"}."""
    from companion.chapters.ch07 import capstone_train
    used, borrowed = _choose({"conv_forward": conv_forward, "conv_backward": conv_backward,
                              "max_pool_forward": max_pool_forward_fn,
                              "max_pool_backward": max_pool_backward_fn})
    if verbose:
        print("yours: " + (", ".join(n for n in used if n not in borrowed) or "none yet") +
              "; borrowed from the package: " + (", ".join(borrowed) or "nothing"))
    result = capstone_train(used, epochs, seed)
    if verbose:
        for epoch, loss in enumerate(result["losses"]):
            print(f"epoch {epoch + 1}: mean training loss {loss:.4f}")
        print(f"test accuracy on the 8x8 digits ({result['n_test']} images): "
              f"{result['accuracy']:.2%}")
    return {"borrowed": borrowed, "losses": result["losses"], "accuracy": result["accuracy"]}
