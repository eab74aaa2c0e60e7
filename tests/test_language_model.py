"""The character-level language model: masked loss and its gradients, probabilities, sampling,
clipping, training, baselines, other recurrent cells, and a Keras twin."""
import itertools

import numpy as np
import pytest

from companion import keras_twin as reference
from companion.data.text import char_vocabulary, load_names
from companion.models.char_lm import (
    BigramModel,
    CharLanguageModel,
    clip_by_value,
    clip_gradients,
    global_norm,
    stream_chunks,
    train,
    uniform_loss,
)
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers import GRU, LSTM, SimpleRNN

NAMES = ["anna", "bob", "abba", "nan", "bo", "ab", "banana", "noa"]


@pytest.fixture
def lm():
    vocab = char_vocabulary(NAMES)
    return CharLanguageModel(vocab, units=6, seed=0)


def test_inputs_are_shifted_targets(lm):
    x, y, mask = lm.batch(["ab", "b"])
    assert x.shape == (2, 3, len(lm.vocab)) and y.shape == mask.shape == (2, 3)
    np.testing.assert_array_equal(x[:, 0], 0)                  # x<1> = 0, as in the notes
    np.testing.assert_array_equal(x[:, 1:].argmax(-1), y[:, :-1])
    assert lm.vocab.decode(y[0]) == ["a", "b", "<EOS>"]


def test_masked_loss_gradients_float64(lm):
    x, y, mask = lm.batch(["anna", "bo", "b"])                  # padded batch
    lm.loss_and_grads((x, y, mask))
    analytic = [g.copy() for g in list(lm.model.grads.values())]

    def f():
        p = lm.model.forward(x)
        pt = np.take_along_axis(p, y[..., None], -1)[..., 0]
        return -np.sum(np.log(pt) * mask) / mask.sum()

    for (name, p), g in zip(list(lm.model.params.items()), analytic):
        assert rel_error(g, numerical_gradient(f, p)) < 1e-7, name


def test_padding_does_not_change_the_loss(lm):
    batch = ["banana", "ab", "n"]
    total, count = lm.log_likelihood(batch)
    singles = [lm.log_likelihood([n]) for n in batch]
    assert count == sum(len(n) + 1 for n in batch) == sum(c for _, c in singles)
    assert total == pytest.approx(sum(t for t, _ in singles), rel=1e-12)
    assert total == pytest.approx(sum(lm.log_prob(n) for n in batch), rel=1e-12)
    assert lm.loss(batch) == pytest.approx(-total / count)


def test_sequence_probability_is_product_of_conditionals(lm):
    c = lm.conditionals("nab")
    assert c.shape == (4,) and np.all((c > 0) & (c < 1))
    assert lm.probability("nab") == pytest.approx(np.prod(c))
    assert lm.log_prob("nab") == pytest.approx(np.log(lm.probability("nab")))


def test_probabilities_of_all_strings_sum_to_at_most_one():
    vocab = char_vocabulary(["ab"])
    lm = CharLanguageModel(vocab, units=4, seed=1)
    total = [0.0]
    for L in range(6):
        for s in itertools.product("ab", repeat=L):
            total.append(total[-1] + lm.probability("".join(s)))
    assert np.all(np.diff(total) > 0) and total[-1] < 1.0
    # the rest of the mass is on longer strings and on <UNK>: the sum approaches, never exceeds 1


def test_sampling_is_seeded_and_temperature_zero_is_greedy(lm):
    a = lm.sample(np.random.default_rng(3), n=5, max_len=8)
    b = lm.sample(np.random.default_rng(3), n=5, max_len=8)
    assert a == b and len(a) == 5
    assert all(len(s) <= 8 and set(s) <= set("abno") for s in a)
    g1 = lm.sample(np.random.default_rng(0), n=2, temperature=0, max_len=6)
    g2 = lm.sample(np.random.default_rng(9), n=2, temperature=0, max_len=6)
    assert g1 == g2 and g1[0] == g1[1]
    assert lm.sample(np.random.default_rng(0), n=1, prefix="ba", max_len=4)[0].startswith("ba")
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(np.random.default_rng(0), temperature=-1)


def test_clipping():
    g = [np.array([3.0, -4.0]), np.array([[12.0]])]
    assert global_norm(g) == pytest.approx(13.0)
    v = clip_by_value(g, 1.0)
    np.testing.assert_array_equal(v[0], [1.0, -1.0])
    n = clip_gradients(g, clipnorm=1.3)
    assert global_norm(n) == pytest.approx(1.3)
    np.testing.assert_allclose(n[0] / g[0], 0.1)            # direction kept
    assert clip_gradients(g, clipnorm=100.0)[0] is g[0]     # below the threshold: unchanged
    with pytest.raises(ValueError, match="clipvalue"):
        clip_by_value(g, 0.0)


def test_training_lowers_the_loss_and_records_gradient_norms(lm):
    before = lm.loss(NAMES)
    hist = train(lm, NAMES * 4, epochs=3, batch_size=8, clipnorm=1.0, validation_data=NAMES, seed=0)
    assert len(hist["batch_loss"]) == len(hist["grad_norm"]) == 12
    assert len(hist["loss"]) == len(hist["val_loss"]) == 3
    assert hist["val_loss"][-1] < before
    assert any(hist["clipped"]) == any(n > 1.0 for n in hist["grad_norm"])


def test_training_is_deterministic():
    vocab = char_vocabulary(NAMES)
    runs = []
    for _ in range(2):
        lm = CharLanguageModel(vocab, units=5, seed=2)
        runs.append(train(lm, NAMES, epochs=2, batch_size=3, seed=4)["batch_loss"])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("cell,kw", [(GRU, {}), (GRU, {"reset_after": False}), (LSTM, {}),
                                     (SimpleRNN, {"activation": "relu"})])
def test_other_recurrent_cells_plug_in(cell, kw):
    vocab = char_vocabulary(NAMES)
    lm = CharLanguageModel(vocab, units=5, cell=cell, seed=0, **kw)
    hist = train(lm, NAMES, epochs=2, batch_size=4, seed=0, clipvalue=1.0)
    assert np.isfinite(hist["loss"]).all()
    assert len(lm.sample(np.random.default_rng(0), n=3, max_len=5)) == 3
    total, _ = lm.log_likelihood(NAMES)
    assert total == pytest.approx(sum(lm.log_prob(n) for n in NAMES), rel=1e-10)


def test_baselines():
    vocab = char_vocabulary(NAMES)
    assert uniform_loss(vocab) == pytest.approx(np.log(len(vocab)))
    bigram = BigramModel(vocab, alpha=0.5).fit(["ab", "b"])
    P = bigram.probs
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    V = len(vocab)
    a, b, eos = vocab.index("a"), vocab.index("b"), vocab.eos
    assert bigram.counts[eos, a] == 1 and bigram.counts[eos, b] == 1
    assert bigram.counts[a, b] == 1 and bigram.counts[b, eos] == 2
    assert P[b, eos] == pytest.approx(2.5 / (2 + 0.5 * V))
    expected = -(np.log(P[eos, a]) + np.log(P[a, b]) + np.log(P[b, eos])) / 3
    assert bigram.loss(["ab"]) == pytest.approx(expected)


@pytest.mark.keras
def test_keras_twin_gives_the_same_log_likelihood(lm, keras):
    train(lm, NAMES, epochs=2, batch_size=4, seed=0)
    kmodel = reference.twin(lm.model)
    ours = lm.log_likelihood(NAMES)[0]
    theirs = lm.log_likelihood(NAMES, predict=lambda x: keras.ops.convert_to_numpy(
        kmodel(x.astype("float32"))))[0]
    assert theirs == pytest.approx(ours, rel=1e-5)


def test_stream_chunks_and_window_training():
    vocab = char_vocabulary(NAMES)
    chunks = stream_chunks(vocab, NAMES, 5)
    stream = "".join(n + "|" for n in NAMES)
    assert chunks.shape == (len(stream) // 5, 5)
    assert "".join("|" if t == "<EOS>" else t for t in vocab.decode(chunks.ravel())) == \
        stream[:chunks.size]
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        stream_chunks(vocab, NAMES, 0)
    with pytest.raises(ValueError, match="longer than the whole stream"):
        stream_chunks(vocab, ["ab"], 10)
    lm = CharLanguageModel(vocab, units=5, seed=0)
    hist = train(lm, NAMES * 3, epochs=2, batch_size=4, seq_len=6, seed=0)
    assert len(hist["batch_loss"]) == 2 * int(np.ceil(len(stream_chunks(vocab, NAMES * 3, 6)) / 4))


def test_divergence_keeps_the_history():
    from functools import partial

    from companion.nn import optim
    from companion.nn.initializers import orthogonal
    from companion.nn.validation import DivergenceError
    names = load_names()[:4000]
    vocab = char_vocabulary(names)
    lm = CharLanguageModel(vocab, units=64, seed=0, activation="relu",
                           recurrent_initializer=partial(orthogonal, gain=1.2))
    with pytest.raises(DivergenceError, match="at step") as info:
        train(lm, names, epochs=1, batch_size=16, optimizer=optim.SGD(0.3), seq_len=50, seed=0)
    hist = info.value.history
    assert 0 < len(hist["batch_loss"]) == len(hist["grad_norm"])
    assert max(hist["grad_norm"]) > 1e6


def test_the_cell_may_be_a_function_that_builds_the_layer():
    """Chapter 11's capstone passes a factory (the learner's LSTM steps in an LSTM layer); a
    factory that builds something else is refused by name."""
    import pytest

    from companion.data.text import char_vocabulary
    from companion.models.char_lm import CharLanguageModel
    from companion.nn.layers.gru import GRU

    vocab = char_vocabulary(["ann", "bob"])
    lm = CharLanguageModel(vocab, units=3, cell=lambda units, **kw: GRU(units, **kw), seed=0)
    assert isinstance(lm.rnn, GRU) and lm.rnn.return_sequences
    with pytest.raises(TypeError, match=r"^cell: .* built dict"):
        CharLanguageModel(vocab, units=3, cell=lambda units, **kw: {}, seed=0)
