"""The Embedding layer: lookup = one-hot @ E, scatter-add backward, gradient checks, Keras twin."""
import numpy as np
import pytest

from companion.nn.gradcheck import model_gradient_errors, numerical_gradient, rel_error
from companion.nn.layers import Dense
from companion.nn.layers.embedding import (
    Embedding,
    embedding_backward,
    embedding_backward_onehot,
    embedding_forward,
)
from companion.nn.model import Sequential


def make(input_dim=7, output_dim=4, input_shape=(3,), seed=0):
    layer = Embedding(input_dim, output_dim)
    layer.build(input_shape, np.random.default_rng(seed))
    return layer


@pytest.mark.parametrize("ids_shape", [(1,), (5,), (1, 1), (2, 3), (4, 1), (2, 3, 2)])
def test_forward_is_row_lookup_and_one_hot_product(ids_shape, rng):
    layer = make(input_shape=ids_shape[1:])
    ids = rng.integers(0, 7, ids_shape)
    out = layer.forward(ids)
    E = layer.params["embeddings"]
    assert out.shape == ids_shape + (4,)
    np.testing.assert_array_equal(out, E[ids])
    np.testing.assert_allclose(out, np.eye(7)[ids] @ E, rtol=0, atol=1e-15)
    pure, cache = embedding_forward(ids, E)
    np.testing.assert_array_equal(pure, out)
    dout = rng.standard_normal(out.shape)
    dids, (dE,) = embedding_backward(dout, cache)
    layer.backward(dout)
    np.testing.assert_array_equal(layer.grads["embeddings"], dE)
    assert dids.shape == ids.shape and not dids.any()


@pytest.mark.parametrize("ids_shape", [(1,), (1, 1), (2, 3), (6, 4)])
def test_backward_gradient_check(ids_shape, rng):
    layer = make(input_shape=ids_shape[1:])
    ids = rng.integers(0, 7, ids_shape)
    dout = rng.standard_normal(ids_shape + (4,))
    layer.forward(ids)
    dx = layer.backward(dout)
    assert dx.shape == ids.shape and not dx.any()
    E = layer.params["embeddings"]
    num = numerical_gradient(lambda: float(np.sum(layer.forward(ids) * dout)), E)
    assert rel_error(layer.grads["embeddings"], num) < 1e-7


def test_backward_accumulates_repeated_ids_and_leaves_unused_rows_zero():
    ids = np.array([[2, 2, 5], [2, 0, 5]])
    dout = np.arange(24, dtype=float).reshape(2, 3, 4)
    _, (dE,) = embedding_backward(dout, (ids, 7))
    np.testing.assert_allclose(dE[2], dout[0, 0] + dout[0, 1] + dout[1, 0])
    np.testing.assert_allclose(dE[5], dout[0, 2] + dout[1, 2])
    np.testing.assert_allclose(dE[0], dout[1, 1])
    assert not dE[[1, 3, 4, 6]].any()
    np.testing.assert_allclose(dE, embedding_backward_onehot(dout, (ids, 7))[1][0], atol=1e-12)
    naive = np.zeros((7, 4))
    naive[ids.reshape(-1)] += dout.reshape(-1, 4)          # the classic bug loses repeats
    assert not np.allclose(naive, dE)


def test_model_gradient_check_embedding_then_dense():
    model = Sequential([Embedding(10, 5), Dense(3, "softmax")], input_shape=(), seed=1)
    ids = np.array([1, 4, 4, 9, 0, 1])
    y = np.array([0, 2, 2, 1, 0, 1])
    errors = model_gradient_errors(model, ids, y, "sparse_categorical_crossentropy")
    assert set(errors) == {"embedding.embeddings", "dense.kernel", "dense.bias"}
    assert max(errors.values()) < 1e-7, errors


def test_pretrained_initializer_and_determinism():
    E = np.arange(12.0).reshape(4, 3)
    layer = Embedding(4, 3, embeddings_initializer=E)
    layer.build((), None)
    np.testing.assert_array_equal(layer.forward(np.array([3, 0])), E[[3, 0]])
    a, b = make(seed=5), make(seed=5)
    np.testing.assert_array_equal(a.params["embeddings"], b.params["embeddings"])
    assert np.abs(a.params["embeddings"]).max() <= 0.05


def test_bad_input_messages():
    layer = make()
    with pytest.raises(ValueError, match=r"ids must lie in 0\.\.6 \(input_dim=7\), got values from 0 to 7"):
        layer.forward(np.array([[0, 7, 1]]))
    with pytest.raises(ValueError, match=r"ids must lie in 0\.\.6"):
        layer.forward(np.array([[0, -1, 1]]))
    with pytest.raises(TypeError, match="expected integer word ids, got dtype float64"):
        layer.forward(np.array([[0.5, 1, 2]]))
    with pytest.raises(ValueError, match=r"ids have shape \(2, 4\), expected \(N, 3\)"):
        layer.forward(np.zeros((2, 4), dtype=int))
    layer.forward(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3\), expected \(2, 3, 4\)"):
        layer.backward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="input_dim must be a positive integer, got 0"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match=r"embeddings_initializer has shape \(2, 2\), expected"):
        Embedding(4, 3, embeddings_initializer=np.zeros((2, 2))).build((), None)


@pytest.mark.keras
@pytest.mark.parametrize("ids_shape", [(1,), (3, 5), (2, 1)])
def test_keras_embedding_same_lookups_and_gradients(keras, ids_shape, rng):
    layer = make(input_dim=11, output_dim=6, input_shape=ids_shape[1:])
    ids = rng.integers(0, 11, ids_shape)
    ids.flat[0] = ids.flat[-1] = 3                      # a repeated id
    dout = rng.standard_normal(ids_shape + (6,))
    out = layer.forward(ids)
    layer.backward(dout)
    from companion.keras_twin import embedding_gradients
    k_out, k_grad = embedding_gradients(layer, ids, dout)
    assert k_grad.shape == (11, 6)
    np.testing.assert_allclose(k_out, out, rtol=1e-6, atol=1e-7)
    err = np.max(np.abs(k_grad - layer.grads["embeddings"])) / np.max(np.abs(k_grad))
    assert err < 1e-5


@pytest.mark.keras
def test_keras_twin_of_embedding_model(keras):
    from companion.keras_twin import twin
    model = Sequential([Embedding(10, 5), Dense(3, "softmax")], input_shape=(4,), seed=2)
    ids = np.random.default_rng(0).integers(0, 10, (6, 4))
    kmodel = twin(model)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(kmodel(ids.astype("float32"))),
                               model.forward(ids),
                               rtol=1e-5, atol=1e-6)
