"""Chapter 11 exercises: a GRU step, an LSTM step forward and backward, an LSTM backward over a
whole sequence (its checker localises an unplanted mistake by varying the inputs: T = 1, the
gradient at the last step only, a gate shut or fully open, the gates' weight blocks), a
bidirectional layer's outputs, and the capstone's choice of the learner's steps or the
package's.

References: ``companion.nn.layers.gru`` / ``lstm`` (Keras layout and gate order: GRU z, r, h;
LSTM i, f, c, o), and ``Bidirectional``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import numpy as np

from companion.exercises.checker import (
    Case,
    Fail,
    call,
    check,
    hints,
    normalise,
    planted,
    run_check,
)
from companion.nn.activations import sigmoid
from companion.nn.layers.gru import gru_step_forward
from companion.nn.layers.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

HINTS = hints("ch11")


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


# --- 1. a GRU step --------------------------------------------------------------------------------
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
    mistakes = planted(_gru_bug, HINTS["gru_step"])
    return check("gru_step", gru_step, _gru, _step_cases(0, 3, lstm=False), mistakes,
                 returns="the new state h (N, u)", pure=True)


# --- 2. an LSTM step forward ----------------------------------------------------------------------
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
        cand = sigmoid(g) if bug == "sigmoid c~" else np.tanh(g)
        c = sigmoid(f) * c_prev + sigmoid(i) * cand
        return sigmoid(o) * (c if bug == "no tanh" else np.tanh(c)), c
    return step


def check_lstm_step(lstm_step: Callable) -> bool:
    """``lstm_step(x, h_prev, c_prev, kernel (D, 4u), recurrent_kernel (u, 4u), bias (4u,))
    -> (h, c)``, Keras' gate order i, f, c, o."""
    mistakes = planted(_lstm_bug, HINTS["lstm_step"])
    return check("lstm_step", lstm_step, _lstm, _step_cases(1, 4, lstm=True), mistakes,
                 returns="the pair (h, c)", names=NAMES_FWD, pure=True)


# --- 3. an LSTM step backward ---------------------------------------------------------------------
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
    mistakes = planted(_lstm_backward_bug, HINTS["lstm_step_backward"])
    return check("lstm_step_backward", lstm_step_backward_fn, _lstm_backward,
                 _step_cases(2, 4, lstm=True, backward=True), mistakes,
                 returns="the tuple (dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)",
                 names=NAMES_BWD, pure=True)


# --- 4. an LSTM backward over a whole sequence --------------------------------------------------
NAMES_SEQ = ("dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias")
GATES = ("input gate i", "forget gate f", "candidate c~", "output gate o")


def _lstm_sequence_backward(dh, x, h0, c0, W, U, b):
    cache = lstm_forward(x, h0, c0, W, U, b)[1]
    (dx, dh0, dc0), (dW, dU, db) = lstm_backward((dh, None), cache)
    return dx, dh0, dc0, dW, dU, db


def _seq_case(seed: int, N: int, T: int, D: int, u: int, gate_bias=None, dh_last_only=False):
    rng = np.random.default_rng(seed)
    x, h0, c0 = (rng.standard_normal(s) for s in ((N, T, D), (N, u), (N, u)))
    W, U = rng.standard_normal((D, 4 * u)) * 0.6, rng.standard_normal((u, 4 * u)) * 0.6
    b = rng.standard_normal(4 * u) * 0.5
    for gate, value in (gate_bias or {}).items():              # open or shut a gate
        b[gate * u:(gate + 1) * u] = value
    dh = rng.standard_normal((N, T, u))
    if dh_last_only:
        dh[:, :-1] = 0
    return (dh, x, h0, c0, W, U, b)


SEQ_CASES = [Case(_seq_case(20, 3, 5, 4, 2), label="N=3, T=5, D=4, u=2"),
             Case(_seq_case(21, 1, 1, 2, 3), label="a batch of one, T=1"),
             Case(_seq_case(22, 2, 30, 3, 4), label="T=30")]


def _seq_bug(bug: str):
    def backward(dh, x, h0, c0, W, U, b):
        T = x.shape[1]
        hs, cs, h, c = [], [], h0, c0
        for t in range(T):
            h, c = _lstm(x[:, t], h, c, W, U, b)
            hs.append(h)
            cs.append(c)
        grads = [np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)]
        dxs, dh_next, dc_next = [], np.zeros_like(h0), np.zeros_like(c0)
        for t in reversed(range(T)):
            h_prev, c_prev = (hs[t - 1], cs[t - 1]) if t else (h0, c0)
            g = dh[:, t] + (0 if bug == "no dh_next" else dh_next)
            dc_in = 0 * dc_next if bug == "no dc_next" else dc_next
            dx_t, dh_next, dc_next, *dw = _lstm_backward(g, dc_in, x[:, t], h_prev, c_prev,
                                                         W, U, b)
            grads = dw if bug == "overwrite" else [a + d for a, d in zip(grads, dw)]
            dxs.append(dx_t)
        dx = np.stack(dxs[::-1] if bug != "not reversed" else dxs, axis=1)
        return (dx, dh_next, dc_next, *grads)
    return backward


def _agree(fn, case: Case, rtol=1e-6, atol=1e-8) -> dict[str, np.ndarray] | None:
    """{output: bool per gate block for the weights, one bool otherwise}, or None when the
    learner's function fails on the case."""
    try:
        got = call(fn, *case.args)
        got = normalise(got, _lstm_sequence_backward(*case.args), "", "", NAMES_SEQ)
    except Fail:
        return None
    want = normalise(*(2 * [_lstm_sequence_backward(*case.args)]), "", "", NAMES_SEQ)
    out = {}
    for k, w in want.items():
        close = np.isclose(got[k], w, rtol=rtol, atol=atol)
        if k in NAMES_SEQ[3:]:                  # one verdict per gate block i, f, c, o
            blocks = close.reshape(close.shape[:-1] + (4, -1))
            out[k] = np.moveaxis(blocks, -2, 0).reshape(4, -1).all(axis=1)
        else:
            out[k] = np.array([close.all()])
    return out


def _columns(g: int) -> str:
    u = lambda k: {0: "0", 1: "u"}.get(k, f"{k}u")
    return f"[..., {u(g)}:{u(g + 1)}]"


def _all(agreement) -> bool:
    return agreement is not None and all(v.all() for v in agreement.values())


def _localise(fn) -> str | None:
    """Where the learner's sequence backward goes wrong, found by varying the inputs: one step
    (T = 1), the gradient from above at the last step only, a gate shut or fully open, and
    which gate's block of the weight gradients disagrees."""
    base, one = _agree(fn, SEQ_CASES[0]), _agree(fn, SEQ_CASES[1])
    if base is None or one is None:
        return None
    if _all(one):
        if _all(_agree(fn, Case(_seq_case(20, 3, 5, 4, 2, dh_last_only=True)))):
            return ("correct for T=1 and when only the last state gets a gradient from above, "
                    "wrong when every step does: add dh[:, t] (from above) to the gradient "
                    "carried back from step t+1")
        return ("correct for T=1 but wrong over several steps: check what flows back from step "
                "t+1 to step t (dh_prev and dc_prev of the step after) and that the weights' "
                "gradients are summed over the steps")
    weights = NAMES_SEQ[3:]
    bad = sorted({g for k in weights for g in range(4) if not one[k][g]})
    if 0 < len(bad) < 4:                        # T = 1: no other step mixes the blocks
        wrong = [k for k in weights if not one[k].all()]
        where = " and ".join(GATES[g] for g in bad)
        good = ", ".join(GATES[g] for g in range(4) if g not in bad)
        cols = ", ".join(_columns(g) for g in bad)
        return (f"{', '.join(wrong)} wrong in the block of the {where} ({cols}) but the "
                f"blocks of the {good} agree (already for T=1): look at the {where}'s "
                "gradient")
    for gate, value, state in ((1, -40.0, "shut (f = 0)"), (3, 40.0, "fully open (o = 1)"),
                               (0, -40.0, "shut (i = 0)")):
        if _all(_agree(fn, Case(_seq_case(20, 3, 5, 4, 2, gate_bias={gate: value})))):
            return (f"right when the {GATES[gate]} is {state}, wrong otherwise: look at the "
                    f"terms of the {GATES[gate]}'s path")
    wrong = [k for k in NAMES_SEQ if not one[k].all()]
    if wrong and len(wrong) < len(NAMES_SEQ):
        right = ", ".join(k for k in NAMES_SEQ if k not in wrong)
        return f"already for T=1, {', '.join(wrong)} wrong but {right} agree"
    return ("every gradient is wrong already for a single step (T=1): check the forward pass "
            "you recompute (the first step starts from h0 and c0) and the step's backward")


def check_lstm_sequence_backward(lstm_sequence_backward: Callable) -> bool:
    """``lstm_sequence_backward(dh (N, T, u), x (N, T, D), h0, c0 (N, u), kernel (D, 4u),
    recurrent_kernel (u, 4u), bias (4u,)) -> (dx (N, T, D), dh0, dc0 (N, u), dkernel,
    drecurrent_kernel, dbias)``: backpropagation through a whole LSTM sequence, dh being the
    gradient reaching every state h<t> from above (none reaches c_T)."""
    mistakes = planted(_seq_bug, HINTS["lstm_sequence_backward"])

    def body():
        with contextlib.redirect_stdout(io.StringIO()) as buf:
            ok = check("lstm_sequence_backward", lstm_sequence_backward, _lstm_sequence_backward,
                       SEQ_CASES, mistakes, names=NAMES_SEQ, pure=True,
                       returns="the tuple (dx, dh0, dc0, dkernel, drecurrent_kernel, dbias)")
        line = buf.getvalue().strip()
        if ok or " differs" not in line:
            print(line)
            return ok
        where = _localise(lstm_sequence_backward)
        raise Fail(where or line.split(": ", 1)[1])
    return run_check("lstm_sequence_backward", body)


# --- the capstone: the learner's steps, or the package's where they are not finished -----------
def _package_step(x, h_prev, c_prev, W, U, b):
    return _lstm(x, h_prev, c_prev, W, U, b)


def capstone_steps(lstm_step: Callable | None, lstm_step_backward: Callable | None):
    """(step, step_backward) for the capstone: each of the learner's functions if its checker
    passes, else the package's; prints one line saying which were used."""
    chosen, lines = [], []
    for fn, checker, ref, name in ((lstm_step, check_lstm_step, _package_step, "lstm_step"),
                                   (lstm_step_backward, check_lstm_step_backward,
                                    _lstm_backward, "lstm_step_backward")):
        ok = False
        if callable(fn):
            with contextlib.redirect_stdout(io.StringIO()):
                ok = checker(fn)
        chosen.append(fn if ok else ref)
        lines.append(f"your {name}" if ok else f"the package's {name} (borrowed: yours is not "
                     "finished or its checker fails)")
    print("the capstone runs " + " and ".join(lines))
    return tuple(chosen)


# --- 5. a bidirectional layer's outputs -----------------------------------------------------------
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
    mistakes = planted({
        "not reversed in": lambda f, b, x: np.concatenate([f.forward(x), b.forward(x)], -1),
        "not reversed out": lambda f, b, x: np.concatenate([f.forward(x),
                                                            b.forward(x[:, ::-1])], -1),
        "halves swapped": lambda f, b, x: np.concatenate([b.forward(x[:, ::-1])[:, ::-1],
                                                          f.forward(x)], -1),
    }, HINTS["bidirectional"])
    return check("bidirectional", bidirectional_outputs, _bi_reference, cases, mistakes,
                 returns="the concatenated outputs (N, T, 2u)")
