"""Chapter 13's exercise checkers: the solution passes, each planted mistake gets its hint,
garbage gets one sentence and no traceback."""
from functools import partial

import numpy as np
import pytest
from exercise_garbage import GARBAGE, run_check as verdict

from companion.exercises import ch13


def softmax(e):
    e = np.exp(e - e.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# --- learner code: the solutions, with switches that plant the mistakes ---------------------
def attention(query, keys, Wq, Wk, v, mask, bug=None):
    scores = np.tanh(np.expand_dims(query @ Wq, 2) + np.expand_dims(keys @ Wk, 1)) @ v
    if bug != "no mask":
        scores = np.where(mask[:, None, :], scores, -1e9)
    if bug == "axis":
        w = softmax(scores.swapaxes(1, 2)).swapaxes(1, 2)
    else:
        w = softmax(scores)
    return np.einsum("nqs,nsd->nqd", w, keys), w


def attention_backward(dcontext, query, keys, Wq, Wk, v, E, weights, bug=None):
    da = np.einsum("nqd,nsd->nqs", dcontext, keys)
    de = weights * (da - np.sum(da * weights, axis=-1, keepdims=True))
    dpre = de[..., None] * v * (1 if bug == "tanh'" else 1 - E ** 2)
    dq, dk = dpre.sum(axis=2), dpre.sum(axis=1)
    dkeys = dk @ Wk.T
    if bug != "values":
        dkeys = dkeys + np.einsum("nqs,nqd->nsd", weights, dcontext)
    dWq = query.reshape(-1, query.shape[-1]).T @ dq.reshape(-1, dq.shape[-1])
    dWk = keys.reshape(-1, keys.shape[-1]).T @ dk.reshape(-1, dk.shape[-1])
    return dq @ Wq.T, dkeys, dWq, dWk, (de[..., None] * E).sum(axis=(0, 1, 2))


def decoder_inputs(y, V, bug=None):
    onehot = np.eye(V)[y]
    if bug == "no shift":
        return onehot
    x = np.zeros_like(onehot)
    x[:, 1:] = onehot[:, :-1]
    return x


def beam_step(scores, logp, k, bug=None):
    total = logp + (0 if bug == "no prefix" else scores[:, None])
    flat = np.argsort(total.ravel())[::-1][:k]
    beam, token = flat // logp.shape[1], flat % logp.shape[1]
    return beam, token, scores[beam] + logp[beam, token]


CHECKS = [(ch13.check_attention, attention), (ch13.check_attention_backward, attention_backward),
          (ch13.check_decoder_inputs, decoder_inputs), (ch13.check_beam_step, beam_step)]


@pytest.mark.parametrize("check,solution", CHECKS)
def test_solution_passes(check, solution):
    ok, line = verdict(check, solution)
    assert ok and line.startswith("✓"), line


@pytest.mark.parametrize("check,solution,bug,hint", [
    (ch13.check_attention, attention, "no mask", "padded positions must get weight 0"),
    (ch13.check_attention, attention, "axis", "softmax runs over the KEYS"),
    (ch13.check_attention_backward, attention_backward, "values", "keys are used twice"),
    (ch13.check_attention_backward, attention_backward, "tanh'", "derivative of tanh"),
    (ch13.check_decoder_inputs, decoder_inputs, "no shift", "shift the targets right"),
    (ch13.check_beam_step, beam_step, "no prefix", "add the prefix's score"),
])
def test_mistakes_get_their_hint(check, solution, bug, hint):
    ok, line = verdict(check, partial(solution, bug=bug))
    assert not ok and hint in line, line


@pytest.mark.parametrize("check", [c for c, _ in CHECKS])
def test_each_planted_variant_is_recognised(check):
    """Every Mistake the checker plants is named when a learner's code computes it."""
    import companion.exercises.checker as chk
    seen = []
    original = chk.check

    def spy(title, fn, reference, cases, mistakes=(), **kw):
        seen.extend(mistakes)
        return original(title, fn, reference, cases, mistakes, **kw)
    chk_check, ch13.check = ch13.check, spy
    try:
        check(lambda *a: None)
    finally:
        ch13.check = chk_check
    assert seen
    for m in seen:
        ok, line = verdict(check, m.fn)
        assert not ok and m.hint.split(":")[0][:30] in line, (m.hint, line)


@pytest.mark.parametrize("check", [c for c, _ in CHECKS])
@pytest.mark.parametrize("garbage,pattern", GARBAGE)
def test_garbage_gets_a_sentence(check, garbage, pattern):
    import re
    ok, line = verdict(check, garbage)
    assert not ok and re.search(pattern, line), line
