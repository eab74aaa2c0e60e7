"""Chapter 6's exercise checkers: the solution passes, each planted mistake gets its own hint,
garbage gets one sentence and no traceback."""

import numpy as np
import pytest
from exercise_garbage import checker_tests, one_line

from companion.exercises import ch06
from companion.exercises.checker import verdict


def sample_learning_rates(rng, n, low, high):
    return 10 ** rng.uniform(np.log10(low), np.log10(high), n)


def bn_forward(x, gamma, beta, epsilon):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + epsilon) + beta


def bn_backward(dout, x, gamma, epsilon):
    m, inv_std = len(x), 1 / np.sqrt(x.var(0) + epsilon)
    x_hat = (x - x.mean(0)) * inv_std
    dx_hat = dout * gamma
    dx = inv_std / m * (m * dx_hat - dx_hat.sum(0) - x_hat * (dx_hat * x_hat).sum(0))
    return dx, (dout * x_hat).sum(0), dout.sum(0)


def update_moving(moving_mean, moving_var, x, momentum):
    return (momentum * moving_mean + (1 - momentum) * x.mean(0),
            momentum * moving_var + (1 - momentum) * x.var(0))


def bn_inference(x, gamma, beta, moving_mean, moving_var, epsilon):
    return gamma * (x - moving_mean) / np.sqrt(moving_var + epsilon) + beta


EXERCISES = [(ch06.check_batchnorm_forward, bn_forward, ch06.BN_FORWARD_MISTAKES),
             (ch06.check_batchnorm_backward, bn_backward, ch06.BN_BACKWARD_MISTAKES),
             (ch06.check_moving_statistics, update_moving, ch06.MOVING_MISTAKES),
             (ch06.check_batchnorm_inference, bn_inference, ch06.INFERENCE_MISTAKES)]
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES, more_checks=(ch06.check_log_sampling,))


@pytest.mark.parametrize("fn, words", [
    (sample_learning_rates, "✓ log-scale sampling"),
    (lambda rng, n, low, high: rng.uniform(low, high, n), "uniform on a linear scale"),
    (lambda rng, n, low, high: 10 ** rng.uniform(-6, -1, n), "outside [1e-05, 0.1]"),
    (lambda rng, n, low, high: 10 ** rng.uniform(-5, -1, n - 1), "expected (20000,)"),
    (lambda rng, n, low, high: 10 ** rng.normal(-3, 0.5, n).clip(-4.9, -1.1), "expected 25% each"),
])
def test_log_sampling(fn, words):
    ok, out = verdict(ch06.check_log_sampling, fn)
    assert ok == words.startswith("✓") and words in one_line(out)
