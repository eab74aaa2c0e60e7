"""Chapter 1: the perceptron criterion, the online rule, scikit-learn and Keras-ops twins."""
import numpy as np
import pytest

from companion.chapters import ch01 as perceptron
from companion.exercises import ch01
from companion.nn import gradcheck


def _problem(n, d=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), np.where(rng.random(n) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("n,d", [(1, 1), (1, 3), (5, 2), (40, 4)])
def test_criterion_gradient_matches_numerical(n, d):
    X, y = _problem(n, d)
    theta = np.r_[np.full(d, 0.3), 0.1]
    theta[0] = -0.7
    if perceptron.errors(X, y, theta[:d], theta[d]) == 0:    # make sure some point is wrong
        y = -y
    _, dw, db = perceptron.criterion(X, y, theta[:d], theta[d])
    num = gradcheck.numerical_gradient(
        lambda: perceptron.criterion(X, y, theta[:d], theta[d])[0], theta)
    assert gradcheck.rel_error(np.r_[dw, db], num) < 1e-7


def test_criterion_is_zero_when_everything_is_right():
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    value, dw, db = perceptron.criterion(X, np.array([1.0, -1.0]), np.array([1.0, 1.0]), 0.0)
    assert value == 0 and np.all(dw == 0) and db == 0


@pytest.mark.parametrize("name", perceptron.DATASETS)
@pytest.mark.parametrize("lr,epochs", [(1.0, 5), (0.01, 20), (0.37, 3)])
def test_online_rule_equals_scikit_learn(name, lr, epochs):
    X, y, _ = perceptron.dataset(name)
    w, b, _ = perceptron.train(X, y, lr, epochs)
    w_sk, b_sk = perceptron.sklearn_perceptron(X, y, lr, epochs)
    np.testing.assert_allclose(w, w_sk, rtol=1e-12, atol=1e-12)
    assert b == pytest.approx(b_sk, rel=1e-12, abs=1e-12)


def test_converges_on_separable_iris_and_not_on_xor_or_overlap():
    X, y, _ = perceptron.dataset("setosa-versicolor")
    w, b, hist = perceptron.train(X, y, 1.0, 20)
    assert hist.converged_epoch is not None and hist.errors[-1] == 0
    assert np.all(perceptron.predict(X, w, b) == y)
    assert len(hist.steps) == sum(hist.updates)
    for name in ["xor", "versicolor-virginica"]:
        Xn, yn, _ = perceptron.dataset(name)
        _, _, h = perceptron.train(Xn, yn, 1.0, 100)
        assert h.converged_epoch is None and min(h.errors) > 0 and min(h.updates) > 0


def test_stop_when_converged_stops_early():
    X, y, _ = perceptron.dataset("blobs")
    _, _, hist = perceptron.train(X, y, 1.0, 50, stop_when_converged=True)
    assert len(hist.errors) == hist.converged_epoch


def test_learning_rate_only_scales_weights_from_zero():
    X, y, _ = perceptron.dataset("versicolor-virginica")
    w1, b1, h1 = perceptron.train(X, y, 1.0, 7)
    w2, b2, h2 = perceptron.train(X, y, 0.01, 7)
    np.testing.assert_allclose(w1, 100 * w2, rtol=1e-10)
    assert h1.errors == h2.errors and b1 == pytest.approx(100 * b2)


def test_boundary_point_counts_as_misclassified():
    assert perceptron.errors(np.array([[1.0, 2.0]]), np.array([1.0]), np.zeros(2), 0.0) == 1
    assert list(perceptron.predict(np.array([[0.0], [-1.0]]), np.array([1.0]), 0.0)) == [1, -1]


def test_deterministic():
    X, y, _ = perceptron.dataset("xor", seed=3)
    a = perceptron.train(X, y, 0.5, 10)
    b = perceptron.train(X, y, 0.5, 10)
    assert np.array_equal(a[0], b[0]) and a[1] == b[1] and a[2].errors == b[2].errors


@pytest.mark.parametrize("kwargs,match", [
    ({"y": np.array([0.0, 1.0, 1.0])}, r"-1 or \+1"),
    ({"X": np.ones(3)}, r"X: expected a 2-D array, got shape \(3,\)"),
    ({"y": np.array([1.0, -1.0])}, "X has 3 rows but y has 2"),
    ({"learning_rate": 0.0}, "learning_rate must be a positive number"),
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"w0": np.zeros(3)}, r"w0: expected shape \(2,\), got \(3,\)"),
])
def test_bad_input_is_explained(kwargs, match):
    args = {"X": np.ones((3, 2)), "y": np.array([1.0, -1.0, 1.0]), "learning_rate": 1.0, "epochs": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        perceptron.train(**args)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'iris'"):
        perceptron.dataset("iris")


def test_explorer_recomputes_on_update():
    ex = perceptron.explorer()
    r = ex.update(dataset_name="blobs", epochs=10)
    assert r["history"].converged_epoch is not None and "converged" in r["summary"]
    r = ex.update(dataset_name="xor", learning_rate=0.1)
    assert r["history"].converged_epoch is None and "not converged" in r["summary"]
    assert len(r["history"].errors) == 10


def test_exercise_check():
    good = lambda w, b, x, y, a: (w + a * y * x, b + a * y) if y * (w @ x + b) <= 0 else (w, b)
    strict = lambda w, b, x, y, a: (w + a * y * x, b + a * y) if y * (w @ x + b) < 0 else (w, b)
    assert ch01.check_step(good) is True
    assert ch01.check_step(strict) is False


@pytest.mark.keras
def test_keras_ops_rule_matches(keras, keras_float64):
    """The rule written in keras.ops, in float64, gives our float64 numbers to the last bit
    (under JAX float64 needs x64 enabled: ``keras_float64`` does that for the test)."""
    X, y, _ = perceptron.dataset("versicolor-virginica")
    w, b, _ = perceptron.train(X[:30], y[:30], 0.3, 2)
    with keras_float64():
        wk, bk = perceptron.train_keras(X[:30], y[:30], 0.3, 2)
    np.testing.assert_allclose(wk, w, rtol=1e-12, atol=1e-12)
    assert bk == pytest.approx(b, abs=1e-12)
