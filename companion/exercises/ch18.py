"""Chapter 18 exercises: attention with dropout on its weights, forward and backward (Keras'
``MultiHeadAttention(dropout=)`` placement), the encoder-decoder masks, the teacher-forced
decoder inputs of the transformer translator, and one beam-search step for a decoder that
re-reads its prefix.

References: ``companion.nn.layers.attention`` (``scaled_dot_product_attention_forward`` /
``_backward`` with ``dropout=``, ``causal_mask``), ``TransformerTranslator.decoder_inputs`` and
``companion.models.decoding.beam_step``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, Mistake, check
from companion.models.decoding import beam_step
from companion.nn.activations import softmax, softmax_backward
from companion.nn.layers.attention import (
    causal_mask,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)


# --- 1. attention with dropout on the weights, forward ----------------------------------------
def _dropped(q, k, v, mask, keep_mask, keep_prob):
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask,
                                                      dropout=(keep_mask, keep_prob))
    return out, cache[-1]


def _weights(q, k, mask):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    return softmax(np.where(mask, s, -1e9), axis=-1)


def _dropped_bug(bug: str):
    def attend(q, k, v, mask, keep_mask, keep_prob):
        a = _weights(q, k, mask)
        if bug == "before softmax":              # drops scores: the softmax renormalises
            s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
            a = softmax(np.where(mask & (keep_mask > 0), s, -1e9), axis=-1)
            return a @ v, a
        scale = {"no rescale": 1.0, "rate": 1.0 - keep_prob, "times keep": 1.0 / keep_prob}.get(
            bug, keep_prob)
        dropped = a * keep_mask / scale
        return dropped @ v, dropped if bug == "dropped weights" else a
    return attend


def _dropout_cases(seed: int, with_dout: bool = False) -> list:
    rng = np.random.default_rng(seed)
    cases = []
    for N, Tq, Tv, dk, dv, keep, big, label in (
            (2, 3, 5, 4, 3, 0.8, 1.0, "N=2, padded keys, keep 0.8"),
            (1, 1, 4, 8, 2, 0.5, 1.0, "batch of 1, one query, keep 0.5"),
            (3, 4, 4, 4, 5, 0.9, 1.0, "causal, keep 0.9"),
            (2, 2, 6, 4, 3, 0.7, 30.0, "large scores (x30), keep 0.7"),
            (2, 4, 4, 4, 3, 0.6, 1.0, "left padding + causal (rows that see no key), keep 0.6")):
        mask = np.ones((N, Tq, Tv), dtype=bool)
        if "padded" in label:
            mask = np.broadcast_to(padding_mask([5, 2], Tv)[:, None, :], (N, Tq, Tv)).copy()
        if "causal" in label:
            mask = np.broadcast_to(causal_mask(Tq, Tv), (N, Tq, Tv)).copy()
        if "left padding" in label:              # a masked row: uniform weights, as in Keras
            mask = padding_mask([4, 2], Tv, left=True)[:, None, :] & causal_mask(Tq, Tv)
        keep_mask = (rng.random((N, Tq, Tv)) < keep).astype(float)
        keep_mask[..., 0] = 1.0                  # every row keeps a key it may see
        args = (big * rng.standard_normal((N, Tq, dk)), rng.standard_normal((N, Tv, dk)),
                rng.standard_normal((N, Tv, dv)), mask, keep_mask, keep)
        if with_dout:
            args = (rng.standard_normal((N, Tq, dv)),) + args
        cases.append(Case(args, label=label))
    return cases


def check_dropped_attention(attention: Callable) -> bool:
    """``attention(q (N, Tq, dk), k (N, Tv, dk), v (N, Tv, dv), mask (N, Tq, Tv) bool,
    keep_mask (N, Tq, Tv) 0/1, keep_prob) -> (out (N, Tq, dv), weights (N, Tq, Tv))``:
    weights = softmax(masked q k^T / sqrt(dk)) (before dropout), out = (weights * keep_mask /
    keep_prob) v."""
    mistakes = [Mistake(_dropped_bug("no rescale"), "inverted dropout divides the kept weights "
                        "by keep_prob, so that the expected output is the undropped one"),
                Mistake(_dropped_bug("rate"), "divide by keep_prob (the probability of KEEPING "
                        "a weight), not by the rate 1 - keep_prob"),
                Mistake(_dropped_bug("times keep"), "DIVIDE by keep_prob: multiplying shrinks "
                        "the output twice instead of restoring its expectation"),
                Mistake(_dropped_bug("dropped weights"), "return the weights BEFORE dropout "
                        "(what Keras returns as the attention scores); only the weighted sum "
                        "uses the dropped ones"),
                Mistake(_dropped_bug("before softmax"), "drop the weights AFTER the softmax "
                        "(Keras' placement): masking the scores lets the softmax renormalise, "
                        "which is a different regulariser")]
    return check("attention with dropout", attention, _dropped, _dropout_cases(18), mistakes,
                 returns="the tuple (out, weights)", names=("out", "weights"))


# --- 2. its backward pass -----------------------------------------------------------------------
def _dropped_backward(dout, q, k, v, mask, keep_mask, keep_prob):
    _, cache = scaled_dot_product_attention_forward(q, k, v, mask,
                                                    dropout=(keep_mask, keep_prob))
    return scaled_dot_product_attention_backward(dout, cache)[0]


def _dropped_backward_bug(bug: str):
    def backward(dout, q, k, v, mask, keep_mask, keep_prob):
        c = 1.0 / np.sqrt(q.shape[-1])
        a = _weights(q, k, mask)
        dropped = a * keep_mask / keep_prob
        dv = np.swapaxes(a if bug == "dv undropped" else dropped, -1, -2) @ dout
        da_dropped = dout @ np.swapaxes(v, -1, -2)
        da = da_dropped if bug == "no mask in da" else da_dropped * keep_mask / keep_prob
        ds = softmax_backward(da, dropped if bug == "dropped in softmax" else a)
        ds = np.where(mask, ds, 0.0) * (1.0 if bug == "no scale" else c)
        return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv
    return backward


def check_dropped_attention_backward(backward: Callable) -> bool:
    """``backward(dout (N, Tq, dv), q, k, v, mask, keep_mask, keep_prob) -> (dq, dk, dv)``
    shaped like q, k, v: the gradients of attention with dropout (same mask as the forward)."""
    mistakes = [Mistake(_dropped_backward_bug("dv undropped"), "dv = (DROPPED weights)^T dout: "
                        "the values were averaged with the dropped, rescaled weights"),
                Mistake(_dropped_backward_bug("no mask in da"), "the gradient of the weights "
                        "goes back through the dropout: d weights = (dout v^T) * keep_mask / "
                        "keep_prob (the same mask as the forward pass)"),
                Mistake(_dropped_backward_bug("dropped in softmax"), "the softmax's backward "
                        "uses the softmax's own output (the weights before dropout), not the "
                        "dropped ones"),
                Mistake(_dropped_backward_bug("no scale"), "the scores were q k^T / sqrt(dk): "
                        "multiply their gradient by 1/sqrt(dk) before dq and dk")]
    return check("attention with dropout, backward", backward, _dropped_backward,
                 _dropout_cases(19, with_dout=True), mistakes,
                 returns="the tuple (dq, dk, dv)", names=("dq", "dk", "dv"))


# --- 3. the encoder-decoder masks -------------------------------------------------------------
def _masks(src_ids, pad, T):
    N, S = src_ids.shape
    return causal_mask(T), np.broadcast_to((src_ids != pad)[:, None, :], (N, T, S)).copy()


def _masks_bug(bug: str):
    def masks(src_ids, pad, T):
        N, S = src_ids.shape
        real = (src_ids == pad) if bug == "pad true" else (src_ids != pad)
        cross = np.broadcast_to(real[:, None, :], (N, T, S)).copy()
        if bug == "cross causal":
            cross &= np.tri(T, S, dtype=bool)
        own = {"future": ~np.tri(T, dtype=bool) | np.eye(T, dtype=bool),
               "strict": np.tri(T, k=-1, dtype=bool)}.get(bug, np.tri(T, dtype=bool))
        return own, cross
    return masks


def check_decoder_masks(masks: Callable) -> bool:
    """``masks(src_ids (N, S) ints, pad int, T int) -> (self_mask (T, T) bool, cross_mask
    (N, T, S) bool)``: True = may attend. The decoder's self-attention is causal; its
    cross-attention sees every real (non-pad) source position, whatever the output step."""
    cases = [Case((np.array([[0, 0, 5, 6, 7], [3, 4, 5, 6, 7]]), 0, 4),
                  label="left-padded sources, N=2, S=5, T=4"),
             Case((np.array([[9, 8, 7]]), 0, 1), label="batch of 1, no padding, T=1"),
             Case((np.array([[2, 2, 2, 4], [2, 5, 6, 7], [2, 2, 3, 3]]), 2, 11),
                  label="pad id 2, T=11 > S=4")]
    mistakes = [Mistake(_masks_bug("future"), "the self mask lets each position see the "
                        "FUTURE: keep key s <= query t (the lower triangle)"),
                Mistake(_masks_bug("strict"), "a decoder position may attend to itself: keep "
                        "the diagonal (s <= t)"),
                Mistake(_masks_bug("pad true"), "the cross mask is True where the source token "
                        "is REAL (src_ids != pad): padding must get weight 0"),
                Mistake(_masks_bug("cross causal"), "cross-attention is not causal: every "
                        "output step may read the whole source (only the padding is hidden)")]
    return check("encoder-decoder masks", masks, _masks, cases, mistakes,
                 returns="the tuple (self_mask, cross_mask)", names=("self_mask", "cross_mask"))


# --- 4. teacher-forced decoder inputs ---------------------------------------------------------
def _inputs(y, start):
    x = np.full_like(y, start)
    x[:, 1:] = y[:, :-1]
    return x


def _inputs_bug(bug: str):
    def inputs(y, start):
        if bug == "no shift":
            return y.copy()
        x = np.full_like(y, start)
        if bug == "start last":
            x[:, :-1] = y[:, 1:]
        else:                                     # "no start": shifted, zeros first
            x[:, 1:] = y[:, :-1]
            x[:, 0] = 0
        return x
    return inputs


def check_decoder_inputs(inputs: Callable) -> bool:
    """``inputs(y (N, T) ints, start int) -> (N, T) ints``: the start token, then the TRUE
    previous target y[:, t-1] at step t (teacher forcing)."""
    cases = [Case((np.array([[3, 4, 5, 0], [6, 6, 7, 0]]), 0), label="N=2, T=4, start 0"),
             Case((np.array([[9]]), 1), label="batch of 1, one position, start 1"),
             Case((np.array([[5, 3, 4, 4, 2, 5, 6, 7, 3, 8, 1]]), 1),
                  label="a date (T=11), start 1")]
    mistakes = [Mistake(_inputs_bug("no shift"), "step t reads the PREVIOUS target y[t-1]; "
                        "reading y[t] itself lets the decoder copy the answer"),
                Mistake(_inputs_bug("start last"), "shift RIGHT: x[:, 0] = start and x[:, 1:] = "
                        "y[:, :-1] (you shifted left)"),
                Mistake(_inputs_bug("no start"), "the first input is the start token `start`, "
                        "not 0")]
    return check("teacher-forced decoder inputs", inputs, _inputs, cases, mistakes,
                 returns="an (N, T) integer array")


# --- 5. one beam step for a decoder that re-reads its prefix ------------------------------------
def _extend(prefixes, scores, logp, k):
    beam, token, new = beam_step(scores, logp, k)
    return np.concatenate([prefixes[beam], token[:, None]], axis=1), new


def _extend_bug(bug: str):
    def extend(prefixes, scores, logp, k):
        total = logp if bug == "no prefix score" else scores[:, None] + logp
        best = np.argsort(total, axis=None, kind="stable")[:k] if bug == "lowest" else \
            np.argsort(-total, axis=None, kind="stable")[:k]
        beam, token = np.divmod(best, logp.shape[1])
        rows = np.arange(k) % len(prefixes) if bug == "no reorder" else beam
        new = (scores[:, None] + logp)[beam, token]
        return np.concatenate([prefixes[rows], token[:, None]], axis=1), new
    return extend


def check_extend_beams(extend: Callable) -> bool:
    """``extend(prefixes (B, t) ints, scores (B,), logp (B, V), k) -> (new_prefixes (k, t+1),
    new_scores (k,))``: the k best one-token extensions, best first, each row the prefix it
    extends (reordered) with the new token appended."""
    rng = np.random.default_rng(5)

    def logp(B, V):
        z = 2 * rng.standard_normal((B, V))
        return z - np.log(np.exp(z).sum(1, keepdims=True))
    cases = [Case((np.zeros((1, 0), dtype=int), np.array([0.0]), logp(1, 6), 3),
                  label="the first step: one empty prefix"),
             Case((np.array([[3, 1], [4, 4], [5, 2]]), np.log([0.2, 0.5, 0.3]), logp(3, 6), 3),
                  label="B=3, t=2, the best prefix is not the first row"),
             Case((np.array([[1, 2, 3], [3, 2, 1]]), np.array([-800.0, -801.0]), logp(2, 14), 5),
                  label="long prefixes (log P near -800), V=14, k=5"),
             Case((np.array([[4], [6]]), np.log([0.5, 0.5]), np.log(np.full((2, 4), 0.25)), 3),
                  label="ties everywhere (two equal prefixes, uniform next token)")]
    mistakes = [Mistake(_extend_bug("no reorder"), "each new row must start with the prefix it "
                        "EXTENDS (prefixes[beam]): the best extensions may all come from one "
                        "prefix"),
                Mistake(_extend_bug("no prefix score"), "rank the WHOLE sequence: add the "
                        "prefix's score to the next token's log-probability"),
                Mistake(_extend_bug("lowest"), "keep the k HIGHEST scores (sort descending)")]
    return check("one beam step (prefix re-read)", extend, _extend, cases, mistakes,
                 returns="the tuple (new_prefixes, new_scores)",
                 names=("new_prefixes", "new_scores"))
