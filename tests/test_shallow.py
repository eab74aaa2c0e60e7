"""Chapter 3: the shallow network's explicit forward/backward, against numerical gradients,
Sequential and a Keras twin; initialisation, collapse without non-linearity, training."""
import numpy as np
import pytest

from companion.chapters import ch03 as shallow
from companion.data import datasets as data
from companion.exercises import ch03
from companion.nn import activations
from companion.nn.validation import DivergenceError

CASES = [(1, 1, 1, 1), (1, 3, 2, 1), (6, 2, 4, 1), (9, 5, 3, 3), (4, 2, 1, 2)]


def _setup(n, n_x, n_h, n_y, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_x))
    output = "sigmoid" if n_y == 1 else "softmax"
    Y = (rng.integers(0, 2, (n, 1)).astype(float) if n_y == 1
         else data.one_hot(rng.integers(0, n_y, n), n_y))
    return X, Y, shallow.init_params(n_x, n_h, n_y, rng, scale=1.0), output


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("n,n_x,n_h,n_y", CASES)
def test_backward_matches_numerical_gradients(activation, n, n_x, n_h, n_y):
    X, Y, params, output = _setup(n, n_x, n_h, n_y)
    errors = shallow.gradient_errors(X, Y, params, activation, output)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("n,n_x,n_h,n_y", CASES)
def test_shapes(n, n_x, n_h, n_y):
    X, Y, params, output = _setup(n, n_x, n_h, n_y)
    A2, cache = shallow.forward(X, params, "tanh", output)
    assert A2.shape == (n, n_y) and cache[2].shape == (n, n_h)
    grads = shallow.backward(params, cache, Y, "tanh")
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in params.items()}


@pytest.mark.parametrize("bug,wrong", [("no_activation_derivative", {"W1", "b1"}),
                                       ("forgot_mean", {"W1", "b1", "W2", "b2"}),
                                       ("bias_mean", {"b1", "b2"})])
def test_planted_bugs_are_caught(bug, wrong):
    X, Y, params, _ = _setup(8, 3, 4, 1)
    errors = shallow.gradient_errors(X, Y, params, "tanh", bug=bug)
    assert {k for k, e in errors.items() if e > 1e-3} == wrong


@pytest.mark.parametrize("activation,n_y", [("tanh", 1), ("relu", 1), ("sigmoid", 3)])
def test_agrees_with_sequential(activation, n_y):
    X, Y, params, output = _setup(10, 3, 5, n_y)
    model = shallow.as_sequential(params, activation, output)
    value, grads = shallow.loss_and_grads(X, Y, params, activation, output)
    loss = "binary_crossentropy" if n_y == 1 else "categorical_crossentropy"
    m_value = model.loss_and_grads(X, Y, loss)
    np.testing.assert_allclose(model.forward(X), shallow.forward(X, params, activation, output)[0],
                               rtol=1e-12)
    assert value == pytest.approx(m_value, rel=1e-9)
    for k, g in zip(shallow.PARAM_NAMES, list(model.grads.values())):
        np.testing.assert_allclose(grads[k], g, rtol=1e-10, atol=1e-14)


def test_loop_version_equals_vectorised():
    X, _, params, _ = _setup(7, 3, 4, 1)
    np.testing.assert_allclose(shallow.forward_loop(X, params, "tanh"),
                               shallow.forward(X, params, "tanh")[0], rtol=1e-12)


def test_linear_hidden_layer_collapses_to_one_layer():
    X, _, params, _ = _setup(12, 3, 6, 1)
    W, b = shallow.collapsed(params)
    np.testing.assert_allclose(shallow.forward(X, params, "linear")[0],
                               activations.sigmoid(X @ W + b), rtol=1e-12)


def test_zero_initialisation_keeps_hidden_units_identical():
    X, y = data.flower(seed=0)
    p, _ = shallow.train(X, y, 4, "sigmoid", 1.2, 200, init="zeros")
    assert np.allclose(p["W1"], p["W1"][:, :1]) and np.allclose(p["W2"], p["W2"][0])
    assert np.abs(p["W1"]).max() > 0        # they learn, but all alike
    p, _ = shallow.train(X, y, 4, "tanh", 1.2, 200, init="zeros")
    assert np.all(p["W1"] == 0) and np.all(p["W2"] == 0)
    p, _ = shallow.train(X, y, 4, "tanh", 1.2, 200, init="random", seed=0)
    assert np.unique(np.round(p["W1"], 6), axis=1).shape[1] == 4


def test_flower_reaches_ninety_percent():
    X, y = data.flower(seed=0)
    p, hist = shallow.train(X, y, 5, "tanh", 1.2, 1500, seed=1)
    assert np.mean(shallow.predict(X, p) == y) >= 0.9
    assert hist["loss"][-1] < hist["loss"][0]


def test_digits_reach_ninety_five_percent_held_out():
    X, y = data.digits()
    (Xtr, ytr), _, (Xte, yte) = data.train_dev_test_split(X / 16.0, y, seed=0)
    p, _ = shallow.train(Xtr, ytr, 32, "tanh", 1.0, 300, seed=0, output="softmax", scale=0.1)
    assert np.mean(shallow.predict(Xte, p, output="softmax") == yte) >= 0.95


def test_training_is_deterministic():
    X, y = data.flower(seed=0)
    a, _ = shallow.train(X, y, 3, "tanh", 1.0, 20, seed=5)
    b, _ = shallow.train(X, y, 3, "tanh", 1.0, 20, seed=5)
    assert all(np.array_equal(a[k], b[k]) for k in shallow.PARAM_NAMES)


def test_divergence_raises_with_the_step():
    X, y = data.flower(seed=0)
    with pytest.raises(DivergenceError, match=r"at step \d+"):
        shallow.train(X, y, 4, "relu", 1e300, 50, seed=0, scale=1.0)


@pytest.mark.parametrize("call,match", [
    (lambda p: shallow.forward(np.ones((3, 4)), p), r"X: expected shape \(N, 2\), got \(3, 4\)"),
    (lambda p: shallow.forward(np.ones(3), p), r"X: expected a 2-D array"),
    (lambda p: shallow.backward(p, shallow.forward(np.ones((3, 2)), p)[1], np.ones((3, 2))),
     r"Y: expected shape \(3, 1\)"),
    (lambda p: shallow.backward(p, shallow.forward(np.ones((3, 2)), p)[1], np.ones((3, 1)),
                                bug="typo"), "unknown bug 'typo'"),
    (lambda p: shallow.train(np.ones((3, 2)), [0, 1, 2]), "0/1 labels"),
    (lambda p: shallow.train(np.ones((3, 2)), [0, 1, 1], learning_rate=0), "learning_rate"),
    (lambda p: shallow.init_params(2, 0), "n_h must be a positive integer"),
    (lambda p: shallow.init_params(2, 3, init="ones"), "init must be 'random' or 'zeros'"),
    (lambda p: shallow.forward(np.ones((3, 2)), p, activation="swish"), "unknown activation"),
])
def test_bad_input_is_explained(call, match):
    params = shallow.init_params(2, 3, 1, 0)
    with pytest.raises(ValueError, match=match):
        call(params)


def test_explorer_retrains_on_update():
    ex = shallow.explorer()
    r = ex.update(n_h=4, activation="tanh", iterations=1000)
    assert r["accuracy"] > 0.85 and "training accuracy" in r["summary"]
    r = ex.update(activation="linear")
    assert r["accuracy"] < 0.7


def test_exercise_check():
    assert ch03.check_backward(lambda X, Y, p: shallow.loss_and_grads(X, Y, p)[1]) is True
    assert ch03.check_backward(
        lambda X, Y, p: shallow.loss_and_grads(X, Y, p, bug="forgot_mean")[1]) is False


# --- Keras twin (float32) ---------------------------------------------------------------
TOL = 1e-5


@pytest.mark.keras
@pytest.mark.parametrize("activation,n_y", [("tanh", 1), ("relu", 1), ("sigmoid", 4)])
def test_keras_twin_outputs_and_gradients(activation, n_y, keras):
    from companion import keras_twin as reference
    X, Y, params, output = _setup(16, 3, 5, n_y, seed=1)
    kmodel = reference.twin(shallow.as_sequential(params, activation, output))
    kloss = "binary_crossentropy" if n_y == 1 else "categorical_crossentropy"
    k_value, k_out, _, k_grads = reference.loss_gradients(kmodel, X, Y, kloss)
    value, grads = shallow.loss_and_grads(X, Y, params, activation, output)
    reference.compare("out", shallow.forward(X, params, activation, output)[0], k_out, TOL,
                      quiet=True)
    assert value == pytest.approx(k_value, rel=TOL)
    for k, kg in zip(shallow.PARAM_NAMES, k_grads):
        reference.compare(k, grads[k], kg, TOL, quiet=True)


@pytest.mark.keras
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_keras_sgd_steps_match(output, keras):
    from companion import keras_twin as reference
    X, Y, params, _ = _setup(24, 3, 6, 1 if output == "sigmoid" else 3, seed=2)
    keras_steps = shallow.keras_sgd_steps(params, X, Y, "tanh", output, 0.5, steps=4)
    p = params
    for k_weights in keras_steps:
        p, _ = shallow.train(X, Y, learning_rate=0.5, iterations=1, params=p, output=output)
        for ours, theirs in zip(shallow.to_weights(p), k_weights):
            reference.compare("weights", ours, theirs, TOL, quiet=True)
