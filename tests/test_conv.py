"""Conv2D: padding arithmetic, naive vs vectorised, gradient checks, errors, Keras twin."""
import numpy as np
import pytest

from companion import data
from companion import keras_twin as reference
from companion.chapters import ch07 as chapter07
from companion.nn import Sequential, optim
from companion.nn.gradcheck import layer_gradient_errors, model_gradient_errors
from companion.nn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from companion.nn.layers.conv import (
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
)
from companion.nn.layers.padding import conv_output_size, output_hw, same_padding

TOL = 1e-7
KTOL = 1e-5

# (H, W, C, F, kernel, strides, padding): stride/padding variants and edge cases
CASES = [
    (5, 5, 2, 3, 3, 1, "valid"),
    (6, 7, 2, 3, 3, 1, "same"),
    (7, 7, 1, 2, 3, 2, "same"),        # odd size, stride 2: symmetric 'same'
    (6, 6, 2, 2, 3, 2, "same"),        # even size, stride 2: Keras pads 0 before, 1 after
    (8, 8, 2, 2, 4, 2, "same"),        # even kernel: asymmetric padding
    (7, 6, 2, 3, 2, 3, "valid"),       # stride leaves rows unused
    (5, 5, 3, 2, 1, 1, "valid"),       # 1x1 kernel
    (4, 4, 2, 3, 4, 1, "valid"),       # kernel the size of the input: one output
    (3, 5, 2, 2, (3, 1), (1, 2), "same"),   # rectangular kernel and strides
    (6, 7, 1, 3, 3, 1, "same"),        # one channel (laid out plane by plane), stride 1
    (6, 5, 1, 2, (2, 3), (2, 1), "valid"),  # one channel, rectangular kernel and strides
]


def test_output_size_formula():
    assert conv_output_size(6, 3) == 4                      # the notes' n - f + 1
    assert conv_output_size(6, 3, s=1, p=1) == 6            # 'same' with p = (f-1)/2
    assert conv_output_size(7, 3, s=2, p=0) == 3            # floor((7 - 3)/2) + 1
    assert conv_output_size(8, 3, s=2, p=1) == 4
    assert same_padding(6, 3, 2) == (0, 1)                  # Keras puts the odd one after
    assert same_padding(7, 3, 2) == (1, 1)
    assert same_padding(5, 1, 1) == (0, 0)
    assert output_hw((28, 28), (5, 5), (1, 1), "valid") == (24, 24)
    assert output_hw((28, 28), (3, 3), (2, 2), "same") == (14, 14)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_vectorised_equals_naive(case, rng):
    h, w, c, f, k, s, p = case
    kernel = (k, k) if np.isscalar(k) else k
    x = rng.standard_normal((2, h, w, c))
    W, b = rng.standard_normal(kernel + (c, f)), rng.standard_normal(f)
    out, cache = conv2d_forward(x, W, b, s, p)
    slow_out, slow_cache = conv2d_forward_naive(x, W, b, s, p)
    np.testing.assert_allclose(out, slow_out, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx, (dW, db) = conv2d_backward(dout, cache)
    slow_dx, (slow_dW, slow_db) = conv2d_backward_naive(dout, slow_cache)
    for ours, slow in [(dx, slow_dx), (dW, slow_dW), (db, slow_db)]:
        assert ours.shape == slow.shape
        np.testing.assert_allclose(ours, slow, atol=1e-12)


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("budget", [1, 3 * 8 * 8 * 9 * 2 * 8, 1 << 30])
def test_chunking_does_not_change_the_result(budget, channels, rng, monkeypatch):
    """One image per chunk, a few images per chunk (leaving a partial last chunk) or the whole
    batch at once: the same numbers, for the NHWC columns and the one-channel planes."""
    from companion.nn.layers import conv
    x, W = rng.standard_normal((7, 8, 8, channels)), rng.standard_normal((3, 3, channels, 4))
    b = None
    want = [conv2d_forward_naive(x, W, b, s, "same") for s in (1, 2)]
    monkeypatch.setattr(conv, "CHUNK_BYTES", budget)
    monkeypatch.setattr(conv, "WHOLE_BYTES", 0 if budget < 1 << 30 else budget)
    for s, (slow, slow_cache) in zip((1, 2), want):
        out, cache = conv2d_forward(x, W, b, s, "same")
        np.testing.assert_allclose(out, slow, atol=1e-12)
        dout = rng.standard_normal(out.shape)
        dx, (dW, db) = conv2d_backward(dout, cache)
        slow_dx, (slow_dW, slow_db) = conv2d_backward_naive(dout, slow_cache)
        assert db is None and slow_db is None
        np.testing.assert_allclose(dx, slow_dx, atol=1e-12)
        np.testing.assert_allclose(dW, slow_dW, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_computes_in_its_dtype(dtype, rng):
    """A float32 layer stays float32 end to end, whatever the input's dtype."""
    layer = Conv2D(3, 3, padding="same", activation="relu", dtype=dtype)
    layer.build((6, 6, 2), rng)
    assert all(p.dtype == dtype for p in layer.params.values())
    out = layer.forward(rng.standard_normal((2, 6, 6, 2)))               # float64 input
    dx = layer.backward(rng.standard_normal(out.shape))
    assert out.dtype == dtype and dx.dtype == dtype
    assert all(g.dtype == dtype for g in layer.grads.values())


def test_float32_memory_stays_small(rng):
    """The batch's column matrix is never built: forward + backward of a 32->32 5x5 float32
    convolution on 64 28x28 images allocates well under the 153 MiB that matrix alone takes."""
    import tracemalloc
    x = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    W = rng.standard_normal((5, 5, 32, 32)).astype(np.float32)
    dout = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    tracemalloc.start()
    try:
        out, cache = conv2d_forward(x, W, np.zeros(32, np.float32), 1, "same")
        dx, (dW, _) = conv2d_backward(dout, cache)
        peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()
    assert out.dtype == dx.dtype == dW.dtype == np.float32
    assert peak < 40, f"peak {peak:.0f} MiB"


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("n", [1, 2])
def test_gradient_check(case, n, rng):
    h, w, c, f, k, s, p = case
    layer = Conv2D(f, k, strides=s, padding=p, activation="tanh")
    layer.build((h, w, c), rng)
    layer.params["bias"] = rng.standard_normal(f) * 0.1
    errors = layer_gradient_errors(layer, rng.standard_normal((n, h, w, c)))
    assert set(errors) == {"x", "kernel", "bias"}
    assert max(errors.values()) < TOL, errors


def test_naive_layer_gradient_check(rng):
    layer = Conv2D(2, 3, strides=2, padding="same", implementation="naive")
    layer.build((5, 5, 2), rng)
    assert max(layer_gradient_errors(layer, rng.standard_normal((1, 5, 5, 2))).values()) < TOL


def test_small_cnn_gradient_check(rng):
    model = Sequential([Conv2D(3, 3, padding="same", activation="relu"), MaxPooling2D(2),
                        Conv2D(2, 2, activation="tanh"), Flatten(), Dense(3, "softmax")],
                       input_shape=(6, 6, 1), seed=1)
    x, y = rng.standard_normal((4, 6, 6, 1)), rng.integers(0, 3, 4)
    errors = model_gradient_errors(model, x, y, "sparse_categorical_crossentropy")
    assert max(errors.values()) < 1e-6, errors


def test_shapes_and_repr():
    layer = Conv2D(8, 5, strides=2, padding="same")
    assert layer.build((28, 28, 3), np.random.default_rng(0)) == (14, 14, 8)
    assert layer.params["kernel"].shape == (5, 5, 3, 8)
    assert layer.count_params() == 5 * 5 * 3 * 8 + 8
    assert repr(layer) == "Conv2D(8, 5x5, s=2, same)"


def test_determinism():
    a = Sequential([Conv2D(4, 3)], input_shape=(5, 5, 2), seed=3).get_weights()
    b = Sequential([Conv2D(4, 3)], input_shape=(5, 5, 2), seed=3).get_weights()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_bad_input():
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        Conv2D(2, 0)
    with pytest.raises(ValueError, match="filters must be a positive integer"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="does not fit an input of size 3"):
        Conv2D(2, 5).build((3, 3, 1), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"expects images \(H, W, C\)"):
        Conv2D(2, 3).build((9,), np.random.default_rng(0))
    layer = Conv2D(2, 3)
    layer.build((5, 5, 1), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"has shape \(2, 5, 5, 3\), expected \(N, 5, 5, 1\)"):
        layer.forward(np.zeros((2, 5, 5, 3)))


# --- against Keras -------------------------------------------------------------------------
@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras_conv2d(case, rng, keras):
    h, w, c, f, k, s, p = case
    model = Sequential([Conv2D(f, k, strides=s, padding=p, activation="relu")],
                       input_shape=(h, w, c), seed=0)
    model.layers[0].params["bias"][:] = rng.standard_normal(f) * 0.1
    kmodel = reference.twin(model)
    x = rng.standard_normal((3, h, w, c)).astype(np.float32)
    out = model.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = model.backward(dout)
    _, k_out, k_dx, k_dw = reference.backward(kmodel, x, dout)
    reference.compare("out", out, k_out, KTOL, quiet=True)
    reference.compare("dx", dx, k_dx, KTOL, quiet=True)
    for ours, theirs in zip(list(model.grads.values()), k_dw):
        reference.compare("dw", ours, theirs, KTOL, quiet=True)


@pytest.mark.keras
def test_cnn_training_steps_match_keras(rng, keras):
    """Five SGD-with-momentum steps of a whole small CNN on the same batches leave the same
    weights. (Adam agrees too, but only to ~8e-6 of the still-small biases: dividing by
    sqrt(v) magnifies float32 rounding, too close to 1e-5 for a robust test; Adam's formula
    itself is checked against Keras in test_keras_core.)"""
    model = Sequential([Conv2D(4, 3, padding="same", activation="relu"), MaxPooling2D(2),
                        Conv2D(6, 3, strides=2, padding="same", activation="relu"), Flatten(),
                        Dense(10, "softmax")], input_shape=(8, 8, 1), seed=0)
    x = rng.standard_normal((32, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    batches = [(x[s % 4 * 8: s % 4 * 8 + 8], y[s % 4 * 8: s % 4 * 8 + 8]) for s in range(5)]
    reference.train_in_lockstep(model, optim.SGD(0.05, momentum=0.9), batches,
                                "sparse_categorical_crossentropy", KTOL)


# --- chapter helpers and explorers -----------------------------------------------------------
def test_photo_and_kernels():
    img = chapter07.photo("china.jpg", gray=True, scale=4)
    assert img.shape == (106, 160) and 0 <= img.min() and img.max() <= 1
    step = np.array([[10.0] * 3 + [0.0] * 3] * 6)
    np.testing.assert_allclose(chapter07.apply_kernel(step, chapter07.KERNELS["vertical edge"]),
                               [[0, 30, 30, 0]] * 4)
    assert chapter07.apply_kernel(img, chapter07.KERNELS["blur"], stride=2, padding="same").shape == (53, 80)


def test_filter_explorer_updates():
    img = chapter07.photo("china.jpg", scale=8)                    # 53 x 80
    ex = chapter07.filter_explorer(img)
    assert ex.result["out"].shape == (51, 78)
    r = ex.update(stride=4, padding="same", kernel="Sobel horizontal")
    assert r["out"].shape == (14, 20)
    assert "53x80 -> 14x20" in r["summary"]


def test_cnn_explorer_trains():
    (X, y), (Xd, yd), _ = data.digits_images(seed=0)
    ex = chapter07.cnn_explorer((X[:200], y[:200]), (Xd[:100], yd[:100]), epochs=1)
    r = ex.update(filters=2, learning_rate=0.01)
    assert r["model"].layers[0].filters == 2 and len(r["history"]["loss"]) == 1
    assert "2/4 filters" in r["summary"]
