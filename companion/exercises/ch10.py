"""Chapter 10 exercises: temperature, sampling with it, clipping gradients by value and by
global norm, the log-likelihood of a batch of sequences, and a bigram model from counts.

References: ``companion.models.char_lm`` (``clip_by_value``, ``clip_gradients``,
``BigramModel``) and the chapter's formulas. The sampler is checked by its statistics: 4,000
draws must follow q_i proportional to p_i^(1/T).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np

from companion.data.text import char_vocabulary
from companion.exercises.checker import Case, Fail, Mistake, call, check, feedback, run_check
from companion.models.char_lm import BigramModel, clip_by_value, clip_gradients

P = np.array([0.5, 0.3, 0.15, 0.05])


# --- 1. temperature -------------------------------------------------------------------------------
def _temperature(p, temperature):
    q = p ** (1 / temperature)
    return q / q.sum()


def check_temperature(apply_temperature: Callable) -> bool:
    """``apply_temperature(p (V,), temperature > 0) -> q (V,)``, q_i proportional to
    p_i ** (1 / temperature)."""
    cases = [Case((P, t), label=f"T = {t}") for t in (0.5, 2.0, 1.0)]
    mistakes = [Mistake(lambda p, t: _temperature(p, 1 / t), "that is p ** T; use 1 / T "
                        "(T < 1 must sharpen)"),
                Mistake(lambda p, t: p ** (1 / t), "normalise: divide by the sum so that q "
                        "sums to 1")]
    return check("temperature", apply_temperature, _temperature, cases, mistakes,
                 returns="the array q (V,), summing to 1")


# --- 2. sampling with temperature --------------------------------------------------------------------
DRAWS = 4000


def _frequencies(sample_next: Callable, p, temperature) -> np.ndarray:
    """How often each index comes out of DRAWS calls (one generator, seeded)."""
    first = call(sample_next, p, temperature, np.random.default_rng(0),
                 returns="one index, an integer")
    if not isinstance(first, (int, np.integer)) or not 0 <= first < len(p):
        raise Fail(f"`sample_next` returned {first!r}: return one index, an integer in "
                   f"[0, {len(p)})")
    rng = np.random.default_rng(1)
    draws = [int(sample_next(p.copy(), temperature, rng)) for _ in range(DRAWS)]
    return np.bincount(draws, minlength=len(p)) / DRAWS


def check_sample_next(sample_next: Callable) -> bool:
    """``sample_next(p (V,), temperature >= 0, rng) -> int``: one index drawn from
    q proportional to p ** (1 / temperature); temperature 0 returns argmax(p) (greedy)."""
    def body():
        for t in (0.5, 2.0, 0.0):
            freq = _frequencies(sample_next, P, t)
            want = np.eye(len(P))[P.argmax()] if t == 0 else _temperature(P, t)
            if np.abs(freq - want).max() < 0.035:
                continue
            seen = np.round(freq, 3).tolist()
            if t == 0:
                raise Fail(f"temperature 0 must always return argmax(p) = {P.argmax()}; "
                           f"your frequencies were {seen}")
            if np.abs(freq - P).max() < 0.035:
                raise Fail(f"at T = {t} the draws follow p itself: apply the temperature "
                           "before drawing")
            if np.abs(freq - _temperature(P, 1 / t)).max() < 0.035:
                raise Fail(f"at T = {t} the draws follow p ** T; use p ** (1 / T)")
            raise Fail(f"at T = {t} expected frequencies near {np.round(want, 3).tolist()}, "
                       f"got {seen} ({DRAWS} draws)")
        return feedback(True, f"sample_next ({DRAWS} draws at T = 0.5, 2 and 0 follow "
                        "p ** (1/T))")
    return run_check("sample_next", body)


# --- 3 and 4. clipping ------------------------------------------------------------------------------
NAMES = ("grads[0]", "grads[1]", "grads[2]")


def _grad_cases() -> list[Case]:
    rng = np.random.default_rng(10)
    big = [rng.standard_normal((3, 4)) * 3, rng.standard_normal(4) * 3, rng.standard_normal((2, 2))]
    small = [g * 0.01 for g in big]
    return [Case((big, 1.0), label="global norm above the threshold"),
            Case((small, 1.0), label="global norm below the threshold: unchanged"),
            Case(([np.array([3.0, 4.0]), np.array([[12.0]]), np.zeros(2)], 6.5),
                 label="norm 13 clipped to 6.5")]


def check_clip_by_value(clip_by_value_fn: Callable) -> bool:
    """``clip_by_value(grads list of arrays, clipvalue) -> list``: every entry cut to
    [-clipvalue, clipvalue] (Keras' ``clipvalue``)."""
    mistakes = [Mistake(lambda gs, c: [np.clip(g, 0, c) for g in gs], "the interval is "
                        "[-clipvalue, clipvalue]: negative entries are clipped at -clipvalue, "
                        "not at 0"),
                Mistake(lambda gs, c: clip_gradients(gs, clipnorm=c), "that rescales by the "
                        "global norm; clipping by value cuts each entry on its own "
                        "(np.clip)")]
    return check("clip_by_value", clip_by_value_fn, clip_by_value, _grad_cases(), mistakes,
                 returns="the list of clipped arrays, one per gradient", names=NAMES)


def _clip_norm(grads, max_norm):
    return clip_gradients(grads, clipnorm=max_norm)


def _per_array(grads, max_norm):
    return [g * min(1.0, max_norm / max(np.linalg.norm(g), 1e-300)) for g in grads]


def _always(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    return [g * max_norm / norm for g in grads]


def check_clip_by_norm(clip_by_norm: Callable) -> bool:
    """``clip_by_norm(grads list of arrays, max_norm) -> list``: if the global norm
    sqrt(sum of every squared entry) exceeds max_norm, scale ALL arrays by max_norm / norm
    (Keras' ``global_clipnorm``); otherwise return them unchanged."""
    mistakes = [Mistake(_per_array, "clip the *global* norm of all the gradients together, not "
                        "each array on its own (that changes the direction)"),
                Mistake(_always, "only clip when the norm exceeds max_norm: a gradient below "
                        "the threshold is returned unchanged"),
                Mistake(lambda gs, c: clip_by_value(gs, c), "that clips each entry (by value); "
                        "scale every array by the same factor max_norm / norm")]
    return check("clip_by_norm", clip_by_norm, _clip_norm, _grad_cases(), mistakes,
                 returns="the list of clipped arrays, one per gradient", names=NAMES)


# --- 5. the log-likelihood of sequences ---------------------------------------------------------------
def _log_likelihood(probs, y, mask):
    picked = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]     # (N, T)
    return np.sum(np.log(picked) * mask, axis=1)


def _ll_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    cases = []
    for N, T, V, label in ((3, 6, 5, "three padded sequences"), (1, 1, 4, "one step"),
                           (2, 300, 28, ("300 steps: multiplying 300 probabilities "
                                         "underflows to 0, so add the logs instead"))):
        z = rng.standard_normal((N, T, V)) * 2
        probs = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        lengths = rng.integers(max(T // 2, 1), T + 1, N)
        lengths[0] = T
        mask = np.arange(T) < lengths[:, None]
        cases.append(Case((probs, rng.integers(0, V, (N, T)), mask), label=label))
    return cases


def check_log_likelihood(log_likelihood: Callable) -> bool:
    """``log_likelihood(probs (N, T, V), y (N, T) int, mask (N, T) bool) -> (N,)``: each
    sequence's log P = sum over its real steps (mask True) of log probs[n, t, y[n, t]]."""
    mistakes = [Mistake(lambda p, y, m: _log_likelihood(p, y, np.ones_like(m)),
                        "steps where mask is False are padding: leave them out (multiply the "
                        "log-probabilities by the mask)"),
                Mistake(lambda p, y, m: _log_likelihood(p, y, m) / m.sum(axis=1),
                        "that is the mean per step; the log-likelihood of a sequence is the "
                        "sum"),
                Mistake(lambda p, y, m: -_log_likelihood(p, y, m), "sign: log P is negative "
                        "(the loss is its negative)")]
    return check("log_likelihood", log_likelihood, _log_likelihood, _ll_cases(), mistakes,
                 returns="one number per sequence, an array (N,)")


# --- 6. a bigram model from counts --------------------------------------------------------------------
NAMES_DATA = ["anna", "ann", "bob", "nan", "abba", "ben"]


def _bigram(names, vocab, alpha):
    return BigramModel(vocab, alpha).fit(names).probs


def _bigram_bug(bug: str):
    def probs(names, vocab, alpha):
        counts = np.zeros((len(vocab), len(vocab)))
        for name in names:
            ids = list(vocab.encode(list(name), add_eos=True))
            pairs = pairwise(ids[:-1]) if bug == "no eos" else pairwise([vocab.eos] + ids)
            for a, b in pairs:
                counts[a, b] += 1
        c = counts + (0 if bug == "no smoothing" else alpha)
        axis = 0 if bug == "columns" else 1
        return c / np.maximum(c.sum(axis=axis, keepdims=True), 1e-300)
    return probs


def check_bigram(bigram_probabilities: Callable) -> bool:
    """``bigram_probabilities(names, vocab, alpha) -> P (V, V)``: P[prev, next] from pair
    counts plus alpha, each ROW normalised; every name is read as <EOS> n a m e <EOS> (the
    <EOS> row holds the first letters)."""
    vocab = char_vocabulary(NAMES_DATA)
    cases = [Case((NAMES_DATA, vocab, 0.5), label="alpha = 0.5"),
             Case((NAMES_DATA[:2], vocab, 1.0), label="two names, alpha = 1"),
             Case((["b"], vocab, 0.1), label="a one-letter name")]
    mistakes = [Mistake(_bigram_bug("no eos"), "count the start (<EOS> -> first letter) and "
                        "the end (last letter -> <EOS>) of every name too"),
                Mistake(_bigram_bug("columns"), "normalise each ROW: P[prev] is a "
                        "distribution over the next character"),
                Mistake(_bigram_bug("no smoothing"), "add alpha to every count before "
                        "normalising (add-alpha smoothing)")]
    return check("bigram", bigram_probabilities, _bigram, cases, mistakes,
                 returns="the matrix P (V, V) of conditional probabilities")


# --- 7. a name's probability under the bigram model (an extra) --------------------------------------
def _sequence_probability(P, vocab, name):
    ids = vocab.encode(list(name), add_eos=True)
    return float(np.prod(P[np.r_[vocab.eos, ids[:-1]], ids]))


def check_bigram_probability(sequence_probability: Callable) -> bool:
    """``sequence_probability(P, vocab, name) -> float``: the product of P[prev, next] over
    every letter and the final <EOS>, starting from the <EOS> row."""
    vocab = char_vocabulary(NAMES_DATA)
    P = _bigram(NAMES_DATA, vocab, 0.5)
    cases = [Case((P, vocab, name), label=repr(name)) for name in ("ab", "anna", "b")]

    def without(first: bool):
        def prob(P, vocab, name):
            ids = vocab.encode(list(name), add_eos=True)
            pairs = P[np.r_[vocab.eos, ids[:-1]], ids]
            return float(np.prod(pairs[1:] if first else pairs[:-1]))
        return prob
    mistakes = [Mistake(without(first=False), "include P(<EOS> | last letter)"),
                Mistake(without(first=True), "include P(first letter | start), the <EOS> row")]
    return check("sequence probability", sequence_probability, _sequence_probability, cases,
                 mistakes, returns="a number")
