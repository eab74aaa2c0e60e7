"""Max/average pooling and Flatten: masks, gradient checks, errors, Keras twins."""
import numpy as np
import pytest

from companion import keras_twin as reference
from companion.nn.gradcheck import layer_gradient_errors
from companion.nn.layers import AveragePooling2D, Flatten, MaxPooling2D
from companion.nn.layers.padding import pad_amounts
from companion.nn.layers.pool import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward,
    max_pool_forward,
)
from companion.nn.model import Sequential

TOL = 1e-7
KTOL = 1e-5

# (H, W, pool, strides, padding)
CASES = [(4, 4, 2, None, "valid"), (5, 5, 2, None, "valid"), (5, 5, 2, None, "same"),
         (7, 6, 3, 2, "same"), (6, 6, 3, 1, "same"), (4, 4, 4, None, "valid"),
         (5, 4, 1, 1, "valid"), (6, 5, (2, 3), (1, 2), "same")]
POOLS = [MaxPooling2D, AveragePooling2D]


def test_max_mask_and_even_spread():
    x = np.array([[1., 3., 2., 0.], [4., 2., 1., 5.], [0., 1., 2., 2.], [3., 1., 0., 1.]])
    x = x[None, :, :, None]
    out, cache = max_pool_forward(x, 2)
    np.testing.assert_array_equal(out[0, :, :, 0], [[4, 5], [3, 2]])
    dx, grads = max_pool_backward(np.ones_like(out), cache)
    assert grads == ()
    dx = dx[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0]])
    out, cache = avg_pool_forward(x, 2)
    np.testing.assert_allclose(out[0, :, :, 0], [[2.5, 2], [1.25, 1.25]])
    np.testing.assert_allclose(avg_pool_backward(np.ones_like(out), cache)[0], 0.25)


def test_max_ties_go_to_the_first_maximum():
    """Keras (TensorFlow) sends a tied window's gradient to its first maximum (row-major)."""
    x = np.array([[2., 2., 1., 3.], [2., 0., 3., 3.]])[None, :, :, None]
    out, cache = max_pool_forward(x, 2)
    dx = max_pool_backward(np.ones_like(out), cache)[0][0, :, :, 0]
    np.testing.assert_array_equal(dx, [[1, 0, 0, 1], [0, 0, 0, 0]])


@pytest.mark.parametrize("cls", POOLS)
def test_pool_computes_in_its_dtype(cls, rng):
    layer = cls(2, dtype="float32")
    layer.build((4, 4, 2))
    out = layer.forward(rng.standard_normal((2, 4, 4, 2)))
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32


def test_same_average_ignores_padding():
    x = np.ones((1, 3, 3, 1))
    out, _ = avg_pool_forward(x, 2, padding="same")    # padded edge windows still average to 1
    np.testing.assert_allclose(out, 1.0)
    out, _ = max_pool_forward(-x, 2, padding="same")   # padding never wins a max
    np.testing.assert_allclose(out, -1.0)


@pytest.mark.parametrize("cls", POOLS)
@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("n", [1, 3])
def test_gradient_check(cls, case, n, rng):
    h, w, p, s, pad = case
    layer = cls(p, s, pad)
    layer.build((h, w, 2))
    errors = layer_gradient_errors(layer, rng.standard_normal((n, h, w, 2)))
    assert errors["x"] < TOL, errors


def test_flatten(rng):
    layer = Flatten()
    assert layer.build((3, 4, 2)) == (24,)
    x = rng.standard_normal((2, 3, 4, 2))
    np.testing.assert_array_equal(layer.forward(x)[1], x[1].ravel())
    assert layer_gradient_errors(layer, x)["x"] < TOL


def test_shapes_and_errors():
    assert MaxPooling2D(2).build((7, 7, 3)) == (3, 3, 3)
    assert MaxPooling2D(2, padding="same").build((7, 7, 3)) == (4, 4, 3)
    assert AveragePooling2D(3, 2, "same").build((8, 8, 1)) == (4, 4, 1)
    with pytest.raises(ValueError, match="pool_size must be a positive integer"):
        MaxPooling2D(0)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        AveragePooling2D(2, padding="causal")
    with pytest.raises(ValueError, match="does not fit an input of size 2"):
        MaxPooling2D(3).build((2, 2, 1))
    layer = MaxPooling2D(2)
    layer.build((4, 4, 1))
    with pytest.raises(ValueError, match=r"has shape \(1, 4, 4\), expected \(N, 4, 4, 1\)"):
        layer.forward(np.zeros((1, 4, 4)))


@pytest.mark.keras
@pytest.mark.parametrize("cls", POOLS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(cls, case, rng, keras):
    h, w, p, s, pad = case
    model = Sequential([cls(p, s, pad), Flatten()], input_shape=(h, w, 3), seed=0)
    kmodel = reference.twin(model)
    x = rng.standard_normal((2, h, w, 3)).astype(np.float32)
    out = model.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = model.backward(dout)
    _, k_out, k_dx, _ = reference.backward(kmodel, x, dout)
    layer = model.layers[0]
    pads = [pad_amounts(n, f, st, pad) for n, f, st in zip((h, w), layer.pool_size, layer.strides)]
    if (keras.backend.backend() == "torch" and cls is AveragePooling2D
            and any(lo != hi for lo, hi in pads)):
        out, dx = _edge_padded_average(layer, x.astype(np.float64), pads,
                                       dout.reshape((2,) + layer.output_shape))
    reference.compare("out", out.reshape(2, -1), k_out, KTOL, quiet=True)
    reference.compare("dx", dx, k_dx, KTOL, quiet=True)


def _edge_padded_average(layer, x, pads, dout):
    """What Keras' PyTorch backend computes for an AveragePooling2D whose 'same' padding is
    asymmetric: it pads by replicating the edge pixels (``mode="replicate"`` in
    keras/src/backend/torch/nn.py, ``_apply_same_padding``), so a border window averages copies
    of the edge pixels, where TensorFlow and JAX (and we) average the real pixels only.
    Built from our 'valid' pooling: returns (out, dx) for x (N, H, W, C), dout (N, Ho, Wo, C).
    """
    (t, b), (lft, r) = pads
    H, W = x.shape[1:3]
    xp = np.pad(x, ((0, 0), (t, b), (lft, r), (0, 0)), mode="edge")
    out, cache = avg_pool_forward(xp, layer.pool_size, layer.strides, "valid")
    dxp, _ = avg_pool_backward(dout, cache)
    rows = np.clip(np.arange(-t, H + b), 0, H - 1)[:, None]      # the pixel each copy repeats
    cols = np.clip(np.arange(-lft, W + r), 0, W - 1)[None, :]
    dx = np.zeros_like(x)
    np.add.at(dx, (slice(None), rows, cols), dxp)                # copies send gradient home
    return out, dx
