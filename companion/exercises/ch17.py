"""Chapter 17 exercises: the dev-split early-stopping loop, exact match split by held-out years,
Luong's general score forward and backward, and one decoder step with the context before the
cell.

References: ``companion.chapters.ch17`` (``early_stopping_loop``, ``held_out_split``,
``general_attention``, ``step_before``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.chapters.ch17 import (
    early_stopping_loop,
    general_attention,
    held_out_split,
    step_before,
)
from companion.exercises.checker import Case, Fail, Mistake, call_on, check, feedback, run_check
from companion.exercises.rules import a_type
from companion.nn.activations import softmax
from companion.nn.layers.gru import gru_step_forward

# --- 1. the early-stopping loop ----------------------------------------------------------------
# (dev losses per epoch, max_epochs, patience, min_delta, label)
STOP_CASES = [([1.0, 0.8, 0.7, 0.72, 0.75, 0.6], 6, 2, 0.0, "falls, rises for 2 epochs"),
              ([1.0, 0.9, 0.897, 0.896, 0.895, 0.894, 0.2], 7, 2, 0.005,
               "improves by less than min_delta"),
              ([0.5, 0.6, 0.4, 0.3], 4, 1, 0.0, "patience 1"),
              ([1.0, 0.9, 0.8, 0.7, 0.6], 3, 2, 0.0, "still improving at max_epochs"),
              ([0.3, 0.9, 0.9, 0.9, 0.9], 5, 3, 0.0, "best at the first epoch"),
              ([1.0, 0.5, 0.9, 0.8, 0.7, 0.6], 6, 3, 0.0,
               "falls back towards the best without reaching it")]


def _stop_bug(bug: str):
    def loop(train_epoch, dev_loss, params, max_epochs, patience, min_delta):
        best, best_epoch, saved = np.inf, 0, None
        for epoch in range(1, max_epochs + 1):
            train_epoch()
            loss = dev_loss()
            if loss < best - (0 if bug == "no min_delta" else min_delta):
                best, best_epoch = loss, epoch
                saved = params if bug == "alias" else {k: v.copy() for k, v in params.items()}
            elif epoch - best_epoch > patience - (0 if bug == "patience + 1" else 1):
                break
        for k, v in saved.items():
            if bug == "rebind":
                params[k] = v
            elif bug != "no restore":
                params[k][...] = v
        return epoch, best_epoch - (1 if bug == "zero-based" else 0)
    return loop


STOP_MISTAKES = [
    Mistake(_stop_bug("no restore"), "the weights left in params are the LAST epoch's: save "
            "COPIES of the best weights (v.copy(); a reference follows the training) and copy "
            "them back into params at the end"),
    Mistake(_stop_bug("rebind"), "write the best weights back INTO the arrays "
            "(params[k][...] = best[k]): the model holds those very arrays, and a new array put "
            "in the dict is not the model's"),
    Mistake(_stop_bug("patience + 1"), "stop as soon as `patience` epochs in a row did not "
            "improve (epoch - best_epoch >= patience), not one epoch later"),
    Mistake(_stop_bug("no min_delta"), "an improvement must beat the best by more than "
            "min_delta (loss < best - min_delta)"),
    Mistake(_stop_bug("zero-based"), "count epochs from 1: the best epoch is 1-based, like the "
            "number of epochs run")]


def _stop_outcome(fn: Callable, case) -> dict:
    """Run ``fn`` on a scripted model: each epoch adds 1 to its weights; the dev loss is read
    from the script. Returns what the checker compares."""
    losses, max_epochs, patience, min_delta, _ = case
    params = {"w": np.zeros(3), "b": np.zeros(2)}
    arrays = dict(params)
    count = {"train": 0, "dev": 0}

    def train_epoch():
        count["train"] += 1
        for v in arrays.values():
            v += 1.0

    def dev_loss():
        count["dev"] += 1
        return float(losses[min(count["train"], len(losses)) - 1])

    out = call_on(fn, (train_epoch, dev_loss, params, max_epochs, patience, min_delta), {},
                  "the tuple (epochs_run, best_epoch) of two ints")
    return {"out": out, "params": params, "arrays": arrays, "count": dict(count)}


def _check_stop_outcome(got: dict, want: dict, label: str) -> None:
    out = got["out"]
    if not (isinstance(out, tuple) and len(out) == 2 and
            all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out)):
        raise Fail(f"`early_stopping` returned {a_type(out)} ({out!r:.60}): return the tuple "
                   f"(epochs_run, best_epoch) of two ints")
    if got["count"]["train"] != got["count"]["dev"]:
        raise Fail(f"read the dev loss once after every epoch: {got['count']['train']} epochs "
                   f"trained, {got['count']['dev']} dev losses read (case: {label})")
    if tuple(int(v) for v in out) != want["out"]:
        raise Fail(f"returned (epochs_run, best_epoch) = {tuple(int(v) for v in out)}, expected "
                   f"{want['out']} (case: {label})")
    if got["count"]["train"] != want["count"]["train"]:
        raise Fail(f"trained {got['count']['train']} epochs but reported {out[0]} (case: {label})")
    for k in want["arrays"]:
        if got["params"][k] is not got["arrays"][k] or \
                not np.array_equal(got["arrays"][k], want["arrays"][k]):
            raise Fail(f"params[{k!r}] after the loop is not the best epoch's weights "
                       f"(case: {label})")


def check_early_stopping(fn: Callable) -> bool:
    """``fn(train_epoch, dev_loss, params, max_epochs, patience, min_delta) -> (epochs_run,
    best_epoch)`` that restores the best epoch's weights into ``params`` in place."""
    def body():
        for case in STOP_CASES:
            want = _stop_outcome(early_stopping_loop, case)
            want["out"] = tuple(want["out"])
            got = _stop_outcome(fn, case)
            try:
                _check_stop_outcome(got, want, case[-1])
            except Fail:
                for m in STOP_MISTAKES:
                    planted = _stop_outcome(m.fn, case)
                    if planted["out"] == got["out"] and planted["count"] == got["count"] and \
                            all(np.array_equal(planted["params"][k], got["params"][k]) and
                                (planted["params"][k] is planted["arrays"][k]) ==
                                (got["params"][k] is got["arrays"][k]) for k in want["arrays"]):
                        raise Fail(f"{m.hint} (case: {case[-1]})") from None
                raise
        return feedback(True, f"early stopping ({len(STOP_CASES)}/{len(STOP_CASES)} cases agree)")
    return run_check("early stopping", body)


# --- 2. exact match split by the held-out years --------------------------------------------------
def _split_bug(bug: str):
    def split(predictions, targets, held_out_years):
        if bug == "by prediction":
            targets_for_split = [p if len(p) >= 4 and p[:4].isdigit() else t
                                 for p, t in zip(predictions, targets)]
        else:
            targets_for_split = targets
        held = np.array([int(t[:4]) in set(held_out_years) for t in targets_for_split])
        if bug == "per character":
            exact = np.array([np.mean([i < len(p) and p[i] == c for i, c in enumerate(t)])
                              for p, t in zip(predictions, targets)])
        else:
            exact = np.array([p == t for p, t in zip(predictions, targets)], dtype=float)
        year = np.array([p[:4] == t[:4] for p, t in zip(predictions, targets)], dtype=float)
        if bug == "overall":
            return (float(exact.mean()), float(exact[held].mean()), float(year.mean()),
                    float(year[held].mean()))
        out = (float(exact[~held].mean()), float(exact[held].mean()), float(year[~held].mean()),
               float(year[held].mean()))
        return (out[1], out[0], out[3], out[2]) if bug == "swapped" else out
    return split


def _split_cases():
    held = [1953, 1997, 2031]
    a = (["1998-03-03", "1997-03-03", "1953-01-02", "2031-12-30", "2000-01-01", "1998-3-03"],
         ["1998-03-03", "1997-03-04", "1953-01-02", "2031-12-31", "2000-01-01", "1998-03-03"])
    b = (["1997-05-05", "1950-02-02", "1953-07-07", "", "2001-"],   # 1996 written as 1997
         ["1996-05-05", "1950-02-02", "1953-07-07", "1997-01-01", "2001-01-01"])
    c = (["2031-01-01", "2049-12-31"], ["2031-01-01", "2048-12-31"])
    return [Case((list(a[0]), list(a[1]), held), label="six dates, three held out"),
            Case((list(b[0]), list(b[1]), held), label="a wrong year that is a held-out year, "
                 "outputs shorter than 4 characters"),
            Case((list(c[0]), list(c[1]), [2031]), label="one date on each side")]


def check_held_out_split(fn: Callable) -> bool:
    """``fn(predictions, targets, held_out_years) -> (exact_seen, exact_held_out, year_seen,
    year_held_out)``: four floats, split by the true date's year."""
    mistakes = [Mistake(_split_bug("by prediction"), "split by the TRUE date's year (targets): "
                        "a prediction with a wrong year must not move its date to the other side"),
                Mistake(_split_bug("per character"), "exact match scores a whole date 1 or 0 "
                        "(prediction == target), not the share of right characters"),
                Mistake(_split_bug("overall"), "the seen side holds only the dates whose year "
                        "is NOT held out, not every date"),
                Mistake(_split_bug("swapped"), "the order is (exact_seen, exact_held_out, "
                        "year_seen, year_held_out)")]
    return check("held-out split", fn, held_out_split, _split_cases(), mistakes,
                 returns="the tuple (exact_seen, exact_held_out, year_seen, year_held_out) of "
                         "four floats",
                 names=("exact_seen", "exact_held_out", "year_seen", "year_held_out"))


# --- 3. the general score, forward and backward ----------------------------------------------------
def _general_bug(bug: str):
    def general(query, keys, W, mask, dcontext):
        qW = query @ W
        scores = qW @ keys.transpose(0, 2, 1)
        if bug != "unmasked":
            scores = np.where(mask[:, None, :], scores, -1e9)
        a = softmax(scores)
        context = a @ keys
        da = dcontext @ keys.transpose(0, 2, 1)
        de = a * da if bug == "softmax" else a * (da - np.sum(da * a, -1, keepdims=True))
        dqW = de @ keys
        dkeys = a.transpose(0, 2, 1) @ dcontext if bug != "no value path" else 0
        dkeys = dkeys + (de.transpose(0, 2, 1) @ qW if bug != "no key path" else 0)
        dW = np.einsum("nqi,nqj->ij", query, dqW)
        return context, a, dqW @ W.T, dkeys, dW
    return general


def _general_cases():
    rng = np.random.default_rng(17)

    def case(N, Tq, Tv, Dq, Dk, lengths, scale=1.0, label=""):
        mask = np.arange(Tv)[None, :] < np.asarray(lengths)[:, None]
        return Case((scale * rng.standard_normal((N, Tq, Dq)), rng.standard_normal((N, Tv, Dk)),
                     rng.standard_normal((Dq, Dk)), mask, rng.standard_normal((N, Tq, Dk))),
                    label=label)
    return [case(1, 1, 3, 2, 2, [3], label="batch of 1, one query"),
            case(2, 3, 5, 4, 6, [5, 2], label="non-square W (4, 6), padding"),
            case(3, 2, 4, 3, 3, [4, 1, 3], label="a sequence with one real key"),
            case(2, 2, 6, 5, 4, [6, 6], scale=300.0, label="large scores (softmax needs its "
                 "max shift)")]


def check_general_attention(fn: Callable) -> bool:
    """``fn(query, keys, W, mask, dcontext) -> (context, weights, dquery, dkeys, dW)``."""
    mistakes = [Mistake(_general_bug("unmasked"), "padded keys got weight: give the scores of "
                        "keys where mask is False -1e9 (or -inf) before the softmax"),
                Mistake(_general_bug("softmax"), "the softmax's backward is a * (da - sum_j "
                        "a_j da_j), not a * da"),
                Mistake(_general_bug("no value path"), "the keys are also the values: dkeys "
                        "gets weights^T @ dcontext too"),
                Mistake(_general_bug("no key path"), "the keys are also the keys of the score: "
                        "dkeys gets de^T @ (query W) too")]
    return check("general attention", fn, general_attention, _general_cases(), mistakes,
                 returns="the tuple (context, weights, dquery, dkeys, dW)", rtol=1e-6, atol=1e-9,
                 names=("context", "weights", "dquery", "dkeys", "dW"))


# --- 4. the context before the cell ----------------------------------------------------------------
def _gru(rng, V, u):
    W, U = 0.5 * rng.standard_normal((V + u, 3 * u)), 0.5 * rng.standard_normal((u, 3 * u))
    b = 0.1 * rng.standard_normal((2, 3 * u))

    def gru_step(inputs, h):
        """inputs (N, V + u), h (N, u) -> the new state (N, u)."""
        return gru_step_forward(inputs, h, W, U, b)[0]
    return gru_step


def _before_bug(bug: str):
    def step(s_prev, x, H, mask, gru_step):
        def att(q):
            scores = np.einsum("nd,ntd->nt", q, H)
            if bug != "unmasked":
                scores = np.where(mask, scores, -1e9)
            a = softmax(scores)
            return np.einsum("nt,ntd->nd", a, H), a
        c, a = att(s_prev)
        inputs = np.concatenate([c, x] if bug == "order" else [x, c], axis=1)
        s = gru_step(inputs, s_prev)
        if bug == "new query":
            c, a = att(s)
        return s, c, a
    return step


def _before_cases():
    rng = np.random.default_rng(170)

    def case(N, V, Tx, u, lengths, label):
        mask = np.arange(Tx)[None, :] >= Tx - np.asarray(lengths)[:, None]    # left padding
        return Case((rng.standard_normal((N, u)), np.eye(V)[rng.integers(0, V, N)],
                     rng.standard_normal((N, Tx, u)), mask, _gru(rng, V, u)), label=label)
    return [case(1, 3, 4, 2, [4], "batch of 1"),
            case(3, 5, 6, 4, [6, 2, 1], "left padding, one sequence with one real key"),
            case(2, 13, 9, 8, [9, 5], "the chapter's vocabulary size")]


def check_step_before(fn: Callable) -> bool:
    """``fn(s_prev, x, H, mask, gru_step) -> (s, context, weights)``."""
    mistakes = [Mistake(_before_bug("new query"), "return the context the cell READ, computed "
                        "from s_prev: with the context before the step, the query is the state "
                        "before it (querying the new state is the other placement)"),
                Mistake(_before_bug("order"), "the cell's input is [x ; context], the character "
                        "first: the kernel's first V rows read x"),
                Mistake(_before_bug("unmasked"), "padded positions got weight: give the scores "
                        "where mask is False -1e9 before the softmax")]
    return check("context before the step", fn, step_before, _before_cases(), mistakes,
                 returns="the tuple (s, context, weights)", names=("s", "context", "weights"))
