"""One calling convention, one layer surface, one training loop (issue 11), and the wrong calls
of issue 14 that concern them: each bad call gets a clear error, nothing is silently wrong."""
import numpy as np
import pytest

from companion.nn import optim
from companion.nn.gradcheck import model_gradient_errors
from companion.nn.layers import (
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Embedding,
    batchnorm_backward,
    batchnorm_forward,
    dense_backward,
    dense_forward,
)
from companion.nn.layers.activation import activation_backward, activation_forward
from companion.nn.model import Sequential
from companion.nn.train import (
    Callback,
    EarlyStopping,
    EpochMeanLoss,
    Supervised,
    Trainable,
    fit,
    train_loop,
)
from companion.nn.validation import DivergenceError

LOSS = "sparse_categorical_crossentropy"


def small_model(seed=0, **kwargs):
    return Sequential([Dense(5, "tanh"), Dense(3, "softmax")], input_shape=(4,), seed=seed,
                      **kwargs)


def data(rng, n=20):
    return rng.standard_normal((n, 4)), rng.integers(0, 3, n)


# --- the pure functions and the classes that call them ---------------------------------------
def test_dense_pure_pair_is_what_the_layer_computes(rng):
    layer = Dense(3, "tanh")
    layer.build((4,), rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    z, cache = dense_forward(x, layer.params["kernel"], layer.params["bias"])
    a, act_cache = activation_forward(z, "tanh")
    np.testing.assert_array_equal(layer.forward(x), a)
    dz, no_grads = activation_backward(dout, act_cache)
    dx, (dW, db) = dense_backward(dz, cache)
    np.testing.assert_array_equal(layer.backward(dout), dx)
    np.testing.assert_array_equal(layer.grads["kernel"], dW)
    np.testing.assert_array_equal(layer.grads["bias"], db)
    assert no_grads == () and np.allclose(a, np.tanh(x @ layer.params["kernel"] + layer.params["bias"]))


def test_batchnorm_pure_pair_is_what_the_layer_computes(rng):
    layer = BatchNormalization()
    layer.build((3,), rng)
    x, dout = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    out, cache = batchnorm_forward(x, np.ones(3), np.zeros(3), 1e-3)
    np.testing.assert_array_equal(layer.forward(x, training=True), out)
    dx, (dgamma, dbeta) = batchnorm_backward(dout, cache)
    np.testing.assert_array_equal(layer.backward(dout), dx)
    np.testing.assert_array_equal(layer.grads["gamma"], dgamma)
    np.testing.assert_array_equal(layer.grads["beta"], dbeta)
    np.testing.assert_allclose(cache[3], x.mean(axis=0))               # batch statistics
    np.testing.assert_allclose(cache[4], x.var(axis=0))


# --- a model is a layer: Sequential nests ------------------------------------------------------
def nested_and_flat(seed=0):
    inner = Sequential([Dense(5, "tanh"), Dense(4, "relu")])
    nested = Sequential([inner, Dense(3, "softmax")], input_shape=(4,), seed=seed)
    flat = Sequential([Dense(5, "tanh"), Dense(4, "relu"), Dense(3, "softmax")],
                      input_shape=(4,), seed=seed)
    return nested, flat


def test_nested_sequential_equals_the_flat_one(rng):
    nested, flat = nested_and_flat()
    for a, b in zip(nested.get_weights(), flat.get_weights()):    # same draws, same order
        np.testing.assert_array_equal(a, b)
    x, y = data(rng)
    np.testing.assert_array_equal(nested.forward(x), flat.forward(x))
    assert nested.loss_and_grads(x, y, LOSS) == flat.loss_and_grads(x, y, LOSS)
    for g1, g2 in zip(list(nested.grads.values()), list(flat.grads.values())):
        np.testing.assert_array_equal(g1, g2)
    assert [n for n, _ in list(nested.params.items())][:2] == ["sequential.dense.kernel",
                                                         "sequential.dense.bias"]
    assert nested.count_params() == flat.count_params() == 5 * 4 + 5 + 4 * 5 + 4 + 4 * 3 + 3


def test_nested_sequential_gradient_check_and_weights_round_trip(rng):
    nested, _ = nested_and_flat()
    x, y = data(rng, 6)
    assert max(model_gradient_errors(nested, x, y, LOSS).values()) < 1e-7
    w = [rng.standard_normal(p.shape) for p in nested.get_weights()]
    nested.set_weights(w)
    for a, b in zip(nested.get_weights(), w):
        np.testing.assert_array_equal(a, b)
    assert nested.layers[0].output_shape == (4,) and nested.output_shape == (3,)


def test_fit_trains_a_nested_model_like_the_flat_one(rng):
    x, y = data(rng, 40)
    hists = [fit(m, x, y, LOSS, optim.Adam(0.05), epochs=3, batch_size=8, seed=1)
             for m in nested_and_flat()]
    assert hists[0]["batch_loss"] == hists[1]["batch_loss"]


# --- dtypes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,x", [
    (lambda: Dense(3, "sigmoid", dtype="float32"), np.ones((2, 4))),
    (lambda: BatchNormalization(dtype="float32"), np.arange(8.0).reshape(2, 4)),
    (lambda: Activation("softmax", dtype="float32"), np.ones((2, 4))),
    (lambda: Dropout(0.5, seed=0, dtype="float32"), np.ones((2, 4))),
])
def test_float32_layers_compute_in_float32(make, x, rng):
    layer = make()
    layer.build((4,), rng)
    assert all(p.dtype == np.float32 for p in layer.params.values())
    out = layer.forward(x, training=True)                     # a float64 input is cast down
    assert out.dtype == np.float32
    assert layer.backward(np.ones(out.shape)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_float32_embedding(rng):
    layer = Embedding(5, 3, dtype="float32")
    layer.build((2,), rng)
    out = layer.forward(np.array([[1, 4]]))
    layer.backward(np.ones(out.shape))
    assert out.dtype == layer.grads["embeddings"].dtype == np.float32


def test_float32_model_trains_in_float32_and_agrees_with_float64(rng):
    x, y = data(rng, 30)
    m32, m64 = small_model(dtype="float32"), small_model()
    assert all(p.dtype == np.float32 for p in list(m32.params.values()))
    np.testing.assert_allclose(m32.forward(x), m64.forward(x), rtol=1e-5, atol=1e-6)
    fit(m32, x, y, LOSS, optim.SGD(0.1), epochs=2, batch_size=10, seed=0)
    assert all(p.dtype == np.float32 for p in list(m32.params.values()))
    assert m32.forward(x).dtype == np.float32


def test_bad_dtype():
    with pytest.raises(ValueError, match=r"Dense: dtype must be one of \('float32', "
                                         r"'float64'\), got 'int32'"):
        Dense(3, dtype="int32")


# --- the training protocol ---------------------------------------------------------------------
class Quadratic:
    """loss = 0.5 * ||w - target||^2, one parameter vector; a batch is ignored."""

    def __init__(self, start, target):
        self.w, self.target = np.array(start, dtype=float), np.asarray(target, dtype=float)
        self.params = {"w": self.w}

    def loss_and_grads(self, batch):
        self.g = self.w - self.target
        return 0.5 * float(self.g @ self.g), {"w": self.g}


def test_train_loop_drives_any_trainable():
    q = Quadratic([3.0, -1.0], [1.0, 1.0])
    assert isinstance(q, Trainable)
    hist = train_loop(q, lambda epoch: [None] * 2, optim.SGD(0.5), epochs=3,
                      callbacks=[EpochMeanLoss()])
    # w_k - target = (w_0 - target) * (1 - lr)^k: after 6 steps, (2, -2) / 64
    np.testing.assert_allclose(q.w, [1 + 2 / 64, 1 - 2 / 64], rtol=0, atol=1e-15)
    want = [0.5 * 8 * 0.25 ** k for k in range(6)]          # loss before step k
    np.testing.assert_allclose(hist["batch_loss"], want, rtol=1e-15)
    np.testing.assert_allclose(hist["loss"], [np.mean(want[i:i + 2]) for i in (0, 2, 4)])


def test_models_of_the_package_follow_the_protocol():
    from companion.chapters.ch03 import ShallowNet, init_params
    from companion.data.text import char_vocabulary
    from companion.models import CharLanguageModel, SkipGram
    for obj in (SkipGram(5, 2, seed=0), CharLanguageModel(char_vocabulary(["ab"]), 3),
                Supervised(small_model(), LOSS), ShallowNet(init_params(2, 3, 1, 0))):
        assert isinstance(obj, Trainable), type(obj).__name__


class Stopper(Callback):
    def __init__(self):
        self.steps = []

    def on_step(self, step, loss, grads, clipped, history):
        self.steps.append(step)

    def on_epoch_end(self, epoch, history):
        return epoch == 1


def test_callbacks_see_every_step_and_can_stop():
    stopper = Stopper()
    hist = train_loop(Quadratic([0.0], [1.0]), lambda e: [None] * 3, "sgd", 10, [stopper])
    assert stopper.steps == list(range(6)) and len(hist["batch_loss"]) == 6


def test_divergence_error_carries_step_loss_and_history(rng):
    x, y = data(rng, 32)
    with pytest.raises(DivergenceError) as info:
        fit(Sequential([Dense(8, "relu"), Dense(1)], input_shape=(4,), seed=0),
            x * 10, y[:, None] * 1.0, "mse", optim.SGD(10.0), epochs=20, batch_size=8, seed=0)
    exc = info.value
    assert isinstance(exc.step, int) and not np.isfinite(exc.loss)
    assert len(exc.history["batch_loss"]) == exc.step          # the steps before it
    assert f"at step {exc.step}" in str(exc)


def test_early_stopping_through_the_loop(rng):
    x, y = data(rng, 30)
    stop = EarlyStopping(monitor="val_loss", patience=1)
    hist = fit(small_model(), x, y, LOSS, optim.SGD(3.0), epochs=30, batch_size=5,
               validation_data=(x[:5], y[:5] * 0 + 2), seed=0, early_stopping=stop)
    assert stop.stopped_epoch is not None and len(hist["loss"]) == stop.stopped_epoch + 1


def test_bn_study_reads_the_step_from_the_error():
    from companion import data
    from companion.chapters import ch06
    X, y = data.digits()
    X = X / 16.0
    run = ch06.train_run(((X[:600], y[:600]), (X[600:700], y[600:700])), False, 3.0, epochs=1)
    assert isinstance(run["diverged_at"], int) and run["dev_accuracy"] == 0.1


# --- issue 14: wrong calls -----------------------------------------------------------------
def test_fit_rejects_a_negative_clipnorm(rng):
    x, y = data(rng)
    with pytest.raises(ValueError, match="clipnorm must be a positive number, got -1.0"):
        fit(small_model(), x, y, LOSS, "sgd", epochs=1, seed=0, clipnorm=-1.0)


@pytest.mark.parametrize("batch_size,err", [(2.5, ValueError), (0, ValueError),
                                            ("8", TypeError)])
def test_fit_rejects_a_batch_size_that_is_not_a_positive_integer(batch_size, err, rng):
    x, y = data(rng)
    with pytest.raises(err, match="batch_size must be a positive integer"):
        fit(small_model(), x, y, LOSS, "sgd", epochs=1, batch_size=batch_size, seed=0)


@pytest.mark.parametrize("where,value,match", [
    ("x", np.nan, r"x contains 1 NaN or infinite value\(s\)"),
    ("x", np.inf, r"x contains 1 NaN or infinite value\(s\)"),
    ("y", np.nan, r"y contains 1 NaN or infinite value\(s\)"),
])
def test_fit_names_non_finite_data_before_training(where, value, match, rng):
    x, y = data(rng)
    y = y.astype(float)
    if where == "x":
        x[3, 1] = value
    else:
        y[3] = value
    with pytest.raises(ValueError, match=match):
        fit(small_model(), x, y, LOSS, "sgd", epochs=1, seed=0)


def test_fit_names_an_empty_set(rng):
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 4\)\)"):
        fit(small_model(), np.zeros((0, 4)), np.zeros(0, int), LOSS, "sgd", epochs=1, seed=0)
    x, y = data(rng)
    with pytest.raises(ValueError, match="validation x is empty"):
        fit(small_model(), x, y, LOSS, "sgd", epochs=1, seed=0,
            validation_data=(np.zeros((0, 4)), np.zeros(0)))


def test_dense_before_build_and_without_units():
    with pytest.raises(RuntimeError, match=r"dense: the layer has no weights yet: call "
                                           r"dense.build\(input_shape, rng\) first"):
        Dense(3).forward(np.ones((2, 4)))
    with pytest.raises(TypeError, match="Dense: units must be a positive integer, got "
                                        "NoneType None"):
        Dense(None)
    with pytest.raises(ValueError, match="Dense: units must be a positive integer, got 2.5"):
        Dense(2.5)


def test_set_weights_rejects_nan_and_wrong_shapes(rng):
    layer = Dense(2, name="out")
    layer.build((3,), rng)
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"out.set_weights: weight 'kernel' contains 1 NaN"):
        bad = np.zeros((3, 2))
        bad[0, 0] = np.nan
        layer.set_weights([bad, np.zeros(2)])
    with pytest.raises(ValueError, match=r"out.set_weights: weight 'bias' has shape \(3,\), "
                                         r"expected \(2,\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match=r"out: set_weights expected 2 arrays \(kernel, bias\)"):
        layer.set_weights([np.zeros((3, 2))])
    for a, b in zip(before, layer.get_weights()):           # a refused call changes nothing
        np.testing.assert_array_equal(a, b)
    model = small_model()
    with pytest.raises(ValueError, match=r"dense_1.set_weights: weight 'kernel' has shape"):
        model.set_weights([w if i != 2 else w.T for i, w in enumerate(model.get_weights())])


def test_language_model_train_rejects_zero_epochs_like_fit(rng):
    from companion.data.text import char_vocabulary
    from companion.models.char_lm import CharLanguageModel, train
    names = ["anna", "bob", "cy"]
    lm = CharLanguageModel(char_vocabulary(names), 4, seed=0)
    x, y = data(rng)
    with pytest.raises(ValueError) as from_fit:
        fit(small_model(), x, y, LOSS, "sgd", epochs=0, seed=0)
    with pytest.raises(ValueError) as from_lm:
        train(lm, names, epochs=0, seed=0)
    assert str(from_lm.value) == str(from_fit.value) == \
        "epochs must be a positive integer, got 0"
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        train(lm, names, epochs=1, batch_size=0, seed=0)


@pytest.mark.parametrize("make", [lambda: Dense(2), BatchNormalization,
                                  lambda: Embedding(4, 2), lambda: Activation("relu")])
def test_backward_before_forward_says_so(make, rng):
    layer = make()
    layer.build((3,), rng)
    with pytest.raises(RuntimeError, match=r"backward needs the cache of a forward pass"):
        layer.backward(np.ones((2, 2)))


def test_training_on_nothing_is_refused():
    from companion.data.text import char_vocabulary
    from companion.models.char_lm import CharLanguageModel, train
    from companion.models.skipgram import SkipGram, build_vocab, train_skipgram
    with pytest.raises(ValueError, match="names is empty"):
        train(CharLanguageModel(char_vocabulary(["ab"]), 3, seed=0), [], epochs=1, seed=0)
    with pytest.raises(ValueError, match="ids holds 0 token"):
        train_skipgram(SkipGram(3, 2, seed=0), build_vocab(["a"] * 5), np.zeros(0, int),
                       epochs=1, seed=0)
