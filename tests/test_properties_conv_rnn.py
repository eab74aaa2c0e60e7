"""Property-based wrong calls (issue 23) over the pure functions of convolution, pooling, window
geometry and the recurrent cells (``nn.layers``: conv, padding, pool, inception, residual,
recurrent, gru, lstm, rnn_base) and the shape helpers they share (``nn.validation``).

Each target draws one wrong argument; the call must raise a clear error naming it or return
what an independent oracle computes: NumPy references written here (sliding windows, the cell
equations), the loop implementations for the vectorised ones, or, for a backward pass, that
a NaN or inf in one example's upstream gradient reaches that example's input gradient and no
other (examples are independent).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NAME,
    BAD_NUMBER,
    BAD_PAIR,
    SCALAR_JUNK,
    Odd,
    Target,
    bad_arrays,
    built,
    target_tests,
)

from companion.nn import shape_checks
from companion.nn.layers import (
    conv,
    gru,
    inception,
    lstm,
    padding,
    pool,
    recurrent,
    residual,
    rnn_base,
)
from companion.nn.layers.pool import Flatten

R = np.random.default_rng(0)
X = R.standard_normal((2, 5, 5, 2))                 # images: N=2, 5x5, C=2
W = R.standard_normal((3, 3, 2, 2))                 # kernel 3x3, 2 -> 2 channels
B = R.standard_normal(2)
X1, W1 = R.standard_normal((2, 5, 5, 1)), R.standard_normal((3, 3, 1, 2))
JUNK_CACHE = st.one_of(SCALAR_JUNK, st.just((1, 2)), st.just(tuple(range(12))))


def close(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, equal_nan=True))


def numeric(v) -> np.ndarray:
    return np.asarray(v, dtype=float)


def optional(v, absent=None):
    """An optional array (a bias): None stands for ``absent``."""
    return absent if v is None else numeric(v)


# --- references ---------------------------------------------------------------------------
def ref_windows(xp, k=(3, 3), s=(1, 1)):
    """(N, Ho, Wo, kh, kw, C) by sliding_window_view: every receptive field."""
    v = sliding_window_view(xp, k, axis=(1, 2))[:, ::s[0], ::s[1]]
    return v.transpose(0, 1, 2, 4, 5, 3)


def ref_conv(x, w, b=None, pad="valid"):
    p = (w.shape[0] - 1) // 2 if pad == "same" else 0
    q = w.shape[0] - 1 - p if pad == "same" else 0
    xp = np.pad(numeric(x), ((0, 0), (p, q), (p, q), (0, 0)))
    out = np.einsum("nijuvc,uvcf->nijf", ref_windows(xp, w.shape[:2]), w)
    return out if b is None else out + b


def ref_pool(x, how):
    x = numeric(x)
    n, h, w, c = x.shape
    blocks = x.reshape(n, h // 2, 2, w // 2, 2, c)
    return blocks.max(axis=(2, 4)) if how == "max" else blocks.mean(axis=(2, 4))


@np.errstate(all="ignore")
def sig(z):
    return 1 / (1 + np.exp(-z))


@np.errstate(all="ignore")                          # inf inputs: NaN where they meet 0
def ref_gru_step(x, h, k, rk, b):
    u = h.shape[1]
    a, hu = x @ k + b[0], h @ rk + b[1]
    z, r = sig(a[:, :u] + hu[:, :u]), sig(a[:, u:2 * u] + hu[:, u:2 * u])
    hh = np.tanh(a[:, 2 * u:] + r * hu[:, 2 * u:])
    return z * h + (1 - z) * hh


@np.errstate(all="ignore")
def ref_lstm_step(x, h, c, k, rk, b):
    u = h.shape[1]
    a = x @ k + h @ rk + b
    i, f, g, o = sig(a[:, :u]), sig(a[:, u:2 * u]), np.tanh(a[:, 2 * u:3 * u]), sig(a[:, 3 * u:])
    c = f * c + i * g
    return o * np.tanh(c), c


@np.errstate(all="ignore")
def ref_rnn(x, h, wx, wh, b):
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ wx + h @ wh + b)
        out.append(h)
    return np.stack(out, axis=1)


def examplewise(dout, dx) -> bool:
    """An example's input gradient is non-finite exactly when its upstream gradient is."""
    dout, dx = numeric(dout), np.asarray(dx)
    bad_in = ~np.isfinite(dout.reshape(len(dout), -1)).all(axis=1)
    bad_out = ~np.isfinite(dx.reshape(len(dx), -1)).all(axis=1)
    return len(dx) == len(dout) and bool(np.all(bad_in == bad_out))


# --- shared arguments of the recurrent targets -----------------------------------------------
N, D, U = 2, 5, 2
XS = R.standard_normal((N, 3, D))                     # (N, T=3, D)
H0, C0 = R.standard_normal((N, U)), R.standard_normal((N, U))
GK, GR, GB = R.standard_normal((D, 3 * U)), R.standard_normal((U, 3 * U)), R.standard_normal(
    (2, 3 * U))
LK, LR, LB = R.standard_normal((D, 4 * U)), R.standard_normal((U, 4 * U)), R.standard_normal(
    4 * U)
RX, RH, RB = R.standard_normal((D, U)), R.standard_normal((U, U)), R.standard_normal(U)


def gru_step_args(**kw):
    return {"x": XS[:, 0], "h_prev": H0, "kernel": GK, "recurrent_kernel": GR, "bias": GB, **kw}


def lstm_step_args(**kw):
    args = {"x": XS[:, 0], "h_prev": H0, "c_prev": C0, "kernel": LK, "recurrent_kernel": LR,
            "bias": LB}
    return {**args, **kw}


def rnn_step_args(**kw):
    return {"x_t": XS[:, 0], "h_prev": H0, "Wx": RX, "Wh": RH, "b": RB, **kw}


def gru_step_oracle(key):
    def ok(v, out):
        a = gru_step_args(**{key: v})
        return close(out[0], ref_gru_step(numeric(a["x"]), numeric(a["h_prev"]), numeric(
            a["kernel"]), numeric(a["recurrent_kernel"]), optional(a["bias"], np.zeros((2, 6)))))
    return ok


def lstm_step_oracle(key):
    def ok(v, out):
        a = {k: optional(w, np.zeros(8)) for k, w in lstm_step_args(**{key: v}).items()}
        h, c = ref_lstm_step(a["x"], a["h_prev"], a["c_prev"], a["kernel"],
                             a["recurrent_kernel"], a["bias"])
        return close(out[0][0], h) and close(out[0][1], c)
    return ok


def rnn_step_oracle(key):
    def ok(v, out):
        a = {k: numeric(w) for k, w in rnn_step_args(**{key: v}).items()}
        return close(out[0], np.tanh(a["x_t"] @ a["Wx"] + a["h_prev"] @ a["Wh"] + a["b"]))
    return ok


def gru_seq_oracle(v, out):
    h, seq = H0, []
    for t in range(numeric(v).shape[1]):
        h = ref_gru_step(numeric(v)[:, t], h, GK, GR, GB)
        seq.append(h)
    return close(out[0], np.stack(seq, axis=1))


def lstm_seq_oracle(v, out):
    h, c, seq = H0, C0, []
    for t in range(numeric(v).shape[1]):
        h, c = ref_lstm_step(numeric(v)[:, t], h, c, LK, LR, LB)
        seq.append(h)
    return close(out[0][0], np.stack(seq, axis=1)) and close(out[0][1], c)


def im2col_oracle(xp, k=(3, 3)):
    def ok(v, out):
        cols = np.concatenate([c for _, c in out])
        want = ref_windows(numeric(xp if v is None else v), k)
        return close(cols, want.reshape(-1, int(np.prod(want.shape[3:]))))
    return ok


def listed(gen):
    return [(sl, np.array(c)) for sl, c in gen]          # copies: the buffer is reused


def with_cache(forward, backward, *args):
    """value -> backward(value, cache of forward(*args))."""
    return lambda v: backward(v, forward(*args)[1])


def conv_backward_oracle(naive: bool):
    """dx and dW of the other implementation (loops vs im2col) on the same dout."""
    other_f = conv.conv2d_forward if naive else conv.conv2d_forward_naive
    other_b = conv.conv2d_backward if naive else conv.conv2d_backward_naive

    def ok(v, out):
        dx, (dw, db) = other_b(numeric(v), other_f(X, W, B)[1])
        return close(out[0], dx) and close(out[1][0], dw) and close(out[1][1], db)
    return ok


def plain_block():
    return built(residual.PlainBlock(2), (4, 4, 2))


def plain_block_oracle(v, out):
    block = plain_block()
    p1, p2 = block.conv1.params, block.conv2.params
    a1 = np.maximum(ref_conv(v, p1["kernel"], p1["bias"], "same"), 0)
    return close(out, np.maximum(ref_conv(a1, p2["kernel"], p2["bias"], "same"), 0))


def plain_block_backward(v):
    block = plain_block()
    block.forward(np.ones((2, 4, 4, 2)))
    return block.backward(v)


class MissingParams(rnn_base.RecurrentBase):
    """A subclass that forgets ``_make_params``, ``_run_forward`` and ``_run_backward``."""


def missing_method(method):
    layer = MissingParams(2)
    if method == "_make_params":
        return layer.build((3, 2), np.random.default_rng(0))
    layer.built, layer.input_shape, layer.params = True, (3, 2), {}
    if method == "_run_forward":
        return layer.forward(np.ones((2, 3, 2)))
    layer._cache = ((2, 3, 2), None)
    return layer.backward(np.ones((2, 2)))


IMAGES = bad_arrays((2, 5, 5, 2))
POOL_X = np.arange(32.0).reshape(2, 4, 4, 1)
DS = R.standard_normal((N, 3, U))

TARGETS: list[Target] = [
    # --- padding: window geometry ------------------------------------------------------
    Target("padding.pair(value=...)", lambda v: padding.pair(v, "strides"), ("strides",),
           BAD_PAIR),
    Target("padding.check_padding(padding=...)", padding.check_padding, ("padding",),
           st.one_of(SCALAR_JUNK, st.sampled_from(["full", "causal", b"same"]))),
    *[Target(f"padding.same_padding({arg}=...)",
             lambda v, i=i: padding.same_padding(*[v if j == i else 5 for j in range(3)]), (arg,), BAD_COUNT) for i, arg in enumerate(("n", "f", "s"))],
    *[Target(f"padding.pad_amounts({arg}=..., 'valid')",
             lambda v, i=i: padding.pad_amounts(
                 *[v if j == i else 3 for j in range(3)], "valid"), (arg,), BAD_COUNT)
      for i, arg in enumerate(("n", "f", "s"))],
    Target("padding.pad_amounts(padding=...)", lambda v: padding.pad_amounts(5, 3, 1, v),
           ("padding",), SCALAR_JUNK),
    *[Target(f"padding.conv_output_size({arg}=...)",
             lambda v, i=i: padding.conv_output_size(
                 *[v if j == i else 3 for j in range(3)]), (arg,), BAD_COUNT)
      for i, arg in enumerate(("n", "f", "s"))],
    Target("padding.conv_output_size(n, f, s, p=...)",
           lambda v: padding.conv_output_size(5, 3, 2, v), ("p",),
           st.one_of(SCALAR_JUNK, st.integers(-3, 2), st.sampled_from([1.5, float("nan")])),
           lambda v, out: out == (5 + 2 * v - 3) // 2 + 1),
    Target("padding.conv_output_size(f=... larger than n)",
           lambda v: padding.conv_output_size(3, v, 1, 0), ("f",), st.integers(4, 9)),
    *[Target(f"padding.output_hw({arg}=...)",
             lambda v, i=i: padding.output_hw(
                 *[v if j == i else (5, 5) for j in range(3)], "same"), (arg,), BAD_PAIR)
      for i, arg in enumerate(("hw", "kernel", "strides"))],
    Target("padding.output_hw(padding=...)", lambda v: padding.output_hw((5, 5), 3, 1, v),
           ("padding",), SCALAR_JUNK),
    Target("padding.pad_input(x=...)", lambda v: padding.pad_input(v, (3, 3), (1, 1), "same"),
           ("x",), bad_arrays((2, 5, 5, 1)),
           lambda v, out: close(out[0], np.pad(numeric(v), ((0, 0), (1, 1), (1, 1), (0, 0))))
           and out[1] == ((1, 1), (1, 1))),
    Target("padding.pad_input(x, kernel=...)", lambda v: padding.pad_input(X, v, 1, "same"),
           ("kernel",), BAD_PAIR),
    Target("padding.pad_input(x, kernel, strides, padding=...)",
           lambda v: padding.pad_input(X, 3, 1, v), ("padding",), SCALAR_JUNK),
    Target("padding.pad_explicit(x=...)",
           lambda v: padding.pad_explicit(v, ((1, 0), (0, 2))), ("x",), bad_arrays((2, 5, 5, 1)),
           lambda v, out: close(out, np.pad(numeric(v), ((0, 0), (1, 0), (0, 2), (0, 0))))),
    Target("padding.pad_explicit(x, pads=...)", lambda v: padding.pad_explicit(X, v), ("pads",),
           st.one_of(BAD_PAIR, st.just(((1, -1), (0, 0))), st.just(((1, 2.5), (0, 0))),
                     st.just((1, 1)), st.just(((1, 1), (0, 0), (0, 0))))),
    Target("padding.pad_explicit(x, pads, value=...)",
           lambda v: padding.pad_explicit(X, ((1, 1), (1, 1)), v), ("value",), BAD_NUMBER,
           lambda v, out: close(out, np.pad(X, ((0, 0), (1, 1), (1, 1), (0, 0)),
                                            constant_values=v))),
    Target("padding.windows(xp=...)", lambda v: padding.windows(v, (3, 3), (1, 1), (3, 3)),
           ("xp",), IMAGES, lambda v, out: close(out, ref_windows(numeric(v)))),
    Target("padding.windows(xp, kernel, strides, out_hw=...)",
           lambda v: padding.windows(X, (3, 3), (1, 1), v), ("out_hw",),
           st.one_of(BAD_PAIR, st.sampled_from([(4, 3), (3, 4), (9, 9)]))),
    Target("padding.windows(xp, kernel=...)", lambda v: padding.windows(X, v, (1, 1), (3, 3)),
           ("kernel", "out_hw"), st.one_of(BAD_PAIR, st.just((4, 4)))),
    Target("padding.offsets(xp=...)", lambda v: list(padding.offsets(v, (3, 3), (1, 1), (3, 3))),
           ("xp",), IMAGES,
           lambda v, out: all(close(view, ref_windows(numeric(v))[:, :, :, u, w])
                              for u, w, view in out) and len(out) == 9),
    Target("padding.offsets(xp, kernel, strides=...)",
           lambda v: list(padding.offsets(X, (3, 3), v, (3, 3))), ("strides", "out_hw"),
           st.one_of(BAD_PAIR, st.just((2, 2)))),
    Target("padding.unpad(dxp=...)", lambda v: padding.unpad(v, ((1, 1), (2, 0))), ("dxp",),
           bad_arrays((2, 7, 7, 1)), lambda v, out: close(out, numeric(v)[:, 1:-1, 2:])),
    Target("padding.unpad(dxp, pads=...)", lambda v: padding.unpad(X, v), ("pads",),
           st.one_of(BAD_PAIR, st.just(((3, 2), (0, 0))), st.just(((0, 0), (-1, 1))))),
    Target("padding.check_pads(pads=...)", padding.check_pads, ("pads",),
           st.one_of(SCALAR_JUNK, st.just(((1,), (1, 1))), st.just(((0, 0), (0, None))))),
    Target("padding.check_geometry(xp=...)",
           lambda v: padding.check_geometry(v, 3, 1, 3), ("xp",),
           st.one_of(st.none(), st.just(np.ones((2, 2, 5, 1))), st.just(np.ones((0, 5, 5, 1))),
                     st.just(np.ones((5, 5))))),
    Target("padding.check_conv_arguments(b=...)",
           lambda v: padding.check_conv_arguments("conv", X, W, v), ("b",), bad_arrays((2,)),
           lambda v, out: out[2] is None if v is None else close(out[2], v)),
    Target("padding.cached_output_shape(xp=...)",
           lambda v: padding.cached_output_shape(v, W, (1, 1)), ("xp", "W"),
           st.one_of(st.none(), st.just(np.ones((2, 2, 2, 2))), st.just(np.ones((2, 5, 5, 3))),
                     st.just(np.ones((5, 5, 2)))),
           lambda v, out: out == (len(v), v.shape[1] - 2, v.shape[2] - 2, 2)),
    Target("padding.check_gradient_arguments(xp_shape=...)",
           lambda v: padding.check_gradient_arguments(np.ones((2, 3, 3, 2)), W, 1,
                                                      ((0, 0), (0, 0)), v),
           ("xp_shape", "dout"),
           st.one_of(SCALAR_JUNK, st.just((2, 5, 5)), st.just((2, 6, 6, 2)), st.just((2, 5, 5, 3)),
                     st.just((2, 5.0, 5, 2)), st.just((2, 2, 2, 2)))),
    # --- conv: the vectorised chunks --------------------------------------------------------
    *[Target(f"conv.{f}({arg}=...)",
             lambda v, f=f, i=i: getattr(conv, f)(*[v if j == i else 100 for j in range(2)]), (arg,), BAD_COUNT)
      for f in ("chunks", "batch_slices") for i, arg in enumerate(("n", "bytes_per_item"))],
    Target("conv.im2col_chunks(xp=...)",
           lambda v: listed(conv.im2col_chunks(v, (3, 3), (1, 1), (3, 3))), ("xp",),
           st.one_of(IMAGES.filter(lambda v: np.shape(v)[-1:] != (1,))), im2col_oracle(None)),
    Target("conv.im2col_chunks(xp, kernel, strides, out_hw=...)",
           lambda v: listed(conv.im2col_chunks(X, (3, 3), (1, 1), v)), ("out_hw",),
           st.one_of(BAD_PAIR, st.just((4, 4)))),
    Target("conv.plane_buffer(kernel, count=...)",
           lambda v: conv.plane_buffer((3, 3), v, (3, 3), np.float64), ("count",), BAD_COUNT),
    Target("conv.plane_buffer(kernel, count, out_hw, dtype=...)",
           lambda v: conv.plane_buffer((3, 3), 2, (3, 3), v), ("dtype",),
           st.one_of(SCALAR_JUNK, st.sampled_from(["int32", np.int64, "nonsense", bool]))),
    Target("conv.plane_buffer(kernel=...)",
           lambda v: conv.plane_buffer(v, 2, (3, 3), np.float64), ("kernel",), BAD_PAIR),
    Target("conv.plane_view(buf=...)", lambda v: conv.plane_view(v, (3, 3), 2, (3, 3)), ("buf",),
           bad_arrays((162,)),
           lambda v, out: out.shape == (3, 3, 2, 3, 3) and np.shares_memory(out, v)),
    Target("conv.plane_view(buf, kernel, count=...)",
           lambda v: conv.plane_view(np.empty(162), (3, 3), v, (3, 3)), ("count", "buf"),
           st.one_of(BAD_COUNT, st.just(3))),
    Target("conv.plane_chunks(xp=...)",
           lambda v: listed(conv.plane_chunks(v, (3, 3), (1, 1), (3, 3))), ("xp",),
           bad_arrays((2, 5, 5, 1)), im2col_oracle(None)),
    Target("conv.plane_chunks(xp, kernel=...)",
           lambda v: listed(conv.plane_chunks(X1, v, (1, 1), (3, 3))), ("kernel", "out_hw"),
           st.one_of(BAD_PAIR, st.just((4, 4)))),
    Target("conv.correlate(xp=...)",
           lambda v: (out2 := np.zeros((18, 2)), conv.correlate(v, W.reshape(-1, 2), (3, 3),
                                                                (1, 1), (3, 3), out2))[0],
           ("xp", "out2", "Wm"), IMAGES,
           lambda v, out: close(out, ref_conv(v, W).reshape(-1, 2))),
    Target("conv.correlate(xp, Wm=...)",
           lambda v: conv.correlate(X, v, (3, 3), (1, 1), (3, 3), np.zeros((18, 2))),
           ("Wm", "out2"), bad_arrays((18, 2)).filter(lambda v: np.shape(v) != (18, 2))),
    Target("conv.correlate(xp, Wm, kernel, strides, out_hw, out2=...)",
           lambda v: (conv.correlate(X, W.reshape(-1, 2), (3, 3), (1, 1), (3, 3), v), v)[1],
           ("out2",), bad_arrays((18, 2)),
           lambda v, out: close(out, ref_conv(X, W).reshape(-1, 2))),
    Target("conv.correlate(..., bias=...)",
           lambda v: (out2 := np.zeros((18, 2)), conv.correlate(
               X, W.reshape(-1, 2), (3, 3), (1, 1), (3, 3), out2, v))[0],
           ("bias",), bad_arrays((2,)), lambda v, out: close(out, ref_conv(X, W, optional(v)).reshape(-1, 2))),
    Target("conv.bias_gradient(d2=...)", conv.bias_gradient, ("d2",), bad_arrays((6, 2)),
           lambda v, out: close(out, numeric(v).sum(axis=0))),
    Target("conv.input_gradient(dout=...)",
           lambda v: conv.input_gradient(v, W, (1, 1), ((0, 0), (0, 0)), X.shape), ("dout",),
           bad_arrays((2, 3, 3, 2)),
           lambda v, out: close(out, conv.conv2d_backward_naive(
               numeric(v), conv.conv2d_forward_naive(X, W)[1])[0])),
    Target("conv.input_gradient(dout, W, strides, pads=...)",
           lambda v: conv.input_gradient(np.ones((2, 3, 3, 2)), W, (1, 1), v, X.shape), ("pads",),
           st.one_of(BAD_PAIR, st.just(((3, 3), (0, 0))))),
    Target("conv.plane_input_gradient(dout=...)",
           lambda v: conv.plane_input_gradient(v, W1, (1, 1), ((0, 0), (0, 0)), X1.shape),
           ("dout",), bad_arrays((2, 3, 3, 2)),
           lambda v, out: close(out, conv.conv2d_backward_naive(
               numeric(v), conv.conv2d_forward_naive(X1, W1)[1])[0])),
    Target("conv.plane_input_gradient(dout, W=...)",
           lambda v: conv.plane_input_gradient(np.ones((2, 3, 3, 2)), v, (1, 1), ((0, 0), (0, 0)),
                                               X1.shape), ("W", "dout"),
           st.one_of(st.none(), st.just(W), st.just(np.ones((3, 3, 2))),
                     st.just(np.ones((4, 4, 1, 2))))),
    # --- conv: the two implementations ------------------------------------------------------
    *[Target(f"conv.{f.__name__}(x=...)", lambda v, f=f: f(v, W, B)[0], ("x",),
             IMAGES, lambda v, out: close(out, ref_conv(v, W, B)))
      for f in (conv.conv2d_forward, conv.conv2d_forward_naive)],
    *[Target(f"conv.{f.__name__}(x, W=...)", lambda v, f=f: f(X, v, B)[0], ("W", "x"),
             bad_arrays((3, 3, 2, 2)), lambda v, out: close(out, ref_conv(X, numeric(v), B)))
      for f in (conv.conv2d_forward, conv.conv2d_forward_naive)],
    *[Target(f"conv.{f.__name__}(x, W, b=...)", lambda v, f=f: f(X, W, v)[0], ("b",),
             bad_arrays((2,)), lambda v, out: close(out, ref_conv(X, W, optional(v))))
      for f in (conv.conv2d_forward, conv.conv2d_forward_naive)],
    *[Target(f"conv.{f.__name__}(x, W, b, strides=...)",
             lambda v, f=f: f(X, W, B, v), ("strides",), BAD_PAIR)
      for f in (conv.conv2d_forward, conv.conv2d_forward_naive)],
    *[Target(f"conv.{f.__name__}(x, W, b, strides, padding=...)",
             lambda v, f=f: f(X, W, B, 1, v), ("padding",), SCALAR_JUNK)
      for f in (conv.conv2d_forward, conv.conv2d_forward_naive)],
    *[Target(f"conv.{b.__name__}(dout=...)", with_cache(f, b, X, W, B), ("dout",),
             bad_arrays((2, 3, 3, 2)), conv_backward_oracle(f is conv.conv2d_forward_naive))
      for f, b in ((conv.conv2d_forward, conv.conv2d_backward),
                   (conv.conv2d_forward_naive, conv.conv2d_backward_naive))],
    *[Target(f"conv.{b.__name__}(dout, cache=...)",
             lambda v, b=b: b(np.ones((2, 3, 3, 2)), v), ("cache",), JUNK_CACHE)
      for b in (conv.conv2d_backward, conv.conv2d_backward_naive)],
    # --- pooling ----------------------------------------------------------------------------
    *[Target(f"pool.{how}_pool_forward(x=...)",
             lambda v, how=how: getattr(pool, f"{how}_pool_forward")(v)[0], ("x",),
             bad_arrays((2, 4, 4, 1)), lambda v, out, how=how: close(out, ref_pool(v, how))) for how in ("max", "avg")],
    *[Target(f"pool.{how}_pool_forward(x, pool_size=...)",
             lambda v, how=how: getattr(pool, f"{how}_pool_forward")(POOL_X, v),
             ("pool_size",), BAD_PAIR) for how in ("max", "avg")],
    Target("pool.max_pool_forward(x, pool_size, strides=...)",
           lambda v: pool.max_pool_forward(POOL_X, 2, v), ("strides",),
           BAD_PAIR.filter(lambda v: v is not None)),
    Target("pool.avg_pool_forward(x, pool_size, strides, padding=...)",
           lambda v: pool.avg_pool_forward(POOL_X, 2, 2, v), ("padding",), SCALAR_JUNK),
    Target("pool.max_pool_backward(dout=...)",
           with_cache(pool.max_pool_forward, pool.max_pool_backward, POOL_X), ("dout",),
           bad_arrays((2, 2, 2, 1))),
    Target("pool.avg_pool_backward(dout=...)",
           lambda v: pool.avg_pool_backward(v, pool.avg_pool_forward(POOL_X)[1])[0], ("dout",),
           bad_arrays((2, 2, 2, 1)),
           lambda v, out: close(out, np.repeat(np.repeat(numeric(v) / 4, 2, 1), 2, 2))),
    *[Target(f"pool.{how}_pool_backward(dout, cache=...)",
             lambda v, how=how: getattr(pool, f"{how}_pool_backward")(
                 np.ones((2, 2, 2, 1)), v), ("cache",), JUNK_CACHE)
      for how in ("max", "avg")],
    Target("pool.Flatten.forward(x=...)", lambda v: built(Flatten(), (2, 3)).forward(v), ("x",),
           bad_arrays((4, 2, 3)), lambda v, out: close(out, numeric(v).reshape(len(v), 6))),
    Target("pool.Flatten.backward(dout=...)",
           lambda v: (f := built(Flatten(), (2, 3)), f.forward(np.ones((4, 2, 3))),
                      f.backward(v))[2], ("dout",), bad_arrays((4, 6)),
           lambda v, out: close(out, numeric(v).reshape(4, 2, 3))),
    # --- inception and residual -------------------------------------------------------------
    Target("inception.conv_multiplications(out_hw=...)",
           lambda v: inception.conv_multiplications(v, 3, 4, 8), ("out_hw",), BAD_PAIR),
    *[Target(f"inception.conv_multiplications({arg}=...)",
             lambda v, arg=arg: inception.conv_multiplications(
                 (5, 5), **{"kernel": 3, "in_channels": 4, "filters": 8, arg: v}),
             (arg,), BAD_COUNT) for arg in ("kernel", "in_channels", "filters")],
    Target("inception.bottleneck_savings(hw=...)", lambda v: inception.bottleneck_savings(v),
           ("hw",), BAD_PAIR),
    *[Target(f"inception.bottleneck_savings({arg}=...)",
             lambda v, arg=arg: inception.bottleneck_savings(**{arg: v}), (arg,),
             BAD_COUNT) for arg in ("in_channels", "filters", "kernel", "bottleneck")],
    Target("residual.PlainBlock(filters=...)", residual.PlainBlock, ("filters",), BAD_COUNT),
    Target("residual.PlainBlock(filters, kernel_size=...)",
           lambda v: residual.PlainBlock(2, v), ("kernel_size",), BAD_PAIR),
    Target("residual.PlainBlock(filters, strides=...)",
           lambda v: residual.PlainBlock(2, strides=v), ("strides",), BAD_PAIR),
    Target("residual.PlainBlock(filters, activation=...)",
           lambda v: residual.PlainBlock(2, activation=v), ("activation",), BAD_NAME),
    Target("residual.PlainBlock(filters, shortcut=...)",
           lambda v: residual.PlainBlock(2, shortcut=v), ("shortcut",), SCALAR_JUNK),
    Target("residual.PlainBlock.forward(x=...)", lambda v: plain_block().forward(v), ("x",),
           bad_arrays((2, 4, 4, 2)), plain_block_oracle),
    Target("residual.PlainBlock.backward(dout=...)", plain_block_backward, ("dout",),
           bad_arrays((2, 4, 4, 2)).filter(lambda v: np.shape(v) != (2, 4, 4, 2))),
    # --- the simple recurrent cell ----------------------------------------------------------
    *[Target(f"recurrent.rnn_step_forward({k}=...)",
             lambda v, k=k: recurrent.rnn_step_forward(**rnn_step_args(**{k: v})),
             (k,) + (("x_t", "h_prev", "Wx") if k != "x_t" else ("Wx", "h_prev")),
             bad_arrays(np.shape(rnn_step_args()[k])), rnn_step_oracle(k))
      for k in ("x_t", "h_prev", "Wx", "Wh", "b")],
    Target("recurrent.rnn_step_forward(..., activation=...)",
           lambda v: recurrent.rnn_step_forward(**rnn_step_args(), activation=v),
           ("activation",), BAD_NAME),
    Target("recurrent.rnn_step_backward(dh=...)",
           lambda v: recurrent.rnn_step_backward(
               v, recurrent.rnn_step_forward(**rnn_step_args())[1])[0][0],
           ("dh",), bad_arrays((N, U)), examplewise),
    Target("recurrent.rnn_step_backward(dh, cache=...)",
           lambda v: recurrent.rnn_step_backward(H0, v), ("cache",), JUNK_CACHE),
    Target("recurrent.rnn_forward(x=...)",
           lambda v: recurrent.rnn_forward(v, H0, RX, RH, RB)[0], ("x", "h0", "Wx"),
           bad_arrays(XS.shape), lambda v, out: close(out, ref_rnn(numeric(v), H0, RX, RH, RB))),
    Target("recurrent.rnn_forward(x, h0=...)",
           lambda v: recurrent.rnn_forward(XS, v, RX, RH, RB)[0], ("h0", "Wh"),
           bad_arrays(H0.shape), lambda v, out: close(out, ref_rnn(XS, numeric(v), RX, RH, RB))),
    Target("recurrent.rnn_forward(..., activation=...)",
           lambda v: recurrent.rnn_forward(XS, H0, RX, RH, RB, v), ("activation",), BAD_NAME),
    Target("recurrent.rnn_backward(dh=...)",
           lambda v: recurrent.rnn_backward(v, recurrent.rnn_forward(XS, H0, RX, RH, RB)[1])[0][0],
           ("dh",), bad_arrays(DS.shape), examplewise),
    Target("recurrent.rnn_backward(dh, cache=...)",
           lambda v: recurrent.rnn_backward(DS, v), ("cache",), JUNK_CACHE),
    # --- GRU --------------------------------------------------------------------------------
    Target("gru.split_bias(bias=...)", lambda v: gru.split_bias(v, True), ("bias",),
           bad_arrays((2, 6)), lambda v, out: out == (None, None) if v is None else
           close(out[0], v[0]) and close(out[1], v[1])),
    Target("gru.split_bias(bias, reset_after=...)", lambda v: gru.split_bias(GB, v),
           ("reset_after",), BAD_FLAG),
    *[Target(f"gru.gru_step_forward({k}=...)",
             lambda v, k=k: gru.gru_step_forward(**gru_step_args(**{k: v})),
             (k, "x", "h_prev", "kernel"), bad_arrays(np.shape(gru_step_args()[k])),
             gru_step_oracle(k))
      for k in ("x", "h_prev", "kernel", "recurrent_kernel", "bias")],
    Target("gru.gru_step_forward(..., reset_after=...)",
           lambda v: gru.gru_step_forward(**gru_step_args(), reset_after=v), ("reset_after",),
           BAD_FLAG),
    Target("gru.gru_step_backward(dh=...)",
           lambda v: gru.gru_step_backward(v, gru.gru_step_forward(**gru_step_args())[1])[0][0],
           ("dh",), bad_arrays((N, U)), examplewise),
    Target("gru.gru_step_backward(dh, cache=...)",
           lambda v: gru.gru_step_backward(H0, v), ("cache",),
           st.one_of(JUNK_CACHE, st.just(gru.gru_forward(XS, H0, GK, GR, GB)[1]))),
    Target("gru.gru_forward(x=...)", lambda v: gru.gru_forward(v, H0, GK, GR, GB),
           ("x", "kernel", "h0"), bad_arrays(XS.shape), gru_seq_oracle),
    Target("gru.gru_forward(x, h0=...)", lambda v: gru.gru_forward(XS, v, GK, GR, GB),
           ("h0", "recurrent_kernel"), bad_arrays(H0.shape),
           lambda v, out: close(out[0][:, 0], ref_gru_step(XS[:, 0], numeric(v), GK, GR, GB))),
    Target("gru.gru_backward(dhs=...)",
           lambda v: gru.gru_backward(v, gru.gru_forward(XS, H0, GK, GR, GB)[1])[0][0], ("dhs",),
           bad_arrays(DS.shape), examplewise),
    Target("gru.gru_backward(dhs, cache=...)", lambda v: gru.gru_backward(DS, v), ("cache",),
           JUNK_CACHE),
    # --- LSTM -------------------------------------------------------------------------------
    *[Target(f"lstm.lstm_step_forward({k}=...)",
             lambda v, k=k: lstm.lstm_step_forward(**lstm_step_args(**{k: v})),
             (k, "x", "h_prev", "kernel"), bad_arrays(np.shape(lstm_step_args()[k])),
             lstm_step_oracle(k))
      for k in ("x", "h_prev", "c_prev", "kernel", "recurrent_kernel", "bias")],
    Target("lstm.lstm_step_backward(dstates=...)",
           lambda v: lstm.lstm_step_backward(v, lstm.lstm_step_forward(**lstm_step_args())[1])[
               0][0], ("dstates", "dh", "dc"),
           st.one_of(SCALAR_JUNK, bad_arrays((N, U)).map(lambda a: (a, None)),
                     bad_arrays((N, U)).map(lambda a: (None, a))),
           lambda v, out: examplewise(v[0], out) if v[0] is not None else
           examplewise(v[1], out) if v[1] is not None else not out.any()),
    Target("lstm.lstm_step_backward(dstates, cache=...)",
           lambda v: lstm.lstm_step_backward((H0, C0), v), ("cache",),
           st.one_of(JUNK_CACHE, st.just(lstm.lstm_forward(XS, H0, C0, LK, LR, LB)[1]))),
    Target("lstm.lstm_forward(x=...)", lambda v: lstm.lstm_forward(v, H0, C0, LK, LR, LB),
           ("x", "kernel", "h0"), bad_arrays(XS.shape), lstm_seq_oracle),
    Target("lstm.lstm_forward(x, h0, c0=...)", lambda v: lstm.lstm_forward(XS, H0, v, LK, LR, LB),
           ("c0", "h0"), bad_arrays(C0.shape).filter(lambda v: np.shape(v) != C0.shape)),
    Target("lstm.lstm_backward(douts=...)",
           lambda v: lstm.lstm_backward(v, lstm.lstm_forward(XS, H0, C0, LK, LR, LB)[1])[0][0],
           ("douts", "dhs", "dc_T"),
           st.one_of(SCALAR_JUNK, bad_arrays(DS.shape).map(lambda a: (a, None)),
                     bad_arrays(H0.shape).map(lambda a: (None, a))),
           lambda v, out: examplewise(v[0], out) if v[0] is not None else
           examplewise(v[1], out) if v[1] is not None else not out.any()),
    Target("lstm.lstm_backward(douts, cache=...)", lambda v: lstm.lstm_backward((DS, None), v),
           ("cache",), JUNK_CACHE),
    # --- rnn_base: what the gated layers share --------------------------------------------
    Target("rnn_base.RecurrentBase(units=...)", rnn_base.RecurrentBase, ("units",), BAD_COUNT),
    Target("rnn_base.RecurrentBase(units, return_sequences=...)",
           lambda v: rnn_base.RecurrentBase(2, return_sequences=v), ("return_sequences",),
           BAD_FLAG),
    Target("rnn_base.RecurrentBase subclass without its methods",
           missing_method, ("_make_params", "_run_forward", "_run_backward"),
           st.sampled_from(["_make_params", "_run_forward", "_run_backward"])),
    Target("rnn_base.RecurrentBase.forward(x, initial_state=...) (GRU)",
           lambda v: built(gru.GRU(2), (3, 5)).forward(XS, initial_state=v), ("initial_state",),
           st.one_of(SCALAR_JUNK.filter(lambda v: v is not None), st.just([H0, H0]),
                     st.just(np.ones((3, 2))), st.just(np.ones((2, 2, 1))))),
    Target("rnn_base.with_final_gradient(dhs=...)",
           lambda v: rnn_base.with_final_gradient(v, None, DS.shape, "float64"), ("dhs",),
           bad_arrays(DS.shape), lambda v, out: not out.any() if v is None else close(out, v)),
    Target("rnn_base.with_final_gradient(dhs, dh_last=...)",
           lambda v: rnn_base.with_final_gradient(None, v, DS.shape, "float64"), ("dh_last",),
           bad_arrays((N, U)),
           lambda v, out: not out[:, :-1].any() and (not out.any() if v is None else
                                                     close(out[:, -1], v))),
    Target("rnn_base.with_final_gradient(dhs, dh_last, shape=...)",
           lambda v: rnn_base.with_final_gradient(None, H0, v, "float64"), ("shape",),
           st.one_of(BAD_PAIR, st.just((2, 0, 2)), st.just([2, 3, 2]))),
    Target("rnn_base.with_final_gradient(dhs, dh_last, shape, dtype=...)",
           lambda v: rnn_base.with_final_gradient(None, H0, DS.shape, v), ("dtype",),
           st.one_of(SCALAR_JUNK, st.sampled_from(["int32", "nonsense", bool]))),
    *[Target(f"rnn_base.{f}({arg}=...)", lambda v, f=f: getattr(rnn_base, f)(v),
             (arg,), bad_arrays((3, 2, 4)),
             lambda v, out: out.shape == (v.shape[1], v.shape[0], v.shape[2]) and
             (v.size == 0 or np.shares_memory(out, v)) and
             out.strides == (v.strides[1], v.strides[0], v.strides[2]))
      for f, arg in (("batch_first", "hs"), ("time_major", "dhs"))],
    Target("rnn_base.previous_states(s0=...)",
           lambda v: rnn_base.previous_states(v, DS.transpose(1, 0, 2)), ("s0", "ss"),
           bad_arrays((N, U)),
           lambda v, out: close(out[0], v) and close(out[1:], DS.transpose(1, 0, 2)[:-1])),
    Target("rnn_base.previous_states(s0, ss=...)", lambda v: rnn_base.previous_states(H0, v),
           ("ss", "s0"), bad_arrays((3, N, U)),
           lambda v, out: close(out[0], H0) and close(out[1:], numeric(v)[:-1])),
    Target("rnn_base.recurrent_gradient(h0, hs, dpre=...)",
           lambda v: rnn_base.recurrent_gradient(H0, DS.transpose(1, 0, 2), v), ("dpre",),
           bad_arrays((3, N, 6)),
           lambda v, out: close(out, sum(h.T @ d for h, d in zip(
               [H0, *DS.transpose(1, 0, 2)[:-1]], numeric(v))))),
    Target("rnn_base.recurrent_gradient(h0=...)",
           lambda v: rnn_base.recurrent_gradient(v, DS.transpose(1, 0, 2), np.ones((3, N, 6))),
           ("h0", "hs"), bad_arrays((N, U)).filter(lambda v: np.shape(v) != (N, U))),
    Target("rnn_base.project_inputs(x=...)", lambda v: rnn_base.project_inputs(v, GK, GB[0]),
           ("x", "kernel"), bad_arrays(XS.shape),
           lambda v, out: close(out[0], np.einsum("ntd,dk->tnk", numeric(v), GK) + GB[0])),
    Target("rnn_base.project_inputs(x, kernel=...)", lambda v: rnn_base.project_inputs(XS, v, None),
           ("kernel", "x"), bad_arrays(GK.shape),
           lambda v, out: close(out[0], np.einsum("ntd,dk->tnk", XS, numeric(v)))),
    Target("rnn_base.project_inputs(x, kernel, bias=...)",
           lambda v: rnn_base.project_inputs(XS, GK, v), ("bias",), bad_arrays((6,)),
           lambda v, out: close(out[0], np.einsum("ntd,dk->tnk", XS, GK) + optional(v, 0))),
    Target("rnn_base.input_gradients(dxw=...)",
           lambda v: rnn_base.input_gradients(v, rnn_base.project_inputs(XS, GK, None)[1], GK,
                                              XS.shape)[0], ("dxw", "kernel", "shape"),
           bad_arrays((3, N, 6)),
           lambda v, out: close(out, np.einsum("tnk,dk->ntd", numeric(v), GK))),
    Target("rnn_base.input_gradients(dxw, xt, kernel, shape=...)",
           lambda v: rnn_base.input_gradients(np.ones((3, N, 6)), np.ones((6, D)), GK, v),
           ("shape",), st.one_of(BAD_PAIR, st.just((3, 2, 5)), st.just([2, 3, 5]))),
    # --- nn.validation: the shared shape helpers -------------------------------------------
    Target("shape_checks.check_dims(x=...)",
           lambda v: shape_checks.check_dims("f", x=(v, "N D"), h=(H0, "N u")), ("x",),
           bad_arrays((N, 3)), lambda v, out: out[0][0] is v or close(out[0][0], v)),
    Target("shape_checks.check_dims(h=... against x)",
           lambda v: shape_checks.check_dims("f", x=(XS[:, 0], "N D"), w=(v, "D 3u")), ("w",),
           st.one_of(st.just(np.ones((4, 6))), st.just(np.ones((5, 7))), st.just(np.ones((5, 0)))),
           ),
    Target("shape_checks.check_cache(cache=..., kinds=3)",
           lambda v: shape_checks.check_cache(v, "cache", 3, "f"), ("cache",), JUNK_CACHE),
    Target("shape_checks.check_dout(dout=..., a step's (N, U))",
           lambda v: shape_checks.check_dout(v, (N, U)), ("dout",), bad_arrays((N, U)),
           lambda v, out: close(out, v)),
    Target("shape_checks.check_dims(x=Odd())", lambda v: shape_checks.check_dims("f", x=(v, "N")),
           ("x",), st.just(Odd())),
]

test_target_ids_are_distinct, test_wrong_value_gets_a_clear_error_or_a_correct_result = \
    target_tests(TARGETS)
