"""Luong's dot and general attention scores (companion.nn.layers.luong): gradients against
numerical differences, the layer surface, the translator with each score, the Keras twin."""
import numpy as np
import pytest

from companion.data.text import Vocabulary
from companion.models.seq2seq import Seq2Seq, beam_search
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.attention import padding_mask
from companion.nn.layers.luong import (
    LuongAttention,
    luong_attention_backward,
    luong_attention_forward,
)


@pytest.mark.parametrize("score", ["general", "dot"])
@pytest.mark.parametrize("N,Tq,Tv", [(1, 1, 1), (2, 3, 5), (3, 4, 2)])
def test_gradients(score, N, Tq, Tv, rng):
    Dq, Dk = (4, 6) if score == "general" else (6, 6)
    a = {"query": rng.standard_normal((N, Tq, Dq)), "keys": rng.standard_normal((N, Tv, Dk))}
    if score == "general":
        a["W"] = rng.standard_normal((Dq, Dk))
    mask = padding_mask(rng.integers(1, Tv + 1, N), Tv)
    dc = rng.standard_normal((N, Tq, Dk))

    def out():
        return luong_attention_forward(a["query"], a["keys"], a.get("W"), mask)[0]
    c, cache = luong_attention_forward(a["query"], a["keys"], a.get("W"), mask)
    (dq, dk), grads = luong_attention_backward(dc, cache)
    analytic = {"query": dq, "keys": dk, **({"W": grads[0]} if grads else {})}
    assert len(grads) == (score == "general")
    for name, arr in a.items():
        num = numerical_gradient(lambda: float(np.sum(out() * dc)), arr)
        assert rel_error(analytic[name], num) < 1e-7, name
    assert np.all(cache.weights[~np.broadcast_to(mask[:, None, :], cache.weights.shape)] == 0)
    np.testing.assert_allclose(cache.weights.sum(-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("score", ["general", "dot"])
def test_translator_with_each_score_end_to_end(score, rng):
    model = Seq2Seq(Vocabulary(list("abc"), pad=True), Vocabulary(list("xy"), pad=True),
                    units=2, dtype=np.float64, max_source_length=4, seed=0, score=score)
    for p in model.params.values():
        p += 0.3 * rng.standard_normal(p.shape)
    src, y = np.array([[2, 3, 4, 5], [2, 2, 5, 3]]), rng.integers(0, 5, (2, 5))
    _, grads = model.loss_and_grads((src, y))
    grads = {k: g.copy() for k, g in grads.items()}
    for k, p in model.params.items():
        num = numerical_gradient(lambda: model.loss_and_grads((src, y))[0], p, h=1e-5)
        assert rel_error(grads[k], num) < 1e-7, k
    assert ("attention.kernel" in model.params) == (score == "general")
    greedy = model.translate(["abc", "ca"])
    assert greedy == [h[0].text for h in beam_search(model, ["abc", "ca"], 1)]


def test_layer_errors(rng):
    with pytest.raises(ValueError, match="score"):
        LuongAttention("additive")
    with pytest.raises(ValueError, match="equal query and key sizes"):
        LuongAttention("dot").build(((2, 4), (5, 6)), rng)
    with pytest.raises(ValueError, match="score must be one of"):
        Seq2Seq(Vocabulary(["a"]), Vocabulary(["b"]), score="cosine")
    layer = LuongAttention("general")
    layer.build(((2, 4), (5, 6)), rng)
    layer.forward(rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 5, 6)))
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones((1, 2, 4)))
    with pytest.raises(ValueError, match=r"mask: expected shape"):
        layer.forward(rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 5, 6)),
                      np.ones((1, 2, 5), bool))


@pytest.mark.keras
def test_general_score_matches_keras_attention(rng):
    from companion import keras_twin
    keras = keras_twin.import_keras()
    layer = LuongAttention("general", dtype="float32")
    layer.build(((4, 10), (7, 12)), rng)
    q = rng.standard_normal((3, 4, 10)).astype(np.float32)
    h = rng.standard_normal((3, 7, 12)).astype(np.float32)
    mask = padding_mask([7, 4, 2], 7)
    ours = layer.forward(q, h, mask)
    query, keys = keras.Input((4, 10)), keras.Input((7, 12))
    key_mask = keras.Input((7,), dtype="bool")
    project = keras.layers.Dense(12, use_bias=False)
    context = keras.layers.Attention()([project(query), keys], mask=[None, key_mask])
    model = keras.Model([query, keys, key_mask], context)
    project.set_weights([layer.params["kernel"]])
    dout = rng.standard_normal(ours.shape).astype(np.float32)
    dq, dk = layer.backward(dout)
    _, theirs, (kdq, kdk, _), (kdW,) = keras_twin.backward(model, [q, h, mask], dout)
    keras_twin.compare("context", ours, theirs)
    keras_twin.compare("dquery", dq, kdq)
    keras_twin.compare("dkeys", dk, kdk)
    keras_twin.compare("dkernel", layer.grads["kernel"], kdW)
