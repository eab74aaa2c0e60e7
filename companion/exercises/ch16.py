"""Chapter 16 exercises: the inverse-square-root warmup schedule (Vaswani et al. 2017), linear
warmup + cosine decay (Keras' ``CosineDecay`` with ``warmup_target``), the label-smoothed
sequence cross-entropy from the logits with its gradient, and a pre-LN stack's forward pass
(its blocks, then the final LayerNorm).

References: ``companion.nn.optim`` (``InverseSqrtSchedule``, ``CosineDecay``),
``companion.nn.losses.smoothed_sequence_crossentropy`` and
``companion.nn.layers.TransformerBlock(norm_first=True)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, call, check, hints, order_sentence, planted, recorder
from companion.nn.activations import softmax
from companion.nn.layers import TransformerBlock
from companion.nn.losses import smoothed_sequence_crossentropy
from companion.nn.optim import CosineDecay, InverseSqrtSchedule

HINTS = hints("ch16")


# --- 1. the inverse-square-root schedule ----------------------------------------------------------
def _inverse(step, d_model, warmup_steps):
    return InverseSqrtSchedule(d_model, warmup_steps)(step)


def _inverse_bug(bug: str):
    def lr(step, d_model, warmup_steps):
        s = np.asarray(step, dtype=float) + (0.0 if bug == "from 0" else 1.0)
        rise = s * warmup_steps ** (-0.5 if bug == "w^-0.5" else -1.5)
        core = np.maximum(s ** -0.5, rise) if bug == "max" else np.minimum(s ** -0.5, rise)
        return core if bug == "no d_model" else d_model ** -0.5 * core
    return lr


def check_inverse_sqrt(lr: Callable) -> bool:
    """``lr(step (S,) ints from 0, d_model, warmup_steps) -> (S,)``:
    d_model^-1/2 min(s^-1/2, s w^-3/2) with s = step + 1."""
    cases = [Case((np.arange(0, 12), 16, 4), label="steps 0..11, d_model 16, warmup 4"),
             Case((np.array([0]), 512, 4000), label="step 0 only (batch of 1)"),
             Case((np.array([198, 199, 200, 201]), 128, 200),
                  label="around the warmup boundary 200"),
             Case((np.array([5, 1000, 99999]), 64, 10), label="long after warmup")]
    mistakes = planted(_inverse_bug, HINTS["inverse_sqrt"])
    return check("inverse-square-root schedule", lr, _inverse, cases, mistakes,
                 returns="an array of learning rates, one per step")


# --- 2. linear warmup + cosine decay --------------------------------------------------------------
def _cosine(step, peak, warmup_steps, decay_steps, alpha):
    return CosineDecay(0.0, decay_steps, alpha=alpha, warmup_target=peak,
                       warmup_steps=warmup_steps)(step)


def _cosine_bug(bug: str):
    def lr(step, peak, warmup_steps, decay_steps, alpha):
        step = np.asarray(step, dtype=float)
        start = 0.0 if bug == "from 0" else warmup_steps
        p = (step - start) / decay_steps
        p = p if bug == "no clip" else np.clip(p, 0.0, 1.0)
        cos = 0.5 * (1 + np.cos(np.pi * p))
        decayed = peak * cos + alpha if bug == "alpha" else peak * ((1 - alpha) * cos + alpha)
        warm = peak * (step + (1 if bug == "step + 1" else 0)) / max(warmup_steps, 1)
        return np.where(step < warmup_steps, warm, decayed)
    return lr


def check_warmup_cosine(lr: Callable) -> bool:
    """``lr(step (S,) ints from 0, peak, warmup_steps, decay_steps, alpha) -> (S,)``: peak *
    step / w during warmup, then peak ((1 - alpha) (1 + cos(pi p)) / 2 + alpha) with
    p = min(step - w, decay_steps) / decay_steps."""
    cases = [Case((np.arange(0, 14), 1.0, 4, 8, 0.0), label="steps 0..13, warmup 4, decay 8"),
             Case((np.array([0]), 3e-3, 200, 1000, 0.1), label="step 0 only (batch of 1)"),
             Case((np.array([199, 200, 201, 700, 1200, 1500]), 3e-3, 200, 1000, 0.1),
                  label="warmup boundary 200, then past the end of the decay"),
             Case((np.arange(0, 6), 0.5, 0, 4, 0.2), label="no warmup (w = 0)")]
    mistakes = planted(_cosine_bug, HINTS["warmup_cosine"])
    return check("linear warmup + cosine decay", lr, _cosine, cases, mistakes,
                 returns="an array of learning rates, one per step")


# --- 3. label-smoothed sequence cross-entropy and its gradient -------------------------------------
def _smoothed(logits, y, mask, eps):
    return smoothed_sequence_crossentropy(softmax(logits, axis=-1), y, mask, eps)


def _smoothed_bug(bug: str):
    def loss(logits, y, mask, eps):
        z = logits - logits.max(-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        V = logits.shape[-1]
        onehot = np.eye(V)[y]
        q = (1 - eps) * onehot + (eps / (V - 1) * (1 - onehot) if bug == "V-1" else eps / V)
        w = mask.astype(float)
        n = w.size if bug == "all positions" else w.sum()
        value = -np.sum((q * logp).sum(-1) * w) / n
        target = onehot if bug == "one-hot grad" else q
        return float(value), (np.exp(logp) - target) * (w / n)[..., None]
    return loss


def _smoothing_cases():
    rng = np.random.default_rng(16)
    cases = []
    for N, T, V, eps, shift, label in ((2, 5, 6, 0.1, 0.0, "N=2, T=5, V=6, eps 0.1"),
                                       (1, 1, 4, 0.2, 0.0, "batch of 1, one position"),
                                       (3, 4, 7, 0.1, 1000.0, "large logits (1000 + noise)"),
                                       (2, 3, 5, 0.0, 0.0, "eps = 0: the plain loss")):
        logits = shift + 3 * rng.standard_normal((N, T, V))
        y = rng.integers(0, V, (N, T))
        mask = np.ones((N, T), dtype=bool)
        if N > 1:
            mask[-1, T // 2:] = False             # the last sequence is padded
        cases.append(Case((logits, y, mask, eps), label=label))
    return cases


def check_smoothed_loss(loss: Callable) -> bool:
    """``loss(logits (N, T, V), y (N, T) ints, mask (N, T) bool, eps) -> (value float,
    dlogits (N, T, V))``: the mean over counted positions of -sum_v q_v log softmax(z)_v with
    q = (1 - eps) one_hot(y) + eps / V, and its gradient (softmax(z) - q) * mask / count."""
    mistakes = planted(_smoothed_bug, HINTS["smoothed_loss"])
    return check("label-smoothed cross-entropy", loss, _smoothed, _smoothing_cases(), mistakes,
                 returns="the tuple (value, dlogits)", names=("value", "dlogits"))


# --- 4. a pre-LN stack, forward -------------------------------------------------------------------
def _pre_ln_parts(seed: int, N: int, T: int, depth: int):
    """x (N, T, 8), ``depth`` pre-LN blocks as (attend, feed_forward, norm1, norm2) tuples and
    the stack's final norm; the blocks are kept on ``final_norm.blocks`` for the reference."""
    from companion.nn.layers import LayerNormalization
    rng = np.random.default_rng(seed)
    blocks, parts = [], []
    for _ in range(depth):
        block = TransformerBlock(8, 2, 12, norm_first=True)
        block.build((None, 8), rng)
        for p in block.params.values():
            p += 0.3 * rng.standard_normal(p.shape)
        sub = block.sublayers
        blocks.append(block)
        parts.append((lambda x, a=sub["attention"]: a.forward(x, use_causal_mask=True),
                      lambda x, f1=sub["ff1"], f2=sub["ff2"]: f2.forward(f1.forward(x)),
                      sub["norm1"].forward, sub["norm2"].forward))
    norm = LayerNormalization()
    norm.build((None, 8), rng)
    norm.params["gamma"] += 0.3 * rng.standard_normal(8)
    norm.params["beta"] += 0.3 * rng.standard_normal(8)

    def final_norm(x):
        return norm.forward(x)
    final_norm.blocks = blocks                      # the reference's own forward passes
    x = 3 * rng.standard_normal((N, T, 8)) + 2
    return x, parts, final_norm


def _pre_ln_bug(bug: str):
    def stack(x, blocks, final_norm):
        for attend, feed_forward, norm1, norm2 in blocks:
            if bug == "post-LN":
                x = norm1(x + attend(x))
                x = norm2(x + feed_forward(x))
            elif bug == "normed residual":
                h = norm1(x)
                x = h + attend(h)
                h = norm2(x)
                x = h + feed_forward(h)
            elif bug == "skip from x":
                x = x + feed_forward(norm2(x + attend(norm1(x))))
            else:
                x = x + attend(norm1(x))
                x = x + feed_forward(norm2(x))
            if bug == "norm per block":
                x = final_norm(x)
            if bug == "first only":
                break
        return x if bug in ("no final norm", "norm per block") else final_norm(x)
    return stack


def _stack_order(stack_forward: Callable) -> str | None:
    """Which call of the learner's stack comes out of order (per block: norm1, attend, norm2,
    feed_forward; then final_norm once), found by recording the calls on two blocks."""
    log: list = []
    x, parts, final_norm = _pre_ln_parts(0, 2, 5, 2)
    names = ("attend", "feed_forward", "norm1", "norm2")
    blocks = [tuple(recorder(log, f"{n} of block {i}", fn) for n, fn in zip(names, part))
              for i, part in enumerate(parts, start=1)]
    call(stack_forward, x, blocks, recorder(log, "final_norm", final_norm),
         returns="the stack's output")
    return order_sentence(log, [f"{n} of block {i}" for i in (1, 2)
                                for n in ("norm1", "attend", "norm2", "feed_forward")] +
                          ["final_norm"])


def check_pre_ln_stack(stack_forward: Callable) -> bool:
    """``stack_forward(x (N, T, d), blocks, final_norm) -> (N, T, d)``: for each (attend,
    feed_forward, norm1, norm2) of ``blocks`` in order, x = x + attend(norm1(x)) then
    x = x + feed_forward(norm2(x)); then final_norm(x) once."""
    cases = [Case(_pre_ln_parts(s, N, T, depth), label=f"N={N}, T={T}, {depth} block"
                  f"{'s' if depth > 1 else ''}" + (" (batch of 1, one position)" if N == 1
                                                    else "")) for s, N, T, depth in
             ((0, 2, 5, 2), (1, 1, 1, 1), (2, 3, 7, 3))]

    def reference(x, blocks, final_norm):
        for block in final_norm.blocks:
            x = block.forward(x, causal=True)
        return final_norm(x)
    mistakes = planted(_pre_ln_bug, HINTS["pre_ln_stack"])
    return check("pre-LN stack", stack_forward, reference, cases, mistakes,
                 returns="the stack's output (N, T, d_model)", diagnose=_stack_order)
