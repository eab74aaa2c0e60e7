"""Property-based wrong calls (issue 23) over the pure ``*_forward`` / ``*_backward`` functions of
``companion.nn.layers`` (dense, activation, batch and layer normalisation, dropout, embedding,
additive, Luong, scaled dot-product and multi-head attention) and the layer protocol's bases
(``Layer``, ``Block``). One argument at a time is drawn wrong; each call must raise a clear error
naming it or return what an independent NumPy reference (or the NaN pattern that the maths
implies) says. A ``*_backward`` gets a wrong ``dout`` against a real cache, and junk (or another
function's cache) as its cache. Rules: ``property_checks.py``.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from layer_function_fixtures import (
    ADD,
    BETA,
    CACHES,
    EPSILON_JUNK,
    GAMMA,
    IDS,
    K3,
    KA,
    LAYER_JUNK,
    LUONG,
    MASK24,
    MEAN,
    Q3,
    QA,
    QKV,
    QM,
    SCALAR_OR_SHAPE,
    V3,
    VA,
    VALID_IDS,
    VAR,
    VM,
    WEIGHTS_JUNK,
    WK,
    WL,
    WQ,
    XB,
    B,
    E,
    M,
    NoForward,
    P,
    W,
    X,
    additive_ref,
    allclose,
    arr,
    attention_ref,
    backward_targets,
    built_pair,
    call_with,
    dropout_model,
    first_input_grad,
    frozen_masks_of,
    junk_for,
    luong_ref,
    masks_for,
    ref_with,
    same_bad,
    scatter_ref,
    softmax,
)
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NAME,
    BAD_NUMBER,
    SCALAR_JUNK,
    Odd,
    Target,
    bad_arrays,
    finite_or_nan_input,
    target_tests,
)

from companion.nn import Dense, shape_checks
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

TARGETS: list[Target] = [
    # activation, dense
    Target("activation.activation_forward(z=...)", lambda v: act.activation_forward(v, "relu")[0],
           ("z",), bad_arrays((2, 3)), finite_or_nan_input),
    Target("activation.activation_forward(activation=...)",
           lambda v: act.activation_forward(X, v), ("activation",), BAD_NAME),
    *backward_targets(act.activation_backward, "activation", (2, 3),
                      lambda v, out: finite_or_nan_input(v, out[0])),
    Target("dense.dense_forward(x=...)", lambda v: dense.dense_forward(v, W, B)[0], ("x",),
           bad_arrays((2, 3)), lambda v, out: out.shape == np.shape(v)[:-1] + (2,)
           and same_bad(v, out)),
    Target("dense.dense_forward(W=...)", lambda v: dense.dense_forward(X, v)[0], ("W",),
           bad_arrays((3, 2)), lambda v, out: out.shape == (2, np.shape(v)[1])
           and same_bad(v, out, 0)),
    Target("dense.dense_forward(b=...)", lambda v: dense.dense_forward(X, W, v)[0], ("b",),
           st.one_of(bad_arrays((2,)), st.just(np.ones((1, 2)))),
           lambda v, out: allclose(out, X @ W) if v is None else same_bad(np.asarray(v)[None], out, 0)),
    *backward_targets(dense.dense_backward, "dense", (2, 2), first_input_grad, "dz"),
    # layer normalisation, batch normalisation
    Target("layer_norm.layer_norm_forward(x=...)",
           lambda v: layer_norm.layer_norm_forward(v, GAMMA, BETA)[0], ("x",), bad_arrays((2, 3)),
           lambda v, out: out.shape == np.shape(v) and same_bad(v, out)),
    *[Target(f"layer_norm.layer_norm_forward({name}=...)",
             call_with(layer_norm.layer_norm_forward, (X, GAMMA, BETA), i), (name,), bad_arrays((3,)), lambda v, out: same_bad(np.asarray(v)[None], out, 0))
      for i, name in ((1, "gamma"), (2, "beta"))],
    Target("layer_norm.layer_norm_forward(epsilon=...)",
           lambda v: layer_norm.layer_norm_forward(X, GAMMA, BETA, v), ("epsilon",), EPSILON_JUNK),
    *backward_targets(layer_norm.layer_norm_backward, "layer_norm", (2, 3), first_input_grad),
    Target("batchnorm.batchnorm_forward(x=...)",
           lambda v: batchnorm.batchnorm_forward(v, GAMMA, BETA)[0], ("x",), bad_arrays((4, 3)),
           lambda v, out: out.shape == np.shape(v) and same_bad(v, out, 0)),
    *[Target(f"batchnorm.batchnorm_forward({name}=...)",
             call_with(batchnorm.batchnorm_forward, (XB, GAMMA, BETA), i), (name,), bad_arrays((3,)), lambda v, out: same_bad(np.asarray(v)[None], out, 0))
      for i, name in ((1, "gamma"), (2, "beta"))],
    Target("batchnorm.batchnorm_forward(epsilon=...)",
           lambda v: batchnorm.batchnorm_forward(XB, GAMMA, BETA, v), ("epsilon",), EPSILON_JUNK),
    *backward_targets(batchnorm.batchnorm_backward, "batchnorm", (4, 3),
                      lambda v, out: same_bad(v, out[0], 0)),
    Target("batchnorm.batchnorm_inference(x=...)",
           lambda v: batchnorm.batchnorm_inference(v, GAMMA, BETA, MEAN, VAR)[0], ("x",),
           bad_arrays((4, 3)), lambda v, out: allclose(
               out, GAMMA * (np.asarray(v) - MEAN) / np.sqrt(VAR + 1e-3) + BETA)),
    Target("batchnorm.batchnorm_inference(var=...)",
           lambda v: batchnorm.batchnorm_inference(XB, GAMMA, BETA, MEAN, v)[0], ("var",),
           st.one_of(bad_arrays((3,)), st.just(np.array([1.0, -2.0, 1.0]))),
           lambda v, out: allclose(out, GAMMA * (XB - MEAN) / np.sqrt(np.asarray(v) + 1e-3)
                                   + BETA)),
    *backward_targets(batchnorm.batchnorm_inference_backward, "batchnorm_inference", (4, 3),
                      lambda v, out: finite_or_nan_input(v, out[0])),
    # dropout
    Target("dropout.dropout_mask(shape=...)", lambda v: dropout.dropout_mask(v, 0.5, 0),
           ("shape",), SCALAR_OR_SHAPE,
           lambda v, out: out.shape == tuple(v) and np.isin(out, (0, 1)).all()),
    Target("dropout.dropout_mask(keep_prob=...)", lambda v: dropout.dropout_mask((50,), v, 0),
           ("keep_prob",), st.one_of(SCALAR_JUNK, st.sampled_from(
               [0.0, -0.1, 1.5, 1.0, float("nan"), float("inf")])),
           lambda v, out: v == 1.0 and (out == 1).all()),
    Target("dropout.dropout_mask(rng=...)", lambda v: dropout.dropout_mask((2, 3), 0.5, v),
           ("rng", "seed"), SCALAR_JUNK,
           lambda v, out: out.shape == (2, 3) and np.isin(out, (0, 1)).all()),
    Target("dropout.dropout_forward(x=...)", lambda v: dropout.dropout_forward(v, M, 0.5)[0],
           ("x", "mask"), bad_arrays((2, 3)), finite_or_nan_input),
    Target("dropout.dropout_forward(mask=...)", lambda v: dropout.dropout_forward(X, v, 0.5)[0],
           ("mask",), st.one_of(bad_arrays((2, 3)), st.just(M * 2), st.just(M / 2 + 0.25),
                                st.just(M.astype(bool))),
           lambda v, out: allclose(out, X * v / 0.5)),
    Target("dropout.dropout_forward(keep_prob=...)",
           lambda v: dropout.dropout_forward(X, M, v)[0], ("keep_prob",),
           st.one_of(SCALAR_JUNK, st.sampled_from([0.0, -0.5, 1.5, 1.0, float("nan")])),
           lambda v, out: v == 1.0 and allclose(out, X * M)),
    *backward_targets(dropout.dropout_backward, "dropout", (2, 3),
                      lambda v, out: finite_or_nan_input(v, out[0])),
    Target("dropout.dropout_layers(model=...)", dropout.dropout_layers, ("model",), LAYER_JUNK,
           lambda v, out: isinstance(v, base.Layer) and out == []),
    Target("dropout.frozen_masks(model=...)", lambda v: frozen_masks_of(v, X), ("model",), LAYER_JUNK),
    Target("dropout.frozen_masks(x=...)", lambda v: frozen_masks_of(dropout_model(), v), ("x",),
           bad_arrays((2, 3)), lambda v, out: [m.shape for m in out] == [(len(v), 2)]
           and np.isin(out[0], (0, 1)).all()),
    # embedding
    Target("embedding.embedding_forward(ids=...)", lambda v: emb.embedding_forward(v, E)[0],
           ("ids",), st.one_of(VALID_IDS, st.just(IDS + 0.5), st.just(IDS.astype(float)),
                               st.just(np.zeros((0, 3), int)), st.just(IDS > 1)),
           lambda v, out: (np.asarray(v) >= 0).all() and np.array_equal(out, E[v])),
    Target("embedding.embedding_forward(E=...)", lambda v: emb.embedding_forward(IDS, v)[0],
           ("E", "ids"), bad_arrays((5, 2)),
           lambda v, out: np.array_equal(out, np.asarray(v)[IDS], equal_nan=True)),
    Target("embedding.scatter_add_rows(n_rows=...)",
           lambda v: emb.scatter_add_rows(v, np.array([0, 2, 2]), np.ones((3, 2))), ("n_rows",),
           BAD_COUNT),
    Target("embedding.scatter_add_rows(ids=...)",
           lambda v: emb.scatter_add_rows(4, v, arr(3, 2)), ("ids",), VALID_IDS,
           lambda v, out: allclose(out, scatter_ref(4, v, arr(3, 2)))),
    Target("embedding.scatter_add_rows(values=...)",
           lambda v: emb.scatter_add_rows(4, np.array([0, 2, 2]), v), ("values",),
           bad_arrays((3, 2)), lambda v, out: allclose(out, scatter_ref(4, [0, 2, 2], v))),
    *[Target(f"embedding.{fn.__name__}(dout=...)",
             lambda v, fn=fn: fn(v, CACHES["embedding"])[1][0], ("dout",), bad_arrays((2, 3, 2)),
        lambda v, out: allclose(out, scatter_ref(5, IDS.ravel(), np.reshape(v, (6, -1)))))
      for fn in (emb.embedding_backward, emb.embedding_backward_onehot)],
    *[Target(f"embedding.{fn.__name__}(cache=...)", lambda v, fn=fn: fn(np.ones((2, 3, 2)), v),
             ("cache",), junk_for("embedding"))
      for fn in (emb.embedding_backward, emb.embedding_backward_onehot)],
    Target("embedding.random_uniform(shape=...)", lambda v: emb.random_uniform(v, 0), ("shape",),
           SCALAR_OR_SHAPE, lambda v, out: out.shape == tuple(v)),
    Target("embedding.random_uniform(rng=...)", lambda v: emb.random_uniform((2,), v),
           ("rng", "seed"), SCALAR_JUNK, lambda v, out: out.shape == (2,)
           and (np.abs(out) <= 0.05).all()),
    Target("embedding.random_uniform(minval=...)",
           lambda v: emb.random_uniform((2,), 0, minval=v), ("minval",),
           st.one_of(BAD_NUMBER, st.just(0.5))),
    # masks
    Target("dot_product.masked_softmax(scores=...)", lambda v: att.masked_softmax(v), ("scores",),
           bad_arrays((2, 3, 4)), lambda v, out: allclose(out, softmax(np.asarray(v)))),
    Target("dot_product.masked_softmax(mask=...)", lambda v: att.masked_softmax(Q3, v), ("mask",),
           st.one_of(masks_for((2, 1, 4)), st.just(MASK24[:, None]), st.just(None)),
           lambda v, out: allclose(out, softmax(Q3 if v is None else np.where(v, Q3, -1e9)))),
    Target("dot_product.as_mask(mask=...)", lambda v: att.as_mask(v, "mask"), ("mask",),
           st.one_of(masks_for((2, 4)), st.just(MASK24.astype(int)), st.just([[0, 1]])),
           lambda v, out: out.dtype == bool and np.array_equal(out, np.asarray(v) == 1)),
    Target("dot_product.as_mask(name=...)", lambda v: att.as_mask(MASK24, v), ("name",),
           st.one_of(st.none(), st.integers(), st.just(Odd()), st.just(["mask"]))),
    Target("attention.additive_key_mask(mask=...)",
           lambda v: att.additive_key_mask(v, (2, 4)), ("mask",),
           st.one_of(masks_for((2, 4)), st.just(np.ones((2, 3, 4), bool)), st.just(MASK24)),
           lambda v, out: np.array_equal(out, v)),
    Target("dot_product.mha_mask(mask=...)", lambda v: att.mha_mask(v, 2, 3, 4),
           ("mask", "attention_mask"),
           st.one_of(masks_for((2, 4)), st.just(np.ones((2, 4, 3), bool)), st.just(MASK24)),
           lambda v, out: out.shape == (2, 1, 1, 4) and np.array_equal(out[:, 0, 0], v)),
    Target("dot_product.mha_mask(N=...)", lambda v: att.mha_mask(MASK24, v, 3, 4), ("N",),
           BAD_COUNT),
    # additive (Bahdanau) attention
    *[Target(f"attention.additive_attention_forward({name}=...)" +
             (" -> AdditiveCache" if name == "query" else ""),
             call_with(att.additive_attention_forward, ADD, i), (name,), bad_arrays(ADD[i].shape),
             ref_with(additive_ref, ADD, i))
      for i, name in enumerate(("query", "keys", "Wq", "Wk", "v"))],
    Target("attention.additive_attention_forward(mask=...)",
           lambda v: att.additive_attention_forward(QA, KA, WQ, WK, VA, v)[0], ("mask",),
           st.one_of(masks_for((2, 4)), st.just(np.ones((2, 3, 4), bool)), st.just(MASK24)),
           lambda v, out: allclose(out, additive_ref(QA, KA, WQ, WK, VA, v))),
    Target("attention.additive_attention_forward(projected_keys=...)",
           lambda v: att.additive_attention_forward(QA, KA, WQ, WK, VA, None, v)[0],
           ("projected_keys",), bad_arrays((2, 4, 7)),
           lambda v, out: allclose(out, additive_ref(QA, KA, WQ, WK, VA, k=None if v is None else np.asarray(v)))),
    *backward_targets(att.additive_attention_backward, "additive", (2, 3, 6), first_input_grad,
                      "dcontext"),
    Target("dot_product.check_last(x=...)", lambda v: att.check_last(v, "x", 3, 6), ("x",),
           bad_arrays((2, 4, 6)), lambda v, out: out is v and out.shape[2:] == (6,)),
    Target("attention.checked_context_grad(layer=...)",
           lambda v: att.checked_context_grad(v, np.ones((2, 3, 6))), ("layer",),
           st.one_of(SCALAR_JUNK, st.just(Dense(2)))),
    Target("attention.checked_context_grad(dout=...)", lambda v: att.checked_context_grad(
        _bahdanau(), v), ("dout",), bad_arrays((2, 3, 6)),
        lambda v, out: isinstance(out, att.AdditiveCache) and np.shape(v) == (2, 3, 6)),
    # scaled dot-product and multi-head attention
    *[Target(f"dot_product.scaled_dot_product_attention_forward({name}=...)",
             call_with(att.scaled_dot_product_attention_forward, QKV, i), (name,),
             bad_arrays(QKV[i].shape), ref_with(attention_ref, QKV, i))
      for i, name in enumerate(("q", "k", "v"))],
    Target("dot_product.scaled_dot_product_attention_forward(mask=...)",
           lambda v: att.scaled_dot_product_attention_forward(Q3, K3, V3, v)[0], ("mask",),
           st.one_of(masks_for((2, 3, 5)), st.just(np.ones((2, 5), bool))),
           lambda v, out: allclose(out, attention_ref(Q3, K3, V3, v))),
    *[Target(f"dot_product.scaled_dot_product_attention_forward({name}=...)",
             lambda v, name=name: att.scaled_dot_product_attention_forward(Q3, K3, V3, **{name: v}),
             (name,), BAD_FLAG)
      for name in ("causal", "scale")],
    Target("dot_product.scaled_dot_product_attention_forward(dropout=...)",
           lambda v: att.scaled_dot_product_attention_forward(Q3, K3, V3, dropout=v)[0],
           ("dropout",), st.one_of(SCALAR_JUNK, st.sampled_from([
               (np.ones((2, 5, 3)), 0.5), (np.ones((2, 3, 5)), 0.0), (np.ones((2, 3, 5)), 1.5),
               (np.ones((2, 3, 5)),), (np.ones((2, 3, 5)), 1.0)])),
           lambda v, out: allclose(out, attention_ref(Q3, K3, V3))),
    *backward_targets(att.scaled_dot_product_attention_backward, "sdpa", (2, 3, 6),
                      first_input_grad),
    *[Target(f"dot_product.multi_head_attention_forward({name}=...)",
             call_with(att.multi_head_attention_forward, (QM, VM, VM, P), i), (name,),
             bad_arrays((QM, VM, VM)[i].shape),
             lambda v, out, a=(-1,) if i == 0 else (1, 2): same_bad(v, out, a))
      for i, name in enumerate(("query", "value", "key"))],
    Target("dot_product.multi_head_attention_forward(p=...)",
           lambda v: att.multi_head_attention_forward(QM, VM, VM, v), ("p",),
           st.one_of(SCALAR_JUNK, st.just({k: P[k] for k in list(P)[1:]}),
                     st.just({**P, "key_kernel": P["key_kernel"][:, :1]}),
                     st.just({**P, "output_bias": np.ones(5)}), st.just(list(P.values())))),
    Target("dot_product.multi_head_attention_forward(mask=...)",
           lambda v: att.multi_head_attention_forward(QM, VM, VM, P, v)[0],
           ("mask", "attention_mask"),
           st.one_of(masks_for((2, 3, 5)), st.just(np.ones(5, bool)))),
    Target("dot_product.multi_head_attention_forward(causal=...)",
           lambda v: att.multi_head_attention_forward(QM, VM, VM, P, causal=v), ("causal",),
           BAD_FLAG),
    *backward_targets(att.multi_head_attention_backward, "mha", (2, 3, 4), first_input_grad),
    # Luong attention, attentive GRU's step
    *[Target(f"luong.luong_attention_forward({name}=...)" +
             (" -> LuongCache" if name == "query" else ""),
             call_with(luong.luong_attention_forward, LUONG, i), (name,),
             bad_arrays(LUONG[i].shape), ref_with(luong_ref, LUONG, i))
      for i, name in enumerate(("query", "keys", "W"))],
    Target("luong.luong_attention_forward(mask=...)",
           lambda v: luong.luong_attention_forward(QA, KA, WL, v)[0], ("mask",),
           st.one_of(masks_for((2, 4)), st.just(np.ones((2, 3, 4), bool)))),
    *backward_targets(luong.luong_attention_backward, "luong", (2, 3, 6), first_input_grad,
                      "dcontext"),
    *backward_targets(attentive_gru.attend_backward, "attend", (2, 6), first_input_grad,
                      "dcontext"),
    # the bases: dtype, Layer, Block, leaves
    Target("base.float_dtype(dtype=...)", base.float_dtype, ("dtype",),
           st.one_of(SCALAR_JUNK, st.sampled_from(["float16", "int32", "complex64", "f4", "d"])),
           lambda v, out: out in (np.float32, np.float64) and out == np.dtype(v)),
    Target("base.Layer subclass without forward(x=...)", lambda v: NoForward().forward(v),
           ("forward",), bad_arrays((2, 3))),
    Target("base.Layer subclass without backward(dout=...)", lambda v: NoForward().backward(v),
           ("backward",), bad_arrays((2, 3))),
    Target("base.Layer(name=...)", lambda v: NoForward(name=v), ("name",),
           st.one_of(st.integers(), st.booleans(), st.just(Odd()), st.just(["dense"]))),
    Target("base.Layer.set_weights(weights=...)",
           lambda v: dense_built().set_weights(v), ("weights", "weight", "set_weights"), WEIGHTS_JUNK),
    Target("composite.Block subclass without forward(x=...)", lambda v: built_pair().forward(v),
           ("forward",), bad_arrays((2, 3))),
    Target("composite.Block.set_weights(weights=...)", lambda v: built_pair().set_weights(v),
           ("weights", "weight", "set_weights"), WEIGHTS_JUNK),
    # the shared checks these functions use (nn.validation)
    Target("shape_checks.check_operand(x=...)",
           lambda v: shape_checks.check_operand(v, "x", (None, 3)), ("x",), bad_arrays((2, 3)),
           lambda v, out: out is v and out.shape[1:] == (3,)),
    Target("shape_checks.check_cache(cache=...)", lambda v: shape_checks.check_cache(
        v, "cache", (np.ndarray, np.ndarray), "dense_forward"), ("cache",), junk_for("dense")),
    Target("shape_checks.check_size(shape=...)", lambda v: shape_checks.check_size(v, "shape"),
           ("shape",), SCALAR_OR_SHAPE, lambda v, out: out == tuple(v)),
    Target("shape_checks.check_weight_list(weights=...)",
           lambda v: shape_checks.check_weight_list(v, "weights"), ("weights",), WEIGHTS_JUNK,
           lambda v, out: isinstance(v, (list, tuple)) and out == list(v)),
    Target("composite.leaves(layer=...)", lambda v: list(composite.leaves(v)), ("layer",),
           LAYER_JUNK, lambda v, out: out == [v]),
]


def dense_built():
    layer = Dense(2)
    layer.build((3,), np.random.default_rng(0))
    return layer


def _bahdanau():
    layer = att.BahdanauAttention(7)
    layer.build(((3, 5), (4, 6)), np.random.default_rng(0))
    layer.forward(QA, KA)
    return layer


(test_target_ids_are_distinct,
 test_wrong_value_gets_a_clear_error_or_a_correct_result) = target_tests(TARGETS)
