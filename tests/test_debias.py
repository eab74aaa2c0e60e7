"""Chapter 12's debiasing: the gender direction, neutralise, equalise and the tests of what
remains (companion.chapters.ch12)."""

import numpy as np
import pytest

from companion.chapters import ch12
from companion.data.word_vectors import WordVectors, normalize_rows


def unit_rows(n, d, seed=0):
    return normalize_rows(np.random.default_rng(seed).standard_normal((n, d)))


def test_gender_direction_recovers_a_planted_direction():
    rng = np.random.default_rng(1)
    d = np.zeros(8)
    d[3] = 1.0
    B = rng.standard_normal((6, 8))
    A = B + np.outer(rng.uniform(1, 2, 6), d) + 0.01 * rng.standard_normal((6, 8))
    g, ratio = ch12.gender_direction(A, B)
    assert np.isclose(np.linalg.norm(g), 1.0)
    assert g @ d > 0.999                        # oriented towards the first words
    assert ratio[0] > 0.99 and np.isclose(ratio.sum(), 1.0)
    g_swapped, _ = ch12.gender_direction(B, A)
    np.testing.assert_allclose(g_swapped, -g)


def test_gender_direction_rejects_mismatched_pairs():
    with pytest.raises(ValueError, match="B: expected the shape of A"):
        ch12.gender_direction(np.ones((3, 4)), np.ones((2, 4)))


@pytest.mark.parametrize("shape", [(5,), (7, 5), (2, 3, 5)])
def test_neutralise_leaves_no_projection_and_keeps_the_rest(shape):
    rng = np.random.default_rng(2)
    E, g = rng.standard_normal(shape), rng.standard_normal(5) * 3.0   # g not unit: normalised
    out = ch12.neutralise(E, g)
    assert out.shape == E.shape
    np.testing.assert_allclose(out @ g, 0, atol=1e-12)
    np.testing.assert_allclose(E - out, ((E @ g) / (g @ g))[..., None] * g, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1) ** 2,
                               np.linalg.norm(E, axis=-1) ** 2 - (E @ g) ** 2 / (g @ g))


def test_neutralise_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="g: expected a non-zero"):
        ch12.neutralise(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="E: expected last dimension 3"):
        ch12.neutralise(np.ones((2, 4)), np.ones(3))


@pytest.mark.parametrize("seed", range(4))
def test_equalise_is_symmetric_unit_and_equidistant(seed):
    e1, e2, w = unit_rows(3, 6, seed)
    g = np.random.default_rng(seed + 10).standard_normal(6)
    a, b = ch12.equalise(e1, e2, g)
    gu = g / np.linalg.norm(g)
    np.testing.assert_allclose([np.linalg.norm(a), np.linalg.norm(b)], 1.0)   # norms kept
    np.testing.assert_allclose(a @ gu, -(b @ gu))                              # mirror images
    np.testing.assert_allclose(ch12.neutralise(a, g), ch12.neutralise(b, g), atol=1e-12)
    np.testing.assert_allclose(ch12.neutralise(a, g), ch12.neutralise((e1 + e2) / 2, g))
    assert np.sign(a @ gu) == np.sign((e1 - e2) @ gu)                          # sides kept
    w_n = ch12.neutralise(w, g)
    assert np.isclose(a @ w_n, b @ w_n)                                        # equidistant


def test_equalise_bad_input():
    e = np.array([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="e2: expected a unit vector"):
        ch12.equalise(e, np.array([0.0, 2.0, 0.0]), np.ones(3))
    with pytest.raises(ValueError, match="same projection"):
        ch12.equalise(e, np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))


def toy_vectors():
    words = ["he", "she", "actor", "actress", "nurse", "doctor", "river"]
    return WordVectors(words, np.random.default_rng(5).standard_normal((7, 4)))


def test_debias_neutralises_all_but_the_kept_words_and_equalises_pairs():
    wv = toy_vectors()
    g = wv.unit[0] - wv.unit[1]
    out = ch12.debias(wv, g, keep={"he", "she", "actor", "actress"},
                      pairs=[("actor", "actress"), ("king", "queen")])   # unknown pair skipped
    gu = g / np.linalg.norm(g)
    np.testing.assert_allclose(out.unit[wv.ids(["nurse", "doctor", "river"])] @ gu, 0, atol=1e-7)
    np.testing.assert_allclose(out.unit[:2], wv.unit[:2], atol=1e-7)             # kept as is
    actor, actress = out.unit[2], out.unit[3]
    np.testing.assert_allclose(actor @ gu, -(actress @ gu), atol=1e-7)
    np.testing.assert_allclose(out.unit[4:] @ actor, out.unit[4:] @ actress, atol=1e-7)


def test_most_biased_and_agreement_scores():
    words = ["a", "b", "c", "d", "e", "f"]
    vecs = np.array([[3, 1], [2, 1], [1, 1], [-1, 1], [-2, 1], [-3, 1]], float)
    wv = WordVectors(words, vecs)
    chosen, labels = ch12.most_biased(wv, np.array([1.0, 0.0]), n=2, keep={"a"})
    assert chosen == ["b", "c", "f", "e"] and list(labels) == [1, 1, 0, 0]
    X = np.array([[1, 0.1], [1, -0.1], [-1, 0.1], [-1, -0.1]])
    assert ch12.kmeans_agreement(X, np.array([1, 1, 0, 0]), seed=0) == 1.0
    assert ch12.kmeans_agreement(X, np.array([1, 0, 1, 0]), seed=0) == 0.5
    assert ch12.knn_agreement(X, np.array([1, 1, 0, 0]), k=1) == 1.0
    assert ch12.knn_agreement(X, np.array([1, 0, 1, 0]), k=1) == 0.0


def test_agreement_scores_check_lengths():
    with pytest.raises(ValueError, match="labels"):
        ch12.knn_agreement(np.ones((4, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        ch12.kmeans_agreement(np.ones((4, 2)), np.array([0, 1, 1]))
