"""Property-based wrong calls (issue 23): over the public functions and classes of ``nn``
(layers, losses, metrics, activations, initialisers, regularisers, gradient checks, the shared
checks), ``data`` and the echo state network, ``hypothesis`` draws wrong types, shapes,
dtypes, NaNs and empties for one argument at a time. Each call must either raise a clear error
(TypeError, ValueError, RuntimeError or KeyError whose message names the argument, never an
error from deep inside NumPy) or return a result that the target's own oracle checks: never a
silently wrong one.

Kept fast: few examples per target, no deadline (the whole file runs in well under a minute).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.data import augment, dates, datasets, text, word_vectors
from companion.models.echo_state import EchoStateNetwork, delay_task
from companion.nn import (
    GRU,
    LSTM,
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Bidirectional,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    InceptionModule,
    MaxPooling2D,
    ResidualBlock,
    SimpleRNN,
    activations,
    gradcheck,
    initializers,
    losses,
    metrics,
    regularizers,
    validation,
)

CLEAR = (TypeError, ValueError, RuntimeError, KeyError)
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


# --- what wrong values look like -------------------------------------------------------------
class Odd:
    """An object of no expected type."""
    def __repr__(self):
        return "Odd()"


SCALAR_JUNK = st.one_of(st.none(), st.text(max_size=4), st.booleans(), st.just(Odd()),
                        st.just([1, 2]), st.just({"a": 1}), st.complex_numbers(max_magnitude=3))
BAD_NUMBER = st.one_of(SCALAR_JUNK, st.sampled_from([float("nan"), float("inf"), -float("inf")]))
BAD_COUNT = st.one_of(SCALAR_JUNK, st.integers(-5, 0), st.sampled_from([2.5, -1.5, float("nan")]))
BAD_FLAG = st.one_of(st.none(), st.sampled_from(["no", "yes", "False", "", 0, 1, 1.0, [True]]),
                     st.just(Odd()))
BAD_RATE = st.one_of(SCALAR_JUNK, st.sampled_from([-0.1, 1.0, 1.5, float("nan"), float("inf")]))
BAD_NAME = st.one_of(st.text(min_size=1, max_size=4).filter(
    lambda s: s not in activations.ACTIVATIONS), st.integers(), st.booleans(), st.just(Odd()),
    st.just(["relu"]))
BAD_PAIR = st.one_of(st.none(), st.text(max_size=4), st.booleans(), st.just(Odd()),
                     st.just([1, 2, 3]), st.just([0, 2]), st.integers(-5, 0),
                     st.sampled_from([2.5, float("nan")]))
BAD_STRINGS = st.one_of(st.text(min_size=1, max_size=8), st.none(), st.integers(),
                        st.lists(st.integers(), min_size=1, max_size=3),
                        st.lists(st.none(), min_size=1, max_size=2), st.just(Odd()))


def bad_arrays(shape: tuple) -> st.SearchStrategy:
    """Arrays that are wrong for a given good ``shape``: another rank or size, empty, NaN or
    inf inside, strings, objects, None."""
    n = int(np.prod(shape))
    other = [s for s in {shape[:-1] + (shape[-1] + 1,), shape + (1,), shape[1:] or (2, 2),
                         (shape[0] + 1,) + shape[1:]} if s != shape]

    def with_value(v):
        a = np.ones(shape)
        a.flat[n // 2] = v
        return a
    return st.one_of(
        st.none(), st.just(Odd()), st.text(max_size=3),
        st.sampled_from(other).map(np.ones),
        st.just(np.zeros((0,) + shape[1:])),
        st.sampled_from([np.nan, np.inf, -np.inf]).map(with_value),
        st.just(np.full(shape, "a")),
        st.just(np.empty(shape, dtype=object)),
    )


def _names(message: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", message, re.IGNORECASE) for n in names)


def assert_clear_or_correct(call: Callable[[], object], names: tuple[str, ...],
                            correct: Callable[[object], bool] | None = None) -> None:
    """``call()`` raises a clear error naming one of ``names``, or its result passes
    ``correct`` (no oracle: it must raise)."""
    try:
        with np.errstate(all="ignore"):          # NaN that a target passes on is checked below
            result = call()
    except CLEAR as exc:
        message = str(exc)
        assert _names(message, names), f"message does not name {names}: {message!r}"
        assert "did not contain a loop" not in message and "broadcast" not in message, message
        return
    assert correct is not None, f"no error: returned {result!r:.120}"
    assert correct(result), f"silently wrong result: {result!r:.200}"


class Target(NamedTuple):
    id: str
    call: Callable[[object], object]     # value -> result
    names: tuple[str, ...]               # what the message must name
    values: st.SearchStrategy
    correct: Callable[[object, object], bool] | None = None   # (value, result) -> ok


def _rng():
    return np.random.default_rng(0)


def _built(layer, shape):
    layer.build(shape, _rng())
    return layer


def _forward_then_backward(layer, shape, x, dout):
    layer = _built(layer, shape)
    layer.forward(x)
    return layer.backward(dout)


def _finite_or_nan_input(value, result) -> bool:
    """An element-wise result is right when it has the input's shape and NaN exactly where
    the input has NaN."""
    arr = np.asarray(value, dtype=float)
    out = np.asarray(result)
    return out.shape == arr.shape and bool(np.all(np.isnan(out) == np.isnan(arr)))


X23 = np.ones((2, 3))
LAYER_ARGS = [  # (class, argument, other arguments, strategy)
    (Dense, "units", {}, BAD_COUNT), (Dense, "use_bias", {"units": 2}, BAD_FLAG),
    (Dense, "activation", {"units": 2}, BAD_NAME),
    (Dense, "kernel_initializer", {"units": 2}, st.one_of(st.none(), st.text(max_size=3),
                                                          st.integers())),
    (Dense, "kernel_regularizer", {"units": 2}, BAD_NUMBER.filter(lambda v: v is not None)),
    (Conv2D, "filters", {"kernel_size": 3}, BAD_COUNT),
    (Conv2D, "kernel_size", {"filters": 2}, BAD_PAIR),
    (Conv2D, "strides", {"filters": 2, "kernel_size": 3}, BAD_PAIR),
    (Conv2D, "padding", {"filters": 2, "kernel_size": 3}, SCALAR_JUNK),
    (Conv2D, "use_bias", {"filters": 2, "kernel_size": 3}, BAD_FLAG),
    (MaxPooling2D, "pool_size", {}, BAD_PAIR),
    (AveragePooling2D, "strides", {}, BAD_PAIR.filter(lambda v: v is not None)),
    (Dropout, "rate", {}, BAD_RATE),
    (Dropout, "seed", {"rate": 0.5}, st.one_of(st.text(max_size=3), st.sampled_from([2.5, -1]))),
    (BatchNormalization, "momentum", {}, st.one_of(SCALAR_JUNK, st.sampled_from([1.5, -0.1]))),
    (BatchNormalization, "epsilon", {}, st.one_of(SCALAR_JUNK, st.sampled_from([0, -1.0]))),
    (BatchNormalization, "center", {}, BAD_FLAG), (BatchNormalization, "scale", {}, BAD_FLAG),
    (Embedding, "input_dim", {"output_dim": 3}, BAD_COUNT),
    (Embedding, "output_dim", {"input_dim": 3}, BAD_COUNT),
    (SimpleRNN, "units", {}, BAD_COUNT), (SimpleRNN, "return_sequences", {"units": 2}, BAD_FLAG),
    (SimpleRNN, "return_state", {"units": 2}, BAD_FLAG),
    (LSTM, "units", {}, BAD_COUNT), (LSTM, "return_sequences", {"units": 2}, BAD_FLAG),
    (LSTM, "go_backwards", {"units": 2}, BAD_FLAG), (LSTM, "use_bias", {"units": 2}, BAD_FLAG),
    (LSTM, "unit_forget_bias", {"units": 2}, BAD_FLAG),
    (GRU, "units", {}, BAD_COUNT), (GRU, "reset_after", {"units": 2}, BAD_FLAG),
    (GRU, "return_sequences", {"units": 2}, BAD_FLAG),
    (Activation, "activation", {}, BAD_NAME),
    (ResidualBlock, "filters", {}, BAD_COUNT), (ResidualBlock, "shortcut", {"filters": 2},
                                                SCALAR_JUNK),
    (InceptionModule, "f1", {"b3": (2, 2), "b5": (2, 2), "fp": 2}, BAD_COUNT),
    (InceptionModule, "b3", {"f1": 2, "b5": (2, 2), "fp": 2}, BAD_COUNT),
    (Dense, "dtype", {"units": 2}, st.one_of(st.text(max_size=3),
                                             st.sampled_from(["float16", "int32", 3]))),
]

TARGETS: list[Target] = [
    Target(f"{cls.__name__}({arg}=...)", (lambda cls, arg, kw: lambda v: cls(**kw, **{arg: v}))(
        cls, arg, kw), (arg,), strat)
    for cls, arg, kw, strat in LAYER_ARGS
] + [
    Target("Bidirectional(layer=...)", lambda v: Bidirectional(v), ("Bidirectional", "layer"),
           st.one_of(SCALAR_JUNK, st.just(Dense(2)))),
    Target("Bidirectional(merge_mode=...)", lambda v: Bidirectional(LSTM(2), merge_mode=v),
           ("merge_mode",), SCALAR_JUNK),
    # forward and backward of built layers
    Target("dense.forward(x=...)", lambda v: _built(Dense(2), (3,)).forward(v), ("x",),
           bad_arrays((2, 3)),
           lambda v, out: (~np.isfinite(out)).any() == (~np.isfinite(np.asarray(v, float))).any()
           or np.asarray(v).size == 0),
    Target("dense.forward(x, training=...)",
           lambda v: _built(Dense(2), (3,)).forward(X23, training=v), ("training",), BAD_FLAG),
    Target("conv.forward(x=...)", lambda v: _built(Conv2D(2, 3), (5, 5, 1)).forward(v), ("x",),
           st.one_of(st.none(), st.just(np.ones((5, 5, 1))), st.just(np.ones((2, 5, 5, 2))),
                     st.just(np.full((1, 5, 5, 1), "a")))),
    Target("lstm.forward(x=...)", lambda v: _built(LSTM(2), (4, 3)).forward(v), ("x",),
           st.one_of(st.none(), st.just(np.ones((2, 3))), st.just(np.ones((2, 4, 5))),
                     st.just(np.ones((2, 0, 3))))),
    Target("rnn.forward(x, initial_state=...)",
           lambda v: _built(SimpleRNN(2), (4, 3)).forward(np.ones((2, 4, 3)), initial_state=v),
           ("initial_state",), bad_arrays((2, 2)),
           lambda v, out: v is None or np.asarray(v, float).shape == (2, 2)),
    Target("embedding.forward(ids=...)", lambda v: _built(Embedding(5, 2), (3,)).forward(v),
           ("ids",), st.one_of(st.none(), st.just(np.full((2, 3), 7)), st.just(np.ones((2, 3)) / 2),
                               st.just(np.full((2, 3), -1)), st.just(np.ones((2, 4), int)))),
    Target("bn.forward(x=..., training=True)",
           lambda v: _built(BatchNormalization(), (3,)).forward(v, training=True), ("x",),
           bad_arrays((4, 3))),
    Target("dense.backward(dout=...)",
           lambda v: _forward_then_backward(Dense(2), (3,), X23, v), ("dout",),
           bad_arrays((2, 2)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all() and out.shape == (2, 3)),
    Target("conv.backward(dout=...)",
           lambda v: _forward_then_backward(Conv2D(2, 3), (5, 5, 1), np.ones((2, 5, 5, 1)), v),
           ("dout",), bad_arrays((2, 3, 3, 2)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("maxpool.backward(dout=...)",
           lambda v: _forward_then_backward(MaxPooling2D(2), (4, 4, 1), np.ones((2, 4, 4, 1)), v),
           ("dout",), bad_arrays((2, 2, 2, 1)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("gru.backward(dout=...)",
           lambda v: _forward_then_backward(GRU(2), (4, 3), np.ones((2, 4, 3)), v), ("dout",),
           bad_arrays((2, 2)), lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("batchnorm.backward(dout=...)",
           lambda v: _forward_then_backward(BatchNormalization(), (3,), X23, v), ("dout",),
           bad_arrays((2, 3)), lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("dropout.fix_mask(mask=...)", lambda v: Dropout(0.5, seed=0).fix_mask(v), ("mask",),
           st.one_of(st.just(Odd()), st.just(np.array([2.0, 0.0])), st.just(np.array(["a"])),
                     st.just(np.array([0.5])))),
    # activations: element-wise results keep the shape and NaN stays NaN
    *[Target(f"activations.{f}(z=...)", (lambda f: lambda v: getattr(activations, f)(v))(f),
             ("z",), bad_arrays((2, 3)), _finite_or_nan_input)
      for f in ("sigmoid", "tanh", "relu", "linear")],
    Target("activations.softmax(z=...)", lambda v: activations.softmax(v), ("z",),
           bad_arrays((2, 3)),
           lambda v, out: np.asarray(out).shape == np.asarray(v).shape),
    Target("activations.get(name=...)", lambda v: activations.get(v), ("activation",),
           st.one_of(st.text(max_size=4), st.integers(), st.just(Odd()), st.just(["relu"]))),
    Target("activations.backward('relu', dout=...)",
           lambda v: activations.backward("relu", v, X23, X23), ("dout",), bad_arrays((2, 3)),
           _finite_or_nan_input),
    # initialisers
    *[Target(f"initializers.{f}(shape=...)",
             (lambda f: lambda v: initializers.get(f)(v, _rng()))(f), ("shape",),
             st.one_of(st.none(), st.text(max_size=3), st.just((0, 3)), st.just((2, -1)),
                       st.just((2.5, 3)), st.just(Odd())))
      for f in ("glorot_uniform", "he_normal", "orthogonal", "zeros")],
    Target("initializers.glorot_uniform(shape, rng=...)",
           lambda v: initializers.glorot_uniform((2, 3), v), ("rng", "seed"),
           st.one_of(st.none(), st.text(max_size=3), st.sampled_from([2.5, -1]), st.just(Odd()))),
    Target("initializers.get(...)", lambda v: initializers.get(v), ("initializer",),
           st.one_of(st.none(), st.text(max_size=4), st.integers())),
    Target("initializers.orthogonal(gain=...)",
           lambda v: initializers.orthogonal((3, 3), _rng(), gain=v), ("gain",), BAD_NUMBER),
    # regularisers
    Target("regularizers.L2(l2=...)", lambda v: regularizers.L2(v), ("l2",),
           st.one_of(BAD_NUMBER, st.sampled_from([-0.1, -1]))),
    Target("regularizers.L1(l1=...)", lambda v: regularizers.L1(v), ("l1",),
           st.one_of(BAD_NUMBER, st.sampled_from([-0.1]))),
    Target("regularizers.L2()(w=...)", lambda v: regularizers.L2(0.1)(v), ("w",),
           st.one_of(st.none(), st.text(max_size=3), st.just(Odd()),
                     st.just(np.full(2, "a")))),
    Target("regularizers.soft_threshold(w, threshold=...)",
           lambda v: regularizers.soft_threshold(np.ones(3), v), ("threshold",),
           st.one_of(BAD_NUMBER, st.just(-0.5))),
    # losses: the wrong argument is named; NaN predictions give a NaN loss, never a number
    *[Target(f"{cls.__name__}()(y_true, y_pred=...)",
             (lambda cls, y: lambda v: cls()(y, v))(cls, y), ("y_pred",), bad_arrays(y.shape),
             lambda v, out: not np.isfinite(out[0]))
      for cls, y in ((losses.BinaryCrossentropy, np.array([[0.0], [1.0]])),
                     (losses.CategoricalCrossentropy, np.eye(2)),
                     (losses.MeanSquaredError, np.zeros((2, 2))))],
    *[Target(f"{cls.__name__}()(y_true=..., y_pred)",
             (lambda cls, p: lambda v: cls()(v, p))(cls, p), ("y_true",), bad_arrays(p.shape))
      for cls, p in ((losses.BinaryCrossentropy, np.full((2, 1), 0.5)),
                     (losses.CategoricalCrossentropy, np.full((2, 2), 0.5)),
                     (losses.MeanSquaredError, np.zeros((2, 2))))],
    Target("SparseCategoricalCrossentropy()(y_true=..., p)",
           lambda v: losses.SparseCategoricalCrossentropy()(v, np.full((2, 3), 1 / 3)),
           ("y_true",), st.one_of(st.none(), st.just(np.array([0, 3])), st.just(np.array([0.5, 1])),
                                  st.just(np.array([[0], [1], [2]])), st.just(np.array(["a", "b"])))),
    Target("losses.get(...)", lambda v: losses.get(v), ("loss",),
           st.one_of(st.none(), st.text(max_size=4), st.integers(), st.just(["mse"]))),
    # metrics
    Target("metrics.accuracy(y_true, y_pred=...)",
           lambda v: metrics.accuracy(np.array([0, 1]), v), ("y_pred", "accuracy"),
           bad_arrays((2, 1)), lambda v, out: _same_accuracy(out, [0, 1], v)),
    Target("metrics.accuracy(y_true=..., y_pred)",
           lambda v: metrics.accuracy(v, np.full((2, 3), 1 / 3)), ("y_true", "accuracy"),
           st.one_of(bad_arrays((2,)), st.just(np.array([0, 5])), st.just(np.array([-1, 0]))),
           lambda v, out: out == np.mean(np.asarray(v).ravel() == 0)),   # argmax of 1/3s: 0
    # gradient checks
    Target("gradcheck.rel_error(a=..., b)", lambda v: gradcheck.rel_error(v, np.ones((2, 3))),
           ("a", "rel_error"), bad_arrays((2, 3)),
           lambda v, out: np.isnan(out) or not np.isfinite(np.asarray(v, float)).all()),
    Target("gradcheck.numerical_gradient(f, x, h=...)",
           lambda v: gradcheck.numerical_gradient(lambda: 0.0, np.ones(2), h=v), ("h",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1e-6]))),
    Target("gradcheck.check(name, value, tol=...)",
           lambda v: gradcheck.check("x", 1e-9, v, quiet=True), ("tol",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1]))),
    # shared checks
    Target("validation.check_int(value=...)", lambda v: validation.check_int(v, "n"), ("n",),
           BAD_COUNT),
    Target("validation.check_bool(value=...)", lambda v: validation.check_bool(v, "flag"),
           ("flag",), BAD_FLAG),
    Target("validation.check_strings(value=...)",
           lambda v: validation.check_strings(v, "names"), ("names",), BAD_STRINGS),
    Target("validation.check_mask(mask=...)",
           lambda v: validation.check_mask(v, "mask", (None, 3)), ("mask",),
           st.one_of(bad_arrays((2, 3)), st.just(np.array([[0.0, -np.inf, 0.0]])),
                     st.just(np.array([[2, 0, 1]])), st.just(np.ones(3, bool))),
           lambda v, out: v is None and out is None),
    Target("validation.check_dout(dout=...)",
           lambda v: validation.check_dout(v, (2, 3), "dout"), ("dout",), bad_arrays((2, 3)),
           lambda v, out: out.shape == (2, 3)),
    # data
    Target("datasets.one_hot(y=...)", lambda v: datasets.one_hot(v), ("y",),
           st.one_of(bad_arrays((3,)), st.just(np.array([0, -1])), st.just(np.array([0.5]))),
           lambda v, out: out.shape == np.shape(v) + (int(np.max(v)) + 1,)),
    Target("datasets.one_hot(y, n_classes=...)", lambda v: datasets.one_hot([0, 1], v),
           ("n_classes",), st.one_of(BAD_COUNT.filter(lambda v: v is not None), st.just(1))),
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
           lambda v: dates.random_dates(_rng(), 2, v), ("years",),
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
           st.one_of(bad_arrays((2, 64)), st.just(np.zeros((2, 63))))),
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
           bad_arrays((2, 5, 1))),
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


def _same_accuracy(out: float, y, p) -> bool:
    """The accuracy by hand: NaN if any prediction is NaN, else argmax (several columns) or
    threshold 0.5 (one column) against the labels."""
    p = np.asarray(p, dtype=float)
    if np.isnan(p).any():
        return bool(np.isnan(out))
    pred = p.argmax(-1) if p.shape[-1] > 1 else (p[..., 0] > 0.5)
    return pred.size == len(y) and out == np.mean(pred.ravel() == np.asarray(y))


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
