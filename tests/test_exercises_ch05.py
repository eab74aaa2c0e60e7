"""Chapter 5's exercise checkers: the notebook's solutions pass, each planted mistake gets its
own hint, garbage gets one sentence and no traceback, and realistic mistakes nobody planted are
rejected, named or located."""

import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, one_line, rejected

from companion.exercises import ch05
from companion.exercises.checker import verdict

S = notebook_solutions("05_optimization.ipynb")
batches, ewa, adam = S["random_mini_batches"], S["ewa_corrected"], S["adam_step"]
decay, train = S["inverse_time_decay"], S["train_logistic_adam"]

EXERCISES = [(ch05.check_mini_batches, batches, ch05.BATCH_MISTAKES),
             (ch05.check_ewa, ewa, ch05.EWA_MISTAKES),
             (ch05.check_adam, adam, ch05.ADAM_MISTAKES),
             (ch05.check_schedule, decay, ch05.SCHEDULE_MISTAKES),
             (ch05.check_train_adam, train, ch05.TRAIN_ADAM_MISTAKES)]
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


def _global_shuffle(X, Y, batch_size, rng):
    perm = np.random.permutation(len(X))
    return [(X[perm][k:k + batch_size], Y[perm][k:k + batch_size])
            for k in range(0, len(X), batch_size)]


def _shuffle_in_place(X, Y, batch_size, rng):
    perm = rng.permutation(len(X))
    X[:], Y[:] = X[perm], Y[perm]
    return [(X[k:k + batch_size], Y[k:k + batch_size]) for k in range(0, len(X), batch_size)]


def _in_place_adam(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    m *= beta_1
    m += (1 - beta_1) * g
    v2 = beta_2 * v + (1 - beta_2) * g ** 2
    w = w - learning_rate * (m / (1 - beta_1 ** t)) / (np.sqrt(v2 / (1 - beta_2 ** t)) + epsilon)
    return w, m, v2


def _eps_in_root(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
    return w - learning_rate * m_hat / np.sqrt(v_hat + epsilon), m, v


def _fixed_seed_train(X, y, batch_size, epochs, learning_rate, rng):
    return train(X, y, batch_size, epochs, learning_rate, np.random.default_rng(0))


def _global_train(X, y, batch_size, epochs, learning_rate, rng):
    state = np.random.default_rng(np.random.randint(1 << 30))
    return train(X, y, batch_size, epochs, learning_rate, state)


REALISTIC = [
    (ch05.check_mini_batches, _global_shuffle, "draws from NumPy's global state"),
    (ch05.check_mini_batches, _shuffle_in_place, "changed its argument `X` in place"),
    (ch05.check_mini_batches, lambda X, Y, b, rng: [(list(x), y) for x, y in batches(X, Y, b, rng)],
     "a batch holds a list"),
    (ch05.check_ewa, lambda theta, beta: list(ewa(theta, beta)), "is a list"),
    (ch05.check_ewa, lambda theta, beta: ewa(theta, beta)[:, None], "a column where a 1-D"),
    (ch05.check_adam, _in_place_adam, "changed its argument `m` in place"),
    (ch05.check_adam, _eps_in_root, "w is wrong (m and v agree)"),
    (ch05.check_schedule, lambda s, lr, d, r, st: list(decay(s, lr, d, r, st)), "lr is a list"),
    (ch05.check_schedule, lambda s, lr, d, r, st: decay(s, lr, d, r, st).tolist()[0]
     if len(s) == 1 else decay(s, lr, d, r, st), "is a float: return a NumPy array of shape (1,)"),
    (ch05.check_train_adam, _fixed_seed_train, "ignores its `rng` argument"),
    (ch05.check_train_adam, _global_train, "draws from NumPy's global state"),
    (ch05.check_train_adam, lambda *a: (*train(*a)[:2], list(train(*a)[2])), "losses is a list"),
    (ch05.check_train_adam, lambda *a: (train(*a)[0], np.array([train(*a)[1]]), train(*a)[2]),
     "b is an ndarray of shape (1,): return a number"),
]


@pytest.mark.parametrize("check, fn, words", REALISTIC,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(REALISTIC)])
def test_realistic_mistakes_are_rejected_and_named(check, fn, words):
    no, out = rejected(check, fn)
    assert no and words in out, out
