"""Chapter 9 exercises: the RNN cell in the notes' column layout with its softmax prediction,
the forward pass over a whole sequence, backpropagation through time, and the softmax
cross-entropy summed over time with its gradient.

References: ``companion.nn.layers.recurrent`` (batch-first, Keras layout: x_t @ Wx + h @ Wh).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, check, hints, planted
from companion.nn.activations import softmax
from companion.nn.layers.recurrent import (
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
)

HINTS = hints("ch09")


def _weights(rng, D: int, H: int):
    return rng.standard_normal((D, H)) * 0.6, rng.standard_normal((H, H)) * 0.5, \
        rng.standard_normal(H) * 0.3


# --- 1. the cell in the notes' layout, with its prediction ---------------------------------------
def _cell_notes(x, a_prev, Wax, Waa, ba, Wya, by):
    """The package's batch-first cell with kernel = Wax.T, recurrent_kernel = Waa.T, transposed
    back to columns; the prediction is the softmax of Wya a_next + by over each COLUMN."""
    a_next = rnn_step_forward(x.T, a_prev.T, Wax.T, Waa.T, ba.ravel())[0].T
    return a_next, softmax(Wya @ a_next + by, axis=0)


def _cell_bug(bug: str):
    def cell(x, a_prev, Wax, Waa, ba, Wya, by):
        z = (Waa.T if bug == "transposed" else Waa) @ a_prev + Wax @ x
        z = z if bug == "no bias" else z + ba
        a = z if bug == "no tanh" else np.tanh(z)
        s = Wya @ (z if bug == "scores from z" else a) + by
        if bug == "softmax rows":
            return a, softmax(s, axis=1)
        if bug == "sigmoid":
            return a, 1 / (1 + np.exp(-s))
        return a, softmax(s, axis=0)
    return cell


def _cell_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    cases = []
    for m, n_y, scale, label in ((5, 4, 1.0, "m = 5 examples"), (1, 3, 1.0, "one example"),
                                 (4, 4, 1.0, "n_y = m = 4 (a square prediction)"),
                                 (3, 6, 400.0, "large scores (Wya * 400)")):
        cases.append(Case((rng.standard_normal((4, m)), rng.standard_normal((3, m)),
                           rng.standard_normal((3, 4)), rng.standard_normal((3, 3)),
                           rng.standard_normal((3, 1)), scale * rng.standard_normal((n_y, 3)),
                           rng.standard_normal((n_y, 1))), label=label))
    return cases


def check_cell_notes(rnn_cell_forward: Callable) -> bool:
    """``rnn_cell_forward(x (n_x, m), a_prev (n_a, m), Wax (n_a, n_x), Waa (n_a, n_a),
    ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1)) -> (a_next (n_a, m), y_pred (n_y, m))`` with
    a_next = tanh(Waa a_prev + Wax x + ba) and y_pred = softmax(Wya a_next + by), each column
    (one example) a distribution."""
    mistakes = planted(_cell_bug, HINTS["cell_notes"])
    return check("RNN cell", rnn_cell_forward, _cell_notes, _cell_cases(), mistakes,
                 returns="the tuple (a_next, y_pred): arrays (n_a, m) and (n_y, m)",
                 names=("a_next", "y_pred"), pure=True)


# --- 2. the forward pass over a sequence --------------------------------------------------------
def _seq_cases(seed: int, backward: bool = False) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for N, T, D, H, label in ((3, 5, 4, 6, "N=3, T=5"), (1, 7, 2, 3, "a batch of one, T=7"),
                              (2, 1, 3, 4, "T=1")):
        x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)) * 0.5
        Wx, Wh, b = _weights(rng, D, H)
        if backward:                        # b = 0 here, so hs alone determines the cache
            hs = rnn_forward(x, h0, Wx, Wh, 0 * b)[0]
            cases.append(Case((rng.standard_normal((N, T, H)), x, h0, hs, Wx, Wh), label=label))
        else:
            cases.append(Case((x, h0, Wx, Wh, b), label=label))
    return cases


def _forward(x, h0, Wx, Wh, b):
    return rnn_forward(x, h0, Wx, Wh, b)[0]


def _forward_bug(bug: str):
    def forward(x, h0, Wx, Wh, b):
        h, hs = h0, []
        for t in range(x.shape[1]):
            prev = h0 if bug == "no recurrence" else h
            Wr = Wh.T if bug == "transposed" else Wh
            h = np.tanh(x[:, t] @ Wx + prev @ Wr + (0 if bug == "no bias" else b))
            hs.append(h)
        return np.stack(hs, axis=1)
    return forward


def check_rnn_forward(rnn_forward_fn: Callable) -> bool:
    """``rnn_forward(x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,)) -> h (N, T, H)``,
    h<t> = tanh(x<t> Wx + h<t-1> Wh + b), every state returned."""
    mistakes = planted(_forward_bug, HINTS["rnn_forward"])
    return check("rnn_forward", rnn_forward_fn, _forward, _seq_cases(1), mistakes,
                 returns="all the states, an array (N, T, H)", pure=True)


# --- 3. backpropagation through time --------------------------------------------------------
NAMES = ("dx", "dh0", "dWx", "dWh", "db")


def _bptt(dh, x, h0, hs, Wx, Wh):
    H = Wh.shape[0]
    cache = rnn_forward(x, h0, Wx, Wh, np.zeros(H))[1]        # the cases' bias is 0
    (dx, dh0), (dWx, dWh, db) = rnn_backward(dh, cache)
    return dx, dh0, dWx, dWh, db


def _bptt_bug(bug: str):
    def backward(dh, x, h0, hs, Wx, Wh):
        T = x.shape[1]
        dx, dWx, dWh = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh)
        db, dnext = np.zeros(Wh.shape[0]), np.zeros_like(h0)
        for t in reversed(range(T)):
            h, prev = hs[:, t], (hs[:, t - 1] if t else h0)
            g = dh[:, t] if bug == "no future" else dh[:, t] + dnext
            dz = g * (h * (1 - h) if bug == "sigmoid'" else 1 - h ** 2)
            dx[:, t], dnext = dz @ Wx.T, dz @ Wh.T
            if bug == "last step only":
                dWx, dWh, db = x[:, t].T @ dz, prev.T @ dz, dz.sum(axis=0)
            else:
                dWx += x[:, t].T @ dz
                prev = hs[:, t - 1] if bug == "hs[-1]" else prev
                dWh += (h if bug == "h not h_prev" else prev).T @ dz
                db += dz.sum(axis=0)
        return dx, dnext, dWx, dWh, db
    return backward


def check_rnn_backward(rnn_backward_fn: Callable) -> bool:
    """``rnn_backward(dh (N, T, H), x (N, T, D), h0 (N, H), hs (N, T, H), Wx, Wh) ->
    (dx, dh0, dWx, dWh, db)``: dh holds dL/dh<t> from the outputs above each step."""
    mistakes = planted(_bptt_bug, HINTS["rnn_backward"])
    return check("rnn_backward", rnn_backward_fn, _bptt, _seq_cases(2, backward=True), mistakes,
                 returns="the tuple (dx, dh0, dWx, dWh, db)", names=NAMES,
                 pure=True)


# --- 4. the loss over time and its gradient -------------------------------------------------------
def _loss(z, y):
    """Softmax cross-entropy summed over time from the scores ``z`` (T, n_y), and dL/dz."""
    p = softmax(z, axis=1)
    T = len(y)
    log_p = z[np.arange(T), y] - z.max(axis=1) - np.log(np.exp(z - z.max(axis=1,
                                                                         keepdims=True)).sum(1))
    dz = p.copy()
    dz[np.arange(T), y] -= 1
    return float(-log_p.sum()), dz


def _loss_bug(bug: str):
    def loss(z, y):
        T = len(y)
        e = np.exp(z) if bug == "no shift" else np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=0 if bug == "axis" else 1, keepdims=True)
        picked = p[np.arange(T), y]
        value = -np.log(np.prod(picked)) if bug == "product" else -np.log(picked).sum()
        if bug not in ("product", "log of p", "no shift", "axis"):
            value = _loss(z, y)[0] * (1 / T if bug == "mean" else 1)
            return float(value), p - np.eye(z.shape[1])[y] * (0 if bug == "no onehot" else 1)
        dz = p - np.eye(z.shape[1])[y]
        return float(value), dz
    return loss


def _loss_eps(eps: float):
    def loss(z, y):
        p = softmax(z, axis=1)
        dz = p - np.eye(z.shape[1])[y]
        return float(-np.log(p[np.arange(len(y)), y] + eps).sum()), dz
    return loss


def _loss_variant(bug: str):
    """``_loss_bug(bug)``, or for "epsilon" the variants with each epsilon a learner might add
    inside the log."""
    if bug == "epsilon":
        return [_loss_eps(eps) for eps in (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)]
    return _loss_bug(bug)


def check_sequence_loss(sequence_loss: Callable) -> bool:
    """``sequence_loss(z (T, n_y) scores, y (T,) int labels) -> (loss, dz)``: the notes'
    cross-entropy of one sequence summed over time, L = -sum_t log softmax(z_t)[y_t], and its
    gradient dz (T, n_y) = softmax(z) - one_hot(y)."""
    rng = np.random.default_rng(2)
    cases = []
    for T, V, scale, label in ((6, 5, 1.0, "T=6, 5 classes"), (1, 3, 1.0, "T=1"),
                               (4, 7, 1.0, "T=4, 7 classes"),
                               (400, 28, 1.0, "T=400: a product of 400 probabilities "
                                "underflows to 0"),
                               (5, 4, 400.0, "scores in the hundreds: exp(z) overflows unless "
                                "you subtract the max")):
        cases.append(Case((rng.standard_normal((T, V)) * scale, rng.integers(0, V, T)),
                          label=label))
    mistakes = planted(_loss_variant, HINTS["sequence_loss"])
    return check("loss over time", sequence_loss, _loss, cases, mistakes,
                 returns="the pair (loss, dz)", names=("loss", "dz"), pure=True)
