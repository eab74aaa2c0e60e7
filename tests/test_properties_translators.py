"""Property-based wrong calls (issue 23) over ``companion.models``' translators and
transformers (``seq2seq``, ``transformer``), with the helpers and rules of
``test_properties_models.py``.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NUMBER,
    BAD_STRINGS,
    SCALAR_JUNK,
    SETTINGS,
    Odd,
    Target,
    assert_clear_or_correct,
    rng,
)
from test_properties_models import (
    BAD_ALPHA,
    BAD_IDS_2D,
    BAD_TEMPERATURE,
    BAD_VOCAB,
    NAMES,
    PAIRS,
    SRC,
    TGT,
    VOCAB,
    char_lm,
    s2s,
    tlm,
    translator,
)

from companion.models import checks, seq2seq, transformer

TARGETS: list[Target] = [
    # seq2seq
    Target("seq2seq.teacher_forcing_inputs(y=..., V)",
           lambda v: seq2seq.teacher_forcing_inputs(v, 3), ("y",), BAD_IDS_2D),
    Target("seq2seq.teacher_forcing_inputs(y, V=...)",
           lambda v: seq2seq.teacher_forcing_inputs(np.array([[0, 1]]), v), ("V",), BAD_COUNT),
    Target("seq2seq.Seq2Seq(source_vocab=...)",
           lambda v: seq2seq.Seq2Seq(v, TGT, units=2), ("source_vocab",), BAD_VOCAB),
    Target("seq2seq.Seq2Seq(units=...)", lambda v: seq2seq.Seq2Seq(SRC, TGT, units=v),
           ("units",), BAD_COUNT),
    Target("seq2seq.Seq2Seq(attention=...)", lambda v: s2s(attention=v), ("attention",),
           BAD_FLAG),
    Target("seq2seq.Seq2Seq(attention_units=...)", lambda v: s2s(attention_units=v),
           ("attention_units",), BAD_COUNT.filter(lambda v: v is not None)),
    Target("seq2seq.Seq2Seq(max_source_length=...)", lambda v: s2s(max_source_length=v),
           ("max_source_length",), BAD_COUNT),
    Target("seq2seq.Seq2Seq(dtype=...)", lambda v: s2s(dtype=v), ("dtype",),
           st.one_of(st.sampled_from(["int32", "float16", "abc", 3]), st.none())),
    Target("seq2seq.Seq2Seq(score=...)", lambda v: s2s(score=v), ("score",), SCALAR_JUNK),
    Target("seq2seq.Seq2Seq.translate(texts=...)", lambda v: s2s().translate(v), ("texts",),
           st.one_of(BAD_STRINGS, st.just([]))),
    Target("seq2seq.Seq2Seq.translate(texts, alpha=...)",
           lambda v: s2s().translate(["1 may 2001"], alpha=v), ("alpha",), BAD_ALPHA),
    Target("seq2seq.Seq2Seq.translate(texts, beam_width=...)",
           lambda v: s2s().translate(["1 may 2001"], beam_width=v), ("beam_width",), BAD_COUNT),
    Target("seq2seq.Seq2Seq.log_prob(texts, outputs=...)",
           lambda v: s2s().log_prob(["1 may 2001"], v), ("outputs",),
           st.one_of(BAD_STRINGS, st.just(["2001-05-0x"]), st.just(["a", "b"]))),
    Target("seq2seq.Seq2Seq.source_ids(texts=...)", lambda v: s2s().source_ids(v),
           ("texts",), st.one_of(BAD_STRINGS, st.just([]))),
    Target("checks.check_texts(texts=...)", lambda v: checks.check_texts(v, "texts"),
           ("texts",), st.one_of(BAD_STRINGS, st.just([]))),
    Target("checks.check_pairs(pairs=...)", lambda v: checks.check_pairs(v, "pairs"),
           ("pairs",), st.one_of(BAD_STRINGS, st.just([]), st.just(PAIRS[0]),
                                 st.just([("a", "b", "c")]))),
    Target("checks.check_translator(model=...)", lambda v: checks.check_translator(v),
           ("model",), st.one_of(st.none(), st.just(Odd()), st.text(max_size=3),
                                 st.just(char_lm.BigramModel(VOCAB)))),
    Target("checks.check_ids(ids=..., name, n)", lambda v: checks.check_ids(v, "ids", 3),
           ("ids",), BAD_IDS_2D),
    Target("seq2seq.beam_search(model=...)",
           lambda v: seq2seq.beam_search(v, ["1 may 2001"]), ("model",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=3))),
    Target("seq2seq.beam_search(model, texts, k=...)",
           lambda v: seq2seq.beam_search(s2s(), ["1 may 2001"], k=v), ("k",), BAD_COUNT),
    Target("seq2seq.beam_search(model, texts, max_len=...)",
           lambda v: seq2seq.beam_search(s2s(), ["1 may 2001"], max_len=v), ("max_len",),
           BAD_COUNT),
    Target("seq2seq.evaluate(model, pairs=...)", lambda v: seq2seq.evaluate(s2s(), v),
           ("pairs",), st.one_of(BAD_STRINGS, st.just([]), st.just(PAIRS[0]))),
    Target("seq2seq.evaluate(model=...)", lambda v: seq2seq.evaluate(v, PAIRS), ("model",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=3))),
    Target("transformer.train_translator(model=...)",
           lambda v: transformer.train_translator(v, PAIRS, epochs=1), ("model",),
           st.one_of(st.none(), st.just("translator"), st.builds(s2s))),
    Target("transformer.train_translator(model, pairs=...)",
           lambda v: transformer.train_translator(translator(), v, epochs=1), ("pairs",),
           st.one_of(BAD_STRINGS, st.just([]), st.just(PAIRS[0]))),
    Target("seq2seq.train(model, pairs=...)",
           lambda v: seq2seq.train(s2s(), v, epochs=1), ("pairs",),
           st.one_of(BAD_STRINGS, st.just([]), st.just(PAIRS[0]), st.just(5))),
    Target("seq2seq.train(model, pairs, seed=..., rng)",
           lambda v: seq2seq.train(s2s(), PAIRS, epochs=1, seed=v, rng=rng()),
           ("seed", "rng"), st.one_of(st.integers(0, 3), st.text(max_size=2))),
    Target("seq2seq.train(model, pairs, epochs=...)",
           lambda v: seq2seq.train(s2s(), PAIRS, epochs=v), ("epochs",), BAD_COUNT),
    Target("seq2seq.train(model, pairs, clipnorm=...)",
           lambda v: seq2seq.train(s2s(), PAIRS, epochs=1, clipnorm=v), ("clipnorm",),
           st.one_of(BAD_NUMBER.filter(lambda v: v is not None), st.sampled_from([0, -1.0]))),
    # transformer
    Target("transformer.TransformerLM(vocab=...)",
           lambda v: transformer.TransformerLM(v, d_model=4, num_heads=1), ("vocab",), BAD_VOCAB),
    Target("transformer.TransformerLM(positional=...)", lambda v: tlm(positional=v),
           ("positional",), BAD_FLAG),
    Target("transformer.TransformerLM(norm_first=...)", lambda v: tlm(norm_first=v),
           ("norm_first",), BAD_FLAG),
    Target("transformer.TransformerLM(dropout=...)", lambda v: tlm(dropout=v), ("dropout",),
           st.one_of(SCALAR_JUNK, st.sampled_from([-0.1, 1.0, 1.5, float("nan")]))),
    Target("transformer.TransformerLM(label_smoothing=...)", lambda v: tlm(label_smoothing=v),
           ("label_smoothing",),
           st.one_of(SCALAR_JUNK, st.sampled_from([-0.1, 1.5, float("nan")]))),
    Target("transformer.TransformerLM(max_len=...)", lambda v: tlm(max_len=v), ("max_len",),
           BAD_COUNT),
    Target("transformer.TransformerLM(num_layers=...)", lambda v: tlm(num_layers=v),
           ("num_layers",), BAD_COUNT),
    Target("transformer.TransformerLM.loss(names=...)", lambda v: tlm().loss(v), ("names",),
           st.one_of(BAD_STRINGS, st.just([]))),
    Target("transformer.TransformerLM.sample(rng, n=...)", lambda v: tlm().sample(0, n=v),
           ("n",), BAD_COUNT),
    Target("transformer.TransformerLM.sample(rng, temperature=...)",
           lambda v: tlm().sample(0, temperature=v), ("temperature",), BAD_TEMPERATURE),
    Target("transformer.TransformerLM.sample(rng, max_len=...)",
           lambda v: tlm().sample(0, max_len=v), ("max_len",), BAD_COUNT),
    Target("transformer.TransformerLM.attention_maps(name=...)",
           lambda v: tlm().attention_maps(v), ("name",),
           st.one_of(st.just(["ann"]), st.none(), st.integers(), st.just(Odd()))),
    Target("transformer.train_lm(lm, names=...)",
           lambda v: transformer.train_lm(tlm(), v, epochs=1), ("names",),
           st.one_of(BAD_STRINGS, st.just([]))),
    Target("transformer.train_lm(lm, names, epochs=...)",
           lambda v: transformer.train_lm(tlm(), NAMES, epochs=v), ("epochs",), BAD_COUNT),
    Target("transformer.train_lm(lm=...)",
           lambda v: transformer.train_lm(v, NAMES, epochs=1), ("lm",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=2))),
    Target("transformer.TransformerTranslator(source_vocab=...)",
           lambda v: transformer.TransformerTranslator(v, TGT, d_model=4, num_heads=1),
           ("source_vocab",), BAD_VOCAB),
    Target("transformer.TransformerTranslator(norm_first=...)",
           lambda v: translator(norm_first=v), ("norm_first",), BAD_FLAG),
    Target("transformer.TransformerTranslator(max_source_length=...)",
           lambda v: translator(max_source_length=v), ("max_source_length",), BAD_COUNT),
    Target("transformer.TransformerTranslator.translate(texts=...)",
           lambda v: translator().translate(v), ("texts",), st.one_of(BAD_STRINGS, st.just([]))),
    Target("transformer.TransformerTranslator.translate(texts, alpha=...)",
           lambda v: translator().translate(["1 may 2001"], beam_width=2, alpha=v), ("alpha",),
           BAD_ALPHA),
]


def test_target_ids_are_distinct():
    ids = [t.id for t in TARGETS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
@SETTINGS
@given(data=st.data())
def test_wrong_value_gets_a_clear_error_or_a_correct_result(target: Target, data):
    value = data.draw(target.values, label=target.id)
    correct = None if target.correct is None else (lambda out: target.correct(value, out))
    assert_clear_or_correct(lambda: target.call(value), target.names, correct)
