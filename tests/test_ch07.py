"""Chapter 7's MNIST drivers (companion.chapters.ch07) and the drawing canvas
(companion.lab.draw): shapes, the preparation of a drawing, the confusion matrix, the explorer,
and the Keras twin trained on the same batches."""
import numpy as np
import pytest

from companion import data
from companion.chapters import ch07 as chapter
from companion.lab import draw


@pytest.fixture(scope="module")
def test_digits():
    x, y = data.mnist_subset(2, "test", seed=0)
    return x, y


def test_mnist_float_only_scales():
    x = np.array([[[0, 255], [51, 102]]], np.uint8)
    out = chapter.mnist_float(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, :, :, 0], np.array([[0, 255], [51, 102]], np.float32) / np.float32(255))


def test_networks_and_their_parameters():
    cnn, mlp7 = chapter.mnist_cnn(0), chapter.mnist_mlp(7, 0)
    assert cnn.count_params() == (5 * 5 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (400 * 10 + 10)
    assert mlp7.count_params() == 784 * 7 + 7 + 7 * 10 + 10
    assert cnn.forward(np.zeros((3, 28, 28, 1), np.float32)).shape == (3, 10)
    assert chapter.steps_for(30000, 64, 2) == 2 * 469


def test_confusion_matrix_counts():
    counts = chapter.confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], n_classes=3)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])


def test_train_is_seeded_and_reports_cpu_time(test_digits):
    x, y = test_digits
    X, Y = chapter.mnist_float(x), y.astype(np.int64)
    a, b = chapter.mnist_cnn(0), chapter.mnist_cnn(0)
    ha, hb = chapter.train(a, X, Y, 1, 8, seed=3), chapter.train(b, X, Y, 1, 8, seed=3)
    assert ha["batch_loss"] == hb["batch_loss"] and len(ha["batch_loss"]) == 3
    assert ha["cpu_s"] > 0


# --- the drawing ------------------------------------------------------------------------------
def test_prepare_a_blank_drawing_is_zeros():
    out = draw.prepare(np.zeros(draw.RESOLUTION ** 2))
    assert out.shape == (28, 28, 1) and out.dtype == np.float32 and not out.any()


def test_prepare_fits_20_pixels_and_centres_the_mass(test_digits):
    x, _ = test_digits
    for image in x[:5]:
        out = draw.prepare(draw.upscale(image))[:, :, 0]
        rows, cols = np.flatnonzero(out.max(1) > 0.05), np.flatnonzero(out.max(0) > 0.05)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
        r, c = np.indices(out.shape)
        assert abs((r * out).sum() / out.sum() - 13.5) <= 1
        assert abs((c * out).sum() / out.sum() - 13.5) <= 1


def test_prepare_a_small_digit_in_a_corner_is_enlarged_and_centred(test_digits):
    x, _ = test_digits
    canvas = np.zeros((draw.RESOLUTION, draw.RESOLUTION))
    canvas[:28, :28] = x[0] / 255                          # the digit at half size, top left
    out = draw.prepare(canvas)[:, :, 0]
    full = draw.prepare(draw.upscale(x[0]))[:, :, 0]
    assert np.abs(out - full).mean() < 0.05                # about the same image


def test_prepare_and_canvas_refuse_a_wrong_size():
    with pytest.raises(ValueError, match="drawing: expected 3136 grey levels, got 784"):
        draw.prepare(np.zeros(784))
    with pytest.raises(ValueError, match="value: expected 56 x 56 grey levels, got 10"):
        draw.draw_canvas(np.zeros(10))


def test_canvas_holds_the_drawing(test_digits):
    start = draw.upscale(test_digits[0][0])
    canvas = draw.draw_canvas(start)
    assert len(canvas.value) == draw.RESOLUTION ** 2 and canvas.resolution == draw.RESOLUTION
    np.testing.assert_allclose(canvas.value, start.ravel(), atol=5e-4)


def test_draw_explorer_answers_the_start_menu_and_the_canvas(test_digits):
    x, y = test_digits
    ex = chapter.draw_explorer(chapter.mnist_cnn(0), x[:3], y[:3])
    assert "the CNN reads a" in ex.result["summary"] and ex.figure
    assert ex.result["probs"].shape == (10,) and ex.result["maps"].shape == (24, 24, 8)
    ex.controls["start"].value = "blank"                  # the canvas is cleared, then redrawn
    assert not any(ex.controls["drawing"].value) and ex.result["summary"].startswith("blank")
    ex.controls["drawing"].value = draw.upscale(x[1]).ravel().tolist()
    assert "the CNN reads a" in ex.result["summary"]


# --- the Keras twin on the same batches ---------------------------------------------------------
def test_keras_twin_trains_on_the_same_batches_to_the_same_model(keras, test_digits):
    x, y = data.mnist_subset(13, "train", seed=1)
    X, Y = chapter.mnist_float(x), y.astype(np.int64)
    ours = chapter.mnist_cnn(0)
    kmodel, cpu = chapter.keras_train(ours, X, Y, 2, 32, seed=5)
    chapter.train(ours, X, Y, 2, 32, seed=5)
    probe = chapter.mnist_float(test_digits[0])
    theirs = kmodel.predict(probe, verbose=0)
    np.testing.assert_allclose(ours.predict(probe), theirs, atol=2e-3)
    assert cpu > 0
