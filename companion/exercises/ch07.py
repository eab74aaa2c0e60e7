"""Chapter 7 exercises: padding, one convolution step, the naive convolution forward and
backward (stride, padding), max pooling forward and backward, and the output-size formula.

Each ``check_*`` runs the learner's function on several cases (a batch of one, stride 2,
padding, windows that overlap, rows a stride leaves unused), compares it with the package
(``companion.nn.layers.conv`` and ``pool``) and, when it differs, with planted-bug variants
that name the likely mistake. Images are NHWC; kernels (f, f, C_in, C_out) as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, Mistake, check
from companion.nn.layers.conv import conv2d_backward, conv2d_forward
from companion.nn.layers.pool import avg_pool_forward, max_pool_backward, max_pool_forward


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


# --- 1. zero padding --------------------------------------------------------------------------
def check_zero_pad(zero_pad: Callable) -> bool:
    """``zero_pad(x (N, H, W, C), pad) -> (N, H + 2 pad, W + 2 pad, C)``."""
    rng = np.random.default_rng(1)
    cases = [Case((rng.standard_normal((2, 3, 4, 2)), 1), label="pad 1"),
             Case((rng.standard_normal((1, 2, 2, 3)), 2), label="a batch of one, pad 2"),
             Case((rng.standard_normal((2, 3, 3, 1)), 0), label="pad 0")]
    return check("zero_pad", zero_pad, _pad, cases, returns="the padded array "
                 "(N, H + 2 pad, W + 2 pad, C)", pure=True)


# --- 2. one convolution step ------------------------------------------------------------------
def _single_step(a_slice, W, b):
    return float(np.sum(a_slice * W) + np.sum(b))


def check_conv_single_step(conv_single_step: Callable) -> bool:
    """``conv_single_step(a_slice (f, f, C), W (f, f, C), b) -> float``: sum(a_slice * W) + b."""
    rng = np.random.default_rng(2)
    cases = [Case((rng.standard_normal((3, 3, 2)), rng.standard_normal((3, 3, 2)), 0.7),
                  label="3x3x2 window, b a number"),
             Case((rng.standard_normal((2, 2, 1)), rng.standard_normal((2, 2, 1)),
                   np.array([[[-0.4]]])), label="b of shape (1, 1, 1)"),
             Case((rng.standard_normal((1, 1, 4)), rng.standard_normal((1, 1, 4)), 0.1),
                  label="a 1x1x4 window")]
    mistakes = [Mistake(lambda a, W, b: float(np.sum(a * W)), "add the bias b"),
                Mistake(lambda a, W, b: float(np.sum(a * W[::-1, ::-1]) + np.sum(b)),
                        "you flipped the kernel (true convolution); deep learning's "
                        "'convolution' multiplies the window and the kernel as they are"),
                Mistake(lambda a, W, b: float(np.mean(a * W) + np.sum(b)),
                        "sum the element-wise products, do not average them")]
    return check("conv_single_step", conv_single_step, _single_step, cases, mistakes,
                 returns="a number, sum(a_slice * W) + b")


# --- 3. the naive convolution forward -----------------------------------------------------------
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
    mistakes = [
        Mistake(lambda x, W, b, s, p: _conv_forward_loops(x, W, b, s, p, window_step=1),
                "the window of output (i, j) starts at (i * stride, j * stride), not (i, j)"),
        Mistake(lambda x, W, b, s, p: _conv_forward_loops(x, W, b, s, p, flip=True),
                "you flipped the kernel; multiply each window by W as it is"),
        Mistake(lambda x, W, b, s, p: _conv_forward(x, W, b, s, p) - b,
                "add the bias b[k] of each filter")]
    return check("conv_forward", conv_forward, _conv_forward, _conv_cases(), mistakes,
                 returns="the output array (N, Ho, Wo, F)", rtol=1e-6, atol=1e-8)


# --- 4. the naive convolution backward ----------------------------------------------------------
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

    mistakes = [Mistake(_conv_backward_assign, "overlapping windows send gradient to the same "
                        "pixel: add into dx with +=, do not assign with ="),
                Mistake(flipped_dx, "dx gets dout * W with W as it is (no flip)"),
                Mistake(dW_averaged, "dW sums the contributions of every example and "
                        "position (dout already carries the 1/N of the loss): do not divide")]
    return check("conv_backward", conv_backward, _conv_backward, _backward_cases(), mistakes,
                 returns="the tuple (dx, dW, db)", names=("dx", "dW", "db"))


# --- 5 and 6. max pooling -------------------------------------------------------------------------
def _pool_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    return [Case((rng.standard_normal((2, 4, 4, 3)), 2, 2), label="2x2, stride 2"),
            Case((rng.standard_normal((1, 5, 5, 2)), 3, 2), label="3x3, stride 2 (overlapping)"),
            Case((rng.standard_normal((2, 5, 7, 1)), 2, 2), label="a row and a column left over"),
            Case((rng.standard_normal((1, 3, 3, 1)), 2, 1), label="a batch of one, stride 1")]


def _max_pool(x, f, stride):
    return max_pool_forward(x, f, stride)[0]


def check_max_pool_forward(max_pool_forward_fn: Callable) -> bool:
    """``max_pool_forward(x (N, H, W, C), f, stride) -> (N, Ho, Wo, C)``, each channel
    separately, Ho = floor((H - f) / stride) + 1."""
    mistakes = [Mistake(lambda x, f, s: avg_pool_forward(x, f, s)[0],
                        "that is average pooling: keep the maximum of each window"),
                Mistake(lambda x, f, s: np.repeat(_max_pool(x.max(axis=3, keepdims=True), f, s),
                                                  x.shape[3], axis=3),
                        "pool each channel on its own (do not take the max across channels)")]
    return check("max_pool_forward", max_pool_forward_fn, _max_pool, _pool_cases(4), mistakes,
                 returns="the pooled array (N, Ho, Wo, C)")


def _max_pool_backward(dout, x, f, stride):
    return max_pool_backward(dout, max_pool_forward(x, f, stride)[1])[0]


def _pool_backward_loops(dout, x, f, stride, route):
    """Loop backward with a planted bug chosen by ``route(window, g) -> window gradient``."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            r, c = i * stride, j * stride
            win = x[:, r:r + f, c:c + f]
            route(dx[:, r:r + f, c:c + f], win, dout[:, i, j][:, None, None, :])
    return dx


def _assign_max(d, win, g):
    mask = win == win.max(axis=(1, 2), keepdims=True)
    d[...] = np.where(mask, g, d)


def _to_all(d, win, g):
    d += g + 0 * win


def _average(d, win, g):
    d += g / (win.shape[1] * win.shape[2]) + 0 * win


def _backward_pool_cases() -> list[Case]:
    cases = []
    for case in _pool_cases(5):
        x, f, s = case.args
        out = _max_pool(x, f, s)
        dout = np.random.default_rng(out.size).standard_normal(out.shape)
        cases.append(Case((dout, x, f, s), label=case.label))
    return cases


def check_max_pool_backward(max_pool_backward_fn: Callable) -> bool:
    """``max_pool_backward(dout (N, Ho, Wo, C), x (N, H, W, C), f, stride) -> dx`` (like x):
    each output's gradient goes to the position of its window's maximum."""
    mistakes = [Mistake(lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _to_all),
                        "only the maximum of each window gets the gradient: multiply by the "
                        "mask x_window == x_window.max()"),
                Mistake(lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _average),
                        "that is average pooling's backward; max pooling sends the whole "
                        "gradient to the maximum"),
                Mistake(lambda d, x, f, s: _pool_backward_loops(d, x, f, s, _assign_max),
                        "where windows overlap, one pixel can be the maximum of two windows: "
                        "add with +=, do not assign")]
    return check("max_pool_backward", max_pool_backward_fn, _max_pool_backward,
                 _backward_pool_cases(), mistakes, returns="dx, an array shaped like x")


# --- the output-size formula (an extra) ---------------------------------------------------------
SIZE_CASES = [(6, 3, 0, 1), (6, 3, 1, 1), (7, 3, 0, 2), (8, 3, 1, 2), (28, 5, 2, 1),
              (32, 5, 0, 3), (5, 5, 0, 1), (4, 1, 0, 2)]


def check_output_size(output_size: Callable) -> bool:
    """``output_size(n, f, p, s)``: floor((n + 2p - f) / s) + 1."""
    from companion.nn.layers.padding import conv_output_size
    cases = [Case((n, f, p, s), label=f"n={n}, f={f}, p={p}, s={s}") for n, f, p, s in SIZE_CASES]
    mistakes = [Mistake(lambda n, f, p, s: n - f + 1, "n - f + 1 forgets the padding and the "
                        "stride"),
                Mistake(lambda n, f, p, s: (n + 2 * p - f) / s + 1, "round down (a window that "
                        "does not fit is not computed): use //"),
                Mistake(lambda n, f, p, s: (n + p - f) // s + 1, "the padding is on both "
                        "sides: 2p")]
    return check("output_size", output_size, lambda n, f, p, s: conv_output_size(n, f, s, p),
                 cases, mistakes, returns="an integer")
