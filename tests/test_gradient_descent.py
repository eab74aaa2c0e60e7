"""Chapter 2: gradient descent paths, the divergence guard, logistic regression by GD."""
import numpy as np
import pytest

from companion.chapters import ch02 as gd
from companion.data import datasets as data
from companion.nn import gradcheck
from companion.nn.validation import DivergenceError


@pytest.mark.parametrize("name", sorted(gd.FUNCTIONS))
def test_function_gradients_match_numerical(name):
    fn = gd.get_function(name)
    p = np.array([-0.7, 1.3])
    num = gradcheck.numerical_gradient(lambda: float(fn.f(p[0], p[1])), p)
    assert gradcheck.rel_error(fn.grad(p), num) < 1e-7
    assert np.allclose(fn.grad(np.array(fn.minimum)), 0)


@pytest.mark.parametrize("steps", [0, 1, 25])
def test_path_shape_and_start(steps):
    path = gd.descend(gd.get_function("round").grad, [1.0, -2.0], 0.1, steps)
    assert path.shape == (steps + 1, 2) and np.array_equal(path[0], [1.0, -2.0])


@pytest.mark.parametrize("name,lr,steps,converges", [("round", 0.1, 100, True),
                                                     ("bowl", 0.09, 300, True),
                                                     ("rosenbrock", 0.002, 300, False)])
def test_small_steps_decrease_the_value(name, lr, steps, converges):
    fn = gd.get_function(name)
    path = gd.descend(fn.grad, [-1.5, 2.0], lr, steps)
    values = fn.f(path[:, 0], path[:, 1])
    assert np.all(np.diff(values) <= 1e-15)
    if converges:
        np.testing.assert_allclose(path[-1], fn.minimum, atol=1e-3)


def test_rosenbrock_converges_with_a_larger_step():
    fn = gd.get_function("rosenbrock")
    np.testing.assert_allclose(gd.descend(fn.grad, [-1.5, 2.5], 0.015, 2000)[-1], fn.minimum,
                               atol=1e-4)


def test_value_decreases_while_the_point_grows():
    """The notes' claim corrected: F(a_n) falls, |a_n| need not."""
    bowl = gd.get_function("bowl")
    path = gd.descend(bowl.grad, [0.1, 0.05], 0.05, 6)
    assert np.all(np.diff(np.linalg.norm(path, axis=1)) > 0)
    assert np.all(np.diff(bowl.f(path[:, 0], path[:, 1])) < 0)


def test_divergence_guard_names_the_step_and_keeps_the_path():
    bowl = gd.get_function("bowl")
    with pytest.raises(DivergenceError, match=r"diverged at step 34: .*learning_rate=0.25") as e:
        gd.descend(bowl.grad, [-1.5, 2.0], 0.25, 100)
    assert e.value.path.shape == (35, 2) and np.all(np.isfinite(e.value.path))


def test_steepest_ascent_is_along_the_gradient():
    bowl = gd.get_function("bowl")
    p = np.array([-1.0, 1.5])
    angles = np.deg2rad(np.arange(0, 360, 0.5))
    slopes = gd.directional_derivatives(bowl.f, p, angles)
    g = bowl.grad(p)
    assert slopes.max() == pytest.approx(np.linalg.norm(g), rel=1e-4)
    assert np.rad2deg(angles[slopes.argmax()]) == pytest.approx(
        np.rad2deg(np.arctan2(g[1], g[0])) % 360, abs=0.5)


@pytest.mark.parametrize("n,d", [(1, 1), (7, 3), (50, 5)])
def test_logistic_gradients_match_numerical(n, d):
    rng = np.random.default_rng(n)
    X, y = rng.standard_normal((n, d)) * 3, rng.integers(0, 2, n).astype(float)
    w, b = rng.standard_normal(d), np.array([0.3])
    _, dw, db = gd.logistic_loss(w, b[0], X, y)
    assert gradcheck.rel_error(dw, gradcheck.numerical_gradient(
        lambda: gd.logistic_loss(w, b[0], X, y)[0], w)) < 1e-7
    assert gradcheck.rel_error([db], gradcheck.numerical_gradient(
        lambda: gd.logistic_loss(w, b[0], X, y)[0], b)) < 1e-7


def test_logistic_loss_has_no_overflow():
    X = np.array([[1000.0], [-1000.0]])
    loss, dw, db = gd.logistic_loss(np.array([5.0]), 0.0, X, np.array([0.0, 1.0]))
    assert np.isfinite(loss) and loss == pytest.approx(5000.0)
    assert np.isfinite(dw).all() and np.isfinite(db)


def test_standardising_fixes_conditioning_on_breast_cancer():
    X, y, _ = data.breast_cancer()
    Xs = data.Standardizer().fit_transform(X)
    k_raw = gd.condition_number(gd.logistic_hessian(np.zeros(30), 0.0, X))
    k_std = gd.condition_number(gd.logistic_hessian(np.zeros(30), 0.0, Xs))
    assert k_raw > 1e11 and k_std < 1e6
    run = gd.logistic_gd(Xs, y, 0.3, 100)
    assert np.all(np.diff(run.losses) <= 0) and gd.steps_to_reach(run.losses, 0.1) < 100
    assert run.path.shape == (101, 31) and len(run.losses) == 101
    raw = gd.logistic_gd(X, y, 1e-6, 100)
    assert gd.steps_to_reach(raw.losses, 0.1) is None


def test_logistic_gd_is_deterministic():
    X, y, _ = data.breast_cancer()
    a, b = gd.logistic_gd(X[:50, :3], y[:50], 1e-3, 5), gd.logistic_gd(X[:50, :3], y[:50], 1e-3, 5)
    assert np.array_equal(a.path, b.path)


@pytest.mark.parametrize("call,match", [
    (lambda: gd.descend(lambda a: a, np.ones((2, 2)), 0.1, 3), r"start: expected a 1-D array"),
    (lambda: gd.descend(lambda a: a, [1.0], -0.1, 3), "learning_rate must be a positive"),
    (lambda: gd.descend(lambda a: a, [1.0], 0.1, -1), "steps must be a non-negative integer"),
    (lambda: gd.get_function("himmelblau"), "unknown function 'himmelblau'"),
    (lambda: gd.logistic_gd(np.ones((3, 2)), [0, 1, 2], 0.1, 1), "0/1 labels"),
    (lambda: gd.logistic_gd(np.ones((3, 2)), [0, 1], 0.1, 1), "X has 3 rows but y has 2"),
])
def test_bad_input_is_explained(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_explorer_reports_divergence_instead_of_raising():
    ex = gd.explorer()
    r = ex.update(learning_rate=0.01, steps=20)
    assert not r["diverged"] and r["path"].shape == (21, 2)
    r = ex.update(learning_rate=0.3, steps=100)
    assert r["diverged"] and "diverged at step" in r["summary"]
    r = ex.update(function="round", learning_rate=0.1, start_x=1.0, start_y=1.0)
    assert r["values"][-1] < r["values"][0]


@pytest.mark.keras
def test_keras_dense_sigmoid_sgd_follows_our_path(keras):
    X, y, _ = data.breast_cancer()
    Xs = data.Standardizer().fit_transform(X)[:200]
    ours = gd.logistic_gd(Xs, y[:200], 0.5, 6).path
    theirs = gd.keras_logistic_gd(Xs, y[:200], 0.5, 6)
    for step in range(7):
        err = np.max(np.abs(ours[step] - theirs[step])) / max(np.max(np.abs(theirs[step])), 1e-8)
        assert err < 1e-5, step
