"""Chapter 6's exercise checkers: the notebook's solutions pass, each planted mistake gets its
own hint, garbage gets one sentence and no traceback, and realistic mistakes nobody planted are
rejected, named or located."""

import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, rejected

from companion.exercises import ch06
from companion.exercises.checker import verdict

S = notebook_solutions("06_hyperparameters_batchnorm.ipynb")
search, forward, backward, layer = (S["random_search"], S["bn_forward"],
                                    S["bn_backward"], S["bn_layer_forward"])
EXERCISES = [(ch06.check_random_search, search, ch06.SEARCH_MISTAKES),
             (ch06.check_batchnorm_forward, forward, ch06.BN_FORWARD_MISTAKES),
             (ch06.check_batchnorm_backward, backward, ch06.BN_BACKWARD_MISTAKES),
             (ch06.check_batchnorm_layer, layer, ch06.BN_LAYER_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES)


def _search_interleaved(score, n_trials, rng):       # one trial at a time: also right
    best, scores = None, []
    for _ in range(n_trials):
        lr, beta = 10 ** rng.uniform(-4, 0), 1 - 10 ** rng.uniform(-3, -1)
        scores.append(score(lr, beta))
        if best is None or scores[-1] > best[2]:
            best = (lr, beta, scores[-1])
    return best[0], best[1], np.array(scores)


def test_a_search_one_trial_at_a_time_passes():
    ok, out = verdict(ch06.check_random_search, _search_interleaved)
    assert ok, out


def _search_scored_twice(score, n_trials, rng):
    lrs, betas = 10 ** rng.uniform(-4, 0, n_trials), 1 - 10 ** rng.uniform(-3, -1, n_trials)
    scores = np.array([score(lr, b) for lr, b in zip(lrs, betas)])
    best = int(np.argmax([score(lr, b) for lr, b in zip(lrs, betas)]))   # every trial again
    return lrs[best], betas[best], scores


def _search_index(score, n_trials, rng):
    _, beta, scores = search(score, n_trials, rng)
    return int(np.argmax(scores)), beta, scores          # the index for the learning rate


def _mean_path_only(dout, x, gamma, epsilon):
    inv_std = 1 / np.sqrt(x.var(0) + epsilon)
    dx_hat = dout * gamma                                  # forgets the path through the variance
    _, dgamma, dbeta = backward(dout, x, gamma, epsilon)
    return (dx_hat - dx_hat.mean(0)) * inv_std, dgamma, dbeta


def _variance_path_only(dout, x, gamma, epsilon):
    inv_std = 1 / np.sqrt(x.var(0) + epsilon)
    x_hat = (x - x.mean(0)) * inv_std
    dx_hat = dout * gamma                                  # forgets the path through the mean
    _, dgamma, dbeta = backward(dout, x, gamma, epsilon)
    return (dx_hat - x_hat * (dx_hat * x_hat).mean(0)) * inv_std, dgamma, dbeta


def _direct_path_doubled(dout, x, gamma, epsilon):
    dx, dgamma, dbeta = backward(dout, x, gamma, epsilon)
    return dx / 2, dgamma, dbeta                           # divided by 2m instead of m


def _in_place_moving(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon):
    mean, var = (x.mean(0), x.var(0)) if training else (moving_mean, moving_var)
    out = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
    if training:
        moving_mean *= momentum
        moving_mean += (1 - momentum) * mean
        moving_var *= momentum
        moving_var += (1 - momentum) * var
    return out, moving_mean, moving_var


def _in_place_center(x, gamma, beta, epsilon):
    x -= x.mean(0)
    return gamma * x / np.sqrt(x.var(0) + epsilon) + beta


REALISTIC = [
    (ch06.check_random_search, lambda s, n, rng: search(s, n, np.random.default_rng(7)),
     "ignores its `rng` argument"),
    (ch06.check_random_search, lambda s, n, rng: ch06._search(s, n, rng, global_rng=True),
     "draws from NumPy's global state"),
    (ch06.check_random_search, lambda s, n, rng: search(s, n, rng)[:2] + (
        list(search(s, n, rng)[2]),), "scores is list"),
    (ch06.check_random_search, _search_scored_twice, "call it once per trial"),
    (ch06.check_random_search, _search_index, "not its index"),
    (ch06.check_batchnorm_layer, lambda *a: layer(*a[:-1], 1e-3), "epsilon 0.5"),
    (ch06.check_batchnorm_forward, lambda x, g, b, e: (x - x.mean()) / np.sqrt(x.var() + e) * g + b,
     "out is wrong"),
    (ch06.check_batchnorm_forward, _in_place_center, "changed its argument `x` in place"),
    (ch06.check_batchnorm_backward, _mean_path_only, "dx is wrong (dgamma and dbeta agree)"),
    (ch06.check_batchnorm_backward, _mean_path_only, "look at the path through the variance"),
    (ch06.check_batchnorm_backward, _variance_path_only, "look at the path through the mean"),
    (ch06.check_batchnorm_backward, _direct_path_doubled, "look at the direct path"),
    (ch06.check_batchnorm_backward, lambda *a: (backward(*a)[0], backward(*a)[1][None, :],
                                                backward(*a)[2]),
     "dgamma has shape (1, 4), expected (4,): an extra leading axis"),
    (ch06.check_batchnorm_layer, _in_place_moving, "changed its argument `moving_mean` in place"),
    (ch06.check_batchnorm_layer, lambda *a: (layer(*a)[0], list(layer(*a)[1]), layer(*a)[2]),
     "moving_mean is a list"),
]


@pytest.mark.parametrize("check, fn, words", REALISTIC,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(REALISTIC)])
def test_realistic_mistakes_are_rejected_and_named(check, fn, words):
    no, out = rejected(check, fn)
    assert no and words in out, out
