"""Chapter 4's explorer and exercise checks."""
import numpy as np
import pytest

from companion.chapters.ch04 import explorer, noisy_moons, run


@pytest.fixture(scope="module")
def small_data():
    return noisy_moons(n=300, n_train=80, n_dev=200)


def test_noisy_moons_shapes_and_flips():
    (xt, yt), (xd, _) = noisy_moons()
    assert xt.shape == (150, 2) and yt.shape == (150, 1) and xd.shape == (500, 2)
    with pytest.raises(ValueError, match="exceeds n"):
        noisy_moons(n=100)


def test_explorer_updates_and_reports(small_data):
    import matplotlib
    matplotlib.use("Agg")
    ex = explorer(*small_data, epochs=20)
    assert 0 <= ex.result["train_acc"] <= 1
    res = ex.update(lam=2.0, keep_prob=0.6, depth=3, initializer="glorot_uniform")
    assert "lambda=2" in res["summary"] and "keep_prob=0.6" in res["summary"]
    assert len([layer for layer in res["model"].layers if "kernel" in layer.params]) == 4
    res = ex.update(initializer="zeros")
    assert res["train_acc"] == pytest.approx(max(np.mean(small_data[0][1]),
                                                 1 - np.mean(small_data[0][1])))


def test_run_reports_divergence_instead_of_raising(small_data):
    out = run(*small_data, initializer="standard_normal", depth=10, epochs=5,
              learning_rate=1.0)
    assert out["model"] is None or np.isfinite(out["train_acc"])

