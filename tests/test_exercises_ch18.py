"""Chapter 18's exercise checkers: the notebook's own solutions (read from its collapsed solution
cells) pass, each planted mistake gets its hint, garbage gets one sentence, and realistic
mistakes nobody planted are rejected."""
import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, only_own_hint_test, rejected

from companion.exercises import ch18

SOL = notebook_solutions("18_transformer_translator.ipynb")


def _planted(make, pairs):
    """Planted mistakes (the checker's own bug variants) with a phrase their hint must contain."""
    return [ch18.Mistake(make(bug), phrase) for bug, phrase in pairs]


MISTAKES = {
    ch18.check_dropped_attention: _planted(ch18._dropped_bug, (
        ("no rescale", "divides the kept weights by keep_prob"), ("rate", "not by the rate"),
        ("times keep", "DIVIDE by keep_prob"), ("dropped weights", "BEFORE dropout"),
        ("before softmax", "AFTER the softmax"))),
    ch18.check_dropped_attention_backward: _planted(ch18._dropped_backward_bug, (
        ("dv undropped", "DROPPED weights"), ("no mask in da", "goes back through the dropout"),
        ("dropped in softmax", "softmax's own output"), ("no scale", "1/sqrt(dk)"))),
    ch18.check_decoder_masks: _planted(ch18._masks_bug, (
        ("future", "FUTURE"), ("strict", "attend to itself"), ("pad true", "REAL"),
        ("cross causal", "not causal"))),
    ch18.check_decoder_inputs: _planted(ch18._inputs_bug, (
        ("no shift", "PREVIOUS target"), ("start last", "shift RIGHT"),
        ("no start", "start token"))),
    ch18.check_extend_beams: _planted(ch18._extend_bug, (
        ("no reorder", "EXTENDS"), ("no prefix score", "WHOLE sequence"),
        ("lowest", "HIGHEST")))}
EXERCISES = [(ch18.check_dropped_attention, SOL["dropped_attention"]),
             (ch18.check_dropped_attention_backward, SOL["dropped_attention_backward"]),
             (ch18.check_decoder_masks, SOL["decoder_masks"]),
             (ch18.check_decoder_inputs, SOL["decoder_inputs"]),
             (ch18.check_extend_beams, SOL["extend_beams"])]
EXERCISES = [(c, s, MISTAKES[c]) for c, s in EXERCISES]
test_solution_passes, test_each_planted_mistake_gets_its_hint, test_garbage_gets_one_sentence = \
    checker_tests(EXERCISES)


test_each_planted_mistake_gets_only_its_own_hint = only_own_hint_test(EXERCISES)


# --- realistic mistakes nobody planted: each must be rejected ----------------------------------
def _dropped_no_max_shift(q, k, v, mask, keep_mask, keep_prob):
    s = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -1e9)
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.exp(s)
        a = a / a.sum(-1, keepdims=True)
    return (a * keep_mask / keep_prob) @ v, a


def _dropped_subtract(q, k, v, mask, keep_mask, keep_prob):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(mask, s, s - 1e9)                        # subtracts instead of replacing
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return (a * keep_mask / keep_prob) @ v, a


def _dropped_renormalised(q, k, v, mask, keep_mask, keep_prob):
    _, a = SOL["dropped_attention"](q, k, v, mask, keep_mask, 1.0)
    d = a * keep_mask
    d = d / d.sum(-1, keepdims=True)                      # renormalises the kept weights
    return d @ v, a


def _dropped_in_place(q, k, v, mask, keep_mask, keep_prob):
    keep_mask /= keep_prob                                # rescales the caller's mask
    return SOL["dropped_attention"](q, k, v, mask, keep_mask, 1.0)


def _backward_ignores_mask(dout, q, k, v, mask, keep_mask, keep_prob):
    return SOL["dropped_attention_backward"](dout, q, k, v, mask, np.ones_like(keep_mask), 1.0)


def _backward_masked_scores_get_grad(dout, q, k, v, mask, keep_mask, keep_prob):
    c = 1 / np.sqrt(q.shape[-1])
    s = np.where(mask, q @ np.swapaxes(k, -1, -2) * c, -1e9)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    dv = np.swapaxes(a * keep_mask / keep_prob, -1, -2) @ dout
    da = (dout @ np.swapaxes(v, -1, -2)) * keep_mask / keep_prob
    ds = a * (da - (a * da).sum(-1, keepdims=True)) * c + 0.1 * ~mask   # garbage where masked
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv


def _masks_broadcastable(src_ids, pad, T):
    self_mask, cross = SOL["decoder_masks"](src_ids, pad, T)
    return self_mask, cross[:, :1, :]                     # (N, 1, S) for (N, T, S)


def _masks_int(src_ids, pad, T):
    self_mask, cross = SOL["decoder_masks"](src_ids, pad, T)
    return self_mask.astype(int), cross.astype(float) * -1e9   # an additive float mask


def _masks_pad_zero(src_ids, pad, T):
    return SOL["decoder_masks"](src_ids, 0, T)            # ignores the pad argument


def _inputs_in_place(y, start):
    y[:, 1:] = y[:, :-1].copy()                           # shifts the caller's targets
    y[:, 0] = start
    return y


def _inputs_list(y, start):
    return SOL["decoder_inputs"](y, start).tolist()


def _inputs_roll(y, start):
    return np.roll(y, 1, axis=1)                          # the last target wraps to the front


def _extend_no_stable(prefixes, scores, logp, k):
    total = (scores[:, None] + logp).ravel()
    best = np.argsort(total)[::-1][:k]                    # ties: the higher index first
    beam, token = np.divmod(best, logp.shape[1])
    return np.concatenate([prefixes[beam], token[:, None]], axis=1), total[best]


def _extend_probabilities(prefixes, scores, logp, k):
    total = (np.exp(scores)[:, None] * np.exp(logp)).ravel()   # underflows for long prefixes
    best = np.argsort(-total, kind="stable")[:k]
    beam, token = np.divmod(best, logp.shape[1])
    return np.concatenate([prefixes[beam], token[:, None]], axis=1), np.log(total[best])


def _extend_scores_column(prefixes, scores, logp, k):
    new, s = SOL["extend_beams"](prefixes, scores, logp, k)
    return new, s[:, None]


REALISTIC = [(ch18.check_dropped_attention, f) for f in (
    _dropped_no_max_shift, _dropped_subtract, _dropped_renormalised, _dropped_in_place)] + \
    [(ch18.check_dropped_attention_backward, f) for f in (
        _backward_ignores_mask, _backward_masked_scores_get_grad)] + \
    [(ch18.check_decoder_masks, f) for f in (_masks_broadcastable, _masks_int, _masks_pad_zero)] + \
    [(ch18.check_decoder_inputs, f) for f in (_inputs_in_place, _inputs_list, _inputs_roll)] + \
    [(ch18.check_extend_beams, f) for f in (_extend_no_stable, _extend_probabilities,
                                            _extend_scores_column)]


@pytest.mark.parametrize("check, fn", REALISTIC, ids=[f.__name__ for _, f in REALISTIC])
def test_realistic_mistakes_are_rejected(check, fn):
    ok, line = rejected(check, fn)
    assert ok, line


def test_checkers_use_the_package():
    """The references are the package's functions, not copies: the attention-dropout reference
    is the layer's own forward, the inputs the translator's teacher forcing."""
    from companion.data.text import Vocabulary
    from companion.models.transformer import TransformerTranslator
    tr = TransformerTranslator(Vocabulary(list("ab"), pad=True), Vocabulary(list("xy"), pad=True),
                               d_model=4, ff_dim=4)
    y = np.array([[3, 4, 0], [4, 3, 0]])
    np.testing.assert_array_equal(tr.decoder_inputs(y), ch18._inputs(y, tr.tgt.eos))
