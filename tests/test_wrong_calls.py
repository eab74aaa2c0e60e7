"""Wrong calls across the public API: each gets one clear sentence, never a silent wrong result.

Every row is a call that a learner could plausibly make by mistake (wrong shape, wrong dtype,
NaN, empty, negative, a float where an integer is meant, an unknown name, None) with the error
type it must raise and a regex its message must match: the regex names the argument and says
what was expected (and usually what was received).

Run this file as a script to print the table (call -> error -> message) with today's messages:

    .venv/bin/python tests/test_wrong_calls.py
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

from companion import data
from companion.data import augment as augment_mod
from companion.data import dates
from companion.data.datasets import Standardizer, one_hot, train_dev_test_split
from companion.data.text import Vocabulary, char_vocabulary, encode_padded, load_names, words
from companion.data.word_vectors import (
    WordVectors,
    cosine_similarity,
    evaluate_analogies,
    load_glove,
    similarity_correlation,
)
from companion.models import seq2seq
from companion.models.char_lm import CharLanguageModel
from companion.models.char_lm import train as train_lm
from companion.models.echo_state import EchoStateNetwork, delay_task
from companion.models.skipgram import SkipGram, build_vocab, train_skipgram
from companion.nn import (
    GRU,
    LSTM,
    BatchNormalization,
    Bidirectional,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Embedding,
    MaxPooling2D,
    Sequential,
    SimpleRNN,
    activations,
    fit,
    gradcheck,
    initializers,
    losses,
    metrics,
    optim,
    regularizers,
)
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.attention import BahdanauAttention, LayerNormalization, MultiHeadAttention


class Row(NamedTuple):
    call: str                   # the call as a learner writes it (shown in the table)
    fn: Callable[[], object]
    error: type[Exception]
    match: str                  # regex (re.search) the message must match


# --- small objects the rows call into --------------------------------------------------------
def _model() -> Sequential:
    return Sequential([Dense(3, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)


def _xy(n: int = 8):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 2)), rng.integers(0, 2, (n, 1)).astype(float)


def _fit(**kwargs):
    x, y = _xy()
    args = {"x": x, "y": y, "loss": "binary_crossentropy", "optimizer": "sgd", "epochs": 1,
            "seed": 0}
    args.update(kwargs)
    return fit(_model(), **args)


def _with_nan(a: np.ndarray, where=(1, 0)) -> np.ndarray:
    a = a.copy()
    a[where] = np.nan
    return a


def _vocab() -> Vocabulary:
    return Vocabulary.build(words("the cat sat on the mat and the dog sat on the log"))


def _wv() -> WordVectors:
    rng = np.random.default_rng(0)
    return WordVectors(["king", "queen", "man", "woman", "none"], rng.standard_normal((5, 4)))


def _lm() -> CharLanguageModel:
    return CharLanguageModel(char_vocabulary(["ann", "bob"]), units=4, seed=0)


def _skipgram(n_words=None, vocab=None, **kwargs):
    tokens = words("the cat sat on the mat and the dog sat on the log")
    sg_vocab = build_vocab(tokens, min_count=1)
    ids = sg_vocab.encode(tokens)
    vocab = sg_vocab if vocab is None else vocab
    model = SkipGram(len(sg_vocab) if n_words is None else n_words, 4, seed=0)
    args = {"epochs": 1, "batch_size": 8, "seed": 0}
    args.update(kwargs)
    return train_skipgram(model, vocab, ids, **args)


def _seq2seq(units: int = 4) -> seq2seq.Seq2Seq:
    return seq2seq.Seq2Seq(dates.source_vocabulary(), dates.target_vocabulary(), units=units)


DATE_PAIRS = [("1 may 2001", "2001-05-01")]


def _schedule_step(schedule) -> None:
    opt = optim.SGD(schedule)
    opt.update([np.ones(2)], opt.init([np.zeros(2)]))


def _built(layer, input_shape: tuple):
    layer.build(input_shape, np.random.default_rng(0))
    return layer


def _dense_built() -> Dense:
    return _built(Dense(3), (2,))


X8 = np.zeros((8, 2))

ROWS: list[Row] = [
    # layers
    Row("Dense(None)", lambda: Dense(None), TypeError, r"units must be a positive integer, got NoneType None"),
    Row("Dense(2.5)", lambda: Dense(2.5), ValueError, r"units must be a positive integer, got 2\.5"),
    Row("Dense(0)", lambda: Dense(0), ValueError, r"units must be a positive integer, got 0"),
    Row("Dense(3, 'relu6')", lambda: Dense(3, "relu6"), ValueError, r"unknown activation 'relu6'; choose one of \[.*'relu'"),
    Row("Dense(3, kernel_initializer='he')", lambda: Dense(3, kernel_initializer="he"), ValueError, r"unknown initializer 'he'; choose one of \[.*'he_normal'"),
    Row("Dense(3).forward(x) before build", lambda: Dense(3).forward(np.zeros((4, 2))), RuntimeError, r"no weights yet: call dense\.build\(input_shape, rng\) first"),
    Row("dense.set_weights([NaN kernel, bias])", lambda: _dense_built().set_weights([np.full((2, 3), np.nan), np.zeros(3)]), ValueError, r"kernel.* NaN"),
    Row("dense.set_weights([kernel (3, 2), bias])", lambda: _dense_built().set_weights([np.zeros((3, 2)), np.zeros(3)]), ValueError, r"kernel.*\(3, 2\).*expected \(2, 3\)"),
    Row("dense.set_weights([kernel])  (bias missing)", lambda: _dense_built().set_weights([np.zeros((2, 3))]), ValueError, r"expected 2 (weights|arrays).*got 1"),
    Row("Conv2D(-1, 3)", lambda: Conv2D(-1, 3), ValueError, r"filters must be a positive integer, got -1"),
    Row("Conv2D(4, 2.5)", lambda: Conv2D(4, 2.5), ValueError, r"kernel_size.*positive integer.*2\.5"),
    Row("Conv2D(4, 3, padding='full')", lambda: Conv2D(4, 3, padding="full"), ValueError, r"padding must be 'valid' or 'same', got 'full'"),
    Row("MaxPooling2D(pool_size=0)", lambda: MaxPooling2D(pool_size=0), ValueError, r"pool_size.*positive integer.*0"),
    Row("Dropout(1.5)", lambda: Dropout(1.5), ValueError, r"rate must lie in \[0, 1\).*got 1\.5"),
    Row("BatchNormalization(momentum=1.5)", lambda: BatchNormalization(momentum=1.5), ValueError, r"momentum must lie in \[0, 1\], got 1\.5"),
    Row("LSTM(-4)", lambda: LSTM(-4), ValueError, r"units must be a positive integer, got -4"),
    Row("GRU(2.5)", lambda: GRU(2.5), ValueError, r"units must be a positive integer, got 2\.5"),
    Row("Embedding(0, 4)", lambda: Embedding(0, 4), ValueError, r"input_dim must be a positive integer, got 0"),
    Row("Dropout(-0.1)", lambda: Dropout(-0.1), ValueError, r"rate must lie in \[0, 1\).*got -0\.1"),
    Row("BatchNormalization(epsilon=0)", lambda: BatchNormalization(epsilon=0), ValueError, r"epsilon must be (> 0|a positive number), got 0"),
    Row("Bidirectional(Dense(3))", lambda: Bidirectional(Dense(3)), TypeError, r"Bidirectional wraps a recurrent layer, got Dense"),
    Row("Bidirectional(LSTM(3), merge_mode='avg')", lambda: Bidirectional(LSTM(3), merge_mode="avg"), ValueError, r"merge_mode must be one of \('concat', 'sum', 'ave', 'mul'\), got 'avg'"),
    Row("Dense(3, dtype='float16x')", lambda: Dense(3, dtype="float16x"), ValueError, r"dtype must be one of \('float32', 'float64'\), got 'float16x'"),
    Row("conv.forward(x (8, 8, 1))  (no batch axis)", lambda: _built(Conv2D(2, 3), (8, 8, 1)).forward(np.zeros((8, 8, 1))), ValueError, r"x has shape \(8, 8, 1\), expected \(N, 8, 8, 1\)"),
    Row("conv.forward(x with 3 channels, built for 1)", lambda: _built(Conv2D(2, 3), (8, 8, 1)).forward(np.zeros((2, 8, 8, 3))), ValueError, r"x has shape \(2, 8, 8, 3\), expected \(N, 8, 8, 1\)"),
    Row("Sequential([Conv2D(2, 5)], input_shape=(3, 3, 1))", lambda: Sequential([Conv2D(2, 5)], input_shape=(3, 3, 1), seed=0), ValueError, r"a window of 5 does not fit an input of size 3 with padding 'valid'"),
    Row("pool.forward(x (8, 8))", lambda: _built(MaxPooling2D(2), (8, 8, 1)).forward(np.zeros((8, 8))), ValueError, r"x has shape \(8, 8\), expected \(N, 8, 8, 1\)"),
    Row("lstm.forward(x (4, 2))  (no time axis)", lambda: _built(LSTM(3), (5, 2)).forward(np.zeros((4, 2))), ValueError, r"x has shape \(4, 2\), expected \(N, T, 2\)"),
    Row("rnn.forward(x with 3 features, built for 2)", lambda: _built(SimpleRNN(3), (5, 2)).forward(np.zeros((4, 5, 3))), ValueError, r"x has shape \(4, 5, 3\), expected \(N, 5, 2\)"),
    Row("embedding.forward(ids = 12, input_dim 10)", lambda: _built(Embedding(10, 3), (4,)).forward(np.full((2, 4), 12)), ValueError, r"ids must lie in 0\.\.9 \(input_dim=10\), got values from 12 to 12"),
    Row("MultiHeadAttention(0, 4)", lambda: MultiHeadAttention(0, 4), ValueError, r"num_heads must be a positive integer, got 0"),
    Row("MultiHeadAttention(2, 2.5)", lambda: MultiHeadAttention(2, 2.5), ValueError, r"key_dim must be a positive integer, got 2\.5"),
    Row("embedding.forward(float ids)", lambda: _built(Embedding(10, 3), (4,)).forward(np.full((2, 4), 1.5)), TypeError, r"expected integer (word )?ids, got dtype float64"),
    # Sequential
    Row("Sequential(None)", lambda: Sequential(None), ValueError, r"Sequential needs a non-empty list of layers, got None"),
    Row("Sequential([Dense(2), 'relu'])", lambda: Sequential([Dense(2), "relu"], input_shape=(2,), seed=0), TypeError, r"layer 1 is a str, not a companion Layer"),
    Row("Sequential([Dense(2)], input_shape=(-2,))", lambda: Sequential([Dense(2)], input_shape=(-2,), seed=0), ValueError, r"^sequential\.build: input_shape must be a tuple of positive integers \(None for any length\), without the batch axis, got \(-2,\)$"),
    Row("model.forward(x of shape (2,))", lambda: _model().forward(np.zeros(2)), ValueError, r"x has shape \(2,\), expected \(N, 2\)"),
    Row("model.set_weights(3 arrays for 4)", lambda: _model().set_weights([np.zeros((2, 3)), np.zeros(3), np.zeros((3, 1))]), ValueError, r"set_weights expected 4 arrays \(dense\.kernel, dense\.bias, dense_1\.kernel, dense_1\.bias\), got 3"),
    Row("model.predict(None)", lambda: _model().predict(None), TypeError, r"x: expected a numeric array, got NoneType None"),
    Row("model.forward(x of shape (4, 3))", lambda: _model().forward(np.zeros((4, 3))), ValueError, r"x has shape \(4, 3\), expected \(N, 2\)"),
    Row("model.forward(strings)", lambda: _model().forward(np.array([["a", "b"]])), TypeError, r"expected a numeric array, got dtype <U1"),
    Row("Sequential([...], input_shape=(2,))  (no seed)", lambda: Sequential([Dense(2)], input_shape=(2,)), ValueError, r"pass rng=np\.random\.default_rng\(seed\) or seed=<int>"),
    Row("Sequential(..., seed=2.5)", lambda: Sequential([Dense(2)], input_shape=(2,), seed=2.5), TypeError, r"seed must be an integer >= 0 or a numpy\.random\.Generator, got float 2\.5"),
    # fit
    Row("fit(..., clipnorm=-1.0)", lambda: _fit(clipnorm=-1.0), ValueError, r"clipnorm must be a positive number, got -1\.0"),
    Row("fit(..., batch_size=2.5)", lambda: _fit(batch_size=2.5), ValueError, r"batch_size must be a positive integer, got 2\.5"),
    Row("fit(..., batch_size=0)", lambda: _fit(batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
    Row("fit(..., epochs=0)", lambda: _fit(epochs=0), ValueError, r"epochs must be a positive integer, got 0"),
    Row("fit(..., epochs=2.5)", lambda: _fit(epochs=2.5), ValueError, r"epochs must be a positive integer, got 2\.5"),
    Row("fit(x with a NaN, ...)", lambda: _fit(x=_with_nan(_xy()[0])), ValueError, r"^x contains 1 NaN or infinite value\(s\) \(the first at index \(1, 0\)\)"),
    Row("fit(..., y with an inf)", lambda: _fit(y=np.where(np.arange(8)[:, None] == 3, np.inf, _xy()[1])), ValueError, r"^y contains 1 NaN or infinite value\(s\) \(the first at index \(3, 0\)\)"),
    Row("fit(empty x, empty y)", lambda: _fit(x=np.zeros((0, 2)), y=np.zeros((0, 1))), ValueError, r"^x is empty \(shape \(0, 2\)\); expected at least one example"),
    Row("fit(x (8 rows), y (7 rows))", lambda: _fit(y=np.zeros((7, 1))), ValueError, r"x has 8 rows but y has 7"),
    Row("fit(..., loss='hinge2')", lambda: _fit(loss="hinge2"), ValueError, r"unknown loss 'hinge2'; choose one of \["),
    Row("fit(..., epochs=None)", lambda: _fit(epochs=None), TypeError, r"epochs must be a positive integer, got NoneType None"),
    Row("fit(x=None, ...)", lambda: _fit(x=None), TypeError, r"^x: expected a numeric array, got NoneType None"),
    Row("fit(x of strings, ...)", lambda: _fit(x=np.array([["a", "b"]] * 8)), TypeError, r"^x: expected a numeric array, got dtype <U1"),
    Row("fit(..., y (8,) for an (8, 1) output)", lambda: _fit(y=np.zeros(8)), ValueError, r"y_true has shape \(8,\) but y_pred has shape \(8, 1\); they must match"),
    Row("fit(..., optimizer=None)", lambda: _fit(optimizer=None), ValueError, r"unknown optimizer None; choose one of \["),
    Row("fit(..., early_stopping=EarlyStopping(monitor='acc'))", lambda: _fit(early_stopping=EarlyStopping(monitor="acc")), KeyError, r"EarlyStopping monitors 'acc', which the history lacks.*monitor one of \['accuracy'"),
    Row("fit(..., optimizer='adamw')", lambda: _fit(optimizer="adamw"), ValueError, r"unknown optimizer 'adamw'; choose one of \["),
    Row("fit(..., validation_data=(x with NaN, y))", lambda: _fit(validation_data=(_with_nan(_xy()[0]), _xy()[1])), ValueError, r"^validation x contains 1 NaN"),
    # losses
    Row("BinaryCrossentropy()(y in {0, 1, 2}, p)", lambda: losses.BinaryCrossentropy()(np.array([[0.0], [1], [2]]), np.full((3, 1), 0.5)), ValueError, r"binary_crossentropy: y_true must lie in \[0, 1\].*got values \[0\. 1\. 2\.\]"),
    Row("BinaryCrossentropy()(y in {-1, +1}, p)", lambda: losses.BinaryCrossentropy()(np.array([[-1.0], [1]]), np.full((2, 1), 0.5)), ValueError, r"y_true must lie in \[0, 1\].*got values \[-1\.  1\.\].*\(y \+ 1\) / 2"),
    Row("BinaryCrossentropy()(y (4,), p (4, 1))", lambda: losses.BinaryCrossentropy()(np.zeros(4), np.full((4, 1), 0.5)), ValueError, r"y_true has shape \(4,\) but y_pred has shape \(4, 1\); they must match"),
    Row("CategoricalCrossentropy()(y with NaN, p)", lambda: losses.CategoricalCrossentropy()(np.array([[np.nan, 1.0]]), np.full((1, 2), 0.5)), ValueError, r"categorical_crossentropy: y_true contains 1 NaN"),
    Row("BinaryCrossentropy()(y, raw scores)", lambda: losses.BinaryCrossentropy()(np.array([[0.0], [1]]), np.array([[-2.0], [3.0]])), ValueError, r"binary_crossentropy: y_pred must be probabilities in \[0, 1\] \(the output of a sigmoid\), got values from -2 to 3"),
    Row("MeanSquaredError()(y (3, 1), p (3, 2))", lambda: losses.MeanSquaredError()(np.zeros((3, 1)), np.zeros((3, 2))), ValueError, r"mean_squared_error: y_true has shape \(3, 1\) but y_pred has shape \(3, 2\)"),
    Row("PerceptronLoss()(y in {0, 1}, scores)", lambda: losses.PerceptronLoss()(np.array([0.0, 1.0]), np.array([0.5, -0.5])), ValueError, r"perceptron: y_true must hold -1 and \+1 labels, got values \[0\. 1\.\]"),
    Row("CategoricalCrossentropy()(integer labels, p)", lambda: losses.CategoricalCrossentropy()(np.array([0, 2]), np.full((2, 3), 1 / 3)), ValueError, r"y_true has shape \(2,\) but y_pred has shape \(2, 3\).*use sparse_categorical_crossentropy or one_hot\(y\)"),
    Row("BinaryCrossentropy()(empty y, empty p)", lambda: losses.BinaryCrossentropy()(np.zeros((0, 1)), np.zeros((0, 1))), ValueError, r"binary_crossentropy: y_pred is empty \(shape \(0, 1\)\); expected at least one example"),
    Row("SparseCategoricalCrossentropy()([0, 3], p (2, 3))", lambda: losses.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3)), ValueError, r"y_true: labels must lie in 0\.\.2, got values from 0 to 3"),
    Row("SparseCategoricalCrossentropy()([0.5, 1], p)", lambda: losses.SparseCategoricalCrossentropy()(np.array([0.5, 1.0]), np.full((2, 3), 1 / 3)), TypeError, r"y_true: expected integer class labels, got dtype float64"),
    Row("losses.get(None)", lambda: losses.get(None), ValueError, r"unknown loss None; choose one of \["),
    # optimisers and schedules
    Row("Adam(learning_rate='0.01')", lambda: optim.Adam(learning_rate="0.01"), TypeError, r"^learning_rate must be a positive number, got str '0\.01'"),
    Row("SGD(-0.1)", lambda: optim.SGD(-0.1), ValueError, r"^learning_rate must be a positive number, got -0\.1"),
    Row("SGD(nan)", lambda: optim.SGD(float("nan")), ValueError, r"^learning_rate must be a positive number, got nan"),
    Row("SGD(0.1, momentum=1.0)", lambda: optim.SGD(0.1, momentum=1.0), ValueError, r"^momentum must lie in \[0, 1\), got 1\.0"),
    Row("SGD(0.1, momentum=0.9, nesterov='yes')", lambda: optim.SGD(0.1, momentum=0.9, nesterov="yes"), TypeError, r"^nesterov must be True or False, got str 'yes'"),
    Row("Adam(beta_1=None)", lambda: optim.Adam(beta_1=None), TypeError, r"^beta_1 must be a number in \[0, 1\), got NoneType None"),
    Row("RMSprop(rho=1.2)", lambda: optim.RMSprop(rho=1.2), ValueError, r"^rho must lie in \[0, 1\), got 1\.2"),
    Row("Adagrad(epsilon=-1e-7)", lambda: optim.Adagrad(epsilon=-1e-7), ValueError, r"^epsilon must be a number >= 0, got -1e-07"),
    Row("optim.get('adamw')", lambda: optim.get("adamw"), ValueError, r"unknown optimizer 'adamw'; choose one of \['adagrad', 'adam', 'rmsprop', 'sgd'\]"),
    Row("Adam().update([one grad], state for two params)", lambda: optim.Adam().update([np.ones(2)], optim.Adam().init([np.zeros(2), np.zeros(3)])), ValueError, r"Adam\.update: got 1 gradients for a state made for 2 parameters"),
    Row("Adam().update([grad (1, 3)], state for a (3,) param)", lambda: optim.Adam().update([np.ones((1, 3))], optim.Adam().init([np.zeros(3)])), ValueError, r"Adam\.update: gradient 0 has shape \(1, 3\), expected \(3,\)"),
    Row("apply_updates([p1, p2], [u1])", lambda: optim.apply_updates([np.zeros(2), np.zeros(3)], [np.ones(2)]), ValueError, r"apply_updates: 2 parameters but 1 updates; expected one update per parameter"),
    Row("SGD(lambda step: -0.1).update(...)", lambda: _schedule_step(lambda step: -0.1), ValueError, r"learning-rate schedule \S*<lambda> returned -0\.1 at step 0; expected a finite learning rate >= 0"),
    Row("SGD(lambda step: nan).update(...)", lambda: _schedule_step(lambda step: float("nan")), ValueError, r"schedule \S*<lambda> returned nan at step 0; expected a finite learning rate >= 0"),
    Row("PiecewiseConstantDecay([0], [0.1, inf])", lambda: optim.PiecewiseConstantDecay([0], [0.1, float("inf")]), ValueError, r"^values\[1\] must be a number >= 0, got inf"),
    Row("ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)", lambda: optim.ExponentialDecay(0.1, 0, 0.5), ValueError, r"^decay_steps must be a positive number, got 0"),
    Row("ExponentialDecay(0.1, 10, decay_rate=-0.5)", lambda: optim.ExponentialDecay(0.1, 10, -0.5), ValueError, r"^decay_rate must be a number >= 0, got -0\.5"),
    Row("PiecewiseConstantDecay([10], [0.1])", lambda: optim.PiecewiseConstantDecay([10], [0.1]), ValueError, r"values needs len\(boundaries\) \+ 1 = 2 entries, got 1"),
    # regularisers and initialisers
    Row("L2(-0.01)", lambda: regularizers.L2(-0.01), ValueError, r"^l2 must be a number >= 0, got -0\.01"),
    Row("L1('0.01')", lambda: regularizers.L1("0.01"), TypeError, r"^l1 must be a number >= 0, got str '0\.01'"),
    Row("initializers.get('he')", lambda: initializers.get("he"), ValueError, r"unknown initializer 'he'; choose one of \["),
    Row("he_normal((3, -2), rng)", lambda: initializers.he_normal((3, -2), 0), ValueError, r"^shape: expected a tuple of positive integers, got \(3, -2\)"),
    Row("random_normal((2, 2), rng, stddev=-1)", lambda: initializers.random_normal((2, 2), 0, stddev=-1), ValueError, r"^stddev must be a number >= 0, got -1"),
    # data: generators, splits, scaling
    Row("data.flower(n=-10)", lambda: data.flower(n=-10), ValueError, r"^n must be an integer >= 2, got -10"),
    Row("data.moons(n=2.5)", lambda: data.moons(n=2.5), ValueError, r"^n must be an integer >= 2, got 2\.5"),
    Row("data.circles(n=None)", lambda: data.circles(n=None), TypeError, r"^n must be an integer >= 2, got NoneType None"),
    Row("data.xor(noise=-0.1)", lambda: data.xor(noise=-0.1), ValueError, r"^noise must be a number >= 0, got -0\.1"),
    Row("data.blobs(std=-1)", lambda: data.blobs(std=-1), ValueError, r"^std must be a number >= 0, got -1"),
    Row("data.moons(seed='0')", lambda: data.moons(seed="0"), TypeError, r"^seed must be an integer >= 0 or a numpy\.random\.Generator, got str '0'"),
    Row("train_dev_test_split(X, y, fractions=(0.5, 0.2, 0.2))", lambda: train_dev_test_split(X8, np.zeros(8), fractions=(0.5, 0.2, 0.2)), ValueError, r"^fractions must be three non-negative numbers summing to 1, got \(0\.5, 0\.2, 0\.2\)"),
    Row("train_dev_test_split(empty X, empty y)", lambda: train_dev_test_split(np.zeros((0, 2)), np.zeros(0)), ValueError, r"^X is empty \(shape \(0, 2\)\); expected at least one example"),
    Row("train_dev_test_split(X (8 rows), y (5 rows))", lambda: train_dev_test_split(X8, np.zeros(5)), ValueError, r"^X has 8 rows but y has 5"),
    Row("Standardizer().fit(1-D X)", lambda: Standardizer().fit(np.arange(5.0)), ValueError, r"^X: expected shape \(N, features\), got \(5,\); for a single feature use X\.reshape\(-1, 1\)"),
    Row("Standardizer().transform(X) before fit", lambda: Standardizer().transform(X8), RuntimeError, r"Standardizer: call fit\(X_train\) before transform"),
    Row("Standardizer().fit(X (N, 2)).transform(X (N, 4))", lambda: Standardizer().fit(X8).transform(np.zeros((3, 4))), ValueError, r"^X: expected shape \(N, 2\), got \(3, 4\)"),
    Row("Standardizer().fit(X).transform(X with inf)", lambda: Standardizer().fit(X8).transform(np.array([[1.0, np.inf]])), ValueError, r"^X contains 1 NaN or infinite value\(s\) \(the first at index \(0, 1\)\)"),
    Row("one_hot([0, 1.5])", lambda: one_hot([0, 1.5]), TypeError, r"^y: expected integer class labels, got dtype float64"),
    Row("one_hot([0, 1], n_classes=2.5)", lambda: one_hot([0, 1], 2.5), ValueError, r"^n_classes must be a positive integer, got 2\.5"),
    Row("augment(X, y, copies=2.5)", lambda: augment_mod.augment(np.zeros((2, 64)), np.zeros(2), copies=2.5), ValueError, r"^copies must be an integer >= 0, got 2\.5"),
    Row("augment(X (2 images), y (3 labels))", lambda: augment_mod.augment(np.zeros((2, 64)), np.zeros(3)), ValueError, r"^X has 2 images but y has 3 labels"),
    # text and vocabulary
    Row("Vocabulary.build(tokens, max_size=0)", lambda: Vocabulary.build(["a"], max_size=0), ValueError, r"^max_size must be a positive integer, got 0"),
    Row("Vocabulary.build(None)", lambda: Vocabulary.build(None), TypeError, r"^tokens: expected a list of string tokens .* got NoneType None"),
    Row("vocab.encode([1, 2])", lambda: _vocab().encode([1, 2]), TypeError, r"^tokens: expected a list of strings, but item 0 is int 1"),
    Row("vocab.decode([1.5])", lambda: _vocab().decode([1.5]), TypeError, r"^decode: expected integer ids, got dtype float64"),
    Row("vocab.decode([99])", lambda: _vocab().decode([99]), ValueError, r"^decode: id 99 is outside the vocabulary 0\.\.\d+"),
    Row("vocab.one_hot([0.0, 1.0])", lambda: _vocab().one_hot(np.array([0.0, 1.0])), TypeError, r"^one_hot: expected integer ids, got dtype float64"),
    Row("encode_padded(vocab, 'ann')", lambda: encode_padded(char_vocabulary(["ann"]), "ann"), TypeError, r"^texts: expected a list of strings, got the single string 'ann'"),
    Row("load_names('other')", lambda: load_names("other"), ValueError, r"^sex must be 'female', 'male' or None, got 'other'"),
    Row("Vocabulary(['<EOS>', 'a'])", lambda: Vocabulary(["<EOS>", "a"]), ValueError, r"tokens must not contain the special tokens \['<EOS>', '<UNK>'\], got \['<EOS>'\]"),
    Row("Vocabulary.build(tokens, order='random')", lambda: Vocabulary.build(["a"], order="random"), ValueError, r"order must be 'frequency' or 'alphabetical', got 'random'"),
    # word vectors
    Row("wv.similarity(None, 'king')", lambda: _wv().similarity(None, "king"), TypeError, r"^word: expected a string, got NoneType None$"),
    Row("wv.similarity('kingg', 'queen')", lambda: _wv().similarity("kingg", "queen"), ValueError, r"^'kingg' is not in the vocabulary of 5 words; did you mean 'king'\?"),
    Row("wv.nearest(NaN vector)", lambda: _wv().nearest(np.full(4, np.nan)), ValueError, r"^query contains 4 NaN or infinite value\(s\)"),
    Row("wv.nearest(zero vector)", lambda: _wv().nearest(np.zeros(4)), ValueError, r"^query: the zero vector has no direction.*expected a non-zero vector"),
    Row("wv.nearest(vector of shape (3,))", lambda: _wv().nearest(np.ones(3)), ValueError, r"^query: expected shape \(4,\), got \(3,\)"),
    Row("wv.nearest('king', k=2.7)", lambda: _wv().nearest("king", k=2.7), ValueError, r"^k must be a positive integer, got 2\.7"),
    Row("wv.nearest('king', k=0)", lambda: _wv().nearest("king", k=0), ValueError, r"^k must be a positive integer, got 0"),
    Row("WordVectors(words, vectors with NaN)", lambda: WordVectors(["a", "b"], np.array([[1.0, np.nan], [0, 1]])), ValueError, r"^vectors contains 1 NaN"),
    Row("cosine_similarity(u (3,), v (2,))", lambda: cosine_similarity(np.ones(3), np.ones(2)), ValueError, r"cosine_similarity: u has 3 features, v has 2"),
    Row("cosine_similarity(None, v)", lambda: cosine_similarity(None, [1.0]), TypeError, r"^u: expected a numeric array, got NoneType None"),
    Row("WordVectors(words, 1-D vectors)", lambda: WordVectors(["a", "b"], np.zeros(2)), ValueError, r"^vectors: expected a 2-D array, got shape \(2,\)"),
    Row("WordVectors(3 words, 2 vectors)", lambda: WordVectors(["a", "b", "c"], np.zeros((2, 3))), ValueError, r"^3 words but vectors has shape \(2, 3\)"),
    Row("load_glove(n_words=0)", lambda: load_glove(0), ValueError, r"^n_words must be a positive integer, got 0"),
    Row("evaluate_analogies(wv, batch_size=0)", lambda: evaluate_analogies(_wv(), sections={}, batch_size=0), ValueError, r"^batch_size must be a positive integer, got 0"),
    # character language model
    Row("char_lm.train(lm, names, epochs=0)", lambda: train_lm(_lm(), ["ann", "bob"], epochs=0, seed=0), ValueError, r"epochs must be a positive integer, got 0"),
    Row("char_lm.train(lm, names, batch_size=0)", lambda: train_lm(_lm(), ["ann", "bob"], batch_size=0, seed=0), ValueError, r"batch_size must be a positive integer, got 0"),
    Row("char_lm.train(lm, names, batch_size=2.5)", lambda: train_lm(_lm(), ["ann", "bob"], batch_size=2.5, seed=0), ValueError, r"batch_size must be a positive integer, got 2\.5"),
    Row("CharLanguageModel(vocab, units=0)", lambda: CharLanguageModel(char_vocabulary(["ann"]), units=0), ValueError, r"units must be a positive integer, got 0"),
    Row("char_lm.train(lm, [], ...)", lambda: train_lm(_lm(), [], seed=0), ValueError, r"^names is empty: expected at least one name"),
    Row("char_lm.train(lm, names, clipnorm=-1)", lambda: train_lm(_lm(), ["ann"], clipnorm=-1, seed=0), ValueError, r"clipnorm must be a positive number, got -1"),
    Row("char_lm.train(lm, names, seq_len=0)", lambda: train_lm(_lm(), ["ann"], seq_len=0, seed=0), ValueError, r"seq_len must be a positive integer, got 0"),
    Row("lm.sample(rng, temperature=-1)", lambda: _lm().sample(0, temperature=-1), ValueError, r"temperature must be (a number )?>= 0, got -1"),
    # skip-gram
    Row("train_skipgram(..., batch_size=0)", lambda: _skipgram(batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
    Row("train_skipgram(..., negatives=2.5)", lambda: _skipgram(negatives=2.5), ValueError, r"negatives must be a positive integer, got 2\.5"),
    Row("train_skipgram(..., optimizer='0.01')", lambda: _skipgram(optimizer="0.01"), ValueError, r"unknown optimizer '0\.01'"),
    Row("train_skipgram(..., epochs=0)", lambda: _skipgram(epochs=0), ValueError, r"epochs must be a positive integer, got 0"),
    # gradient checks and metrics
    Row("numerical_gradient(lambda: x ** 2, x)", lambda: numerical_gradient(lambda: np.ones(3) ** 2, np.ones(3)), TypeError, r"^numerical_gradient: f must return a scalar .* got an array of shape \(3,\)"),
    Row("numerical_gradient(f, x float32)", lambda: numerical_gradient(lambda: 0.0, np.ones(3, np.float32)), TypeError, r"^numerical_gradient needs float64 arrays for accuracy, got float32"),
    Row("numerical_gradient(f, [1.0, 2.0])", lambda: numerical_gradient(lambda: 0.0, [1.0, 2.0]), TypeError, r"^numerical_gradient: x must be a float64 NumPy array .* got list"),
    Row("rel_error(a (3,), b (2,))", lambda: rel_error(np.ones(3), np.ones(2)), ValueError, r"^rel_error: shapes differ, \(3,\) vs \(2,\)"),
    Row("rel_error(None, b)", lambda: rel_error(None, 1.0), TypeError, r"^rel_error: a: expected a numeric array, got NoneType None"),
    Row("metrics.accuracy(string labels, p)", lambda: metrics.accuracy(["a", "b"], np.zeros((2, 1))), TypeError, r"^y_true: expected a numeric array, got dtype <U1"),
    # echo state network
    Row("EchoStateNetwork().states(x (3, 4))", lambda: EchoStateNetwork(units=5).states(np.zeros((3, 4))), ValueError, r"^x: expected a 3-D array, got shape \(3, 4\)"),
    Row("EchoStateNetwork().predict(x) before fit", lambda: EchoStateNetwork(units=5).predict(np.zeros((2, 3, 1))), RuntimeError, r"fit the read-out first"),
    # dates and sequence-to-sequence
    Row("dates.load_dates(n_train=-1)", lambda: dates.load_dates(n_train=-1), ValueError, r"^n_train must be an integer >= 0, got -1"),
    Row("dates.load_dates(n_train=2.5)", lambda: dates.load_dates(n_train=2.5), ValueError, r"^n_train must be an integer >= 0, got 2\.5"),
    Row("Seq2Seq(src_vocab, tgt_vocab, units=0)", lambda: _seq2seq(units=0), ValueError, r"units must be a positive integer, got 0"),
    Row("seq2seq.train(model, pairs, epochs=0)", lambda: seq2seq.train(_seq2seq(), DATE_PAIRS, epochs=0, seed=0), ValueError, r"epochs must be a positive integer, got 0"),
    Row("seq2seq.train(model, pairs, batch_size=0)", lambda: seq2seq.train(_seq2seq(), DATE_PAIRS, batch_size=0, seed=0), ValueError, r"batch_size must be a positive integer, got 0"),
    Row("model.translate(texts, beam_width=0)", lambda: _seq2seq().translate(["1 may 2001"], beam_width=0), ValueError, r"beam_width must be a positive integer, got 0"),
    Row("beam_search(model, text, k=2.5)", lambda: seq2seq.beam_search(_seq2seq(), ["1 may 2001"], k=2.5), ValueError, r"^k must be a positive integer, got 2\.5"),
    Row("metrics.accuracy(y (3,), p (4, 1))", lambda: metrics.accuracy([0, 1, 1], np.zeros((4, 1))), ValueError, r"^accuracy: y_true has shape \(3,\) but y_pred \(4, 1\) makes 4 predictions; expected one label per prediction"),
    # constructors and options checked at the last integration step
    Row("Dropout('0.5')", lambda: Dropout("0.5"), TypeError, r"rate must be a number in \[0, 1\), got str '0\.5'"),
    Row("SimpleRNN(None)", lambda: SimpleRNN(None), TypeError, r"units must be a positive integer, got NoneType None"),
    Row("Dropout(None)", lambda: Dropout(None), TypeError, r"rate must be a number in \[0, 1\), got NoneType None"),
    Row("fit(..., shuffle='yes')", lambda: _fit(shuffle="yes"), TypeError, r"shuffle must be True or False, got str 'yes'"),
    Row("EarlyStopping(patience=-1)", lambda: EarlyStopping(patience=-1), ValueError, r"patience must be an integer >= 0, got -1"),
    Row("Dense(3, use_bias='no')", lambda: Dense(3, use_bias="no"), TypeError, r"use_bias must be True or False, got str 'no'"),
    Row("Dense(3, kernel_regularizer=0.01)", lambda: Dense(3, kernel_regularizer=0.01), TypeError, r"kernel_regularizer.*Regularizer.*got float 0\.01"),
    Row("char_lm.train(lm, 'ann')", lambda: train_lm(_lm(), "ann", seed=0), TypeError, r"names: expected a list of strings, got the single string 'ann'"),
    Row("BahdanauAttention(None)", lambda: BahdanauAttention(None), TypeError, r"units must be a positive integer, got NoneType None"),
    Row("LayerNormalization(epsilon=-1)", lambda: LayerNormalization(epsilon=-1), ValueError, r"epsilon must be (> 0|a positive number), got -1"),
    Row("train_skipgram(SkipGram(3, 4), vocab of 8 words, ids)", lambda: _skipgram(n_words=3), ValueError, r"ids.* 0\.\.2.*(got|found).* 7|SkipGram has 3 words but vocab has 8"),
    Row("train_skipgram(model, text.Vocabulary, ids)", lambda: _skipgram(vocab=_vocab()), TypeError, r"vocab: expected .*build_vocab"),
    Row("SkipGram(0, 4)", lambda: SkipGram(0, 4, seed=0), ValueError, r"n_words must be a positive integer, got 0"),
    Row("CharLanguageModel(None)", lambda: CharLanguageModel(None), TypeError, r"vocab: expected a Vocabulary \(char_vocabulary\(texts\) or Vocabulary\.build\(tokens\)\), got NoneType None"),
    Row("lm.sample(rng, n=-1)", lambda: _lm().sample(0, n=-1), ValueError, r"n must be a positive integer, got -1"),
    Row("lm.sample(rng, n=2.5)", lambda: _lm().sample(0, n=2.5), ValueError, r"n must be a positive integer, got 2\.5"),
    Row("lm.sample(rng, temperature='1')", lambda: _lm().sample(0, temperature="1"), TypeError, r"temperature must be a number >= 0, got str '1'"),
    Row("lm.sample(rng, max_len=0)", lambda: _lm().sample(0, max_len=0), ValueError, r"max_len must be a positive integer, got 0"),
    Row("EchoStateNetwork(units=2.5)", lambda: EchoStateNetwork(units=2.5), ValueError, r"units must be a positive integer, got 2\.5"),
    Row("EchoStateNetwork(leak=1.5)", lambda: EchoStateNetwork(leak=1.5), ValueError, r"leak must lie in \(0, 1\], got 1\.5"),
    Row("EchoStateNetwork(ridge=-1)", lambda: EchoStateNetwork(ridge=-1), ValueError, r"ridge must be a number >= 0, got -1"),
    Row("EchoStateNetwork(washout=-3)", lambda: EchoStateNetwork(units=5, washout=-3), ValueError, r"washout must be an integer >= 0, got -3"),
    Row("dates.encode_sources(vocab, '1 may 2001')", lambda: dates.encode_sources(dates.source_vocabulary(), "1 may 2001"), TypeError, r"texts: expected a list of strings, got the single string"),
    Row("dates.random_dates(rng, -1, years)", lambda: dates.random_dates(np.random.default_rng(0), -1, [2000]), ValueError, r"n must be an integer >= 0, got -1|n must be a positive integer, got -1"),
    Row("dates.random_dates(rng, 2, [])", lambda: dates.random_dates(np.random.default_rng(0), 2, []), ValueError, r"years.*(empty|at least one)"),
    # issue 23: the kinds a second hostile pass found (strings, flags, masks, dout, NaN, Keras)
    Row("SimpleRNN(4, return_sequences='no')", lambda: SimpleRNN(4, return_sequences="no"), TypeError, r"^SimpleRNN: return_sequences must be True or False, got str 'no'$"),
    Row("LSTM(4, return_state='no')", lambda: LSTM(4, return_state="no"), TypeError, r"^LSTM: return_state must be True or False, got str 'no'$"),
    Row("GRU(4, go_backwards=1)", lambda: GRU(4, go_backwards=1), TypeError, r"^GRU: go_backwards must be True or False, got int 1$"),
    Row("BatchNormalization(center='no')", lambda: BatchNormalization(center="no"), TypeError, r"^BatchNormalization: center must be True or False, got str 'no'$"),
    Row("dense.forward(x, training='no')", lambda: _dense_built().forward(np.ones((4, 2)), training="no"), TypeError, r"^dense: training must be True or False, got str 'no'$"),
    Row("dense.forward(x, 'no')  (training by position)", lambda: _dense_built().forward(np.ones((4, 2)), "no"), TypeError, r"^dense: training must be True or False, got str 'no'$"),
    Row("dense.backward(dout of another batch size)", lambda: _backward(_dense_built(), np.ones((4, 2)), np.ones((5, 3))), ValueError, r"^dense\.backward: dout has shape \(5, 3\), expected \(4, 3\) \(the shape of the last forward's output\)$"),
    Row("dense.backward(dout of another feature size)", lambda: _backward(_dense_built(), np.ones((4, 2)), np.ones((4, 2))), ValueError, r"^dense\.backward: dout has shape \(4, 2\), expected \(4, 3\)"),
    Row("dense.backward_from_logits(dz of another shape)", lambda: _dense_built_fwd().backward_from_logits(np.ones((1, 3))), ValueError, r"^dense\.backward_from_logits: dout has shape \(1, 3\), expected \(4, 3\)"),
    Row("layer_norm.backward(dout of another batch size)", lambda: _backward(_built(LayerNormalization(), (3,)), np.ones((4, 3)), np.ones((2, 3))), ValueError, r"^layernormalization\.backward: dout has shape \(2, 3\), expected \(4, 3\)"),
    Row("conv.backward(dout of another shape)", lambda: _backward(_built(Conv2D(2, 3), (5, 5, 1)), np.ones((2, 5, 5, 1)), np.ones((2, 5, 5, 2))), ValueError, r"^conv2d\.backward: dout has shape \(2, 5, 5, 2\), expected \(2, 3, 3, 2\)"),
    Row("mha.backward(dout for another batch)", lambda: _backward(_built(MultiHeadAttention(2, 2), (3, 4)), np.ones((2, 3, 4)), np.ones((1, 3, 4))), ValueError, r"^multiheadattention\.backward: dout has shape \(1, 3, 4\), expected \(2, 3, 4\)"),
    Row("batchnorm.forward(x with NaN, training=True)", lambda: _built(BatchNormalization(), (2,)).forward(np.array([[np.nan, 1.0]]), training=True), ValueError, r"^batchnormalization: x contains 1 NaN.*spoil|^batchnormalization: x contains 1 NaN"),
    Row("Dropout(0.5, seed=2.5)", lambda: Dropout(0.5, seed=2.5), TypeError, r"^seed must be an integer >= 0 or a numpy\.random\.Generator, got float 2\.5$"),
    Row("dropout.fix_mask([2, 0])", lambda: Dropout(0.5, seed=0).fix_mask(np.array([2.0, 0.0])), ValueError, r"fix_mask: mask must hold only 0 and 1"),
    Row("Conv2D(2, 3, use_bias='no')", lambda: Conv2D(2, 3, use_bias="no"), TypeError, r"^Conv2D: use_bias must be True or False, got str 'no'$"),
    Row("Bidirectional(None)", lambda: Bidirectional(None), TypeError, r"^Bidirectional wraps a recurrent layer, got NoneType$"),
    Row("metrics.accuracy(y with NaN, p)", lambda: metrics.accuracy([0, np.nan], np.zeros((2, 1))), ValueError, r"^y_true contains 1 NaN"),
    Row("metrics.accuracy(labels 0..5, 3 classes)", lambda: metrics.accuracy([0, 5], np.full((2, 3), 1 / 3)), ValueError, r"^accuracy: y_true must lie in 0\.\.2 for y_pred of shape \(2, 3\), got values from 0 to 5$"),
    Row("metrics.accuracy(-1/+1 labels, sigmoid column)", lambda: metrics.accuracy([-1, 1], np.zeros((2, 1))), ValueError, r"y_true must lie in 0\.\.1 .*\(y \+ 1\) / 2"),
    Row("metrics.accuracy([], empty)", lambda: metrics.accuracy([], np.zeros((0, 1))), ValueError, r"^y_pred is empty"),
    Row("CategoricalCrossentropy()(y, a row summing to 0)", lambda: losses.CategoricalCrossentropy()(np.array([[0, 1.0]]), np.zeros((1, 2))), ValueError, r"^categorical_crossentropy: y_pred row \(0,\) sums to 0"),
    Row("losses.get(['mse'])", lambda: losses.get(["mse"]), ValueError, r"^unknown loss \['mse'\]; choose one of"),
    Row("activations.backward('relu', dout (2, 3), z, out (2, 4))", lambda: activations.backward("relu", np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 4))), ValueError, r"dout has shape \(2, 3\) but out has shape \(2, 4\); they must match"),
    Row("activations.sigmoid('a')", lambda: activations.sigmoid("a"), TypeError, r"^sigmoid: z: expected a numeric array, got dtype <U1$"),
    Row("initializers.orthogonal((3,), rng)", lambda: initializers.orthogonal((3,), np.random.default_rng(0)), ValueError, r"^shape: an orthogonal matrix needs at least 2 dimensions, got \(3,\)$"),
    Row("Dense(3, kernel_initializer=None)", lambda: Dense(3, kernel_initializer=None), ValueError, r"^kernel_initializer: unknown initializer None; choose one of"),
    Row("gradcheck.check('w', 'small', 1e-7)", lambda: gradcheck.check("w", "small", 1e-7), TypeError, r"^check: value must be a relative error \(a number\), got str 'small'$"),
    Row("Vocabulary.build('the cat sat')", lambda: Vocabulary.build("the cat sat"), TypeError, r"^tokens: expected a list of string tokens, got the single string 'the cat sat': pass words\(text\)"),
    Row("Vocabulary.build([1, 2])", lambda: Vocabulary.build([1, 2]), TypeError, r"^tokens: expected a list of strings, but item 0 is int 1$"),
    Row("word_vocab.encode('the cat')", lambda: _vocab().encode("the cat"), TypeError, r"^tokens: got the single string 'the cat', but this vocabulary holds words"),
    Row("words(['the cat'])", lambda: words(["the cat"]), TypeError, r"^text: expected a string, got list .*\[words\(t\) for t in texts\]"),
    Row("dates.encode_targets(vocab, '2001-05-01')", lambda: dates.encode_targets(dates.target_vocabulary(), "2001-05-01"), TypeError, r"^texts: expected a list of strings, got the single string '2001-05-01'; pass \['2001-05-01'\]"),
    Row("dates.random_dates(rng, 2, '2000')", lambda: dates.random_dates(np.random.default_rng(0), 2, "2000"), TypeError, r"^years: expected a list of integer years such as \[2000, 2001\], got str '2000'$"),
    Row("dates.decode(vocab, '12')", lambda: dates.decode(dates.target_vocabulary(), "12"), TypeError, r"^ids: expected a sequence of integer ids, got the string '12'$"),
    Row("dates.write_date('2001-05-01', fmt)", lambda: dates.write_date("2001-05-01", "iso"), TypeError, r"^d: expected a datetime\.date, got str '2001-05-01'$"),
    Row("wv.ids('king')", lambda: _wv().ids("king"), TypeError, r"^words: expected a list of strings, got the single string 'king'; pass \['king'\]"),
    Row("WordVectors('abc', vectors (3, 2))", lambda: WordVectors("abc", np.ones((3, 2))), TypeError, r"^words: expected a list of strings, got the single string 'abc'"),
    Row("similarity_correlation(wv, wv, ['king', 'queen'])", lambda: similarity_correlation(_wv(), _wv(), ["king", "queen"]), ValueError, r"^words: expected at least 3 words \(a correlation needs 2 or more pairs\), got 2$"),
    Row("datasets.circles(factor=2)", lambda: data.datasets.circles(10, factor=2), ValueError, r"^factor must lie in \(0, 1\), got 2$"),
    Row("datasets.digits(flat='no')", lambda: data.datasets.digits(flat="no"), TypeError, r"^flat must be True or False, got str 'no'$"),
    Row("Standardizer().fit(X).inverse_transform(Z (N, 4))", lambda: Standardizer().fit(X8).inverse_transform(np.zeros((3, 4))), ValueError, r"^Z: expected shape \(N, 2\), got \(3, 4\)$"),
    Row("augment.rotate(images, nan)", lambda: augment_mod.rotate(np.zeros((1, 8, 8)), float("nan")), ValueError, r"^degrees must be a finite number, got nan$"),
    Row("esn.fit(x with NaN, y)", lambda: EchoStateNetwork(units=5).fit(np.full((2, 4, 1), np.nan), np.zeros((2, 4, 1))), ValueError, r"^x contains 8 NaN"),
    Row("esn.fit(x (2 seqs), y (3 seqs))", lambda: EchoStateNetwork(units=5).fit(np.zeros((2, 4, 1)), np.zeros((3, 4, 1))), ValueError, r"^y has shape \(3, 4, 1\), expected \(2, 4, K\)"),
    Row("esn.fit(x, y, last_only='no')", lambda: EchoStateNetwork(units=5).fit(np.zeros((2, 4, 1)), np.zeros((2, 1)), last_only="no"), TypeError, r"^last_only must be True or False, got str 'no'$"),
    Row("esn.predict(x with 3 features, fitted on 1)", lambda: EchoStateNetwork(units=5).fit(np.zeros((2, 4, 1)), np.zeros((2, 4, 1))).predict(np.zeros((2, 4, 3))), ValueError, r"^x has shape \(2, 4, 3\), expected \(N, T, 1\)"),
    Row("EchoStateNetwork(washout=20).fit(x with T=10)", lambda: EchoStateNetwork(units=5, washout=20).fit(np.zeros((2, 10, 1)), np.zeros((2, 10, 1))), ValueError, r"^washout=20 leaves no step of the 10 to fit"),
    Row("echo_state.delay_task(T=0)", lambda: delay_task(T=0), ValueError, r"^T must be a positive integer, got 0$"),
]


def _backward(layer, x, dout):
    layer.forward(x)
    return layer.backward(dout)


def _dense_built_fwd() -> Dense:
    layer = _dense_built()
    layer.forward(np.ones((4, 2)))
    return layer


@pytest.mark.parametrize("row", ROWS, ids=[r.call for r in ROWS])
def test_wrong_call_gets_a_clear_sentence(row: Row):
    with pytest.raises(row.error) as info:
        row.fn()
    message = str(info.value)
    assert re.search(row.match, message), f"{row.call}: message {message!r} does not match {row.match!r}"
    assert "\n" not in message.strip() and "Traceback" not in message


def test_accuracy_of_nan_predictions_is_nan_not_a_count():
    """A diverged model's NaN outputs used to count as class 0 (accuracy 0.5 here)."""
    assert np.isnan(metrics.accuracy([0, 1], np.full((2, 1), np.nan)))
    assert np.isnan(metrics.accuracy([0, 1], np.array([[0.2, np.nan], [0.1, 0.9]])))


def test_nearest_never_returns_an_excluded_word():
    """k larger than what is left used to return the query word with score -inf."""
    found = [w for w, _ in _wv().nearest("king", k=10, exclude=["queen"])]
    assert sorted(found) == ["man", "none", "woman"]


def test_every_row_is_distinct():
    calls = [r.call for r in ROWS]
    assert len(calls) == len(set(calls))


def table() -> list[tuple[str, str, str]]:
    """(call, error raised, message) for every row, with what the code says today."""
    out = []
    for row in ROWS:
        try:
            row.fn()
            out.append((row.call, "no error", ""))
        except Exception as exc:                                  # noqa: BLE001
            ok = isinstance(exc, row.error) and re.search(row.match, str(exc))
            out.append((row.call, type(exc).__name__ + ("" if ok else " ✗"), str(exc)))
    return out


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")
    print("| call | error | message |\n|---|---|---|")
    for call, err, msg in table():
        print(f"| `{call}` | {err} | {msg.replace('|', '/')} |")
