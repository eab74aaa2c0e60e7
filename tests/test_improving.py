"""Chapter 4's other tools: bias/variance, augmentation, ensembles, init statistics, scaling."""
import numpy as np
import pytest

from companion.chapters import ch04 as bv
from companion.chapters import ch04 as ensemble
from companion.chapters import ch04 as init_stats
from companion.chapters import ch04 as scaling
from companion.chapters.ch04 import deep_network, train_and_score
from companion.data import augment
from companion.data import datasets as data


# --- bias and variance ---------------------------------------------------------------------
@pytest.mark.parametrize("degree", [1, 3, 6])
def test_bias_variance_noise_add_up_to_the_measured_error(degree):
    r = bv.decompose(bv.polynomial_model(degree), n_train=30, noise_std=0.3, n_sets=300, seed=0)
    assert r["noise"] == pytest.approx(0.09)
    assert r["total"] == pytest.approx(r["bias2"] + r["variance"] + r["noise"])
    assert abs(r["measured"] - r["total"]) < 4 * r["measured_se"] + 0.01 * r["total"]


def test_simple_models_have_bias_flexible_ones_variance():
    lo = bv.decompose(bv.polynomial_model(1), n_sets=100, seed=1)
    hi = bv.decompose(bv.polynomial_model(7), n_sets=100, seed=1)
    assert lo["bias2"] > 10 * hi["bias2"]
    assert hi["variance"] > lo["variance"]


def test_ridge_trades_variance_for_bias():
    free = bv.decompose(bv.polynomial_model(7), n_sets=100, seed=2)
    ridge = bv.decompose(bv.polynomial_model(7, ridge=1.0), n_sets=100, seed=2)
    assert ridge["variance"] < free["variance"] and ridge["bias2"] > free["bias2"]


def test_network_model_fits_the_sine():
    fit_predict = bv.network_model(hidden=16, epochs=300)
    rng = np.random.default_rng(0)
    x, y = bv.sample(60, 0.1, rng)
    pred = fit_predict(x, y, np.linspace(0, 1, 50))
    assert pred.shape == (50,)
    assert np.mean((pred - bv.target(np.linspace(0, 1, 50))) ** 2) < 0.1


def test_learning_curve_and_diagnosis():
    curve = bv.learning_curve(lambda n: (0.01 * n, 0.5 / n), [1, 2, 5])
    np.testing.assert_allclose(curve["train_error"], [0.01, 0.02, 0.05])
    assert bv.diagnose(0.01, 0.15).startswith("high variance")
    assert bv.diagnose(0.20, 0.21).startswith("high bias")
    assert bv.diagnose(0.20, 0.40) == "high bias and high variance"
    assert bv.diagnose(0.01, 0.02) == "low bias and low variance"


def test_decompose_rejects_bad_noise():
    with pytest.raises(ValueError, match="noise_std"):
        bv.decompose(bv.polynomial_model(1), noise_std=-1)


# --- augmentation --------------------------------------------------------------------------
def test_shift_moves_pixels_and_rotation_keeps_shape():
    img = np.zeros((1, 8, 8))
    img[0, 3, 4] = 1.0
    assert augment.shift(img, 1, -2)[0, 4, 2] == 1.0
    assert augment.rotate(img, 90).shape == (1, 8, 8)
    np.testing.assert_allclose(augment.rotate(img, 0), img)


@pytest.mark.parametrize("flat", [True, False])
def test_augment_sizes_labels_and_determinism(flat):
    X, y = data.digits(flat=True)
    X, y = X[:20], y[:20]
    if not flat:
        X = X.reshape(-1, 8, 8)
    Xa, ya = augment.augment(X, y, copies=3, seed=0)
    assert Xa.shape == (80,) + X.shape[1:] and ya.shape == (80,)
    np.testing.assert_array_equal(Xa[:20], X)                 # originals first
    np.testing.assert_array_equal(ya, np.tile(y, 4))
    np.testing.assert_array_equal(Xa, augment.augment(X, y, copies=3, seed=0)[0])


def test_augment_rejects_wrong_image_shape():
    with pytest.raises(ValueError, match=r"expected images of shape \(8, 8\)"):
        augment.augment(np.zeros((3, 6, 6)), np.zeros(3))


# --- ensembles -----------------------------------------------------------------------------
def test_ensemble_averages_member_probabilities():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 2))
    y = (x[:, :1] > 0).astype(float)
    models = ensemble.train_ensemble(
        lambda s: deep_network([2, 4, 1], seed=s),
        lambda m, s: train_and_score(m, (x, y), (x, y), epochs=20, seed=s), seeds=[0, 1, 2])
    avg = np.mean([m.predict(x) for m in models], axis=0)
    np.testing.assert_allclose(ensemble.ensemble_predict(models, x), avg)
    report = ensemble.ensemble_report(models, x, y)
    assert len(report["members"]) == 3 and 0 <= report["ensemble"] <= 1
    with pytest.raises(ValueError, match="at least one model"):
        ensemble.ensemble_predict([], x)
    xb, yb = ensemble.bootstrap(x, y, 0)
    assert xb.shape == x.shape and yb.shape == y.shape
    assert len(np.unique(xb[:, 0])) < len(x)                  # drawn with replacement


# --- initialisation statistics --------------------------------------------------------------
def test_he_keeps_the_signal_others_explode_or_vanish():
    stats = init_stats.compare_initializers(depth=30, width=64, n=128)
    last = {k: v["act_std"][-1] for k, v in stats.items()}
    assert last["zeros"] == 0.0
    assert last["standard_normal"] > 1e15
    assert last["small_random"] < 1e-30
    assert 1e-6 < last["glorot_uniform"] < 1e-3
    assert 0.2 < last["he_normal"] < 5
    assert stats["he_normal"]["grad_std"].shape == (30,)


def test_theory_matches_he_and_glorot_on_average():
    pred = init_stats.predicted_act_std(2 / 64, 64, 10)
    np.testing.assert_allclose(pred, pred[0])                 # He: constant
    glorot = init_stats.predicted_act_std(1 / 64, 64, 20)
    assert glorot[-1] / glorot[0] == pytest.approx(2 ** -9.5)


# --- input scaling -------------------------------------------------------------------------
def test_standardising_fixes_the_conditioning_dividing_by_variance_does_not():
    X, _, _ = data.breast_cancer()
    X = X[:, [1, 3]]                                          # texture (std 4), area (std 350)
    cond = {how: scaling.conditioning(scaling.scale(X, how))["condition"]
            for how in scaling.SCALINGS}
    assert cond["raw"] > 1000 and cond["divide by variance"] > 1000
    assert cond["standardised"] < 10


def test_gradient_descent_path_and_steps():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2)) * [1.0, 10.0]
    y = X @ [1.0, 0.1] + 0.01 * rng.standard_normal(100)
    c = scaling.conditioning(X)
    path = scaling.gradient_descent(X, y, 0.9 * c["max_learning_rate"], 50)
    assert path.shape == (51, 2)
    assert scaling.mse(X, y, path[-1:])[0] < scaling.mse(X, y, path[:1])[0]
    slow = scaling.steps_to_converge(X, y, 0.9 * c["max_learning_rate"])
    Xs = scaling.scale(X, "standardised")
    fast = scaling.steps_to_converge(Xs, y, 0.9 * scaling.conditioning(Xs)["max_learning_rate"])
    assert fast < slow / 10
    assert scaling.steps_to_converge(X, y, 2.5 * c["max_learning_rate"], max_steps=500) == 500
    with pytest.raises(ValueError, match="how must be one of"):
        scaling.scale(X, "minmax")


def test_classifier_errors_fall_with_more_data():
    X, y = data.digits()
    (xt, yt), (xd, yd), _ = data.train_dev_test_split(X / 16, y, seed=0)
    small = bv.classifier_errors((xt, yt), (xd, yd), n_train=30, epochs=60)
    large = bv.classifier_errors((xt, yt), (xd, yd), epochs=60)
    assert small[1] > large[1] and 0 <= large[0] <= 1
    with pytest.raises(ValueError, match="n_train must lie in"):
        bv.classifier_errors((xt, yt), (xd, yd), n_train=0)
