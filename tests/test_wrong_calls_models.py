"""Wrong calls of issue 23's hostile pass over ``companion.models`` and ``companion.keras_twin``
(helper valid2), as a new user would make them: a string for a list, a non-bool flag, shapes
that would broadcast, NaN, empty input, a wrong object, mutually exclusive arguments. Each row
is the call, the error it must raise and a regex of the start of its message (which names the
argument). Before this pass (commit 90039a5), of these 125 calls 36 got a clear error, 44 an
error from inside NumPy/Python/Keras or one naming something else, and 45 a silently wrong or
meaningless result; each now gets a sentence.

Run as a script to print the table with today's messages.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

from companion.data import dates
from companion.data.text import Vocabulary, char_vocabulary
from companion.models import bleu, char_lm, decoding, echo_state, seq2seq, skipgram, transformer
from companion.nn import Dense, Embedding, Sequential, optim
from companion.nn.layers.attention import BahdanauAttention
from companion.nn.layers.transformer import TransformerBlock


class Row(NamedTuple):
    module: str
    kind: str                   # string, flag, type, value, shape, nan, empty, dtype, seed
    call: str                   # the call as a learner writes it
    fn: Callable[[], object]
    error: type[Exception]
    match: str                  # regex (re.search) the message must match


V = char_vocabulary(["ann", "bob", "eve"])
SRC, TGT = dates.source_vocabulary(), dates.target_vocabulary()
NAMES = ["ann", "bob"]
PAIRS = [("1 may 2001", "2001-05-01"), ("2 june 1999", "1999-06-02")]
W = np.random.default_rng(0).standard_normal((3, 2))


def lm():
    return char_lm.CharLanguageModel(V, units=3, seed=0)


def s2s(**kw):
    return seq2seq.Seq2Seq(SRC, TGT, units=2, **kw)


def tlm(**kw):
    return transformer.TransformerLM(V, d_model=4, num_heads=1, num_layers=1, ff_dim=4,
                                     max_len=8, **kw)


def tr(**kw):
    return transformer.TransformerTranslator(SRC, TGT, d_model=4, num_heads=1, ff_dim=4, **kw)


def step(tokens, state):
    """A decoder over 3 tokens that ignores its prefix."""
    return np.log(np.tile([.2, .5, .3], (len(tokens), 1))), state


def sgv():
    return skipgram.build_vocab(["a", "b", "a", "c", "a", "b"], min_count=1)


ROWS = [
    Row("bleu", "string", "ngrams('the cat', 2)", lambda: bleu.ngrams("the cat", 2), TypeError, r"^tokens: expected a list of string tokens, got"),
    Row("bleu", "value", "ngrams(tokens, 0)", lambda: bleu.ngrams(["a"], 0), ValueError, r"^n must be a positive integer, got 0"),
    Row("bleu", "string", "modified_precision('the cat', refs, 1)", lambda: bleu.modified_precision("the cat", [["the"]], 1), TypeError, r"^candidate: expected a list of string tokens,"),
    Row("bleu", "empty", "closest_length(cand, [])", lambda: bleu.closest_length(["a"], []), TypeError, r"^references: expected a non\-empty list of token"),
    Row("bleu", "type", "corpus_bleu(None, refs)", lambda: bleu.corpus_bleu(None, [[["a"]]]), TypeError, r"^candidates and references: expected lists of"),
    Row("bleu", "string", "corpus_bleu(['the cat'], refs)", lambda: bleu.corpus_bleu(["the cat"], [[["the", "cat"]]]), TypeError, r"^candidates\[0\]: expected a list of string"),
    Row("bleu", "empty", "corpus_bleu([], [])", lambda: bleu.corpus_bleu([], []), ValueError, r"^candidates and references: expected the same"),
    Row("char_lm", "type", "CharLanguageModel(vocab, cell='gru')", lambda: char_lm.CharLanguageModel(V, cell="gru"), TypeError, r"^cell: expected a recurrent layer class"),
    Row("char_lm", "type", "CharLanguageModel(['a', 'b'])", lambda: char_lm.CharLanguageModel(["a", "b"]), TypeError, r"^vocab: expected a Vocabulary"),
    Row("char_lm", "type", "lm.probability(['ann'])", lambda: lm().probability(["ann"]), TypeError, r"^name: expected a string, got list \['ann'\]"),
    Row("char_lm", "type", "lm.sample(0, prefix=None)", lambda: lm().sample(0, prefix=None), TypeError, r"^prefix: expected a string, got NoneType None"),
    Row("char_lm", "value", "lm.sample(0, n=0)", lambda: lm().sample(0, n=0), ValueError, r"^n must be a positive integer, got 0"),
    Row("char_lm", "nan", "lm.sample(0, temperature=nan)", lambda: lm().sample(0, temperature=float("nan")), ValueError, r"^temperature must be a number >= 0, got nan"),
    Row("char_lm", "type", "stream_chunks(vocab, names, seq_len=None)", lambda: char_lm.stream_chunks(V, NAMES, None), TypeError, r"^seq_len must be a positive integer, got"),
    Row("char_lm", "value", "stream_chunks(vocab, names, 2.5)", lambda: char_lm.stream_chunks(V, NAMES, 2.5), ValueError, r"^seq_len must be a positive integer, got 2\.5"),
    Row("char_lm", "string", "train(lm, 'anna', seed=0)", lambda: char_lm.train(lm(), "anna", epochs=1, seed=0), TypeError, r"^names: expected a list of strings, got the"),
    Row("char_lm", "flag", "train(lm, names, progress='no')", lambda: char_lm.train(lm(), NAMES, epochs=1, seed=0, progress="no"), TypeError, r"^progress must be True or False, got str 'no'"),
    Row("char_lm", "seed", "train(lm, names, seed=0, rng=rng)", lambda: char_lm.train(lm(), NAMES, epochs=1, seed=0, rng=np.random.default_rng(0)), ValueError, r"^pass seed= or rng=, not both: the run would"),
    Row("char_lm", "type", "uniform_loss(['a', 'b'])", lambda: char_lm.uniform_loss(["a", "b"]), TypeError, r"^vocab: expected a Vocabulary"),
    Row("char_lm", "type", "BigramModel(['a', 'b'])", lambda: char_lm.BigramModel(["a", "b"]), TypeError, r"^vocab: expected a Vocabulary"),
    Row("char_lm", "empty", "BigramModel(vocab).fit([])", lambda: char_lm.BigramModel(V).fit([]), ValueError, r"^names is empty: expected at least one name"),
    Row("decoding", "value", "select_rows(state, [0, 99])", lambda: decoding.select_rows({"h": np.ones((3, 2))}, np.array([0, 99])), ValueError, r"^rows: expected a 1\-D array of row indices in"),
    Row("decoding", "value", "select_rows(state, [-1])", lambda: decoding.select_rows({"h": np.ones((3, 2))}, np.array([-1])), ValueError, r"^rows: expected a 1\-D array of row indices in"),
    Row("decoding", "type", "select_rows(state, [0.5])", lambda: decoding.select_rows({"h": np.ones((3, 2))}, np.array([0.5])), ValueError, r"^rows: expected a 1\-D array of row indices in"),
    Row("decoding", "value", "length_normalised(-1, 0, 0.7)", lambda: decoding.length_normalised(-1.0, 0, 0.7), ValueError, r"^length: expected lengths >= 1, got 0"),
    Row("decoding", "value", "length_normalised(-1, 2, alpha=-1)", lambda: decoding.length_normalised(-1.0, 2, -1), ValueError, r"^alpha must be a number >= 0, got \-1"),
    Row("decoding", "value", "beam_step(scores, logp, k=0)", lambda: decoding.beam_step(np.zeros(2), np.zeros((2, 3)), 0), ValueError, r"^k must be a positive integer, got 0"),
    Row("decoding", "shape", "beam_step(scores (3,), logp (2, 3), 2)", lambda: decoding.beam_step(np.zeros(3), np.zeros((2, 3)), 2), ValueError, r"^scores \(3,\) and logp \(2, 3\): expected \(\.\.\., B\)"),
    Row("decoding", "nan", "beam_step(scores with NaN, logp, 2)", lambda: decoding.beam_step(np.array([0, np.nan]), np.zeros((2, 3)), 2), ValueError, r"^scores contains NaN or \+inf; expected log\-probabilities"),
    Row("decoding", "type", "beam_search('greedy', state)", lambda: decoding.beam_search("greedy", np.zeros((1, 1))), TypeError, r"^step: expected a function \(tokens, state\) \->"),
    Row("decoding", "value", "beam_search(step, state, alpha=-1)", lambda: decoding.beam_search(step, np.zeros((1, 1)), alpha=-1), ValueError, r"^alpha must be a number >= 0, got \-1"),
    Row("decoding", "value", "beam_search(step, state, eos=3) (V=3)", lambda: decoding.beam_search(step, np.zeros((1, 1)), eos=3), ValueError, r"^eos: expected a token id below the vocabulary"),
    Row("decoding", "type", "sequence_logprob(step, state, None)", lambda: decoding.sequence_logprob(step, np.zeros((1, 1)), None), ValueError, r"^sequences: expected one token list per source"),
    Row("decoding", "nan", "error_analysis([nan, 0], [0, 0], [T, F])", lambda: decoding.error_analysis([np.nan, 0], [0, 0], [True, False]), ValueError, r"^true_scores contains 1 NaN or infinite value\(s\)"),
    Row("decoding", "type", "error_analysis(t, o, wrong=[0.5, 0])", lambda: decoding.error_analysis([0, 0], [0, 0], [0.5, 0.0]), TypeError, r"^wrong: expected booleans \(output != truth\), got"),
    Row("echo_state", "type", "memory_curve(None)", lambda: echo_state.memory_curve(None), TypeError, r"^esn: expected an EchoStateNetwork, got NoneType"),
    Row("echo_state", "value", "memory_curve(esn, T=4, max_delay=3)", lambda: echo_state.memory_curve(echo_state.EchoStateNetwork(4), 4, 3), ValueError, r"^T=4 must be at least max_delay \+ 2 = 5: a"),
    Row("echo_state", "nan", "esn.states(x with NaN)", lambda: echo_state.EchoStateNetwork(4).states(np.full((1, 3, 1), np.nan)), ValueError, r"^x contains 3 NaN or infinite value\(s\) \(the"),
    Row("echo_state", "flag", "esn.predict(x, last_only='no')", lambda: echo_state.EchoStateNetwork(4).fit(np.zeros((2, 5, 1)), np.zeros((2, 5, 1))).predict(np.zeros((2, 5, 1)), last_only="no"), TypeError, r"^last_only must be True or False, got str 'no'"),
    Row("seq2seq", "value", "teacher_forcing_inputs(y with id 5, V=3)", lambda: seq2seq.teacher_forcing_inputs(np.array([[0, 5, 1]]), 3), ValueError, r"^y: expected \(N, T\) integer ids in 0\.\.2, got"),
    Row("seq2seq", "type", "teacher_forcing_inputs(y floats, 3)", lambda: seq2seq.teacher_forcing_inputs(np.array([[0.5, 1.0]]), 3), ValueError, r"^y: expected \(N, T\) integer ids in 0\.\.2, got"),
    Row("seq2seq", "shape", "teacher_forcing_inputs(y 1-D, 3)", lambda: seq2seq.teacher_forcing_inputs(np.array([0, 1]), 3), ValueError, r"^y: expected \(N, T\) integer ids in 0\.\.2, got"),
    Row("seq2seq", "value", "Seq2Seq(..., max_source_length=0)", lambda: s2s(max_source_length=0), ValueError, r"^max_source_length must be a positive integer,"),
    Row("seq2seq", "type", "Seq2Seq(..., dtype='int32')", lambda: s2s(dtype="int32"), TypeError, r"^dtype must be float32 or float64, got 'int32'"),
    Row("seq2seq", "type", "Seq2Seq(..., dtype=None)", lambda: s2s(dtype=None), TypeError, r"^dtype must be float32 or float64, got None"),
    Row("seq2seq", "flag", "Seq2Seq(..., attention='no')", lambda: s2s(attention="no"), TypeError, r"^attention must be True or False, got str 'no'"),
    Row("seq2seq", "value", "Seq2Seq(..., attention_units=0)", lambda: s2s(attention_units=0), ValueError, r"^attention_units must be a positive integer, got"),
    Row("seq2seq", "ignored", "Seq2Seq(..., attention=False, score='general')", lambda: s2s(attention=False, score="general"), ValueError, r"^score='general' and attention_units=None describe the attention; with attention=False"),
    Row("seq2seq", "ignored", "Seq2Seq(..., score='dot', attention_units=8)", lambda: s2s(score="dot", attention_units=8), ValueError, r"^attention_units=8 sizes the additive score's hidden layer; score='dot' has none"),
    Row("seq2seq", "value", "model.translate(texts, alpha=-1) (greedy)", lambda: s2s().translate(["1 may 2001"], alpha=-1), ValueError, r"^alpha must be a number >= 0, got \-1"),
    Row("seq2seq", "string", "model.translate('1 may 2001')", lambda: s2s().translate("1 may 2001"), TypeError, r"^texts: expected a list of strings, got the"),
    Row("seq2seq", "empty", "model.source_ids([])", lambda: s2s().source_ids([]), ValueError, r"^texts is empty: expected at least one string"),
    Row("seq2seq", "string", "model.source_ids('1 may')", lambda: s2s().source_ids("1 may"), TypeError, r"^texts: expected a list of strings, got the"),
    Row("seq2seq", "string", "model.log_prob(texts, '2001-05-01')", lambda: s2s().log_prob(["1 may 2001"], "2001-05-01"), TypeError, r"^outputs: expected a list of strings, got the"),
    Row("seq2seq", "type", "seq2seq.beam_search(None, texts)", lambda: seq2seq.beam_search(None, ["1 may 2001"]), TypeError, r"^model: expected a Seq2Seq or"),
    Row("seq2seq", "value", "seq2seq.beam_search(model, texts, max_len=0)", lambda: seq2seq.beam_search(s2s(), ["1 may 2001"], max_len=0), ValueError, r"^max_len must be a positive integer, got 0"),
    Row("seq2seq", "type", "evaluate('model', pairs)", lambda: seq2seq.evaluate("model", PAIRS), TypeError, r"^model: expected a Seq2Seq or"),
    Row("seq2seq", "string", "evaluate(model, one pair)", lambda: seq2seq.evaluate(s2s(), PAIRS[0]), TypeError, r"^pairs\[0\]: expected a \(written date, ISO date\)"),
    Row("seq2seq", "type", "train(None, pairs)", lambda: seq2seq.train(None, PAIRS, epochs=1), TypeError, r"^model: expected a Seq2Seq or"),
    Row("seq2seq", "empty", "train(model, [])", lambda: seq2seq.train(s2s(), [], epochs=1), ValueError, r"^pairs is empty: expected at least one \(written"),
    Row("seq2seq", "seed", "train(model, pairs, seed=0, rng=rng)", lambda: seq2seq.train(s2s(), PAIRS, epochs=1, seed=0, rng=np.random.default_rng(0)), ValueError, r"^seed and rng: pass one of them, not both"),
    Row("skipgram", "string", "text.Vocabulary('abc', specials=False)", lambda: Vocabulary("abc", specials=False), TypeError, r"^tokens: expected a list of strings, got the"),
    Row("skipgram", "value", "subsample(ids out of range, counts)", lambda: skipgram.subsample(np.array([0, 5]), np.ones(3), rng=0), ValueError, r"^ids: word ids must lie in 0\.\.2, got values from"),
    Row("skipgram", "value", "subsample(ids, zero counts)", lambda: skipgram.subsample(np.array([0, 1]), np.zeros(3), rng=0), ValueError, r"^counts: expected positive word counts \(>= 0,"),
    Row("skipgram", "type", "skipgram_pairs(float ids)", lambda: skipgram.skipgram_pairs(np.array([0.5, 1.5, 2.0])), TypeError, r"^ids: expected a 1\-D array of integer word ids,"),
    Row("skipgram", "shape", "skipgram_pairs(2-D ids)", lambda: skipgram.skipgram_pairs(np.zeros((2, 3), int)), TypeError, r"^ids: expected a 1\-D array of integer word ids,"),
    Row("skipgram", "value", "noise_distribution(counts with -1)", lambda: skipgram.noise_distribution(np.array([1, -1, 1])), ValueError, r"^counts: expected positive word counts \(>= 0,"),
    Row("skipgram", "value", "sample_negatives(p with -0.5, shape, rng)", lambda: skipgram.sample_negatives(np.array([.5, -.5, 1.]), (2, 2), 0), ValueError, r"^p: expected positive word counts \(>= 0, not all"),
    Row("skipgram", "type", "sample_negatives(p, shape=None, rng)", lambda: skipgram.sample_negatives(np.ones(3) / 3, None, 0), TypeError, r"^shape: expected a tuple of integers >= 0, got"),
    Row("skipgram", "type", "log_sigmoid('a')", lambda: skipgram.log_sigmoid("a"), TypeError, r"^z: expected a numeric array, got dtype <U1"),
    Row("skipgram", "value", "sgns_forward(W, W, centers=[-1, 0], ...)", lambda: skipgram.sgns_forward(W, W, np.array([-1, 0]), np.array([1, 2]), np.array([[2], [0]])), ValueError, r"^centers: word ids must lie in 0\.\.2, got values"),
    Row("skipgram", "shape", "sgns_forward(..., negatives (1, 1) for B=2)", lambda: skipgram.sgns_forward(W, W, np.array([0, 1]), np.array([1, 2]), np.array([[2]])), ValueError, r"^centers \(2,\), contexts \(2,\) and negatives \(1,"),
    Row("skipgram", "nan", "sgns_backward(nan, cache)", lambda: skipgram.sgns_backward(np.nan, skipgram.sgns_forward(W, W, np.array([0, 1]), np.array([1, 2]), np.array([[2], [0]]))[1]), ValueError, r"^dloss must be a finite number, got nan"),
    Row("skipgram", "type", "train_skipgram(None, vocab, ids)", lambda: skipgram.train_skipgram(None, sgv(), np.array([0, 1, 2]), epochs=1, seed=0), TypeError, r"^model: expected a SkipGram, got NoneType"),
    Row("skipgram", "type", "train_skipgram(model, vocab, float ids)", lambda: skipgram.train_skipgram(skipgram.SkipGram(3, 2, seed=0), sgv(), np.array([0.5, 1.5, 2.0]), epochs=1, seed=0), TypeError, r"^ids: expected a 1\-D array of integer word ids,"),
    Row("transformer", "type", "TransformerLM(['a', 'b'])", lambda: transformer.TransformerLM(["a", "b"], d_model=4, num_heads=1), TypeError, r"^vocab: expected a Vocabulary"),
    Row("transformer", "flag", "TransformerLM(vocab, positional='no')", lambda: tlm(positional="no"), TypeError, r"^PositionalEmbedding: positional must be True or"),
    Row("transformer", "flag", "TransformerLM(vocab, norm_first='no')", lambda: tlm(norm_first="no"), TypeError, r"^TransformerBlock: norm_first must be True or"),
    Row("transformer", "value", "TransformerLM(vocab, label_smoothing=1.5)", lambda: tlm(label_smoothing=1.5), ValueError, r"^label_smoothing must lie in \[0, 1\), got 1\.5"),
    Row("transformer", "type", "TransformerLM(vocab, label_smoothing=None)", lambda: tlm(label_smoothing=None), TypeError, r"^label_smoothing must be a number in \[0, 1\), got"),
    Row("transformer", "value", "TransformerLM(vocab, dropout=1.5)", lambda: tlm(dropout=1.5), ValueError, r"^TransformerBlock: dropout must lie in \[0, 1\),"),
    Row("transformer", "empty", "lm.loss([])", lambda: tlm().loss([]), ValueError, r"^names is empty: expected at least one name"),
    Row("transformer", "type", "lm.loss(None)", lambda: tlm().loss(None), TypeError, r"^names: expected a list of strings, got NoneType"),
    Row("transformer", "value", "lm.sample(0, n=0)", lambda: tlm().sample(0, n=0), ValueError, r"^n must be a positive integer, got 0"),
    Row("transformer", "value", "lm.sample(0, max_len=0)", lambda: tlm().sample(0, max_len=0), ValueError, r"^max_len must be a positive integer, got 0"),
    Row("transformer", "value", "lm.sample(0, temperature=inf)", lambda: tlm().sample(0, temperature=float("inf")), ValueError, r"^temperature must be a number >= 0, got inf"),
    Row("transformer", "type", "lm.attention_maps(['ann'])", lambda: tlm().attention_maps(["ann"]), TypeError, r"^name: expected a string, got list \['ann'\]"),
    Row("transformer", "type", "train_lm(None, names)", lambda: transformer.train_lm(None, NAMES, epochs=1), TypeError, r"^lm: expected a TransformerLM, got NoneType"),
    Row("transformer", "string", "train_lm(lm, 'anna')", lambda: transformer.train_lm(tlm(), "anna", epochs=1), TypeError, r"^names: expected a list of strings, got the"),
    Row("transformer", "type", "TransformerTranslator(['a'], tgt)", lambda: transformer.TransformerTranslator(["a"], TGT, d_model=4, num_heads=1), TypeError, r"^source_vocab: expected a Vocabulary"),
    Row("transformer", "value", "TransformerTranslator(..., max_source_length=100)", lambda: tr(max_source_length=100), ValueError, r"^max_source_length must be at most 64 \(the source positions the encoder embeds\), got 100"),
    Row("transformer", "value", "TransformerTranslator(..., label_smoothing=-0.1)", lambda: tr(label_smoothing=-0.1), ValueError, r"^label_smoothing must lie in \[0, 1\), got \-0\.1"),
    Row("transformer", "type", "TransformerTranslator(..., label_smoothing='a')", lambda: tr(label_smoothing="a"), TypeError, r"^label_smoothing must be a number in \[0, 1\), got str 'a'"),
    Row("transformer", "value", "TransformerTranslator(..., max_source_length=0)", lambda: tr(max_source_length=0), ValueError, r"^max_source_length must be a positive integer,"),
    Row("transformer", "string", "translator.translate('1 may 2001')", lambda: tr().translate("1 may 2001"), TypeError, r"^texts: expected a list of strings, got the"),
    Row("transformer", "empty", "translator.source_ids([])", lambda: tr().source_ids([]), ValueError, r"^texts is empty: expected at least one string"),
]


def keras_rows(keras) -> list[Row]:
    """The keras_twin rows (they need Keras: built here, run under the ``keras`` marker)."""
    from companion import keras_twin as kt

    def m():
        return Sequential([Dense(3, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)

    X = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    Y = np.array([[0.], [1.], [1.], [0.]])
    K = kt.twin(m())

    def emb():
        e = Embedding(5, 2)
        e.build((3,), np.random.default_rng(0))
        return e

    def blk():
        b = TransformerBlock(4, 1, 4)
        b.build((None, 4), np.random.default_rng(0))
        return b

    def bah():
        b = BahdanauAttention(2)
        b.build(((None, 3), (None, 3)), np.random.default_rng(0))
        return b

    def cmp(a, b, **kw):
        return kt.compare("x", a, b, quiet=True, **kw)
    return [
        Row("keras_twin", "type", "register('Dense')", lambda: kt.register("Dense")(lambda layer, keras: None), TypeError, r"^register: expected layer classes \(e\.g\."),
        Row("keras_twin", "type", "keras_layer(None)", lambda: kt.keras_layer(None), TypeError, r"^layer: no Keras twin known for NoneType:"),
        Row("keras_twin", "type", "build_layer(Dense(2), 'keras')", lambda: kt.build_layer(Dense(2), "keras"), TypeError, r"^keras: expected the keras module"),
        Row("keras_twin", "dtype", "twin(model, dtype='int32')", lambda: kt.twin(m(), "int32"), TypeError, r"^dtype: expected a float dtype such as"),
        Row("keras_twin", "dtype", "twin(model, dtype='abc')", lambda: kt.twin(m(), "abc"), TypeError, r"^dtype: expected a float dtype such as"),
        Row("keras_twin", "type", "twin(unbuilt Sequential)", lambda: kt.twin(Sequential([Dense(2)])), TypeError, r"^twin: expected a built companion Sequential"),
        Row("keras_twin", "type", "layer_twin(None)", lambda: kt.layer_twin(None), ValueError, r"^layer_twin: layer None is not built; call"),
        Row("keras_twin", "dtype", "layer_twin(embedding, input_dtype='bool')", lambda: kt.layer_twin(emb(), "bool"), TypeError, r"^input_dtype: expected a float dtype or an int"),
        Row("keras_twin", "type", "gradients(None, x, fn)", lambda: kt.gradients(None, X, lambda o: o.sum()), TypeError, r"^kmodel: expected a Keras model \(e\.g\."),
        Row("keras_twin", "shape", "gradients(kmodel, x (4, 3), fn)", lambda: kt.gradients(K, np.ones((4, 3)), lambda o: o.sum()), ValueError, r"^x has shape \(4, 3\), but the Keras model expects"),
        Row("keras_twin", "flag", "gradients(kmodel, x, fn, training='no')", lambda: kt.gradients(K, X, lambda o: o.sum(), training="no"), TypeError, r"^training must be True or False, got str 'no'"),
        Row("keras_twin", "type", "gradients(kmodel, x, scalar_fn=None)", lambda: kt.gradients(K, X, None), TypeError, r"^scalar_fn: expected a function of the model's"),
        Row("keras_twin", "shape", "loss_gradients(kmodel, x, y (3, 1), 'bce')", lambda: kt.loss_gradients(K, X, np.ones((3, 1)), "binary_crossentropy"), ValueError, r"^y has shape \(3, 1\): expected one target per"),
        Row("keras_twin", "type", "loss_gradients(kmodel, x, y, loss=None)", lambda: kt.loss_gradients(K, X, Y, None), TypeError, r"^loss: expected a loss name or a Keras loss, got"),
        Row("keras_twin", "type", "backward(kmodel, x, dout='a')", lambda: kt.backward(K, X, "a"), TypeError, r"^dout: expected a numeric array, got dtype <U1"),
        Row("keras_twin", "type", "embedding_gradients(emb, float ids, dout)", lambda: kt.embedding_gradients(emb(), np.full((2, 3), 0.5), np.ones((2, 3, 2))), TypeError, r"^ids: expected integer word ids, got dtype"),
        Row("keras_twin", "shape", "embedding_gradients(emb, ids (2, 4), dout)", lambda: kt.embedding_gradients(emb(), np.ones((2, 4), int), np.ones((2, 4, 2))), ValueError, r"^ids has shape \(2, 4\), expected \(N, \*\(3,\)\)"),
        Row("keras_twin", "nan", "apply_gradients(opt, kmodel, NaN grads)", lambda: kt.apply_gradients(kt.keras_optimizer(optim.SGD(0.1), keras), kt.twin(m()), [np.full((2, 3), np.nan), np.zeros(3), np.zeros((3, 1)), np.zeros(1)]), ValueError, r"^grads\[0\] contains 6 NaN or infinite value\(s\)"),
        Row("keras_twin", "shape", "apply_gradients(opt, kmodel, transposed grad)", lambda: kt.apply_gradients(kt.keras_optimizer(optim.SGD(0.1), keras), kt.twin(m()), [np.zeros((3, 2)), np.zeros(3), np.zeros((3, 1)), np.zeros(1)]), ValueError, r"^grads\[0\] has shape \(3, 2\), expected \(2, 3\) \(its"),
        Row("keras_twin", "type", "compare('x', 'abc', b)", lambda: cmp("abc", np.ones(3)), TypeError, r"^ours: expected a numeric array, got dtype <U3"),
        Row("keras_twin", "nan", "compare('x', a, b, tol=nan)", lambda: cmp(np.ones(2), np.ones(2), tol=float("nan")), ValueError, r"^tol must be a positive number, got nan"),
        Row("keras_twin", "value", "compare('x', a, b, tol=-1)", lambda: cmp(np.ones(2), np.ones(2), tol=-1), ValueError, r"^tol must be a positive number, got \-1"),
        Row("keras_twin", "string", "train_in_lockstep(model, 'sgd', (x, y), ...)", lambda: kt.train_in_lockstep(m(), "sgd", (X, Y), "binary_crossentropy", 1e-4), TypeError, r"^batches: expected a non\-empty list of \(x, y\)"),
        Row("keras_twin", "empty", "train_in_lockstep(model, 'sgd', [], ...)", lambda: kt.train_in_lockstep(m(), "sgd", [], "binary_crossentropy", 1e-4), TypeError, r"^batches: expected a non\-empty list of \(x, y\)"),
        Row("keras_twin", "type", "keras_optimizer(ProximalL1(), keras)", lambda: kt.keras_optimizer(optim.ProximalL1(), keras), TypeError, r"^opt: ProximalL1 has no Keras counterpart"),
        Row("keras_twin", "type", "keras_optimizer(None, keras)", lambda: kt.keras_optimizer(None, keras), ValueError, r"^unknown optimizer None; choose one of"),
        Row("keras_twin", "type", "keras_schedule(0.1, keras)", lambda: kt.keras_schedule(0.1, keras), TypeError, r"^keras_schedule: float has no Keras counterpart;"),
        Row("keras_twin", "flag", "block_twin(block, 3, causal='no')", lambda: kt.block_twin(blk(), 3, causal="no"), TypeError, r"^causal must be True or False, got str 'no'"),
        Row("keras_twin", "type", "block_twin(Dense(2), 3)", lambda: kt.block_twin(Dense(2), 3), TypeError, r"^block: expected a built TransformerBlock or"),
        Row("keras_twin", "value", "block_twin(block, T=0)", lambda: kt.block_twin(blk(), 0), ValueError, r"^T must be a positive integer, got 0"),
        Row("keras_twin", "type", "bahdanau_twin(Dense(2), 2, 3)", lambda: kt.bahdanau_twin(Dense(2), 2, 3), TypeError, r"^layer: expected a built BahdanauAttention, got"),
        Row("keras_twin", "value", "bahdanau_twin(layer, Tq=0, 3)", lambda: kt.bahdanau_twin(bah(), 0, 3), ValueError, r"^Tq must be a positive integer, got 0"),
    ]


def check_row(row: Row) -> None:
    with pytest.raises(row.error) as info:
        row.fn()
    message = str(info.value)
    assert re.search(row.match, message), f"{row.call}: {message!r} does not match {row.match!r}"
    assert "\n" not in message.strip()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.module}: {r.call}" for r in ROWS])
def test_wrong_call_gets_a_clear_sentence(row: Row):
    check_row(row)


@pytest.mark.keras
def test_keras_twin_wrong_calls_get_a_clear_sentence(keras):
    for row in keras_rows(keras):
        check_row(row)


def test_rows_are_distinct():
    ids = [(r.module, r.call) for r in ROWS]
    assert len(ids) == len(set(ids)) == 96


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")
    print("| module | kind | call | error | message |\n|---|---|---|---|---|")
    for row in ROWS:
        try:
            row.fn()
            err, msg = "no error", ""
        except Exception as exc:                                  # noqa: BLE001
            err, msg = type(exc).__name__, str(exc)
        print(f"| {row.module} | {row.kind} | `{row.call}` | {err} | {msg.replace('|', '/')} |")
