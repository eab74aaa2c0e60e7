"""The transformer blocks and models of chapter 14: gradient checks (float64), Keras twins of the
blocks (float32, registered in companion.keras_twin.attention), the language model and the date
translator."""
import doctest

import numpy as np
import pytest

from companion.data.text import Vocabulary
from companion.models.transformer import TransformerLM, train_lm
from companion.nn import optim
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers import DecoderBlock, PositionalEmbedding, TransformerBlock
from companion.nn.layers.attention import padding_mask

TOL = 1e-6


def params_of(layer):
    return list(layer.params.values())


def grads_of(layer):
    return [g.copy() for g in layer.grads.values()]


def perturb(layer, rng, scale=0.3):
    for p in params_of(layer):
        p += scale * rng.standard_normal(p.shape)


def assert_gradients(f, arrays, grads):
    for i, (arr, g) in enumerate(zip(arrays, grads)):
        num = numerical_gradient(f, arr, h=1e-5)
        if np.abs(num).max() < 1e-8:            # key biases: softmax ignores a shift
            assert np.abs(g).max() < 1e-8, i
        else:
            assert rel_error(g, num) < TOL, (i, rel_error(g, num))


def built(cls, *args, rng, T=None, **kw):
    layer = cls(*args, **kw)
    layer.build((T, args[0]), rng)
    return layer


def test_module_docstring_examples_run():
    import companion.nn.layers.transformer as mod
    assert doctest.testmod(mod).failed == 0


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("causal,masked", [(False, False), (True, False), (False, True)])
def test_block_gradients(causal, masked, norm_first, rng):
    block = built(TransformerBlock, 4, 2, 6, rng=rng, norm_first=norm_first)
    perturb(block, rng)
    x = rng.standard_normal((2, 3, 4))
    mask = padding_mask([3, 2], 3) if masked else None
    dout = rng.standard_normal((2, 3, 4))
    block.forward(x, mask=mask, causal=causal)
    dx = block.backward(dout)
    grads = grads_of(block)
    assert list(block.grads) == list(block.params)

    def f():
        return float(np.sum(block.forward(x, mask=mask, causal=causal) * dout))
    assert_gradients(f, [x] + params_of(block), [dx] + grads)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_block_gradients(norm_first, rng):
    block = built(DecoderBlock, 4, 2, 5, rng=rng, norm_first=norm_first)
    perturb(block, rng)
    x, enc = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    mask = padding_mask([5, 2], 5)
    dout = rng.standard_normal((2, 3, 4))
    block.forward(x, enc, context_mask=mask)
    dx, denc = block.backward(dout)
    grads = grads_of(block)

    def f():
        return float(np.sum(block.forward(x, enc, context_mask=mask) * dout))
    assert_gradients(f, [x, enc] + params_of(block), [dx, denc] + grads)


def test_block_dropout_is_residual_and_training_only(rng):
    block = built(TransformerBlock, 4, 2, 6, rng=rng, dropout=0.5)
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(block.forward(x), block.forward(x))      # inference: off
    a, b = block.forward(x, training=True), block.forward(x, training=True)
    assert not np.allclose(a, b)
    for drop in block.drops:                          # freeze the masks: a gradient check
        drop.fix_mask(drop.last_mask)
    dout = rng.standard_normal(a.shape)
    block.forward(x, training=True)
    dx = block.backward(dout)
    f = lambda: float(np.sum(block.forward(x, training=True) * dout))
    assert rel_error(dx, numerical_gradient(f, x, h=1e-5)) < TOL


def test_block_surface(rng):
    block = built(TransformerBlock, 8, 2, 12, rng=rng, dtype="float32")
    w = block.get_weights()
    assert [a.shape for a in w[:2]] == [(8, 2, 4), (2, 4)] and len(w) == 8 + 2 + 4 + 2
    block.set_weights([a + 1 for a in w])
    assert np.allclose(block.get_weights()[0], w[0] + 1)
    out = block.forward(rng.standard_normal((2, 5, 8)))
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="dout has shape"):
        block.backward(np.zeros((2, 4, 8)))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerBlock(6, 4, 8)
    with pytest.raises(TypeError, match="norm_first must be True or False"):
        TransformerBlock(4, 2, 6, norm_first="yes")
    with pytest.raises(ValueError, match=r"input_shape must be \(T, 8\)"):
        TransformerBlock(8, 2, 6).build((5, 4), rng)
    dec = built(DecoderBlock, 8, 2, 12, rng=rng)
    with pytest.raises(TypeError, match="needs the context"):
        dec.forward(np.zeros((1, 3, 8)))


def tiny_lm(**kw):
    return TransformerLM(Vocabulary(list("abc")), d_model=4, num_heads=2, num_layers=2,
                         ff_dim=5, max_len=8, dtype="float64", **kw)


@pytest.mark.parametrize("positional,norm_first", [(True, False), (False, False), (True, True)])
def test_language_model_gradients(positional, norm_first, rng):
    lm = tiny_lm(positional=positional, norm_first=norm_first)
    perturb(lm, rng)
    y = np.array([[2, 3, 4, 0], [4, 0, 0, 0]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=bool)
    _, grads = lm.loss_and_grads((y, mask))
    grads = [g.copy() for g in grads.values()]
    assert_gradients(lambda: lm.loss_and_grads((y, mask))[0], params_of(lm), grads)
    assert len(lm.get_weights()) == len(params_of(lm))


def test_causal_lm_ignores_the_future_and_padding(rng):
    lm = tiny_lm()
    perturb(lm, rng)
    a = lm.logits(np.array([[0, 2, 3, 4]]))
    b = lm.logits(np.array([[0, 2, 3, 2]]))
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-12)
    assert lm.loss(["ab", "c"]) == pytest.approx(
        -(lm.log_likelihood(["ab"])[0] + lm.log_likelihood(["c"])[0]) / 5)


def test_without_positions_attention_is_permutation_equivariant(rng):
    block = built(TransformerBlock, 4, 2, 6, rng=rng)
    perturb(block, rng)
    x = rng.standard_normal((1, 5, 4))
    perm = rng.permutation(5)
    np.testing.assert_allclose(block.forward(x)[:, perm], block.forward(x[:, perm]), atol=1e-12)


def test_language_model_learns_and_samples():
    vocab = Vocabulary(list("ab"))
    names = ["ab", "abab", "ababab"] * 40
    lm = TransformerLM(vocab, d_model=8, num_heads=2, num_layers=1, ff_dim=16, seed=0)
    hist = train_lm(lm, names, optimizer=optim.Adam(1e-2), validation_data=names, epochs=15,
                    batch_size=32)
    assert hist["val_loss"][-1] < 0.5 * hist["val_loss"][0]
    samples = lm.sample(np.random.default_rng(0), n=20, temperature=0)
    assert all(set(s) <= {"a", "b"} for s in samples) and samples[0].startswith("ab")
    maps = lm.attention_maps("abab")
    assert maps[0].shape == (2, 5, 5) and np.allclose(maps[0].sum(-1), 1)
    assert np.all(np.triu(maps[0], 1) == 0)
    with pytest.raises(TypeError, match="single string 'abab'"):
        train_lm(lm, "abab")


def test_errors():
    lm = tiny_lm()
    with pytest.raises(ValueError, match="longer than max_len=8"):
        lm.logits(np.zeros((1, 9), dtype=int))


@pytest.mark.keras
@pytest.mark.parametrize("causal,norm_first", [(False, False), (True, False), (True, True)])
def test_block_matches_keras(keras, causal, norm_first, rng):
    from companion.keras_twin import backward, block_twin, compare
    block = built(TransformerBlock, 8, 2, 12, rng=rng, dtype="float32", norm_first=norm_first)
    perturb(block, rng, 0.2)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    mask = padding_mask([5, 3], 5)
    ours = block.forward(x, mask=mask, causal=causal)
    dout = rng.standard_normal(ours.shape)
    dx = block.backward(dout.astype(np.float32))
    _, out, (kdx, _), kgrads = backward(block_twin(block, 5, causal), [x, mask], dout)
    compare("block out", ours, out, 1e-4, quiet=True)
    compare("block dx", dx, kdx, 1e-4, quiet=True)
    for name, g, kg in zip(block.params, block.grads.values(), kgrads):
        if name.endswith("key_bias"):
            assert np.abs(g).max() < 1e-4 and np.abs(kg).max() < 1e-4
        else:
            compare(name, g, kg, 1e-4, quiet=True)


@pytest.mark.keras
def test_decoder_block_and_embedding_match_keras(keras, rng):
    from companion.keras_twin import backward, block_twin, compare, layer_twin
    block = built(DecoderBlock, 8, 2, 12, rng=rng, dtype="float32")
    perturb(block, rng, 0.2)
    x, enc = (rng.standard_normal((2, T, 8)).astype(np.float32) for T in (4, 6))
    mask = padding_mask([6, 2], 6)
    ours = block.forward(x, enc, context_mask=mask)
    dout = rng.standard_normal(ours.shape)
    dx, denc = block.backward(dout.astype(np.float32))
    _, out, (kdx, kdenc, _), kgrads = backward(block_twin(block, 4, S=6), [x, enc, mask], dout)
    compare("decoder out", ours, out, 1e-4, quiet=True)
    compare("decoder dx", dx, kdx, 1e-4, quiet=True)
    compare("decoder dcontext", denc, kdenc, 1e-4, quiet=True)
    for name, g, kg in zip(block.params, block.grads.values(), kgrads):
        if not name.endswith("key_bias"):
            compare(name, g, kg, 1e-4, quiet=True)
    emb = PositionalEmbedding(7, 8, max_len=10, dtype="float32")
    emb.build((5,), rng)
    ids = rng.integers(0, 7, (3, 5))
    compare("embedding", emb.forward(ids), layer_twin(emb, "int32")(ids), 1e-5, quiet=True)


def test_translator_gradients_and_decoding(rng):
    from companion.models.transformer import TransformerTranslator
    src, tgt = Vocabulary(list("abc"), pad=True), Vocabulary(list("xy"), pad=True)
    for norm_first in (False, True):
        model = TransformerTranslator(src, tgt, d_model=4, num_heads=2, num_layers=1, ff_dim=5,
                                      max_source_length=4, norm_first=norm_first,
                                      dtype="float64")
        perturb(model, rng)
        batch = (np.array([[2, 3, 4, 5], [2, 2, 5, 3]]), rng.integers(0, 5, (2, 3)))
        _, grads = model.loss_and_grads(batch)
        grads = [g.copy() for g in grads.values()]
        assert_gradients(lambda m=model, b=batch: m.loss_and_grads(b)[0], params_of(model),
                         grads)
    ids = model.greedy(batch[0], max_len=3)
    assert ids.shape == (2, 3)
    assert len(model.translate(["ab", "cab"])) == 2
    with pytest.raises(ValueError, match="beam_width"):
        model.translate(["ab"], beam_width=0)
    with pytest.raises(TypeError, match="string"):
        model.translate("ab")


def test_translator_beam_search_is_the_shared_one(rng):
    from companion.models.decoding import beam_search, sequence_logprob
    from companion.models.transformer import TransformerTranslator
    src, tgt = Vocabulary(list("abc"), pad=True), Vocabulary(list("xyz"), pad=True)
    model = TransformerTranslator(src, tgt, d_model=8, num_heads=2, num_layers=1, ff_dim=8,
                                  max_source_length=4, dtype="float64")
    perturb(model, rng, 0.5)
    texts = ["ab", "cab", "bca"]
    # beam width 1 is greedy decoding (stopping at <EOS>)
    from companion.data.dates import decode
    assert model.translate(texts, beam_width=1) == [
        decode(tgt, h[0].tokens) for h in beam_search(model.decoder_step, model.start(model.source_ids(texts)), 1,
                             max_len=11, eos=tgt.eos)]
    hyps = beam_search(model.decoder_step, model.start(model.source_ids(texts)), 3, max_len=6,
                       eos=tgt.eos, alpha=0.0)
    best = [h[0] for h in hyps]
    # each hypothesis' log-probability is the model's, by teacher forcing through the same step
    lp = sequence_logprob(model.decoder_step, model.start(model.source_ids(texts)),
                          [list(h.tokens) for h in best])
    np.testing.assert_allclose(lp, [h.logp for h in best], rtol=1e-10)
    assert len(model.translate(texts, beam_width=3)) == 3


def test_translator_trains_with_the_seq2seq_loop():
    from companion.data.dates import load_dates
    from companion.models.seq2seq import evaluate, train
    from companion.models.transformer import TransformerTranslator
    data = load_dates(n_train=300, n_dev=0, n_test=20, n_hard=0, seed=0)
    model = TransformerTranslator(data.source_vocab, data.target_vocab, d_model=8, ff_dim=8)
    hist = train(model, data.train, epochs=2, optimizer="adam")
    assert hist["loss"][1] < hist["loss"][0]
    assert 0 <= evaluate(model, data.test)["per_position"] <= 1


def test_chapter_14_helpers():
    import matplotlib
    matplotlib.use("Agg")
    from companion.chapters import ch14
    sat = ch14.softmax_saturation([4, 256], n=300)
    assert sat["raw"][1] > 0.8 > sat["scaled"][1] and sat["raw"][0] < sat["raw"][1]
    train, val, test, vocab = ch14.names_split()
    assert (len(train), len(val), len(test)) == (4130, 516, 517)
    ex = ch14.transformer_explorer(train, val[:50], vocab, n_train=60, epochs=1)
    r = ex.update(num_heads=1, num_layers=2, d_model=8, positional=False, name="Ann")
    assert len(r["maps"]) == 2 and r["maps"][0].shape == (1, 4, 4) and r["name"] == "ann"
    lm = TransformerLM(vocab, d_model=8, num_heads=2, num_layers=1, ff_dim=8)
    ch14.plot_heads(lm, "eva")


# --- the training essentials: schedules, label smoothing -------------------------------------
def test_inverse_sqrt_schedule_formula():
    s = optim.InverseSqrtSchedule(d_model=64, warmup_steps=100)
    steps = np.arange(400)
    lr = s(steps)
    assert int(np.argmax(lr)) == 99                              # the peak ends the warmup
    np.testing.assert_allclose(lr[99], 1 / np.sqrt(64 * 100), rtol=1e-12)
    np.testing.assert_allclose(lr[:99], np.arange(1, 100) * 64 ** -0.5 * 100 ** -1.5)
    np.testing.assert_allclose(lr[399] / lr[99], np.sqrt(100 / 400), rtol=1e-12)
    with pytest.raises(ValueError, match="warmup_steps"):
        optim.InverseSqrtSchedule(64, 0)


@pytest.mark.keras
@pytest.mark.parametrize("warmup", [0, 30])
def test_cosine_decay_matches_keras(keras, warmup):
    from companion.keras_twin import keras_schedule
    kw = {"warmup_target": 3e-3, "warmup_steps": warmup} if warmup else {}
    ours = optim.CosineDecay(1e-4 if warmup else 3e-3, decay_steps=200, alpha=0.1, **kw)
    theirs = keras_schedule(ours, keras)
    steps = [0, 1, 15, 29, 30, 31, 100, 229, 230, 500]
    got = [float(keras.ops.convert_to_numpy(theirs(s))) for s in steps]
    np.testing.assert_allclose(ours(np.array(steps)), got, rtol=1e-5)


def test_label_smoothing_gradient_and_limits(rng):
    from companion.nn.activations import softmax
    from companion.nn.losses import sequence_crossentropy, smoothed_sequence_crossentropy
    z = rng.standard_normal((2, 3, 5))
    y = rng.integers(0, 5, (2, 3))
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    plain = sequence_crossentropy(softmax(z), y, mask)
    same = smoothed_sequence_crossentropy(softmax(z), y, mask, 0.0)
    assert plain[0] == same[0] and np.array_equal(plain[1], same[1])
    _, dz = smoothed_sequence_crossentropy(softmax(z), y, mask, 0.2)
    f = lambda: smoothed_sequence_crossentropy(softmax(z), y, mask, 0.2)[0]
    assert rel_error(dz, numerical_gradient(f, z)) < 1e-7
    with pytest.raises(ValueError, match="label_smoothing"):
        smoothed_sequence_crossentropy(softmax(z), y, mask, 1.0)


@pytest.mark.keras
def test_label_smoothing_matches_keras(keras, rng):
    from companion.nn.activations import softmax
    from companion.nn.losses import smoothed_sequence_crossentropy
    p = softmax(rng.standard_normal((2, 3, 5)))
    y = rng.integers(0, 5, (2, 3))
    ours, _ = smoothed_sequence_crossentropy(p, y, None, 0.1)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    theirs = float(keras.ops.convert_to_numpy(loss(np.eye(5)[y].reshape(-1, 5), p.reshape(-1, 5))))
    assert ours == pytest.approx(theirs, rel=1e-5)
