"""Inverted dropout: masks, the backward pass with the same mask, inference, errors."""
import numpy as np
import pytest

from companion.nn import gradcheck
from companion.nn.layers import Dense, Dropout
from companion.nn.layers.dropout import (
    dropout_backward,
    dropout_forward,
    dropout_mask,
    frozen_masks,
)
from companion.nn.model import Sequential


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 3), (4, 3, 2)])
@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9])
def test_training_output_is_zero_or_scaled_and_backward_reuses_the_mask(shape, rate, rng):
    layer = Dropout(rate, seed=1)
    layer.build(shape[1:], rng)
    x = rng.standard_normal(shape)
    out = layer.forward(x, training=True)
    keep = 1 - rate
    assert layer.keep_prob == pytest.approx(keep)
    assert out.shape == x.shape
    assert np.all(np.isclose(out, 0) | np.isclose(out, x / keep))
    dout = rng.standard_normal(shape)
    mask = layer.last_mask if rate > 0 else np.ones(shape)
    np.testing.assert_allclose(layer.backward(dout), dout * mask / keep)


def test_inference_is_the_identity_and_backward_passes_through(rng):
    layer = Dropout(0.5, seed=0)
    layer.build((6,), rng)
    x = rng.standard_normal((4, 6))
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_expected_output_equals_input_and_keep_fraction(rng):
    """Inverted dropout keeps E[out] = x: the mean over many masks converges to x."""
    layer = Dropout(0.3, seed=2)
    layer.build((5,), rng)
    x = np.tile(rng.standard_normal((1, 5)), (40_000, 1))
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), x[0], atol=0.02 * np.abs(x[0]).max() + 0.01)
    assert layer.last_mask.mean() == pytest.approx(0.7, abs=0.01)


@pytest.mark.parametrize("shape", [(1, 4), (6, 5), (3, 2, 4)])
def test_backward_with_a_fixed_mask_matches_numerical_gradient(shape, rng):
    layer = Dropout(0.4)
    layer.build(shape[1:], rng)
    layer.fix_mask(dropout_mask(shape, 0.6, rng))
    x = rng.standard_normal(shape)
    errors = gradcheck.layer_gradient_errors(layer, x, training=True)
    assert errors["x"] < 1e-7


def test_pure_functions_agree_with_the_layer(rng):
    x, mask = rng.standard_normal((3, 4)), dropout_mask((3, 4), 0.75, rng)
    out, cache = dropout_forward(x, mask, 0.75)
    np.testing.assert_allclose(out, x * mask / 0.75)
    dx, grads = dropout_backward(x, cache)
    np.testing.assert_allclose(dx, x * mask / 0.75)
    assert grads == ()
    layer = Dropout(0.25)
    layer.fix_mask(mask)
    np.testing.assert_array_equal(layer.forward(x, training=True), out)
    np.testing.assert_array_equal(layer.backward(x), dx)
    assert set(np.unique(mask)) <= {0.0, 1.0}


def test_seeded_layers_draw_the_same_masks(rng):
    x = rng.standard_normal((8, 10))
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    for layer in (a, b):
        layer.build((10,), None)
    np.testing.assert_array_equal(a.forward(x, training=True), b.forward(x, training=True))
    first = a.last_mask.copy()
    a.forward(x, training=True)
    assert not np.array_equal(first, a.last_mask)          # a fresh mask on every pass


def test_dropout_does_not_change_the_model_weights():
    """The mask stream is spawned from the build rng without drawing from it."""
    plain = Sequential([Dense(5, "relu"), Dense(1, "sigmoid")], input_shape=(3,), seed=4)
    drop = Sequential([Dense(5, "relu"), Dropout(0.5), Dense(1, "sigmoid")],
                      input_shape=(3,), seed=4)
    for w1, w2 in zip(plain.get_weights(), drop.get_weights()):
        np.testing.assert_array_equal(w1, w2)


def test_frozen_masks_make_training_passes_deterministic(rng):
    model = Sequential([Dense(6, "relu"), Dropout(0.5), Dense(4, "tanh"), Dropout(0.2),
                        Dense(1, "sigmoid")], input_shape=(3,), seed=0)
    x = rng.standard_normal((10, 3))
    with frozen_masks(model, x) as masks:
        assert [m.shape for m in masks] == [(10, 6), (10, 4)]
        np.testing.assert_array_equal(model.forward(x, training=True),
                                      model.forward(x, training=True))
    assert all(layer.fixed_mask is None for layer in model.layers if isinstance(layer, Dropout))


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_bad_rate_is_refused(rate):
    with pytest.raises(ValueError, match="rate must lie in"):
        Dropout(rate)


def test_fixed_mask_of_the_wrong_shape_is_refused(rng):
    layer = Dropout(0.5)
    layer.build((3,), rng)
    layer.fix_mask(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"fixed mask has shape \(2, 3\)"):
        layer.forward(np.ones((4, 3)), training=True)


def test_wrong_input_width_is_refused(rng):
    layer = Dropout(0.5)
    layer.build((3,), rng)
    with pytest.raises(ValueError, match=r"expected \(N, 3\)"):
        layer.forward(np.ones((4, 5)), training=True)


def test_training_without_any_randomness_source_is_refused():
    layer = Dropout(0.5)
    layer.build((3,))
    with pytest.raises(RuntimeError, match="no random generator"):
        layer.forward(np.ones((2, 3)), training=True)
    np.testing.assert_array_equal(layer.forward(np.ones((2, 3))), np.ones((2, 3)))
