"""Chapter 11 exercises: the LSTM step, the notes' GRU update gate from Keras' weights, and the
output of a bidirectional layer."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def _lstm_case(seed=0, N=3, D=4, u=5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, D)), rng.standard_normal((N, u)),
            rng.standard_normal((N, u)), rng.standard_normal((D, 4 * u)),
            rng.standard_normal((u, 4 * u)), rng.standard_normal(4 * u))


def check_lstm_step(lstm_step) -> bool:
    """``lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h, c)`` with Keras'
    layout and gate order i, f, c, o."""
    from companion.nn.layers.lstm import lstm_step_forward
    from companion.nn.layers.rnn_base import sigmoid

    def run():
        for seed, N in ((0, 3), (1, 1)):
            x, h0, c0, W, U, b = _lstm_case(seed, N)
            got = lstm_step(x, h0, c0, W, U, b)
            if not isinstance(got, tuple) or len(got) != 2:
                return feedback(False, "LSTM step", "return the pair (h, c)")
            h, c = map(np.asarray, got)
            want_h, want_c, _ = lstm_step_forward(x, h0, c0, W, U, b)
            if h.shape != want_h.shape or c.shape != want_c.shape:
                return feedback(False, "LSTM step", f"h has shape {h.shape} and c {c.shape}, "
                                f"expected {want_h.shape} for both")
            a = x @ W + h0 @ U + b
            u = h0.shape[1]
            i, f, g, o = (a[:, k * u:(k + 1) * u] for k in range(4))
            if np.allclose(c, sigmoid(i) * c0 + sigmoid(f) * np.tanh(g)):
                return feedback(False, "LSTM step", "the input and forget gates are swapped: "
                                "Keras' order is i, f, c, o (c = f * c_prev + i * c~)")
            if np.allclose(c, want_c) and np.allclose(h, sigmoid(o) * c):
                return feedback(False, "LSTM step", "h = o * tanh(c): the tanh is missing")
            if not np.allclose(c, want_c):
                return feedback(False, "LSTM step", "c differs from f * c_prev + i * tanh(a_c)")
            if not np.allclose(h, want_h):
                return feedback(False, "LSTM step", "c is right but h differs from o * tanh(c)")
        return feedback(True, "LSTM step: h and c match the package's lstm_step_forward")
    return run_check("LSTM step", run)


def check_update_gate_mapping(to_notes_update_gate) -> bool:
    """``to_notes_update_gate(kernel_z, recurrent_kernel_z, bias_z) -> (Wu, bu)``: Keras' update
    gate weights (D, u), (u, u), (u,) -> the notes' Wu (u, u + D) acting on [c_prev, x] and
    bu (u,), such that Γu = σ(Wu [c_prev, x] + bu) = 1 - z."""
    from companion.chapters.ch11 import keras_gru_to_notes

    def run():
        rng = np.random.default_rng(4)
        D, u = 3, 4
        W, U, b = (rng.standard_normal((D, 3 * u)), rng.standard_normal((u, 3 * u)),
                   rng.standard_normal(3 * u))
        want = keras_gru_to_notes(W, U, b)
        got = to_notes_update_gate(W[:, :u], U[:, :u], b[:u])
        Wu, bu = map(np.asarray, got)
        if Wu.shape != (u, u + D):
            return feedback(False, "update gate", f"Wu has shape {Wu.shape}, expected "
                            f"{(u, u + D)} (rows: units; columns: c_prev first, then x)")
        if np.allclose(Wu, -want["Wu"]) and np.allclose(bu, -want["bu"]):
            return feedback(False, "update gate", "that gives Γu = z; the notes' Γu is 1 - z, "
                            "and 1 - σ(a) = σ(-a)")
        if np.allclose(Wu, -np.concatenate([W[:, :u], U[:, :u]]).T):
            return feedback(False, "update gate", "the columns are [x, c_prev]; the notes "
                            "write [c_prev, x]")
        if not (np.allclose(Wu, want["Wu"]) and np.allclose(bu, want["bu"])):
            return feedback(False, "update gate", "values differ from "
                            "-[recurrent_kernel_z; kernel_z].T and -bias_z")
        return feedback(True, "update gate: Wu = -[U_z; W_z].T, bu = -b_z gives Γu = 1 - z")
    return run_check("update gate", run)


def check_bidirectional_first_output(first_output) -> bool:
    """``first_output(forward_layer, backward_layer, x) -> (N, 2u)``: the concatenated output at
    the FIRST time step of a bidirectional layer with return_sequences=True, built from two
    GRU layers with return_sequences=True (each has ``.forward(x)`` -> (N, T, u))."""
    from companion.nn.layers.bidirectional import Bidirectional
    from companion.nn.layers.gru import GRU

    def run():
        rng = np.random.default_rng(5)
        bi = Bidirectional(GRU(3, return_sequences=True))
        bi.build((6, 2), rng)
        x = rng.standard_normal((4, 6, 2))
        want = bi.forward(x)[:, 0]
        got = np.asarray(first_output(bi.forward_layer, bi.backward_layer, x))
        if got.shape != want.shape:
            return feedback(False, "bidirectional", f"shape {got.shape}, expected {want.shape}")
        fwd = bi.forward_layer.forward(x)[:, 0]
        if np.allclose(got, np.concatenate([fwd, bi.backward_layer.forward(x)[:, 0]], 1)):
            return feedback(False, "bidirectional", "the backward layer must read the sequence "
                            "reversed (x[:, ::-1])")
        if np.allclose(got, np.concatenate([fwd, bi.backward_layer.forward(x[:, ::-1])[:, 0]],
                                           1)):
            return feedback(False, "bidirectional", "the backward layer's output is in reversed "
                            "time: its step for t = 1 is its LAST output")
        if not np.allclose(got, want):
            return feedback(False, "bidirectional", "values differ from the package's layer")
        return feedback(True, "bidirectional: at t = 1 the backward half has read the whole "
                        "sequence")
    return run_check("bidirectional", run)
