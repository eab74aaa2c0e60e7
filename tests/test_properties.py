"""Property-based wrong calls (issue 23) over ``companion.nn``: layers (constructors, build,
forward, backward), losses, metrics, activations, initialisers, regularisers, gradient checks
and the shared checks of ``nn.validation``. ``hypothesis`` draws wrong types, shapes, dtypes,
NaNs and empties for one argument at a time; each call must raise a clear error naming the
argument or return a result the target's oracle accepts (see ``property_checks.py``). Kept
fast: 12 examples per target, no deadline.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NAME,
    BAD_NUMBER,
    BAD_PAIR,
    BAD_RATE,
    BAD_STRINGS,
    SCALAR_JUNK,
    SETTINGS,
    Odd,
    Target,
    assert_clear_or_correct,
    bad_arrays,
    built,
    finite_or_nan_input,
    forward_then_backward,
    rng,
    same_accuracy,
)

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
    (InceptionModule, "b3", {"f1": 2, "b5": (2, 2), "fp": 2}, BAD_PAIR),
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
    Target("dense.forward(x=...)", lambda v: built(Dense(2), (3,)).forward(v), ("x",),
           bad_arrays((2, 3)),
           lambda v, out: (~np.isfinite(out)).any() == (~np.isfinite(np.asarray(v, float))).any()
           or np.asarray(v).size == 0),
    Target("dense.forward(x, training=...)",
           lambda v: built(Dense(2), (3,)).forward(X23, training=v), ("training",), BAD_FLAG),
    Target("conv.forward(x=...)", lambda v: built(Conv2D(2, 3), (5, 5, 1)).forward(v), ("x",),
           st.one_of(st.none(), st.just(np.ones((5, 5, 1))), st.just(np.ones((2, 5, 5, 2))),
                     st.just(np.full((1, 5, 5, 1), "a")))),
    Target("lstm.forward(x=...)", lambda v: built(LSTM(2), (4, 3)).forward(v), ("x",),
           st.one_of(st.none(), st.just(np.ones((2, 3))), st.just(np.ones((2, 4, 5))),
                     st.just(np.ones((2, 0, 3))))),
    Target("rnn.forward(x, initial_state=...)",
           lambda v: built(SimpleRNN(2), (4, 3)).forward(np.ones((2, 4, 3)), initial_state=v),
           ("initial_state",), bad_arrays((2, 2)),
           lambda v, out: v is None or np.asarray(v, float).shape == (2, 2)),
    Target("embedding.forward(ids=...)", lambda v: built(Embedding(5, 2), (3,)).forward(v),
           ("ids",), st.one_of(st.none(), st.just(np.full((2, 3), 7)), st.just(np.ones((2, 3)) / 2),
                               st.just(np.full((2, 3), -1)), st.just(np.ones((2, 4), int)))),
    Target("bn.forward(x=..., training=True)",
           lambda v: built(BatchNormalization(), (3,)).forward(v, training=True), ("x",),
           bad_arrays((4, 3)),                                  # another batch size is fine
           lambda v, out: np.shape(v)[1:] == (3,) and np.isfinite(v).all()),
    Target("dense.backward(dout=...)",
           lambda v: forward_then_backward(Dense(2), (3,), X23, v), ("dout",),
           bad_arrays((2, 2)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all() and out.shape == (2, 3)),
    Target("conv.backward(dout=...)",
           lambda v: forward_then_backward(Conv2D(2, 3), (5, 5, 1), np.ones((2, 5, 5, 1)), v),
           ("dout",), bad_arrays((2, 3, 3, 2)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("maxpool.backward(dout=...)",
           lambda v: forward_then_backward(MaxPooling2D(2), (4, 4, 1), np.ones((2, 4, 4, 1)), v),
           ("dout",), bad_arrays((2, 2, 2, 1)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("gru.backward(dout=...)",
           lambda v: forward_then_backward(GRU(2), (4, 3), np.ones((2, 4, 3)), v), ("dout",),
           bad_arrays((2, 2)), lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("batchnorm.backward(dout=...)",
           lambda v: forward_then_backward(BatchNormalization(), (3,), X23, v), ("dout",),
           bad_arrays((2, 3)), lambda v, out: not np.isfinite(np.asarray(v, float)).all()),
    Target("dropout.fix_mask(mask=...)", lambda v: Dropout(0.5, seed=0).fix_mask(v), ("mask",),
           st.one_of(st.just(Odd()), st.just(np.array([2.0, 0.0])), st.just(np.array(["a"])),
                     st.just(np.array([0.5])))),
    # activations: element-wise results keep the shape and NaN stays NaN
    *[Target(f"activations.{f}(z=...)", (lambda f: lambda v: getattr(activations, f)(v))(f),
             ("z",), bad_arrays((2, 3)), finite_or_nan_input)
      for f in ("sigmoid", "tanh", "relu", "linear")],
    Target("activations.softmax(z=...)", lambda v: activations.softmax(v), ("z",),
           bad_arrays((2, 3)),
           lambda v, out: np.asarray(out).shape == np.asarray(v).shape),
    Target("activations.get(name=...)", lambda v: activations.get(v), ("activation",),
           st.one_of(st.text(max_size=4), st.integers(), st.just(Odd()), st.just(["relu"]))),
    Target("activations.backward('relu', dout=...)",
           lambda v: activations.backward("relu", v, X23, X23), ("dout",), bad_arrays((2, 3)),
           finite_or_nan_input),
    # initialisers
    *[Target(f"initializers.{f}(shape=...)",
             (lambda f: lambda v: initializers.get(f)(v, rng()))(f), ("shape",),
             st.one_of(st.none(), st.text(max_size=3), st.just((0, 3)), st.just((2, -1)),
                       st.just((2.5, 3)), st.just(Odd())))
      for f in ("glorot_uniform", "he_normal", "orthogonal", "zeros")],
    Target("initializers.glorot_uniform(shape, rng=...)",
           lambda v: initializers.glorot_uniform((2, 3), v), ("rng", "seed"),
           st.one_of(st.none(), st.text(max_size=3), st.sampled_from([2.5, -1]), st.just(Odd()))),
    Target("initializers.get(...)", lambda v: initializers.get(v), ("initializer",),
           st.one_of(st.none(), st.text(max_size=4), st.integers())),
    Target("initializers.orthogonal(gain=...)",
           lambda v: initializers.orthogonal((3, 3), rng(), gain=v), ("gain",), BAD_NUMBER),
    # regularisers
    Target("regularizers.L2(l2=...)", lambda v: regularizers.L2(v), ("l2",),
           st.one_of(BAD_NUMBER, st.sampled_from([-0.1, -1]))),
    Target("regularizers.L1(l1=...)", lambda v: regularizers.L1(v), ("l1",),
           st.one_of(BAD_NUMBER, st.sampled_from([-0.1]))),
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
           bad_arrays((2, 1)), lambda v, out: same_accuracy(out, [0, 1], v)),
    Target("metrics.accuracy(y_true=..., y_pred)",
           lambda v: metrics.accuracy(v, np.full((2, 3), 1 / 3)), ("y_true", "accuracy"),
           st.one_of(bad_arrays((2,)), st.just(np.array([0, 5])), st.just(np.array([-1, 0]))),
           lambda v, out: out == np.mean(np.asarray(v).ravel() == 0)),   # argmax of 1/3s: 0
    # gradient checks
    Target("gradcheck.rel_error(a=..., b)", lambda v: gradcheck.rel_error(v, np.ones((2, 3))),
           ("a", "rel_error"), bad_arrays((2, 3)),
           lambda v, out: np.isnan(out) or not np.isfinite(np.asarray(v, float)).all()
           or np.size(v) == 0),   # empty arrays give 0.0: left as is (rel_error is shown in ch. 3)
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
    Target("validation.check_number(value=...)",
           lambda v: validation.check_number(v, "lr"), ("lr",), BAD_NUMBER),
    Target("validation.check_positive(value=...)",
           lambda v: validation.check_positive(v, "lr"), ("lr",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1]))),
    Target("validation.check_non_negative(value=...)",
           lambda v: validation.check_non_negative(v, "lr"), ("lr",),
           st.one_of(BAD_NUMBER, st.just(-1))),
    Target("validation.check_interval(value=...)",
           lambda v: validation.check_interval(v, "rate", 0, 1), ("rate",), BAD_RATE),
    Target("validation.check_probability(value=...)",
           lambda v: validation.check_probability(v, "p"), ("p",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, 1.5, -0.1]))),
    Target("validation.check_finite(x=...)", lambda v: validation.check_finite(v, "x"), ("x",),
           st.sampled_from([np.nan, np.inf]).map(lambda a: np.array([1.0, a]))),
    Target("validation.check_nonempty(x=...)", lambda v: validation.check_nonempty(v, "x"),
           ("x",), st.one_of(st.just(np.zeros((0, 3))), st.just([]))),
    Target("validation.as_array(x=...)", lambda v: validation.as_array(v, "x"), ("x",),
           st.one_of(st.none(), st.text(min_size=1, max_size=3), st.just(Odd()),
                     st.just(np.ones(2, complex)))),
    Target("validation.check_shape(x=...)",
           lambda v: validation.check_shape(np.asarray(v), (None, 2), "x"), ("x",),
           st.one_of(st.just(np.ones(2)), st.just(np.ones((2, 3))), st.just(np.ones((1, 2, 2))))),
    Target("validation.check_same_length(a, b=...)",
           lambda v: validation.check_same_length(np.ones(3), v, "x", "y"), ("x", "y"),
           st.one_of(st.just(np.ones(2)), st.just(np.ones(4)))),
    Target("validation.check_labels(y=...)", lambda v: validation.check_labels(v, 3), ("y",),
           st.one_of(st.just(np.array([0.5])), st.just(np.array([3])), st.just(np.array([-1])),
                     st.just(np.array(["a"])))),
    Target("validation.rng_from(seed_or_rng=...)", lambda v: validation.rng_from(v), ("seed",
                                                                                   "rng"),
           st.one_of(st.none(), st.text(max_size=2), st.just(2.5), st.just(-1), st.just(True))),
    Target("validation.check_exclusive(seed, rng=...)",
           lambda v: validation.check_exclusive(seed=0, rng=v), ("seed",),
           st.one_of(st.integers(0, 3), st.just(rng()))),
    Target("validation.check_array(x=...)", lambda v: validation.check_array(v, "x", (None, 3)),
           ("x",), bad_arrays((2, 3)), lambda v, out: np.shape(v)[1:] == (3,)
           and np.size(v) > 0 and np.isfinite(v).all()),
    Target("validation.check_choice(value=...)",
           lambda v: validation.check_choice(v, "padding", ("same", "valid")), ("padding",),
           st.one_of(SCALAR_JUNK, st.just("SAME"))),
    Target("validation.check_string(value=...)", lambda v: validation.check_string(v, "name"),
           ("name",), st.one_of(st.none(), st.integers(), st.just(["a"]), st.just(Odd()))),
    Target("validation.check_dout(dout=...)",
           lambda v: validation.check_dout(v, (2, 3), "dout"), ("dout",), bad_arrays((2, 3)),
           lambda v, out: out.shape == (2, 3)),
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
