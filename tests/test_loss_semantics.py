"""Keras semantics of the losses (issue 23): categorical cross-entropy normalises each row of
``y_pred`` by its sum, and a loss computes in at least float32, so float16 predictions give
a finite loss. Checked against Keras' formula written out here (its NumPy backend's
``categorical_crossentropy`` / ``binary_crossentropy`` in float32) and, when Keras is
installed, against Keras itself."""
from __future__ import annotations

import numpy as np
import pytest

from companion.nn import losses
from companion.nn.gradcheck import numerical_gradient, rel_error

EPS = 1e-7


def keras_cce(y, p):
    """keras/src/backend/numpy/nn.py: output / sum(output), clip, -sum(target * log)."""
    p = p / p.sum(-1, keepdims=True)
    return np.mean(-np.sum(y * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1))


def keras_bce_float32(y, p):
    """The same file's binary_crossentropy, after Loss.__call__ casts to floatx (float32)."""
    y, p = y.astype(np.float32), np.clip(p.astype(np.float32), np.float32(EPS),
                                         np.float32(1 - EPS))
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@pytest.fixture
def unnormalised(rng):
    p = rng.uniform(0.05, 0.9, (6, 4))                  # rows sum to anything but 1
    y = np.eye(4)[rng.integers(0, 4, 6)]
    return y, p


def test_categorical_rows_not_summing_to_one_give_keras_value(unnormalised):
    y, p = unnormalised
    value, _ = losses.CategoricalCrossentropy()(y, p)
    assert value == pytest.approx(keras_cce(y, p), rel=1e-12)
    assert value != pytest.approx(np.mean(-np.sum(y * np.log(p), -1)), rel=1e-3)   # not raw


def test_categorical_gradient_through_the_normalisation_is_exact(unnormalised):
    y, p = unnormalised
    loss = losses.CategoricalCrossentropy()
    _, grad = loss(y, p)
    assert rel_error(grad, numerical_gradient(lambda: loss(y, p)[0], p)) < 1e-8


def test_sparse_categorical_normalises_too(unnormalised):
    y, p = unnormalised
    a = losses.SparseCategoricalCrossentropy()(y.argmax(-1), p)[0]
    assert a == pytest.approx(keras_cce(y, p), rel=1e-12)


def test_categorical_scaling_a_row_changes_nothing(unnormalised):
    y, p = unnormalised
    assert losses.CategoricalCrossentropy()(y, 0.5 * p)[0] == pytest.approx(
        losses.CategoricalCrossentropy()(y, p)[0], rel=1e-12)


def test_binary_crossentropy_float16_is_finite_and_keras_valued():
    y = np.array([[1.0], [0.0], [1.0], [0.0]], np.float16)
    p = np.array([[1.0], [0.0], [0.6], [0.3]], np.float16)
    value, grad = losses.BinaryCrossentropy()(y, p)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(keras_bce_float32(y, p), rel=1e-6)
    with np.errstate(divide="ignore", invalid="ignore"):     # what float16 arithmetic gives
        pc = np.clip(p, np.float16(EPS), np.float16(1 - EPS))
        assert np.isnan(np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc))))


def test_mse_float16_computes_in_float32():
    y, p = np.zeros((1, 2), np.float16), np.array([[300.0, 0.0]], np.float16)
    assert losses.MeanSquaredError()(y, p)[0] == pytest.approx(45000.0)   # float16 max 65504


@pytest.mark.keras
def test_against_keras(keras, unnormalised):
    y, p = unnormalised
    k = float(keras.ops.convert_to_numpy(keras.losses.CategoricalCrossentropy()(y, p)))
    assert losses.CategoricalCrossentropy()(y, p)[0] == pytest.approx(k, rel=1e-5)
    yb = np.array([[1.0], [0.0]], np.float16)
    pb = np.array([[1.0], [0.0]], np.float16)
    kb = float(keras.ops.convert_to_numpy(keras.losses.BinaryCrossentropy()(yb, pb)))
    assert np.isfinite(kb)
    assert losses.BinaryCrossentropy()(yb, pb)[0] == pytest.approx(kb, rel=1e-4, abs=1e-9)
