"""Chapter 14 exercises: scaled dot-product attention with a mask, the causal mask, sinusoidal
positional encodings, and a transformer block's forward pass.

References: ``companion.nn.layers.attention`` (``scaled_dot_product_attention_forward``,
``causal_mask``, ``positional_encoding``) and ``companion.nn.layers.TransformerBlock``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.exercises.checker import Case, Mistake, check
from companion.nn.activations import softmax
from companion.nn.layers import TransformerBlock
from companion.nn.layers.attention import (
    causal_mask,
    padding_mask,
    positional_encoding,
    scaled_dot_product_attention_forward,
)


# --- 1. scaled dot-product attention ------------------------------------------------------------
def _sdpa(q, k, v, mask):
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask)
    return out, cache[-1]


def _sdpa_bug(bug: str):
    def attend(q, k, v, mask):
        s = q @ np.swapaxes(k, -1, -2)
        s = s if bug == "no scale" else s / (q.shape[-1] if bug == "d_k" else np.sqrt(q.shape[-1]))
        if bug != "no mask":
            s = np.where(mask, s, s - 1e9)
        a = softmax(s, axis=-2 if bug == "axis" else -1)
        return a @ v, a
    return attend


def check_attention(attention: Callable) -> bool:
    """``attention(q (N, Tq, dk), k (N, Tv, dk), v (N, Tv, dv), mask (N, Tq, Tv) bool)
    -> (out (N, Tq, dv), weights (N, Tq, Tv))``."""
    rng = np.random.default_rng(0)
    cases = []
    for N, Tq, Tv, dk, dv, label in ((2, 3, 4, 8, 5, "N=2, d_k=8"), (1, 5, 5, 16, 3, "causal"),
                                     (3, 2, 6, 4, 2, "padded keys")):
        mask = np.ones((N, Tq, Tv), dtype=bool)
        if label == "causal":
            mask = np.broadcast_to(causal_mask(Tq, Tv), (N, Tq, Tv)).copy()
        if label == "padded keys":
            mask = np.broadcast_to(padding_mask([6, 3, 1], Tv)[:, None, :], (N, Tq, Tv)).copy()
        cases.append(Case((2 * rng.standard_normal((N, Tq, dk)), 2 * rng.standard_normal((N, Tv, dk)),
                           rng.standard_normal((N, Tv, dv)), mask), label=label))
    mistakes = [Mistake(_sdpa_bug("no scale"), "divide the scores by sqrt(d_k) (d_k = the "
                        "last axis of q) before the softmax"),
                Mistake(_sdpa_bug("d_k"), "divide by the SQUARE ROOT of d_k, not by d_k"),
                Mistake(_sdpa_bug("axis"), "the softmax runs over the keys (the last axis): "
                        "each query's weights sum to 1"),
                Mistake(_sdpa_bug("no mask"), "where the mask is False the weight must be 0: "
                        "subtract 1e9 from those scores before the softmax")]
    return check("scaled dot-product attention", attention, _sdpa, cases, mistakes,
                 returns="the tuple (out, weights)", names=("out", "weights"))


# --- 2. the causal mask ---------------------------------------------------------------------------
def check_causal_mask(make_mask: Callable) -> bool:
    """``make_mask(T) -> (T, T) bool``: True where query t may attend to key s (s <= t)."""
    mistakes = [Mistake(lambda T: ~np.tri(T, dtype=bool) | np.eye(T, dtype=bool),
                        "that lets each position see the FUTURE: keep s <= t (the lower "
                        "triangle), not s >= t"),
                Mistake(lambda T: np.tri(T, k=-1, dtype=bool), "a position may attend to "
                        "itself: keep the diagonal (s <= t, not s < t)")]
    return check("causal mask", make_mask, lambda T: causal_mask(T),
                 [Case((1,), label="T=1"), Case((4,), label="T=4"), Case((7,), label="T=7")],
                 mistakes, returns="a (T, T) boolean array")


# --- 3. positional encodings ---------------------------------------------------------------------
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
    mistakes = [Mistake(_pe_bug("swap"), "even columns take the sine, odd columns the cosine"),
                Mistake(_pe_bug("no pairs"), "columns 2i and 2i+1 share one frequency: the "
                        "exponent is 2i/d with i = column // 2, not column / d")]
    return check("positional encoding", pe, positional_encoding,
                 [Case((6, 4), label="T=6, d=4"), Case((20, 16), label="T=20, d=16"),
                  Case((3, 6), label="T=3, d=6")], mistakes, returns="the (T, d) array")


# --- 4. a transformer block, forward --------------------------------------------------------------
def _block_parts(seed: int):
    rng = np.random.default_rng(seed)
    block = TransformerBlock(8, 2, 12)
    block.build((None, 8), rng)
    for p in block.params.values():
        p += 0.3 * rng.standard_normal(p.shape)
    sub = block.sublayers

    def attend(x):
        return sub["attention"].forward(x, use_causal_mask=True)

    def feed_forward(x):
        return sub["ff2"].forward(sub["ff1"].forward(x))
    return rng.standard_normal((2, 5, 8)), attend, feed_forward, sub["norm1"].forward, \
        sub["norm2"].forward


def _block(x, attend, feed_forward, norm1, norm2):
    x1 = norm1(x + attend(x))
    return norm2(x1 + feed_forward(x1))


def _block_bug(bug: str):
    def block(x, attend, feed_forward, norm1, norm2):
        if bug == "pre-LN":
            x1 = x + attend(norm1(x))
            return x1 + feed_forward(norm2(x1))
        if bug == "no residual":
            x1 = norm1(attend(x))
            return norm2(feed_forward(x1))
        x1 = norm1(x + attend(x))
        return norm2(x + feed_forward(x1))              # bug "skip from x"
    return block


def check_block(block_forward: Callable) -> bool:
    """``block_forward(x, attend, feed_forward, norm1, norm2) -> out``: the post-LN block,
    x1 = norm1(x + attend(x)); out = norm2(x1 + feed_forward(x1))."""
    mistakes = [Mistake(_block_bug("pre-LN"), "this block normalises AFTER each residual sum "
                        "(post-LN, as in the paper): norm1(x + attend(x)), not x + attend(norm1(x))"),
                Mistake(_block_bug("no residual"), "each sublayer's input is added back to its "
                        "output (the residual connection) before the norm"),
                Mistake(_block_bug("skip from x"), "the second residual adds x1 (the first "
                        "sublayer's output), not the block's input x")]
    cases = [Case(_block_parts(s), label=f"block {s}") for s in (0, 1)]
    return check("transformer block", block_forward, _block, cases, mistakes,
                 returns="the block's output (N, T, d_model)")
