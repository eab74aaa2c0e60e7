"""Chapter 12 exercises: nearest neighbours by cosine similarity, the analogy solver, the
embedding backward (scatter-add), the skip-gram negative-sampling loss with its gradients,
and hard debiasing's equalisation of a pair (whose first step neutralises their mean).

References: ``companion.data.word_vectors`` (``WordVectors.nearest``, ``WordVectors.analogy``),
``companion.nn.layers.embedding``, ``companion.models.skipgram.sgns_backward`` and
``companion.chapters.ch12`` (``equalise``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.chapters.ch12 import equalise
from companion.data.word_vectors import WordVectors, normalize_rows
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
from companion.models.skipgram import sgns_backward, sgns_forward

HINTS = hints("ch12")


# --- 1. nearest neighbours by cosine similarity ---------------------------------------------------
def _nearest(E, words, query, k):
    return WordVectors(list(words), E).nearest(query, k)


def _nearest_bug(bug: str):
    def nearest(E, words, query, k):
        if bug == "columns":
            U = E / np.linalg.norm(E, axis=0, keepdims=True)
        else:
            U = E if bug == "dot" else normalize_rows(E)
        scores = U @ U[words.index(query)]
        if bug != "self":
            scores[words.index(query)] = -np.inf
        order = np.argsort(scores if bug == "ascending" else -scores, kind="stable")
        order = [i for i in order if np.isfinite(scores[i])][:k]
        return [(words[i], float(scores[i])) for i in order]
    return nearest


def _nearest_cases() -> list[tuple]:
    rng = np.random.default_rng(12)
    out = []
    for n, D, k, label in ((12, 5, 3, "12 words, 5 features, k = 3"),
                           (30, 8, 1, "30 words, k = 1"), (9, 20, 4, "9 words, 20 features")):
        E = rng.standard_normal((n, D)) * rng.uniform(0.2, 5.0, (n, 1))   # lengths differ
        words = [f"w{i}" for i in range(n)]
        out.append((E, words, words[int(rng.integers(n))], k, label))
    return out


NEAREST_MISTAKES = [
    ("dot", "that ranks by the dot product, which favours long vectors: cosine divides by both "
     "lengths (normalise the rows)"),
    ("columns", "normalise each ROW (one word's vector), not each column"),
    ("self", "leave the query word itself out (its cosine with itself is 1)"),
    ("ascending", "most similar first: sort by DEcreasing cosine")]


def _compare_pairs(got, want, k: int, label: str) -> None:
    if not isinstance(got, (list, tuple)) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in got):
        raise Fail(f"`nearest` returned {type(got).__name__} {str(got)[:40]}: return a list of "
                   f"k (word, cosine) pairs (case: {label})")
    if len(got) != k:
        raise Fail(f"`nearest` returned {len(got)} pairs, expected k = {k} (case: {label})")
    words_got = [p[0] for p in got]
    if words_got != [w for w, _ in want]:
        raise Fail(f"expected the words {[w for w, _ in want]}, got {words_got} "
                   f"(case: {label})")
    try:
        scores = np.array([float(p[1]) for p in got])
    except (TypeError, ValueError):
        raise Fail("each pair is (word, cosine): the second item must be a number") from None
    if not np.allclose(scores, [c for _, c in want], rtol=1e-6, atol=1e-9):
        raise Fail(f"the right words, but the cosines {np.round(scores, 4).tolist()} should be "
                   f"{np.round([c for _, c in want], 4).tolist()} (case: {label})")


def check_nearest(nearest: Callable) -> bool:
    """``nearest(E (n, D), words (list of n str), query (str), k) -> [(word, cosine), ...]``:
    the k words whose rows of E have the largest cosine similarity with the query's row, most
    similar first, the query itself excluded; E is not changed."""
    def body():
        for E, words, query, k, label in _nearest_cases():
            want = _nearest(E, words, query, k)
            E_given, words_given = E.copy(), list(words)

            def learner():
                return nearest(E_given, words_given, query, k)
            learner.__name__ = getattr(nearest, "__name__", "nearest")
            got = call(learner, returns="a list of (word, cosine) pairs")
            try:
                _compare_pairs(got, want, k, label)
            except Fail:
                for bug, hint in NEAREST_MISTAKES:
                    if _nearest_bug(bug)(E, words, query, k) == list(map(tuple, got)):
                        raise Fail(f"{hint} (case: {label})") from None
                raise
            if not np.array_equal(E_given, E) or words_given != words:
                raise Fail("`nearest` changed its argument E (or words) in place: normalise "
                           "into a new array (U = E / ..., not E /= ...)")
        return feedback(True, "nearest (3/3 cases agree with WordVectors.nearest)")
    return run_check("nearest", body)


# --- 2. the analogy solver ------------------------------------------------------------------------
QUESTIONS = [("man", "woman", "king"), ("france", "paris", "japan"), ("big", "bigger", "small"),
             ("walk", "walked", "swim"), ("good", "better", "bad")]


def _nearest_word(wv, target, exclude=()) -> str:
    return wv.nearest(target, 1, exclude=exclude)[0][0]


def _analogy_mistakes(wv, a, b, c) -> list[tuple[str, str]]:
    """(answer, hint) of the planted mistakes for one question."""
    u = lambda w: wv.unit[wv.id(w)]
    return [(_nearest_word(wv, u(b) - u(a) + u(c)),
             ("exclude the three question words a, b, c from the candidates (the closest "
              "word to b - a + c is usually b or c itself)")),
            (_nearest_word(wv, u(a) - u(b) + u(c), (a, b, c)),
             "the offset is b - a: the target is u_b - u_a + u_c")]


def check_analogy(analogy: Callable, wv) -> bool:
    """``analogy(wv, a, b, c) -> str``: the word d, not a, b or c, whose unit vector is closest
    in cosine to u_b - u_a + u_c."""
    def body():
        for a, b, c in QUESTIONS:
            want = wv.analogy(a, b, c)[0][0]
            got = call(analogy, wv, a, b, c, returns="one word, a string")
            if not isinstance(got, str):
                raise Fail(f"`{getattr(analogy, '__name__', 'analogy')}` returned a "
                           f"{type(got).__name__}: return one word, a string")
            if got == want:
                continue
            hint = next((h for ans, h in _analogy_mistakes(wv, a, b, c) if ans == got), None)
            raise Fail(f"{a} : {b} :: {c} : ? expected {want!r}, got {got!r}"
                       + (f": {hint}" if hint else ""))
        return feedback(True, f"analogy ({len(QUESTIONS)}/{len(QUESTIONS)} questions answered "
                        "like WordVectors.analogy)")
    return run_check("analogy", body)


# --- 3. the embedding backward --------------------------------------------------------------------
def _embedding_backward(dout, ids, n_words):
    dE = np.zeros((n_words, dout.shape[-1]))
    np.add.at(dE, ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dE


def _fancy_assign(dout, ids, n_words):
    dE = np.zeros((n_words, dout.shape[-1]))
    dE[ids.reshape(-1)] += dout.reshape(-1, dout.shape[-1])
    return dE


def check_embedding_backward(embedding_backward: Callable) -> bool:
    """``embedding_backward(dout (N, ..., n_features), ids (N, ...), n_words) -> dE
    (n_words, n_features)`` of out = E[ids]: each row sums the gradients of every position
    that looked it up."""
    from companion.nn.layers.embedding import embedding_backward as package_backward
    from companion.nn.layers.embedding import embedding_forward
    rng = np.random.default_rng(3)
    cases = [Case((rng.standard_normal((2, 3, 3)), np.array([[1, 4, 1], [0, 1, 6]]), 7),
                  label="word 1 used three times"),
             Case((rng.standard_normal((1, 2, 4)), np.array([[2, 5]]), 6), label="no repeats"),
             Case((rng.standard_normal((4, 2)), np.array([3, 3, 3, 0]), 5),
                  label="ids of shape (N,)")]
    mistakes = planted({
        "fancy assign": _fancy_assign,
        "divided by N": lambda d, ids, n: _embedding_backward(d, ids, n) / d.shape[0],
    }, HINTS["embedding_backward"])

    def reference(dout, ids, n_words):
        cache = embedding_forward(ids, np.zeros((n_words, dout.shape[-1])))[1]
        return package_backward(dout, cache)[1][0]
    return check("embedding backward", embedding_backward, reference, cases, mistakes,
                 returns="dE, an array (n_words, n_features)", pure=True)


# --- 4. the skip-gram negative-sampling loss and gradients ----------------------------------------
NAMES = ("loss", "dW_in", "dW_out")


def _sgns_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    cases = []
    for n_words, D, B, K, label in ((12, 5, 3, 4, "centers repeat (word 3 twice)"),
                                    (8, 3, 1, 2, "a batch of one pair"),
                                    (20, 4, 6, 5, "6 pairs, 5 negatives")):
        W_in, W_out = rng.standard_normal((n_words, D)) * 0.5, rng.standard_normal((n_words, D))
        centers = rng.integers(0, n_words, B)
        if B == 3:
            centers = np.array([3, 1, 3])
        cases.append(Case((W_in, W_out * 0.5, centers, rng.integers(0, n_words, B),
                           rng.integers(0, n_words, (B, K))), label=label))
    return cases


def _sgns_bug(bug: str):
    def loss_and_grads(W_in, W_out, centers, contexts, negatives):
        B = len(centers)
        out_ids = np.concatenate([contexts[:, None], negatives], axis=1)       # (B, 1+K)
        v, U = W_in[centers], W_out[out_ids]
        sign = np.r_[1.0, (1.0 if bug == "negative sign" else -1.0) * np.ones(negatives.shape[1])]
        z = np.einsum("bd,bkd->bk", v, U) * sign
        scale = 1.0 if bug == "sum" else 1.0 / B
        loss = float(np.logaddexp(0, -z).sum() * scale)
        ds = -sign * scale / (1 + np.exp(z))                                 # -sign sigma(-z)
        dv, dU = np.einsum("bk,bkd->bd", ds, U), ds[:, :, None] * v[:, None, :]
        dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
        if bug == "assign":
            dW_in[centers] += dv
            dW_out[out_ids.reshape(-1)] += dU.reshape(-1, v.shape[1])
        else:
            np.add.at(dW_in, centers, dv)
            np.add.at(dW_out, out_ids.reshape(-1), dU.reshape(-1, v.shape[1]))
        return loss, dW_in, dW_out
    return loss_and_grads


def _sgns_reference(W_in, W_out, centers, contexts, negatives):
    """The package's pair in the exercise's shape: (loss, dW_in, dW_out)."""
    loss, cache = sgns_forward(W_in, W_out, centers, contexts, negatives)
    return (loss, *sgns_backward(1.0, cache)[1])


def check_sgns(sgns_loss_and_grads: Callable) -> bool:
    """``sgns_loss_and_grads(W_in, W_out, centers (B,), contexts (B,), negatives (B, K)) ->
    (loss, dW_in, dW_out)``: the mean over the B pairs of -log σ(u_o.v_c) - Σ_k log
    σ(-u_nk.v_c), and its gradients with W_in's and W_out's shapes."""
    mistakes = planted(_sgns_bug, HINTS["sgns"])
    return check("skip-gram loss and gradients", sgns_loss_and_grads, _sgns_reference,
                 _sgns_cases(), mistakes, returns="the tuple (loss, dW_in, dW_out)",
                 names=NAMES, pure=True)


# --- 5. neutralise and equalise a pair -------------------------------------------------------------
def _debias_cases() -> list[Case]:
    """(e1, e2, g): unit word-like vectors and directions g that are not unit length."""
    rng = np.random.default_rng(15)
    cases = []
    for d, g_scale, label in ((4, 3.0, "D=4, |g|=3"), (50, 0.2, "D=50, |g|=0.2"),
                              (2, 5.0, "D=2, |g|=5")):
        e1, e2 = normalize_rows(rng.standard_normal((2, d)))
        g = rng.standard_normal(d)
        cases.append(Case((e1, e2, g * g_scale / np.linalg.norm(g)), label=label))
    return cases


def _equalise_bug(bug: str):
    def equalise_bug(e1, e2, g):
        gu = g if bug.startswith("g") else g / np.linalg.norm(g)
        mu = (e1 + e2) / 2
        nu = mu - (mu @ gu) * gu
        if bug == "added":
            nu = mu + (mu @ gu) * gu
        if bug == "once":
            nu = mu - (mu @ g) * g / np.linalg.norm(g)
        if bug == "no rescaling":
            return nu + ((e1 - mu) @ gu) * gu, nu + ((e2 - mu) @ gu) * gu
        if bug == "mu kept":
            nu = mu
        side = np.sign((e1 - mu) @ gu)
        step = gu / np.linalg.norm(gu) if bug == "g, then unit sides" else gu
        scale = np.sqrt(1 - nu @ nu)                  # NaN when |ν| > 1, as the learner's is
        return nu + side * scale * step, nu - side * scale * step
    return equalise_bug


def check_equalise(equalise_fn: Callable) -> bool:
    """``equalise(e1 (D,), e2 (D,), g (D,)) -> (e1', e2')``: with μ = (e1 + e2)/2 and
    ν = μ - (μ.ĝ)ĝ, e_i' = ν ± sqrt(1 - |ν|²) ĝ, the sign of (e_i - μ).ĝ."""
    def variant(bug):                       # "g": g not normalised, before or after the sides
        return [_equalise_bug("g"), _equalise_bug("g, then unit sides")] if bug == "g" else \
            _equalise_bug(bug)
    mistakes = planted(variant, HINTS["equalise"])
    return check("equalise", equalise_fn, equalise, _debias_cases(), mistakes,
                 returns="the pair (e1', e2'), a tuple of two arrays (D,)",
                 names=("e1'", "e2'"), pure=True)
