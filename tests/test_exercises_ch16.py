"""Chapter 16's exercise checkers: the notebook's own solutions (read from its collapsed solution
cells) pass, each planted mistake gets its hint, garbage gets one sentence, and realistic
mistakes nobody planted are rejected."""
import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, only_own_hint_test, rejected

from companion.exercises import ch16
from companion.exercises.checker import Mistake

SOL = notebook_solutions("16_training_the_transformer.ipynb")


def _planted(make, pairs):
    """Planted mistakes (the checker's own bug variants) with a phrase their hint must contain."""
    return [Mistake(make(bug), phrase) for bug, phrase in pairs]


MISTAKES = {
    ch16.check_inverse_sqrt: _planted(ch16._inverse_bug, (
        ("from 0", "s = step + 1"), ("max", "MINIMUM"), ("w^-0.5", "warmup_steps^(-3/2)"),
        ("no d_model", "d_model^(-1/2)"))),
    ch16.check_warmup_cosine: _planted(ch16._cosine_bug, (
        ("from 0", "starts when the warmup ends"), ("no clip", "clip p to at most 1"),
        ("alpha", "FRACTION of the peak"), ("step + 1", "starts at 0 at step 0"))),
    ch16.check_smoothed_loss: _planted(ch16._smoothed_bug, (
        ("V-1", "ALL V classes"), ("all positions", "COUNTED positions"),
        ("one-hot grad", "SMOOTHED target"))),
    ch16.check_pre_ln_stack: _planted(ch16._pre_ln_bug, (
        ("post-LN", "normalises each sublayer's INPUT"), ("normed residual", "carries x itself"),
        ("skip from x", "not the block's input"), ("no final norm", "end with final_norm(x)"),
        ("norm per block", "apply final_norm once"), ("first only", "run every block")))}
EXERCISES = [(ch16.check_inverse_sqrt, SOL["inverse_sqrt_lr"], None),
             (ch16.check_warmup_cosine, SOL["warmup_cosine_lr"], None),
             (ch16.check_smoothed_loss, SOL["smoothed_loss"], None),
             (ch16.check_pre_ln_stack, SOL["pre_ln_stack"], None)]
EXERCISES = [(c, s, MISTAKES[c]) for c, s, _ in EXERCISES]
test_solution_passes, test_each_planted_mistake_gets_its_hint, test_garbage_gets_one_sentence = \
    checker_tests(EXERCISES)


test_each_planted_mistake_gets_only_its_own_hint = only_own_hint_test(EXERCISES)


# --- realistic mistakes nobody planted: each must be rejected ----------------------------------
def _inverse_in_place(step, d_model, warmup_steps):
    step += 1                                          # changes the caller's array
    return d_model ** -0.5 * np.minimum(step ** -0.5, step * warmup_steps ** -1.5)


def _inverse_column(step, d_model, warmup_steps):
    return SOL["inverse_sqrt_lr"](step, d_model, warmup_steps)[:, None]        # (S, 1) for (S,)


def _inverse_list(step, d_model, warmup_steps):
    return [float(v) for v in SOL["inverse_sqrt_lr"](step, d_model, warmup_steps)]


def _inverse_python_min(step, d_model, warmup_steps):
    s = np.asarray(step, dtype=float) + 1
    return d_model ** -0.5 * min(s ** -0.5, s * warmup_steps ** -1.5)          # min of arrays


def _cosine_no_alpha(step, peak, warmup_steps, decay_steps, alpha):
    return SOL["warmup_cosine_lr"](step, peak, warmup_steps, decay_steps, 0.0)


def _cosine_total_steps(step, peak, warmup_steps, decay_steps, alpha):
    step = np.asarray(step, dtype=float)               # decays over warmup + decay from step 0
    p = np.clip(step / (warmup_steps + decay_steps), 0, 1)
    decayed = peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * p)) + alpha)
    return np.where(step < warmup_steps, peak * step / max(warmup_steps, 1), decayed)


def _cosine_warmup_to_one(step, peak, warmup_steps, decay_steps, alpha):
    step = np.asarray(step, dtype=float)               # warms up to 1, not to the peak
    out = SOL["warmup_cosine_lr"](step, peak, warmup_steps, decay_steps, alpha)
    return np.where(step < warmup_steps, step / max(warmup_steps, 1), out)


def _smoothed_no_max_shift(logits, y, mask, eps):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        p = e / e.sum(-1, keepdims=True)
    V = logits.shape[-1]
    q = (1 - eps) * np.eye(V)[y] + eps / V
    w = mask.astype(float)
    return float(-np.sum((q * np.log(p)).sum(-1) * w) / w.sum()), (p - q) * (w / w.sum())[..., None]


def _smoothed_grad_unmasked(logits, y, mask, eps):
    value, _ = SOL["smoothed_loss"](logits, y, mask, eps)
    z = logits - logits.max(-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    V = logits.shape[-1]
    return value, (p - (1 - eps) * np.eye(V)[y] - eps / V) / mask.sum()       # padding gets one


def _smoothed_sum_not_mean(logits, y, mask, eps):
    value, d = SOL["smoothed_loss"](logits, y, mask, eps)
    return value * mask.sum(), d * mask.sum()


def _smoothed_in_place(logits, y, mask, eps):
    logits -= logits.max(-1, keepdims=True)            # the max shift, on the caller's array
    return SOL["smoothed_loss"](logits, y, mask, eps)


def _pre_ln_one_norm(x, blocks, final_norm):
    for attend, feed_forward, norm1, _ in blocks:
        x = x + attend(norm1(x))
        x = x + feed_forward(norm1(x))                 # norm1 reused for the second sublayer
    return final_norm(x)


def _pre_ln_in_place(x, blocks, final_norm):
    for attend, feed_forward, norm1, norm2 in blocks:
        x += attend(norm1(x))                          # the caller's x changes
        x += feed_forward(norm2(x))
    return final_norm(x)


def _pre_ln_reversed(x, blocks, final_norm):
    for attend, feed_forward, norm1, norm2 in reversed(blocks):   # the last block first
        x = x + attend(norm1(x))
        x = x + feed_forward(norm2(x))
    return final_norm(x)


REALISTIC = [(ch16.check_inverse_sqrt, f) for f in (_inverse_in_place, _inverse_column,
                                                    _inverse_list, _inverse_python_min)] + \
    [(ch16.check_warmup_cosine, f) for f in (_cosine_no_alpha, _cosine_total_steps,
                                             _cosine_warmup_to_one)] + \
    [(ch16.check_smoothed_loss, f) for f in (_smoothed_no_max_shift, _smoothed_grad_unmasked,
                                             _smoothed_sum_not_mean, _smoothed_in_place)] + \
    [(ch16.check_pre_ln_stack, f) for f in (_pre_ln_one_norm, _pre_ln_in_place,
                                            _pre_ln_reversed)]


@pytest.mark.parametrize("check, fn", REALISTIC, ids=[f.__name__ for _, f in REALISTIC])
def test_realistic_mistakes_are_rejected(check, fn):
    ok, line = rejected(check, fn)
    assert ok, line


@pytest.mark.parametrize("fn, where", [
    (_pre_ln_one_norm, ("after attend of block 1 your function called norm1 of block 1; "
                        "expected norm2 of block 1")),
    (_pre_ln_reversed, "your function first called norm1 of block 2; expected norm1 of block 1")])
def test_a_call_out_of_order_is_located(fn, where):
    """Wrong answers no planted mistake explains: the recorded calls say where the stack
    departs from norm1, attend, norm2, feed_forward per block, then final_norm."""
    ok, line = rejected(ch16.check_pre_ln_stack, fn)
    assert ok and where in " ".join(line.split()), line
