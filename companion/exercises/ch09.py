"""Chapter 9 exercises: the RNN cell in the notes' column layout, the loss summed over time,
and one step of backpropagation through time."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def _cell_case(seed=0, n_x=4, n_a=3, m=5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m)),
            rng.standard_normal((n_a, n_x)), rng.standard_normal((n_a, n_a)),
            rng.standard_normal((n_a, 1)))


def check_cell_notes(rnn_cell_forward) -> bool:
    """``rnn_cell_forward(x, a_prev, Wax, Waa, ba) -> a_next``, column layout: x (n_x, m),
    a_prev (n_a, m), Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1); a_next (n_a, m) with tanh."""
    from companion.nn.layers.recurrent import rnn_step_forward

    def run():
        for seed, m in ((0, 5), (1, 1)):
            x, a, Wax, Waa, ba = _cell_case(seed, m=m)
            got = np.asarray(rnn_cell_forward(x, a, Wax, Waa, ba))
            # the package's batch-first cell with the Keras-layout weights, transposed back
            want = rnn_step_forward(x.T, a.T, Wax.T, Waa.T, ba.ravel())[0].T
            if got.shape != want.shape:
                hint = " (did you return rows instead of columns?)" \
                    if got.shape == want.T.shape else ""
                return feedback(False, "RNN cell", f"a_next has shape {got.shape}, expected "
                                f"{want.shape}{hint}")
            if np.allclose(got, np.tanh(Waa @ a + Wax @ x)):
                return feedback(False, "RNN cell", "the bias ba is missing")
            if np.allclose(got, Waa @ a + Wax @ x + ba):
                return feedback(False, "RNN cell", "apply g1 = tanh to the sum")
            if not np.allclose(got, want):
                return feedback(False, "RNN cell", "values differ from "
                                "tanh(Waa a_prev + Wax x + ba)")
        return feedback(True, "RNN cell: matches the package's cell with kernel = Wax.T, "
                        "recurrent_kernel = Waa.T")
    return run_check("RNN cell", run)


def check_sequence_loss(sequence_loss) -> bool:
    """``sequence_loss(y_hat, y) -> float``: the notes' cross-entropy of one sequence, summed
    over time. y_hat (T, n_y) probabilities, y (T,) integer labels."""
    def run():
        rng = np.random.default_rng(2)
        for T in (1, 6):
            z = rng.standard_normal((T, 5))
            y_hat = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            y = rng.integers(0, 5, T)
            want = -np.log(y_hat[np.arange(T), y]).sum()
            got = float(sequence_loss(y_hat, y))
            if T > 1 and np.isclose(got, want / T):
                return feedback(False, "loss over time", "that is the mean over time (Keras' "
                                "reduction); the notes sum the step losses")
            if np.isclose(got, -want):
                return feedback(False, "loss over time", "sign: the loss is -sum log y_hat")
            if not np.isclose(got, want):
                return feedback(False, "loss over time", f"for T={T} expected {want:.4f}, "
                                f"got {got:.4f}")
        return feedback(True, "loss over time: sum over t of -log y_hat<t>[y<t>]")
    return run_check("loss over time", run)


def check_step_backward(step_backward) -> bool:
    """``step_backward(dh, x_t, h_prev, h, Wx, Wh) -> (dx_t, dh_prev, dWx, dWh, db)`` for the
    batch-first tanh cell h = tanh(x_t Wx + h_prev Wh + b)."""
    from companion.nn.layers.recurrent import rnn_step_backward, rnn_step_forward

    def run():
        rng = np.random.default_rng(3)
        x, hp = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
        Wx, Wh, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 5)), rng.standard_normal(5)
        h, cache = rnn_step_forward(x, hp, Wx, Wh, b)
        dh = rng.standard_normal((4, 5))
        want = rnn_step_backward(dh, cache)
        got = step_backward(dh, x, hp, h, Wx, Wh)
        names = ("dx_t", "dh_prev", "dWx", "dWh", "db")
        if len(got) != 5:
            return feedback(False, "step backward", "return five arrays " + ", ".join(names))
        for name, g, w in zip(names, got, want):
            g = np.asarray(g)
            if g.shape != w.shape:
                return feedback(False, "step backward", f"{name} has shape {g.shape}, "
                                f"expected {w.shape}")
            if not np.allclose(g, w):
                hint = {"dWh": " (it pairs h_prev, not h, with dz)",
                        "db": " (sum dz over the batch)"}.get(name, "")
                if np.allclose(got[4], dh.sum(axis=0)):
                    hint = " (multiply dh by tanh' = 1 - h**2 first)"
                return feedback(False, "step backward", f"{name} is wrong{hint}")
        return feedback(True, "step backward: all five gradients agree")
    return run_check("step backward", run)
