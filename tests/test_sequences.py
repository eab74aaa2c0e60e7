"""Chapters 9-10 experiments, explorers and exercise checks."""
import numpy as np
import pytest

from companion.chapters import ch09 as chapter09
from companion.chapters import ch10 as chapter10
from companion.data import text
from companion.data.text import char_vocabulary, load_names
from companion.lab import lm_explorer


def test_one_hot_names_padding():
    vocab = char_vocabulary(["abc"])
    pre = chapter09.one_hot_names(["ab", "c"], vocab, T=3)
    post = chapter09.one_hot_names(["ab", "c"], vocab, T=3, pad="post")
    assert pre.shape == post.shape == (2, 3, len(vocab))
    np.testing.assert_array_equal(pre[1, :2], 0)
    assert pre[1, 2, vocab.index("c")] == 1 and post[1, 0, vocab.index("c")] == 1
    with pytest.raises(ValueError, match="more than T=2"):
        chapter09.one_hot_names(["abc"], vocab, T=2)
    with pytest.raises(ValueError, match="pad must be"):
        chapter09.one_hot_names(["a"], vocab, pad="middle")


def test_sex_dataset_and_baselines():
    ds = chapter09.sex_dataset()
    sizes = {k: len(v) for k, v in ds.names.items()}
    assert sum(sizes.values()) == 5163 and sizes["train"] > sizes["dev"]
    assert ds.X["train"].shape == (sizes["train"], 11, len(ds.vocab))
    assert not set(ds.names["train"]) & set(ds.names["test"])
    # the last letter alone is a strong baseline on these names
    pred = chapter09.suffix_baseline(ds.names["train"], ds.y["train"], ds.names["test"], k=1)
    assert pred.shape == ds.y["test"].shape and (pred == ds.y["test"]).mean() > 0.8
    toy = chapter09.suffix_baseline(["anna", "bob", "ella"], [0, 1, 0], ["maria", "rob", "zzz"], k=2)
    assert toy.ravel().tolist() == [0, 1, 0]


def test_sum_vs_mean():
    r = chapter09.sum_vs_mean_updates(12)
    assert r["grad_ratio"] == pytest.approx(12)
    assert r["sgd_update_ratio"] == pytest.approx(12)
    assert r["adam_update_ratio"] == pytest.approx(1, abs=0.01)


def test_gradient_flow_vanishes_and_explodes():
    small = chapter10.gradient_flow(40, 16, gain=0.5)
    assert small.shape == (40,) and small[0] < 1e-6 * small[-1]
    big = chapter10.gradient_flow(40, 16, gain=1.5, activation="linear")
    assert big[0] > 1e3 * big[-1]


def test_exploding_run_and_clipping():
    names = load_names()[:4000]
    vocab = char_vocabulary(names)
    free = chapter10.exploding_run(names, vocab, "none")
    assert free["diverged_at"] is not None and max(free["grad_norm"]) > 1e6
    clipped = chapter10.exploding_run(names, vocab, "norm", 1.0)
    assert clipped["diverged_at"] is None and np.isfinite(clipped["batch_loss"]).all()
    with pytest.raises(ValueError, match="clip must be"):
        chapter10.exploding_run(names, vocab, "both")


def test_tokenisation_stats():
    rows = chapter10.tokenisation_stats(text.load_text(), word_sizes=(100, None))
    chars_row, w100, wall = rows
    assert chars_row["vocab"] < w100["vocab"] < wall["vocab"]
    assert chars_row["tokens_per_sentence"] > 4 * wall["tokens_per_sentence"]
    assert w100["unk_rate"] > wall["unk_rate"] > chars_row["unk_rate"]


def test_explorers():
    ex = chapter10.gradient_flow_explorer()
    r = ex.update(T=20, units=8, gain=0.5)
    assert r["norms"].shape == (20,) and r["ratio"] < 1e-3
    ds = chapter09.sex_dataset()
    ce = chapter09.classifier_explorer(ds)
    r = ce.update(units=4, epochs=1)
    assert 0.5 < r["dev_accuracy"] <= 1 and len(r["history"]["loss"]) == 1
    from companion.models.char_lm import CharLanguageModel, train
    names = load_names()[:300]
    vocab = char_vocabulary(names)
    lm = CharLanguageModel(vocab, units=8, seed=0)
    train(lm, names, epochs=1, seed=0)
    te = lm_explorer.temperature_explorer(lm)
    cold, hot = te.update(temperature=0.2, n=3)["entropy"], te.update(temperature=2.0)["entropy"]
    assert cold < hot and len(te.result["samples"]) == 3
    assert te.update(temperature=0.0)["entropy"] == 0.0
    ke = chapter10.clipping_explorer(names, vocab)
    r = ke.update(clip="value", threshold=0.1, learning_rate=0.05)
    assert r["history"]["diverged_at"] is None
