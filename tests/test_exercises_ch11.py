"""Chapter 11's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""

from functools import partial

import numpy as np
import pytest
from exercise_garbage import run_check as verdict

from companion.exercises import ch11


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def gru_step(x, h_prev, kernel, recurrent_kernel, bias, bug=None):
    u = h_prev.shape[1]
    xw, U = x @ kernel + bias, recurrent_kernel
    z = sigmoid(xw[:, :u] + h_prev @ U[:, :u])
    r = sigmoid(xw[:, u:2 * u] + h_prev @ U[:, u:2 * u])
    if bug == "order":
        z, r = r, z
    rec = {"reset after": r * (h_prev @ U[:, 2 * u:]), "no reset": h_prev @ U[:, 2 * u:]}
    hh = np.tanh(xw[:, 2 * u:] + rec.get(bug, (r * h_prev) @ U[:, 2 * u:]))
    return z * hh + (1 - z) * h_prev if bug == "notes" else z * h_prev + (1 - z) * hh


def _gates(x, h_prev, kernel, recurrent_kernel, bias):
    u = h_prev.shape[1]
    a = x @ kernel + h_prev @ recurrent_kernel + bias
    return sigmoid(a[:, :u]), sigmoid(a[:, u:2 * u]), np.tanh(a[:, 2 * u:3 * u]), \
        sigmoid(a[:, 3 * u:]), a


def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias, bug=None):
    i, f, g, o, a = _gates(x, h_prev, kernel, recurrent_kernel, bias)
    if bug == "swap":
        i, f = f, i
    if bug == "ifoc":
        u = h_prev.shape[1]
        g, o = np.tanh(a[:, 3 * u:]), sigmoid(a[:, 2 * u:3 * u])
    c = f * c_prev + i * g
    return o * (c if bug == "no tanh" else np.tanh(c)), c


def lstm_step_backward(dh, dc, x, h_prev, c_prev, kernel, recurrent_kernel, bias, bug=None):
    i, f, g, o, _ = _gates(x, h_prev, kernel, recurrent_kernel, bias)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    if bug != "dc only":
        dc = dc + dh * o * (1 if bug == "no tanh'" else 1 - tc ** 2)
    dg = dc * i * (g * (1 - g) if bug == "sigmoid'" else 1 - g ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dg,
                         dh * tc * o * (1 - o)], axis=1)
    return (da @ kernel.T, da @ recurrent_kernel.T, dc if bug == "no f" else dc * f,
            x.T @ da, h_prev.T @ da, da.sum(axis=0))


def bidirectional_outputs(forward_layer, backward_layer, x, bug=None):
    fwd = forward_layer.forward(x)
    bwd = {"no reverse": backward_layer.forward(x),
           "not back": backward_layer.forward(x[:, ::-1])}.get(
        bug, backward_layer.forward(x[:, ::-1])[:, ::-1])
    return np.concatenate([bwd, fwd] if bug == "swap" else [fwd, bwd], axis=-1)


def to_notes_update_gate(kernel_z, recurrent_kernel_z, bias_z, bug=None):
    if bug == "no flip":
        return np.concatenate([recurrent_kernel_z, kernel_z]).T, bias_z
    if bug == "x first":
        return -np.concatenate([kernel_z, recurrent_kernel_z]).T, -bias_z
    return -np.concatenate([recurrent_kernel_z, kernel_z]).T, -bias_z


SOLUTIONS = [(ch11.check_gru_step, gru_step), (ch11.check_lstm_step, lstm_step),
             (ch11.check_lstm_step_backward, lstm_step_backward),
             (ch11.check_bidirectional, bidirectional_outputs),
             (ch11.check_update_gate_mapping, to_notes_update_gate)]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_solution_passes(check, solution):
    ok, out = verdict(check, solution)
    assert ok and out.startswith("✓")


def test_bidirectional_reference_is_the_package_layer():
    bi, x = ch11._bi_case(5, 4, 6)
    np.testing.assert_allclose(ch11._bi_reference(bi.forward_layer, bi.backward_layer, x),
                               bi.forward(x), rtol=1e-12)


@pytest.mark.parametrize("check, buggy, hint", [
    (ch11.check_gru_step, partial(gru_step, bug="notes"), "other way round"),
    (ch11.check_gru_step, partial(gru_step, bug="order"), "z, r, h"),
    (ch11.check_gru_step, partial(gru_step, bug="reset after"), "BEFORE"),
    (ch11.check_gru_step, partial(gru_step, bug="no reset"), "r * h_prev"),
    (ch11.check_lstm_step, partial(lstm_step, bug="swap"), "swapped"),
    (ch11.check_lstm_step, partial(lstm_step, bug="ifoc"), "THIRD"),
    (ch11.check_lstm_step, partial(lstm_step, bug="no tanh"), "tanh is missing"),
    (ch11.check_lstm_step_backward, partial(lstm_step_backward, bug="dc only"), "dc_total"),
    (ch11.check_lstm_step_backward, partial(lstm_step_backward, bug="no tanh'"), "tanh'(c)"),
    (ch11.check_lstm_step_backward, partial(lstm_step_backward, bug="sigmoid'"), "sigmoid's"),
    (ch11.check_lstm_step_backward, partial(lstm_step_backward, bug="no f"), "forget gate"),
    (ch11.check_bidirectional, partial(bidirectional_outputs, bug="no reverse"), "x[:, ::-1]"),
    (ch11.check_bidirectional, partial(bidirectional_outputs, bug="not back"), "reverse them"),
    (ch11.check_bidirectional, partial(bidirectional_outputs, bug="swap"), "comes first"),
    (ch11.check_update_gate_mapping, partial(to_notes_update_gate, bug="no flip"), "negate"),
    (ch11.check_update_gate_mapping, partial(to_notes_update_gate, bug="x first"), "[c_prev, x]"),
])
def test_mistake_is_named(check, buggy, hint):
    ok, out = verdict(check, buggy)
    assert not ok and hint in out


def test_wrong_bias_gradient_shape_is_named():
    def row_bias(*args):
        out = list(lstm_step_backward(*args))
        out[-1] = out[-1][None, :] * 2
        return tuple(out)
    ok, out = verdict(ch11.check_lstm_step_backward, row_bias)
    assert not ok and "dbias differs" in out       # (1, 4u) is accepted as (4u,); values differ


def _raises(*args):
    raise ValueError("shapes not aligned")


@pytest.mark.parametrize("check", [c for c, _ in SOLUTIONS])
@pytest.mark.parametrize("garbage, sentence", [
    (lambda *a: None, "returned None"), (_raises, "raised ValueError"),
    (lambda *a: np.full((2, 2), np.nan), ""), (lambda *a: "text", "")])
def test_garbage_gets_one_sentence(check, garbage, sentence):
    ok, out = verdict(check, garbage)
    assert not ok and out.startswith("✗") and sentence in out
