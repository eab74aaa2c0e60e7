"""Property-based wrong calls (issue 23) over ``companion.models``: every public function and
class of every module (BLEU, the character language model and its bigram baseline, decoding,
the echo state network, the date translator, skip-gram, the transformers), one argument at a
time; the rules are those of ``test_properties.py`` (see ``property_checks.py``). The date
translators and the transformers are in ``test_properties_translators.py``;
``test_properties_coverage.py`` fails when a module gains a public name that no target calls.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NUMBER,
    BAD_STRINGS,
    SCALAR_JUNK,
    Odd,
    Target,
    bad_arrays,
    rng,
    target_tests,
)

from companion.data import dates
from companion.data.text import char_vocabulary
from companion.models import bleu, char_lm, decoding, echo_state, seq2seq, skipgram, transformer

VOCAB = char_vocabulary(["ann", "bob", "eve"])
SRC, TGT = dates.source_vocabulary(), dates.target_vocabulary()
NAMES = ["ann", "bob"]
PAIRS = [("1 may 2001", "2001-05-01"), ("2 june 1999", "1999-06-02")]
BAD_TOKENS = st.one_of(st.text(min_size=1, max_size=6), st.none(), st.integers(),
                       st.just([1, 2]), st.just(Odd()))
BAD_VOCAB = st.one_of(st.none(), st.just(["a", "b"]), st.text(max_size=3), st.just(Odd()),
                      st.integers())
BAD_TEMPERATURE = st.one_of(SCALAR_JUNK, st.sampled_from([-1.0, float("nan"), float("inf")]))
BAD_ALPHA = st.one_of(SCALAR_JUNK, st.sampled_from([-0.5, float("nan"), float("inf")]))
BAD_IDS = st.one_of(st.none(), st.just(Odd()), st.text(min_size=1, max_size=3),
                    st.just(np.array([0.5, 1.5])), st.just(np.array([0, 99])),
                    st.just(np.array([-1, 0])), st.just(np.zeros((2, 2), int)))
BAD_IDS_2D = st.one_of(st.none(), st.just(Odd()), st.text(min_size=1, max_size=3),
                       st.just(np.array([[0.5, 1.5]])), st.just(np.array([[0, 99]])),
                       st.just(np.array([[-1, 0]])), st.just(np.zeros(2, int)))



# --- small objects ------------------------------------------------------------------------------
def lm():
    return char_lm.CharLanguageModel(VOCAB, units=3, seed=0)


def bigram():
    return char_lm.BigramModel(VOCAB).fit(NAMES)


def s2s(**kw):
    return seq2seq.Seq2Seq(SRC, TGT, units=2, **kw)


def tlm(**kw):
    return transformer.TransformerLM(VOCAB, d_model=4, num_heads=1, num_layers=1, ff_dim=4,
                                     max_len=8, **kw)


def translator(**kw):
    return transformer.TransformerTranslator(SRC, TGT, d_model=4, num_heads=1, ff_dim=4, **kw)


def toy_step(tokens, state):
    """A decoder over 3 tokens (0 = eos) that ignores its prefix: log P = log [.2, .5, .3]."""
    return np.log(np.tile([0.2, 0.5, 0.3], (len(tokens), 1))), state


def sg_vocab():
    return skipgram.build_vocab(["a", "b", "a", "c", "a", "b"], min_count=1)


def sg_forward(**kw):
    rng_ = rng()
    args = {"W_in": rng_.standard_normal((3, 2)), "W_out": rng_.standard_normal((3, 2)),
            "centers": np.array([0, 1]), "contexts": np.array([1, 2]),
            "negatives": np.array([[2], [0]])}
    args.update(kw)
    return skipgram.sgns_forward(**args)


def esn():
    return echo_state.EchoStateNetwork(units=4)


def train_lm_quick(**kw):
    args = {"epochs": 1, "batch_size": 2, "seed": 0}
    args.update(kw)
    return char_lm.train(lm(), **{"names": NAMES, **args})


def finite(result) -> bool:
    return bool(np.isfinite(np.asarray(result, dtype=float)).all())


TARGETS: list[Target] = [
    # bleu
    Target("bleu.ngrams(tokens=...)", lambda v: bleu.ngrams(v, 1), ("tokens",), BAD_TOKENS),
    Target("bleu.ngrams(tokens, n=...)", lambda v: bleu.ngrams(["a", "b"], v), ("n",),
           BAD_COUNT),
    Target("bleu.modified_precision(candidate=...)",
           lambda v: bleu.modified_precision(v, [["a"]], 1), ("candidate",), BAD_TOKENS),
    Target("bleu.closest_length(candidate, references=...)",
           lambda v: bleu.closest_length(["a"], v), ("references",),
           st.one_of(st.just([]), st.just("a b"), st.none(), st.just([["a"], "b c"]))),
    Target("bleu.corpus_bleu(candidates=...)",
           lambda v: bleu.corpus_bleu(v, [[["a", "b"]]]), ("candidates",),
           st.one_of(BAD_TOKENS, st.just([]), st.just(["a b"]), st.just([[1, 2]]))),
    Target("bleu.corpus_bleu(candidates, references, max_n=...)",
           lambda v: bleu.corpus_bleu([["a"]], [[["a"]]], max_n=v), ("max_n",), BAD_COUNT),
    # char_lm
    Target("char_lm.CharLanguageModel(vocab=...)", lambda v: char_lm.CharLanguageModel(v),
           ("vocab",), BAD_VOCAB),
    Target("char_lm.CharLanguageModel(vocab, units=...)",
           lambda v: char_lm.CharLanguageModel(VOCAB, units=v), ("units",), BAD_COUNT),
    Target("char_lm.CharLanguageModel(vocab, cell=...)",
           lambda v: char_lm.CharLanguageModel(VOCAB, units=2, cell=v), ("cell",),
           st.one_of(st.none(), st.just("gru"), st.just(Odd()), st.integers())),
    Target("char_lm.CharLanguageModel(vocab, seed=...)",
           lambda v: char_lm.CharLanguageModel(VOCAB, units=2, seed=v), ("seed", "rng"),
           st.one_of(st.text(max_size=3), st.sampled_from([2.5, -1, None]))),
    Target("char_lm.CharLanguageModel.loss(names=...)", lambda v: lm().loss(v), ("names",),
           st.one_of(BAD_STRINGS, st.just([]))),
    Target("char_lm.CharLanguageModel.probability(name=...)", lambda v: lm().probability(v),
           ("name",), st.one_of(st.just(["ann"]), st.none(), st.integers(), st.just(Odd()))),
    Target("char_lm.CharLanguageModel.sample(rng, temperature=...)",
           lambda v: lm().sample(0, temperature=v), ("temperature",), BAD_TEMPERATURE),
    Target("char_lm.CharLanguageModel.sample(rng, n=...)", lambda v: lm().sample(0, n=v),
           ("n",), BAD_COUNT),
    Target("char_lm.CharLanguageModel.sample(rng, prefix=...)",
           lambda v: lm().sample(0, prefix=v), ("prefix",),
           st.one_of(st.none(), st.integers(), st.just(["a"]), st.just(Odd()))),
    Target("char_lm.name_list(names=...)", lambda v: char_lm.name_list(v, "names"),
           ("names",), st.one_of(BAD_STRINGS, st.just([]))),
    Target("char_lm.stream_chunks(vocab, names=...)",
           lambda v: char_lm.stream_chunks(VOCAB, v, 2), ("names",), BAD_STRINGS),
    Target("char_lm.stream_chunks(vocab, names, seq_len=...)",
           lambda v: char_lm.stream_chunks(VOCAB, NAMES, v), ("seq_len",),
           st.one_of(BAD_COUNT, st.just(99))),
    Target("char_lm.train(lm, names=...)", lambda v: train_lm_quick(names=v), ("names",),
           st.one_of(BAD_STRINGS, st.just([]))),
    Target("char_lm.train(lm, names, epochs=...)", lambda v: train_lm_quick(epochs=v),
           ("epochs",), BAD_COUNT),
    Target("char_lm.train(lm, names, progress=...)", lambda v: train_lm_quick(progress=v),
           ("progress",), BAD_FLAG.filter(lambda v: v is not None)),   # None: the default
    Target("char_lm.train(lm, names, clipnorm=...)", lambda v: train_lm_quick(clipnorm=v),
           ("clipnorm",), st.one_of(BAD_NUMBER.filter(lambda v: v is not None),
                                    st.sampled_from([0, -1.0]))),
    Target("char_lm.train(lm, names, validation_data=...)",
           lambda v: train_lm_quick(validation_data=v), ("validation_data",),
           st.one_of(BAD_STRINGS.filter(lambda v: v is not None), st.just([]))),
    Target("char_lm.uniform_loss(vocab=...)", lambda v: char_lm.uniform_loss(v), ("vocab",),
           BAD_VOCAB),
    Target("char_lm.BigramModel(vocab, alpha=...)", lambda v: char_lm.BigramModel(VOCAB, v),
           ("alpha",), st.one_of(BAD_NUMBER, st.just(-1.0))),
    Target("char_lm.BigramModel(vocab=...)", lambda v: char_lm.BigramModel(v), ("vocab",),
           BAD_VOCAB),
    Target("char_lm.BigramModel.fit(names=...)", lambda v: char_lm.BigramModel(VOCAB).fit(v),
           ("names",), st.one_of(BAD_STRINGS, st.just([]))),
    Target("char_lm.BigramModel.loss(names=...)", lambda v: bigram().loss(v), ("names",),
           st.one_of(BAD_STRINGS, st.just([]))),
    # decoding
    Target("decoding.select_rows(state, rows=...)",
           lambda v: decoding.select_rows({"h": np.ones((3, 2))}, v), ("rows",), BAD_IDS),
    Target("decoding.select_rows(state=...)",
           lambda v: decoding.select_rows(v, np.array([0])), ("state",),
           st.one_of(st.text(min_size=1, max_size=3), st.integers(), st.just(Odd()))),
    Target("decoding.batch_rows(state=...)", lambda v: decoding.batch_rows(v), ("state",),
           st.one_of(st.none(), st.just({}), st.just([np.ones(3), np.ones(2)]),
                     st.just(np.float64(1.0)), st.just(Odd()))),
    Target("decoding.length_normalised(logp, length, alpha=...)",
           lambda v: decoding.length_normalised(-1.0, 2, v), ("alpha",), BAD_ALPHA),
    Target("decoding.length_normalised(logp, length=...)",
           lambda v: decoding.length_normalised(-1.0, v, 0.7), ("length",),
           st.one_of(st.just(0), st.just(-2), st.none(), st.text(min_size=1, max_size=2))),
    Target("decoding.beam_step(scores, logp, k=...)",
           lambda v: decoding.beam_step(np.zeros(2), np.zeros((2, 3)), v), ("k",), BAD_COUNT),
    Target("decoding.beam_step(scores=..., logp, k)",
           lambda v: decoding.beam_step(v, np.zeros((2, 3)), 2), ("scores",),
           st.one_of(bad_arrays((2,)), st.just(np.zeros(3))),
           lambda v, out: np.isneginf(v).any() and np.isfinite(out[2]).all()),  # a dead beam
    Target("decoding.beam_search(step=...)",
           lambda v: decoding.beam_search(v, np.zeros((1, 1)), 2, 3), ("step",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=3))),
    Target("decoding.beam_search(step, state, k=...)",
           lambda v: decoding.beam_search(toy_step, np.zeros((1, 1)), v, 3), ("k",), BAD_COUNT),
    Target("decoding.beam_search(step, state, alpha=...)",
           lambda v: decoding.beam_search(toy_step, np.zeros((1, 1)), 2, 3, alpha=v),
           ("alpha",), BAD_ALPHA),
    Target("decoding.beam_search(step, state, eos=...)",
           lambda v: decoding.beam_search(toy_step, np.zeros((1, 1)), 2, 3, eos=v), ("eos",),
           st.one_of(SCALAR_JUNK, st.just(-1), st.just(3))),
    Target("decoding.sequence_logprob(step, state, sequences=...)",
           lambda v: decoding.sequence_logprob(toy_step, np.zeros((1, 1)), v), ("sequences",),
           st.one_of(st.just("12"), st.just([[]]), st.just([[1.5]]), st.just([[7]]),
                     st.just([[1], [2]]), st.none())),
    Target("decoding.error_analysis(true_scores=...)",
           lambda v: decoding.error_analysis(v, np.zeros(2), np.array([True, False])),
           ("true_scores",), bad_arrays((2,))),
    Target("decoding.error_analysis(true_scores, output_scores, wrong=...)",
           lambda v: decoding.error_analysis(np.zeros(2), np.zeros(2), v), ("wrong",),
           st.one_of(st.just(np.array([0.5, 0.0])), st.just(np.array([2, 0])),
                     st.just(np.array(["a", "b"])), st.just(np.ones(3, bool)), st.none())),
    # echo state network (its constructor, fit and predict: test_properties_data.py)
    Target("echo_state.memory_curve(esn=...)", lambda v: echo_state.memory_curve(v, 50, 3),
           ("esn",), st.one_of(st.none(), st.just(Odd()), st.integers())),
    Target("echo_state.memory_curve(esn, T=...)", lambda v: echo_state.memory_curve(esn(), v, 3),
           ("T",), st.one_of(BAD_COUNT, st.just(4))),
    Target("echo_state.EchoStateNetwork.states(x=...)", lambda v: esn().states(v), ("x",),
           bad_arrays((2, 5, 1)),
           lambda v, out: np.ndim(v) == 3 and np.size(v) > 0 and np.isfinite(v).all()),
    Target("echo_state.EchoStateNetwork.predict(x, last_only=...)",
           lambda v: esn().fit(np.zeros((2, 5, 1)), np.zeros((2, 5, 1))).predict(
               np.zeros((2, 5, 1)), last_only=v), ("last_only",), BAD_FLAG),
    Target("echo_state.delay_task(max_delay=...)", lambda v: echo_state.delay_task(50, v),
           ("max_delay",), st.one_of(BAD_COUNT, st.just(50))),
    # skip-gram
    Target("skipgram.build_vocab(...).encode(tokens=...)", lambda v: sg_vocab().encode(v), ("tokens",),
           BAD_STRINGS),
    Target("skipgram.build_vocab(tokens=...)", lambda v: skipgram.build_vocab(v), ("tokens",),
           BAD_STRINGS),
    Target("skipgram.build_vocab(tokens, min_count=...)",
           lambda v: skipgram.build_vocab(["a"], min_count=v), ("min_count",), BAD_COUNT),
    Target("skipgram.subsample(ids=..., counts)",
           lambda v: skipgram.subsample(v, np.ones(3), rng=0), ("ids",), BAD_IDS),
    Target("skipgram.subsample(ids, counts=...)",
           lambda v: skipgram.subsample(np.array([0, 1]), v, rng=0), ("counts",),
           st.one_of(bad_arrays((3,)), st.just(np.zeros(3)), st.just(np.array([1, -1, 1]))),
           lambda v, out: np.ndim(v) == 1 and set(out) <= {0, 1}),     # another vocabulary size
    Target("skipgram.subsample(ids, counts, t=...)",
           lambda v: skipgram.subsample(np.array([0, 1]), np.ones(3), t=v, rng=0), ("t",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1e-3]))),
    Target("skipgram.skipgram_pairs(ids=...)", lambda v: skipgram.skipgram_pairs(v), ("ids",),
           st.one_of(st.none(), st.just(Odd()), st.text(min_size=1, max_size=3),
                     st.just(np.array([0.5, 1.5])), st.just(np.zeros((2, 2), int)))),
    Target("skipgram.skipgram_pairs(ids, window=...)",
           lambda v: skipgram.skipgram_pairs(np.arange(4), v), ("window",), BAD_COUNT),
    Target("skipgram.noise_distribution(counts=...)",
           lambda v: skipgram.noise_distribution(v), ("counts",),
           st.one_of(bad_arrays((3,)), st.just(np.array([1, -1, 1]))),
           lambda v, out: np.ndim(v) == 1 and np.shape(out) == np.shape(v)
           and np.isclose(out.sum(), 1)),
    Target("skipgram.noise_distribution(counts, power=...)",
           lambda v: skipgram.noise_distribution(np.ones(3), v), ("power",), BAD_NUMBER),
    Target("skipgram.sample_negatives(p=..., shape, rng)",
           lambda v: skipgram.sample_negatives(v, (2, 2), 0), ("p",),
           st.one_of(bad_arrays((3,)), st.just(np.array([0.5, -0.5, 1.0])), st.just(np.zeros(3))),
           lambda v, out: np.ndim(v) == 1 and out.shape == (2, 2)
           and 0 <= out.min() and out.max() < len(v)),
    Target("skipgram.sample_negatives(p, shape=..., rng)",
           lambda v: skipgram.sample_negatives(np.ones(3) / 3, v, 0), ("shape",),
           st.one_of(st.none(), st.just((2, -1)), st.just((2.5,)), st.text(min_size=1, max_size=2),
                     st.just(Odd()))),
    Target("skipgram.log_sigmoid(z=...)", lambda v: skipgram.log_sigmoid(v), ("z",),
           bad_arrays((2, 3)),
           lambda v, out: np.shape(out) == np.shape(v) and bool(
               np.all(np.isnan(out) == np.isnan(np.asarray(v, float))))),
    Target("skipgram.sgns_forward(centers=...)", lambda v: sg_forward(centers=v), ("centers",),
           BAD_IDS),
    Target("skipgram.sgns_forward(negatives=...)", lambda v: sg_forward(negatives=v),
           ("negatives",), st.one_of(BAD_IDS, st.just(np.array([[2]]))),
           lambda v, out: np.shape(v) == (2, 2) and np.isfinite(out[0])),   # K = 2 negatives
    Target("skipgram.sgns_forward(W_in=...)", lambda v: sg_forward(W_in=v), ("W_in",),
           bad_arrays((3, 2))),
    Target("skipgram.sgns_backward(dloss=..., cache)",
           lambda v: skipgram.sgns_backward(v, sg_forward()[1]), ("dloss",), BAD_NUMBER),
    Target("skipgram.SkipGram(n_words=...)", lambda v: skipgram.SkipGram(v, 2, seed=0),
           ("n_words",), BAD_COUNT),
    Target("skipgram.SkipGram(seed=..., rng)",
           lambda v: skipgram.SkipGram(3, 2, seed=v, rng=rng()), ("seed", "rng"),
           st.one_of(st.integers(0, 3), st.text(max_size=2))),
    Target("skipgram.SkipGram.vectors(add_context=...)",
           lambda v: skipgram.SkipGram(3, 2, seed=0).vectors(v), ("add_context",), BAD_FLAG),
    Target("skipgram.train_skipgram(model, vocab, ids=...)",
           lambda v: skipgram.train_skipgram(skipgram.SkipGram(3, 2, seed=0), sg_vocab(), v,
                                             epochs=1, seed=0), ("ids",), BAD_IDS),
    Target("skipgram.train_skipgram(model=...)",
           lambda v: skipgram.train_skipgram(v, sg_vocab(), np.array([0, 1, 2]), epochs=1,
                                             seed=0), ("model",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=2))),
    Target("skipgram.train_skipgram(model, vocab, ids, window=...)",
           lambda v: skipgram.train_skipgram(skipgram.SkipGram(3, 2, seed=0), sg_vocab(),
                                             np.array([0, 1, 2]), epochs=1, window=v, seed=0),
           ("window",), BAD_COUNT),
    Target("skipgram.train_skipgram(model, vocab, ids, subsample_t=...)",
           lambda v: skipgram.train_skipgram(skipgram.SkipGram(3, 2, seed=0), sg_vocab(),
                                             np.array([0, 1, 2]), epochs=1, subsample_t=v,
                                             seed=0),
           ("subsample_t", "t"), st.one_of(BAD_NUMBER.filter(lambda v: v is not None),
                                           st.sampled_from([0, -1e-3]))),
]


(test_target_ids_are_distinct,
 test_wrong_value_gets_a_clear_error_or_a_correct_result) = target_tests(TARGETS)
