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

from companion.nn.activations import sigmoid
from companion.nn.layers.rnn_base import (
    RecurrentBase,
    batch_first,
    input_gradients,
    previous_states,
    project_inputs,
    time_major,
)
from companion.nn.shape_checks import check_cache, check_dims, check_dout
from companion.nn.validation import as_array, check_bool


def split_bias(bias, reset_after: bool):
    """(input bias, recurrent bias or None) from Keras' GRU bias (None when use_bias=False):
    bias (2, 3u) with reset_after (row 1 the recurrent bias), (3u,) without."""
    if reset_after is not True and reset_after is not False:
        check_bool(reset_after, "reset_after")
    if bias is None:
        return None, None
    if type(bias) is not np.ndarray or bias.dtype.kind not in "fiu":    # fast: once per step
        bias = as_array(bias, "bias")
    if bias.ndim != (2 if reset_after else 1):
        raise ValueError(f"bias: expected shape {'(2, 3u)' if reset_after else '(3u,)'} with "
                         f"reset_after={reset_after}, got {bias.shape}")
    if reset_after and bias.shape[0] != 2:
        raise ValueError(f"bias: expected shape (2, 3u) with reset_after=True (input and "
                         f"recurrent biases), got {bias.shape}")
    return (bias[0], bias[1]) if reset_after else (bias, None)


# -- one time step -------------------------------------------------------------------------------
def gru_step_forward(x, h_prev, kernel, recurrent_kernel, bias=None, reset_after: bool = True):
    """One GRU step, Keras layout: x (N, D), h_prev (N, u), kernel (D, 3u),
    recurrent_kernel (u, 3u), bias (3u,) or (2, 3u). Returns (h (N, u), cache)."""
    if not (type(x) is np.ndarray is type(h_prev) and x.ndim == 2 == h_prev.ndim and
            x.shape[0] == h_prev.shape[0] and x.dtype.kind in "fiu" and h_prev.dtype.kind == "f"):
        (x, _), _ = check_dims("gru_step_forward", x=(x, "N D"), h_prev=(h_prev, "N u"))
    hs, cache = gru_forward(x[:, None], h_prev, kernel, recurrent_kernel, bias, reset_after)
    return hs[:, 0], cache


def gru_step_backward(dh, cache):
    """dh (N, u) -> ((dx (N, D), dh_prev (N, u)), (dkernel, drecurrent_kernel, dbias or None))."""
    hs = check_cache(cache, "cache", 11, "gru_step_forward")[9]
    if hs.shape[0] != 1:
        raise ValueError(f"cache: gru_step_backward takes the cache of gru_step_forward (one "
                         f"step), got that of a sequence of {hs.shape[0]} steps (gru_backward)")
    dh = check_dout(dh, hs.shape[1:], "dh")
    (dx, dh_prev), grads = gru_backward(dh[:, None], cache)
    return (dx[:, 0], dh_prev), grads


# -- whole sequences -----------------------------------------------------------------------------
def gru_forward(x, h0, kernel, recurrent_kernel, bias=None, reset_after: bool = True):
    """Run a GRU over x (N, T, D) from h0 (N, u). Returns (hs (N, T, u), cache).

    One matrix product projects the inputs of every step; the loop does only the recurrence.
    """
    x, h0 = _check_gru("gru_forward", x, "N T D", "h0", h0, kernel, recurrent_kernel, bias,
                       reset_after)
    ib, rb = split_bias(bias, reset_after)
    xw, xt = project_inputs(x, kernel, ib)                       # (T, N, 3u)
    T, N, k = xw.shape
    u = k // 3
    U = recurrent_kernel.astype(xw.dtype, copy=False)
    zr = np.empty((T, N, 2 * u), dtype=xw.dtype)                 # the gates z, r
    hh = np.empty((T, N, u), dtype=xw.dtype)                     # the candidates h~
    inner = np.empty((T, N, u), dtype=xw.dtype)                  # h U_h + b' or r * h_prev
    hs = np.empty((T, N, u), dtype=xw.dtype)
    h = h0.astype(xw.dtype, copy=False)
    for t in range(T):
        _gru_cell(xw[t], h, U, rb, reset_after, zr[t], hh[t], inner[t], hs[t])
        h = hs[t]
    cache = (x.shape, xt, kernel, U, bias is not None, reset_after, zr, hh, inner, hs, h0)
    return batch_first(hs), cache


def _check_gru(owner, x, x_dims, h_name, h, kernel, recurrent_kernel, bias, reset_after):
    """x and the state ``h`` (named ``h_name``) against Keras' GRU weights; O(1)."""
    if reset_after is not True and reset_after is not False:
        check_bool(reset_after, "reset_after")
    specs = {"x": (x, x_dims), h_name: (h, "N u"), "kernel": (kernel, "D 3u"),
             "recurrent_kernel": (recurrent_kernel, "u 3u")}
    if bias is not None:
        specs["bias"] = (bias, "2 3u" if reset_after else "3u")
    arrays, _ = check_dims(owner, **specs)
    return arrays[0], arrays[1]


def _gru_cell(xw, h_prev, U, rbias, reset_after, zr, hh, inner, h) -> None:
    """One step, written into the step's slices zr (N, 2u), hh, inner, h (N, u)."""
    u = h_prev.shape[1]
    if reset_after:
        hu = h_prev @ U                                          # (N, 3u)
        if rbias is not None:
            hu += rbias
        np.add(xw[:, :2 * u], hu[:, :2 * u], out=zr)
        inner[...] = hu[:, 2 * u:]                               # h U_h + b'_h
    else:
        np.add(xw[:, :2 * u], h_prev @ U[:, :2 * u], out=zr)
    sigmoid(zr, out=zr)
    z, r = zr[:, :u], zr[:, u:]
    if reset_after:
        np.multiply(r, inner, out=hh)
    else:
        np.multiply(r, h_prev, out=inner)                        # the reset previous state
        np.matmul(inner, U[:, 2 * u:], out=hh)
    hh += xw[:, 2 * u:]
    np.tanh(hh, out=hh)
    np.subtract(h_prev, hh, out=h)
    h *= z
    h += hh                                                      # z h_prev + (1 - z) h~


def gru_backward(dhs, cache):
    """Backprop through time. dhs (N, T, u): the gradient with respect to forward's hs.

    Returns ((dx (N, T, D), dh0 (N, u)), (dkernel (D, 3u), drecurrent_kernel (u, 3u),
    dbias or None)). The loop carries dh back (one product per step); the weight gradients
    are one product each over all steps after it.
    """
    shape, xt, kernel, U, has_bias, reset_after, zr, hh, inner, hs, h0 = \
        check_cache(cache, "cache", 11, "gru_forward")
    T, N, u = hh.shape
    dhs = check_dout(dhs, (N, T, u), "dhs")
    z, r = zr[:, :, :u], zr[:, :, u:]
    h_prev = previous_states(h0, hs)
    # what does not depend on the carried gradient, for all steps at once
    dz_dh = (h_prev - hh) * z * (1.0 - z)                        # dz_pre = dh * this
    dah_dh = (1.0 - z) * (1.0 - hh * hh)                         # dah = dh * this
    dr_dah = r * (1.0 - r)                                       # dr_pre = dinner-ish * this
    if reset_after:
        dr_dah *= inner
    dhs = time_major(dhs)
    dxw = np.empty((T, N, 3 * u), dtype=hh.dtype)                # d(x W + b) per step
    drec = np.empty((T, N, 3 * u if reset_after else u), dtype=hh.dtype)
    dh = np.zeros((N, u), hh.dtype)
    Ut, Uzr_t, Uh_t = (np.ascontiguousarray(m.T) for m in (U, U[:, :2 * u], U[:, 2 * u:]))
    for t in range(T - 1, -1, -1):
        dh = dh + dhs[t]
        np.multiply(dh, dz_dh[t], out=dxw[t, :, :u])
        dah = np.multiply(dh, dah_dh[t], out=dxw[t, :, 2 * u:])
        dh *= z[t]
        if reset_after:
            np.multiply(dah, dr_dah[t], out=dxw[t, :, u:2 * u])
            d = drec[t]                                          # d(h U + b')
            d[:, :2 * u] = dxw[t, :, :2 * u]
            np.multiply(dah, r[t], out=d[:, 2 * u:])
            dh += d @ Ut
        else:
            dinner = np.matmul(dah, Uh_t, out=drec[t])           # d(r * h_prev)
            np.multiply(dinner * h_prev[t], dr_dah[t], out=dxw[t, :, u:2 * u])
            dh += dinner * r[t] + dxw[t, :, :2 * u] @ Uzr_t
    dx, dkernel, dib = input_gradients(dxw, xt, kernel, shape)
    dU, drb = _recurrent_grads(dxw, drec, h_prev, inner, reset_after)
    db = None
    if has_bias:
        db = np.stack([dib, drb]) if reset_after else dib
    return (dx, dh), (dkernel, dU, db)


def _recurrent_grads(dxw, drec, h_prev, inner, reset_after):
    """(drecurrent_kernel (u, 3u), drecurrent_bias (3u,) or None): one product over all steps."""
    T, N, u = h_prev.shape
    hp = h_prev.reshape(T * N, u)
    if reset_after:
        d2 = drec.reshape(T * N, 3 * u)
        return hp.T @ d2, d2.sum(axis=0)
    dU = np.empty((u, 3 * u), dtype=dxw.dtype)
    dU[:, :2 * u] = hp.T @ dxw[:, :, :2 * u].reshape(T * N, 2 * u)
    dU[:, 2 * u:] = inner.reshape(T * N, u).T @ dxw[:, :, 2 * u:].reshape(T * N, u)
    return dU, None


class GRU(RecurrentBase):
    """GRU(units, reset_after=True, return_sequences=False): Keras' layer of the same name.

    Parameters (Keras order): ``kernel`` (D, 3u), ``recurrent_kernel`` (u, 3u), ``bias`` (3u,)
    or (2, 3u) with ``reset_after``; gates z, r, h. Activations tanh/sigmoid (Keras defaults).
    Input shape: (N, T, D). Output shape: (N, T, u) with return_sequences, else (N, u).
    """
    n_gates, n_states = 3, 1

    def __init__(self, units: int, reset_after: bool = True, use_bias: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = check_bool(reset_after, "GRU: reset_after")
        self.use_bias = check_bool(use_bias, "GRU: use_bias")

    def _make_params(self, d, rng):
        u = self.units
        self.add_weight("kernel", self.kernel_initializer((d, 3 * u), rng))
        self.add_weight("recurrent_kernel", self.recurrent_initializer((u, 3 * u), rng))
        if self.use_bias:
            self.add_weight("bias", self.bias_initializer(
                (2, 3 * u) if self.reset_after else (3 * u,), rng))

    def _run_forward(self, x, states0):
        p = self.params
        hs, cache = gru_forward(x, states0[0], p["kernel"], p["recurrent_kernel"], p.get("bias"),
                                self.reset_after)
        return hs, [hs[:, -1]], cache

    def _run_backward(self, dhs, dfinal, cache):
        (dx, dh0), (dW, dU, db) = gru_backward(dhs, cache)
        grads = {"kernel": dW, "recurrent_kernel": dU}
        if self.use_bias:
            grads["bias"] = db
        return dx, [dh0], grads

    def __repr__(self):
        extra = ", return_sequences=True" if self.return_sequences else ""
        extra += "" if self.reset_after else ", reset_after=False"
        return f"GRU({self.units}{extra})"
