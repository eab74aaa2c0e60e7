"""Chapter 13 exercises: additive attention forward (weights and context) and backward, the
teacher-forcing shift, and one step of beam search; the capstone trains the date translator
with the learner's attention.

References: ``companion.nn.layers.attention.additive_attention_forward``/``_backward`` and
``companion.models.seq2seq.teacher_forcing_inputs``/``beam_step``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, check, hints, planted
from companion.models.seq2seq import Seq2Seq, beam_step, evaluate, teacher_forcing_inputs, train
from companion.nn.activations import softmax
from companion.nn.layers.attention import (
    AdditiveCache,
    BahdanauAttention,
    additive_attention_backward,
    additive_attention_forward,
    padding_mask,
)

HINTS = hints("ch13")


def _attention_arrays(rng, N, Tq, Tv, Dq, Dk, d, lengths):
    return (rng.standard_normal((N, Tq, Dq)), rng.standard_normal((N, Tv, Dk)),
            rng.standard_normal((Dq, d)), rng.standard_normal((Dk, d)), rng.standard_normal(d),
            padding_mask(lengths, Tv))


def _attention_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    return [Case(_attention_arrays(rng, 2, 3, 4, 3, 5, 3, [4, 4]), label="no padding"),
            Case(_attention_arrays(rng, 2, 3, 5, 4, 6, 3, [5, 3]), label="a padded batch"),
            Case(_attention_arrays(rng, 1, 1, 4, 2, 3, 5, [4]), label="one query, no padding"),
            Case(_attention_arrays(rng, 3, 2, 6, 3, 2, 4, [1, 6, 2]), label="N=3, short keys"),
            Case(_large_scores(_attention_arrays(rng, 2, 2, 5, 3, 4, 3, [5, 4])),
                 label="large scores (v of size 1000: exp overflows without the max shift)")]


def _large_scores(args):
    q, h, Wq, Wk, v, mask = args
    return q, h, Wq, Wk, 1000.0 * v, mask


# --- 1. attention weights and context -----------------------------------------------------------
def _attend(query, keys, Wq, Wk, v, mask):
    c, cache = additive_attention_forward(query, keys, Wq, Wk, v, mask)
    return c, cache.weights


def _attend_bug(bug: str):
    def attend(query, keys, Wq, Wk, v, mask):
        k = keys @ Wk
        pre = (query @ Wq)[:, :, None, :] + k[:, None, :, :]
        e = (pre if bug == "no tanh" else np.tanh(pre)) @ v
        if bug != "no mask":
            e = e - 1e9 * ~mask[:, None, :]
        a = softmax(e, axis=1 if bug == "axis" else -1)
        return a @ (k if bug == "projected values" else keys), a
    return attend


def check_attention(attention: Callable) -> bool:
    """``attention(query (N, Tq, Dq), keys (N, Tv, Dk), Wq (Dq, d), Wk (Dk, d), v (d,),
    mask (N, Tv)) -> (context (N, Tq, Dk), weights (N, Tq, Tv))``."""
    mistakes = planted(_attend_bug, HINTS["attention"])
    return check("attention", attention, _attend, _attention_cases(), mistakes,
                 returns="the tuple (context, weights)", names=("context", "weights"))


# --- 2. the attention backward ------------------------------------------------------------------
def _backward_cases(seed: int = 1) -> list[Case]:
    cases = []
    for case in _attention_cases(seed):
        q, h, Wq, Wk, v, mask = case.args
        _, cache = additive_attention_forward(q, h, Wq, Wk, v, mask)
        dc = np.random.default_rng(seed).standard_normal((q.shape[0], q.shape[1], h.shape[2]))
        cases.append(Case((dc, q, h, Wq, Wk, v, cache.E, cache.weights), label=case.label))
    return cases


def _attention_backward(dcontext, query, keys, Wq, Wk, v, E, weights):
    (dq, dk), (dWq, dWk, dv) = additive_attention_backward(
        dcontext, AdditiveCache(query, keys, Wq, Wk, v, E, weights))
    return dq, dk, dWq, dWk, dv


def _backward_bug(bug: str):
    def backward(dcontext, query, keys, Wq, Wk, v, E, weights):
        dkeys = weights.transpose(0, 2, 1) @ dcontext
        da = dcontext @ keys.transpose(0, 2, 1)
        de = weights * da if bug == "softmax" else \
            weights * (da - (da * weights).sum(-1, keepdims=True))
        dpre = de[..., None] * v * (1.0 if bug == "tanh'" else 1.0 - E * E)
        dq, dk = dpre.sum(2), dpre.sum(1)
        dkeys_all = dk @ Wk.T if bug == "values" else dkeys + dk @ Wk.T
        return (dq @ Wq.T, dkeys_all, np.einsum("nqi,nqd->id", query, dq),
                np.einsum("nsi,nsd->id", keys, dk), np.einsum("nqs,nqsd->d", de, E))
    return backward


def check_attention_backward(attention_backward: Callable) -> bool:
    """``attention_backward(dcontext (N, Tq, Dk), query, keys, Wq, Wk, v, E (N, Tq, Tv, d),
    weights (N, Tq, Tv)) -> (dquery, dkeys, dWq, dWk, dv)``, E = tanh(W_q s + W_k h)."""
    mistakes = planted(_backward_bug, HINTS["attention_backward"])
    return check("attention backward", attention_backward, _attention_backward,
                 _backward_cases(), mistakes, returns="the tuple (dquery, dkeys, dWq, dWk, dv)",
                 names=("dquery", "dkeys", "dWq", "dWk", "dv"))


# --- 3. the teacher-forcing shift ---------------------------------------------------------------
def _shift_bug(bug: str):
    def inputs(y, V):
        eye = np.eye(V)
        if bug == "no shift":
            return eye[y]
        x = np.zeros(y.shape + (V,))
        if bug == "wrong way":
            x[:, :-1] = eye[y[:, 1:]]
        else:
            x[:, 1:] = eye[y[:, :-1]]
            x[:, 0, 0] = 1.0                        # bug "start token 0"
        return x
    return inputs


def check_decoder_inputs(decoder_inputs: Callable) -> bool:
    """``decoder_inputs(y (N, Ty) ids, V) -> (N, Ty, V)``: zeros at t = 0, then one-hot of
    the previous TRUE character."""
    rng = np.random.default_rng(3)
    cases = [Case((rng.integers(0, 5, (2, 4)), 5), label="N=2, Ty=4"),
             Case((rng.integers(0, 14, (3, 11)), 14), label="dates, Ty=11"),
             Case((np.array([[2]]), 3), label="a single step")]
    mistakes = planted(_shift_bug, HINTS["decoder_inputs"])
    return check("decoder_inputs", decoder_inputs, lambda y, V: teacher_forcing_inputs(y, V),
                 cases, mistakes, returns="the (N, Ty, V) array of inputs")


# --- 4. one step of beam search -----------------------------------------------------------------
def _beam_bug(bug: str):
    def step(scores, logp, k):
        total = logp if bug == "no prefix" else (
            np.exp(scores)[:, None] * logp if bug == "product" else scores[:, None] + logp)
        best = np.argsort(total, axis=None, kind="stable")[:k] if bug == "lowest" else \
            np.argsort(-total, axis=None, kind="stable")[:k]
        beam, tok = np.divmod(best, logp.shape[1])
        return beam, tok, (scores[:, None] + logp)[beam, tok]
    return step


def check_beam_step(beam_step_fn: Callable) -> bool:
    """``beam_step(scores (B,), logp (B, V), k) -> (beam (k,), token (k,), new_scores (k,))``,
    best first."""
    rng = np.random.default_rng(4)

    def logp(B, V):
        z = rng.standard_normal((B, V)) * 2
        return z - np.log(np.exp(z).sum(1, keepdims=True))
    cases = [Case((np.log([0.7, 0.2, 0.1]), logp(3, 5), 3), label="B=3, V=5, k=3"),
             Case((np.log([0.5, 0.5]), logp(2, 4), 4), label="two equal prefixes"),
             Case((np.array([0.0]), logp(1, 6), 2), label="the first step (one prefix)"),
             Case((np.log([0.9, 0.05]), logp(2, 14), 5), label="V=14, k=5"),
             Case((np.array([-800.0, -805.0, -801.0]), logp(3, 6), 4),
                  label="long prefixes (log P near -800: probabilities underflow to 0)")]
    mistakes = planted(_beam_bug, HINTS["beam_step"])
    return check("beam_step", beam_step_fn, beam_step, cases, mistakes,
                 returns="the tuple (beam, token, new_scores)",
                 names=("beam", "token", "new_scores"))


# --- capstone: the learner's attention trains the date translator ---------------------------
class _LearnersAttention(BahdanauAttention):
    """BahdanauAttention whose forward and backward are the learner's ``attention`` and
    ``attention_backward`` (E = tanh(query Wq + keys Wk) is recomputed for the backward)."""

    def __init__(self, units: int, forward: Callable, backward: Callable, dtype: str):
        super().__init__(units, dtype=dtype)
        self._forward, self._backward = forward, backward

    def forward(self, query, keys=None, mask=None, training=False):
        p = self.params
        c, w = self._forward(query, keys, p["query_kernel"], p["key_kernel"], p["scale"], mask)
        self._inputs = (query, keys, np.asarray(w, dtype=self.dtype))
        self.attention_weights = self._inputs[2]
        return np.asarray(c, dtype=self.dtype)

    def backward(self, dout):
        q, k, w = self._inputs
        Wq, Wk, v = self.params["query_kernel"], self.params["key_kernel"], self.params["scale"]
        E = np.tanh((q @ Wq)[:, :, None, :] + (k @ Wk)[:, None, :, :])
        out = [np.asarray(g, dtype=self.dtype) for g in self._backward(dout, q, k, Wq, Wk, v, E, w)]
        self.grads = dict(zip(("query_kernel", "key_kernel", "scale"), out[2:]))
        return out[0], out[1]


def _passes(check: Callable, fn: Callable) -> bool:
    with contextlib.redirect_stdout(io.StringIO()):
        return check(fn)


def capstone(attention: Callable, attention_backward: Callable, data, epochs: int = 1,
             units: int = 32, seed: int = 0) -> dict:
    """Train the date translator for ``epochs`` with YOUR attention forward and backward in its
    attention layer (each one that does not pass its checker yet is replaced by the package's,
    and the report says so); greedy decoding uses the package's forward (the same maths).
    Returns {"used" (which functions were yours), "history", "dev_exact"}."""
    mine = {"attention": _passes(check_attention, attention),
            "attention_backward": _passes(check_attention_backward, attention_backward)}
    forward = attention if mine["attention"] else _attend
    backward = attention_backward if mine["attention_backward"] else _attention_backward
    model = Seq2Seq(data.source_vocab, data.target_vocab, units=units, seed=seed)
    layer = _LearnersAttention(model.attention.units, forward, backward, model.dtype.name)
    layer.build(((None, 2 * units), (None, 2 * units)), np.random.default_rng(seed))
    layer.set_weights(model.attention.get_weights())
    model.attention = layer
    for name, yours in mine.items():
        print(f"{'✓ your' if yours else '✗ the package’s'} {name}"
              + ("" if yours else " (yours does not pass its checker yet: borrowed)"))
    history = train(model, data.train, epochs=epochs, seed=seed)
    dev = evaluate(model, data.dev)["exact"]
    print(f"after {epochs} epoch(s): training loss {history['loss'][-1]:.3f}, "
          f"dev exact match {dev:.1%}")
    return {"used": mine, "history": history, "dev_exact": dev}
