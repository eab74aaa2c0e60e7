"""Property-based wrong calls (issue 23) over ``companion.data`` (datasets, text, dates, word
vectors, augmentation) and the echo state network; the rules are those of
``test_properties.py`` (see ``property_checks.py``).
"""
from __future__ import annotations

import importlib

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
    bad_arrays,
    rng,
)

from companion.data import augment, corpus, datasets, dates, text, word_vectors
from companion.models.echo_state import EchoStateNetwork, delay_task

mnist = importlib.import_module("companion.data.mnist")     # the package exports a function

TARGETS: list[Target] = [
    # data
    Target("datasets.one_hot(y=...)", lambda v: datasets.one_hot(v), ("y",),
           st.one_of(bad_arrays((3,)), st.just(np.array([0, -1])), st.just(np.array([0.5]))),
           lambda v, out: out.shape == np.shape(v) + (int(np.max(v)) + 1,)),
    Target("datasets.one_hot(y, n_classes=...)", lambda v: datasets.one_hot([0, 1], v),
           ("n_classes", "labels"), st.one_of(BAD_COUNT.filter(lambda v: v is not None), st.just(1))),
    Target("datasets.Standardizer().fit(X=...)", lambda v: datasets.Standardizer().fit(v),
           ("X",), bad_arrays((4, 2)),
           lambda v, out: np.asarray(v).ndim >= 2 and np.isfinite(out.mean).all()),
    Target("datasets.Standardizer().transform(X=...)",
           lambda v: datasets.Standardizer().fit(np.ones((3, 2))).transform(v), ("X",),
           bad_arrays((4, 2)),
           lambda v, out: np.shape(v)[1:] == (2,) and np.isfinite(out).all() or np.size(v) == 0),
    Target("datasets.train_dev_test_split(X=..., y)",
           lambda v: datasets.train_dev_test_split(v, np.zeros(10)), ("X",), bad_arrays((10, 2)),
           lambda v, out: np.shape(v)[0] == 10),    # NaN rows are split, not computed with
    Target("datasets.train_dev_test_split(X, y, stratify=...)",
           lambda v: datasets.train_dev_test_split(np.zeros((10, 2)), np.zeros(10), stratify=v),
           ("stratify",), BAD_FLAG),
    *[Target(f"datasets.{f}(n=...)", (lambda f: lambda v: getattr(datasets, f)(v))(f), ("n",),
             BAD_COUNT) for f in ("moons", "circles", "blobs", "xor", "flower")],
    *[Target(f"datasets.{f}(noise=...)", (lambda f: lambda v: getattr(datasets, f)(20, noise=v))(f),
             ("noise",), st.one_of(BAD_NUMBER, st.just(-0.1))) for f in ("moons", "circles")],
    Target("datasets.circles(factor=...)", lambda v: datasets.circles(20, factor=v), ("factor",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, 1, 2, -0.5]))),
    Target("datasets.digits(flat=...)", lambda v: datasets.digits(flat=v), ("flat",), BAD_FLAG),
    Target("text.Vocabulary.build(tokens=...)", lambda v: text.Vocabulary.build(v), ("tokens",),
           BAD_STRINGS),
    Target("text.Vocabulary.build(tokens, min_count=...)",
           lambda v: text.Vocabulary.build(["a"], min_count=v), ("min_count",), BAD_COUNT),
    Target("text.Vocabulary(...).encode(tokens=...)",
           lambda v: text.Vocabulary(["cat", "dog"]).encode(v), ("tokens", "token"),
           BAD_STRINGS, lambda v, out: False),
    Target("text.Vocabulary(...).decode(ids=...)",
           lambda v: text.Vocabulary(["cat"]).decode(v), ("decode", "ids"),
           st.one_of(st.just([5]), st.just([-1]), st.just([0.5]), st.just(["a"]))),
    Target("text.words(text=...)", lambda v: text.words(v), ("text",),
           st.one_of(st.none(), st.integers(), st.just(["a b"]), st.just(Odd()))),
    Target("text.encode_padded(vocab, texts=...)",
           lambda v: text.encode_padded(text.char_vocabulary(["ab"]), v), ("texts", "text"),
           BAD_STRINGS),
    Target("text.check_vocabulary(vocab=...)", lambda v: text.check_vocabulary(v), ("vocab",),
           st.one_of(st.none(), st.just(["a", "b"]), st.text(max_size=3), st.just(Odd()))),
    Target("text.char_vocabulary(texts=...)", lambda v: text.char_vocabulary(v), ("texts",),
           st.one_of(st.none(), st.integers(), st.just([1, 2]), st.just(Odd())),),
    Target("dates.encode_sources(vocab, texts=...)",
           lambda v: dates.encode_sources(dates.source_vocabulary(), v), ("texts",), BAD_STRINGS),
    Target("dates.encode_targets(vocab, texts=...)",
           lambda v: dates.encode_targets(dates.target_vocabulary(), v), ("texts",),
           st.one_of(BAD_STRINGS, st.just(["2001-05-01", "1"]))),
    Target("dates.decode(vocab, ids=...)", lambda v: dates.decode(dates.target_vocabulary(), v),
           ("ids",), st.one_of(st.text(min_size=1, max_size=3), st.just([99]), st.just([0.5]),
                               st.just([[1, 2]]))),
    Target("dates.random_dates(rng, n, years=...)",
           lambda v: dates.random_dates(rng(), 2, v), ("years",),
           st.one_of(st.text(min_size=1, max_size=4), st.just([]), st.just([2000.5]),
                     st.just(2000), st.none())),
    Target("dates.write_date(d=..., fmt)", lambda v: dates.write_date(v, "iso"), ("d",),
           st.one_of(st.text(max_size=10), st.none(), st.integers())),
    Target("word_vectors.WordVectors(words=..., vectors)",
           lambda v: word_vectors.WordVectors(v, np.ones((3, 2))), ("words",),
           st.one_of(st.just("abc"), st.just([1, 2, 3]), st.none(), st.just(["a", "a", "b"])),),
    Target("wv.ids(words=...)", lambda v: _wv().ids(v), ("words", "word"),
           st.one_of(st.just("king"), st.just([1]), st.none())),
    Target("wv.nearest(query=...)", lambda v: _wv().nearest(v), ("query", "vocabulary"),
           st.one_of(bad_arrays((4,)), st.just(np.zeros(4)), st.just("kingg"))),
    Target("wv.nearest('king', exclude=...)", lambda v: _wv().nearest("king", exclude=v),
           ("exclude", "vocabulary"), st.one_of(st.just([1]), st.just("kingg"), st.just(["quen"]))),
    Target("word_vectors.similarity_correlation(a, b, words=...)",
           lambda v: word_vectors.similarity_correlation(_wv(), _wv(), v), ("words",),
           st.one_of(st.just("king"), st.just(["king", "queen"]), st.none())),
    Target("augment.rotate(images, degrees=...)",
           lambda v: augment.rotate(np.zeros((1, 8, 8)), v), ("degrees",), BAD_NUMBER),
    Target("augment.augment(X=..., y)", lambda v: augment.augment(v, np.zeros(2)), ("X",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=3), st.just(np.ones((2,))),
                     st.just(np.full((2, 64), "a")), st.just(np.full((2, 8, 7), 1.0))),
           lambda v, out: False),
    # more of data (helper valid2)
    Target("augment.shift(images, dy=...)", lambda v: augment.shift(np.zeros((1, 8, 8)), v, 0),
           ("dy",), BAD_COUNT.filter(lambda v: v not in (0, -1, -2, -3, -4, -5))),
    Target("augment.shift(images=...)", lambda v: augment.shift(v, 1, 0), ("images",),
           st.one_of(st.none(), st.just(np.ones((8, 8))), st.text(max_size=2),
                     st.just(np.full((1, 8, 8), np.nan))),
           lambda v, out: np.ndim(v) == 3 and np.shape(out) == np.shape(v)),   # NaN moves along
    Target("corpus.letter_words(text=...)", lambda v: corpus.letter_words(v), ("text",),
           st.one_of(st.none(), st.integers(), st.just(["a b"]), st.just(Odd()))),
    Target("datasets.digits_images(seed=...)", lambda v: datasets.digits_images(v),
           ("seed", "rng"), st.one_of(st.text(max_size=2), st.just(2.5), st.just(-1))),
    Target("dates.ordinal(n=...)", lambda v: dates.ordinal(v), ("n",),
           st.one_of(st.none(), st.text(max_size=2), st.just(2.5), st.just(-1), st.just(True))),
    Target("dates.iso(d=...)", lambda v: dates.iso(v), ("d",),
           st.one_of(st.none(), st.text(max_size=10), st.integers())),
    Target("dates.make_pairs(rng, n, years, formats=...)",
           lambda v: dates.make_pairs(rng(), 2, [2000], v), ("formats",),
           st.one_of(st.just("iso"), st.just([]), st.just(["nope"]), st.just([3]))),
    Target("dates.load_dates(n_train=...)", lambda v: dates.load_dates(v, 1, 1, 1),
           ("n_train",), st.one_of(SCALAR_JUNK.filter(lambda v: v is not None),
                                   st.sampled_from([-1, 2.5]))),
    Target("mnist.balanced_indices(y, n_per_class=...)",
           lambda v: mnist.balanced_indices(np.repeat(np.arange(3), 4), v), ("n_per_class",),
           st.one_of(BAD_COUNT, st.just(5))),
    Target("mnist.balanced_indices(y=..., n_per_class)",
           lambda v: mnist.balanced_indices(v, 1), ("y",),
           st.one_of(st.none(), st.just(np.zeros((2, 2), int)), st.text(max_size=2),
                     st.just(np.array(["a", "b"])))),
    Target("mnist.mnist_subset(n_per_class, split=...)",
           lambda v: mnist.mnist_subset(1, v), ("split",),
           st.one_of(st.none(), st.just("dev"), st.integers(), st.just(["train"]))),
    Target("mnist.load_split(split=...)", lambda v: mnist.load_split(v), ("split",),
           st.one_of(st.none(), st.just("dev"), st.integers())),
    Target("mnist.mnist(folder=...)", lambda v: mnist.mnist(v), ("folder",),
           st.one_of(st.integers(), st.just(Odd()), st.just(["assets"]))),
    Target("mnist.read_idx(path=..., magic, n)", lambda v: mnist.read_idx(v, 2051, 1),
           ("path",), st.one_of(st.none(), st.integers())),   # a missing file: FileNotFoundError
    Target("text.chars(text=...)", lambda v: text.chars(v), ("text",),
           st.one_of(st.none(), st.integers(), st.just(["ab"]), st.just(Odd()))),
    Target("text.sentences(text=...)", lambda v: text.sentences(v), ("text",),
           st.one_of(st.none(), st.integers(), st.just(["a. b."]), st.just(Odd()))),
    Target("text.load_names(sex=...)", lambda v: text.load_names(v), ("sex",),
           st.one_of(st.text(min_size=1, max_size=3), st.integers(), st.just(["F"]))),
    Target("word_vectors.cosine_similarity(u=..., v)",
           lambda v: word_vectors.cosine_similarity(v, np.ones(3)), ("u",), bad_arrays((3,)),
           lambda v, out: np.shape(v)[-1:] == (3,) and np.isfinite(v).all()),  # broadcasts
    Target("word_vectors.normalize_rows(E=...)", lambda v: word_vectors.normalize_rows(v),
           ("E",), bad_arrays((2, 3)),
           lambda v, out: np.ndim(v) == 2 and np.isfinite(v).all() and out.shape == np.shape(v)),
    Target("word_vectors.top_k(scores=..., k)", lambda v: word_vectors.top_k(v, 2), ("scores",),
           st.one_of(st.none(), st.text(max_size=2), st.just(np.array([1.0, np.nan, 0.5])),
                     st.just(np.zeros((2, 3))))),
    Target("word_vectors.top_k(scores, k=...)",
           lambda v: word_vectors.top_k(np.arange(3.0), v), ("k",), BAD_COUNT),
    Target("word_vectors.load_glove(n_words=...)", lambda v: word_vectors.load_glove(v),
           ("n_words",), BAD_COUNT.filter(lambda v: v is not None)),
    Target("word_vectors.read_analogies(path=...)", lambda v: word_vectors.read_analogies(v),
           ("path",), st.one_of(st.none(), st.integers())),
    Target("word_vectors.read_analogies(path, lower=...)",
           lambda v: word_vectors.read_analogies(lower=v), ("lower",), BAD_FLAG),
    Target("word_vectors.evaluate_analogies(wv=...)",
           lambda v: word_vectors.evaluate_analogies(v, {"s": [("a", "b", "c", "d")]}), ("wv",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=2))),
    Target("word_vectors.evaluate_analogies(wv, sections=...)",
           lambda v: word_vectors.evaluate_analogies(_wv(), v), ("sections",),
           st.one_of(st.just([("king", "queen", "man", "woman")]), st.text(min_size=1, max_size=2),
                     st.just({"s": [("king", "queen")]}), st.just({"s": "king queen man woman"}))),
    Target("word_vectors.partner_rank(wv, a=..., b)",
           lambda v: word_vectors.partner_rank(_wv(), v, "queen"), ("a", "vocabulary"),
           st.one_of(st.none(), st.just(["king"]), st.just("kingg"), st.integers())),
    # echo state network
    Target("EchoStateNetwork(units=...)", lambda v: EchoStateNetwork(units=v), ("units",),
           BAD_COUNT),
    Target("EchoStateNetwork(spectral_radius=...)",
           lambda v: EchoStateNetwork(units=4, spectral_radius=v), ("spectral_radius",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1]))),
    Target("esn.fit(x=..., y)",
           lambda v: EchoStateNetwork(units=4).fit(v, np.zeros((2, 5, 1))), ("x",),
           bad_arrays((2, 5, 1)),
           lambda v, out: np.shape(v)[:2] == (2, 5) and np.isfinite(v).all()),
    Target("esn.fit(x, y=...)",
           lambda v: EchoStateNetwork(units=4).fit(np.zeros((2, 5, 1)), v), ("y",),
           bad_arrays((2, 5, 1)),                                   # (2, 5, K): K targets
           lambda v, out: np.ndim(v) == 3 and np.shape(v)[:2] == (2, 5) and np.isfinite(v).all()),
    Target("esn.fit(x, y, last_only=...)",
           lambda v: EchoStateNetwork(units=4).fit(np.zeros((2, 5, 1)), np.zeros((2, 1)),
                                                   last_only=v), ("last_only",), BAD_FLAG),
    Target("esn.predict(x=...)",
           lambda v: EchoStateNetwork(units=4).fit(np.zeros((2, 5, 1)),
                                                   np.zeros((2, 5, 1))).predict(v), ("x",),
           bad_arrays((2, 5, 1)), lambda v, out: False),
    Target("delay_task(T=...)", lambda v: delay_task(T=v, max_delay=3), ("T",),
           st.one_of(BAD_COUNT, st.just(3))),
]


def _wv():
    return word_vectors.WordVectors(["king", "queen", "man", "woman"],
                                    np.random.default_rng(0).standard_normal((4, 3)))


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
