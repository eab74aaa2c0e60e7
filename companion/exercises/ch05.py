"""Chapter 5 exercises: random mini-batches, the bias-corrected moving average, one step of
Adam, a learning-rate schedule, and mini-batch Adam training logistic regression.

Each ``check_*`` compares the learner's function with the package (``nn.train``, ``nn.optim``,
``chapters.ch05``) on several cases and names the likely mistake (no bias correction, the
notes' corrected averages fed back, epsilon outside the root, a dropped last batch...).
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import Case, Fail, check, hints, planted

HINTS = hints("ch05")


# --- random mini-batches ---------------------------------------------------------------------------
def _batches_run(random_mini_batches):
    """The learner's list of (X_batch, Y_batch) as arrays: (X rows in batch order, Y rows,
    batch sizes), from (X, Y, batch_size, rng)."""
    def run(X, Y, batch_size, rng):
        got = random_mini_batches(X, Y, batch_size, rng)
        if got is None:
            return None
        try:
            pairs = [(xb, yb) for xb, yb in got]
        except (TypeError, ValueError):
            raise Fail("return a list of (X_batch, Y_batch) pairs") from None
        if not all(isinstance(a, np.ndarray) for pair in pairs for a in pair):
            kind = next(type(a).__name__ for pair in pairs for a in pair
                        if not isinstance(a, np.ndarray))
            raise Fail(f"a batch holds a {kind}: each X_batch and Y_batch is a NumPy array "
                       "(rows of X and Y)")
        if not pairs:
            raise Fail("the list of batches is empty: every example belongs to one batch")
        if any(x.ndim != X.ndim or y.ndim != Y.ndim for x, y in pairs):
            raise Fail(f"a batch has shape {next(x.shape for x, _ in pairs)}: each X_batch is "
                       f"a block of rows of X (batch, {X.shape[1]}), each Y_batch of Y")
        return (np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs]),
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


BATCH_MISTAKES = planted(lambda bug: _batches_run(_batches_bug(bug)), HINTS["batch"])


def check_mini_batches(random_mini_batches) -> bool:
    """``random_mini_batches(X (m, n), Y (m, k), batch_size, rng) -> [(X_batch, Y_batch), ...]``:
    one permutation perm = rng.permutation(m), then X[perm], Y[perm] cut in order into batches
    of batch_size, the last one smaller when batch_size does not divide m."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 3)), np.arange(10.0)[:, None]
    gen = np.random.default_rng
    cases = [Case((X, Y, 4, gen(0)), label="m=10, batch 4: a last batch of 2"),
             Case((X[:8], Y[:8], 4, gen(1)), label="m=8, batch 4"),
             Case((X[:5], Y[:5], 8, gen(2)), label="m=5, batch 8: one partial batch"),
             Case((X[:1], Y[:1], 3, gen(3)), label="m=1")]
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


EWA_MISTAKES = planted({
    "raw": _ewa_raw,
    "corrected fed back": _ewa_notes,
    "t from 0": _ewa_t_from_0,
}, HINTS["ewa"])


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


ADAM_MISTAKES = planted(_adam_bug, HINTS["adam"])


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


SCHEDULE_MISTAKES = planted(_schedule_bug, HINTS["schedule"])


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


# --- mini-batch Adam training logistic regression -----------------------------------------------
def _train_adam(X, y, batch_size, epochs, learning_rate, rng):
    from companion.chapters.ch05 import minibatch_logistic_adam
    return minibatch_logistic_adam(X, y, batch_size, epochs, learning_rate, rng)


def _train_adam_bug(kind: str, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    def train(X, y, batch_size, epochs, learning_rate, rng):
        w, b, t, losses = np.zeros(X.shape[1]), 0.0, 0, []
        m, v = [np.zeros_like(w), 0.0], [np.zeros_like(w), 0.0]
        for epoch in range(epochs):
            if kind != "one permutation" or epoch == 0:
                order = rng.permutation(len(X))
            if kind == "reset per epoch":
                t, m, v = 0, [np.zeros_like(w), 0.0], [np.zeros_like(w), 0.0]
            for k in range(0, len(X), batch_size):
                Xb, yb = X[order[k:k + batch_size]], y[order[k:k + batch_size]]
                z = Xb @ w + b
                dz = (1 / (1 + np.exp(-z)) - yb) / (len(X) if kind == "divide by m" else len(yb))
                t += 1
                new = []
                for i, (p, g) in enumerate(((w, Xb.T @ dz), (b, dz.sum()))):
                    m[i] = beta_1 * m[i] + (1 - beta_1) * g
                    v[i] = beta_2 * v[i] + (1 - beta_2) * g * g
                    step = learning_rate * (m[i] / (1 - beta_1 ** t)) / (
                        np.sqrt(v[i] / (1 - beta_2 ** t)) + epsilon)
                    new.append(p if kind == "no bias" and i == 1 else p - step)
                w, b = new
                z_after = Xb @ w + b
                losses.append(float(np.mean(np.logaddexp(0.0, z_after if kind == "loss after"
                                                          else z) - yb * (z_after if kind ==
                                                                          "loss after" else z))))
        return w, float(b), np.array(losses)
    return train


TRAIN_ADAM_MISTAKES = planted(_train_adam_bug, HINTS["train_adam"])


def check_train_adam(train_logistic_adam) -> bool:
    """``train_logistic_adam(X (m, n), y (m,), batch_size, epochs, learning_rate, rng) -> (w
    (n,), b, losses (steps,))``: from w = 0, b = 0, every epoch new mini-batches from ``rng``,
    one paper-Adam step (beta_1 0.9, beta_2 0.999, epsilon 1e-8, t counted across epochs) per
    batch on the mean logistic loss; losses[k] is batch k's loss before its step."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((10, 3)) * np.array([1.0, 3.0, 0.3])
    y = (X @ np.array([1.0, -0.5, 2.0]) + 0.3 * rng.standard_normal(10) > 0).astype(float)
    gen = np.random.default_rng
    cases = [Case((X, y, 10, 1, 0.1, gen(0)), label="1 epoch, one full batch"),
             Case((X, y, 4, 1, 0.1, gen(1)), label="1 epoch, batches of 4, 4 and 2"),
             Case((X, y, 4, 3, 0.05, gen(2)), label="3 epochs of 3 batches"),
             Case((X[:5], y[:5], 1, 2, 0.2, gen(3)), label="batch size 1, 2 epochs")]
    return check("mini-batch Adam on the logistic loss", train_logistic_adam, _train_adam,
                 cases, TRAIN_ADAM_MISTAKES, returns="the tuple (w, b, losses)",
                 names=("w", "b", "losses"))
