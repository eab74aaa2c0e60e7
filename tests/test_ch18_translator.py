"""Chapter 18's translator pieces: attention dropout and positions through TransformerTranslator,
``train_translator`` (dropout on in training passes only), the teacher-forced ``logits`` (also
the validation loss of ``seq2seq.train``), and the chapter's drivers on a tiny budget."""
import dataclasses

import numpy as np
import pytest

from companion.chapters import ch18
from companion.data.dates import load_dates
from companion.models import decoding
from companion.models.seq2seq import Seq2Seq
from companion.models.transformer import TransformerTranslator, train_translator


@pytest.fixture(scope="module")
def data():
    return load_dates(n_train=96, n_dev=20, n_test=20, n_hard=20, seed=0)


def _heads(model):
    return [b.sublayers[n] for b in model.encoder + model.decoder
            for n in ("attention", "cross_attention") if n in b.sublayers]


def test_attention_dropout_reaches_every_attention_and_keeps_the_weights(data):
    plain = TransformerTranslator(data.source_vocab, data.target_vocab, seed=3)
    drop = TransformerTranslator(data.source_vocab, data.target_vocab, seed=3,
                                 attention_dropout=0.2)
    assert len(_heads(drop)) == 3 and all(h.dropout == 0.2 for h in _heads(drop))
    assert all(h.dropout == 0.0 for h in _heads(plain))
    for name, w in plain.params.items():
        np.testing.assert_array_equal(w, drop.params[name])
    texts = [s for s, _ in data.test[:5]]
    assert plain.translate(texts) == drop.translate(texts)          # inference: no dropout


def test_train_translator_drops_in_training_only(data):
    model = TransformerTranslator(data.source_vocab, data.target_vocab, seed=0,
                                  attention_dropout=0.3)
    history = train_translator(model, data.train, epochs=1, seed=0, validation_data=data.dev)
    assert model.training is False
    assert "val_loss" in history and np.isfinite(history["val_loss"][0])
    masks = [h.dropout_layer.last_mask for h in _heads(model)]
    assert all(m is not None and m.min() == 0 for m in masks)         # drawn while training
    for h in _heads(model):
        h.dropout_layer.last_mask = None
    model.translate([s for s, _ in data.test[:3]])
    assert all(h.dropout_layer.last_mask is None for h in _heads(model))


def test_train_translator_refuses_other_models(data):
    with pytest.raises(TypeError, match="TransformerTranslator"):
        train_translator(Seq2Seq(data.source_vocab, data.target_vocab, units=4), data.train)


def test_logits_agree_with_the_decoding_step(data):
    """Teacher-forced log P(y|x) from ``logits`` equals ``decoding.sequence_logprob`` through
    ``decoder_step`` (the path beam search uses)."""
    model = TransformerTranslator(data.source_vocab, data.target_vocab, seed=1, dtype="float64")
    texts = [s for s, _ in data.test[:4]]
    y = np.array([[model.tgt.index(c) for c in t] + [model.tgt.eos] for _, t in data.test[:4]])
    src = model.source_ids(texts)
    z = model.logits(src, y)
    logp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - z.max(-1, keepdims=True)
    ours = np.take_along_axis(logp, y[..., None], -1)[..., 0].sum(1)
    theirs = decoding.sequence_logprob(model.decoder_step, model.start(src), [list(r) for r in y])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    np.testing.assert_array_equal(model.decoder_inputs(y)[:, 1:], y[:, :-1])
    assert np.all(model.decoder_inputs(y)[:, 0] == model.tgt.eos)


def test_positional_false_drops_the_sinusoids(data):
    model = TransformerTranslator(data.source_vocab, data.target_vocab, positional=False)
    assert model.src_embed.pe is None and model.tgt_embed.pe is None
    with pytest.raises(TypeError, match="positional"):
        TransformerTranslator(data.source_vocab, data.target_vocab, positional="no")
    with pytest.raises(ValueError, match="attention_dropout"):
        TransformerTranslator(data.source_vocab, data.target_vocab, attention_dropout=1.0)


def test_chapter_drivers_on_a_tiny_budget(data):
    small = dataclasses.replace(data, dev=data.dev[:10], test=data.test[:10],
                                hard_test=data.hard_test[:10])
    table = ch18.compare(small, epochs=1, seeds=(0, 1), lrs=(1e-2, 3e-3),
                         variants={"transformer, attention dropout 0.1":
                                   {"attention_dropout": 0.1}})
    assert list(table) == ["GRU", "transformer", "transformer, attention dropout 0.1"]
    for row in table.values():
        assert len(row["test"]) == len(row["cpu"]) == len(row["models"]) == 2
        assert all(0 <= v <= 1 for v in row["test"] + row["held_out"])
    assert set(table["GRU"]["dev_by_lr"]) == {1e-2, 3e-3}
    assert table["transformer, attention dropout 0.1"]["lr"] == table["transformer"]["lr"]
    text = ch18.table_text(table)
    assert text.count("\n") == 3 and "±" in text
    beams = ch18.decoding_table(table, small.test[:4], widths=(1, 2))
    assert set(beams) == {"GRU", "transformer"} and len(beams["GRU"][2]) == 2
    out, w = ch18.cross_attention(table["transformer"]["models"][0], "3/3/98")
    assert w.shape == (2, len(out) + 1, 6) and np.allclose(w.sum(-1), 1, atol=1e-5)


def test_dates_are_chapter_13s_split():
    d = ch18.dates(n_train=50, n_eval=10)
    full = load_dates(n_train=6000, n_dev=500, n_test=1000, n_hard=1000, seed=0)
    assert d.train == full.train[:50] and d.dev == full.dev and d.test == full.test[:10]
    with pytest.raises(ValueError, match="kind"):
        ch18.make_model("LSTM", d, 0)


def test_explorer_draws_and_summarises(data):
    import matplotlib
    matplotlib.use("Agg")
    src, tgt = data.source_vocab, data.target_vocab
    table = {"GRU": {"models": [Seq2Seq(src, tgt, units=4)]},
             "transformer": {"models": [TransformerTranslator(src, tgt)]}}
    ex = ch18.translation_explorer(table)
    assert "transformer" in ex.result["summary"] and ex.result["weights"].ndim == 2
    r = ex.update(head="1", beam_width=2)
    assert r["weights"].shape[0] == len(r["out"]) + 1
    r = ex.update(model="GRU")
    assert r["weights"] is None and "GRU" in r["summary"]


def test_language_model_takes_attention_dropout_too():
    from companion.data.text import Vocabulary
    from companion.models.transformer import TransformerLM, train_lm
    vocab = Vocabulary(list("abcde"), pad=True)
    names = ["abc", "bad", "cab", "dace", "ebb", "aced"] * 4
    plain = TransformerLM(vocab, d_model=8, num_heads=2, num_layers=1, ff_dim=8, max_len=8)
    lm = TransformerLM(vocab, d_model=8, num_heads=2, num_layers=1, ff_dim=8, max_len=8,
                       attention_dropout=0.3)
    for name, w in plain.params.items():                 # the same weights at every rate
        np.testing.assert_array_equal(w, lm.params[name])
    assert plain.loss(names) == lm.loss(names)           # scoring never drops
    history = train_lm(lm, names, epochs=1, batch_size=8, seed=0)
    mha = lm.blocks[0].sublayers["attention"]
    assert np.isfinite(history["loss"][0]) and mha.dropout_layer.last_mask is not None
    assert lm.training is False
