"""Chapter 14 exercises: scaled dot-product attention with a mask, sinusoidal positional
encodings, layer-norm backward, multi-head attention forward and backward (the head split and
merge), and a decoder block (its causal mask, self-attention, cross-attention and
feed-forward sublayers, each with its residual and norm).

References: ``companion.nn.layers.attention`` (``scaled_dot_product_attention_forward``,
``causal_mask``, ``positional_encoding``) and ``companion.nn.layers.DecoderBlock``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, call, check, hints, order_sentence, planted, recorder
from companion.nn.activations import softmax
from companion.nn.layers.attention import (
    MHA_KEYS,
    causal_mask,
    multi_head_attention_backward,
    multi_head_attention_forward,
    padding_mask,
    scaled_dot_product_attention_forward,
)
from companion.nn.layers.layer_norm import layer_norm_backward, layer_norm_forward
from companion.nn.layers.transformer import positional_encoding

HINTS = hints("ch14")


# --- 1. scaled dot-product attention ------------------------------------------------------------
def _sdpa(q, k, v, mask):
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask)
    return out, cache[-1]


def _sdpa_bug(bug: str):
    def attend(q, k, v, mask):
        s = q @ np.swapaxes(k, -1, -2)
        s = s if bug == "no scale" else s / (q.shape[-1] if bug == "d_k" else np.sqrt(q.shape[-1]))
        if bug == "subtract":
            s = np.where(mask, s, s - 1e9)
        elif bug != "no mask":
            s = np.where(mask, s, -1e9)
        a = softmax(s, axis=-2 if bug == "axis" else -1)
        return a @ v, a
    return attend


def check_attention(attention: Callable) -> bool:
    """``attention(q (N, Tq, dk), k (N, Tv, dk), v (N, Tv, dv), mask (N, Tq, Tv) bool)
    -> (out (N, Tq, dv), weights (N, Tq, Tv))``."""
    rng = np.random.default_rng(0)
    cases = []
    for N, Tq, Tv, dk, dv, label in ((2, 3, 4, 8, 5, "N=2, d_k=8"), (1, 5, 5, 16, 3, "causal"),
                                     (3, 2, 6, 4, 2, "padded keys"),
                                     (2, 4, 4, 4, 3, "left padding, causal")):
        mask = np.ones((N, Tq, Tv), dtype=bool)
        if label == "causal":
            mask = np.broadcast_to(causal_mask(Tq, Tv), (N, Tq, Tv)).copy()
        if label == "padded keys":
            mask = np.broadcast_to(padding_mask([6, 3, 1], Tv)[:, None, :], (N, Tq, Tv)).copy()
        if label == "left padding, causal":      # the short sequence's first rows see no key
            mask = padding_mask([4, 2], Tv, left=True)[:, None, :] & causal_mask(Tq, Tv)
        cases.append(Case((2 * rng.standard_normal((N, Tq, dk)), 2 * rng.standard_normal((N, Tv, dk)),
                           rng.standard_normal((N, Tv, dv)), mask), label=label))
    mistakes = planted(_sdpa_bug, HINTS["attention"])
    return check("scaled dot-product attention", attention, _sdpa, cases, mistakes,
                 returns="the tuple (out, weights)", names=("out", "weights"))


# --- 2. positional encodings ---------------------------------------------------------------------
def _pe_bug(bug: str):
    def pe(T, d):
        i = np.arange(d)
        exponent = i / d if bug == "no pairs" else 2 * (i // 2) / d
        angle = np.arange(T)[:, None] / 10000 ** exponent
        even = np.cos(angle) if bug == "swap" else np.sin(angle)
        odd = np.sin(angle) if bug == "swap" else np.cos(angle)
        return np.where(i % 2 == 0, even, odd)
    return pe


def check_positional_encoding(pe: Callable) -> bool:
    """``pe(T, d) -> (T, d)``: PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(same)."""
    mistakes = planted(_pe_bug, HINTS["positional_encoding"])
    return check("positional encoding", pe, positional_encoding,
                 [Case((6, 4), label="T=6, d=4"), Case((20, 16), label="T=20, d=16"),
                  Case((3, 6), label="T=3, d=6")], mistakes, returns="the (T, d) array")


# --- 3. layer normalisation, backward -------------------------------------------------------------
def _ln_cases():
    rng = np.random.default_rng(3)
    cases = []
    for shape, label in (((4, 6), "(N, D)"), ((2, 3, 5), "(N, T, D)"), ((1, 1, 4), "batch of 1")):
        x = 2 + 3 * rng.standard_normal(shape)
        gamma, beta = rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1])
        _, (xhat, inv, _) = layer_norm_forward(x, gamma, beta)
        cases.append(Case((rng.standard_normal(shape), xhat, inv, gamma), label=label))
    return cases


def _ln_backward(dout, xhat, inv, gamma):
    dx, (dg, db) = layer_norm_backward(dout, (xhat, inv, gamma))
    return dx, dg, db


def _ln_bug(bug: str):
    def backward(dout, xhat, inv, gamma):
        axes = tuple(range(dout.ndim - 1))
        g = dout if bug == "no gamma" else dout * gamma
        ax = 0 if bug == "batch axis" else -1
        dx = inv * (g - g.mean(ax, keepdims=True) - xhat * (g * xhat).mean(ax, keepdims=True))
        if bug == "no mean terms":
            dx = inv * g
        if bug == "axis 0 sums":
            return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)
        return dx, np.sum(dout * xhat, axis=axes), dout.sum(axis=axes)
    return backward


def check_layer_norm_backward(backward: Callable) -> bool:
    """``backward(dout (..., D), xhat (..., D), inv (..., 1), gamma (D,)) -> (dx (..., D),
    dgamma (D,), dbeta (D,))`` of out = xhat * gamma + beta, xhat = (x - mean) * inv."""
    mistakes = planted(_ln_bug, HINTS["layer_norm_backward"])
    return check("layer normalisation backward", backward, _ln_backward, _ln_cases(), mistakes,
                 returns="the tuple (dx, dgamma, dbeta)", names=("dx", "dgamma", "dbeta"),
                 pure=True)


# --- 4, 5. multi-head attention, forward and backward ---------------------------------------------
def _mha_case(rng, N, Tq, Tv, D, h, k, scale, causal):
    shapes = {"query_kernel": (D, h, k), "query_bias": (h, k), "key_kernel": (D, h, k),
              "key_bias": (h, k), "value_kernel": (D, h, k), "value_bias": (h, k),
              "output_kernel": (h, k, D), "output_bias": (D,)}
    p = {n: scale * rng.standard_normal(shapes[n]) for n in MHA_KEYS}
    q, v, key = (rng.standard_normal((N, T, D)) for T in (Tq, Tv, Tv))
    mask = padding_mask(rng.integers(1, Tv + 1, N), Tv)[:, None, :] & np.ones((Tq, Tv), bool)
    if causal:
        mask = mask & causal_mask(Tq, Tv)
    return q, v, key, p, mask


def _mha_cases(extra: Callable | None = None):
    rng = np.random.default_rng(4)
    specs = (((2, 3, 4, 6, 2, 3, 0.5, False), "N=2, Tq=3, Tv=4, 2 heads of 3"),
             ((1, 4, 4, 5, 3, 2, 0.5, True), "batch of 1, 3 heads of 2, d_model 5, causal"),
             ((2, 2, 5, 4, 2, 4, 3.0, False), "large scores (weights x3)"),
             ((1, 3, 3, 4, 2, 2, 30.0, True), ("huge scores (weights x30: exp overflows "
                                                "without the max shift)")))
    cases = []
    for spec, label in specs:
        args = _mha_case(rng, *spec)
        if extra is not None:
            args = extra(rng, args)
        cases.append(Case(args, label=label))
    return cases


def _mha_forward(query, value, key, p, mask):
    out, cache = multi_head_attention_forward(query, value, key, p, mask)
    return out, cache[-1][-1]


def _mha_forward_bug(bug: str):
    def forward(query, value, key, p, mask):
        def heads(x, name):
            b = 0 if bug == "no bias" else p[f"{name}_bias"]
            return (np.einsum("ntd,dhk->nthk", x, p[f"{name}_kernel"]) + b).transpose(0, 2, 1, 3)
        Q, K, V = heads(query, "query"), heads(value if bug == "k/v" else key, "key"), \
            heads(value, "value")
        d = Q.shape[-1] if bug != "sqrt(d_model)" else query.shape[-1]
        s = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d)
        s = np.where(mask[:, None], s, -1e9)
        a = softmax(s, axis=-1)
        o = a @ V                                                   # (N, h, Tq, k)
        N, h, Tq, k = o.shape
        o = o.reshape(N, Tq, h, k) if bug == "merge" else o.transpose(0, 2, 1, 3)
        return np.einsum("nqhk,hkd->nqd", o, p["output_kernel"]) + p["output_bias"], a
    return forward


def check_mha_forward(forward: Callable) -> bool:
    """``forward(query (N, Tq, D), value (N, Tv, D), key (N, Tv, D), p, mask (N, Tq, Tv))
    -> (out (N, Tq, D), weights (N, h, Tq, Tv))``, ``p`` in Keras' layouts (MHA_KEYS)."""
    mistakes = planted(_mha_forward_bug, HINTS["mha_forward"])
    return check("multi-head attention forward", forward, _mha_forward, _mha_cases(), mistakes,
                 returns="the tuple (out, weights)", names=("out", "weights"), pure=True)


def _mha_backward(dout, query, value, key, p, mask):
    _, cache = multi_head_attention_forward(query, value, key, p, mask)
    (dq, dv, dk), grads = multi_head_attention_backward(dout, cache)
    return (dq, dv, dk, *grads)


def _with_dout(rng, args):
    q = args[0]
    return (rng.standard_normal(q.shape), *args)


def _mha_backward_bug(bug: str):
    def backward(dout, query, value, key, p, mask):
        from companion.nn.activations import softmax_backward
        _, cache = multi_head_attention_forward(query, value, key, p, mask)
        query, value, key, p, o, (Q, K, V, c, m, *_, a) = cache     # *_: the dropout
        do = np.einsum("nqd,hkd->nhqk", dout, p["output_kernel"])
        dV = a.transpose(0, 1, 3, 2) @ do
        da = do @ V.transpose(0, 1, 3, 2)
        ds = a * da if bug == "softmax" else softmax_backward(da, a)
        ds = np.where(m, ds, 0.0) * (1.0 if bug == "scale" else c)
        dQ, dK = ds @ K, ds.transpose(0, 1, 3, 2) @ Q
        g = {"output_kernel": np.einsum("nqhk,nqd->hkd", o, dout),
             "output_bias": dout.sum((0, 1))}
        outs = {}
        for name, dH, x in (("query", dQ, query), ("key", dK, key), ("value", dV, value)):
            dH = dH.transpose(0, 2, 1, 3)
            outs[name] = np.einsum("nthk,dhk->ntd", dH, p[f"{name}_kernel"])
            g[f"{name}_kernel"] = np.einsum("ntd,nthk->dhk", x, dH)
            g[f"{name}_bias"] = dH.sum(axis=0) if bug == "bias" else dH.sum(axis=(0, 1))
        return (outs["query"], outs["value"], outs["key"], *(g[n] for n in MHA_KEYS))
    return backward


def check_mha_backward(backward: Callable) -> bool:
    """``backward(dout (N, Tq, D), query, value, key, p, mask) -> (dquery, dvalue, dkey,
    d<each of MHA_KEYS>)``: the gradients of multi-head attention, 11 arrays."""
    mistakes = planted(_mha_backward_bug, HINTS["mha_backward"])
    names = ("dquery", "dvalue", "dkey", *(f"d{n}" for n in MHA_KEYS))
    return check("multi-head attention backward", backward, _mha_backward,
                 _mha_cases(_with_dout), mistakes, returns="the tuple of 11 gradients",
                 names=names, rtol=1e-5, atol=1e-7, pure=True)


# --- 6. a decoder block, forward ------------------------------------------------------------------
def _decoder_parts(seed: int, T: int, S: int, N: int = 2):
    from companion.nn.layers import DecoderBlock
    rng = np.random.default_rng(seed)
    block = DecoderBlock(8, 2, 12)
    block.build((None, 8), rng)
    for p in block.params.values():
        p += 0.3 * rng.standard_normal(p.shape)
    sub = block.sublayers

    def self_attend(x, mask):
        """Self-attention of x (N, T, d) where the (T, T) boolean ``mask`` is True."""
        return sub["attention"].forward(x, attention_mask=np.broadcast_to(
            mask, (len(x),) + np.shape(mask)))

    def cross_attend(queries, context):
        return sub["cross_attention"].forward(queries, context)

    def feed_forward(x):
        return sub["ff2"].forward(sub["ff1"].forward(x))
    return (rng.standard_normal((N, T, 8)), rng.standard_normal((N, S, 8)), self_attend,
            cross_attend, feed_forward, sub["norm1"].forward, sub["norm_cross"].forward,
            sub["norm2"].forward)


def _decoder(x, context, self_attend, cross_attend, feed_forward, norm1, norm2, norm3):
    x1 = norm1(x + self_attend(x, causal_mask(x.shape[1])))
    x2 = norm2(x1 + cross_attend(x1, context))
    return norm3(x2 + feed_forward(x2))


_MASKS = {"future": lambda T: ~np.tri(T, dtype=bool) | np.eye(T, dtype=bool),
          "no diagonal": lambda T: np.tri(T, k=-1, dtype=bool),
          "none": lambda T: np.ones((T, T), dtype=bool)}


def _decoder_bug(bug: str):
    def block(x, context, self_attend, cross_attend, feed_forward, norm1, norm2, norm3):
        mask = _MASKS.get(bug, causal_mask)(x.shape[1])
        if bug == "pre-LN":
            x1 = x + self_attend(norm1(x), mask)
            x2 = x1 + cross_attend(norm2(x1), context)
            return x2 + feed_forward(norm3(x2))
        x1 = norm1(x + self_attend(x, mask))
        if bug == "swapped":
            x2 = norm2(x1 + cross_attend(context, x1)[:, :x1.shape[1]])
        elif bug == "reads x":
            x2 = norm2(x1 + cross_attend(x, context))
        elif bug == "no residual":
            x2 = norm2(cross_attend(x1, context))
        else:
            x2 = norm2(x1 + cross_attend(x1, context))
        return norm3((x if bug == "skip from x" else x2) + feed_forward(x2))
    return block


_SUBLAYERS = ("self_attend", "cross_attend", "feed_forward", "norm1", "norm2", "norm3")


def _decoder_order(block_forward: Callable) -> str | None:
    """Which sublayer the learner's block calls out of order (the post-LN order is self_attend,
    norm1, cross_attend, norm2, feed_forward, norm3), found by recording the calls."""
    log: list = []
    x, context, *parts = _decoder_parts(0, 4, 6)
    call(block_forward, x, context, *(recorder(log, n, p) for n, p in zip(_SUBLAYERS, parts)),
         returns="the block's output")
    return order_sentence(log, ["self_attend", "norm1", "cross_attend", "norm2", "feed_forward",
                                "norm3"])


def check_decoder_block(block_forward: Callable) -> bool:
    """``block_forward(x (N, T, d), context (N, S, d), self_attend, cross_attend, feed_forward,
    norm1, norm2, norm3) -> out (N, T, d)``: the post-LN decoder block, whose causal (T, T)
    mask the learner builds and passes to ``self_attend(x, mask)``."""
    mistakes = planted(_decoder_bug, HINTS["decoder_block"])
    cases = [Case(_decoder_parts(0, 4, 6), label="T=4, S=6"),
             Case(_decoder_parts(1, 5, 3), label="T=5, S=3"),
             Case(_decoder_parts(2, 1, 2, N=1), label="a batch of one, T=1"),
             Case(_decoder_parts(3, 7, 7), label="T=S=7")]
    return check("decoder block", block_forward, _decoder, cases, mistakes,
                 returns="the block's output (N, T, d_model)", diagnose=_decoder_order)
