"""Chapter 4 exercises: inverted dropout, the notes' lambda in Keras units, He's standard deviation."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def check_inverted_dropout(dropout) -> bool:
    """``dropout(a, mask, keep_prob) -> (out, backward)`` with ``backward(dout) -> da``."""
    def run(*_):
        rng = np.random.default_rng(7)
        a, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
        keep = 0.8
        mask = (rng.random((5, 4)) < keep).astype(float)
        out, backward = dropout(a.copy(), mask.copy(), keep)
        out = np.asarray(out, dtype=float)
        if out.shape != a.shape:
            return feedback(False, "inverted dropout", f"output has shape {out.shape}, "
                            f"expected {a.shape} (dropout keeps the activations' shape)")
        if np.allclose(out, a * mask):
            return feedback(False, "inverted dropout", "you zeroed the units but forgot to "
                            "divide by keep_prob (the 'inverted' part, which keeps E[out] = a)")
        if np.allclose(out, a * (1 - mask) / keep):
            return feedback(False, "inverted dropout", "your mask is the wrong way round: "
                            "mask == 1 means the unit is kept")
        if not np.allclose(out, a * mask / keep):
            return feedback(False, "inverted dropout", "forward output should be a * mask / "
                            "keep_prob")
        da = np.asarray(backward(dout), dtype=float)
        if np.allclose(da, dout):
            return feedback(False, "inverted dropout", "the backward pass must apply the same "
                            "mask (and 1/keep_prob) as the forward pass")
        if not np.allclose(da, dout * mask / keep):
            return feedback(False, "inverted dropout", "backward should return dout * mask / "
                            "keep_prob")
        return feedback(True, "inverted dropout: forward and backward reuse the same mask")
    return run_check("inverted dropout", run)


def check_keras_l2(keras_l2) -> bool:
    """``keras_l2(lam, m) -> l2`` so that l2 * sum(w^2) == (lam / 2m) * sum(w^2)."""
    def run(*_):
        for lam, m in ((0.7, 100), (3.0, 150), (1e-2, 1)):
            got = float(keras_l2(lam, m))
            want = lam / (2 * m)
            if np.isclose(got, lam / m):
                return feedback(False, "notes lambda -> Keras l2", "you dropped the 1/2: the "
                                "notes' penalty is (lambda / 2m) sum w^2")
            if np.isclose(got, lam):
                return feedback(False, "notes lambda -> Keras l2", "Keras adds l2 * sum(w^2) "
                                "to the *mean* loss, so lambda must be divided by 2m")
            if not np.isclose(got, want):
                return feedback(False, "notes lambda -> Keras l2",
                                f"for lambda={lam}, m={m} got {got:.4g}, expected {want:.4g}")
        return feedback(True, "notes lambda -> Keras l2 = lambda / (2m)")
    return run_check("notes lambda -> Keras l2", run)


def check_he_std(he_std) -> bool:
    """``he_std(n_in) -> std`` of He initialisation (untruncated normal)."""
    def run(*_):
        for n in (3, 50, 100, 784):
            got = float(he_std(n))
            if np.isclose(got, 1.0):
                return feedback(False, "He std", "that is the notes' 'variance of 1'; He's "
                                "variance is 2 / n_in")
            if np.isclose(got, 2.0 / n):
                return feedback(False, "He std", "2 / n_in is the variance; the standard "
                                "deviation is its square root")
            if np.isclose(got, np.sqrt(1.0 / n)):
                return feedback(False, "He std", "sqrt(1 / n_in) is LeCun/Xavier's choice; "
                                "ReLU halves the variance, so He doubles it: sqrt(2 / n_in)")
            if not np.isclose(got, np.sqrt(2.0 / n)):
                return feedback(False, "He std", f"for n_in={n} got {got:.4g}, expected "
                                f"{np.sqrt(2.0 / n):.4g}")
        return feedback(True, "He std = sqrt(2 / n_in)")
    return run_check("He std", run)
