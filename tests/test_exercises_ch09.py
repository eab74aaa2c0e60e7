"""Chapter 9's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""

from functools import partial

import numpy as np
import pytest
from exercise_garbage import run_check as verdict
from solution_cells import solutions

from companion.exercises import ch09


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def rnn_cell_forward(x, a_prev, Wax, Waa, ba, Wya, by, bug=None):
    z = (Waa.T if bug == "transposed" else Waa) @ a_prev + Wax @ x
    z = z if bug == "no bias" else z + ba
    a = z if bug == "no tanh" else np.tanh(z)
    s = Wya @ a + by
    axis = 1 if bug == "rows" else 0
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return a, e / e.sum(axis=axis, keepdims=True)


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


def sequence_loss(z, y, bug=None):
    T = len(y)
    e = np.exp(z) if bug == "no shift" else np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=0 if bug == "axis" else 1, keepdims=True)
    picked = p[np.arange(T), y]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(T), y].sum()
    if bug in ("product", "log of p"):
        loss = -np.log(np.prod(picked)) if bug == "product" else -np.log(picked).sum()
    if bug in ("no shift", "axis"):
        loss = -np.log(picked).sum()
    dz = p - (0 if bug == "no onehot" else np.eye(z.shape[1])[y])
    return (loss / T if bug == "mean" else loss), dz


NB = solutions("09_recurrent_networks.ipynb")
SOLUTIONS = [(ch09.check_cell_notes, NB["rnn_cell_forward"]),
             (ch09.check_rnn_forward, NB["rnn_forward"]),
             (ch09.check_rnn_backward, NB["rnn_backward"]),
             (ch09.check_sequence_loss, NB["sequence_loss"])]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_solution_passes(check, solution):
    ok, out = verdict(check, solution)
    assert ok and out.startswith("✓")


@pytest.mark.parametrize("check, buggy, hint", [
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="no bias"), "bias ba"),
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="no tanh"), "tanh"),
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="transposed"), "not transposed"),
    (ch09.check_cell_notes, partial(rnn_cell_forward, bug="rows"), "normalise over axis 0"),
    (ch09.check_rnn_forward, partial(rnn_forward, bug="h0"), "PREVIOUS"),
    (ch09.check_rnn_forward, partial(rnn_forward, bug="transposed"), "Wh as given"),
    (ch09.check_rnn_forward, partial(rnn_forward, bug="no bias"), "bias"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="no future"), "dnext"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="sigmoid"), "sigmoid'"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="h"), "h<t-1>"),
    (ch09.check_rnn_backward, partial(rnn_backward, bug="overwrite"), "shared"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="mean"), "mean over time"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="no shift"), "subtract each row's max"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="product"), "underflows to 0 on a"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="log of p"), "log softmax directly"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="axis"), "each ROW"),
    (ch09.check_sequence_loss, partial(sequence_loss, bug="no onehot"), "one_hot(y)"),
])
def test_mistake_is_named(check, buggy, hint):
    ok, out = verdict(check, buggy)
    assert not ok and hint in out


def test_unnamed_error_says_where():
    def off(*args):
        dx, dh0, dWx, dWh, db = NB["rnn_backward"](*args)
        return dx, dh0, dWx, dWh, db + 0.5
    ok, out = verdict(ch09.check_rnn_backward, off)
    assert not ok and "db is wrong (dx, dh0, dWx and dWh agree)" in out


def test_transposed_result_is_named():
    ok, out = verdict(ch09.check_cell_notes,
                      lambda *a: tuple(v.T for v in NB["rnn_cell_forward"](*a)))
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


def test_the_switch_copies_without_a_switch_pass():
    for check, fn in [(ch09.check_cell_notes, rnn_cell_forward),
                      (ch09.check_rnn_forward, rnn_forward),
                      (ch09.check_rnn_backward, rnn_backward),
                      (ch09.check_sequence_loss, sequence_loss)]:
        assert verdict(check, fn)[0]


# --- realistic mistakes nobody planted: each must be rejected, with the sentence it gets ----
def _states_list(x, h0, Wx, Wh, b):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return hs                                            # a list, not an array


def _stack_time_first(x, h0, Wx, Wh, b):
    return np.stack(_states_list(x, h0, Wx, Wh, b))      # (T, N, H): an axis slip


def _inplace_dh(dh, x, h0, hs, Wx, Wh):
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dx = np.zeros_like(x)
    for t in reversed(range(x.shape[1])):
        dz = dh[:, t] * (1 - hs[:, t] ** 2)
        dx[:, t] = dz @ Wx.T
        if t:
            dh[:, t - 1] += dz @ Wh.T                    # updates the caller's dh
        dWx += x[:, t].T @ dz
        dWh += (hs[:, t - 1] if t else h0).T @ dz
        db += dz.sum(axis=0)
    return dx, dz @ Wh.T, dWx, dWh, db


def _negative_index(dh, x, h0, hs, Wx, Wh):
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dx, dnext = np.zeros_like(x), np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        dz = (dh[:, t] + dnext) * (1 - hs[:, t] ** 2)
        dx[:, t], dnext = dz @ Wx.T, dz @ Wh.T
        dWx += x[:, t].T @ dz
        dWh += hs[:, t - 1].T @ dz                       # t = 0 reads hs[:, -1], not h0
        db += dz.sum(axis=0)
    return dx, dnext, dWx, dWh, db


def _db_column(*args):
    dx, dh0, dWx, dWh, db = NB["rnn_backward"](*args)
    return dx, dh0, dWx, dWh, db[None, :]                # (1, H) for (H,)


def _db_wrong_axis(*args):
    dx, dh0, dWx, dWh, _ = NB["rnn_backward"](*args)
    dz_sum = args[0].sum(axis=(1, 2))                    # summed over the wrong axes
    return dx, dh0, dWx, dWh, dz_sum


def _bias_row(x, a_prev, Wax, Waa, ba, Wya, by):
    a = np.tanh(Waa @ a_prev + Wax @ x + ba.ravel())     # (n_a,) broadcasts along m
    return a, np.exp(Wya @ a + by) / np.exp(Wya @ a + by).sum(axis=0)


def _cell_no_max_shift(x, a_prev, Wax, Waa, ba, Wya, by):
    a = np.tanh(Waa @ a_prev + Wax @ x + ba)
    e = np.exp(Wya @ a + by)                              # overflows at large scores
    return a, e / e.sum(axis=0, keepdims=True)


def _cell_shift_per_row(x, a_prev, Wax, Waa, ba, Wya, by):
    a = np.tanh(Waa @ a_prev + Wax @ x + ba)
    s = Wya @ a + by
    e = np.exp(s - s.max(axis=1, keepdims=True))          # the shift along the wrong axis
    return a, e / e.sum(axis=0, keepdims=True)


def _cell_state_only(x, a_prev, Wax, Waa, ba, Wya, by):
    return np.tanh(Waa @ a_prev + Wax @ x + ba)           # forgets the prediction


def _log_eps(z, y):
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = p.copy()
    dz[np.arange(len(y)), y] -= 1
    return float(-np.log(p[np.arange(len(y)), y] + 1e-8).sum()), dz   # a hard-coded epsilon


def _loss_array(z, y):
    loss, dz = NB["sequence_loss"](z, y)
    return np.array([loss]), dz                           # (1,) for a number


# (checker, mistake, what the sentence must contain; None: the checker accepts it today)
REALISTIC = [
    (ch09.check_rnn_forward, _states_list, "shape"),
    (ch09.check_rnn_forward, _stack_time_first, "shape"),
    (ch09.check_rnn_backward, _inplace_dh, "in place"),
    (ch09.check_rnn_backward, _negative_index, "is h0"),
    (ch09.check_rnn_backward, _db_column, "db has shape (1, 6), expected (6,)"),
    (ch09.check_rnn_backward, _db_wrong_axis, "db has shape"),
    (ch09.check_cell_notes, _bias_row, "raised ValueError"),
    (ch09.check_cell_notes, _cell_no_max_shift, "y_pred contains NaN"),
    (ch09.check_cell_notes, _cell_shift_per_row, "y_pred is wrong (a_next agrees)"),
    (ch09.check_cell_notes, _cell_state_only, "return the tuple (a_next, y_pred)"),
    (ch09.check_sequence_loss, _log_eps, "epsilon added inside the log"),
    (ch09.check_sequence_loss, _loss_array, "return a number"),
]


@pytest.mark.parametrize("check, mistake, sentence", [
    pytest.param(c, m, s, id=m.__name__, marks=[] if s else pytest.mark.xfail(
        reason="checker.py reshapes a (1, n) or (1,) answer to the expected shape",
        strict=False)) for c, m, s in REALISTIC])
def test_realistic_mistake_is_rejected(check, mistake, sentence):
    ok, out = verdict(check, mistake)
    assert not ok and (sentence or "") in out, out
