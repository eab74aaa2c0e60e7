"""Checks for chapter 12's exercises (word embeddings). Each prints what is wrong, never raises."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def check_cosine_similarity(fn) -> bool:
    """``fn(u, v)``: cosine similarity of two 1-D vectors."""
    def run(fn):
        rng = np.random.default_rng(12)
        cases = [(np.array([1.0, 0.0]), np.array([0.0, 2.0]), 0.0),
                 (np.array([1.0, 2.0]), np.array([2.0, 4.0]), 1.0),
                 (np.array([1.0, 2.0]), np.array([-3.0, -6.0]), -1.0)]
        u, v = rng.standard_normal(50), rng.standard_normal(50)
        cases.append((u, v, float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))))
        for u, v, want in cases:
            got = float(fn(u, v))
            if not np.isclose(got, want, atol=1e-9):
                hint = (" (did you forget to divide by the lengths |u| |v|?)"
                        if np.isclose(got, u @ v) else "")
                return feedback(False, "cosine_similarity",
                                f"for u={np.round(u[:4], 3)}..., v={np.round(v[:4], 3)}... "
                                f"expected {want:.4f}, got {got:.4f}{hint}")
        return feedback(True, "cosine_similarity: matches u.v / (|u| |v|) on 4 cases")
    return run_check("cosine_similarity", run, fn)


def check_analogy(fn, wv) -> bool:
    """``fn(wv, a, b, c)``: the single best answer to a : b :: c : ? (a string)."""
    questions = [("man", "woman", "king"), ("france", "paris", "japan"),
                 ("big", "bigger", "small"), ("walk", "walked", "swim"),
                 ("good", "better", "bad")]

    def run(fn, wv):
        for a, b, c in questions:
            want = wv.analogy(a, b, c)[0][0]
            got = fn(wv, a, b, c)
            if got != want:
                hint = ""
                if got in (a, b, c):
                    hint = " -- exclude the three question words from the candidates"
                return feedback(False, "analogy", f"{a} : {b} :: {c} : ? expected {want!r}, "
                                f"got {got!r}{hint}")
        return feedback(True, f"analogy: {len(questions)} questions answered like "
                        "WordVectors.analogy")
    return run_check("analogy", run, fn, wv)


def check_embedding_backward(fn) -> bool:
    """``fn(dout, ids, n_words)``: dE (n_words, n_features) of out = E[ids]."""
    def run(fn):
        rng = np.random.default_rng(3)
        ids = np.array([[1, 4, 1], [0, 1, 6]])              # word 1 used three times
        dout = rng.standard_normal(ids.shape + (3,))
        want = np.zeros((7, 3))
        np.add.at(want, ids.reshape(-1), dout.reshape(-1, 3))
        got = np.asarray(fn(dout, ids, 7))
        if got.shape != want.shape:
            return feedback(False, "embedding backward",
                            f"expected shape (n_words, n_features) = {want.shape}, got {got.shape}")
        if not np.allclose(got, want):
            wrong_rows = np.flatnonzero(~np.isclose(got, want).all(axis=1)).tolist()
            hint = (" -- a repeated id must add up all its gradients (dE[ids] += dout keeps "
                    "only one of them; use np.add.at)" if wrong_rows == [1] else "")
            return feedback(False, "embedding backward", f"rows {wrong_rows} are wrong{hint}")
        return feedback(True, "embedding backward: scatter-add into the used rows, "
                        "repeated ids accumulated")
    return run_check("embedding backward", run, fn)
