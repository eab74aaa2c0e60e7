"""Chapter 10 exercises: a sequence's probability from bigram counts, temperature, and clipping
by global norm."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def check_bigram_probability(sequence_probability) -> bool:
    """``sequence_probability(P, vocab, name) -> float``: P[prev, next] conditional
    probabilities (rows = previous token, the <EOS> row for the first letter); the product
    over every letter and the final <EOS>."""
    from companion.data.text import char_vocabulary
    from companion.models.char_lm import BigramModel

    def run():
        names = ["anna", "ann", "bob", "nan", "abba"]
        vocab = char_vocabulary(names)
        P = BigramModel(vocab, alpha=0.5).fit(names).probs
        for name in ("ab", "anna", "b"):
            ids = vocab.encode(list(name), add_eos=True)
            prev = np.r_[vocab.eos, ids[:-1]]
            want = float(np.prod(P[prev, ids]))
            got = float(sequence_probability(P, vocab, name))
            if np.isclose(got, want / P[prev[-1], ids[-1]]):
                return feedback(False, "sequence probability", "include P(<EOS> | last letter)")
            if np.isclose(got, want / P[vocab.eos, ids[0]]):
                return feedback(False, "sequence probability",
                                "include P(first letter | start), the <EOS> row")
            if not np.isclose(got, want):
                return feedback(False, "sequence probability", f"P({name!r}) should be "
                                f"{want:.3e}, got {got:.3e}")
        return feedback(True, "sequence probability: the product of the conditionals")
    return run_check("sequence probability", run)


def check_temperature(apply_temperature) -> bool:
    """``apply_temperature(p, temperature) -> q``: q_i proportional to p_i ** (1 / temperature),
    for p (V,) probabilities and temperature > 0."""
    def run():
        p = np.array([0.5, 0.3, 0.15, 0.05])
        for t in (0.5, 1.0, 2.0):
            want = p ** (1 / t) / np.sum(p ** (1 / t))
            got = np.asarray(apply_temperature(p.copy(), t), dtype=float)
            if got.shape != p.shape:
                return feedback(False, "temperature", f"shape {got.shape}, expected {p.shape}")
            if not np.isclose(got.sum(), 1):
                return feedback(False, "temperature", f"at T={t} q sums to {got.sum():.3f}: "
                                "normalise")
            if not np.allclose(got, want):
                hint = " (that is p ** T; use 1 / T)" if np.allclose(
                    got, p ** t / np.sum(p ** t)) else ""
                return feedback(False, "temperature", f"at T={t} expected "
                                f"{np.round(want, 4)}, got {np.round(got, 4)}{hint}")
        return feedback(True, "temperature: T < 1 sharpens, T > 1 flattens, T = 1 keeps p")
    return run_check("temperature", run)


def check_clip_norm(clip_by_global_norm) -> bool:
    """``clip_by_global_norm(grads, max_norm) -> list``: rescale all gradients together so their
    joint norm is at most max_norm; unchanged when it already is."""
    def run():
        g = [np.array([3.0, 4.0]), np.array([[12.0]])]          # global norm 13
        out = [np.asarray(a, dtype=float) for a in clip_by_global_norm([a.copy() for a in g], 6.5)]
        norm = np.sqrt(sum(np.sum(a * a) for a in out))
        if np.allclose(out[0], [3.0, 4.0] / np.linalg.norm([3.0, 4.0]) * 6.5):
            return feedback(False, "clip by norm", "clip the *global* norm of all gradients "
                            "together, not each array on its own")
        if not np.isclose(norm, 6.5):
            return feedback(False, "clip by norm", f"global norm after clipping is {norm:.3f}, "
                            "expected 6.5")
        if not np.allclose(out[0], [1.5, 2.0]) or not np.allclose(out[1], [[6.0]]):
            return feedback(False, "clip by norm", "the direction changed: scale every entry "
                            "by the same factor max_norm / norm")
        same = clip_by_global_norm([a.copy() for a in g], 20.0)
        if not all(np.allclose(a, b) for a, b in zip(same, g)):
            return feedback(False, "clip by norm", "a gradient below the threshold must be "
                            "left unchanged")
        return feedback(True, "clip by norm: same direction, length at most max_norm")
    return run_check("clip by norm", run)
