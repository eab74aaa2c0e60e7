"""Attention: additive (Bahdanau) attention, forward and backward in NumPy, and the layer.

Additive attention (Bahdanau et al. 2015), for queries s_t (N, Tq, Dq) and keys h_j (N, Tv, Dk):

    e_tj = v . tanh(W_q s_t + W_k h_j)        alignment scores       (N, Tq, Tv)
    a_tj = softmax_j(e_tj)                    attention weights, sum_j a_tj = 1
    c_t  = sum_j a_tj h_j                     context vector         (N, Tq, Dk)

Keras twin: ``Dense(units, use_bias=False)`` on the query and on the key, then
``AdditiveAttention(use_scale=True)([W_q s, h, W_k h])`` whose ``scale`` is v.

Scaled dot-product and multi-head attention, and the masks (``masked_softmax``, ``causal_mask``,
``padding_mask``, ``as_mask``), live in ``companion.nn.layers.dot_product`` and layer
normalisation in ``companion.nn.layers.layer_norm``; both are re-exported here (their old home).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion.nn import initializers
from companion.nn.activations import softmax_backward
from companion.nn.layers.base import Layer
from companion.nn.layers.dot_product import (  # noqa: F401 (re-exported: their old home)
    MHA_KEYS,
    NEG,
    MultiHeadAttention,
    as_mask,
    causal_mask,
    check_last,
    masked_softmax,
    mha_mask,
    multi_head_attention_backward,
    multi_head_attention_forward,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from companion.nn.layers.layer_norm import (  # noqa: F401 (re-exported: their old home)
    LayerNormalization,
    layer_norm_backward,
    layer_norm_forward,
)
from companion.nn.shape_checks import check_cache, check_dout, check_mask, check_operand
from companion.nn.validation import check_int

REAL = "fiub"      # the dtype kinds an operand may have (floats, integers, booleans)


# -- additive (Bahdanau) attention ---------------------------------------------------------
class AdditiveCache(NamedTuple):
    query: np.ndarray       # (N, Tq, Dq)
    keys: np.ndarray        # (N, Tv, Dk), also the values
    Wq: np.ndarray          # (Dq, d)
    Wk: np.ndarray          # (Dk, d)
    v: np.ndarray           # (d,)
    E: np.ndarray           # tanh(W_q s + W_k h): (N, Tq, Tv, d)
    weights: np.ndarray     # a: (N, Tq, Tv)


def additive_attention_forward(query, keys, Wq, Wk, v, mask=None, projected_keys=None):
    """c = softmax(v . tanh(query Wq + keys Wk)) keys.

    query (N, Tq, Dq), keys (N, Tv, Dk) (they are also the values), Wq (Dq, d), Wk (Dk, d),
    v (d,), mask (N, Tv) boolean (True = a real key) or None. ``projected_keys`` (N, Tv, d) is
    keys @ Wk when already computed (a decoder reuses it at every step).
    Returns (context (N, Tq, Dk), cache); ``cache.weights`` are the a_tj (N, Tq, Tv).
    """
    query, keys, Wq, Wk, v, projected_keys = _checked_additive(query, keys, Wq, Wk, v,
                                                               projected_keys)
    k = keys @ Wk if projected_keys is None else projected_keys
    E = np.tanh((query @ Wq)[:, :, None, :] + k[:, None, :, :])     # (N, Tq, Tv, d)
    m = None if mask is None else additive_key_mask(mask, keys.shape[:2])[:, None, :]
    a = masked_softmax(E @ v, m)                                   # (N, Tq, Tv)
    return a @ keys, AdditiveCache(query, keys, Wq, Wk, v, E, a)


def _checked_additive(query, keys, Wq, Wk, v, projected_keys):
    """The arrays of ``additive_attention_forward``, their shapes checked against each other
    (O(1): it runs once per decoder step; real arrays whose shapes agree take the fast path)."""
    try:
        (N, _, dq), (n, Tv, dk), (dq2, d), (dk2, d2), (d3,) = (query.shape, keys.shape, Wq.shape,
                                                               Wk.shape, v.shape)
        if ((n, dq2, dk2, d2, d3) == (N, dq, dk, d, d) and query.dtype.kind in REAL
                and keys.dtype.kind in REAL and Wq.dtype.kind in REAL and Wk.dtype.kind in REAL
                and v.dtype.kind in REAL and (projected_keys is None or (
                    projected_keys.shape == (N, Tv, d) and projected_keys.dtype.kind in REAL))):
            return query, keys, Wq, Wk, v, projected_keys
    except (AttributeError, TypeError, ValueError):
        pass                                   # not arrays of those ranks: the checks say why
    where = "additive_attention_forward"
    query = check_operand(query, f"{where}: query", (None, None, None))
    N, _, dq = query.shape
    keys = check_operand(keys, f"{where}: keys", (N, None, None), why="(query's batch size)")
    Wq = check_operand(Wq, f"{where}: Wq", (dq, None), why="(query's features)")
    d = Wq.shape[1]
    Wk = check_operand(Wk, f"{where}: Wk", (keys.shape[2], d), why="(keys' features, Wq's units)")
    v = check_operand(v, f"{where}: v", (d,), why="(Wq's units)")
    if projected_keys is not None:
        projected_keys = check_operand(projected_keys, f"{where}: projected_keys",
                                       keys.shape[:2] + (d,), why="(keys @ Wk)")
    return query, keys, Wq, Wk, v, projected_keys


def additive_key_mask(mask, shape: tuple) -> np.ndarray:
    """Additive attention's key mask: (N, Tv) booleans or 0/1 integers, True = a real key."""
    arr = check_mask(mask, "mask", None)
    if arr.shape != tuple(shape):
        raise ValueError(f"mask: expected shape (N, Tv) = {tuple(shape)} (one flag per key; "
                         f"additive attention takes no per-query mask), got {arr.shape}")
    return arr


def checked_context_grad(layer, dout):
    """The last forward's cache of an attention layer whose output is the context (N, Tq, Dv),
    after checking that ``dout`` has that shape (a batch or feature slip would broadcast)."""
    if not isinstance(layer, Layer) or not hasattr(layer, "attention_weights"):
        raise TypeError(f"checked_context_grad: layer: expected an attention layer "
                        f"(BahdanauAttention, LuongAttention), got {type(layer).__name__}")
    cache = layer._cached()
    check_dout(dout, cache.query.shape[:2] + cache.keys.shape[2:], f"{layer.name}: dout")
    return cache


def additive_attention_backward(dcontext, cache: AdditiveCache):
    """dcontext (N, Tq, Dk) -> ((dquery (N, Tq, Dq), dkeys (N, Tv, Dk)), (dWq (Dq, d),
    dWk (Dk, d), dv (d,))): the input gradients, then the gradients in the parameters' order
    (query_kernel, key_kernel, scale)."""
    q, h, Wq, Wk, v, E, a = check_cache(cache, "additive_attention_backward: cache",
                                        (np.ndarray,) * 7, "additive_attention_forward",
                                        AdditiveCache)
    dcontext = check_dout(dcontext, a.shape[:2] + h.shape[2:],
                          "additive_attention_backward: dcontext (dout)")
    dkeys = a.transpose(0, 2, 1) @ dcontext                         # through c = a h
    de = softmax_backward(dcontext @ h.transpose(0, 2, 1), a)       # (N, Tq, Tv)
    dv = np.einsum("nqs,nqsd->d", de, E)
    dpre = de[..., None] * v * (1.0 - E * E)                        # (N, Tq, Tv, d)
    dq, dk = dpre.sum(axis=2), dpre.sum(axis=1)                     # (N, Tq, d), (N, Tv, d)
    dkeys += dk @ Wk.T
    grads = (np.einsum("nqi,nqd->id", q, dq), np.einsum("nsi,nsd->id", h, dk), dv)
    return (dq @ Wq.T, dkeys), grads


class BahdanauAttention(Layer):
    """BahdanauAttention(units): additive attention with its two projections and scale v.

    Parameters (Keras order of the twin Dense, Dense, AdditiveAttention): ``query_kernel``
    (Dq, units), ``key_kernel`` (Dk, units), ``scale`` (units,).
    ``forward(query (N, Tq, Dq), keys (N, Tv, Dk), mask=None) -> context (N, Tq, Dk)``;
    ``attention_weights`` holds the last attention weights (N, Tq, Tv) (``weights()`` is the
    Layer's dict of parameters);
    ``backward(dcontext) -> (dquery, dkeys)`` (two inputs: a tuple), gradients in ``grads``.
    """

    def __init__(self, units: int, name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.units = check_int(units, "BahdanauAttention: units")
        self.attention_weights: np.ndarray | None = None

    def build(self, input_shape, rng=None):
        """``input_shape``: ((Tq, Dq), (Tv, Dk)), the query's and the keys' shapes."""
        (_, dq), (_, dk) = input_shape
        glorot = initializers.get("glorot_uniform")
        self.add_weight("query_kernel", glorot((dq, self.units), rng))
        self.add_weight("key_kernel", glorot((dk, self.units), rng))
        self.add_weight("scale", glorot((1, self.units), rng)[0])
        self.input_shape, self.output_shape = tuple(input_shape), (None, dk)
        self.built = True
        return self.output_shape

    def forward(self, query, keys=None, mask=None, training=False):
        self._require_built()
        p = self.params
        q = check_last(query, f"{self.name}: query", 3, p["query_kernel"].shape[0], self.dtype)
        k = check_last(keys, f"{self.name}: keys", 3, p["key_kernel"].shape[0], self.dtype)
        c, self._cache = additive_attention_forward(q, k, p["query_kernel"], p["key_kernel"],
                                                    p["scale"], mask)
        self.attention_weights = self._cache.weights
        return c

    def backward(self, dout):
        cache = checked_context_grad(self, dout)
        (dq, dk), grads = additive_attention_backward(dout, cache)
        self.grads = dict(zip(("query_kernel", "key_kernel", "scale"), grads))
        return dq, dk
