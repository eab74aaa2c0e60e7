"""Skip-gram with negative sampling: gradients, sampling, pairs, and a short real training run."""
import numpy as np
import pytest

from companion.data.corpus import letter_words, load_corpus
from companion.models.skipgram import (
    SkipGram,
    build_vocab,
    noise_distribution,
    sample_negatives,
    sgns_backward,
    sgns_forward,
    skipgram_pairs,
    subsample,
    train_skipgram,
)
from companion.nn import optim
from companion.nn.layers.embedding import scatter_add_rows
from companion.nn.gradcheck import numerical_gradient, rel_error


@pytest.mark.parametrize("B,K", [(1, 1), (1, 5), (4, 1), (6, 3)])
def test_sgns_gradient_check(B, K):
    rng = np.random.default_rng(B * 10 + K)
    W_in, W_out = rng.standard_normal((8, 5)) * 0.7, rng.standard_normal((8, 5)) * 0.7
    centers = rng.integers(0, 8, B)
    centers[0] = 2
    contexts = rng.integers(0, 8, B)
    negatives = rng.integers(0, 8, (B, K))
    negatives[0, 0] = 2                                  # a word both center and negative
    loss, cache = sgns_forward(W_in, W_out, centers, contexts, negatives)
    dinputs, (dW_in, dW_out) = sgns_backward(1.0, cache)
    f = lambda: sgns_forward(W_in, W_out, centers, contexts, negatives)[0]
    assert dinputs is None and loss == pytest.approx(f())
    assert rel_error(dW_in, numerical_gradient(f, W_in)) < 1e-7
    assert rel_error(dW_out, numerical_gradient(f, W_out)) < 1e-7


def test_sgns_loss_at_zero_context_vectors_is_k_plus_one_log_two():
    W_in = np.random.default_rng(0).standard_normal((6, 3))
    loss, _ = sgns_forward(W_in, np.zeros((6, 3)), np.array([0, 1]), np.array([2, 3]),
                           np.array([[4, 5, 1], [0, 2, 3]]))
    assert loss == pytest.approx(4 * np.log(2))


def test_scatter_add_rows_matches_add_at(rng):
    ids = rng.integers(0, 9, 200)
    vals = rng.standard_normal((200, 4))
    want = np.zeros((9, 4))
    np.add.at(want, ids, vals)
    np.testing.assert_allclose(scatter_add_rows(9, ids, vals), want, atol=1e-12)
    assert scatter_add_rows(3, np.array([], int), np.zeros((0, 2))).shape == (3, 2)


def test_pairs_fixed_and_dynamic_window():
    ids = np.array([10, 11, 12, 13])
    c, o = skipgram_pairs(ids, window=1)
    assert sorted(zip(c.tolist(), o.tolist())) == [(10, 11), (11, 10), (11, 12), (12, 11),
                                                   (12, 13), (13, 12)]
    c, o = skipgram_pairs(ids, window=2)
    assert len(c) == 2 * (3 + 2)
    full = set(zip(*skipgram_pairs(np.arange(50), window=3)))
    c, o = skipgram_pairs(np.arange(50), window=3, rng=np.random.default_rng(0))
    dyn = list(zip(c.tolist(), o.tolist()))
    assert set(dyn) <= full and len(dyn) < len(full)
    assert all(abs(a - b) <= 3 for a, b in dyn)
    assert sum(abs(a - b) == 1 for a, b in dyn) == 2 * 49   # distance 1 is always inside


def test_noise_distribution_and_sampling():
    counts = np.array([1000, 100, 10, 1])
    p = noise_distribution(counts)
    np.testing.assert_allclose(p, counts ** 0.75 / np.sum(counts ** 0.75))
    assert p[0] < counts[0] / counts.sum()              # the power flattens the unigram law
    draws = sample_negatives(p, (200_000,), np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 200_000, p, atol=4e-3)


def test_subsample_drops_frequent_words_only():
    counts = np.array([9000, 900, 90, 10])
    ids = np.repeat(np.arange(4), counts)
    kept = subsample(ids, counts, t=1e-3, rng=np.random.default_rng(0))
    frac = np.bincount(kept, minlength=4) / counts
    f = counts / counts.sum()
    keep = np.minimum(1, np.sqrt(1e-3 / f) + 1e-3 / f)     # 0.044, 0.14, 0.44, 1
    np.testing.assert_allclose(frac, keep, atol=0.04)
    assert frac[3] == 1.0                                  # words rarer than t are all kept


def test_tokenize_and_vocab():
    assert letter_words("Don't PANIC: x = 42, isn't it?") == ["don't", "panic", "x", "isn't", "it"]
    v = build_vocab(["b", "a", "b", "c", "a", "b", "d"], min_count=2)
    assert v.words == ["b", "a"] and v.counts.tolist() == [3, 2]
    assert v.encode(["a", "zzz", "b"]).tolist() == [1, 0]


def test_training_on_the_corpus_reduces_the_loss_and_is_deterministic():
    tokens = load_corpus()
    assert len(tokens) == 64_262 and tokens.count("function") > 100
    tokens = tokens[:12_000]
    vocab = build_vocab(tokens, min_count=5)
    ids = vocab.encode(tokens)
    runs = []
    for _ in range(2):
        model = SkipGram(len(vocab), 16, seed=0)
        hist = train_skipgram(model, vocab, ids, epochs=2, window=2, batch_size=512,
                              optimizer=optim.Adam(0.02), seed=0)
        runs.append((hist, model.W_in.copy()))
    hist = runs[0][0]
    assert hist["batch_loss"][0] == pytest.approx(6 * np.log(2))   # W_out starts at zero
    assert hist["loss"][1] < hist["loss"][0] < 6 * np.log(2)
    assert np.mean(hist["batch_loss"][-5:]) < 0.8 * hist["batch_loss"][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_bad_learning_rate():
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        train_skipgram(SkipGram(3, 2, seed=0), build_vocab(["a"] * 5), np.zeros(5, int),
                       optimizer=optim.Adam(-1.0), seed=0)
