"""Activations, losses, the dense layer and the model: shapes, gradient checks, bad input."""

import numpy as np
import pytest

from companion.nn import activations, losses
from companion.nn.gradcheck import (
    layer_gradient_errors,
    model_gradient_errors,
    numerical_gradient,
    rel_error,
)
from companion.nn.layers import Dense
from companion.nn.model import Sequential

TOL = 1e-7


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear", "softmax"])
def test_activation_backward_matches_numerical(name, rng):
    z = rng.standard_normal((5, 4))
    z[np.abs(z) < 1e-3] = 0.5                      # keep relu away from its kink
    dout = rng.standard_normal(z.shape)
    out = activations.forward(name, z)
    analytic = activations.backward(name, dout, z, out)
    numeric = numerical_gradient(lambda: float(np.sum(activations.forward(name, z) * dout)), z)
    assert rel_error(analytic, numeric) < TOL


def test_sigmoid_is_stable_for_large_inputs():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    s = activations.sigmoid(z)
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5


def test_softmax_rows_sum_to_one_and_are_shift_invariant(rng):
    z = rng.standard_normal((3, 5)) * 50
    s = activations.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    np.testing.assert_allclose(activations.softmax(z + 1000.0), s)


def test_sign_maps_zero_to_plus_one():
    assert activations.sign(np.array([-2.0, 0.0, 3.0])).tolist() == [-1, 1, 1]


@pytest.mark.parametrize("loss,shape,labels", [
    (losses.BinaryCrossentropy(), (6, 1), "binary"),
    (losses.BinaryCrossentropy(), (6, 3), "binary"),
    (losses.CategoricalCrossentropy(), (6, 4), "onehot"),
    (losses.MeanSquaredError(), (6, 2), "real"),
])
def test_loss_gradients_match_numerical(loss, shape, labels, rng):
    p = rng.uniform(0.05, 0.95, shape)
    if labels == "onehot":
        p = p / p.sum(axis=1, keepdims=True)
        y = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    elif labels == "binary":
        y = rng.integers(0, 2, shape).astype(float)
    else:
        y = rng.standard_normal(shape)
    _, analytic = loss(y, p)
    numeric = numerical_gradient(lambda: loss(y, p)[0], p)
    assert rel_error(analytic, numeric) < TOL


def test_perceptron_loss_counts_only_misclassified_points():
    y = np.array([1.0, -1.0, 1.0, -1.0])
    s = np.array([2.0, -1.0, -0.5, 0.0])          # last two misclassified (0 counts as wrong)
    value, grad = losses.PerceptronLoss()(y, s)
    assert value == pytest.approx(0.5)
    assert grad.tolist() == [0.0, 0.0, -1.0, 1.0]


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_fused_output_gradient_equals_chain_rule(activation, rng):
    """dz = (p - y)/m must equal dL/dp times the activation's Jacobian."""
    z = rng.standard_normal((7, 3 if activation == "softmax" else 1))
    p = activations.forward(activation, z)
    if activation == "softmax":
        loss, y = losses.CategoricalCrossentropy(), np.eye(3)[rng.integers(0, 3, 7)]
    else:
        loss, y = losses.BinaryCrossentropy(), rng.integers(0, 2, (7, 1)).astype(float)
    _, dp = loss(y, p)
    chain = activations.backward(activation, dp, z, p)
    assert rel_error(loss.dlogits(y, p), chain) < 1e-10


def test_sparse_categorical_equals_categorical_on_one_hot(rng):
    p = activations.softmax(rng.standard_normal((5, 4)))
    y = rng.integers(0, 4, 5)
    a = losses.SparseCategoricalCrossentropy()(y, p)
    b = losses.CategoricalCrossentropy()(np.eye(4)[y], p)
    assert a[0] == pytest.approx(b[0])
    np.testing.assert_allclose(a[1], b[1])


@pytest.mark.parametrize("n,n_in,units,activation", [
    (1, 3, 2, "tanh"), (5, 4, 3, "relu"), (8, 2, 1, "sigmoid"), (4, 3, 5, "softmax"),
    (3, 6, 4, None)])
def test_dense_shapes_and_gradients(n, n_in, units, activation, rng):
    layer = Dense(units, activation)
    assert layer.build((n_in,), rng) == (units,)
    x = rng.standard_normal((n, n_in))
    assert layer.forward(x).shape == (n, units)
    errors = layer_gradient_errors(layer, x)
    assert max(errors.values()) < TOL, errors


def test_dense_accepts_extra_leading_axes(rng):
    layer = Dense(3, "tanh")
    layer.build((5, 4), rng)
    x = rng.standard_normal((2, 5, 4))
    assert layer.forward(x).shape == (2, 5, 3)
    assert max(layer_gradient_errors(layer, x).values()) < TOL


@pytest.mark.parametrize("loss,out_units,act", [("binary_crossentropy", 1, "sigmoid"),
                                                ("categorical_crossentropy", 3, "softmax"),
                                                ("mse", 2, None)])
def test_model_gradients(loss, out_units, act, rng):
    model = Sequential([Dense(5, "tanh"), Dense(4, "relu"), Dense(out_units, act)],
                       input_shape=(3,), seed=1)
    x = rng.standard_normal((10, 3))
    if loss == "categorical_crossentropy":
        y = np.eye(3)[rng.integers(0, 3, 10)]
    elif loss == "mse":
        y = rng.standard_normal((10, 2))
    else:
        y = rng.integers(0, 2, (10, 1)).astype(float)
    errors = model_gradient_errors(model, x, y, loss)
    assert max(errors.values()) < TOL, errors


def test_same_seed_same_weights_and_outputs(rng):
    x = rng.standard_normal((4, 3))
    outs = [Sequential([Dense(4, "tanh"), Dense(1, "sigmoid")], input_shape=(3,), seed=7)(x)
            for _ in range(2)]
    np.testing.assert_array_equal(*outs)
