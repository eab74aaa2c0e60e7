"""Hyper-parameter search: distributions, random vs grid, coarse-to-fine, the process pool."""
import numpy as np
import pytest

from companion.chapters import ch06 as hp

SPACE = {"learning_rate": hp.LogUniform(1e-4, 1.0), "momentum": hp.OneMinusLogUniform(0.9, 0.999),
         "batch_size": hp.Choice((16, 32, 64))}


def test_log_uniform_gives_each_decade_the_same_share():
    values = hp.LogUniform(1e-4, 1.0).sample(np.random.default_rng(0), 40_000)
    assert values.min() >= 1e-4 and values.max() <= 1.0
    np.testing.assert_allclose(hp.decade_shares(values, 1e-4, 1.0), 0.25, atol=0.01)
    linear = hp.Uniform(1e-4, 1.0).sample(np.random.default_rng(0), 40_000)
    assert hp.decade_shares(linear, 1e-4, 1.0)[-1] > 0.89              # 90 % in [0.1, 1]


def test_one_minus_log_uniform_for_betas():
    b = hp.OneMinusLogUniform(0.9, 0.999).sample(np.random.default_rng(1), 20_000)
    assert 0.9 <= b.min() and b.max() <= 0.999
    assert np.mean(b < 0.99) == pytest.approx(0.5, abs=0.02)
    np.testing.assert_allclose(hp.OneMinusLogUniform(0.9, 0.999).grid(3), [0.9, 0.99, 0.999])


def test_random_and_grid_configs():
    r = hp.random_configs(SPACE, 9, seed=0)
    assert r == hp.random_configs(SPACE, 9, seed=0)                    # seeded
    assert [c["seed"] for c in r] == list(range(9))
    assert all(c["batch_size"] in (16, 32, 64) for c in r)
    g = hp.grid_configs({k: SPACE[k] for k in ("learning_rate", "momentum")}, 3)
    assert len(g) == 9
    assert hp.distinct_values(g, "learning_rate") == 3
    assert hp.distinct_values(r, "learning_rate") == 9
    np.testing.assert_allclose(sorted({c["learning_rate"] for c in g}), [1e-4, 1e-2, 1.0])


def test_random_search_beats_grid_on_the_toy_response_on_average():
    space = {"learning_rate": hp.LogUniform(1e-5, 1.0), "epsilon": hp.LogUniform(1e-8, 1e-4)}
    grid_best = hp.best(hp.evaluate(hp.toy_response, hp.grid_configs(space, 3))).score
    random_best = [hp.best(hp.evaluate(hp.toy_response, hp.random_configs(space, 9, seed=s))).score
                   for s in range(30)]
    assert np.mean(random_best) > grid_best


def test_zoom_narrows_to_the_best_trials():
    trials = [hp.Trial({"learning_rate": lr, "momentum": 0.9, "batch_size": 32}, s, 0.0)
              for lr, s in [(1e-4, 0.1), (1e-2, 0.9), (2e-2, 0.95), (0.5, 0.2)]]
    z = hp.zoom(SPACE, trials, top_k=2)
    assert 5e-3 < z["learning_rate"].low < 1e-2 and 2e-2 < z["learning_rate"].high < 4e-2
    assert z["batch_size"].values == (32,)
    assert isinstance(z["momentum"], hp.OneMinusLogUniform)


def test_distribution_errors():
    with pytest.raises(ValueError, match="low < high"):
        hp.LogUniform(0.0, 1.0)
    with pytest.raises(ValueError, match="OneMinusLogUniform"):
        hp.OneMinusLogUniform(0.9, 1.0)


def test_digits_search_is_deterministic_and_the_pool_agrees():
    data = hp.digits_split()
    configs = hp.random_configs({"learning_rate": hp.LogUniform(1e-2, 0.3)}, 2, seed=0)
    configs = [{**c, "hidden_units": 16, "batch_size": 64} for c in configs]
    serial = hp.evaluate(hp.digits_objective, configs, shared=data)
    pooled = hp.evaluate(hp.digits_objective, configs, processes=2, shared=data)
    assert [t.score for t in serial] == [t.score for t in pooled]
    assert max(t.score for t in serial) > 0.85
    assert hp.digits_objective({"learning_rate": 50.0, "seed": 0}, data, epochs=1) <= 0.2


def test_coarse_to_fine_runs_a_second_round_inside_the_zoomed_space():
    space = {"learning_rate": hp.LogUniform(1e-5, 1.0), "epsilon": hp.LogUniform(1e-8, 1e-4)}
    coarse, fine_space, fine = hp.coarse_to_fine(hp.toy_response, space, 12, 6, top_k=3, seed=0)
    assert len(coarse) == 12 and len(fine) == 6
    lo, hi = fine_space["learning_rate"].low, fine_space["learning_rate"].high
    assert all(lo <= t.config["learning_rate"] <= hi for t in fine)
    assert hp.best(fine).score >= sorted(t.score for t in coarse)[-3]
