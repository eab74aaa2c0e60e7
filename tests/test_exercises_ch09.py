"""Chapter 9's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""

from functools import partial

import numpy as np
import pytest
from exercise_garbage import run_check as verdict

from companion.exercises import ch09


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def rnn_cell_forward(x, a_prev, Wax, Waa, ba, bug=None):
    z = (Waa.T if bug == "transposed" else Waa) @ a_prev + Wax @ x
    z = z if bug == "no bias" else z + ba
    return z if bug == "no tanh" else np.tanh(z)


def rnn_forward(x, h0, Wx, Wh, b, bug=None):
    h, hs = h0, []
    for t in range(x.shape[1]):
        prev = h0 if bug == "h0" else h
        h = np.tanh(x[:, t] @ Wx + prev @ (Wh.T if bug == "transposed" else Wh)
                    + (0 if bug == "no bias" else b))
        hs.append(h)
    return np.stack(hs, axis=1)


def rnn_backward(dh, x, h0, hs, Wx, Wh, bug=None):
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dnext = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h, h_prev = hs[:, t], (hs[:, t - 1] if t > 0 else h0)
        dz = (dh[:, t] + (0 if bug == "no future" else dnext)) * \
            (h * (1 - h) if bug == "sigmoid" else 1 - h ** 2)
        dx[:, t], dnext = dz @ Wx.T, dz @ Wh.T
        if bug == "overwrite":
            dWx, dWh, db = x[:, t].T @ dz, h_prev.T @ dz, dz.sum(axis=0)
            continue
        dWx += x[:, t].T @ dz
        dWh += (h if bug == "h" else h_prev).T @ dz
        db += dz.sum(axis=0)
    return dx, dnext, dWx, dWh, db


def step_backward(dh, x_t, h_prev, h, Wx, Wh, bug=None):
    dz = dh if bug == "no tanh'" else dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x_t.T @ dz, (h if bug == "h" else h_prev).T @ dz, dz.sum(0)


def sequence_loss(y_hat, y, bug=None):
    if bug == "columns":
        return -np.sum(np.log(y_hat[:, y]))
    loss = -np.sum(np.log(y_hat[np.arange(len(y)), y]))
    return {"mean": loss / len(y), "sign": -loss}.get(bug, loss)


SOLUTIONS = [(ch09.check_cell_notes, rnn_cell_forward), (ch09.check_rnn_forward, rnn_forward),
             (ch09.check_rnn_backward, rnn_backward), (ch09.check_step_backward, step_backward),
             (ch09.check_sequence_loss, sequence_loss)]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_solution_passes(check, solution):
    ok, out = verdict(check, solution)
    assert ok and out.startswith("✓")


@pytest.mark.parametrize("check, buggy, hint", [
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="no bias"), "bias ba"),
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="no tanh"), "tanh"),
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="transposed"), "not transposed"),
    (ch09.check_rnn_forward, partial(rnn_forward, bug="h0"), "PREVIOUS"),
    (ch09.check_rnn_forward, partial(rnn_forward, bug="transposed"), "Wh as given"),
    (ch09.check_rnn_forward, partial(rnn_forward, bug="no bias"), "bias"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="no future"), "dnext"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="sigmoid"), "sigmoid'"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="h"), "h<t-1>"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="overwrite"), "shared"),
    (ch09.check_step_backward, partial(step_backward, bug="no tanh'"), "1 - h**2"),
    (ch09.check_step_backward, partial(step_backward, bug="h"), "h_prev, not h"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="mean"), "mean over time"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="sign"), "sign"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="columns"), "np.arange(T)"),
])
def test_mistake_is_named(check, buggy, hint):
    ok, out = verdict(check, buggy)
    assert not ok and hint in out


def test_unnamed_error_says_where():
    def off(*args):
        dx, dh0, dWx, dWh, db = rnn_backward(*args)
        return dx, dh0, dWx, dWh, db + 0.5
    ok, out = verdict(ch09.check_rnn_backward, off)
    assert not ok and "db differs at index" in out


def test_transposed_result_is_named():
    ok, out = verdict(ch09.check_cell_notes, lambda *a: rnn_cell_forward(*a).T)
    assert not ok and "transposed?" in out


def _raises(*args):
    raise ValueError("matmul: Input operand 1 has a mismatch")


@pytest.mark.parametrize("check", [c for c, _ in SOLUTIONS])
@pytest.mark.parametrize("garbage, sentence", [
    (lambda *a: None, "returned None"), (_raises, "raised ValueError"),
    (lambda *a: np.full((2, 2), np.nan), ""), (lambda *a: "text", "")])
def test_garbage_gets_one_sentence(check, garbage, sentence):
    ok, out = verdict(check, garbage)
    assert not ok and out.startswith("✗") and sentence in out
