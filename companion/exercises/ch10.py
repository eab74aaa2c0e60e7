"""Chapter 10 exercises: temperature, sampling with it, clipping gradients by value and by
global norm, a bigram model from counts, sampling names from it, and a name's probability
under it.

References: ``companion.models.char_lm`` (``clip_gradients``, ``BigramModel``),
``companion.chapters.ch10`` (``apply_temperature``, ``bigram_sample``) and the chapter's
formulas. ``sample_next`` is checked by its statistics (4,000 draws must follow q_i proportional
to p_i^(1/T)) and both samplers by their use of ``rng`` (same seed, same draws; other seeds,
other draws).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from itertools import pairwise

import numpy as np

from companion.chapters.ch10 import apply_temperature, bigram_sample
from companion.data.text import char_vocabulary
from companion.exercises.checker import (
    Case,
    Fail,
    call,
    check,
    feedback,
    hints,
    planted,
    run_check,
)
from companion.models.char_lm import BigramModel, clip_gradients

HINTS = hints("ch10")

P = np.array([0.5, 0.3, 0.15, 0.05])


# --- 1. temperature -------------------------------------------------------------------------------
def _temperature(p, temperature):
    return apply_temperature(p, temperature)


def _naive_temperature(p, t):
    q = p ** (1 / t)
    return q / q.sum()


def check_temperature(apply_temperature_fn: Callable) -> bool:
    """``apply_temperature(p (V,), temperature > 0) -> q (V,)``, q_i proportional to
    p_i ** (1 / temperature), finite even where every p_i ** (1 / temperature) underflows."""
    flat = np.random.default_rng(3).dirichlet(np.full(60, 20.0))      # 60 entries near 1/60
    cases = [Case((P, t), label=f"T = {t}") for t in (0.5, 2.0, 1.0)] + [
        Case((flat, 0.004), label="60 classes at T = 0.004: every p ** (1/T) is below 1e-300")]
    mistakes = planted({
        "p ** T": lambda p, t: _temperature(p, 1 / t),
        "not normalised": lambda p, t: p ** (1 / t),
        "underflow": _naive_temperature,
    }, HINTS["temperature"])
    return check("temperature", apply_temperature_fn, _temperature, cases, mistakes,
                 returns="the array q (V,), summing to 1", pure=True)


# --- 2. sampling with temperature -----------------------------------------------------------------
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


def _uses_rng(sample: Callable, *args) -> None:
    """Fail unless ``sample(*args, rng)`` draws from ``rng``: the same seed must give the same
    draws, and other seeds other draws."""
    def draws(seed):
        rng = np.random.default_rng(seed)

        def one():                                  # no deep copy: every call shares rng
            return sample(*args, rng)
        one.__name__ = getattr(sample, "__name__", "your function")
        return [call(one, returns="one draw") for _ in range(30)]
    first = draws(7)
    if draws(7) != first:
        raise Fail("two generators with the same seed gave different draws: draw with the "
                   "`rng` you are given (rng.choice, rng.random), not np.random")
    if all(draws(seed) == first for seed in (8, 9)):
        raise Fail("generators with different seeds gave the same draws: the draws must come "
                   "from `rng`")


def check_sample_next(sample_next: Callable) -> bool:
    """``sample_next(p (V,), temperature >= 0, rng) -> int``: one index drawn from
    q proportional to p ** (1 / temperature) with ``rng``; temperature 0 returns argmax(p)."""
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
        _uses_rng(sample_next, P, 1.0)
        return feedback(True, f"sample_next ({DRAWS} draws at T = 0.5, 2 and 0 follow "
                        "p ** (1/T))")
    return run_check("sample_next", body)


# --- 3. clipping ---------------------------------------------------------------------------------
NAMES = ("grads[0]", "grads[1]", "grads[2]")


def _grad_cases() -> list[Case]:
    rng = np.random.default_rng(10)
    big = [rng.standard_normal((3, 4)) * 3, rng.standard_normal(4) * 3, rng.standard_normal((2, 2))]
    small = [g * 0.01 for g in big]
    pyth = [np.array([3.0, 4.0]), np.array([[12.0]]), np.zeros(2)]
    return [Case((big, None, 1.0), label="global norm above clipnorm"),
            Case((small, None, 1.0), label="global norm below clipnorm: unchanged"),
            Case((pyth, None, 6.5), label="norm 13 clipped to 6.5"),
            Case((big, 0.5, None), label="clipvalue 0.5"),
            Case((big, 2.0, 3.0), label="clipvalue 2, then clipnorm 3"),
            Case((small, None, None), label="neither: unchanged")]


def _clip_bug(bug: str):
    def clip(grads, clipvalue=None, clipnorm=None):
        if clipvalue is not None and bug != "norm first":
            grads = [np.clip(g, 0 if bug == "at 0" else -clipvalue, clipvalue) for g in grads]
        if clipnorm is not None:
            norms = [np.sqrt(np.sum(g * g)) for g in grads]
            norm = np.sqrt(sum(n * n for n in norms))
            if bug == "per array":
                grads = [g * min(1.0, clipnorm / max(n, 1e-300)) for g, n in zip(grads, norms)]
            elif bug == "always" or norm > clipnorm:
                grads = [g * clipnorm / norm for g in grads]
        if clipvalue is not None and bug == "norm first":
            grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
        return list(grads)
    return clip


def check_clip_gradients(clip_gradients_fn: Callable) -> bool:
    """``clip_gradients(grads list of arrays, clipvalue=None, clipnorm=None) -> list``: first
    every entry cut to [-clipvalue, clipvalue] (Keras' ``clipvalue``), then, if the global norm
    sqrt(sum of every squared entry) exceeds clipnorm, ALL arrays scaled by clipnorm / norm
    (Keras' ``global_clipnorm``); None switches a step off. New arrays, inputs unchanged."""
    mistakes = planted(_clip_bug, HINTS["clip_gradients"])

    def body():
        with contextlib.redirect_stdout(io.StringIO()) as buf:
            ok = check("clip_gradients", clip_gradients_fn, clip_gradients, _grad_cases(),
                       mistakes, returns="the list of clipped arrays, one per gradient",
                       names=NAMES, pure=True)
        if ok:
            grads = [g.copy() for g in _grad_cases()[0].args[0]]
            before = [g.copy() for g in grads]
            with contextlib.redirect_stdout(io.StringIO()):
                clip_gradients_fn(grads, 0.5, 1.0)
            if any(not np.array_equal(g, b) for g, b in zip(grads, before)):
                raise Fail("your function changed the arrays inside `grads` in place: build "
                           "new arrays (np.clip(g, ...), g * factor), never g *= ... or out=g")
        print(buf.getvalue().strip())
        return ok
    return run_check("clip_gradients", body)


# --- 4. a bigram model from counts ----------------------------------------------------------------
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
    mistakes = planted(_bigram_bug, HINTS["bigram"])
    return check("bigram", bigram_probabilities, _bigram, cases, mistakes,
                 returns="the matrix P (V, V) of conditional probabilities", pure=True)


# --- 5. sampling names from the bigram model ------------------------------------------------------
def _sampler_bug(bug: str):
    def sample(P, vocab, rng, temperature=1.0, max_len=20):
        prev, out = vocab.eos, []
        while len(out) < (max_len + 1 if bug == "max_len" else max_len):
            row = P[prev if bug != "no feedback" else vocab.eos]
            q = row if bug == "no temperature" else _temperature(row, temperature) \
                if temperature else row
            nxt = int(row.argmax()) if temperature == 0 else int(rng.choice(len(row), p=q))
            if nxt == vocab.eos and bug != "eos kept":
                break
            out.append(vocab.itos[nxt])
            if nxt == vocab.eos:
                break
            prev = nxt
        return "".join(out)
    return sample


SAMPLER_CASES = [(seed, t, m) for seed in (0, 1, 2, 3) for t, m in ((1.0, 20), (0.5, 20))] + \
    [(4, 1.5, 3), (5, 1.0, 3), (0, 0.0, 20)]


def check_bigram_sampler(sample_name: Callable) -> bool:
    """``sample_name(P (V, V), vocab, rng, temperature=1.0, max_len=20) -> str``: start after
    <EOS>; draw each next character with ``rng.choice(V, p=q)``, q = apply_temperature(row of
    the previous character) (temperature 0: its argmax, no draw), until <EOS> (not included)
    or ``max_len`` characters."""
    vocab = char_vocabulary(NAMES_DATA)
    P = _bigram(NAMES_DATA, vocab, 0.5)
    mistakes = [("eos kept", "stop at <EOS> without adding it to the name"),
                ("max_len", "a name has at most max_len characters"),
                ("no feedback", "each character is drawn from the row of the PREVIOUS "
                 "character (feed the draw back), not always from the <EOS> row"),
                ("no temperature", "apply the temperature to each row before drawing")]

    def body():
        def by_seed(p, v, t, rng):
            return sample_name(p, v, rng, t)
        by_seed.__name__ = getattr(sample_name, "__name__", "sample_name")
        _uses_rng(by_seed, P, vocab, 1.0)
        for seed, t, m in SAMPLER_CASES:
            args = (P, vocab, np.random.default_rng(seed), t, m)
            got = call(sample_name, P.copy(), vocab, np.random.default_rng(seed), t, m,
                       returns="the name, a str")
            want = bigram_sample(*args)
            if not isinstance(got, str):
                raise Fail(f"`sample_name` returned {type(got).__name__}: return the name as "
                           "one str ('anna'), not a list of characters or ids")
            if got == want:
                continue
            for bug, hint in mistakes:
                if _sampler_bug(bug)(P, vocab, np.random.default_rng(seed), t, m) == got:
                    raise Fail(f"{hint} (case: seed {seed}, temperature {t}, max_len {m})")
            raise Fail(f"with seed {seed}, temperature {t}, max_len {m} expected {want!r}, got "
                       f"{got!r}: draw with rng.choice(V, p=q), one draw per character")
        return feedback(True, f"sample_name ({len(SAMPLER_CASES)} seeded names agree)")
    return run_check("sample_name", body)


# --- 6. a name's probability under the bigram model (an extra) ------------------------------------
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
    def log_of(P, vocab, name):
        return float(np.log(_sequence_probability(P, vocab, name)))
    mistakes = planted({
        "log P": log_of,
        "no final eos": without(first=False),
        "no start row": without(first=True),
    }, HINTS["bigram_probability"])
    return check("sequence probability", sequence_probability, _sequence_probability, cases,
                 mistakes, returns="a number")
