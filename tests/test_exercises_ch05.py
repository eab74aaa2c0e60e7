"""Chapter 5's exercise checkers: the solution passes, each planted mistake gets its own hint,
garbage gets one sentence and no traceback."""

import numpy as np
from exercise_garbage import checker_tests, one_line

from companion.exercises import ch05
from companion.exercises.checker import verdict


def random_mini_batches(X, Y, batch_size, rng):
    perm = rng.permutation(len(X))
    X, Y = X[perm], Y[perm]
    return [(X[k:k + batch_size], Y[k:k + batch_size]) for k in range(0, len(X), batch_size)]


def ewa_corrected(theta, beta):
    v, out = 0.0, []
    for t, x in enumerate(theta, start=1):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta ** t))
    return np.array(out)


def momentum_step(w, g, v, learning_rate, beta):
    v = beta * v + (1 - beta) * g
    return w - learning_rate * v, v


def rmsprop_step(w, g, s, learning_rate, rho, epsilon):
    s = rho * s + (1 - rho) * g ** 2
    return w - learning_rate * g / np.sqrt(s + epsilon), s


def adam_step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase):
    p = np.asarray(step) / decay_steps
    return initial_learning_rate / (1 + decay_rate * (np.floor(p) if staircase else p))


EXERCISES = [(ch05.check_mini_batches, random_mini_batches, ch05.BATCH_MISTAKES),
             (ch05.check_ewa, ewa_corrected, ch05.EWA_MISTAKES),
             (ch05.check_momentum, momentum_step, ch05.MOMENTUM_MISTAKES),
             (ch05.check_rmsprop, rmsprop_step, ch05.RMSPROP_MISTAKES),
             (ch05.check_adam, adam_step, ch05.ADAM_MISTAKES),
             (ch05.check_schedule, inverse_time_decay, ch05.SCHEDULE_MISTAKES)]
WRAPPED = (ch05.check_mini_batches,)     # its planted variants are wrapped; unwrap them
(test_solution_passes, test_each_planted_mistake_gets_its_hint,
 test_garbage_gets_one_sentence) = checker_tests(EXERCISES, wrapped=WRAPPED)


def test_a_generator_of_batches_is_accepted_and_an_empty_list_is_explained():
    def lazy(X, Y, batch_size, rng):
        perm = rng.permutation(len(X))
        return ((X[perm][k:k + batch_size], Y[perm][k:k + batch_size])
                for k in range(0, len(X), batch_size))
    assert verdict(ch05.check_mini_batches, lazy)[0]
    ok, out = verdict(ch05.check_mini_batches, lambda X, Y, b, rng: [])
    assert not ok and "the list of batches is empty" in one_line(out)


def test_adam_in_place_is_caught():
    def in_place(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
        m *= beta_1
        m += (1 - beta_1) * g
        v2 = beta_2 * v + (1 - beta_2) * g ** 2
        w = w - learning_rate * (m / (1 - beta_1 ** t)) / (np.sqrt(v2 / (1 - beta_2 ** t))
                                                          + epsilon)
        return w, m, v2
    ok, out = verdict(ch05.check_adam, in_place)
    assert not ok and "changed its argument `m` in place" in out
