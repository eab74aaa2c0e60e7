"""Residual blocks and Inception modules: shapes, gradient checks, Keras functional twins."""
import numpy as np
import pytest

from companion import data
from companion import keras_twin as reference
from companion.chapters import ch08 as chapter08
from companion.nn import Sequential, optim
from companion.nn.gradcheck import layer_gradient_errors, model_gradient_errors
from companion.nn.layers import Conv2D, Dense, Flatten, InceptionModule, PlainBlock, ResidualBlock
from companion.nn.layers.inception import bottleneck_savings

TOL = 1e-7
KTOL = 1e-5

# (input shape, block factory, expected output shape, parameter names)
BLOCKS = [
    ((5, 5, 3), lambda: ResidualBlock(3), (5, 5, 3), 4),                        # identity
    ((6, 6, 2), lambda: ResidualBlock(4, strides=2), (3, 3, 4), 6),             # projection
    ((5, 5, 3), lambda: ResidualBlock(3, shortcut="projection"), (5, 5, 3), 6),
    ((4, 4, 2), lambda: ResidualBlock(2, kernel_size=1), (4, 4, 2), 4),         # 1x1 kernels
    ((3, 3, 2), lambda: ResidualBlock(2, kernel_size=3, strides=3), (1, 1, 2), 6),  # one output
    ((5, 5, 2), lambda: PlainBlock(3), (5, 5, 3), 4),
    ((5, 5, 3), lambda: InceptionModule(2, (2, 3), (1, 2), 2), (5, 5, 9), 12),
    ((1, 1, 4), lambda: InceptionModule(1, (1, 1), (1, 1), 1), (1, 1, 4), 12),  # 1x1 image
]


@pytest.mark.parametrize("shape,make,out_shape,n_params", BLOCKS)
@pytest.mark.parametrize("n", [1, 2])
def test_gradient_check(shape, make, out_shape, n_params, n, rng):
    block = make()
    assert block.build(shape, rng) == out_shape
    assert len(block.params) == n_params
    for p in block.params.values():          # non-zero biases exercise every path
        p += rng.standard_normal(p.shape) * 0.1
    errors = layer_gradient_errors(block, rng.standard_normal((n,) + shape))
    assert max(errors.values()) < TOL, errors


def test_identity_path_passes_gradient_untouched(rng):
    """With the convolutions' weights at zero, a residual block is relu(x): dx = dout where x>0."""
    block = ResidualBlock(3)
    block.build((4, 4, 3), rng)
    for p in block.params.values():
        p[...] = 0
    x = np.abs(rng.standard_normal((2, 4, 4, 3))) + 0.1
    np.testing.assert_allclose(block.forward(x), x)
    dout = rng.standard_normal(x.shape)
    np.testing.assert_allclose(block.backward(dout), dout)
    plain = PlainBlock(3)
    plain.build((4, 4, 3), rng)
    for p in plain.params.values():
        p[...] = 0
    plain.forward(x)
    np.testing.assert_allclose(plain.backward(dout), 0)


def test_params_are_shared_with_sublayers(rng):
    block = ResidualBlock(2, strides=2)
    block.build((4, 4, 2), rng)
    block.params["conv1.kernel"] += 1.0          # an optimiser's in-place update reaches conv1
    np.testing.assert_array_equal(block.conv1.params["kernel"], block.params["conv1.kernel"])
    w = [np.full_like(p, i) for i, p in enumerate(block.params.values())]
    block.set_weights(w)
    assert block.proj.params["bias"][0] == 5 and block.params["proj.bias"][0] == 5


def test_model_of_blocks_gradient_check(rng):
    model = Sequential([Conv2D(3, 3, padding="same", activation="relu"), ResidualBlock(3),
                        ResidualBlock(4, strides=2), InceptionModule(1, (2, 2), (1, 1), 1),
                        Flatten(), Dense(3, "softmax")], input_shape=(4, 4, 1), seed=0)
    x, y = rng.standard_normal((3, 4, 4, 1)), rng.integers(0, 3, 3)
    errors = model_gradient_errors(model, x, y, "sparse_categorical_crossentropy")
    assert max(errors.values()) < 1e-6, errors


def test_bottleneck_savings():
    s = bottleneck_savings()                      # 28x28x192 -> 32 filters 5x5, 16 bottleneck
    assert s["direct"] == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    assert s["with_bottleneck"] == 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16 == 12_443_648
    assert s["ratio"] == pytest.approx(9.677, abs=1e-3)


def test_bad_input():
    with pytest.raises(ValueError, match="shortcut must be"):
        ResidualBlock(2, shortcut="dense")
    with pytest.raises(ValueError, match="identity shortcut needs strides 1 and 4 input"):
        ResidualBlock(4, shortcut="identity").build((5, 5, 2), np.random.default_rng(0))
    with pytest.raises(ValueError, match="b3 entries must be a positive integer, got 0"):
        InceptionModule(2, (0, 3), (1, 2), 2)


@pytest.mark.keras
@pytest.mark.parametrize("shape,make,out_shape,n_params", BLOCKS)
def test_matches_keras_functional(shape, make, out_shape, n_params, rng, keras):
    """The block's twin is a functional Keras model with Add / Concatenate."""
    model = Sequential([make(), Flatten(), Dense(3)], input_shape=shape, seed=0)
    for p in list(model.params.values()):
        p += rng.standard_normal(p.shape) * 0.05
    kmodel = reference.twin(model)
    kblock = kmodel.layers[0]
    names = {type(layer).__name__ for layer in kblock.layers}
    assert ("Concatenate" if isinstance(model.layers[0], InceptionModule) else
            "Add" if isinstance(model.layers[0], ResidualBlock) and
            not isinstance(model.layers[0], PlainBlock) else "Activation") in names
    x = rng.standard_normal((2,) + shape).astype(np.float32)
    out = model.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = model.backward(dout)
    _, k_out, k_dx, k_dw = reference.backward(kmodel, x, dout)
    reference.compare("out", out, k_out, KTOL, quiet=True)
    reference.compare("dx", dx, k_dx, KTOL, quiet=True)
    assert len(k_dw) == len(list(model.grads.values()))
    for ours, theirs in zip(list(model.grads.values()), k_dw):
        reference.compare("dw", ours, theirs, KTOL, quiet=True)


@pytest.mark.keras
def test_residual_inception_training_steps_match_keras(rng, keras):
    model = Sequential([Conv2D(4, 3, padding="same", activation="relu"), ResidualBlock(4),
                        InceptionModule(2, (2, 2), (1, 2), 2), Flatten(), Dense(10, "softmax")],
                       input_shape=(6, 6, 1), seed=0)
    x, y = rng.standard_normal((16, 6, 6, 1)).astype(np.float32), rng.integers(0, 10, 16)
    batches = [(x[s % 2 * 8: s % 2 * 8 + 8], y[s % 2 * 8: s % 2 * 8 + 8]) for s in range(4)]
    reference.train_in_lockstep(model, optim.SGD(0.05, momentum=0.9), batches,
                                "sparse_categorical_crossentropy", KTOL)


def test_depth_explorer_and_deep_cnn(rng):
    (X, y), _, _ = data.digits_images(seed=0)
    plain, res = chapter08.deep_cnn(3, False), chapter08.deep_cnn(3, True)
    assert plain.count_params() == res.count_params()
    assert len(chapter08.kernel_gradient_norms(plain, X[:32], y[:32])) == 2 * 3 + 2
    ex = chapter08.depth_explorer(X[:32], y[:32])
    r = ex.update(blocks=6, initializer="glorot_uniform")
    assert len(r["norms"]["plain"]) == 2 * 6 + 2
    assert r["median"]["residual"] > 30 * r["median"]["plain"]      # the vanishing gradient


def test_deep_cnn_zero_last_starts_every_residual_block_as_the_identity(rng):
    X = rng.random((4, 8, 8, 1))
    net = chapter08.deep_cnn(3, True, seed=0, kernel_initializer="he_normal", zero_last=True)
    stem = net.layers[0].forward(X)                    # ReLU output: relu(stem) == stem
    h = stem
    for block in net.layers[1:4]:
        h = block.forward(h)
    np.testing.assert_array_equal(h, stem)
    plain = chapter08.deep_cnn(3, False, seed=0, kernel_initializer="he_normal", zero_last=True)
    assert np.all(plain.layers[1].forward(stem) == 0)   # a plain block without a skip: zeros
