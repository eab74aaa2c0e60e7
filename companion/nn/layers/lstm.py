"""Long short-term memory, exactly as Keras computes it (gate order i, f, c, o).

With x_t (N, D), h_{t-1}, c_{t-1} (N, u), kernel W (D, 4u), recurrent_kernel U (u, 4u),
bias b (4u,) and a_t = x_t W + h_{t-1} U + b split into four (N, u) blocks:

    i   = sigmoid(a_i)            input gate   (the notes' update gate Γu)
    f   = sigmoid(a_f)            forget gate  Γf
    c~  = tanh(a_c)               candidate cell
    o   = sigmoid(a_o)            output gate  Γo
    c_t = f * c_{t-1} + i * c~    the memory cell: an additive path through time
    h_t = o * tanh(c_t)

``unit_forget_bias=True`` (Keras' default) starts b_f at 1, so the cell remembers at first.
"""

from __future__ import annotations

import numpy as np

from companion.nn import initializers
from companion.nn.activations import sigmoid
from companion.nn.layers.rnn_base import (
    RecurrentBase,
    batch_first,
    input_gradients,
    project_inputs,
    recurrent_gradient,
    time_major,
)
from companion.nn.shape_checks import check_cache, check_dims, check_dout
from companion.nn.validation import check_bool


# -- one time step -------------------------------------------------------------------------------
def lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias=None):
    """One LSTM step, Keras layout.

    x (N, D), h_prev, c_prev (N, u); kernel (D, 4u), recurrent_kernel (u, 4u), bias (4u,).
    Returns ((h (N, u), c (N, u)), cache).
    """
    (x, h_prev, c_prev), _ = check_dims("lstm_step_forward", x=(x, "N D"), h_prev=(h_prev, "N u"),
                                        c_prev=(c_prev, "N u"))
    (hs, c), cache = lstm_forward(x[:, None], h_prev, c_prev, kernel, recurrent_kernel, bias)
    return (hs[:, 0], c), cache


def lstm_step_backward(dstates, cache):
    """Backward of ``lstm_step_forward``: dstates = (dh, dc) (N, u), either may be None.

    Returns ((dx (N, D), dh_prev, dc_prev), (dkernel, drecurrent_kernel, dbias or None)).
    """
    hs = check_cache(cache, "cache", 11, "lstm_step_forward")[6]
    if hs.shape[0] != 1:
        raise ValueError(f"cache: lstm_step_backward takes the cache of lstm_step_forward (one "
                         f"step), got that of a sequence of {hs.shape[0]} steps (lstm_backward)")
    if not isinstance(dstates, (tuple, list)) or len(dstates) != 2:
        raise TypeError(f"dstates: expected a pair (dh, dc) of (N, u) arrays or None, got "
                        f"{type(dstates).__name__}")
    dh, dc = (None if d is None else check_dout(d, hs.shape[1:], name)
              for d, name in zip(dstates, ("dh", "dc")))
    dhs = None if dh is None else dh[:, None]
    (dx, dh_prev, dc_prev), grads = lstm_backward((dhs, dc), cache)
    return (dx[:, 0], dh_prev, dc_prev), grads


# -- whole sequences -----------------------------------------------------------------------------
def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias=None):
    """Run an LSTM over x (N, T, D) from the states h0, c0 (N, u).

    Returns ((hs (N, T, u), c_T (N, u)), cache). One matrix product projects the inputs of
    every step (``project_inputs``); the loop does only what the recurrence needs: h U, the
    gates (written over the projection, in place) and the new states.
    """
    x, h0, c0 = _check_lstm("lstm_forward", x, "N T D", "h0", h0, "c0", c0, kernel,
                            recurrent_kernel, bias)
    gates, xt = project_inputs(x, kernel, bias)                  # (T, N, 4u): x W + b
    T, N, k = gates.shape
    u = k // 4
    hs, cs, tcs = (np.empty((T, N, u), dtype=gates.dtype) for _ in range(3))
    hu = np.empty((N, k), dtype=gates.dtype)
    cand = np.empty((N, u), dtype=gates.dtype)
    h, c = h0.astype(gates.dtype, copy=False), c0.astype(gates.dtype, copy=False)
    U = recurrent_kernel.astype(gates.dtype, copy=False)
    for t in range(T):
        a = gates[t]
        a += np.matmul(h, U, out=hu)                             # x W + b + h U
        np.tanh(a[:, 2 * u:3 * u], out=cand)                     # candidate c~
        sigmoid(a, out=a)                                        # i, f, o (one call)
        a[:, 2 * u:3 * u] = cand
        c = np.multiply(a[:, u:2 * u], c, out=cs[t])             # f * c_prev
        c += a[:, :u] * cand                                     # + i * c~
        h = np.multiply(a[:, 3 * u:], np.tanh(c, out=tcs[t]), out=hs[t])   # o * tanh(c)
    cache = (x.shape, xt, kernel, U, bias is not None, gates, hs, cs, tcs, c0, h0)
    return (batch_first(hs), c), cache


def _check_lstm(owner, x, x_dims, h_name, h, c_name, c, kernel, recurrent_kernel, bias):
    """x and the states h, c (named as the caller names them) against Keras' LSTM weights."""
    specs = {"x": (x, x_dims), h_name: (h, "N u"), c_name: (c, "N u"),
             "kernel": (kernel, "D 4u"), "recurrent_kernel": (recurrent_kernel, "u 4u")}
    if bias is not None:
        specs["bias"] = (bias, "4u")
    return check_dims(owner, **specs)[0][:3]


def lstm_backward(douts, cache):
    """Backprop through time. douts = (dhs (N, T, u) or None, dc_T (N, u) or None): the
    gradients with respect to forward's outputs (hs, c_T).

    Returns ((dx (N, T, D), dh0 (N, u), dc0 (N, u)), (dkernel (D, 4u),
    drecurrent_kernel (u, 4u), dbias (4u,) or None)). The loop carries dh and dc back one
    step at a time (one (N, 4u) x (4u, u) product per step); the weight gradients are one
    product each over all time steps after it.
    """
    shape, xt, kernel, U, has_bias, gates, hs, cs, tcs, c0, h0 = \
        check_cache(cache, "cache", 11, "lstm_forward")
    T, N, u = hs.shape
    if not isinstance(douts, (tuple, list)) or len(douts) != 2:
        raise TypeError(f"douts: expected a pair (dhs (N, T, u) or None, dc_T (N, u) or None), "
                        f"got {type(douts).__name__}")
    dhs, dc_last = (None if d is None else check_dout(d, s, name) for d, s, name in
                    zip(douts, ((N, T, u), (N, u)), ("dhs", "dc_T")))
    dc_dh, factors = _local_derivatives(gates, cs, tcs, c0)
    dhs = None if dhs is None else time_major(dhs)
    da = np.empty_like(gates)                                    # (T, N, 4u)
    dh = np.zeros((N, u), gates.dtype)
    dc = np.zeros((N, u), gates.dtype) if dc_last is None else dc_last.astype(gates.dtype)
    f = gates[:, :, u:2 * u]
    Ut = np.ascontiguousarray(U.T)                               # (4u, u): faster per step
    for t in range(T - 1, -1, -1):
        if dhs is not None:
            dh = dh + dhs[t]
        dc = dc + dh * dc_dh[t]
        d = da[t].reshape(N, 4, u)
        np.multiply(dc[:, None, :], factors[t].reshape(N, 4, u)[:, :3], out=d[:, :3])
        np.multiply(dh, factors[t, :, 3 * u:], out=d[:, 3])
        dh = da[t] @ Ut                                          # to h_{t-1}
        dc *= f[t]                                               # to c_{t-1}
    dU = recurrent_gradient(h0, hs, da)                          # one product, all steps
    dx, dkernel, db = input_gradients(da, xt, kernel, shape)
    return (dx, dh, dc), (dkernel, dU, db if has_bias else None)


def _local_derivatives(gates, cs, tcs, c0):
    """What backward needs that does not depend on the carried gradients, for all steps at
    once, in place (no temporaries of the sequence's size):

        dc_dh (T, N, u) = o (1 - tanh(c)^2)                      dc gets dh * dc_dh
        factors (T, N, 4u) = [c~ i(1-i), c_prev f(1-f), i (1-c~^2) | tanh(c) o(1-o)]

    so that da = [dc * factors[:3u] | dh * factors[3u:]].
    """
    u = tcs.shape[2]
    i, _, g, o = (gates[:, :, j * u:(j + 1) * u] for j in range(4))
    factors = np.subtract(1.0, gates)                            # whole array: contiguous
    factors *= gates                                             # sigmoid' = s (1 - s)
    fi, ff, fg, fo = (factors[:, :, j * u:(j + 1) * u] for j in range(4))
    fi *= g
    ff[1:] *= cs[:-1]
    ff[0] *= c0
    fo *= tcs
    np.multiply(g, g, out=fg)
    np.subtract(1.0, fg, out=fg)                                 # tanh' = 1 - c~^2
    fg *= i
    dc_dh = np.multiply(tcs, tcs)
    np.subtract(1.0, dc_dh, out=dc_dh)
    dc_dh *= o
    return dc_dh, factors


class LSTM(RecurrentBase):
    """LSTM(units, return_sequences=False, unit_forget_bias=True): Keras' layer of that name.

    Parameters (Keras order): ``kernel`` (D, 4u), ``recurrent_kernel`` (u, 4u), ``bias`` (4u,);
    gates i, f, c, o. States: [h, c]. Input shape: (N, T, D); output (N, T, u) or (N, u).
    """
    n_gates, n_states = 4, 2

    def __init__(self, units: int, unit_forget_bias: bool = True, use_bias: bool = True,
                 **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = check_bool(unit_forget_bias, "LSTM: unit_forget_bias")
        self.use_bias = check_bool(use_bias, "LSTM: use_bias")

    def _make_params(self, d, rng):
        u = self.units
        self.add_weight("kernel", self.kernel_initializer((d, 4 * u), rng))
        self.add_weight("recurrent_kernel", self.recurrent_initializer((u, 4 * u), rng))
        if self.use_bias:
            b = self.bias_initializer((4 * u,), rng)
            if self.unit_forget_bias:
                b[u:2 * u] = initializers.ones((u,))
            self.add_weight("bias", b)

    def _run_forward(self, x, states0):
        p = self.params
        (hs, c), cache = lstm_forward(x, states0[0], states0[1], p["kernel"],
                                      p["recurrent_kernel"], p.get("bias"))
        return hs, [hs[:, -1], c], cache

    def _run_backward(self, dhs, dfinal, cache):
        (dx, dh0, dc0), (dW, dU, db) = lstm_backward((dhs, dfinal[1]), cache)
        grads = {"kernel": dW, "recurrent_kernel": dU}
        if self.use_bias:
            grads["bias"] = db
        return dx, [dh0, dc0], grads
