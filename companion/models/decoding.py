"""Decoding a sequence model: beam search, sequence scores and beam-search error analysis,
written once for any decoder (the recurrent translator of chapter 13, the transformer of 14).

The interface is a **step function** and a **state**::

    step(tokens, state) -> (logp, new_state)

    tokens     (R, t) int       the prefixes written so far (t = 0 at the first step: an empty
                                (R, 0) array; a decoder that needs a start token adds its own)
    state      pytree           whatever the decoder carries (encoder output, masks, recurrent
                                state, cached keys...): an ndarray, or a dict / tuple / list of
                                them (None leaves allowed), every array with R rows, row r
                                belonging to prefix r
    logp       (R, V) float     log P(next token | prefix r, source of row r)
    new_state  pytree, R rows   the state after reading the prefixes (what the next call gets)

Beam search reorders the rows of the state itself (``select_rows``): a step function never
sees beam indices. Row order is source-major: rows ``i*k .. i*k+k-1`` are source i's beams.

    hyps = beam_search(step, state, k=3, max_len=11, eos=0, alpha=0.7)
    hyps[i][0].tokens     # the best finished hypothesis for source i (ends with eos)

**Finishing.** A hypothesis is finished only when it emits ``eos``. At each step the ``2k`` best
extensions of the ``k`` live prefixes are ranked; an ``eos`` extension among the best ``k`` is
finished, and the ``k`` best non-``eos`` extensions stay live. A source stops when it has ``k``
finished hypotheses. Live prefixes still running at ``max_len`` are *cut off*: they are kept
(``finished=False``) but ranked **below every finished one**, so a finished hypothesis always
wins and a cut-off one is returned only when fewer than ``k`` finished. Finished hypotheses are
ranked by the length-normalised score ``log P(y|x) / len(y)^alpha`` (len counts the eos;
``alpha=0`` is the raw log-probability, which favours short outputs); cut-off ones by the same
formula among themselves.

**Error analysis** (Ng's "is it the search or the model?"): for an output ŷ that differs from
the truth y*, the search objective of y* above that of ŷ means the model preferred the truth and
the search missed it (a *search* error: widen the beam); otherwise the model itself ranks the
wrong output higher (a *model* error: train or change the model). ``sequence_logprob`` scores
any given sequence through the same step function (teacher forcing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from companion.nn.validation import as_array, check_finite, check_int, check_non_negative

Step = Callable[[np.ndarray, Any], tuple[np.ndarray, Any]]


class Hypothesis(NamedTuple):
    tokens: tuple[int, ...]     # the written tokens (the eos included when finished)
    logp: float                 # log P(tokens | source), the sum of the steps' log-probabilities
    score: float                # logp / len(tokens) ** alpha: what the ranking uses
    finished: bool              # ended with eos (False: cut off at max_len)
    state: Any                  # the step function's state after the last step (one row)


def select_rows(state, rows: np.ndarray):
    """The same pytree with every array's rows ``rows`` (in that order); None stays None."""
    if state is None:
        return None
    rows, n = np.asarray(rows), batch_rows(state)
    if rows.ndim != 1 or rows.dtype.kind not in "iu" or (rows.size and not (
            0 <= rows.min() and rows.max() < n)):
        raise ValueError(f"rows: expected a 1-D array of row indices in 0..{n - 1}, got "
                         f"{rows!r:.60}")
    return _select(state, rows)


def _select(state, rows: np.ndarray):
    if state is None:
        return None
    if isinstance(state, np.ndarray):
        return state[rows]
    if isinstance(state, dict):
        return {key: _select(v, rows) for key, v in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(_select(v, rows) for v in state)
    raise TypeError(f"state: expected arrays, dicts, tuples, lists or None, got "
                    f"{type(state).__name__}")


def _rows(state) -> set[int]:
    if state is None:
        return set()
    if isinstance(state, np.ndarray):
        return {state.shape[0]} if state.ndim else {-1}
    if isinstance(state, dict):
        state = list(state.values())
    if isinstance(state, (tuple, list)):
        return set().union(*(_rows(v) for v in state)) if state else set()
    raise TypeError(f"state: expected arrays, dicts, tuples, lists or None, got "
                    f"{type(state).__name__}")


def batch_rows(state) -> int:
    """The number of rows every array of ``state`` shares (a clear error if they differ)."""
    rows = _rows(state)
    if len(rows) != 1 or -1 in rows:
        raise ValueError(f"state: every array must have the same number of rows (one per "
                         f"source), got row counts {sorted(rows) or 'none (no arrays)'}")
    return rows.pop()


def length_normalised(logp, length, alpha: float):
    """log P(y) / len(y)^alpha (Wu et al. 2016 use a smoothed length; this is the plain one)."""
    length, alpha = as_array(length, "length"), check_non_negative(alpha, "alpha")
    if length.size and not np.all(length >= 1):
        raise ValueError(f"length: expected lengths >= 1, got {length.min()}")
    return np.asarray(logp) / length.astype(float) ** alpha


def beam_step(scores: np.ndarray, logp: np.ndarray, k: int):
    """One step of beam search: extend each of B prefixes by every token and keep the k best.

    scores (..., B) log-probabilities of the prefixes, logp (..., B, V) log P(token | prefix)
    (any leading axes: one search per source). Returns (beam, token, new scores), each
    (..., k), best first: prefix ``beam[i]`` extended by ``token[i]`` has log-probability
    ``new_scores[i]`` = scores[beam] + logp[beam, token] (ties: the lower index first).
    """
    k, scores, logp = check_int(k, "k"), _log_probs(scores, "scores"), _log_probs(logp, "logp")
    if logp.shape[:-1] != scores.shape:
        raise ValueError(f"scores {scores.shape} and logp {logp.shape}: expected (..., B) and "
                         "(..., B, V)")
    V = logp.shape[-1]
    total = (scores[..., None] + logp).reshape(scores.shape[:-1] + (-1,))   # (..., B*V)
    best = np.argsort(-total, axis=-1, kind="stable")[..., :k]
    beam, token = np.divmod(best, V)
    return beam, token, np.take_along_axis(total, best, axis=-1)


def _log_probs(x, name: str) -> np.ndarray:
    """A numeric array without NaN or +inf (-inf is a log-probability of 0: allowed)."""
    x = as_array(x, name)
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError(f"{name} contains NaN or +inf; expected log-probabilities (-inf "
                         "allowed)")
    return x


def _check_logp(logp, R: int) -> np.ndarray:
    logp = np.asarray(logp, dtype=np.float64)
    if logp.ndim != 2 or logp.shape[0] != R:
        raise ValueError(f"step: expected log-probabilities of shape ({R}, V), got {logp.shape}")
    return logp


def beam_search(step: Step, state, k: int = 3, max_len: int = 20, eos: int = 0,
                alpha: float = 0.7) -> list[list[Hypothesis]]:
    """Beam search of width ``k`` for every source (row) of ``state`` at once.

    state: the step function's state for N sources (N rows). Returns N lists of at most ``k``
    Hypothesis, best first: the finished ones by score, then the cut-off ones (see the module
    docstring). ``k=1`` is greedy decoding that stops at eos.
    """
    if not callable(step):
        raise TypeError(f"step: expected a function (tokens, state) -> (logp, new_state), got "
                        f"{type(step).__name__} {step!r:.40}")
    k = check_int(k, "k")
    max_len = check_int(max_len, "max_len")
    eos = check_int(eos, "eos", minimum=0)
    alpha = check_non_negative(alpha, "alpha")
    N = batch_rows(state)
    state = select_rows(state, np.repeat(np.arange(N), k))
    scores = np.full((N, k), -np.inf)
    scores[:, 0] = 0.0                                   # one live prefix per source at first
    tokens = np.zeros((N * k, 0), dtype=np.int64)
    finished: list[list[Hypothesis]] = [[] for _ in range(N)]
    active = np.ones(N, dtype=bool)
    for t in range(max_len):
        logp, new_state = step(tokens, state)
        logp = _check_logp(logp, N * k)
        V = logp.shape[1]
        if eos >= V:
            raise ValueError(f"eos: expected a token id below the vocabulary size {V}, got {eos}")
        beam, token, top = beam_step(scores, logp.reshape(N, k, V), 2 * k)   # (N, 2k) each
        is_eos = (token == eos) & np.isfinite(top)
        for i, r in zip(*np.nonzero(is_eos[:, :k] & active[:, None])):
            row = i * k + beam[i, r]
            seq = tuple(int(x) for x in tokens[row]) + (eos,)
            finished[i].append(Hypothesis(seq, float(top[i, r]),
                                          float(length_normalised(top[i, r], len(seq), alpha)),
                                          True, select_rows(new_state, np.array([row]))))
        active &= np.array([len(f) < k for f in finished])
        # the k best non-eos extensions stay live (eos ones sink to -inf and to the end)
        live = np.argsort(np.where(token == eos, np.inf, -top), axis=1, kind="stable")[:, :k]
        scores = np.take_along_axis(np.where(token == eos, -np.inf, top), live, axis=1)
        rows = (np.arange(N)[:, None] * k + np.take_along_axis(beam, live, axis=1)).ravel()
        state = select_rows(new_state, rows)
        tokens = np.concatenate([tokens[rows], np.take_along_axis(token, live, axis=1)
                                 .reshape(-1, 1)], axis=1)
        if not active.any():
            break
    return [_ranked(finished[i], tokens, scores, state, i, k, alpha) for i in range(N)]


def _ranked(done: list[Hypothesis], tokens, scores, state, i: int, k: int, alpha: float):
    """Source i's finished hypotheses by score, then (if fewer than k) its cut-off ones."""
    out = sorted(done, key=lambda h: -h.score)[:k]
    if len(out) < k:
        cut = []
        for b in range(k):
            if np.isfinite(scores[i, b]):
                row = i * k + b
                seq = tuple(int(x) for x in tokens[row])
                cut.append(Hypothesis(seq, float(scores[i, b]),
                                      float(length_normalised(scores[i, b], len(seq), alpha)),
                                      False, select_rows(state, np.array([row]))))
        out += sorted(cut, key=lambda h: -h.score)[:k - len(out)]
    return out


def sequence_logprob(step: Step, state, sequences: Sequence[Sequence[int]]) -> np.ndarray:
    """log P(sequence_i | source_i) for one given token sequence per source (teacher forcing
    through ``step``). state: N rows; sequences: N lists of ids (any lengths >= 1).
    Returns (N,) float64."""
    N = batch_rows(state)
    if not isinstance(sequences, Sequence) or isinstance(sequences, (str, bytes)) or \
            len(sequences) != N:
        raise ValueError(f"sequences: expected one token list per source ({N}), got "
                         f"{sequences!r:.60}")
    lengths = np.array([len(s) for s in sequences])
    if np.any(lengths == 0):
        raise ValueError("sequences: every sequence needs at least one token")
    L = int(lengths.max())
    ids = np.zeros((N, L), dtype=np.int64)
    for i, s in enumerate(sequences):
        if not all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x >= 0
                   for x in s):
            raise TypeError(f"sequences[{i}]: expected token ids (integers >= 0), got {s!r:.60}")
        ids[i, :len(s)] = s
    total = np.zeros(N)
    for t in range(L):
        logp, state = step(ids[:, :t], state)
        logp = _check_logp(logp, N)
        if ids.max() >= logp.shape[1]:
            raise ValueError(f"sequences: token id {ids.max()} is outside the vocabulary of "
                             f"{logp.shape[1]} tokens")
        total += np.where(t < lengths, logp[np.arange(N), ids[:, t]], 0.0)
    return total


def error_analysis(true_scores, output_scores, wrong) -> dict:
    """Attribute each wrong output to the search or to the model.

    true_scores (N,): the search objective of the true output y*; output_scores (N,): that of
    the output ŷ; wrong (N,) bool: ŷ != y*. A wrong output with score(y*) > score(ŷ) is a
    search error (the model prefers the truth); otherwise a model error.
    Returns {"errors", "search", "model", "search_rows" (indices)}.
    """
    t = check_finite(as_array(true_scores, "true_scores"), "true_scores")
    o = check_finite(as_array(output_scores, "output_scores"), "output_scores")
    wrong = np.asarray(wrong)
    if wrong.dtype.kind != "b":
        raise TypeError(f"wrong: expected booleans (output != truth), got dtype {wrong.dtype}")
    if not (t.shape == o.shape == wrong.shape) or t.ndim != 1:
        raise ValueError(f"true_scores, output_scores and wrong: expected three (N,) arrays, "
                         f"got shapes {t.shape}, {o.shape} and {wrong.shape}")
    search = wrong & (t > o)
    return {"errors": int(wrong.sum()), "search": int(search.sum()),
            "model": int((wrong & ~search).sum()), "search_rows": np.nonzero(search)[0]}
