"""Our dense networks and optimisers against Keras twins with identical weights (float32)."""
import numpy as np
import pytest

from companion import keras_twin as reference
from companion.nn import optim
from companion.nn.layers import Dense
from companion.nn.model import Sequential
from companion.nn.regularizers import L2

pytestmark = pytest.mark.keras
TOL = 1e-5


def _problem(loss, rng, n=16):
    x = rng.standard_normal((n, 4)).astype(np.float32)
    if loss == "binary_crossentropy":
        return x, rng.integers(0, 2, (n, 1)).astype(np.float32), 1, "sigmoid"
    if loss == "categorical_crossentropy":
        return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)], 3, "softmax"
    return x, rng.standard_normal((n, 2)).astype(np.float32), 2, None


@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy", "mse"])
def test_forward_and_gradients_match_keras(loss, rng, keras):
    x, y, k, act = _problem(loss, rng)
    model = Sequential([Dense(6, "tanh", kernel_regularizer=L2(0.01)), Dense(5, "relu"),
                        Dense(k, act)], input_shape=(4,), seed=0)
    kmodel = reference.twin(model)
    value = model.loss_and_grads(x.astype(np.float64), y, loss)
    k_value, k_out, _, k_grads = reference.loss_gradients(kmodel, x, y, loss)
    reference.compare("forward", model.forward(x.astype(np.float64)), k_out, TOL, quiet=True)
    assert value == pytest.approx(k_value, rel=TOL)
    for ours, theirs in zip(list(model.grads.values()), k_grads):
        reference.compare("grad", ours, theirs, TOL, quiet=True)


OPTIMIZERS = [
    (lambda: optim.SGD(0.1), "SGD", {"learning_rate": 0.1}),
    (lambda: optim.SGD(0.05, momentum=0.9), "SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    (lambda: optim.SGD(0.05, momentum=0.9, nesterov=True), "SGD",
     {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    (lambda: optim.Adagrad(0.1), "Adagrad", {"learning_rate": 0.1}),
    (lambda: optim.RMSprop(0.01), "RMSprop", {"learning_rate": 0.01}),
    (lambda: optim.Adam(0.01), "Adam", {"learning_rate": 0.01}),
]


@pytest.mark.parametrize("make,kname,kwargs", OPTIMIZERS, ids=[o[1] + str(i) for i, o in
                                                               enumerate(OPTIMIZERS)])
def test_training_steps_match_keras(make, kname, kwargs, rng, keras):
    """Ten steps of training on the same batches leave the same weights."""
    x, y, k, act = _problem("binary_crossentropy", rng, n=32)
    model = Sequential([Dense(8, "tanh"), Dense(k, act)], input_shape=(4,), seed=0)
    batches = [(x[s % 4 * 8: s % 4 * 8 + 8], y[s % 4 * 8: s % 4 * 8 + 8]) for s in range(10)]
    reference.train_in_lockstep(model, make(), batches, "binary_crossentropy", TOL,
                                label=f"{kname} weights",
                                keras_opt=getattr(keras.optimizers, kname)(**kwargs))


def test_device_is_named(keras):
    assert reference.backend() in reference.device()
