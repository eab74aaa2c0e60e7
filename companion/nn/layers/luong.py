"""Multiplicative attention scores (Luong et al. 2015): ``dot`` and ``general``, the
alternatives to the additive score of ``attention.BahdanauAttention`` (chapter 13).

For queries s_t (N, Tq, Dq) and keys h_j (N, Tv, Dk) (also the values):

    dot:      e_tj = s_t . h_j                (needs Dq == Dk; no parameters)
    general:  e_tj = s_t W h_j                W (Dq, Dk)
    a_tj = softmax_j(e_tj),  c_t = sum_j a_tj h_j

Keras twin: ``Attention()`` (score_mode "dot", no scale) on the query (projected by
``Dense(Dk, use_bias=False)`` for ``general``) and the keys, with the keys as values.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion.nn import initializers
from companion.nn.activations import softmax_backward
from companion.nn.layers.attention import (
    BahdanauAttention,
    additive_key_mask,
    checked_context_grad,
    masked_softmax,
)
from companion.nn.shape_checks import check_cache, check_dout, check_operand

SCORES = ("additive", "general", "dot")


class LuongCache(NamedTuple):
    query: np.ndarray       # (N, Tq, Dq)
    projected: np.ndarray   # query @ W (N, Tq, Dk), or the query itself for dot
    keys: np.ndarray        # (N, Tv, Dk)
    W: np.ndarray | None    # (Dq, Dk) for general, None for dot
    weights: np.ndarray     # a (N, Tq, Tv)


def luong_attention_forward(query, keys, W=None, mask=None):
    """c = softmax((query W) keys^T) keys; ``W=None`` is the dot score.

    query (N, Tq, Dq), keys (N, Tv, Dk), W (Dq, Dk) or None (then Dq == Dk), mask (N, Tv)
    booleans (True = a real key) or None. Returns (context (N, Tq, Dk), cache); the weights
    are ``cache.weights`` (N, Tq, Tv).
    """
    query, keys, W = _checked(query, keys, W)
    qW = query if W is None else query @ W
    if qW.shape[-1] != keys.shape[-1]:
        raise ValueError(f"query and keys: the dot score (W=None) needs equal feature sizes, got "
                         f"{query.shape[-1]} and {keys.shape[-1]} (use the general score)")
    m = None if mask is None else additive_key_mask(mask, keys.shape[:2])[:, None, :]
    a = masked_softmax(qW @ keys.transpose(0, 2, 1), m)
    return a @ keys, LuongCache(query, qW, keys, W, a)


def _checked(query, keys, W):
    """query (N, Tq, Dq), keys (N, Tv, Dk), W (Dq, Dk) or None: real arrays, O(1), with a fast
    path (a decoder calls this once per step)."""
    if (type(query) is np.ndarray and type(keys) is np.ndarray and query.ndim == keys.ndim == 3
            and len(query) == len(keys) and query.dtype.kind in "fiub"
            and keys.dtype.kind in "fiub" and (W is None or (
                type(W) is np.ndarray and W.shape == (query.shape[2], keys.shape[2])
                and W.dtype.kind in "fiub"))):
        return query, keys, W
    query = check_operand(query, "luong_attention_forward: query", (None, None, None))
    keys = check_operand(keys, "luong_attention_forward: keys", (len(query), None, None),
                         why="(query's batch size)")
    if W is not None:
        W = check_operand(W, "luong_attention_forward: W", (query.shape[2], keys.shape[2]),
                          why="(query's and keys' features)")
    return query, keys, W


def luong_attention_backward(dcontext, cache: LuongCache):
    """dcontext (N, Tq, Dk) -> ((dquery, dkeys), grads): grads is (dW,) for general, () for
    dot."""
    q, qW, h, W, a = check_cache(cache, "luong_attention_backward: cache",
                                 (np.ndarray,) * 3 + ((np.ndarray, type(None)), np.ndarray),
                                 "luong_attention_forward", LuongCache)
    dcontext = check_dout(dcontext, a.shape[:2] + h.shape[2:],
                          "luong_attention_backward: dcontext (dout)")
    dkeys = a.transpose(0, 2, 1) @ dcontext                        # the values' path
    de = softmax_backward(dcontext @ h.transpose(0, 2, 1), a)      # (N, Tq, Tv)
    dqW = de @ h                                                   # (N, Tq, Dk)
    dkeys = dkeys + de.transpose(0, 2, 1) @ qW                     # the keys' path
    if W is None:
        return (dqW, dkeys), ()
    return (dqW @ W.T, dkeys), (np.einsum("nqi,nqj->ij", q, dqW),)


class LuongAttention(BahdanauAttention):
    """LuongAttention(score="general" | "dot"): multiplicative attention with the
    BahdanauAttention surface (``forward(query, keys, mask)``, ``backward(dcontext) ->
    (dquery, dkeys)``, ``attention_weights``). Parameters: ``kernel`` (Dq, Dk) for general."""

    def __init__(self, score: str = "general", name: str | None = None, dtype="float64"):
        if score not in ("general", "dot"):
            raise ValueError(f"score must be 'general' or 'dot', got {score!r}")
        super().__init__(1, name, dtype)
        self.score = score

    def build(self, input_shape, rng=None):
        (_, dq), (_, dk) = input_shape
        if self.score == "general":
            self.add_weight("kernel", initializers.get("glorot_uniform")((dq, dk), rng))
        elif dq != dk:
            raise ValueError(f"{self.name}: the dot score needs equal query and key sizes, "
                             f"got {dq} and {dk}")
        self.input_shape, self.output_shape = tuple(input_shape), (None, dk)
        self.built = True
        return self.output_shape

    def forward(self, query, keys=None, mask=None, training=False):
        self._require_built()
        q = check_operand(query, f"{self.name}: query", (None, None, None))
        k = check_operand(keys, f"{self.name}: keys", (None, None, None))
        c, self._cache = luong_attention_forward(q.astype(self.dtype, copy=False),
                                                 k.astype(self.dtype, copy=False),
                                                 self.params.get("kernel"), mask)
        self.attention_weights = self._cache.weights
        return c

    def backward(self, dout):
        cache = checked_context_grad(self, dout)
        (dq, dk), grads = luong_attention_backward(dout, cache)
        self.grads = dict(zip(self.params, grads))
        return dq, dk
