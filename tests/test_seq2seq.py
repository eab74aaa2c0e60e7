"""The encoder-decoder of chapter 13: end-to-end gradient check, decoding, accuracy, training."""

import numpy as np
import pytest

from companion.data.dates import load_dates
from companion.data.text import Vocabulary
from companion.models.seq2seq import Seq2Seq, beam_search, evaluate, train
from companion.nn.activations import log_softmax
from companion.nn.gradcheck import numerical_gradient, rel_error


def tiny(attention, dtype=np.float64, seed=0):
    src, tgt = Vocabulary(list("abc"), pad=True), Vocabulary(list("xy"), pad=True)
    return Seq2Seq(src, tgt, units=2, attention=attention,
                   attention_units=3 if attention else None, seed=seed,
                   dtype=dtype, max_source_length=4)


@pytest.mark.parametrize("attention", [True, False])
def test_end_to_end_gradients(attention, rng):
    model = tiny(attention)
    for p in list(model.params.values()):                      # away from the zero-bias start
        p += 0.3 * rng.standard_normal(p.shape)
    src = np.array([[2, 3, 4, 5], [2, 2, 5, 3], [3, 4, 4, 4]])    # 2 = <PAD>, left-padded
    y = rng.integers(0, len(model.tgt), (3, 5))
    value, grads = model.loss_and_grads((src, y))
    grads = [g.copy() for g in grads.values()]
    assert value > 0
    for p, g in zip(list(model.params.values()), grads):
        num = numerical_gradient(lambda: model.loss_and_grads((src, y))[0], p, h=1e-5)
        assert rel_error(g, num) < 1e-7


def test_padding_is_masked_out_of_attention(rng):
    model = tiny(True)
    _, w = model.greedy(np.array([[2, 2, 3, 4]]), max_len=3)
    assert w.shape == (1, 3, 4)
    assert np.all(w[0, :, :2] == 0)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)


def test_teacher_forcing_inputs():
    model = tiny(False)
    y = np.array([[3, 4, 0]])
    x = model.decoder_inputs(y)
    assert x.shape == (1, 3, len(model.tgt))
    assert np.all(x[0, 0] == 0) and x[0, 1, 3] == 1 and x[0, 2, 4] == 1 and x.sum() == 2


def test_greedy_equals_beam_of_width_one(rng):
    model = tiny(True, seed=1)
    for p in list(model.params.values()):
        p += 0.5 * rng.standard_normal(p.shape)
    texts = ["abc", "ca", "bbbb", "c"]
    assert model.translate(texts) == model.translate(texts, beam_width=1)
    assert model.translate(texts) == [h[0].text for h in beam_search(model, texts, 1)]


def test_beam_search_is_exhaustive_when_wide_enough(rng):
    """With k >= V^2 and two steps, beam search keeps every sequence: its best finished
    hypothesis (alpha=0) is the brute-force maximum over the sequences that end in <EOS>."""
    model = tiny(True, seed=2)
    for p in list(model.params.values()):
        p += 0.8 * rng.standard_normal(p.shape)
    V, eos = len(model.tgt), model.tgt.eos
    enc = model.start(model.source_ids(["abca"]))
    lp1, s1, _ = model.step(enc, enc["s"], None)
    best = lp1[0, eos]
    for a in range(V):
        if a != eos:
            lp2, _, _ = model.step(enc, s1, np.array([a]))
            best = max(best, lp1[0, a] + lp2[0, eos])
    hyps = beam_search(model, ["abca"], k=V * V, max_len=2, alpha=0.0)[0]
    assert hyps[0].finished and hyps[0].score == pytest.approx(best, rel=1e-12)
    done = [h.score for h in hyps if h.finished]
    assert done == sorted(done, reverse=True)
    assert model.log_prob(["abca"], [hyps[0].text])[0] == pytest.approx(best, rel=1e-12)


def test_beam_search_attention_maps_follow_the_hypothesis(rng):
    model = tiny(True, seed=3)
    for p in model.params.values():
        p += 0.5 * rng.standard_normal(p.shape)
    for h in beam_search(model, ["abc", "cab"], k=3, max_len=5)[1]:
        # one row per written token (decode drops <PAD>/<UNK>, so text can be shorter)
        assert h.weights.shape[1] == 4 and len(h.text) + h.finished <= len(h.weights) <= 5
        assert h.finished or len(h.weights) == 5
        np.testing.assert_allclose(h.weights.sum(axis=1), 1.0, rtol=1e-12)


def test_log_softmax():
    z = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(np.exp(log_softmax(z)).sum(), 1.0)
    assert log_softmax(z)[0, 0] == 0.0


def test_training_learns_and_is_deterministic():
    data = load_dates(n_train=600, n_dev=50, n_test=0, n_hard=0, seed=0)
    runs = []
    for _ in range(2):
        model = Seq2Seq(data.source_vocab, data.target_vocab, units=8, seed=0)
        runs.append(train(model, data.train, epochs=2, validation_data=data.dev, seed=0))
    assert runs[0]["loss"] == runs[1]["loss"]
    assert runs[0]["loss"][1] < runs[0]["loss"][0] < np.log(len(data.target_vocab))
    assert set(runs[0]) >= {"batch_loss", "loss", "val_loss", "val_accuracy"}
    assert runs[0]["val_loss"][1] < runs[0]["val_loss"][0]


def test_early_stopping_through_callbacks_restores_the_best_weights():
    from companion.nn.optim import Adam
    from companion.nn.train import EarlyStopping
    data = load_dates(n_train=300, n_dev=40, n_test=0, n_hard=0, seed=0)
    model = Seq2Seq(data.source_vocab, data.target_vocab, units=4, seed=0)
    # an improvement must exceed 5 nats to count: none does, so it stops after patience=1
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=5.0)
    h = train(model, data.train, optimizer=Adam(0.01), validation_data=data.dev, epochs=8,
              callbacks=[stop])
    assert len(h["loss"]) == 2 and stop.stopped_epoch == 1 and stop.best_epoch == 0
    assert h["val_loss"][1] < h["val_loss"][0]          # it did improve, by less than 5
    best = 0
    again = train.__globals__["_Validation"](model, data.dev)
    rerun = {}
    again.on_epoch_end(0, rerun)
    assert rerun["val_loss"][0] == pytest.approx(h["val_loss"][best], rel=1e-6)


def test_evaluate_counts_positions():
    class Fixed:
        def translate(self, texts, beam_width=1):
            return ["1998-03-03", "1998-03-0", "2000-01-01"]
    pairs = [("a", "1998-03-03"), ("b", "1998-03-04"), ("c", "1999-01-01")]
    r = evaluate(Fixed(), pairs)
    assert r["exact"] == pytest.approx(1 / 3)
    assert r["per_position"] == pytest.approx((10 + 9 + 6) / 30)


def test_errors():
    src, tgt = Vocabulary(["a"]), Vocabulary(["b"])
    with pytest.raises((ValueError, TypeError), match="units"):
        Seq2Seq(src, tgt, units=0)
    with pytest.raises(ValueError, match="attention_units"):
        Seq2Seq(src, tgt, attention_units=0)
    with pytest.raises(TypeError, match="attention must be True or False"):
        Seq2Seq(src, tgt, attention="no")
    model = tiny(True)
    with pytest.raises((ValueError, TypeError), match="beam_width"):
        model.translate(["ab"], beam_width=0)
    with pytest.raises(TypeError, match="single string"):
        model.translate("1 may 2001")
    with pytest.raises(TypeError, match="single string"):
        beam_search(model, "abc")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        model.translate(["ab", 3])
    with pytest.raises(ValueError, match="pairs is empty"):
        train(model, [])
    with pytest.raises(TypeError, match="pairs"):
        train(model, 0)
    with pytest.raises(TypeError, match=r"pairs\[0\]"):
        train(model, ["abc"])
    with pytest.raises(ValueError, match="seed and rng"):
        train(model, [("ab", "xy")], seed=1, rng=np.random.default_rng(1))
    with pytest.raises(TypeError, match="callbacks"):
        train(model, [("ab", "xy")], callbacks=["stop"])


def test_beam_step_keeps_the_best_extensions():
    from companion.models.seq2seq import beam_step
    scores = np.log([0.6, 0.4])
    logp = np.log([[0.5, 0.3, 0.2], [0.9, 0.05, 0.05]])
    beam, token, new = beam_step(scores, logp, 3)
    # candidates: 0.30, 0.18, 0.12 | 0.36, 0.02, 0.02
    assert beam.tolist() == [1, 0, 0] and token.tolist() == [0, 0, 1]
    np.testing.assert_allclose(np.exp(new), [0.36, 0.30, 0.18])


def test_chapter_13_explorer_and_figures():
    """The chapter's explorer and helpers, on two small untrained models (no training cost)."""
    import matplotlib
    matplotlib.use("Agg")
    from companion.chapters import ch13
    data = load_dates(n_train=10, n_dev=0, n_test=5, n_hard=0, seed=0)
    runs = {name: {"model": Seq2Seq(data.source_vocab, data.target_vocab, units=4,
                                    attention=att, seed=0), "epochs": 1, "cpu_s": 0.0,
                   "history": {"batch_loss": [1.0, 0.5]}}
            for name, att in (("attention", True), ("plain", False))}
    ex = ch13.translation_explorer(runs)
    r = ex.update(text="3/3/98", model="attention", beam_width=2)
    assert len(r["hypotheses"]) >= 1 and r["hypotheses"][0].weights.shape[1] >= 6
    r = ex.update(model="plain", beam_width=1)
    assert r["hypotheses"][0].weights is None and r["summary"].startswith("1. ")
    assert ex.update(text="  ") is None and "type a date" in ex.error
    _, w = ch13.attention_map(runs["attention"]["model"], "1/2/03")
    assert w.shape[1] == 6 and np.allclose(w.sum(axis=1), 1)
    table = ch13.accuracy_by_format(runs, [2000], n=3)
    assert len(table) == 16 and set(table["3/3/98"]) == {"attention", "plain"}
    assert 0 <= ch13.year_alignment(runs["attention"]["model"], [("3 March 1998", "1998-03-03")]) <= 1
    ch13.plot_training(runs, table)
    ch13.plot_attention(runs["attention"]["model"], ["1/2/03"])


def test_float32_end_to_end():
    model = tiny(True, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in list(model.params.values()))
    _, grads = model.loss_and_grads((np.array([[2, 3, 4, 5]]), np.array([[3, 4, 0]])))
    assert all(g.dtype == np.float32 for g in grads.values())
    _, w = model.greedy(np.array([[2, 3, 4, 5]]), max_len=2)
    assert w.dtype == np.float32


def test_chapter_13_experiments_run():
    """compare, beam_sweep and search_or_model on a tiny set (their numbers are the chapter's)."""
    from companion.chapters import ch13
    data = load_dates(n_train=64, n_dev=16, n_test=8, n_hard=8, seed=0)
    table = ch13.compare(data, [0, 1], epochs=2, patience=1, units=4)
    assert set(table) == {"plain", "attention"}
    for r in table.values():
        assert len(r["test"]) == 2 and all(1 <= e <= 2 for e in r["epochs"])
        assert all(0 <= a <= 1 for a in r["test"] + r["held_out"])
    assert table["attention"]["params"] > table["plain"]["params"]
    assert "±" in ch13.comparison_table(table)
    assert ch13.mean_spread([1.0, 3.0, 2.0]) == (2.0, 1.0)
    model = table["attention"]["runs"][0]["model"]
    sweep = ch13.beam_sweep(model, data.test, [1, 2])
    assert set(sweep) == {1, 2} and all(0 <= v["bleu"] <= 1 for v in sweep.values())
    r = ch13.search_or_model(model, data.test, k=2)
    assert r["errors"] == r["search"] + r["model"] == sum(
        p != t for p, (_, t) in zip(r["pred"], data.test))


def test_additive_attention_refuses_other_masks(rng):
    from companion.nn.layers.attention import BahdanauAttention
    layer = BahdanauAttention(3)
    layer.build(((2, 4), (5, 6)), rng)
    q, h = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 5, 6))
    good = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(layer.forward(q, h, good), layer.forward(q, h, good == 1))
    with pytest.raises(ValueError, match=r"mask: expected shape \(N, Tv\)"):
        layer.forward(q, h, np.ones((2, 2, 5), dtype=bool))          # (N, Tq, Tv)
    with pytest.raises(TypeError, match="additive float mask"):
        layer.forward(q, h, np.where(good == 1, 0.0, -np.inf))
    with pytest.raises(ValueError, match="only 0 and 1"):
        layer.forward(q, h, good * 2)


def test_bahdanau_backward_follows_the_calling_shape(rng):
    from companion.nn.layers.attention import BahdanauAttention
    layer = BahdanauAttention(3)
    layer.build(((2, 4), (5, 6)), rng)
    q, h = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 5, 6))
    out = layer.forward(q, h)
    dq, dk = layer.backward(np.ones_like(out))
    assert dq.shape == q.shape and dk.shape == h.shape
    assert set(layer.grads) == {"query_kernel", "key_kernel", "scale"}
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones((1, 2, 6)))


def test_bahdanau_get_set_weights_round_trip(rng):
    from companion.nn.layers.attention import BahdanauAttention
    a, b = BahdanauAttention(3), BahdanauAttention(3)
    a.build(((2, 4), (5, 6)), rng)
    b.build(((2, 4), (5, 6)), rng)
    b.set_weights(a.get_weights())
    q, h = rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 5, 6))
    np.testing.assert_array_equal(a.forward(q, h), b.forward(q, h))
    assert a.attention_weights.shape == (1, 2, 5)


def test_more_wrong_calls_named():
    from companion.models import decoding
    model = tiny(True)
    with pytest.raises(ValueError, match=r"outputs\[0\].*cannot write"):
        model.log_prob(["ab"], ["xz"])
    with pytest.raises(TypeError, match="source_vocab"):
        Seq2Seq("abc", model.tgt)
    state = model.start(model.source_ids(["ab"]))
    with pytest.raises(TypeError, match=r"sequences\[0\]"):
        decoding.sequence_logprob(model.decoder_step, state, [["x"]])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        decoding.sequence_logprob(model.decoder_step, state, [[99]])
