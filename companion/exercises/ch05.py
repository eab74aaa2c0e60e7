"""Chapter 5 exercises: random mini-batches, the bias-corrected moving average, one step of
momentum, RMSProp and Adam, and a learning-rate schedule.

Each ``check_*`` compares the learner's function with the package (``nn.train``, ``nn.optim``,
``chapters.ch05``) on several cases and names the likely mistake (no bias correction, the
notes' corrected averages fed back, epsilon outside the root, a dropped last batch...).
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import Case, Fail, Mistake, check


# --- random mini-batches ---------------------------------------------------------------------------
def _batches_run(random_mini_batches):
    """The learner's list of (X_batch, Y_batch) as arrays: (X rows in batch order, Y rows,
    batch sizes), from (X, Y, batch_size, seed)."""
    def run(X, Y, batch_size, seed):
        got = random_mini_batches(X, Y, batch_size, np.random.default_rng(seed))
        if got is None:
            return None
        try:
            pairs = [(np.asarray(xb, dtype=float), np.asarray(yb, dtype=float)) for xb, yb in got]
        except (TypeError, ValueError):
            raise Fail("return a list of (X_batch, Y_batch) pairs") from None
        if not pairs:
            raise Fail("the list of batches is empty: every example belongs to one batch")
        return (np.concatenate([x.reshape(len(x), -1) for x, _ in pairs]),
                np.concatenate([y.reshape(len(y), -1) for _, y in pairs]),
                np.array([len(x) for x, _ in pairs]))
    run.__name__ = getattr(random_mini_batches, "__name__", "random_mini_batches")
    return run


def _batches_ref(X, Y, batch_size, rng):
    from companion.nn.train import minibatches
    return [(X[i], Y[i]) for i in minibatches(len(X), batch_size, rng)]


def _batches_bug(kind: str):
    def batches(X, Y, batch_size, rng):
        perm = rng.permutation(len(X))
        X_s, Y_s = X[perm], Y[perm]
        if kind == "no shuffle":
            X_s, Y_s = X, Y
        elif kind == "two permutations":
            Y_s = Y[rng.permutation(len(X))]
        stop = len(X) - len(X) % batch_size if kind == "drop last" else len(X)
        return [(X_s[k:k + batch_size], Y_s[k:k + batch_size]) for k in range(0, stop, batch_size)]
    return batches


BATCH_MISTAKES = [
    Mistake(_batches_run(_batches_bug("drop last")), "keep the last, smaller batch: with m "
            "examples and batch size b there are ceil(m / b) batches"),
    Mistake(_batches_run(_batches_bug("no shuffle")), "shuffle first: perm = "
            "rng.permutation(m), then cut X[perm] and Y[perm] into batches"),
    Mistake(_batches_run(_batches_bug("two permutations")), "use ONE permutation for X and Y: "
            "two draws separate every example from its label")]


def check_mini_batches(random_mini_batches) -> bool:
    """``random_mini_batches(X (m, n), Y (m, k), batch_size, rng) -> [(X_batch, Y_batch), ...]``:
    one permutation perm = rng.permutation(m), then X[perm], Y[perm] cut in order into batches
    of batch_size, the last one smaller when batch_size does not divide m."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 3)), np.arange(10.0)[:, None]
    cases = [Case((X, Y, 4, 0), label="m=10, batch 4: a last batch of 2"),
             Case((X[:8], Y[:8], 4, 1), label="m=8, batch 4"),
             Case((X[:5], Y[:5], 8, 2), label="m=5, batch 8: one partial batch"),
             Case((X[:1], Y[:1], 3, 3), label="m=1")]
    return check("random mini-batches", _batches_run(random_mini_batches),
                 _batches_run(_batches_ref), cases, BATCH_MISTAKES,
                 returns="a list of (X_batch, Y_batch) pairs",
                 names=("X rows in batch order", "Y rows in batch order", "batch sizes"))


# --- the bias-corrected moving average ---------------------------------------------------------------
def _ewa(theta, beta):
    from companion.chapters.ch05 import ewa
    return ewa(theta, beta, bias_correction=True)


def _ewa_raw(theta, beta):
    from companion.chapters.ch05 import ewa
    return ewa(theta, beta)


def _ewa_notes(theta, beta):
    from companion.chapters.ch05 import notes_ewa
    return notes_ewa(theta, beta)


def _ewa_t_from_0(theta, beta):
    return _ewa_raw(theta, beta) / (1 - beta ** np.arange(len(theta)))


EWA_MISTAKES = [
    Mistake(_ewa_raw, "these are the raw averages; report v_t / (1 - beta^t), t from 1"),
    Mistake(_ewa_notes, "you fed the corrected value back into the recursion (the notes' "
            "slip); keep the raw v_t for the next step and correct only what you report"),
    Mistake(_ewa_t_from_0, "t counts from 1: the first value is corrected by 1 - beta^1 "
            "(with t = 0 you divide by 1 - beta^0 = 0)")]


def check_ewa(ewa_corrected) -> bool:
    """``ewa_corrected(theta (T,), beta) -> (T,)``: v_t = beta v_{t-1} + (1 - beta) theta_t from
    v_0 = 0, reported as v_t / (1 - beta^t); the uncorrected v_t is what recurses."""
    cases = [Case((np.random.default_rng(int(b * 100)).normal(10.0, 2.0, 30), b),
                  label=f"beta={b}") for b in (0.5, 0.9, 0.98)]
    cases.append(Case((np.array([4.0]), 0.9), label="T=1"))
    return check("bias-corrected average", ewa_corrected, _ewa, cases, EWA_MISTAKES,
                 returns="the array of T corrected averages", names=("v",))


# --- one step of momentum, RMSProp, Adam ---------------------------------------------------------
def _state(seed: int, shape=(3, 2)):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape)


def _one_step(opt, w, g, slots: dict, t: int = 1):
    """(new w, new slots...) after one ``opt.update`` from the given slots at step t."""
    state = {"step": t - 1, **{k: [np.array(v, dtype=float)] for k, v in slots.items()}}
    upd, state = opt.update([g], state)
    return (w + upd[0],) + tuple(state[k][0] for k in slots)


def _momentum(w, g, v, learning_rate, beta):
    from companion.chapters.ch05 import EWAMomentum
    return _one_step(EWAMomentum(learning_rate, beta), w, g, {"v": v})


def _momentum_bug(kind: str):
    def step(w, g, v, learning_rate, beta):
        v_new = beta * v + (g if kind == "no 1-beta" else (1 - beta) * g)
        if kind == "old v":
            return w - learning_rate * v, v_new
        return (w + learning_rate * v_new if kind == "sign" else w - learning_rate * v_new), v_new
    return step


MOMENTUM_MISTAKES = [
    Mistake(_momentum_bug("no 1-beta"), "in the moving-average form, v = beta v + (1 - beta) g: "
            "you dropped the (1 - beta)"),
    Mistake(_momentum_bug("old v"), "update v first, then step with the NEW v: "
            "w - learning_rate * v_new"),
    Mistake(_momentum_bug("sign"), "step against the velocity: w - learning_rate * v")]


def check_momentum(momentum_step) -> bool:
    """``momentum_step(w, g, v, learning_rate, beta) -> (w, v)``: v = beta v + (1 - beta) g,
    then w = w - learning_rate * v (the moving-average form)."""
    w, g, v = _state(0)
    cases = [Case((w, g, np.zeros_like(w), 0.1, 0.9), label="first step, v = 0"),
             Case((w, g, v, 0.05, 0.9), label="v != 0"),
             Case((w[0], g[0], v[0], 0.5, 0.0), label="beta = 0: plain gradient descent")]
    return check("momentum step", momentum_step, _momentum, cases, MOMENTUM_MISTAKES,
                 returns="the tuple (w, v)", names=("w", "v"), pure=True)


def _rmsprop(w, g, s, learning_rate, rho, epsilon):
    from companion.nn.optim import RMSprop
    return _one_step(RMSprop(learning_rate, rho, epsilon), w, g, {"velocity": s})


def _rmsprop_bug(kind: str):
    def step(w, g, s, learning_rate, rho, epsilon):
        g2 = np.abs(g) if kind == "no square" else g * g
        s_new = s + g2 if kind == "sum" else rho * s + (1 - rho) * g2
        denom = (np.sqrt(s_new) + epsilon if kind == "eps outside" else
                 s_new + epsilon if kind == "no root" else np.sqrt(s_new + epsilon))
        return w - learning_rate * g / denom, s_new
    return step


RMSPROP_MISTAKES = [
    Mistake(_rmsprop_bug("sum"), "s = s + g^2 is AdaGrad's sum; RMSProp keeps a moving "
            "average: s = rho s + (1 - rho) g^2"),
    Mistake(_rmsprop_bug("no square"), "average the SQUARED gradient: g * g"),
    Mistake(_rmsprop_bug("no root"), "divide by the square root: g / sqrt(s + epsilon)"),
    Mistake(_rmsprop_bug("eps outside"), "Keras puts epsilon inside the root: "
            "g / sqrt(s + epsilon), not g / (sqrt(s) + epsilon)")]


def check_rmsprop(rmsprop_step) -> bool:
    """``rmsprop_step(w, g, s, learning_rate, rho, epsilon) -> (w, s)`` (Keras' RMSprop):
    s = rho s + (1 - rho) g^2, w = w - learning_rate * g / sqrt(s + epsilon)."""
    w, g, s = _state(1)
    s = s ** 2
    cases = [Case((w, g, np.zeros_like(w), 0.01, 0.9, 1e-7), label="first step, s = 0"),
             Case((w, g, s, 0.01, 0.9, 0.1), label="s != 0, epsilon = 0.1"),
             Case((w[:, 0], g[:, 0], s[:, 0], 0.1, 0.5, 0.01), label="a vector, rho = 0.5")]
    return check("RMSProp step", rmsprop_step, _rmsprop, cases, RMSPROP_MISTAKES,
                 returns="the tuple (w, s)", names=("w", "s"), pure=True)


def _adam(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    from companion.chapters.ch05 import BiasCorrectedAdam
    return _one_step(BiasCorrectedAdam(learning_rate, beta_1, beta_2, epsilon), w, g,
                     {"m": m, "v": v}, t)


def _adam_bug(kind: str):
    def step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * (g if kind == "no square" else g * g)
        tc = t + 1 if kind == "t+1" else t
        m_hat, v_hat = m / (1 - beta_1 ** tc), v / (1 - beta_2 ** tc)
        if kind == "no correction":
            m_hat, v_hat = m, v
        w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        return (w, m_hat, v_hat) if kind == "return corrected" else (w, m, v)
    return step


ADAM_MISTAKES = [
    Mistake(_adam_bug("no correction"), "no bias correction: step with m / (1 - beta_1^t) and "
            "v / (1 - beta_2^t)"),
    Mistake(_adam_bug("return corrected"), "you returned the bias-corrected m and v (the notes' "
            "pseudocode); return the raw averages and correct only for the step"),
    Mistake(_adam_bug("t+1"), "t is the number of this step, counted from 1: correct with "
            "1 - beta^t, not 1 - beta^(t+1)"),
    Mistake(_adam_bug("no square"), "v averages the SQUARED gradient: g * g")]


def check_adam(adam_step) -> bool:
    """``adam_step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon) -> (w, m, v)``: the
    paper's Adam at step t (from 1), returning the *uncorrected* m and v for the next step."""
    w, g, m = _state(2)
    v = m ** 2
    cases = [Case((w, g, np.zeros_like(w), np.zeros_like(w), 1, 0.01, 0.9, 0.999, 1e-8),
                  label="t=1, m = v = 0"),
             Case((w, g, m, v, 5, 0.01, 0.9, 0.999, 1e-8), label="t=5"),
             Case((w[0], g[0], m[0], v[0], 200, 0.1, 0.8, 0.99, 1e-3), label="t=200, a vector")]
    return check("Adam step", adam_step, _adam, cases, ADAM_MISTAKES,
                 returns="the tuple (w, m, v)", names=("w", "m", "v"), pure=True)


# --- a learning-rate schedule ------------------------------------------------------------------------
def _schedule(step, initial_learning_rate, decay_steps, decay_rate, staircase):
    from companion.nn.optim import InverseTimeDecay
    return InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)(step)


def _schedule_bug(kind: str):
    def lr(step, initial_learning_rate, decay_steps, decay_rate, staircase):
        p = np.asarray(step, dtype=float) / (1 if kind == "no decay_steps" else decay_steps)
        if (staircase and kind != "never floor") or kind == "always floor":
            p = np.floor(p)
        if kind == "exponential":
            return initial_learning_rate * decay_rate ** p
        return initial_learning_rate / (1 + decay_rate * p)
    return lr


SCHEDULE_MISTAKES = [
    Mistake(_schedule_bug("never floor"), "with staircase=True, round step / decay_steps DOWN "
            "(np.floor): the rate changes in stairs, once per decay_steps"),
    Mistake(_schedule_bug("always floor"), "round down only when staircase=True; otherwise "
            "the decay is smooth"),
    Mistake(_schedule_bug("no decay_steps"), "divide the step by decay_steps: the rate is "
            "halved (for decay_rate 1) after decay_steps steps, not after 1"),
    Mistake(_schedule_bug("exponential"), "that is exponential decay; inverse-time decay is "
            "initial_learning_rate / (1 + decay_rate * step / decay_steps)")]


def check_schedule(inverse_time_decay) -> bool:
    """``inverse_time_decay(step (array of ints), initial_learning_rate, decay_steps, decay_rate,
    staircase) -> learning rates``: lr0 / (1 + decay_rate * p), p = step / decay_steps
    (floor(p) when staircase), as Keras' InverseTimeDecay; the notes' per-epoch decay is
    decay_steps = steps per epoch with staircase=True."""
    steps = np.arange(0, 100, 7)
    cases = [Case((steps, 0.1, 34, 0.5, True), label="staircase, 34 steps per epoch"),
             Case((steps, 0.1, 34, 0.5, False), label="smooth"),
             Case((np.array([0, 1, 2, 3]), 1.0, 1, 1.0, True), label="decay every step"),
             Case((np.array([250]), 0.03, 20, 0.5, True), label="one step")]
    return check("inverse-time decay", inverse_time_decay, _schedule, cases, SCHEDULE_MISTAKES,
                 returns="the array of learning rates, one per step", names=("lr",))
