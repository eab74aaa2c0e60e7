"""LSTM: step and sequence gradient checks (float64), shapes, errors, and Keras twins (float32)."""
import numpy as np
import pytest

from companion.chapters.ch11 import (
    keras_model_check,
    keras_state_check,
    perturb,
    sequence_gradient_errors,
)
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers import Dense
from companion.nn.layers.lstm import LSTM, lstm_step_backward, lstm_step_forward
from companion.nn.model import Sequential

TOL = 1e-7


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("N", [1, 3])
def test_step_gradients(use_bias, N, rng):
    D, u = 4, 3
    x, h, c = (rng.standard_normal((N, D)), rng.standard_normal((N, u)),
               rng.standard_normal((N, u)))
    W, U = rng.standard_normal((D, 4 * u)), rng.standard_normal((u, 4 * u))
    b = rng.standard_normal(4 * u) if use_bias else None
    dh, dc = rng.standard_normal((N, u)), rng.standard_normal((N, u))
    _, cache = lstm_step_forward(x, h, c, W, U, b)
    (dx, dh_prev, dc_prev), (dW, dU, db) = lstm_step_backward((dh, dc), cache)
    assert (db is None) == (b is None)

    def f():
        (h2, c2), _ = lstm_step_forward(x, h, c, W, U, b)
        return float(np.sum(h2 * dh) + np.sum(c2 * dc))

    for arr, g in zip([x, h, c, W, U, b], [dx, dh_prev, dc_prev, dW, dU, db]):
        if arr is not None:
            assert rel_error(g, numerical_gradient(f, arr)) < TOL


@pytest.mark.parametrize("N,T", [(1, 1), (3, 1), (1, 6), (3, 6)])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_sequence_gradients(N, T, return_sequences, rng):
    layer = LSTM(3, return_sequences=return_sequences, return_state=True)
    layer.build((T, 2), rng)
    perturb(layer, rng)
    states = [rng.standard_normal((N, 3)), rng.standard_normal((N, 3))]
    errs = sequence_gradient_errors(layer, rng.standard_normal((N, T, 2)), states, rng)
    assert set(errs) == {"x", "kernel", "recurrent_kernel", "bias", "state0", "state1"}
    assert max(errs.values()) < TOL, errs


def test_without_return_state_in_a_model(rng):
    model = Sequential([LSTM(4, return_sequences=True), LSTM(3), Dense(2)],
                       input_shape=(5, 3), seed=0)
    x = rng.standard_normal((2, 5, 3))
    y = rng.standard_normal((2, 2))
    from companion.nn.gradcheck import model_gradient_errors
    assert max(model_gradient_errors(model, x, y, "mse").values()) < TOL


def test_unit_forget_bias_and_shapes(rng):
    layer = LSTM(5, return_sequences=True)
    assert layer.build((7, 3), rng) == (7, 5)
    W, U, b = layer.get_weights()
    assert (W.shape, U.shape, b.shape) == ((3, 20), (5, 20), (20,))
    np.testing.assert_array_equal(b, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    layer.forward(np.zeros((2, 7, 3)))
    h, c = layer.final_state
    assert h.shape == c.shape == (2, 5)
    no_fb = LSTM(5, unit_forget_bias=False)
    no_fb.build((7, 3), rng)
    assert not no_fb.params["bias"].any()


def test_bad_inputs(rng):
    layer = LSTM(4)
    layer.build((5, 3), rng)
    with pytest.raises(ValueError, match=r"initial_state needs 2 array\(s\), got 1"):
        layer.forward(np.zeros((2, 5, 3)), initial_state=np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"x has shape \(2, 0, 3\): a sequence needs T >= 1"):
        layer.forward(np.zeros((2, 0, 3)))
    with pytest.raises(RuntimeError, match="build"):
        LSTM(3).forward(np.zeros((1, 2, 3)))


@pytest.mark.keras
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("N,T", [(1, 1), (4, 7)])
def test_matches_keras_with_states(return_sequences, N, T, rng, keras):
    layer = LSTM(5, return_sequences=return_sequences, return_state=True)
    layer.build((T, 3), rng)
    perturb(layer, rng)
    states = [rng.standard_normal((N, 5)), rng.standard_normal((N, 5))]
    errs = keras_state_check(layer, rng.standard_normal((N, T, 3)), states, rng, keras)
    assert {"final state 0", "final state 1", "d initial state 1"} <= set(errs)


@pytest.mark.keras
def test_stacked_matches_keras(rng, keras):
    model = Sequential([LSTM(6, return_sequences=True), LSTM(5, return_sequences=True),
                        LSTM(4), Dense(3)], input_shape=(8, 3), seed=1)
    for layer in model.layers:
        perturb(layer, rng, 0.3)
    keras_model_check(model, rng.standard_normal((4, 8, 3)), rng)


@pytest.mark.keras
def test_go_backwards_matches_keras(rng, keras):
    model = Sequential([LSTM(4, return_sequences=True, go_backwards=True), Dense(2)],
                       input_shape=(6, 3), seed=5)
    perturb(model.layers[0], rng, 0.3)
    keras_model_check(model, rng.standard_normal((3, 6, 3)), rng)
