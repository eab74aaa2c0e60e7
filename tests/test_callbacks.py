"""Callbacks used the way a Keras user writes them: ``fit(..., callbacks=[EarlyStopping(...)])``.

Each callback is handed the model before training (``set_model``) and reset by
``on_train_begin``, so EarlyStopping keeps and restores the best weights of *this* run.
"""
import numpy as np
import pytest

from companion.data.text import char_vocabulary
from companion.models.char_lm import CharLanguageModel
from companion.models.char_lm import train as train_lm
from companion.nn import optim
from companion.nn.layers import Dense
from companion.nn.model import Sequential
from companion.nn.train import Callback, EarlyStopping, fit, train_loop

LOSS = "sparse_categorical_crossentropy"


def problem(seed=0, n=60):
    """A noisy 3-class task small enough that a large learning rate over-fits it quickly."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    y = (x[:, 0] + 0.8 * rng.standard_normal(n) > 0).astype(int) + (x[:, 1] > 1).astype(int)
    return x[: n // 2], y[: n // 2], x[n // 2:], y[n // 2:]


def model(seed=0):
    return Sequential([Dense(16, "relu"), Dense(3, "softmax")], input_shape=(4,), seed=seed)


def val_loss_of(m, x, y):
    p = m.predict(x)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1))))


def test_keras_style_early_stopping_stops_and_restores_the_best_weights():
    x, y, xv, yv = problem()
    m = model()
    stop = EarlyStopping(patience=2)
    hist = fit(m, x, y, LOSS, optim.SGD(0.5), epochs=60, batch_size=5,
               validation_data=(xv, yv), seed=0, callbacks=[stop])
    # it stopped early, `patience` epochs after the best one ...
    assert stop.stopped_epoch is not None and len(hist["val_loss"]) == stop.stopped_epoch + 1
    assert stop.stopped_epoch - stop.best_epoch == 2
    best = int(np.argmin(hist["val_loss"]))
    assert stop.best_epoch == best and stop.best == hist["val_loss"][best]
    # ... and the model now holds the best epoch's weights, not the last epoch's
    assert hist["val_loss"][-1] > hist["val_loss"][best]
    assert val_loss_of(m, xv, yv) == pytest.approx(hist["val_loss"][best], rel=1e-9)


def test_early_stopping_argument_is_the_same_path_as_callbacks():
    x, y, xv, yv = problem()
    runs = []
    for kwargs in ({"callbacks": [EarlyStopping(patience=2)]},
                   {"early_stopping": EarlyStopping(patience=2)}):
        m = model()
        hist = fit(m, x, y, LOSS, optim.SGD(0.5), epochs=60, batch_size=5,
                   validation_data=(xv, yv), seed=0, **kwargs)
        runs.append((hist["val_loss"], m.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_a_reused_early_stopping_starts_afresh():
    """Keras resets the callback in on_train_begin: the first run's best value and weights
    must not leak into the second model."""
    x, y, xv, yv = problem()
    stop = EarlyStopping(patience=2)
    fit(model(0), x, y, LOSS, optim.SGD(0.5), epochs=60, batch_size=5,
        validation_data=(xv, yv), seed=0, callbacks=[stop])
    first_best = stop.best
    m2 = model(1)
    hist = fit(m2, x, y, LOSS, optim.SGD(0.05), epochs=3, batch_size=5,
               validation_data=(xv, yv), seed=0, callbacks=[stop])
    assert stop.best == min(hist["val_loss"]) != first_best
    assert stop.model is m2


def test_min_delta_is_used_as_its_absolute_value_as_in_keras():
    assert EarlyStopping(min_delta=-0.5).min_delta == 0.5


def test_callbacks_get_the_model_and_train_begin():
    seen = {}

    class Spy(Callback):
        def on_train_begin(self, history):
            seen["model"], seen["history"] = self.model, dict(history)

    x, y, _, _ = problem()
    m = model()
    fit(m, x, y, LOSS, "sgd", epochs=1, seed=0, callbacks=[Spy()])
    assert seen["model"] is m and "loss" in seen["history"]


def test_early_stopping_on_any_trainable_restores_its_params():
    """A trainable without get_weights (the character language model's wrapper is a plain
    object): EarlyStopping copies and restores its ``params`` arrays in place."""
    names = ["anna", "bob", "carla", "dave", "eve", "fred", "gina", "hugo"] * 4
    lm = CharLanguageModel(char_vocabulary(names), units=8, seed=0)
    stop = EarlyStopping(monitor="loss", patience=0)
    before = {k: p.copy() for k, p in lm.params.items()}
    train_lm(lm, names, epochs=3, batch_size=8, seed=0, callbacks=[stop])
    assert stop.best_epoch >= 0 and stop.model is lm
    assert any(not np.array_equal(before[k], p) for k, p in lm.params.items())


@pytest.mark.parametrize("callbacks, message", [
    (EarlyStopping(), "callbacks must be a list of Callback objects"),
    ([EarlyStopping], r"callbacks\[0\] must be a Callback object, got the class EarlyStopping"),
    (["early"], r"callbacks\[0\] must be a Callback object, got str 'early'"),
])
def test_wrong_callbacks_are_named(callbacks, message):
    x, y, _, _ = problem()
    with pytest.raises(TypeError, match=message):
        fit(model(), x, y, LOSS, "sgd", epochs=1, seed=0, callbacks=callbacks)


def test_params_must_be_float_arrays_updated_in_place():
    class IntParams:
        params = {"w": np.array([1, 2])}

        def loss_and_grads(self, batch):
            return 0.0, {"w": np.array([1, 1])}

    with pytest.raises(TypeError, match=r"params\['w'\] must be a floating-point"):
        train_loop(IntParams(), lambda e: [None], "sgd", 1)
