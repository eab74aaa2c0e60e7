"""Scaled dot-product and multi-head attention and the attention masks, forward and backward in
NumPy (the transformer's attention; ``companion.nn.layers.attention`` re-exports them).

Scaled dot-product attention (Vaswani et al. 2017): softmax(Q K^T / sqrt(d_k)) V, with a
padding mask (which keys exist) and a causal mask (query t sees keys <= t). Masks are boolean
(True = attend) or 0/1 integers; an additive float mask (0 / -inf, as PyTorch writes it) is
refused by name. Masked scores are *replaced* by -1e9, as ``keras.layers.MultiHeadAttention``
does (its default, fused path), so their weights are exactly 0 in float32 and float64; a query
row whose keys are all masked (left padding under a causal mask) gets uniform weights over all
its keys, as in Keras, and no gradient reaches its scores. (Keras' other path, taken with
``return_attention_scores=True`` or dropout, zeroes such a row's weights instead.)

Multi-head attention stores its weights in ``keras.layers.MultiHeadAttention``'s layouts:
query/key/value kernels (d_model, heads, head_dim) with biases (heads, head_dim), output kernel
(heads, head_dim, d_model) with bias (d_model,); each head is a scaled dot-product attention.
"""

from __future__ import annotations

import numpy as np

from companion.nn import initializers
from companion.nn.activations import softmax, softmax_backward
from companion.nn.layers.base import Layer
from companion.nn.layers.dropout import Dropout
from companion.nn.shape_checks import check_cache, check_dout, check_mask, check_operand
from companion.nn.validation import as_array, check_bool, check_int, check_interval

NEG = 1e9          # what a masked score loses before the softmax (Keras' value for float32)


def check_last(x, name: str, ndim: int, d: int | None = None, dtype=None) -> np.ndarray:
    """``x`` as an ndim-array (of ``dtype``) whose last axis is ``d``, or a clear error (an
    attention layer's inputs: (N, T, d))."""
    x = as_array(x, name)
    if x.ndim != ndim or (d is not None and x.shape[-1] != d):
        want = ", ".join(["N"] + ["T"] * (ndim - 2) + [str(d) if d is not None else "D"])
        raise ValueError(f"{name}: expected shape ({want}), got {x.shape}")
    return x if dtype is None else x.astype(dtype, copy=False)


def masked_softmax(scores, mask=None):
    """Softmax over the last axis; ``mask`` (broadcastable, True = attend) removes entries.

    scores (..., Tq, Tv) -> weights (..., Tq, Tv); masked weights are 0. ``mask`` bool or 0/1
    ints, of 2 or more axes, each 1 or the scores' (an additive float mask is refused).
    """
    if not (type(scores) is np.ndarray and scores.ndim >= 2 and scores.dtype.kind in "fiub"):
        scores = check_operand(scores, "masked_softmax: scores", (None, None), any_leading=True)
    if not (mask is None or type(mask) is np.ndarray and mask.dtype.kind == "b"):
        mask = as_mask(mask, "mask")
    if mask is not None:
        _check_broadcast(mask, scores.shape, "mask")
        scores = np.where(mask, scores, scores - NEG)           # keeps the scores' dtype
    return softmax(scores, axis=-1)


def causal_mask(Tq: int, Tv: int | None = None) -> np.ndarray:
    """(Tq, Tv) boolean lower-triangular mask: query t may attend to keys 0..t."""
    Tq = check_int(Tq, "causal_mask: Tq")
    return np.tri(Tq, check_int(Tv, "causal_mask: Tv") if Tv is not None else Tq, dtype=bool)


def padding_mask(lengths, T: int, left: bool = False) -> np.ndarray:
    """(N, T) boolean mask of the real positions of sequences of the given lengths
    (right-padded, or left-padded with ``left=True``); lengths are integers in 0..T."""
    T = check_int(T, "padding_mask: T")
    left = check_bool(left, "padding_mask: left")
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not (np.issubdtype(lengths.dtype, np.integer) or lengths.size == 0):
        raise ValueError(f"padding_mask: lengths must be a 1-D array of integers, got "
                         f"{lengths.dtype} of shape {lengths.shape}")
    bad = lengths[(lengths < 0) | (lengths > T)]
    if bad.size:
        raise ValueError(f"padding_mask: lengths must lie in 0..T={T}, got {int(bad[0])}")
    pos = np.arange(T)[None, :]
    return pos >= T - lengths[:, None] if left else pos < lengths[:, None]


def as_mask(mask, name: str) -> np.ndarray | None:
    """``mask`` as a boolean array (True = attend), from bool or 0/1 integers; None stays None.
    The one rule of ``shape_checks.check_mask`` (an additive float mask is refused by name); the
    shape is checked by the caller."""
    if not isinstance(name, str):
        raise TypeError(f"as_mask: name: expected the argument's name (a str), got "
                        f"{type(name).__name__} {name!r:.40}")
    return check_mask(mask, name, None)


def _check_broadcast(mask: np.ndarray, shape: tuple, name: str) -> None:
    """``mask`` must have 2 to len(shape) axes, each 1 or the size of ``shape``'s (from the right)."""
    ok = 2 <= mask.ndim <= len(shape) and all(
        m in (1, s) for m, s in zip(mask.shape[::-1], shape[::-1]))
    if not ok:
        raise ValueError(f"{name}: a mask of shape {mask.shape} does not fit scores of shape "
                         f"{shape}: expected (..., Tq, Tv) with each axis 1 or the scores' (a "
                         "padding mask (N, Tv) is passed as mask[:, None, :])")


# -- scaled dot-product attention ------------------------------------------------------------
def scaled_dot_product_attention_forward(q, k, v, mask=None, causal: bool = False,
                                         scale: bool = True, dropout=None):
    """softmax(q k^T / sqrt(d_k), masked) v, over any leading axes (batch, heads).

    q (..., Tq, dk), k (..., Tv, dk), v (..., Tv, dv); mask bool or 0/1 ints, broadcastable to
    (..., Tq, Tv) with at least 2 axes, True = attend (a padding mask (N, Tv) is passed as
    mask[:, None, :]); ``causal`` adds the lower-triangular mask; ``scale=False`` drops the
    1/sqrt(d_k) (to show why it is there). Masked scores are replaced by -1e9 (Keras'
    MultiHeadAttention): a fully masked row gets uniform weights. ``dropout`` = (M 0/1
    (..., Tq, Tv), keep_prob) drops weights after the softmax, out = (a * M / keep_prob) v, as
    Keras' MultiHeadAttention(dropout=) does in training; None: no dropout.
    Returns (out (..., Tq, dv), cache) with the weights (..., Tq, Tv) as ``cache[-1]``.
    """
    q, k, v = _checked_qkv(q, k, v)
    causal = check_bool(causal, "scaled_dot_product_attention_forward: causal")
    scale = check_bool(scale, "scaled_dot_product_attention_forward: scale")
    c = 1.0 / float(np.sqrt(q.shape[-1])) if scale else 1.0
    s = (q @ np.swapaxes(k, -1, -2)) * c
    mask = as_mask(mask, "mask")
    if mask is not None:
        _check_broadcast(mask, s.shape, "mask")
    if causal:
        cm = causal_mask(q.shape[-2], k.shape[-2])
        mask = cm if mask is None else np.logical_and(mask, cm)
    if mask is not None:
        s = np.where(mask, s, np.asarray(-NEG, dtype=s.dtype))
    a = softmax(s, axis=-1)
    dropout = _checked_dropout(dropout, s.shape)
    a_drop = a if dropout is None else a * dropout[0] / dropout[1]
    return a_drop @ v, (q, k, v, c, mask, dropout, a)


def _checked_qkv(q, k, v):
    """q (..., Tq, dk), k (..., Tv, dk), v (..., Tv, dv) with the same leading axes (a key
    array for one example would broadcast over a batch of queries and its gradient would
    come back summed over the batch)."""
    where = "scaled_dot_product_attention_forward"
    q = check_operand(q, f"{where}: q", (None, None), any_leading=True)
    k = check_operand(k, f"{where}: k", q.shape[:-2] + (None, q.shape[-1]),
                      why="(q's leading axes and d_k)")
    v = check_operand(v, f"{where}: v", k.shape[:-1] + (None,), why="(k's leading axes and Tv)")
    return q, k, v


def _checked_dropout(dropout, shape: tuple):
    """None, or (M, keep_prob): M 0/1 of the scores' ``shape``, keep_prob in (0, 1]."""
    where = "scaled_dot_product_attention_forward: dropout"
    if dropout is None:
        return None
    if not isinstance(dropout, tuple) or len(dropout) != 2:
        raise TypeError(f"{where}: expected None or (mask, keep_prob), got "
                        f"{type(dropout).__name__} {dropout!r:.40}")
    return (check_operand(dropout[0], f"{where} mask", shape),
            check_interval(dropout[1], f"{where} keep_prob", 0.0, 1.0, "(]"))


def scaled_dot_product_attention_backward(dout, cache):
    """dout (..., Tq, dv) -> ((dq, dk, dv) shaped like q, k, v, ()): no parameters."""
    q, k, v, c, mask, drop, a = check_cache(
        cache, "scaled_dot_product_attention_backward: cache", (np.ndarray, np.ndarray,
                                                                np.ndarray, float,
                                                                (np.ndarray, type(None)),
                                                                (tuple, type(None)), np.ndarray),
        "scaled_dot_product_attention_forward")
    shape = np.broadcast_shapes(a.shape[:-2], v.shape[:-2]) + (a.shape[-2], v.shape[-1])
    dout = check_dout(dout, shape, "scaled_dot_product_attention_backward: dout")
    keep = (lambda x: x) if drop is None else (lambda x: x * drop[0] / drop[1])  # same mask
    dv = np.swapaxes(keep(a), -1, -2) @ dout
    ds = softmax_backward(keep(dout @ np.swapaxes(v, -1, -2)), a) * c
    if mask is not None:                          # a replaced score has no gradient
        ds = np.where(mask, ds, 0.0)
    return (ds @ k, np.swapaxes(ds, -1, -2) @ q, dv), ()


# -- multi-head attention (Keras layouts) --------------------------------------------------------
MHA_KEYS = ("query_kernel", "query_bias", "key_kernel", "key_bias", "value_kernel", "value_bias",
            "output_kernel", "output_bias")


def _heads(x, W, b):
    """x (N, T, D) W (D, h, k) + b (h, k) -> (N, h, T, k)."""
    return (np.einsum("ntd,dhk->nthk", x, W) + b).transpose(0, 2, 1, 3)


def mha_mask(mask, N: int, Tq: int, Tv: int, name: str = "attention_mask"):
    """A multi-head attention mask, (N, Tv) (which keys exist) or (N, Tq, Tv) (Keras' form),
    as a boolean (N, 1, Tq or 1, Tv) array for the heads' scores; None stays None."""
    N, Tq, Tv = (check_int(n, f"mha_mask: {w}") for n, w in ((N, "N"), (Tq, "Tq"), (Tv, "Tv")))
    m = as_mask(mask, name)
    if m is None:
        return None
    if m.ndim == 2 and m.shape == (N, Tv):
        return m[:, None, None, :]
    if m.ndim == 3 and all(a in (1, b) for a, b in zip(m.shape, (N, Tq, Tv))):
        return m[:, None]
    raise ValueError(f"{name}: expected shape ({N}, {Tv}) (which keys exist) or ({N}, {Tq}, "
                     f"{Tv}) (which key each query may see), got {m.shape}")


def multi_head_attention_forward(query, value, key, p: dict, mask=None, causal: bool = False,
                                 dropout=None):
    """Keras' MultiHeadAttention: heads of scaled dot-product attention, concatenated, projected.

    query (N, Tq, Dq), value (N, Tv, Dv), key (N, Tv, Dk); ``p`` holds the arrays named in
    ``MHA_KEYS`` (kernels (D, h, head_dim), biases (h, head_dim), output kernel (h, head_dim,
    d_out), bias (d_out,)); mask (N, Tq, Tv) or (N, Tv), bool or 0/1 ints, True = attend;
    ``dropout`` (M (N, h, Tq, Tv), keep_prob) or None: attention dropout on the weights.
    Returns (out (N, Tq, d_out), cache); the weights (N, h, Tq, Tv) are ``cache[-1][-1]``.
    """
    query, value, key, p = _checked_mha(query, value, key, p)
    (N, Tq), Tv = query.shape[:2], value.shape[1]
    if value.shape[0] != N or key.shape[:2] != value.shape[:2]:
        raise ValueError(f"multi-head attention: query {query.shape[:2]}, value "
                         f"{value.shape[:2]} and key {key.shape[:2]} must share the batch size "
                         "N, and value and key the length Tv")
    Q = _heads(query, p["query_kernel"], p["query_bias"])
    K = _heads(key, p["key_kernel"], p["key_bias"])
    V = _heads(value, p["value_kernel"], p["value_bias"])
    o, att = scaled_dot_product_attention_forward(Q, K, V, mha_mask(mask, N, Tq, Tv), causal,
                                                  dropout=dropout)
    o = o.transpose(0, 2, 1, 3)                                            # (N, Tq, h, hd)
    out = np.einsum("nqhk,hkd->nqd", o, p["output_kernel"]) + p["output_bias"]
    return out, (query, value, key, p, o, att)


def _checked_mha(query, value, key, p):
    """The inputs (3-D, their widths those of the kernels) and ``p``, a dict of the arrays
    of ``MHA_KEYS`` in Keras' layouts, checked against each other."""
    where = "multi_head_attention_forward"
    if not isinstance(p, dict) or any(name not in p for name in MHA_KEYS):
        missing = [n for n in MHA_KEYS if not isinstance(p, dict) or n not in p]
        raise TypeError(f"{where}: p: expected a dict of the weights {MHA_KEYS}, got "
                        f"{type(p).__name__} without {missing}")
    p = dict(p)
    hk = check_operand(p["query_kernel"], f"{where}: p['query_kernel']", (None,) * 3).shape[1:]
    for name, x in (("query", query), ("value", value), ("key", key)):
        W = check_operand(p[f"{name}_kernel"], f"{where}: p['{name}_kernel']", (None,) + hk)
        p[f"{name}_kernel"] = W
        p[f"{name}_bias"] = check_operand(p[f"{name}_bias"], f"{where}: p['{name}_bias']", hk)
    out_k = check_operand(p["output_kernel"], f"{where}: p['output_kernel']", hk + (None,))
    p["output_kernel"] = out_k
    p["output_bias"] = check_operand(p["output_bias"], f"{where}: p['output_bias']",
                                     out_k.shape[2:])
    checked = [check_operand(x, f"{where}: {name}", (None, None, p[f"{name}_kernel"].shape[0]),
                             why=f"(the rows of p['{name}_kernel'])")
               for name, x in (("query", query), ("value", value), ("key", key))]
    return (*checked, p)


def _heads_backward(dH, x, W):
    """Backward of ``_heads``: dH (N, h, T, k) -> (dx, dW, db)."""
    dH = dH.transpose(0, 2, 1, 3)                                          # (N, T, h, k)
    return (np.einsum("nthk,dhk->ntd", dH, W), np.einsum("ntd,nthk->dhk", x, dH),
            dH.sum(axis=(0, 1)))


def multi_head_attention_backward(dout, cache):
    """dout (N, Tq, d_out) -> ((dquery, dvalue, dkey), grads in the order of ``MHA_KEYS``)."""
    query, value, key, p, o, att = check_cache(
        cache, "multi_head_attention_backward: cache", (np.ndarray,) * 3 + (dict, np.ndarray,
                                                                             tuple),
        "multi_head_attention_forward")
    dout = check_dout(dout, o.shape[:2] + p["output_bias"].shape,
                      "multi_head_attention_backward: dout")
    g = {"output_kernel": np.einsum("nqhk,nqd->hkd", o, dout), "output_bias": dout.sum((0, 1))}
    do = np.einsum("nqd,hkd->nhqk", dout, p["output_kernel"])
    (dQ, dK, dV), _ = scaled_dot_product_attention_backward(do, att)
    dq, g["query_kernel"], g["query_bias"] = _heads_backward(dQ, query, p["query_kernel"])
    dk, g["key_kernel"], g["key_bias"] = _heads_backward(dK, key, p["key_kernel"])
    dv, g["value_kernel"], g["value_bias"] = _heads_backward(dV, value, p["value_kernel"])
    return (dq, dv, dk), tuple(g[name] for name in MHA_KEYS)


class MultiHeadAttention(Layer):
    """MultiHeadAttention(num_heads, key_dim): Keras' layer (value_dim = key_dim, biases on).

    ``forward(query, value=None, key=None, attention_mask=None, use_causal_mask=False)``, as
    Keras calls it: ``value`` defaults to ``query`` (self-attention), ``key`` to ``value``.
    ``backward(dout)`` always returns (dquery, dvalue, dkey), one per argument of Keras' call
    (for self-attention the gradient of x is their sum). ``attention_weights``
    (N, heads, Tq, Tv) after forward (before dropout, as Keras returns them). ``dropout`` (a
    rate in [0, 1)) drops attention weights in training passes (``forward(..., training=True)``)
    with masks of ``dropout_layer`` (a Dropout: ``fix_mask`` for gradient checks). One known
    difference: with ``dropout`` > 0 Keras takes its explicit softmax path, which gives a fully
    masked query row zero weights; here such a row keeps uniform weights at every rate.
    """

    def __init__(self, num_heads: int, key_dim: int, name: str | None = None, dtype="float64",
                 dropout: float = 0.0, seed: int | None = None):
        super().__init__(name, dtype)
        self.num_heads = check_int(num_heads, "MultiHeadAttention: num_heads")
        self.key_dim = check_int(key_dim, "MultiHeadAttention: key_dim")
        self.attention_weights: np.ndarray | None = None
        self.dropout = check_interval(dropout, "MultiHeadAttention: dropout", 0.0, 1.0, "[)")
        self.dropout_layer = Dropout(self.dropout, seed, "attention_dropout", dtype)

    def build(self, input_shape, rng=None):
        """``input_shape`` (T, d_model) of the query (value and key of the same width)."""
        d, h, k = int(input_shape[-1]), self.num_heads, self.key_dim
        glorot, zeros = initializers.get("glorot_uniform"), initializers.get("zeros")
        self.params = {}
        for name in ("query", "key", "value"):
            self.add_weight(f"{name}_kernel", glorot((d, h * k), rng).reshape(d, h, k))
            self.add_weight(f"{name}_bias", zeros((h, k)))
        self.add_weight("output_kernel", glorot((h * k, d), rng).reshape(h, k, d))
        self.add_weight("output_bias", zeros((d,)))
        if self.dropout > 0:                  # only then: other layers' mask streams unchanged
            self.dropout_layer.build((None, None, None), rng)
        return super().build(input_shape, rng)

    def forward(self, query, value=None, key=None, attention_mask=None,
                use_causal_mask: bool = False, training=False):
        self._require_built()
        d, dt = self.params["query_kernel"].shape[0], self.dtype
        causal = check_bool(use_causal_mask, f"{self.name}: use_causal_mask")
        query = check_last(query, f"{self.name}: query", 3, d, dt)
        value = query if value is None else check_last(value, f"{self.name}: value", 3, d, dt)
        key = value if key is None else check_last(key, f"{self.name}: key", 3, d, dt)
        drop, layer = None, self.dropout_layer
        if check_bool(training, f"{self.name}: training") and self.dropout > 0:
            # the Dropout layer's own forward draws this pass's mask (or reuses a fixed one)
            layer.forward(np.ones((len(query), self.num_heads, query.shape[1], value.shape[1]),
                                  dt), training=True)
            drop = (layer.last_mask, layer.keep_prob)
        out, self._cache = multi_head_attention_forward(query, value, key, self.params,
                                                        attention_mask, causal, drop)
        self.attention_weights = self._cache[-1][-1]
        return out

    def backward(self, dout):
        dinputs, grads = multi_head_attention_backward(dout, self._cached())
        self.grads = dict(zip(MHA_KEYS, grads))
        return dinputs
