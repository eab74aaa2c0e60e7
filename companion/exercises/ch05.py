"""Chapter 5 exercises: a bias-corrected moving average, and one step of Adam done right."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check


def _series(seed=0, n=30):
    return np.random.default_rng(seed).normal(10.0, 2.0, n)


def check_ewa(ewa_corrected) -> bool:
    """``ewa_corrected(theta, beta) -> v`` (same length): v_t = beta v_{t-1} + (1-beta) theta_t
    from v_0 = 0, reported as v_t / (1 - beta^t); the uncorrected v_t is what recurses."""
    from companion.chapters.ch05 import ewa, notes_ewa

    def run(*_):
        for beta in (0.5, 0.9, 0.98):
            theta = _series(int(beta * 100))
            got = np.asarray(ewa_corrected(theta.copy(), beta), dtype=float)
            want = ewa(theta, beta, bias_correction=True)
            if got.shape != want.shape:
                return feedback(False, "bias-corrected average",
                                f"returned shape {got.shape}, expected {want.shape}")
            if np.allclose(got, want):
                continue
            if np.allclose(got, ewa(theta, beta)):
                return feedback(False, "bias-corrected average", f"beta={beta}: these are the "
                                "raw averages; divide each v_t by (1 - beta^t) (t from 1)")
            if np.allclose(got, notes_ewa(theta, beta)):
                return feedback(False, "bias-corrected average", f"beta={beta}: you fed the "
                                "corrected value back into the recursion (the notes' slip); keep "
                                "the raw v_t for the next step and correct only what you report")
            t = int(np.argmax(~np.isclose(got, want)))
            return feedback(False, "bias-corrected average", f"beta={beta}: first wrong at "
                            f"t={t + 1}: expected {want[t]:.4f}, got {got[t]:.4f}")
        return feedback(True, "bias-corrected average matches for beta = 0.5, 0.9, 0.98")
    return run_check("bias-corrected average", run)


def check_adam_step(adam_step) -> bool:
    """``adam_step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon) -> (w, m, v)``:
    the paper's Adam, returning the *uncorrected* m and v for the next step."""
    from companion.chapters.ch05 import BiasCorrectedAdam, NotesAdam

    def trajectory(cls_or_fn, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
        w, m, v = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3)
        if isinstance(cls_or_fn, type):
            opt = cls_or_fn(lr, b1, b2, eps)
            state, out = opt.init([w]), []
            for g in grads:
                upd, state = opt.update([g], state)
                w = w + upd[0]
                out.append(w.copy())
            return out
        out = []
        for t, g in enumerate(grads, start=1):
            w, m, v = cls_or_fn(w.copy(), g.copy(), m, v, t, lr, b1, b2, eps)
            out.append(np.asarray(w, dtype=float).copy())
        return out

    def run(*_):
        grads = list(np.random.default_rng(5).standard_normal((6, 3)))
        got = trajectory(adam_step, grads)
        want = trajectory(BiasCorrectedAdam, grads)
        notes = trajectory(NotesAdam, grads)
        for t, (a, b) in enumerate(zip(got, want), start=1):
            if np.allclose(a, b, rtol=1e-7, atol=1e-12):
                continue
            if t > 1 and np.allclose(a, notes[t - 1]):
                return feedback(False, "Adam step", f"right at t=1, wrong from t={t}: you "
                                "returned the bias-corrected m and v (the notes' pseudocode); "
                                "return the raw averages and correct only for the step")
            if t == 1:
                return feedback(False, "Adam step", f"already wrong at t=1: expected w={b}, got "
                                f"{a}. At t=1, m-hat = g and v-hat = g^2, so the step is about "
                                "-learning_rate * sign(g)")
            return feedback(False, "Adam step", f"first wrong at t={t}: expected {b}, got {a}")
        return feedback(True, "Adam step: six steps agree with the paper's algorithm")
    return run_check("Adam step", run)
