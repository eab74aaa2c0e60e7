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
from companion.nn.layers.rnn_base import RecurrentBase, input_gradients, project_inputs, sigmoid


def lstm_cell_forward(xw, h_prev, c_prev, U):
    """One LSTM step given xw = x W + b (N, 4u). Returns (h, c, cache)."""
    u = h_prev.shape[1]
    a = xw + h_prev @ U                                          # (N, 4u)
    gates = sigmoid(a)                                           # i, f, (unused), o
    g = np.tanh(a[:, 2 * u:3 * u])                               # candidate c~
    c = gates[:, u:2 * u] * c_prev + gates[:, :u] * g
    tc = np.tanh(c)
    h = gates[:, 3 * u:] * tc
    return h, c, (h_prev, c_prev, gates, g, tc)


def lstm_cell_backward(dh, dc, cache, U):
    """Backward of ``lstm_cell_forward``: (dh, dc) -> (dxw (N, 4u), dh_prev, dc_prev, dU)."""
    h_prev, c_prev, gates, g, tc = cache
    u = h_prev.shape[1]
    i, f, o = gates[:, :u], gates[:, u:2 * u], gates[:, 3 * u:]
    dc = dc + dh * o * (1.0 - tc * tc)                           # through h = o tanh(c)
    da = np.empty((dh.shape[0], 4 * u), dtype=np.result_type(dh, gates))
    da[:, :u] = dc * g * i * (1.0 - i)
    da[:, u:2 * u] = dc * c_prev * f * (1.0 - f)
    da[:, 2 * u:3 * u] = dc * i * (1.0 - g * g)
    da[:, 3 * u:] = dh * tc * o * (1.0 - o)
    return da, da @ U.T, dc * f, h_prev.T @ da


def lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias=None):
    """One LSTM step, Keras layout: x (N, D), h_prev, c_prev (N, u) -> (h, c, cache)."""
    xw = x @ kernel if bias is None else x @ kernel + bias
    h, c, cell = lstm_cell_forward(xw, h_prev, c_prev, recurrent_kernel)
    return h, c, (x, kernel, recurrent_kernel, bias is not None, cell)


def lstm_step_backward(dh, dc, cache):
    """(dh, dc) (N, u) -> (dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias or None)."""
    x, kernel, U, has_bias, cell = cache
    da, dh_prev, dc_prev, dU = lstm_cell_backward(dh, dc, cell, U)
    return da @ kernel.T, dh_prev, dc_prev, x.T @ da, dU, (da.sum(axis=0) if has_bias else None)


def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias=None):
    """Run an LSTM over x (N, T, D). Returns (hs (T, N, u), c_T (N, u), cache)."""
    xw, xt = project_inputs(x, kernel, bias)
    T, N = xw.shape[:2]
    hs = np.empty((T, N, h0.shape[1]), dtype=xw.dtype)
    cells, h, c = [], h0, c0
    for t in range(T):
        h, c, cell = lstm_cell_forward(xw[t], h, c, recurrent_kernel)
        hs[t] = h
        cells.append(cell)
    return hs, c, (x.shape, xt, kernel, recurrent_kernel, bias is not None, cells)


def lstm_backward(dhs, dh_last, dc_last, cache):
    """Backprop through time. dhs (T, N, u) or None; dh_last, dc_last (N, u) or None.
    Returns (dx (N, T, D), dh0, dc0, dkernel, drecurrent_kernel, dbias or None)."""
    shape, xt, kernel, U, has_bias, cells = cache
    T = len(cells)
    h_prev0 = cells[0][0]
    dtype = np.result_type(cells[0][2], U)
    dxw = np.empty((T, h_prev0.shape[0], U.shape[1]), dtype=dtype)
    dU = np.zeros_like(U, dtype=dtype)
    dh = np.zeros(h_prev0.shape, dtype) if dh_last is None else dh_last
    dc = np.zeros(h_prev0.shape, dtype) if dc_last is None else dc_last
    for t in range(T - 1, -1, -1):
        if dhs is not None:
            dh = dh + dhs[t]
        dxw[t], dh, dc, dU_t = lstm_cell_backward(dh, dc, cells[t], U)
        dU += dU_t
    dx, dkernel, db = input_gradients(dxw, xt, kernel, shape)
    return dx, dh, dc, dkernel, dU, (db if has_bias else None)


class LSTM(RecurrentBase):
    """LSTM(units, return_sequences=False, unit_forget_bias=True): Keras' layer of that name.

    Parameters (Keras order): ``kernel`` (D, 4u), ``recurrent_kernel`` (u, 4u), ``bias`` (4u,);
    gates i, f, c, o. States: [h, c]. Input shape: (N, T, D); output (N, T, u) or (N, u).
    """
    n_gates, n_states = 4, 2

    def __init__(self, units: int, unit_forget_bias: bool = True, use_bias: bool = True,
                 **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.use_bias = bool(use_bias)

    def _make_params(self, d, rng):
        u = self.units
        p = {"kernel": self.kernel_initializer((d, 4 * u), rng),
             "recurrent_kernel": self.recurrent_initializer((u, 4 * u), rng)}
        if self.use_bias:
            b = self.bias_initializer((4 * u,), rng)
            if self.unit_forget_bias:
                b[u:2 * u] = initializers.ones((u,))
            p["bias"] = b
        return p

    def _run_forward(self, x, states0):
        p = self.params
        hs, c, cache = lstm_forward(x, states0[0], states0[1], p["kernel"],
                                    p["recurrent_kernel"], p.get("bias"))
        return hs, [hs[-1], c], cache

    def _run_backward(self, dhs, dfinal, cache):
        dx, dh0, dc0, dW, dU, db = lstm_backward(dhs, dfinal[0], dfinal[1], cache)
        grads = {"kernel": dW, "recurrent_kernel": dU}
        if self.use_bias:
            grads["bias"] = db
        return dx, [dh0, dc0], grads

    def keras_layer(self, keras):
        return keras.layers.LSTM(unit_forget_bias=self.unit_forget_bias, use_bias=self.use_bias,
                                 **self._keras_kwargs())
