"""Bidirectional wrapper: gradient checks for every merge mode, and Keras twins."""
import numpy as np
import pytest

from companion.chapters.ch11 import (
    keras_model_check,
    keras_state_check,
    perturb,
    sequence_gradient_errors,
)
from companion.nn.gradcheck import layer_gradient_errors
from companion.nn.layers import Dense
from companion.nn.layers.bidirectional import Bidirectional
from companion.nn.layers.gru import GRU
from companion.nn.layers.lstm import LSTM
from companion.nn.model import Sequential

TOL = 1e-7


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
@pytest.mark.parametrize("cell", [GRU, LSTM])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_gradients(merge_mode, cell, return_sequences, rng):
    layer = Bidirectional(cell(3, return_sequences=return_sequences), merge_mode=merge_mode)
    layer.build((4, 2), rng)
    perturb(layer, rng)
    errs = layer_gradient_errors(layer, rng.standard_normal((2, 4, 2)))
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("N,T", [(1, 1), (3, 5)])
def test_gradients_with_states(N, T, rng):
    layer = Bidirectional(LSTM(3, return_sequences=True, return_state=True))
    layer.build((T, 2), rng)
    perturb(layer, rng)
    states = [rng.standard_normal((N, 3)) for _ in range(4)]
    errs = sequence_gradient_errors(layer, rng.standard_normal((N, T, 2)), states, rng)
    assert max(errs.values()) < TOL, errs


def test_backward_half_sees_the_future(rng):
    """Output at t=0 of the backward half changes when the last input changes; the forward
    half's does not."""
    layer = Bidirectional(GRU(3, return_sequences=True))
    layer.build((6, 2), rng)
    x = rng.standard_normal((1, 6, 2))
    y = x.copy()
    y[0, -1] += 1.0
    a, b = layer.forward(x), layer.forward(y)
    np.testing.assert_allclose(a[0, 0, :3], b[0, 0, :3])
    assert np.abs(a[0, 0, 3:] - b[0, 0, 3:]).max() > 1e-3


def test_weights_order_and_shapes(rng):
    layer = Bidirectional(GRU(4, return_sequences=True))
    assert layer.build((5, 3), rng) == (5, 8)
    assert list(layer.params) == ["forward_kernel", "forward_recurrent_kernel", "forward_bias",
                                  "backward_kernel", "backward_recurrent_kernel",
                                  "backward_bias"]
    new = [w + 1 for w in layer.get_weights()]
    layer.set_weights(new)
    layer.forward(np.zeros((1, 5, 3)))
    np.testing.assert_array_equal(layer.backward_layer.params["kernel"], new[3])
    assert Bidirectional(GRU(4), merge_mode="sum").compute_output_shape((5, 3)) == (4,)


def test_bad_inputs(rng):
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        Bidirectional(GRU(3), merge_mode="max")
    with pytest.raises(TypeError, match="wraps a recurrent layer"):
        Bidirectional(Dense(3))
    with pytest.raises(ValueError, match="go_backwards=False"):
        Bidirectional(GRU(3, go_backwards=True))
    layer = Bidirectional(GRU(3))
    layer.build((4, 2), rng)
    with pytest.raises(ValueError, match=r"x has shape \(2, 4\), expected \(N, T, 2\)"):
        layer.forward(np.zeros((2, 4)))


@pytest.mark.keras
@pytest.mark.parametrize("cell,kwargs", [(GRU, {"reset_after": False}), (GRU, {}), (LSTM, {})])
def test_matches_keras_with_states(cell, kwargs, rng, keras):
    layer = Bidirectional(cell(4, return_sequences=True, return_state=True, **kwargs))
    layer.build((6, 3), rng)
    perturb(layer, rng)
    n = 2 * cell.n_states
    errs = keras_state_check(layer, rng.standard_normal((3, 6, 3)),
                             [rng.standard_normal((3, 4)) for _ in range(n)], rng, keras)
    assert f"final state {n - 1}" in errs and f"d initial state {n - 1}" in errs


@pytest.mark.keras
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
def test_stacked_bidirectional_matches_keras(merge_mode, rng, keras):
    model = Sequential([Bidirectional(LSTM(5, return_sequences=True), merge_mode=merge_mode),
                        Bidirectional(GRU(4), merge_mode=merge_mode), Dense(2)],
                       input_shape=(7, 3), seed=2)
    for layer in model.layers:
        perturb(layer, rng, 0.3)
    keras_model_check(model, rng.standard_normal((3, 7, 3)), rng)


@pytest.mark.keras
def test_bidirectional_simple_rnn_matches_keras(rng, keras):
    from companion.nn.layers.recurrent import SimpleRNN
    model = Sequential([Bidirectional(SimpleRNN(4, return_sequences=True)), GRU(3), Dense(2)],
                       input_shape=(5, 3), seed=4)
    keras_model_check(model, rng.standard_normal((2, 5, 3)), rng)
