"""Chapter 11 exercises: a GRU step, an LSTM step forward and backward, a bidirectional
layer's outputs, and the notes' GRU update gate from Keras' weights.

References: ``companion.nn.layers.gru`` / ``lstm`` (Keras layout and gate order: GRU z, r, h;
LSTM i, f, c, o), ``Bidirectional`` and ``chapters.ch11.keras_gru_to_notes``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, Mistake, check
from companion.nn.activations import sigmoid
from companion.nn.layers.gru import gru_step_forward
from companion.nn.layers.lstm import lstm_step_backward, lstm_step_forward


def _step_cases(seed: int, gates: int, lstm: bool, backward: bool = False) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, u, label in ((3, 4, 5, "N=3"), (1, 2, 3, "a batch of one")):
        x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, u))
        W, U = rng.standard_normal((D, gates * u)), rng.standard_normal((u, gates * u))
        b = rng.standard_normal(gates * u)
        state = (h0, rng.standard_normal((N, u))) if lstm else (h0,)
        args = (x, *state, W, U, b)
        if backward:
            args = (rng.standard_normal((N, u)), rng.standard_normal((N, u))) + args
        cases.append(Case(args, label=label))
    return cases


def _split(a, k: int):
    u = a.shape[1] // k
    return [a[:, i * u:(i + 1) * u] for i in range(k)]


# --- 1. a GRU step ----------------------------------------------------------------------------------
def _gru(x, h_prev, W, U, b):
    return gru_step_forward(x, h_prev, W, U, b, reset_after=False)[0]


def _gru_bug(bug: str):
    def step(x, h_prev, W, U, b):
        xw = x @ W + b
        (xz, xr, xh), (Uz, Ur, Uh) = _split(xw, 3), np.split(U, 3, axis=1)
        z, r = sigmoid(xz + h_prev @ Uz), sigmoid(xr + h_prev @ Ur)
        if bug == "order":
            z, r = r, z
        hh = np.tanh(xh + (r * (h_prev @ Uh) if bug == "reset after" else
                           h_prev @ Uh if bug == "no reset" else (r * h_prev) @ Uh))
        return z * hh + (1 - z) * h_prev if bug == "notes z" else z * h_prev + (1 - z) * hh
    return step


def check_gru_step(gru_step: Callable) -> bool:
    """``gru_step(x (N, D), h_prev (N, u), kernel (D, 3u), recurrent_kernel (u, 3u),
    bias (3u,)) -> h (N, u)``: Keras' GRU with reset_after=False, gate order z, r, h."""
    mistakes = [Mistake(_gru_bug("notes z"), "Keras' update gate runs the other way round: "
                        "h = z * h_prev + (1 - z) * h~ (the notes' Γu is 1 - z)"),
                Mistake(_gru_bug("order"), "the blocks are in the order z, r, h: z is the "
                        "FIRST u columns, r the next u"),
                Mistake(_gru_bug("reset after"), "with reset_after=False the reset gate "
                        "multiplies h_prev BEFORE the matrix product: (r * h_prev) @ U_h"),
                Mistake(_gru_bug("no reset"), "the candidate uses the reset state r * h_prev, "
                        "not h_prev")]
    return check("gru_step", gru_step, _gru, _step_cases(0, 3, lstm=False), mistakes,
                 returns="the new state h (N, u)")


# --- 2. an LSTM step forward ------------------------------------------------------------------------
NAMES_FWD = ("h", "c")


def _lstm(x, h_prev, c_prev, W, U, b):
    return lstm_step_forward(x, h_prev, c_prev, W, U, b)[0]


def _lstm_bug(bug: str):
    def step(x, h_prev, c_prev, W, U, b):
        i, f, g, o = _split(x @ W + h_prev @ U + b, 4)
        if bug == "swap i f":
            i, f = f, i
        if bug == "order ifoc":
            g, o = o, g
        c = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * (c if bug == "no tanh" else np.tanh(c)), c
    return step


def check_lstm_step(lstm_step: Callable) -> bool:
    """``lstm_step(x, h_prev, c_prev, kernel (D, 4u), recurrent_kernel (u, 4u), bias (4u,))
    -> (h, c)``, Keras' gate order i, f, c, o."""
    mistakes = [Mistake(_lstm_bug("swap i f"), "the input and forget gates are swapped: "
                        "Keras' order is i, f, c, o and c = f * c_prev + i * c~"),
                Mistake(_lstm_bug("order ifoc"), "the candidate c~ is the THIRD block and the "
                        "output gate the fourth (i, f, c, o)"),
                Mistake(_lstm_bug("no tanh"), "h = o * tanh(c): the tanh is missing")]
    return check("lstm_step", lstm_step, _lstm, _step_cases(1, 4, lstm=True), mistakes,
                 returns="the pair (h, c)", names=NAMES_FWD)


# --- 3. an LSTM step backward -----------------------------------------------------------------------
NAMES_BWD = ("dx", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")


def _lstm_backward(dh, dc, x, h_prev, c_prev, W, U, b):
    cache = lstm_step_forward(x, h_prev, c_prev, W, U, b)[1]
    (dx, dh_prev, dc_prev), (dW, dU, db) = lstm_step_backward((dh, dc), cache)
    return dx, dh_prev, dc_prev, dW, dU, db


def _lstm_backward_bug(bug: str):
    def backward(dh, dc, x, h_prev, c_prev, W, U, b):
        ai, af, ag, ao = _split(x @ W + h_prev @ U + b, 4)
        i, f, g, o = sigmoid(ai), sigmoid(af), np.tanh(ag), sigmoid(ao)
        c = f * c_prev + i * g
        tc = np.tanh(c)
        dct = dc + dh * o * (1 if bug == "no tanh'" else 1 - tc ** 2)
        if bug == "dc only":
            dct = dc
        dg = dct * i * (g * (1 - g) if bug == "sigmoid'" else 1 - g ** 2)
        da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dg,
                             dh * tc * o * (1 - o)], axis=1)
        dc_prev = dct if bug == "no f" else dct * f
        return da @ W.T, da @ U.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    return backward


def check_lstm_step_backward(lstm_step_backward_fn: Callable) -> bool:
    """``lstm_step_backward(dh, dc, x, h_prev, c_prev, kernel, recurrent_kernel, bias) ->
    (dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)``: dh and dc (N, u) are the
    gradients arriving at h and c from above and from the next step."""
    mistakes = [Mistake(_lstm_backward_bug("dc only"), "c also gets gradient through h = o * "
                        "tanh(c): dc_total = dc + dh * o * (1 - tanh(c)**2)"),
                Mistake(_lstm_backward_bug("no tanh'"), "the path through h = o * tanh(c) "
                        "needs tanh'(c) = 1 - tanh(c)**2"),
                Mistake(_lstm_backward_bug("sigmoid'"), "the candidate c~ is a tanh: its "
                        "derivative is 1 - c~**2, not the sigmoid's c~ (1 - c~)"),
                Mistake(_lstm_backward_bug("no f"), "dc_prev = dc_total * f: the forget gate "
                        "scales the copy path")]
    return check("lstm_step_backward", lstm_step_backward_fn, _lstm_backward,
                 _step_cases(2, 4, lstm=True, backward=True), mistakes,
                 returns="the tuple (dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)",
                 names=NAMES_BWD)


# --- 4. a bidirectional layer's outputs ---------------------------------------------------------------
def _bi_case(seed: int, N: int, T: int):
    from companion.nn.layers.bidirectional import Bidirectional
    from companion.nn.layers.gru import GRU
    rng = np.random.default_rng(seed)
    bi = Bidirectional(GRU(3, return_sequences=True))
    bi.build((T, 2), rng)
    return bi, rng.standard_normal((N, T, 2))


def _bi_reference(forward_layer, backward_layer, x):
    """What ``Bidirectional`` computes: [forward(x), reverse-in-time(backward(reversed x))]."""
    return np.concatenate([forward_layer.forward(x),
                           backward_layer.forward(x[:, ::-1])[:, ::-1]], axis=-1)


def check_bidirectional(bidirectional_outputs: Callable) -> bool:
    """``bidirectional_outputs(forward_layer, backward_layer, x (N, T, D)) -> (N, T, 2u)``:
    the two GRU(return_sequences=True) layers of a Bidirectional layer, concatenated per step
    (each has ``.forward(x) -> (N, T, u)``)."""
    cases = []
    for seed, N, T, label in ((5, 4, 6, "N=4, T=6"), (6, 1, 3, "a batch of one, T=3")):
        bi, x = _bi_case(seed, N, T)
        cases.append(Case((bi.forward_layer, bi.backward_layer, x), label=label))
    mistakes = [Mistake(lambda f, b, x: np.concatenate([f.forward(x), b.forward(x)], -1),
                        "the backward layer must read the sequence reversed: x[:, ::-1]"),
                Mistake(lambda f, b, x: np.concatenate([f.forward(x), b.forward(x[:, ::-1])], -1),
                        "the backward layer's outputs come out in reversed time: reverse them "
                        "back ([:, ::-1]) so that step t lines up with the forward layer's"),
                Mistake(lambda f, b, x: np.concatenate([b.forward(x[:, ::-1])[:, ::-1],
                                                        f.forward(x)], -1),
                        "the forward half comes first: [forward, backward]")]
    return check("bidirectional", bidirectional_outputs, _bi_reference, cases, mistakes,
                 returns="the concatenated outputs (N, T, 2u)")


# --- 5. the notes' update gate from Keras' weights (an extra) ---------------------------------------
def _update_gate(kernel_z, recurrent_kernel_z, bias_z):
    from companion.chapters.ch11 import keras_gru_to_notes
    u = recurrent_kernel_z.shape[0]
    pad = lambda a: np.concatenate([a, np.zeros(a.shape[:-1] + (2 * u,))], -1)
    notes = keras_gru_to_notes(pad(kernel_z), pad(recurrent_kernel_z), pad(bias_z))
    return notes["Wu"], notes["bu"]


def check_update_gate_mapping(to_notes_update_gate: Callable) -> bool:
    """``to_notes_update_gate(kernel_z (D, u), recurrent_kernel_z (u, u), bias_z (u,)) ->
    (Wu (u, u + D), bu (u,))`` with Γu = σ(Wu [c_prev, x] + bu) = 1 - z."""
    rng = np.random.default_rng(4)
    cases = [Case((rng.standard_normal((3, 4)), rng.standard_normal((4, 4)),
                   rng.standard_normal(4)), label="D=3, u=4"),
             Case((rng.standard_normal((1, 2)), rng.standard_normal((2, 2)),
                   rng.standard_normal(2)), label="D=1, u=2")]
    mistakes = [Mistake(lambda W, U, b: (np.concatenate([U, W]).T, b), "that gives Γu = z; "
                        "the notes' Γu is 1 - z, and 1 - σ(a) = σ(-a): negate"),
                Mistake(lambda W, U, b: (-np.concatenate([W, U]).T, -b), "the columns are "
                        "[x, c_prev]; the notes write [c_prev, x]")]
    return check("update gate", to_notes_update_gate, _update_gate, cases, mistakes,
                 returns="the pair (Wu, bu)", names=("Wu", "bu"))
