"""The L-layer network builder: structure, gradient checks with L1/L2 and dropout, errors."""
import numpy as np
import pytest

from companion.chapters.ch04 import deep_network, kernel_norms, train_and_score
from companion.nn import gradcheck
from companion.nn.layers import Dense, Dropout
from companion.nn.layers.dropout import frozen_masks
from companion.nn.regularizers import L1, L1L2, L2


def test_layer_sizes_activations_and_dropout_positions():
    model = deep_network([3, 5, 4, 2], activations=["relu", "tanh"], output_activation="softmax",
                         keep_probs=[0.8, 1.0], seed=0)
    kinds = [(type(layer).__name__, getattr(layer, "activation", None)) for layer in model.layers]
    assert kinds == [("Dense", "relu"), ("Dropout", None), ("Dense", "tanh"),
                     ("Dense", "softmax")]
    assert model.layers[1].rate == pytest.approx(0.2)
    assert [w.shape for w in model.get_weights()] == [(3, 5), (5,), (5, 4), (4,), (4, 2), (2,)]
    assert model.output_shape == (2,)


def test_a_single_layer_network_is_logistic_regression():
    model = deep_network([4, 1], seed=0)
    assert len(model.layers) == 1 and model.layers[0].activation == "sigmoid"


@pytest.mark.parametrize("reg", [L2(0.05), L1(0.03), L1L2(0.02, 0.04)], ids=repr)
@pytest.mark.parametrize("n", [1, 7])
def test_deep_network_gradients_with_penalties(reg, n, rng):
    model = deep_network([3, 6, 5, 4, 1], activations=["tanh", "sigmoid", "tanh"],
                         initializer="glorot_uniform", regularizer=reg, seed=1)
    x, y = rng.standard_normal((n, 3)), rng.integers(0, 2, (n, 1)).astype(float)
    errors = gradcheck.model_gradient_errors(model, x, y, "binary_crossentropy")
    assert max(errors.values()) < 1e-7, errors


def test_softmax_deep_network_gradients_with_l2(rng):
    model = deep_network([4, 8, 8, 3], activations="relu", output_activation="softmax",
                         regularizer=L2(0.01), seed=2)
    x, y = rng.standard_normal((9, 4)), np.eye(3)[rng.integers(0, 3, 9)]
    errors = gradcheck.model_gradient_errors(model, x, y, "categorical_crossentropy")
    assert max(errors.values()) < 1e-7, errors


def test_gradients_with_dropout_masks_fixed(rng):
    model = deep_network([3, 8, 6, 1], activations="tanh", regularizer=L2(0.02),
                         keep_probs=[0.5, 0.7], seed=3)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 2, (6, 1)).astype(float)
    with frozen_masks(model, x):
        errors = gradcheck.model_gradient_errors(model, x, y, "binary_crossentropy",
                                                 training=True)
    assert max(errors.values()) < 1e-7, errors


def test_same_seed_same_network_and_training():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 2)), rng.integers(0, 2, (40, 1))
    runs = []
    for _ in range(2):
        model = deep_network([2, 8, 1], keep_probs=0.7, seed=5)
        runs.append(train_and_score(model, (x, y), (x, y), epochs=5, seed=1))
    np.testing.assert_array_equal(runs[0]["history"]["loss"], runs[1]["history"]["loss"])
    assert runs[0]["train_acc"] == runs[1]["train_acc"]


def test_l2_shrinks_the_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((60, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)
    norms = []
    for reg in (None, L2(0.05)):
        model = deep_network([2, 16, 1], regularizer=reg, seed=0)
        train_and_score(model, (x, y), (x, y), epochs=100)
        norms.append(kernel_norms(model))
    assert np.all(norms[1] < norms[0])


@pytest.mark.parametrize("kwargs,match", [
    ({"layer_sizes": [3]}, "at least two positive sizes"),
    ({"layer_sizes": [3, 0, 1]}, "at least two positive sizes"),
    ({"layer_sizes": [3, 4, 4, 1], "activations": ["relu"]},
     r"activations: expected one value per hidden layer \(2\), got 1"),
    ({"layer_sizes": [3, 4, 1], "keep_probs": 0.0}, r"keep probability must lie in \(0, 1\]"),
    ({"layer_sizes": [3, 4, 1], "keep_probs": [0.5, 0.5]}, r"keep_probs: expected one value"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        deep_network(**kwargs)


def test_wrong_input_width_names_the_shapes():
    model = deep_network([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"has shape \(2, 5\), expected \(N, 3\)"):
        model.forward(np.zeros((2, 5)))


def test_every_kernel_gets_the_regulariser_and_dropout_is_never_last():
    model = deep_network([2, 3, 3, 1], regularizer=L2(0.1), keep_probs=0.5, seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert all(isinstance(layer.kernel_regularizer, L2) for layer in dense)
    assert not isinstance(model.layers[-1], Dropout)
