"""The gated recurrent unit, exactly as Keras computes it (gate order z, r, h).

With x_t (N, D), h_{t-1} (N, u), kernel W (D, 3u), recurrent_kernel U (u, 3u):

    z   = sigmoid(x W_z + h_{t-1} U_z + b_z)                 update gate
    r   = sigmoid(x W_r + h_{t-1} U_r + b_r)                 reset (the notes': relevance) gate
    h~  = tanh(x W_h + (r * h_{t-1}) U_h + b_h)              reset_after=False (the notes' form)
    h~  = tanh(x W_h + r * (h_{t-1} U_h + b'_h) + b_h)       reset_after=True  (Keras' default)
    h_t = z * h_{t-1} + (1 - z) * h~

``bias`` is (3u,) with reset_after=False and (2, 3u) with reset_after=True (row 0 the input
bias, row 1 the recurrent bias b'). The notes write c_t = Γu c~ + (1 - Γu) c_{t-1}: the same
cell with Γu = 1 - z (see ``notes_gru``, which maps the weights and checks it).
"""

from __future__ import annotations

import numpy as np

from companion.nn.layers.rnn_base import RecurrentBase, input_gradients, project_inputs, sigmoid


def split_bias(bias, reset_after: bool):
    """(input bias, recurrent bias or None) from Keras' GRU bias (None when use_bias=False)."""
    if bias is None:
        return None, None
    return (bias[0], bias[1]) if reset_after else (bias, None)


# -- one time step, from the precomputed input projection xw = x W + b ---------------------------
def gru_cell_forward(xw, h_prev, U, rbias=None, reset_after: bool = True):
    """One GRU step given xw = x W + b_in (N, 3u). Returns (h (N, u), cache)."""
    u = h_prev.shape[1]
    if reset_after:
        hu = h_prev @ U                                          # (N, 3u)
        if rbias is not None:
            hu += rbias
        zr = sigmoid(xw[:, :2 * u] + hu[:, :2 * u])
        z, r = zr[:, :u], zr[:, u:]
        hh = np.tanh(xw[:, 2 * u:] + r * hu[:, 2 * u:])
        inner = hu[:, 2 * u:]                                    # h U_h + b'_h, reused below
    else:
        zr = sigmoid(xw[:, :2 * u] + h_prev @ U[:, :2 * u])
        z, r = zr[:, :u], zr[:, u:]
        inner = r * h_prev                                       # the reset previous state
        hh = np.tanh(xw[:, 2 * u:] + inner @ U[:, 2 * u:])
    h = hh + z * (h_prev - hh)                                   # z h_prev + (1 - z) h~
    return h, (h_prev, zr, hh, inner, reset_after)


def gru_cell_backward(dh, cache, U):
    """Backward of ``gru_cell_forward``: dh (N, u) -> (dxw (N, 3u), dh_prev, dU, drbias).

    ``drbias`` is the gradient of the recurrent bias (reset_after=True) or None.
    """
    h_prev, zr, hh, inner, reset_after = cache
    u = h_prev.shape[1]
    z, r = zr[:, :u], zr[:, u:]
    dxw = np.empty((dh.shape[0], 3 * u), dtype=np.result_type(dh, zr))
    dah = dh * (1.0 - z) * (1.0 - hh * hh)                       # d(pre-activation of h~)
    dxw[:, :u] = dh * (h_prev - hh) * z * (1.0 - z)              # dz through sigmoid
    dxw[:, 2 * u:] = dah
    dh_prev = dh * z
    if reset_after:
        dxw[:, u:2 * u] = dah * inner * r * (1.0 - r)            # dr through sigmoid
        dhu = dxw.copy()
        dhu[:, 2 * u:] *= r                                      # d(h U + b')
        dU = h_prev.T @ dhu
        dh_prev += dhu @ U.T
        return dxw, dh_prev, dU, dhu.sum(axis=0)
    dinner = dah @ U[:, 2 * u:].T                                # d(r * h_prev)
    dxw[:, u:2 * u] = dinner * h_prev * r * (1.0 - r)
    dh_prev += dinner * r + dxw[:, :2 * u] @ U[:, :2 * u].T
    dU = np.empty_like(U, dtype=dxw.dtype)
    dU[:, :2 * u] = h_prev.T @ dxw[:, :2 * u]
    dU[:, 2 * u:] = inner.T @ dah
    return dxw, dh_prev, dU, None


# -- the pure step functions (what the gradient checks test) ----------------------------------
def gru_step_forward(x, h_prev, kernel, recurrent_kernel, bias=None, reset_after: bool = True):
    """One GRU step, Keras layout: x (N, D), h_prev (N, u) -> (h (N, u), cache)."""
    ib, rb = split_bias(bias, reset_after)
    xw = x @ kernel if ib is None else x @ kernel + ib
    h, cell = gru_cell_forward(xw, h_prev, recurrent_kernel, rb, reset_after)
    return h, (x, kernel, recurrent_kernel, bias is not None, cell)


def gru_step_backward(dh, cache):
    """dh (N, u) -> (dx, dh_prev, dkernel, drecurrent_kernel, dbias or None)."""
    x, kernel, U, has_bias, cell = cache
    dxw, dh_prev, dU, drb = gru_cell_backward(dh, cell, U)
    db = None
    if has_bias:
        db = np.stack([dxw.sum(axis=0), drb]) if cell[-1] else dxw.sum(axis=0)
    return dxw @ kernel.T, dh_prev, x.T @ dxw, dU, db


# -- whole sequences ----------------------------------------------------------------------------
def gru_forward(x, h0, kernel, recurrent_kernel, bias=None, reset_after: bool = True):
    """Run a GRU over x (N, T, D) from h0 (N, u). Returns (hs (T, N, u), cache)."""
    ib, rb = split_bias(bias, reset_after)
    xw, xt = project_inputs(x, kernel, ib)                       # one matmul for all steps
    T, N = xw.shape[:2]
    hs = np.empty((T, N, h0.shape[1]), dtype=xw.dtype)
    cells, h = [], h0
    for t in range(T):
        h, cell = gru_cell_forward(xw[t], h, recurrent_kernel, rb, reset_after)
        hs[t] = h
        cells.append(cell)
    return hs, (x.shape, xt, kernel, recurrent_kernel, bias is not None, reset_after, cells)


def gru_backward(dhs, dh_last, cache):
    """Backprop through time. dhs (T, N, u) or None, dh_last (N, u) or None (extra gradient on
    the final state). Returns (dx (N, T, D), dh0, dkernel, drecurrent_kernel, dbias or None)."""
    shape, xt, kernel, U, has_bias, reset_after, cells = cache
    T = len(cells)
    dxw = np.empty((T,) + cells[0][1].shape[:1] + (U.shape[1],),
                   dtype=np.result_type(cells[0][1], U))
    dU = np.zeros_like(U, dtype=dxw.dtype)
    drb = np.zeros(U.shape[1], dtype=dxw.dtype) if reset_after else None
    dh = np.zeros_like(cells[0][0], dtype=dxw.dtype) if dh_last is None else dh_last
    for t in range(T - 1, -1, -1):
        if dhs is not None:
            dh = dh + dhs[t]
        dxw[t], dh, dU_t, drb_t = gru_cell_backward(dh, cells[t], U)
        dU += dU_t
        if reset_after:
            drb += drb_t
    dx, dkernel, dib = input_gradients(dxw, xt, kernel, shape)
    db = (np.stack([dib, drb]) if reset_after else dib) if has_bias else None
    return dx, dh, dkernel, dU, db


class GRU(RecurrentBase):
    """GRU(units, reset_after=True, return_sequences=False): Keras' layer of the same name.

    Parameters (Keras order): ``kernel`` (D, 3u), ``recurrent_kernel`` (u, 3u), ``bias`` (3u,)
    or (2, 3u) with ``reset_after``; gates z, r, h. Activations tanh/sigmoid (Keras defaults).
    Input shape: (N, T, D). Output shape: (N, T, u) with return_sequences, else (N, u).
    """
    n_gates, n_states = 3, 1

    def __init__(self, units: int, reset_after: bool = True, use_bias: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)
        self.use_bias = bool(use_bias)

    def _make_params(self, d, rng):
        u = self.units
        p = {"kernel": self.kernel_initializer((d, 3 * u), rng),
             "recurrent_kernel": self.recurrent_initializer((u, 3 * u), rng)}
        if self.use_bias:
            p["bias"] = self.bias_initializer((2, 3 * u) if self.reset_after else (3 * u,), rng)
        return p

    def _run_forward(self, x, states0):
        p = self.params
        hs, cache = gru_forward(x, states0[0], p["kernel"], p["recurrent_kernel"], p.get("bias"),
                                self.reset_after)
        return hs, [hs[-1]], cache

    def _run_backward(self, dhs, dfinal, cache):
        dx, dh0, dW, dU, db = gru_backward(dhs, dfinal[0], cache)
        grads = {"kernel": dW, "recurrent_kernel": dU}
        if self.use_bias:
            grads["bias"] = db
        return dx, [dh0], grads

    def keras_layer(self, keras):
        return keras.layers.GRU(reset_after=self.reset_after, use_bias=self.use_bias,
                                **self._keras_kwargs())

    def __repr__(self):
        extra = ", return_sequences=True" if self.return_sequences else ""
        extra += "" if self.reset_after else ", reset_after=False"
        return f"GRU({self.units}{extra})"
