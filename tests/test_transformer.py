"""The transformer blocks and models of chapter 14: gradient checks (float64), Keras twin of a
block (float32), the language model and the date translator."""
import numpy as np
import pytest

from companion.data.text import Vocabulary
from companion.models.transformer import DecoderBlock, TransformerBlock, TransformerLM, train_lm
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.attention import padding_mask

TOL = 1e-6


def perturb(stack, rng, scale=0.3):
    for p in list(stack.params.values()):
        p += scale * rng.standard_normal(p.shape)


def assert_gradients(f, arrays, grads):
    for i, (arr, g) in enumerate(zip(arrays, grads)):
        num = numerical_gradient(f, arr, h=1e-5)
        if np.abs(num).max() < 1e-8:            # key biases: softmax ignores a shift
            assert np.abs(g).max() < 1e-8, i
        else:
            assert rel_error(g, num) < TOL, (i, rel_error(g, num))


@pytest.mark.parametrize("causal,masked", [(False, False), (True, False), (False, True)])
def test_block_gradients(causal, masked, rng):
    block = TransformerBlock(4, 2, 6, rng=rng)
    perturb(block, rng)
    x = rng.standard_normal((2, 3, 4))
    mask = padding_mask([3, 2], 3) if masked else None
    dout = rng.standard_normal((2, 3, 4))
    block.forward(x, mask, causal)
    dx = block.backward(dout)
    grads = [g.copy() for g in list(block.grads.values())]

    def f():
        return float(np.sum(block.forward(x, mask, causal) * dout))
    assert_gradients(f, [x] + list(block.params.values()), [dx] + grads)


def test_decoder_block_gradients(rng):
    block = DecoderBlock(4, 2, 5, rng=rng)
    perturb(block, rng)
    x, enc = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    mask = padding_mask([5, 2], 5)
    dout = rng.standard_normal((2, 3, 4))
    block.forward(x, enc, mask)
    dx, denc = block.backward(dout)
    grads = [g.copy() for g in list(block.grads.values())]

    def f():
        return float(np.sum(block.forward(x, enc, mask) * dout))
    assert_gradients(f, [x, enc] + list(block.params.values()), [dx, denc] + grads)


def tiny_lm(**kw):
    return TransformerLM(Vocabulary(list("abc")), d_model=4, num_heads=2, num_layers=2,
                         ff_dim=5, max_len=8, dtype="float64", **kw)


@pytest.mark.parametrize("positional", [True, False])
def test_language_model_gradients(positional, rng):
    lm = tiny_lm(positional=positional)
    perturb(lm, rng)
    y = np.array([[2, 3, 4, 0], [4, 0, 0, 0]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=bool)
    _, grads = lm.loss_and_grads((y, mask))
    grads = [g.copy() for g in grads.values()]
    assert_gradients(lambda: lm.loss_and_grads((y, mask))[0], list(lm.params.values()), grads)


def test_causal_lm_ignores_the_future_and_padding(rng):
    lm = tiny_lm()
    perturb(lm, rng)
    a = lm.logits(np.array([[0, 2, 3, 4]]))
    b = lm.logits(np.array([[0, 2, 3, 2]]))
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-12)
    assert lm.loss(["ab", "c"]) == pytest.approx(
        -(lm.log_likelihood(["ab"])[0] + lm.log_likelihood(["c"])[0]) / 5)


def test_without_positions_attention_is_permutation_equivariant(rng):
    block = TransformerBlock(4, 2, 6, rng=rng)
    perturb(block, rng)
    x = rng.standard_normal((1, 5, 4))
    perm = rng.permutation(5)
    np.testing.assert_allclose(block.forward(x)[:, perm], block.forward(x[:, perm]), atol=1e-12)


def test_language_model_learns_and_samples():
    vocab = Vocabulary(list("ab"))
    names = ["ab", "abab", "ababab"] * 40
    lm = TransformerLM(vocab, d_model=8, num_heads=2, num_layers=1, ff_dim=16, seed=0)
    hist = train_lm(lm, names, epochs=15, batch_size=32, learning_rate=1e-2, val_names=names)
    assert hist["val_loss"][-1] < 0.5 * hist["val_loss"][0]
    samples = lm.sample(np.random.default_rng(0), n=20, temperature=0)
    assert all(set(s) <= {"a", "b"} for s in samples) and samples[0].startswith("ab")
    maps = lm.attention_maps("abab")
    assert maps[0].shape == (2, 5, 5) and np.allclose(maps[0].sum(-1), 1)
    assert np.all(np.triu(maps[0], 1) == 0)


def test_errors():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerBlock(6, 4, 8)
    lm = tiny_lm()
    with pytest.raises(ValueError, match="longer than max_len=8"):
        lm.logits(np.zeros((1, 9), dtype=int))


@pytest.mark.keras
@pytest.mark.parametrize("causal", [False, True])
def test_block_matches_keras(keras, causal, rng):
    from companion.keras_twin import backward, compare
    block = TransformerBlock(8, 2, 12, dtype="float32", rng=rng)
    perturb(block, rng, 0.2)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    mask = padding_mask([5, 3], 5)
    ours = block.forward(x, mask, causal)
    dout = rng.standard_normal(ours.shape)
    dx = block.backward(dout.astype(np.float32))
    x_in, m_in = keras.Input((5, 8)), keras.Input((5,), dtype="bool")
    mha = keras.layers.MultiHeadAttention(2, 4)
    ln1, ln2 = keras.layers.LayerNormalization(), keras.layers.LayerNormalization()
    d1, d2 = keras.layers.Dense(12, activation="relu"), keras.layers.Dense(8)
    a = mha(x_in, x_in, attention_mask=keras.ops.expand_dims(m_in, 1), use_causal_mask=causal)
    x1 = ln1(x_in + a)
    kmodel = keras.Model([x_in, m_in], ln2(x1 + d2(d1(x1))))
    for kl, ours_layer in zip([mha, ln1, d1, d2, ln2], block.layers):
        kl.set_weights(ours_layer.get_weights())
    _, out, (kdx, _), kgrads = backward(kmodel, [x, mask], dout)
    compare("block out", ours, out, 1e-4, quiet=True)
    compare("block dx", dx, kdx, 1e-4, quiet=True)
    names = [n for layer in block.layers for n in layer.params]
    for name, g, kg in zip(names, list(block.grads.values()), kgrads):
        if name == "key_bias":
            assert np.abs(g).max() < 1e-4 and np.abs(kg).max() < 1e-4
        else:
            compare(name, g, kg, 1e-4, quiet=True)


def test_translator_gradients_and_decoding(rng):
    from companion.models.transformer import TransformerTranslator
    src, tgt = Vocabulary(list("abc"), pad=True), Vocabulary(list("xy"), pad=True)
    model = TransformerTranslator(src, tgt, d_model=4, num_heads=2, num_layers=1, ff_dim=5,
                                  max_source_length=4, dtype="float64")
    perturb(model, rng)
    batch = (np.array([[2, 3, 4, 5], [2, 2, 5, 3]]), rng.integers(0, 5, (2, 3)))
    _, grads = model.loss_and_grads(batch)
    grads = [g.copy() for g in grads.values()]
    assert_gradients(lambda: model.loss_and_grads(batch)[0], list(model.params.values()), grads)
    ids = model.greedy(batch[0], max_len=3)
    assert ids.shape == (2, 3)
    assert len(model.translate(["ab", "cab"])) == 2
    with pytest.raises(ValueError, match="beam_width"):
        model.translate(["ab"], beam_width=3)


def test_translator_trains_with_the_seq2seq_loop():
    from companion.data.dates import load_dates
    from companion.models.seq2seq import evaluate, train
    from companion.models.transformer import TransformerTranslator
    data = load_dates(n_train=300, n_dev=0, n_test=20, n_hard=0, seed=0)
    model = TransformerTranslator(data.source_vocab, data.target_vocab, d_model=8, ff_dim=8)
    hist = train(model, data.train, epochs=2, optimizer="adam")
    assert hist["loss"][1] < hist["loss"][0]
    assert 0 <= evaluate(model, data.test)["per_position"] <= 1


# --- chapter 14's exercise checkers: solution passes, planted mistakes named, garbage a sentence
def _sdpa_solution(q, k, v, mask):
    s = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    s = np.where(mask, s, -1e9)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return a @ v, a


def _pe_solution(T, d):
    pe = np.zeros((T, d))
    for t in range(T):
        for j in range(d):
            angle = t / 10000 ** (2 * (j // 2) / d)
            pe[t, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return pe


def _pe_swapped(T, d):
    """Sines in the odd columns, cosines in the even ones."""
    out = np.zeros((T, d))
    t = np.arange(T)[:, None]
    freq = 10000 ** (2 * (np.arange(d) // 2) / d)
    out[:, 0::2], out[:, 1::2] = np.cos(t / freq[0::2]), np.sin(t / freq[1::2])
    return out


def _block_solution(x, attend, feed_forward, norm1, norm2):
    h = norm1(x + attend(x))
    return norm2(h + feed_forward(h))


def _exercise_checks():
    from companion.exercises import ch14
    return [(ch14.check_attention, _sdpa_solution),
            (ch14.check_causal_mask, lambda T: np.tril(np.ones((T, T), dtype=bool))),
            (ch14.check_positional_encoding, _pe_solution), (ch14.check_block, _block_solution)]


def _verdict(check, fn):
    from companion.exercises import checker
    from tests.exercise_garbage import one_line
    ok, out = checker.verdict(check, fn)
    return ok, one_line(out)


def test_ch14_solutions_pass():
    for check, solution in _exercise_checks():
        ok, line = _verdict(check, solution)
        assert ok, line


def test_ch14_mistakes_and_garbage():
    import re

    from companion.exercises import ch14
    from tests.exercise_garbage import GARBAGE
    planted = [(ch14.check_attention, lambda q, k, v, m: _sdpa_solution(q * np.sqrt(q.shape[-1]), k, v, m),
                "sqrt(d_k)"),
               (ch14.check_causal_mask, lambda T: np.tril(np.ones((T, T), dtype=bool), -1), "itself"),
               (ch14.check_causal_mask, lambda T: np.triu(np.ones((T, T), dtype=bool)), "FUTURE"),
               (ch14.check_positional_encoding, _pe_swapped, "even columns"),
               (ch14.check_block, lambda x, a, f, n1, n2: n2(x + f(n1(x + a(x)))), "adds x1")]
    for check, fn, hint in planted:
        ok, line = _verdict(check, fn)
        assert not ok and hint in line, line
    for check, _ in _exercise_checks():
        for garbage, pattern in GARBAGE:
            ok, line = _verdict(check, garbage)
            assert not ok and re.search(pattern, line), line


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
