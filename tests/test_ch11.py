"""Chapter 11's package code: long-range tasks and their trainer, gradient flow, explorers, the
echo state network, the notes' GRU mapping and the exercise checks."""
import numpy as np
import pytest

from companion.chapters import ch11 as chapter
from companion.chapters.ch11 import keras_gru_to_notes, notes_to_keras_gru
from companion.models.echo_state import EchoStateNetwork, delay_task, memory_curve
from companion.nn.layers.gru import GRU


def test_adding_problem(rng):
    x, y = chapter.adding_problem(50, 9, rng)
    assert x.shape == (50, 9, 2) and y.shape == (50, 1)
    marks = x[..., 1]
    np.testing.assert_array_equal(marks.sum(axis=1), 2)
    assert (marks[:, :4].sum(axis=1) == 1).all()            # one in each half
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * marks).sum(axis=1))
    with pytest.raises(ValueError, match="T >= 2"):
        chapter.adding_problem(3, 1, rng)


def test_next_symbol_task():
    x, tags = chapter.next_symbol_task(5, 6, K=3, rng=0)
    s = x.argmax(-1)
    np.testing.assert_array_equal(tags[:, :-1], s[:, 1:])
    assert (tags[:, -1] == 3).all()


def test_train_adding_learns_short_sequences():
    model = chapter.regressor(GRU, 8, 6, seed=0)
    r = chapter.train_adding(model, 6, steps=100, batch_size=32, seed=0, n_test=100)
    assert r["loss"].shape == (100,)
    assert r["test_mse"] < chapter.BASELINE_MSE / 2               # well below predicting the mean


def test_accuracy_against_length_and_cell_names():
    res = chapter.accuracy_against_length(("SimpleRNN", "LSTM"), (4,), units=4, steps=3)
    assert set(res) == {("SimpleRNN", 4), ("LSTM", 4)}
    assert {"test_mse", "solved", "model", "loss"} <= set(res["LSTM", 4])
    with pytest.raises(ValueError, match="cell must be one of"):
        chapter.cell_class("RNN")


def test_gradient_through_time_decays_for_a_fresh_gru():
    norms = chapter.gradient_through_time(GRU(8), T=30, seed=0)
    assert norms.shape == (30,)
    assert norms[0] < 1e-3 * norms[-1]


def test_explorers():
    ex = chapter.gradient_explorer()
    r = ex.update(T=20, units=8)
    assert set(r["norms"]) == {"SimpleRNN", "GRU", "LSTM"} and r["norms"]["GRU"].shape == (20,)
    ad = chapter.adding_explorer(steps=5)
    r = ad.update(cell="LSTM", units=4, T=6, clipnorm=0.5)
    assert r["loss"].shape == (5,) and "LSTM(4), T=6" in r["summary"]


def test_echo_state_network_trains_only_the_readout():
    esn = EchoStateNetwork(50, spectral_radius=0.9, input_scale=0.1, seed=0)
    W, = [esn.W.copy()]
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(esn.W))), 0.9)
    curve = memory_curve(esn, T=600, max_delay=10)
    np.testing.assert_array_equal(esn.W, W)
    assert curve[0] > 0.95 and curve.shape == (10,)
    x, y = delay_task(100, 3, seed=0)
    assert x.shape == (1, 100, 1) and y.shape == (1, 100, 3)
    np.testing.assert_array_equal(y[0, 3:, 2], x[0, :-3, 0])
    with pytest.raises(RuntimeError, match="fit the read-out first"):
        EchoStateNetwork(5).predict(x)
    with pytest.raises(ValueError, match="spectral_radius must be a positive number"):
        EchoStateNetwork(5, spectral_radius=0)


def test_notes_mapping_round_trip(rng):
    W, U, b = rng.standard_normal((3, 12)), rng.standard_normal((4, 12)), rng.standard_normal(12)
    for ours, back in zip([W, U, b], notes_to_keras_gru(keras_gru_to_notes(W, U, b))):
        np.testing.assert_array_equal(ours, back)
    with pytest.raises(ValueError, match="reset_after=False"):
        keras_gru_to_notes(W, U, np.zeros((2, 12)))


def test_step_lstm_with_the_package_steps_is_the_lstm():
    """chapter.step_lstm (the capstone's layer) run by the package's step functions computes
    the LSTM layer's outputs, input gradient and weight gradients."""

    from companion.nn.layers.lstm import LSTM, lstm_step_backward, lstm_step_forward

    def step(x, h, c, W, U, b):
        return lstm_step_forward(x, h, c, W, U, b)[0]

    def step_backward(dh, dc, x, h, c, W, U, b):
        (dx, dhp, dcp), (dW, dU, db) = lstm_step_backward((dh, dc),
                                                          lstm_step_forward(x, h, c, W, U, b)[1])
        return dx, dhp, dcp, dW, dU, db
    rng = np.random.default_rng(0)
    ours = chapter.step_lstm(4, step, step_backward, return_sequences=True)
    ref = LSTM(4, return_sequences=True)
    ours.build((6, 3), np.random.default_rng(1))
    ref.build((6, 3), np.random.default_rng(1))
    x, dout = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 4))
    np.testing.assert_allclose(ours.forward(x), ref.forward(x), rtol=1e-10)
    np.testing.assert_allclose(ours.backward(dout), ref.backward(dout), rtol=1e-8, atol=1e-12)
    for k in ref.grads:
        np.testing.assert_allclose(ours.grads[k], ref.grads[k], rtol=1e-8, atol=1e-12)
