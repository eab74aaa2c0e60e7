"""Fixtures and oracles of ``test_properties_layer_functions.py`` (issue 23): good arguments for
the layers' pure functions, the real caches of their forwards, independent NumPy references
(softmax, attention, additive and Luong attention, the scatter-add) and the NaN patterns the
maths implies.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from property_checks import (
    SCALAR_JUNK,
    Odd,
    Target,
    bad_arrays,
)

from companion.nn import Dense, Dropout, Sequential
from companion.nn.layers import activation as act
from companion.nn.layers import attention as att
from companion.nn.layers import (
    attentive_gru,
    base,
    batchnorm,
    composite,
    dense,
    dropout,
    layer_norm,
    luong,
)
from companion.nn.layers import embedding as emb


def arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def allclose(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, equal_nan=True))


def bad(a, axes) -> np.ndarray:
    """Which slices (the axes left after reducing ``axes``) hold a NaN or inf."""
    return ~np.isfinite(np.asarray(a, dtype=float)).all(axis=axes)


def same_bad(v, out, axes=-1, out_axes=None) -> bool:
    """The NaN/inf pattern the maths implies: ``out`` is non-finite in exactly the slices where
    the input ``v`` is (rows for axes=-1, columns for axes=0)."""
    b_in, b_out = bad(v, axes), bad(out, axes if out_axes is None else out_axes)
    return b_in.shape == b_out.shape and bool(np.array_equal(b_in, b_out))


def softmax(s):
    with np.errstate(all="ignore"):
        e = np.exp(s - s.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)


def attention_ref(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    return softmax(np.where(mask, s, -1e9) if mask is not None else s) @ v


def additive_ref(q, h, Wq, Wk, v, mask=None, k=None):
    k = np.einsum("nsi,id->nsd", h, Wk) if k is None else k
    with np.errstate(all="ignore"):
        e = np.tanh(np.einsum("nti,id->ntd", q, Wq)[:, :, None] + k[:, None]) @ v
    return softmax(e if mask is None else np.where(mask[:, None], e, e - 1e9)) @ h


def luong_ref(q, h, W):
    with np.errstate(all="ignore"):
        return softmax(q @ W @ np.swapaxes(h, 1, 2)) @ h


def cache_junk(*others):
    """Junk where a cache belongs: scalars, short tuples, other functions' caches."""
    return st.one_of(SCALAR_JUNK, st.just(()), st.just((np.ones(2),)), st.sampled_from(others))


def masks_for(shape):
    """Masks of other kinds: additive float (0/-inf), float 0/1, ints other than 0/1, 1-D."""
    ones, additive, large = np.ones(shape), np.zeros(shape), np.zeros(shape)
    additive[..., -1], large[..., -1] = -np.inf, -1e9
    return st.sampled_from([additive, large, ones, ones.astype(int) * 2, np.ones(shape[-1:], bool),
                            np.ones(shape[:-1] + (shape[-1] + 1,), bool), np.full(shape, "a")])


# --- fixtures: good arguments and the real caches of their forwards -----------------------------
X, W, B = arr(2, 3), arr(3, 2, seed=1), arr(2, seed=2)
GAMMA, BETA = arr(3, seed=3) + 2, arr(3, seed=4)
XB = arr(4, 3, seed=5)
MEAN, VAR = arr(3, seed=6), np.abs(arr(3, seed=7)) + 0.5
M = np.ones((2, 3))
M[0, 0] = 0
IDS, E = np.array([[0, 1, 4], [2, 2, 3]]), arr(5, 2, seed=8)
Q3, K3, V3 = arr(2, 3, 4, seed=9), arr(2, 5, 4, seed=10), arr(2, 5, 6, seed=11)
QA, KA = arr(2, 3, 5, seed=12), arr(2, 4, 6, seed=13)
WQ, WK, VA = arr(5, 7, seed=14), arr(6, 7, seed=15), arr(7, seed=16)
WL = arr(5, 6, seed=17)
MASK24 = np.array([[1, 1, 0, 1], [1, 0, 0, 1]], bool)
MHA = att.MultiHeadAttention(2, 3)
MHA.build((3, 4), np.random.default_rng(0))
P = dict(MHA.params)
QM, VM = arr(2, 3, 4, seed=18), arr(2, 5, 4, seed=19)
ATT = {"query_kernel": WQ, "key_kernel": WK, "scale": VA}
QS = arr(2, 5, seed=21)
ADD, QKV, LUONG = (QA, KA, WQ, WK, VA), (Q3, K3, V3), (QA, KA, WL)

CACHES = {
    "dense": dense.dense_forward(X, W, B)[1], "activation": act.activation_forward(X, "tanh")[1],
    "layer_norm": layer_norm.layer_norm_forward(X, GAMMA, BETA)[1],
    "batchnorm": batchnorm.batchnorm_forward(XB, GAMMA, BETA)[1],
    "batchnorm_inference": batchnorm.batchnorm_inference(XB, GAMMA, BETA, MEAN, VAR)[1],
    "dropout": dropout.dropout_forward(X, M, 0.5)[1], "embedding": emb.embedding_forward(IDS, E)[1],
    "additive": att.additive_attention_forward(QA, KA, WQ, WK, VA)[1],
    "sdpa": att.scaled_dot_product_attention_forward(Q3, K3, V3)[1],
    "mha": att.multi_head_attention_forward(QM, VM, VM, P)[1],
    "luong": luong.luong_attention_forward(QA, KA, WL)[1],
    "attend": attentive_gru.attend("additive", QS, KA, ATT)[1],
}
SAME_FORM = {"layer_norm": "batchnorm_inference", "batchnorm_inference": "layer_norm"}


def junk_for(name):
    return cache_junk(*[c for k, c in CACHES.items() if k not in (name, SAME_FORM.get(name))])


def backward_targets(fn, cache, dout_shape, oracle, dout_name="dout"):
    """A backward's two targets: a wrong ``dout`` against a real cache, junk as its cache."""
    f = fn.__name__
    return [Target(f"{fn.__module__.rsplit('.', 1)[1]}.{f}({dout_name}=...)",
                   lambda v: fn(v, CACHES[cache]), (dout_name, "dout"), bad_arrays(dout_shape),
                   oracle),
            Target(f"{fn.__module__.rsplit('.', 1)[1]}.{f}(cache=...)",
                   lambda v: fn(np.ones(dout_shape), v), ("cache",), junk_for(cache))]


def call_with(fn, args, i):
    """``fn(*args)[0]`` with its i-th argument replaced by the drawn value."""
    return lambda v: fn(*[v if j == i else a for j, a in enumerate(args)])[0]


def ref_with(ref, args, i):
    """The oracle: ``ref(*args)`` with the same argument replaced, which must keep its rank and
    (a batch array) its batch size: one example's keys broadcast over a batch is wrong."""
    def correct(v, out):
        a = np.asarray(v)
        same_batch = a.ndim < 3 or a.shape[0] == args[i].shape[0]
        return a.ndim == args[i].ndim and same_batch and allclose(out, ref(
            *[a if j == i else b for j, b in enumerate(args)]))
    return correct


def first_input_grad(v, out):
    """dx (or dquery) is non-finite in the rows where dout is."""
    dx = out[0][0] if isinstance(out[0], tuple) else out[0]
    return same_bad(v, dx)


class NoForward(base.Layer):
    """A Layer subclass that forgot forward and backward."""


class Pair(composite.Block):
    """A Block subclass with two Dense sub-layers that forgot forward."""

    def __init__(self):
        super().__init__()
        self.sublayers = {"a": Dense(2), "b": Dense(1)}


def built_pair():
    p = Pair()
    p.sublayers["a"].build((3,), np.random.default_rng(0))
    p.sublayers["b"].build((2,), np.random.default_rng(0))
    p.built = True
    return p


def dropout_model():
    return Sequential([Dense(2), Dropout(0.5)], input_shape=(3,), seed=0)


def frozen_masks_of(model, x):
    with dropout.frozen_masks(model, x) as masks:
        return masks


LAYER_JUNK = st.one_of(SCALAR_JUNK, st.just([Dense(2), Dropout(0.5)]))
EPSILON_JUNK = st.one_of(SCALAR_JUNK, st.sampled_from([-1.0, float("nan"), float("inf")]))
WEIGHTS_JUNK = st.one_of(SCALAR_JUNK, st.just("kernel"), st.just({"kernel": np.ones((3, 2))}),
                         st.just([np.ones((3, 2))]), st.just([np.ones((2, 3)), np.ones(2)]),
                         st.just([np.full((3, 2), np.nan), np.ones(2)]))
VALID_IDS = st.sampled_from([np.array([2, 2, 2]), np.array([0, 1, 3]), np.array([[0, 1, 2]]),
                             np.array([0, 1]), np.array([-1, 0, 1]), np.array([0, 2, 5]),
                             np.array([0.0, 1.0, 2.0]), None, "012", Odd()])
SCALAR_OR_SHAPE = st.one_of(SCALAR_JUNK, st.sampled_from([(2, -1), (2.5, 2), -3, (True, 2)]))


def scatter_ref(n, ids, values):
    """np.add.at's scatter-add, for ids in 0..n-1 only (np.add.at would wrap a negative id)."""
    assert np.all((np.asarray(ids) >= 0) & (np.asarray(ids) < n)), f"ids out of range: {ids}"
    out = np.zeros((n, np.shape(values)[1]))
    np.add.at(out, np.asarray(ids), np.asarray(values, dtype=float))
    return out


