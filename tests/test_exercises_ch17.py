"""Chapter 17's exercise checkers: the notebook's own solutions (read from its collapsed solution
cells) pass, each planted mistake gets its hint, garbage gets one sentence, and realistic
mistakes nobody planted are rejected."""
import numpy as np
import pytest
from exercise_garbage import checker_tests, notebook_solutions, only_own_hint_test, rejected

from companion.exercises import ch17

SOL = notebook_solutions("17_translators_at_equal_budgets.ipynb")


def _planted(make, pairs):
    """Planted mistakes (the checker's own bug variants) with a phrase their hint must contain."""
    return [ch17.Mistake(make(bug), phrase) for bug, phrase in pairs]


EXERCISES = [
    (ch17.check_early_stopping, SOL["early_stopping"], _planted(ch17._stop_bug, (
        ("no restore", "save COPIES"), ("rebind", "INTO the arrays"),
        ("patience + 1", "not one epoch later"), ("no min_delta", "more than min_delta"),
        ("zero-based", "count epochs from 1")))),
    (ch17.check_held_out_split, SOL["split_scores"], _planted(ch17._split_bug, (
        ("by prediction", "TRUE date's year"), ("per character", "whole date 1 or 0"),
        ("overall", "NOT held out"), ("swapped", "the order is")))),
    (ch17.check_general_attention, SOL["general_attention"], _planted(ch17._general_bug, (
        ("unmasked", "padded keys got weight"), ("softmax", "a * (da - sum_j"),
        ("no value path", "also the values"), ("no key path", "de^T @ (query W)")))),
    (ch17.check_step_before, SOL["step_before"], _planted(ch17._before_bug, (
        ("new query", "the context the cell READ"), ("order", "[x ; context]"),
        ("unmasked", "padded positions got weight"))))]
test_solution_passes, test_each_planted_mistake_gets_its_hint, test_garbage_gets_one_sentence = \
    checker_tests(EXERCISES)


test_each_planted_mistake_gets_only_its_own_hint = only_own_hint_test(EXERCISES)


# --- realistic mistakes nobody planted: each must be rejected ----------------------------------
def _stop_alias(train_epoch, dev_loss, params, max_epochs, patience, min_delta):
    best, best_epoch, saved = np.inf, 0, None
    for epoch in range(1, max_epochs + 1):
        train_epoch()
        loss = dev_loss()
        if loss < best - min_delta:
            best, best_epoch, saved = loss, epoch, params          # a reference, not a copy
        elif epoch - best_epoch >= patience:
            break
    for k, v in saved.items():
        params[k][...] = v
    return epoch, best_epoch


def _stop_previous(train_epoch, dev_loss, params, max_epochs, patience, min_delta):
    prev, best_epoch, saved, wait = np.inf, 0, None, 0       # compares with the last epoch
    for epoch in range(1, max_epochs + 1):
        train_epoch()
        loss = dev_loss()
        if loss < prev - min_delta:
            best_epoch, saved, wait = epoch, {k: v.copy() for k, v in params.items()}, 0
        else:
            wait += 1
            if wait >= patience:
                break
        prev = loss
    for k, v in saved.items():
        params[k][...] = v
    return epoch, best_epoch


def _stop_floats(*args):
    ran, best = SOL["early_stopping"](*args)
    return float(ran), float(best)


def _stop_no_break(train_epoch, dev_loss, params, max_epochs, patience, min_delta):
    best, best_epoch, saved = np.inf, 0, None                 # never stops early
    for epoch in range(1, max_epochs + 1):
        train_epoch()
        loss = dev_loss()
        if loss < best - min_delta:
            best, best_epoch, saved = loss, epoch, {k: v.copy() for k, v in params.items()}
    for k, v in saved.items():
        params[k][...] = v
    return epoch, best_epoch


def _split_int_year(predictions, targets, held_out_years):
    held = np.array([int(t[:4]) in held_out_years for t in targets])
    exact = np.array([p == t for p, t in zip(predictions, targets)], dtype=float)
    year = np.array([int(p[:4]) == int(t[:4]) for p, t in zip(predictions, targets)], dtype=float)
    return (float(exact[~held].mean()), float(exact[held].mean()), float(year[~held].mean()),
            float(year[held].mean()))


def _split_substring(predictions, targets, held_out_years):
    held = np.array([int(t[:4]) in held_out_years for t in targets])
    exact = np.array([p in t for p, t in zip(predictions, targets)], dtype=float)
    year = np.array([p[:4] == t[:4] for p, t in zip(predictions, targets)], dtype=float)
    return (float(exact[~held].mean()), float(exact[held].mean()), float(year[~held].mean()),
            float(year[held].mean()))


def _split_string_years(predictions, targets, held_out_years):
    return SOL["split_scores"](predictions, targets, [str(y) for y in held_out_years])


def _split_array(predictions, targets, held_out_years):
    return np.array(SOL["split_scores"](predictions, targets, held_out_years))


def _general_no_shift(query, keys, W, mask, dcontext):
    qW = query @ W
    scores = np.where(mask[:, None, :], qW @ keys.transpose(0, 2, 1), -1e9)
    e = np.exp(scores)                                        # no max shift: overflows
    weights = e / e.sum(axis=-1, keepdims=True)
    out = SOL["general_attention"](query, keys, W, mask, dcontext)
    return (weights @ keys, weights) + out[2:]


def _general_dW_transposed(query, keys, W, mask, dcontext):
    c, a, dq, dk, dW = SOL["general_attention"](query, keys, W, mask, dcontext)
    return c, a, dq, dk, dW.T


def _general_mask_after(query, keys, W, mask, dcontext):
    out = list(SOL["general_attention"](query, keys, W, np.ones_like(mask), dcontext))
    out[1] = out[1] * mask[:, None, :]                        # zeroed after the softmax, not renormalised
    return tuple(out)


def _general_dquery_unprojected(query, keys, W, mask, dcontext):
    c, a, dq, dk, dW = SOL["general_attention"](query, keys, W, mask, dcontext)
    return c, a, dq @ W @ W.T, dk, dW


def _before_in_place(s_prev, x, H, mask, gru_step):
    s, c, a = SOL["step_before"](s_prev, x, H, mask, gru_step)
    s_prev[...] = s                                           # overwrites the caller's state
    return s_prev, c, a


def _before_uniform(s_prev, x, H, mask, gru_step):
    weights = mask / mask.sum(axis=1, keepdims=True)          # no score: uniform over real keys
    context = np.einsum("nt,ntd->nd", weights, H)
    return gru_step(np.concatenate([x, context], axis=1), s_prev), context, weights


def _before_softmax_axis0(s_prev, x, H, mask, gru_step):
    scores = np.where(mask, np.einsum("nd,ntd->nt", s_prev, H), -1e9)
    weights = np.exp(scores - scores.max(axis=0)) / np.exp(scores - scores.max(axis=0)).sum(axis=0)
    context = np.einsum("nt,ntd->nd", weights, H)
    return gru_step(np.concatenate([x, context], axis=1), s_prev), context, weights


def _before_no_context_in_cell(s_prev, x, H, mask, gru_step):
    _, c, a = SOL["step_before"](s_prev, x, H, mask, gru_step)
    return gru_step(np.concatenate([x, np.zeros_like(c)], axis=1), s_prev), c, a


REALISTIC = [(ch17.check_early_stopping, f) for f in (
    _stop_alias, _stop_previous, _stop_floats, _stop_no_break)] + \
    [(ch17.check_held_out_split, f) for f in (
        _split_int_year, _split_substring, _split_string_years, _split_array)] + \
    [(ch17.check_general_attention, f) for f in (
        _general_no_shift, _general_dW_transposed, _general_mask_after,
        _general_dquery_unprojected)] + \
    [(ch17.check_step_before, f) for f in (
        _before_in_place, _before_uniform, _before_softmax_axis0, _before_no_context_in_cell)]


@pytest.mark.parametrize("check, fn", REALISTIC, ids=[f.__name__ for _, f in REALISTIC])
def test_realistic_mistakes_are_rejected(check, fn):
    ok, line = rejected(check, fn)
    assert ok, line
