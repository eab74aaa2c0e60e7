"""Chapter 8's MNIST drivers (companion.chapters.ch08): the deep plain/residual networks with a
stride-2 stem, the small Inception network and its same-width rival, the multiplication count,
the training helper and the explorer on 28x28 images."""
import numpy as np
import pytest

from companion.chapters import ch08 as chapter
from companion.nn import optim
from companion.nn.layers import Conv2D, InceptionModule
from companion.nn.layers.composite import leaves


def conv_params(k, c, f):
    return k * k * c * f + f


@pytest.mark.parametrize("blocks", [0, 1, 3])
def test_mnist_deep_cnn_shapes_parameters_and_dtype(blocks):
    net = chapter.mnist_deep_cnn(blocks, residual=True, seed=0)
    # stem 1 -> 8, stem 8 -> 8, blocks of two 8 -> 8, dense 7*7*8 -> 10
    expected = (conv_params(3, 1, 8) + conv_params(3, 8, 8) + blocks * 2 * conv_params(3, 8, 8)
                + 7 * 7 * 8 * 10 + 10)
    assert net.count_params() == expected
    assert chapter.mnist_deep_cnn(blocks, residual=False).count_params() == expected
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    out = net.forward(x)
    assert out.shape == (3, 10) and out.dtype == np.float32
    assert net.layers[1].forward(net.layers[0].forward(x)).shape == (3, 7, 7, 8)
    y = np.array([0, 1, 2])
    assert len(chapter.kernel_gradient_norms(net, x, y)) == 2 + 2 * blocks + 1


def test_mnist_deep_cnn_zero_last_blocks_start_as_the_identity():
    x = np.random.default_rng(1).random((4, 28, 28, 1)).astype(np.float32)
    net = chapter.mnist_deep_cnn(3, True, seed=0, zero_last=True)
    stem = net.layers[1].forward(net.layers[0].forward(x))
    h = stem
    for block in net.layers[2:5]:
        h = block.forward(h)
    np.testing.assert_array_equal(h, stem)
    assert np.all(net.layers[0].params["kernel"] != 0)          # the stem is not zeroed


def test_deep_cnn_refuses_a_negative_number_of_blocks():
    with pytest.raises(ValueError, match="blocks"):
        chapter.deep_cnn(-1, True)


def test_inception_multiplications_match_the_module_leaf_by_leaf():
    widths = (4, (4, 8), (2, 4), 4)
    module = InceptionModule(*widths)
    module.build((14, 14, 8), np.random.default_rng(0))
    # every convolution inside is 'same', stride 1: H * W * (kh * kw * C * F) multiplications
    counted = sum(14 * 14 * leaf.params["kernel"].size for leaf in leaves(module)
                  if isinstance(leaf, Conv2D))
    assert chapter.inception_multiplications((14, 14), 8, widths) == counted == 117_600


def test_small_conv_is_small_inception_with_one_convolution_of_the_same_width():
    inc = chapter.small_inception(0, input_shape=(28, 28, 1), stem_stride=2, dtype="float32")
    conv = chapter.small_conv(0)
    x = np.random.default_rng(2).random((2, 28, 28, 1)).astype(np.float32)
    for net in (inc, conv):
        assert net.forward(x).shape == (2, 10)
        assert net.layers[1].forward(net.layers[0].forward(x)).shape == (2, 14, 14, 20)
    # the same stem and dense layer: only the middle layer's parameters differ
    assert (inc.count_params() - inc.layers[1].count_params()
            == conv.count_params() - conv.layers[1].count_params())
    assert conv.layers[1].count_params() == conv_params(3, 8, 20)


def test_train_fits_in_place_and_reports_cpu_seconds():
    rng = np.random.default_rng(3)
    x = rng.random((64, 28, 28, 1)).astype(np.float32)
    y = np.arange(64) % 10
    x[np.arange(64), y, y, 0] += 3.0                    # a learnable mark per class
    net = chapter.mnist_deep_cnn(1, True, seed=0, zero_last=True)
    before = net.layers[0].params["kernel"].copy()
    hist = chapter.train(net, (x, y), (x[:20], y[:20]), optim.Adam(0.01), epochs=3,
                         batch_size=16, seed=0)
    assert hist["cpu_s"] > 0 and len(hist["val_accuracy"]) == 3 and len(hist["batch_loss"]) == 12
    assert hist["loss"][-1] < hist["loss"][0]
    assert not np.array_equal(before, net.layers[0].params["kernel"])


def test_depth_explorer_on_mnist_sized_images():
    rng = np.random.default_rng(4)
    x, y = rng.random((16, 28, 28, 1)).astype(np.float32), np.arange(16) % 10
    ex = chapter.depth_explorer(x, y, make=chapter.mnist_deep_cnn)
    r = ex.update(blocks=4, initializer="he_normal")
    assert len(r["norms"]["plain"]) == len(r["norms"]["residual"]) == 2 + 2 * 4 + 1
    assert r["summary"].startswith("10 conv layers, he_normal")
    assert r["median"]["residual"] > 10 * r["median"]["plain"]
