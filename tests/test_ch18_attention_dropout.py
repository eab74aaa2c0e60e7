"""Attention dropout (Keras' ``MultiHeadAttention(dropout=rate)``): the weights are dropped after
the softmax, in training passes only. Gradient checks with a fixed mask (float64), the rate's
validation, the blocks' pass-through, the default (rate 0) unchanged, and inference mode against
Keras with dropout set (float32)."""
import numpy as np
import pytest

from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.attention import (
    MHA_KEYS,
    MultiHeadAttention,
    multi_head_attention_backward,
    multi_head_attention_forward,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from companion.nn.layers.dropout import dropout_layers, frozen_masks
from companion.nn.layers.transformer import DecoderBlock, TransformerBlock

TOL = 1e-7


def _mha_params(rng, d=6, h=2, k=3):
    shapes = {"query_kernel": (d, h, k), "query_bias": (h, k), "key_kernel": (d, h, k),
              "key_bias": (h, k), "value_kernel": (d, h, k), "value_bias": (h, k),
              "output_kernel": (h, k, d), "output_bias": (d,)}
    return {name: 0.5 * rng.standard_normal(shapes[name]) for name in MHA_KEYS}


def test_sdpa_dropout_forward_is_weights_times_mask_over_keep():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)),
               rng.standard_normal((2, 5, 6)))
    m = (rng.random((2, 3, 5)) < 0.7).astype(float)
    out, cache = scaled_dot_product_attention_forward(q, k, v, dropout=(m, 0.7))
    a = cache[-1]                                   # the weights before dropout
    s = q @ k.transpose(0, 2, 1) / 2.0
    expected = np.exp(s - s.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(a, expected, rtol=1e-12)
    np.testing.assert_allclose(out, (expected * m / 0.7) @ v, rtol=1e-12)
    assert not np.allclose(out, expected @ v)


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_dropout_gradients(causal):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3)),
               rng.standard_normal((2, 4, 5)))
    mask = padding_mask([4, 2], 4)[:, None, :]
    m = (rng.random((2, 4, 4)) < 0.6).astype(float)
    dout = rng.standard_normal((2, 4, 5))
    f = lambda: float(np.sum(scaled_dot_product_attention_forward(
        q, k, v, mask, causal, dropout=(m, 0.6))[0] * dout))
    _, cache = scaled_dot_product_attention_forward(q, k, v, mask, causal, dropout=(m, 0.6))
    (dq, dk, dv), _ = scaled_dot_product_attention_backward(dout, cache)
    for name, arr, g in (("q", q, dq), ("k", k, dk), ("v", v, dv)):
        assert rel_error(g, numerical_gradient(f, arr)) < TOL, name


def test_mha_dropout_gradients_all_weights():
    rng = np.random.default_rng(2)
    p = _mha_params(rng)
    x, ctx = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 5, 6))
    m = (rng.random((2, 2, 3, 5)) < 0.5).astype(float)
    dout = rng.standard_normal((2, 3, 6))
    cmask = padding_mask([5, 3], 5)
    f = lambda: float(np.sum(multi_head_attention_forward(
        x, ctx, ctx, p, cmask, dropout=(m, 0.5))[0] * dout))
    _, cache = multi_head_attention_forward(x, ctx, ctx, p, cmask, dropout=(m, 0.5))
    (dx, dv, dk), grads = multi_head_attention_backward(dout, cache)
    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(dv + dk, numerical_gradient(f, ctx)) < TOL
    for name, g in zip(MHA_KEYS, grads):
        num = numerical_gradient(f, p[name])
        if np.abs(num).max() < 1e-8:               # key bias: a shift of q.k changes nothing
            assert np.abs(g).max() < 1e-10
            continue
        assert rel_error(g, num) < TOL, name


def test_layer_training_uses_a_mask_inference_does_not():
    rng = np.random.default_rng(3)
    layer = MultiHeadAttention(2, 3, dropout=0.5)
    layer.build((None, 6), rng)
    x = rng.standard_normal((2, 4, 6))
    plain = layer.forward(x)
    assert layer.dropout_layer.last_mask is None             # inference draws nothing
    trained = layer.forward(x, training=True)
    mask = layer.dropout_layer.last_mask
    assert mask.shape == (2, 2, 4, 4) and set(np.unique(mask)) <= {0.0, 1.0}
    assert 0.2 < mask.mean() < 0.8
    assert not np.allclose(plain, trained)
    # the attention weights kept are those before dropout (as Keras returns them)
    np.testing.assert_allclose(layer.attention_weights.sum(-1), 1.0)
    # the layer's own backward against numerical gradients with the mask fixed
    layer.dropout_layer.fix_mask(mask)
    dout = rng.standard_normal(trained.shape)
    np.testing.assert_allclose(layer.forward(x, training=True), trained)
    dq, dv, dk = layer.backward(dout)
    f = lambda: float(np.sum(layer.forward(x, training=True) * dout))
    assert rel_error(dq + dv + dk, numerical_gradient(f, x)) < TOL


def test_dropout_mask_unbiased_in_expectation():
    """Inverted dropout: the mean of many dropped outputs is the inference output."""
    rng = np.random.default_rng(4)
    layer = MultiHeadAttention(1, 4, dropout=0.3, seed=0)
    layer.build((None, 4), rng)
    x = rng.standard_normal((1, 3, 4))
    mean = np.mean([layer.forward(x, training=True) for _ in range(4000)], axis=0)
    np.testing.assert_allclose(mean, layer.forward(x), atol=0.05)


def test_rate_validation_names_the_argument():
    for bad in (1.0, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="dropout"):
            MultiHeadAttention(2, 3, dropout=bad)
    for bad in ("0.1", True, None, [0.1]):
        with pytest.raises(TypeError, match="dropout"):
            MultiHeadAttention(2, 3, dropout=bad)
    with pytest.raises(ValueError, match="attention_dropout"):
        TransformerBlock(4, 2, 6, attention_dropout=1.0)
    with pytest.raises(TypeError, match="attention_dropout"):
        DecoderBlock(4, 2, 6, attention_dropout="high")
    layer = MultiHeadAttention(2, 3, dropout=0.2)
    layer.build((None, 6), 0)
    with pytest.raises(TypeError, match="training"):
        layer.forward(np.ones((1, 2, 6)), training="yes")


def test_rate_zero_keeps_todays_behaviour():
    """dropout=0 (the default): weights, outputs and the residual dropout's masks are exactly
    those of a block built without the argument (no extra draws, no extra rng children)."""
    x = np.random.default_rng(5).standard_normal((2, 4, 8))
    a = TransformerBlock(8, 2, 12, dropout=0.3)
    b = TransformerBlock(8, 2, 12, dropout=0.3, attention_dropout=0.0)
    a.build((None, 8), 7)
    b.build((None, 8), 7)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.forward(x, training=True), b.forward(x, training=True))
    c = TransformerBlock(8, 2, 12, dropout=0.3, attention_dropout=0.2)
    c.build((None, 8), 7)
    for wa, wc in zip(a.get_weights(), c.get_weights()):    # weights never depend on dropout
        np.testing.assert_array_equal(wa, wc)


@pytest.mark.parametrize("cls", [TransformerBlock, DecoderBlock])
def test_blocks_pass_attention_dropout_and_gradcheck(cls):
    rng = np.random.default_rng(6)
    block = cls(4, 2, 6, attention_dropout=0.4)
    block.build((None, 4), rng)
    for w in block.params.values():
        w += 0.3 * rng.standard_normal(w.shape)
    heads = [layer for name, layer in block.sublayers.items() if "attention" in name]
    assert len(heads) == (2 if cls is DecoderBlock else 1)
    assert all(h.dropout == 0.4 for h in heads)
    x, ctx = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))

    def run(training=True):
        return block.forward(x, ctx, training) if cls is DecoderBlock else \
            block.forward(x, training, causal=True)
    assert np.allclose(run(False), run(False))
    assert not np.allclose(run(True), run(False))
    found = dropout_layers(block)
    assert sum(d.name == "attention_dropout" for d in found) == len(heads)
    dout = rng.standard_normal((2, 3, 4))
    with _frozen(block, run):
        out = run()
        d = block.backward(dout)
        dx = d[0] if cls is DecoderBlock else d
        f = lambda: float(np.sum(run() * dout))
        assert rel_error(dx, numerical_gradient(f, x)) < 1e-6
        if cls is DecoderBlock:
            assert rel_error(d[1], numerical_gradient(f, ctx)) < 1e-6
        np.testing.assert_array_equal(out, run())


class _frozen:
    """Fix every attention-dropout mask of ``block`` to those of one training pass."""

    def __init__(self, block, run):
        self.block, self.run = block, run

    def __enter__(self):
        self.run()
        self.layers = [d for d in dropout_layers(self.block) if d.rate > 0]
        for d in self.layers:
            d.fix_mask(d.last_mask)

    def __exit__(self, *exc):
        for d in self.layers:
            d.fix_mask(None)


def test_frozen_masks_fixes_attention_dropout():
    rng = np.random.default_rng(8)
    block = TransformerBlock(4, 2, 6, attention_dropout=0.3)
    block.build((None, 4), rng)
    x = rng.standard_normal((2, 3, 4))
    with frozen_masks(block, x) as masks:
        assert len(masks) == 1 and masks[0].shape == (2, 2, 3, 3)
        np.testing.assert_array_equal(block.forward(x, training=True),
                                      block.forward(x, training=True))


def test_inference_mode_matches_keras_with_dropout_set():
    """Keras' MultiHeadAttention(dropout=0.3) in inference mode computes plain attention (its
    non-fused path: dropout set); ours with the same weights and rate gives the same output."""
    from companion import keras_twin
    keras = keras_twin.import_keras()
    rng = np.random.default_rng(9)
    layer = MultiHeadAttention(2, 4, dropout=0.3, dtype="float32")
    layer.build((None, 8), rng)
    for w in layer.params.values():
        w += (0.2 * rng.standard_normal(w.shape)).astype(np.float32)
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    ctx = rng.standard_normal((3, 6, 8)).astype(np.float32)
    cmask = padding_mask([6, 4, 2], 6)
    kmha = keras_twin.keras_layer(layer)
    assert kmha.dropout == 0.3
    kmha(x, ctx, attention_mask=cmask[:, None, :])                # builds its weights
    kmha.set_weights(layer.get_weights())
    theirs = keras.ops.convert_to_numpy(kmha(x, ctx, attention_mask=cmask[:, None, :],
                                             training=False))
    ours = layer.forward(x, ctx, attention_mask=cmask)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    dropped = keras.ops.convert_to_numpy(kmha(x, ctx, attention_mask=cmask[:, None, :],
                                              training=True))
    assert not np.allclose(dropped, theirs, atol=1e-3)   # Keras does drop in training


def test_block_twin_with_attention_dropout_inference():
    from companion import keras_twin
    block = TransformerBlock(8, 2, 16, dropout=0.1, attention_dropout=0.2, dtype="float32")
    block.build((None, 8), rng=np.random.default_rng(10))
    x = np.random.default_rng(11).standard_normal((2, 5, 8)).astype(np.float32)
    mask = padding_mask([5, 3], 5)
    kmodel = keras_twin.block_twin(block, 5, causal=True)
    assert kmodel.layers[-1].attention.dropout == 0.2
    theirs = keras_twin.core.import_keras().ops.convert_to_numpy(kmodel([x, mask], training=False))
    np.testing.assert_allclose(block.forward(x, mask=mask, causal=True), theirs, rtol=1e-4,
                               atol=1e-5)


@pytest.mark.keras
def test_the_documented_difference_on_a_fully_masked_row_with_dropout_set():
    """The docstring's one difference, measured: with dropout set, Keras gives a query whose
    keys are all masked zero weights (output = the output bias alone); ours keeps uniform
    weights (the mean of the values), as both do without dropout."""
    from companion import keras_twin
    keras = keras_twin.import_keras()
    rng = np.random.default_rng(4)
    layer = MultiHeadAttention(1, 4, dropout=0.3, dtype="float32")
    layer.build((None, 4), rng)
    x = rng.standard_normal((1, 3, 4)).astype(np.float32)
    mask = np.ones((1, 3, 3), bool)
    mask[0, 0] = False                                       # query 0 sees no key at all
    kmha = keras_twin.keras_layer(layer)
    kmha(x, x, attention_mask=mask)
    kmha.set_weights(layer.get_weights())
    _, kweights = kmha(x, x, attention_mask=mask, training=False,
                       return_attention_scores=True)
    kweights = keras.ops.convert_to_numpy(kweights)
    layer.forward(x, x, attention_mask=mask)
    np.testing.assert_allclose(kweights[0, 0, 0], 0.0, atol=1e-7)          # Keras: zeros
    np.testing.assert_allclose(layer.attention_weights[0, 0, 0], 1 / 3, rtol=1e-6)  # ours
    np.testing.assert_allclose(layer.attention_weights[0, 0, 1:], kweights[0, 0, 1:],
                               rtol=1e-5, atol=1e-6)                        # other rows agree
