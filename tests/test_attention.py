"""Attention, multi-head attention, layer norm, positional encoding: gradient checks (float64)
and Keras twins (float32: outputs and gradients with the same weights)."""
import numpy as np
import pytest

from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.attention import (
    MHA_KEYS,
    BahdanauAttention,
    LayerNormalization,
    MultiHeadAttention,
    additive_attention_backward,
    additive_attention_forward,
    causal_mask,
    layer_norm_backward,
    layer_norm_forward,
    multi_head_attention_backward,
    multi_head_attention_forward,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from companion.nn.layers.transformer import positional_encoding

TOL = 1e-7


def check_all(f, arrays, grads):
    for name, arr in arrays.items():
        num = numerical_gradient(f, arr)
        if np.abs(num).max() < 1e-8:       # the key bias: the softmax ignores a shift of q.k
            assert np.abs(grads[name]).max() < 1e-10, name
            continue
        err = rel_error(grads[name], num)
        assert err < TOL, (name, err)


def additive_case(rng, N=2, Tq=3, Tv=5, Dq=4, Dk=6, d=3, masked=True):
    arrays = {"query": rng.standard_normal((N, Tq, Dq)), "keys": rng.standard_normal((N, Tv, Dk)),
              "query_kernel": rng.standard_normal((Dq, d)), "key_kernel": rng.standard_normal((Dk, d)),
              "scale": rng.standard_normal(d)}
    mask = padding_mask(rng.integers(1, Tv + 1, N), Tv) if masked else None
    return arrays, mask


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("N,Tq,Tv", [(1, 1, 1), (2, 3, 5), (1, 4, 2)])
def test_additive_gradients(masked, N, Tq, Tv, rng):
    a, mask = additive_case(rng, N, Tq, Tv, masked=masked)
    dc = rng.standard_normal((N, Tq, a["keys"].shape[2]))
    args = lambda: (a["query"], a["keys"], a["query_kernel"], a["key_kernel"], a["scale"], mask)
    _, cache = additive_attention_forward(*args())
    (dq, dk), (dWq, dWk, dv) = additive_attention_backward(dc, cache)
    check_all(lambda: float(np.sum(additive_attention_forward(*args())[0] * dc)), a,
              {"query": dq, "keys": dk, "query_kernel": dWq, "key_kernel": dWk, "scale": dv})


def test_additive_weights_are_a_distribution_and_respect_the_mask(rng):
    a, mask = additive_case(rng, N=3, Tv=6)
    ctx, cache = additive_attention_forward(a["query"], a["keys"], a["query_kernel"],
                                            a["key_kernel"], a["scale"], mask)
    w = cache.weights
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)
    assert np.all(w[~np.broadcast_to(mask[:, None, :], w.shape)] == 0)
    np.testing.assert_allclose(ctx, np.einsum("nqs,nsd->nqd", w, a["keys"]), rtol=1e-12)


def test_additive_projected_keys_shortcut(rng):
    a, mask = additive_case(rng)
    args = (a["query"], a["keys"], a["query_kernel"], a["key_kernel"], a["scale"], mask)
    full, _ = additive_attention_forward(*args)
    fast, _ = additive_attention_forward(*args, projected_keys=a["keys"] @ a["key_kernel"])
    np.testing.assert_array_equal(full, fast)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_gradients(causal, masked, rng):
    N, h, T, dk, dv = 2, 3, 4, 5, 2
    a = {"q": rng.standard_normal((N, h, T, dk)), "k": rng.standard_normal((N, h, T, dk)),
         "v": rng.standard_normal((N, h, T, dv))}
    mask = padding_mask([4, 2], T)[:, None, None, :] if masked else None
    dout = rng.standard_normal((N, h, T, dv))
    _, cache = scaled_dot_product_attention_forward(a["q"], a["k"], a["v"], mask, causal)
    (dq, dk_, dv_), grads = scaled_dot_product_attention_backward(dout, cache)
    assert grads == ()

    def f():
        return float(np.sum(scaled_dot_product_attention_forward(
            a["q"], a["k"], a["v"], mask, causal)[0] * dout))
    check_all(f, a, {"q": dq, "k": dk_, "v": dv_})


def test_causal_mask_blocks_the_future(rng):
    q = rng.standard_normal((1, 5, 3))
    v = rng.standard_normal((1, 5, 2))
    out, cache = scaled_dot_product_attention_forward(q, q, v, causal=True)
    w = cache[-1]
    assert np.all(np.triu(w[0], 1) == 0)
    v2 = v.copy()
    v2[0, 3:] += 10.0                              # change the future only
    out2, _ = scaled_dot_product_attention_forward(q, q, v2, causal=True)
    np.testing.assert_array_equal(out[0, :3], out2[0, :3])
    assert causal_mask(2, 3).tolist() == [[True, False, False], [True, True, False]]


def test_padding_mask_left_and_right():
    assert padding_mask([2, 3], 3).tolist() == [[True, True, False], [True, True, True]]
    assert padding_mask([1], 3, left=True).tolist() == [[False, False, True]]


def mha_params(rng, d=6, h=2, k=3, scale=0.5):
    shapes = {"query_kernel": (d, h, k), "query_bias": (h, k), "key_kernel": (d, h, k),
              "key_bias": (h, k), "value_kernel": (d, h, k), "value_bias": (h, k),
              "output_kernel": (h, k, d), "output_bias": (d,)}
    return {n: scale * rng.standard_normal(shapes[n]) for n in MHA_KEYS}


@pytest.mark.parametrize("causal,masked", [(False, False), (True, False), (False, True)])
def test_multi_head_gradients(causal, masked, rng):
    N, Tq, Tv, d = 2, 3, 4, 6
    p = mha_params(rng, d)
    x = {"query": rng.standard_normal((N, Tq, d)), "value": rng.standard_normal((N, Tv, d)),
         "key": rng.standard_normal((N, Tv, d))}
    mask = padding_mask([4, 2], Tv) if masked else None
    if causal:
        x["value"], x["key"] = x["value"][:, :Tq], x["key"][:, :Tq]
    dout = rng.standard_normal((N, Tq, d))
    _, cache = multi_head_attention_forward(x["query"], x["value"], x["key"], p, mask, causal)
    (dq, dv, dk), grads = multi_head_attention_backward(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == len(MHA_KEYS)
    g = dict(zip(MHA_KEYS, grads))

    def f():
        out, _ = multi_head_attention_forward(x["query"], x["value"], x["key"], p, mask, causal)
        return float(np.sum(out * dout))
    check_all(f, {**x, **p}, {"query": dq, "value": dv, "key": dk, **g})


def test_mha_layer_self_attention_gradient(rng):
    layer = MultiHeadAttention(2, 3)
    layer.build((4, 6), rng)
    x = rng.standard_normal((2, 4, 6))
    dout = rng.standard_normal((2, 4, 6))
    layer.forward(x, use_causal_mask=True)
    dx = sum(layer.backward(dout))        # (dquery, dvalue, dkey): all three are x

    def f():
        return float(np.sum(layer.forward(x, use_causal_mask=True) * dout))
    assert rel_error(dx, numerical_gradient(f, x)) < TOL


@pytest.mark.parametrize("shape", [(3, 5), (2, 4, 6), (1, 1, 2)])
def test_layer_norm_gradients(shape, rng):
    a = {"x": rng.standard_normal(shape), "gamma": rng.standard_normal(shape[-1]),
         "beta": rng.standard_normal(shape[-1])}
    dout = rng.standard_normal(shape)
    _, cache = layer_norm_forward(a["x"], a["gamma"], a["beta"])
    dx, (dg, db) = layer_norm_backward(dout, cache)
    check_all(lambda: float(np.sum(layer_norm_forward(a["x"], a["gamma"], a["beta"])[0] * dout)),
              a, {"x": dx, "gamma": dg, "beta": db})


def test_layer_norm_normalises(rng):
    x = 3 + 5 * rng.standard_normal((4, 7, 16))
    out, _ = layer_norm_forward(x, np.ones(16), np.zeros(16), epsilon=0.0)
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(-1), 1, rtol=1e-12)


def test_positional_encoding_formula():
    pe = positional_encoding(50, 8)
    t = np.arange(50)
    np.testing.assert_allclose(pe[:, 0], np.sin(t))
    np.testing.assert_allclose(pe[:, 1], np.cos(t))
    np.testing.assert_allclose(pe[:, 6], np.sin(t / 10000 ** (6 / 8)))
    np.testing.assert_allclose(pe[:, 7], np.cos(t / 10000 ** (6 / 8)))
    # PE[t] . PE[t + k] depends on the offset k only
    np.testing.assert_allclose(pe[3] @ pe[10], pe[20] @ pe[27], rtol=1e-12)


def test_bad_input_messages(rng):
    layer = BahdanauAttention(4)
    layer.build(((3, 5), (7, 6)), rng)
    with pytest.raises(ValueError, match=r"query: expected shape \(N, T, 5\), got \(2, 3, 4\)"):
        layer.forward(np.zeros((2, 3, 4)), np.zeros((2, 7, 6)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        BahdanauAttention(0)
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="T and d must be positive integers"):
        positional_encoding(0, 4)


# -- Keras twins ---------------------------------------------------------------------------
@pytest.mark.keras
def test_bahdanau_matches_keras(keras, rng):
    from companion.keras_twin import backward, bahdanau_twin, compare
    N, Tq, Tv = 3, 4, 6
    layer = BahdanauAttention(5, dtype="float32")
    layer.build(((Tq, 7), (Tv, 8)), rng)
    q, k = rng.standard_normal((N, Tq, 7)), rng.standard_normal((N, Tv, 8))
    mask = padding_mask([6, 3, 1], Tv)
    for name in layer.params:
        layer.params[name] = layer.params[name].astype(np.float32)
    ours = layer.forward(q.astype(np.float32), k.astype(np.float32), mask)
    dout = rng.standard_normal(ours.shape)
    dq, dk = layer.backward(dout.astype(np.float32))
    kmodel = bahdanau_twin(layer, Tq, Tv)
    _, out, dx, dw = backward(kmodel, [q, k, mask], dout)
    compare("context", ours, out, 1e-5, quiet=True)
    compare("dquery", dq, dx[0], 1e-5, quiet=True)
    compare("dkeys", dk, dx[1], 1e-5, quiet=True)
    for name, g in zip(["query_kernel", "key_kernel", "scale"], dw):
        compare(name, layer.grads[name], g, 1e-5, quiet=True)


def keras_mha(keras, layer, Tq, Tv, causal):
    d = layer.params["query_kernel"].shape[0]
    q_in, v_in, k_in = keras.Input((Tq, d)), keras.Input((Tv, d)), keras.Input((Tv, d))
    m_in = keras.Input((Tq, Tv), dtype="bool")
    mha = keras.layers.MultiHeadAttention(layer.num_heads, layer.key_dim)
    out = mha(q_in, v_in, k_in, attention_mask=m_in, use_causal_mask=causal)
    model = keras.Model([q_in, v_in, k_in, m_in], out)
    mha.set_weights(layer.get_weights())
    return model


@pytest.mark.keras
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_matches_keras(keras, causal, rng):
    from companion.keras_twin import backward, compare
    N, T, d = 2, 5, 8
    layer = MultiHeadAttention(2, 4, dtype="float32")
    layer.build((T, d), rng)
    for name, p in mha_params(rng, d, 2, 4).items():
        layer.params[name] = p.astype(np.float32)
    q, v, k = (rng.standard_normal((N, T, d)).astype(np.float32) for _ in range(3))
    mask = np.broadcast_to(padding_mask([5, 3], T)[:, None, :], (N, T, T))
    ours = layer.forward(q, v, k, attention_mask=mask, use_causal_mask=causal)
    dout = rng.standard_normal(ours.shape)
    dq, dv, dk = layer.backward(dout.astype(np.float32))
    kmodel = keras_mha(keras, layer, T, T, causal)
    assert [w.shape for w in kmodel.layers[-1].get_weights()] == [p.shape for p in layer.params.values()]
    _, out, dx, dw = backward(kmodel, [q, v, k, mask], dout)
    compare("mha out", ours, out, 1e-5, quiet=True)
    for name, a, b in zip(["dquery", "dvalue", "dkey"], [dq, dv, dk], dx[:3]):
        compare(name, a, b, 1e-5, quiet=True)
    for name, g in zip(MHA_KEYS, dw):
        if name == "key_bias":            # exactly 0 in exact arithmetic: rounding noise only
            assert np.abs(layer.grads[name]).max() < 1e-5 and np.abs(g).max() < 1e-5
        else:
            compare(name, layer.grads[name], g, 1e-5, quiet=True)


@pytest.mark.keras
def test_layer_norm_matches_keras(keras, rng):
    from companion.keras_twin import backward, compare
    x = (2 + 3 * rng.standard_normal((3, 4, 6))).astype(np.float32)
    layer = LayerNormalization(dtype="float32")
    layer.build((4, 6), rng)
    layer.params = {"gamma": rng.standard_normal(6).astype(np.float32),
                    "beta": rng.standard_normal(6).astype(np.float32)}
    ours = layer.forward(x)
    dout = rng.standard_normal(x.shape)
    dx = layer.backward(dout.astype(np.float32))
    kl = keras.layers.LayerNormalization()
    kmodel = keras.Sequential([keras.Input((4, 6)), kl])
    kl.set_weights(layer.get_weights())
    _, out, kdx, dw = backward(kmodel, x, dout)
    compare("layernorm out", ours, out, 1e-5, quiet=True)
    compare("layernorm dx", dx, kdx, 1e-4, quiet=True)
    compare("dgamma", layer.grads["gamma"], dw[0], 1e-5, quiet=True)
    compare("dbeta", layer.grads["beta"], dw[1], 1e-5, quiet=True)


def test_layers_compute_in_their_dtype(rng):
    att = BahdanauAttention(3, dtype="float32")
    att.build(((2, 4), (5, 6)), rng)
    mask = np.array([[True, True, False, True, True]])
    assert att.forward(rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 5, 6)),
                       mask).dtype == np.float32
    mha = MultiHeadAttention(2, 3, dtype="float32")
    mha.build((4, 6), rng)
    assert mha.forward(rng.standard_normal((1, 4, 6)), use_causal_mask=True).dtype == np.float32
    ln = LayerNormalization(dtype="float32")
    ln.build((6,), rng)
    assert ln.forward(rng.standard_normal((2, 6))).dtype == np.float32
    with pytest.raises(RuntimeError, match="build"):
        MultiHeadAttention(2, 3).forward(np.zeros((1, 4, 6)))


# -- masks: the forms accepted, fully masked rows, wrong shapes --------------------------------
def test_mask_forms_and_refusals(rng):
    q = rng.standard_normal((2, 3, 4))
    m = padding_mask([3, 1], 3)[:, None, :]
    out_bool, _ = scaled_dot_product_attention_forward(q, q, q, m)
    out_int, _ = scaled_dot_product_attention_forward(q, q, q, m.astype(int))
    np.testing.assert_array_equal(out_bool, out_int)
    additive = np.where(m, 0.0, -np.inf)
    with pytest.raises(TypeError, match="additive float mask"):
        scaled_dot_product_attention_forward(q, q, q, additive)
    with pytest.raises(ValueError, match="only 0 and 1"):
        scaled_dot_product_attention_forward(q, q, q, 2 * m.astype(int))
    with pytest.raises(ValueError, match=r"does not fit scores of shape \(2, 3, 3\)"):
        scaled_dot_product_attention_forward(q, q, q, np.ones(3, dtype=bool))   # 1-D
    with pytest.raises(ValueError, match=r"does not fit"):
        scaled_dot_product_attention_forward(q, q, q, np.ones((2, 3), dtype=bool))  # (N, Tv) bare
    layer = MultiHeadAttention(2, 2)
    layer.build((3, 4), rng)
    with pytest.raises(ValueError, match=r"attention_mask: expected shape \(2, 3\)"):
        layer.forward(q, attention_mask=np.ones(3, dtype=bool))
    with pytest.raises(TypeError, match="additive float mask"):
        layer.forward(q, attention_mask=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="share the batch size"):
        layer.forward(q, q[:1])


def test_padding_mask_refuses_bad_lengths():
    with pytest.raises(ValueError, match="lengths must lie in 0..T=3, got -1"):
        padding_mask([2, -1], 3)
    with pytest.raises(ValueError, match="got 4"):
        padding_mask([4], 3)
    with pytest.raises(ValueError, match="1-D array of integers"):
        padding_mask([1.5], 3)
    with pytest.raises(TypeError, match="left must be True or False"):
        padding_mask([1], 3, left="no")
    assert padding_mask([0], 2).tolist() == [[False, False]]


def test_fully_masked_row_is_uniform_and_has_no_score_gradient(rng):
    """Left padding under a causal mask: query 0 of the short sequence sees no real key."""
    N, T, d = 2, 4, 3
    q, k, v = (rng.standard_normal((N, T, d)) for _ in range(3))
    m = padding_mask([4, 2], T, left=True)[:, None, :]
    out, cache = scaled_dot_product_attention_forward(q, k, v, m, causal=True)
    a = cache[-1]
    np.testing.assert_allclose(a[1, 0], np.full(T, 1 / T), rtol=1e-12)   # uniform, as Keras
    np.testing.assert_allclose(a[1, 1], np.full(T, 1 / T), rtol=1e-12)
    assert np.all(a[1, 2, 3] == 0) and a[1, 2, 2] == 1.0
    dout = rng.standard_normal(out.shape)
    (dq, dk, dv), _ = scaled_dot_product_attention_backward(dout, cache)
    assert np.all(dq[1, :2] == 0)                    # the replaced scores take no gradient
    arrays = {"q": q, "k": k, "v": v}

    def f():
        return float(np.sum(scaled_dot_product_attention_forward(q, k, v, m, True)[0] * dout))
    check_all(f, arrays, {"q": dq, "k": dk, "v": dv})


def test_backward_refuses_a_dout_of_another_shape(rng):
    layer = MultiHeadAttention(2, 2)
    layer.build((3, 4), rng)
    x = rng.standard_normal((2, 3, 4))
    layer.forward(x)
    with pytest.raises(ValueError, match=r"dout has shape \(1, 3, 4\), expected .*\(2, 3, 4\)"):
        layer.backward(np.zeros((1, 3, 4)))
    ln = LayerNormalization()
    ln.build((4,), rng)
    ln.forward(x)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\)"):
        ln.backward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        ln.forward(np.full((2, 4), np.nan))
    _, cache = scaled_dot_product_attention_forward(x, x, x)
    with pytest.raises(ValueError, match="dout has shape"):
        scaled_dot_product_attention_backward(np.zeros((2, 3, 5)), cache)
    with pytest.raises(TypeError, match="use_causal_mask must be True or False"):
        layer.forward(x, use_causal_mask="no")


@pytest.mark.keras
def test_fully_masked_rows_match_keras(keras, rng):
    """Left-padded sequences under a causal mask: every row, the fully masked ones included,
    agrees with keras.layers.MultiHeadAttention (its default path: uniform weights)."""
    from companion.keras_twin import backward, compare
    N, T, d = 3, 5, 8
    layer = MultiHeadAttention(2, 4, dtype="float32")
    layer.build((T, d), rng)
    for name, p in mha_params(rng, d, 2, 4).items():
        layer.params[name] = p.astype(np.float32)
    x = rng.standard_normal((N, T, d)).astype(np.float32)
    mask = np.broadcast_to(padding_mask([5, 2, 0], T, left=True)[:, None, :], (N, T, T))
    ours = layer.forward(x, attention_mask=mask, use_causal_mask=True)
    assert np.all(layer.attention_weights[1, :, 0] == np.float32(1 / T))  # fully masked row
    dout = rng.standard_normal(ours.shape)
    dq, dv, dk = layer.backward(dout.astype(np.float32))
    kmodel = keras_mha(keras, layer, T, T, True)
    _, out, dx, dw = backward(kmodel, [x, x, x, mask], dout)
    compare("mha out, fully masked rows included", ours, out, 1e-5, quiet=True)
    for name, a, b in zip(["dquery", "dvalue", "dkey"], [dq, dv, dk], dx[:3]):
        compare(name, a, b, 1e-5, quiet=True)
    for name, g in zip(MHA_KEYS, dw):
        if name != "key_bias":
            compare(name, layer.grads[name], g, 1e-5, quiet=True)
    # Keras' scores path (return_attention_scores=True) zeroes a fully masked row instead:
    kmha = kmodel.layers[-1]
    _, scores = kmha(x, x, x, attention_mask=mask, use_causal_mask=True,
                     return_attention_scores=True)
    scores = keras.ops.convert_to_numpy(scores)
    assert np.all(scores[1, :, 0] == 0) and np.all(scores[2] == 0)
    real = np.broadcast_to(mask[:, None] & np.tri(T, dtype=bool), scores.shape)
    rows = real.any(-1)                                   # rows with at least one real key
    np.testing.assert_allclose(scores[rows], layer.attention_weights[rows], atol=1e-6)
