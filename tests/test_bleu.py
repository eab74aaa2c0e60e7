"""BLEU (companion.models.bleu) against sacrebleu on the same tokenised sentences, and the
textbook cases of modified precision and the brevity penalty."""
import math

import numpy as np
import pytest

from companion.models.bleu import closest_length, corpus_bleu, modified_precision


def test_clipping_the_papineni_example():
    """'the the the the the the the' against two references: 7 unigrams, 'the' clipped to
    the 2 of the first reference: 2/7 (unclipped precision would be 7/7)."""
    cand = "the the the the the the the".split()
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    assert modified_precision(cand, refs, 1) == (2, 7)
    assert modified_precision(cand, refs, 2) == (0, 6)


def test_brevity_penalty_and_closest_reference():
    refs = [list("abcdef"), list("abcdefgh")]
    assert closest_length(list("abcdefg"), refs) == 6          # a tie between 6 and 8: shorter
    r = corpus_bleu([list("abcd")], [refs])                    # c = 4 < r = 6
    assert r["brevity_penalty"] == pytest.approx(math.exp(1 - 6 / 4))
    assert r["precisions"] == [1.0, 1.0, 1.0, 1.0]
    assert r["bleu"] == pytest.approx(math.exp(1 - 6 / 4))
    assert corpus_bleu([list("abcdef")], [refs])["bleu"] == 1.0


def test_corpus_level_sums_counts_before_dividing():
    """Two sentences: corpus precision is (m1 + m2) / (t1 + t2), not the mean of m/t."""
    cands = [list("abcdef"), list("xy")]
    refs = [[list("abcdef")], [list("xz")]]
    r = corpus_bleu(cands, refs, max_n=1)
    assert r["matches"] == [7] and r["totals"] == [8] and r["precisions"] == [7 / 8]


def _sacrebleu(cands, refs):
    sacrebleu = pytest.importorskip("sacrebleu")
    streams = [[" ".join(r[j]) for r in refs] for j in range(len(refs[0]))]
    return sacrebleu.corpus_bleu([" ".join(c) for c in cands], streams, tokenize="none",
                                 smooth_method="none", force=True)


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_sacrebleu(seed):
    """Random corpora over a small vocabulary (so n-grams repeat and clipping matters), two
    references per sentence, candidates shorter and longer than their references."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(5 + seed)]

    def sentence(n):
        return [vocab[i] for i in rng.integers(0, len(vocab), n)]
    refs = [[sentence(int(rng.integers(4, 14))) for _ in range(2)] for _ in range(30)]
    cands = []
    for r in refs:                                   # a noisy copy of the first reference
        c = [t if rng.random() < 0.7 else vocab[rng.integers(len(vocab))] for t in r[0]]
        cands.append(c[:int(rng.integers(3, len(c) + 1))] if seed % 2 else
                     c + sentence(int(rng.integers(0, 3))))
    ours, theirs = corpus_bleu(cands, refs), _sacrebleu(cands, refs)
    assert ours["bleu"] * 100 == pytest.approx(theirs.score, abs=1e-6)
    assert ours["brevity_penalty"] == pytest.approx(theirs.bp, abs=1e-9)
    assert ours["matches"] == list(theirs.counts) and ours["totals"] == list(theirs.totals)
    assert (ours["candidate_length"], ours["reference_length"]) == (theirs.sys_len, theirs.ref_len)


def test_agrees_with_sacrebleu_on_dates_as_characters():
    cands = [list("1998-03-04"), list("2001-05-01"), list("1999-12-13")]
    refs = [[list("1998-03-03")], [list("2001-05-01")], [list("1999-12-31")]]
    assert corpus_bleu(cands, refs)["bleu"] * 100 == \
        pytest.approx(_sacrebleu(cands, refs).score, abs=1e-6)


def test_no_match_of_some_order_scores_zero_as_sacrebleu_does():
    cands, refs = [list("ab")], [[list("ba")]]
    assert corpus_bleu(cands, refs)["bleu"] == 0.0 == _sacrebleu(cands, refs).score


def test_errors():
    with pytest.raises(TypeError, match="split a sentence"):
        corpus_bleu(["the cat"], [[["the", "cat"]]])
    with pytest.raises(TypeError, match="string"):
        corpus_bleu("the cat", [[["the", "cat"]]])
    with pytest.raises(ValueError, match="same positive number"):
        corpus_bleu([["a"]], [])
    with pytest.raises(TypeError, match=r"references\[0\]"):
        corpus_bleu([["a"]], [[]])
    with pytest.raises(ValueError, match="max_n"):
        corpus_bleu([["a"]], [[["a"]]], max_n=0)
