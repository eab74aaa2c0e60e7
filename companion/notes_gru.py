"""The GRU in the notes' notation: memory cell c, candidate c~, update gate Γu, relevance gate Γr.

The notes stack the previous cell and the input into one column [c<t-1>, x<t>] and give each
gate one matrix W of shape (n_a, n_a + n_x). Here a batch is one row per example, so the same
products read ``[c_prev, x] @ W.T``:

    simplified GRU                          full GRU
    Γu = σ(Wu [c_prev, x] + bu)             Γr = σ(Wr [c_prev, x] + br)
    c~ = tanh(Wc [c_prev, x] + bc)          Γu = σ(Wu [c_prev, x] + bu)
                                            c~ = tanh(Wc [Γr * c_prev, x] + bc)
    c  = Γu * c~ + (1 - Γu) * c_prev        (both)

and a<t> = c<t>. Keras' GRU (``reset_after=False``) is the full GRU with its update gate the
other way round: h = z * h_prev + (1 - z) * h~, so **Γu = 1 - z**, i.e. σ(-a_z): the notes'
update weights are Keras' negated. ``keras_gru_to_notes`` / ``notes_to_keras_gru`` convert.
``params`` is a dict with ``Wu, bu, Wc, bc`` and, for the full GRU, ``Wr, br``.
"""
from __future__ import annotations

import numpy as np

from .layers.rnn_base import sigmoid


def notes_gru_step_forward(x, c_prev, params):
    """x (N, n_x), c_prev (N, n_a) -> (c (N, n_a), cache). Full GRU when params has Wr."""
    full = "Wr" in params
    cx = np.concatenate([c_prev, x], axis=1)                       # [c<t-1>, x<t>] as rows
    gu = sigmoid(cx @ params["Wu"].T + params["bu"])
    gr = sigmoid(cx @ params["Wr"].T + params["br"]) if full else None
    cx_c = np.concatenate([gr * c_prev, x], axis=1) if full else cx
    c_tilde = np.tanh(cx_c @ params["Wc"].T + params["bc"])
    c = gu * c_tilde + (1.0 - gu) * c_prev
    return c, (cx, cx_c, c_prev, gu, gr, c_tilde, params)


def notes_gru_step_backward(dc, cache):
    """dc (N, n_a) -> (dx, dc_prev, dparams) with dparams keyed like params."""
    cx, cx_c, c_prev, gu, gr, c_tilde, params = cache
    n_a = c_prev.shape[1]
    da_c = dc * gu * (1.0 - c_tilde ** 2)                          # through tanh
    da_u = dc * (c_tilde - c_prev) * gu * (1.0 - gu)               # through σ
    grads = {"Wc": da_c.T @ cx_c, "bc": da_c.sum(0), "Wu": da_u.T @ cx, "bu": da_u.sum(0)}
    dcx_c = da_c @ params["Wc"]
    dcx = da_u @ params["Wu"]
    dc_prev = dc * (1.0 - gu)
    if gr is None:
        dcx = dcx + dcx_c
    else:
        d_rc = dcx_c[:, :n_a]                                       # d(Γr * c_prev)
        da_r = d_rc * c_prev * gr * (1.0 - gr)
        grads.update(Wr=da_r.T @ cx, br=da_r.sum(0))
        dcx = dcx + da_r @ params["Wr"]
        dcx[:, n_a:] += dcx_c[:, n_a:]
        dc_prev = dc_prev + d_rc * gr
    return dcx[:, n_a:], dc_prev + dcx[:, :n_a], grads


def keras_gru_to_notes(kernel, recurrent_kernel, bias):
    """Keras GRU weights (reset_after=False: kernel (n_x, 3u), recurrent (u, 3u), bias (3u,))
    -> the notes' {Wu, bu, Wr, br, Wc, bc}, with the update gate flipped (Γu = 1 - z)."""
    u = recurrent_kernel.shape[0]
    if np.ndim(bias) != 1:
        raise ValueError(f"bias has shape {np.shape(bias)}: the notes' GRU is Keras' "
                         f"reset_after=False form, whose bias has shape ({3 * u},)")
    W = np.concatenate([recurrent_kernel, kernel], axis=0).T       # (3u, u + n_x): [c, x] cols
    return {"Wu": -W[:u], "bu": -bias[:u],                          # σ(-a) = 1 - σ(a)
            "Wr": W[u:2 * u], "br": bias[u:2 * u],
            "Wc": W[2 * u:], "bc": bias[2 * u:]}


def notes_to_keras_gru(params):
    """Inverse of ``keras_gru_to_notes``: returns [kernel, recurrent_kernel, bias]."""
    u = params["Wu"].shape[0]
    W = np.concatenate([-params["Wu"], params["Wr"], params["Wc"]], axis=0).T
    bias = np.concatenate([-params["bu"], params["br"], params["bc"]])
    return [W[u:], W[:u], bias]
