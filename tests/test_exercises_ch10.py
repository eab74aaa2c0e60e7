"""Chapter 10's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""

from functools import partial
from itertools import pairwise

import numpy as np
import pytest
from exercise_garbage import run_check as verdict

from companion.exercises import ch10


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def apply_temperature(p, temperature, bug=None):
    q = p ** (temperature if bug == "power T" else 1 / temperature)
    return q if bug == "unnormalised" else q / q.sum()


def sample_next(p, temperature, rng, bug=None):
    if temperature == 0 and bug != "no greedy":
        return int(np.argmax(p))
    if bug == "ignore T" or temperature == 0:
        return int(rng.choice(len(p), p=p))
    return int(rng.choice(len(p), p=apply_temperature(p, max(temperature, 1e-3),
                                                     "power T" if bug == "power T" else None)))


def clip_by_value(grads, clipvalue, low=None):
    return [np.clip(g, -clipvalue if low is None else low, clipvalue) for g in grads]


def clip_by_norm(grads, max_norm, bug=None):
    if bug == "per array":
        return [g * min(1, max_norm / np.linalg.norm(g)) if np.linalg.norm(g) else g
                for g in grads]
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if norm <= max_norm and bug != "always":
        return grads
    return [g * (max_norm / norm) for g in grads]


def log_likelihood(probs, y, mask, bug=None):
    picked = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]
    if bug == "product":
        return np.log(np.prod(np.where(mask, picked, 1.0), axis=1))
    ll = np.sum(np.log(picked) * (1 if bug == "no mask" else mask), axis=1)
    return {"mean": ll / mask.sum(axis=1), "sign": -ll}.get(bug, ll)


def bigram_probabilities(names, vocab, alpha, bug=None):
    counts = np.zeros((len(vocab), len(vocab)))
    for name in names:
        ids = list(vocab.encode(list(name), add_eos=True))
        pairs = pairwise(ids[:-1]) if bug == "no eos" else pairwise([vocab.eos] + ids)
        for a, b in pairs:
            counts[a, b] += 1
    c = counts + (0 if bug == "no smoothing" else alpha)
    return c / c.sum(axis=0 if bug == "columns" else 1, keepdims=True)


def sequence_probability(P, vocab, name, bug=None):
    ids = vocab.encode(list(name), add_eos=True)
    pairs = P[np.r_[vocab.eos, ids[:-1]], ids]
    return float(np.prod({"no end": pairs[:-1], "no start": pairs[1:]}.get(bug, pairs)))


SOLUTIONS = [(ch10.check_temperature, apply_temperature), (ch10.check_sample_next, sample_next),
             (ch10.check_clip_by_value, clip_by_value), (ch10.check_clip_by_norm, clip_by_norm),
             (ch10.check_log_likelihood, log_likelihood), (ch10.check_bigram, bigram_probabilities),
             (ch10.check_bigram_probability, sequence_probability)]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_solution_passes(check, solution):
    ok, out = verdict(check, solution)
    assert ok and out.startswith("✓")


@pytest.mark.parametrize("check, buggy, hint", [
    (ch10.check_temperature, partial(apply_temperature, bug="power T"), "p ** T"),
    (ch10.check_temperature, partial(apply_temperature, bug="unnormalised"), "normalise"),
    (ch10.check_sample_next, partial(sample_next, bug="ignore T"), "follow p itself"),
    (ch10.check_sample_next, partial(sample_next, bug="power T"), "p ** (1 / T)"),
    (ch10.check_sample_next, partial(sample_next, bug="no greedy"), "argmax"),
    (ch10.check_clip_by_value, partial(clip_by_value, low=0.0), "not at 0"),
    (ch10.check_clip_by_value, lambda g, c: clip_by_norm(g, c), "np.clip"),
    (ch10.check_clip_by_norm, partial(clip_by_norm, bug="per array"), "*global*"),
    (ch10.check_clip_by_norm, partial(clip_by_norm, bug="always"), "unchanged"),
    (ch10.check_clip_by_norm, clip_by_value, "same factor"),
    (ch10.check_log_likelihood, partial(log_likelihood, bug="no mask"), "padding"),
    (ch10.check_log_likelihood, partial(log_likelihood, bug="mean"), "mean per step"),
    (ch10.check_log_likelihood, partial(log_likelihood, bug="sign"), "sign"),
    (ch10.check_log_likelihood, partial(log_likelihood, bug="product"), "add the logs"),
    (ch10.check_bigram, partial(bigram_probabilities, bug="no eos"), "<EOS>"),
    (ch10.check_bigram, partial(bigram_probabilities, bug="columns"), "ROW"),
    (ch10.check_bigram, partial(bigram_probabilities, bug="no smoothing"), "alpha"),
    (ch10.check_bigram_probability, partial(sequence_probability, bug="no end"), "last letter"),
    (ch10.check_bigram_probability, partial(sequence_probability, bug="no start"), "start"),
])
def test_mistake_is_named(check, buggy, hint):
    ok, out = verdict(check, buggy)
    assert not ok and hint in out


def test_sampler_returning_an_array_is_told():
    ok, out = verdict(ch10.check_sample_next, lambda p, t, rng: p)
    assert not ok and "integer" in out


def _raises(*args):
    raise ValueError("probabilities do not sum to 1")


@pytest.mark.parametrize("check", [c for c, _ in SOLUTIONS])
@pytest.mark.parametrize("garbage, sentence", [
    (lambda *a: None, "returned None"), (_raises, "raised ValueError"),
    (lambda *a: np.full((2, 2), np.nan), ""), (lambda *a: "text", "")])
def test_garbage_gets_one_sentence(check, garbage, sentence):
    ok, out = verdict(check, garbage)
    assert not ok and out.startswith("✗") and sentence in out
