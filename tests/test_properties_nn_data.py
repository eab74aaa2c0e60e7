"""Property-based wrong calls (issue 23) over the last names of ``companion.nn`` and
``companion.data``: the Trainable protocol and the loop's helpers, the callbacks, the abstract
bases (``Loss``, ``Optimizer``, ``LearningRateSchedule``, ``Regularizer``, ``Callback``) broken
by a subclass, the records and errors, and the argument-free loaders. The rules are those of
``property_checks.py``.

An argument-free loader has nothing to call wrongly but an extra argument: its targets are a
wrong call (an unexpected positional argument must get Python's TypeError naming the loader)
and a call whose result is checked against an oracle that does not come from the loader's
code: the counts and ranges that ``assets/*/README.md`` states, or the documentation text
(``DESCR``) that scikit-learn ships with its data sets.
"""
from __future__ import annotations

import copy
import math
import re
from collections import Counter

import numpy as np
from hypothesis import strategies as st
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NUMBER,
    SCALAR_JUNK,
    Odd,
    Target,
    bad_arrays,
    target_tests,
)
from test_properties_training import XY, Params, model

from companion.data import corpus, datasets, dates, text, word_vectors
from companion.nn import Dense, Sequential, losses, optim, regularizers, validation
from companion.nn.callbacks import (
    Callback,
    EpochMeanLoss,
    GradientStats,
    global_norm,
    ordered_grads,
    progress_bar,
    progress_enabled,
    trainable_arrays,
)
from companion.nn.threads import blas_threads
from companion.nn.train import (
    Evaluation,
    Supervised,
    check_data,
    check_loss,
    check_same_arrays,
    clip_gradients,
    fit,
    train_loop,
)

G = np.array([3.0, 4.0])
GRAD_LISTS = st.one_of(st.just([G]), st.just((G, np.ones((2, 2)))), st.just("ab"), st.none(),
                       st.just(G), st.just({"w": G}), st.just([None]), st.just([1.0, 2.0]),
                       st.just([np.array(["a"])]), st.just([np.array([np.nan, 1.0])]),
                       st.just([G, np.array([np.inf])]), st.just([np.array([1 + 2j])]))


def norm_by_hand(grads) -> float:
    """The global norm in plain Python, entry by entry (NaN and inf propagate)."""
    return math.sqrt(sum(float(x) ** 2 for g in grads for x in np.ravel(g)))


def same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


class Broken(Params):
    """A Trainable that breaks the protocol one way (``how``); ``"ok"`` keeps it."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how

    def __repr__(self):
        return f"Broken({self.how!r})"

    @property
    def params(self):
        return {"copies": {"w": self.w.copy()}, "int": {"w": np.ones(2, int)},
                "list": [self.w], "python list": {"w": [1.0, 2.0]}}.get(self.how, {"w": self.w})

    def loss_and_grads(self, batch):
        loss, grads = super().loss_and_grads(batch)
        return {"none": None, "loss only": loss, "triple": (loss, grads, 0),
                "per-example loss": (np.ones(4), grads), "string loss": ("0.5", grads),
                "grad strings": (loss, ["ab"]), "grads a string": (loss, "w"),
                "missing grad": (loss, {}), "extra grad": (loss, {"w": grads["w"], "b": G}),
                "wrong-shaped grad": (loss, {"w": np.ones(3)})}.get(self.how, (loss, grads))


class NoLoss:
    params = {"w": np.ones(2)}


BROKEN = st.one_of(st.sampled_from(["copies", "int", "list", "python list", "none", "loss only",
                                    "triple", "per-example loss", "string loss", "grad strings",
                                    "grads a string", "missing grad", "extra grad",
                                    "wrong-shaped grad"]).map(Broken),
                   st.none(), st.just(Odd()), st.just(NoLoss()), st.just(model()))


class Answer(Callback):
    """A callback whose on_epoch_end answers ``value``."""

    def __init__(self, value):
        self.value = value

    def on_epoch_end(self, epoch, history):
        return self.value


def two_epochs(callback, batches=lambda e: [None], trainable=None, optimizer="sgd"):
    return train_loop(trainable or Params(), batches, optimizer, 2, callbacks=[callback])


def mean_loss_run(how):
    """EpochMeanLoss over 2 epochs of ``how`` batches each (an int), or of one generator
    shared by both epochs (the second gets nothing)."""
    shared = iter([None, None])
    batches = (lambda e: shared) if how == "shared generator" else (lambda e: [None] * how)
    return two_epochs(EpochMeanLoss(), batches)


def epoch_means(how, h) -> bool:
    b = h["batch_loss"]
    return how in (1, 3) and len(b) == 2 * how and all(
        math.isclose(m, sum(part) / how) for m, part in zip(h["loss"], (b[:how], b[how:])))


# --- subclasses that break (or keep) an abstract base's protocol --------------------------
class NoCallLoss(losses.Loss):
    name = "no_call"


class NoDlogits(losses.Loss):
    fused_activation = "sigmoid"

    def __call__(self, y_true, y_pred):
        return losses.BinaryCrossentropy()(y_true, y_pred)


class BareLoss(losses.Loss):
    """``__call__`` answers ``self.answer(y, p)`` instead of (loss, dloss/dp)."""

    def __init__(self, answer):
        self.answer = answer

    def __call__(self, y_true, y_pred):
        return self.answer(np.asarray(y_true), y_pred)


MSE = losses.MeanSquaredError()
BAD_LOSSES = st.one_of(st.sampled_from([
    NoCallLoss(), NoDlogits(), losses.Loss(), losses.BinaryCrossentropy,
    BareLoss(lambda y, p: 0.5), BareLoss(lambda y, p: (np.nan, 0 * p)),
    BareLoss(lambda y, p: (0.5, p[:, :0])), BareLoss(lambda y, p: (np.ones(len(p)), p)),
    BareLoss(lambda y, p: MSE(y, p))]))          # the last keeps the protocol


class NoUpdate(optim.Optimizer):
    pass


class Constant(optim.Optimizer):
    def __init__(self, update):
        super().__init__(0.1)
        self.update_value = update

    def _update_one(self, g, slots, lr, t):
        return self.update_value, slots


class Schedule(optim.LearningRateSchedule):
    def __init__(self, value):
        self.value = value

    def __call__(self, step):
        return self.value


class NoCallSchedule(optim.LearningRateSchedule):
    pass


class Quadratic(regularizers.Regularizer):
    """0.01 * sum(w^2), written as a user would: the same penalty as L2(0.01)."""

    def __call__(self, w):
        return float(0.01 * np.sum(w * w))

    def gradient(self, w):
        return 0.02 * w


class PenaltyOnly(regularizers.Regularizer):
    def __call__(self, w):
        return 0.0


class GradientOnly(regularizers.Regularizer):
    def gradient(self, w):
        return 0 * w


def regularised_fit(reg):
    net = Sequential([Dense(1, "sigmoid", kernel_regularizer=reg)], input_shape=(2,), seed=0)
    return fit(net, *XY, "binary_crossentropy", "sgd", epochs=2, seed=0)["loss"]


def same_as_l2(v, out) -> bool:
    return isinstance(v, Quadratic) and np.allclose(out, regularised_fit(regularizers.L2(0.01)))


def params_for(how: str):
    t = Params()
    return t, {"own": [t.w], "copies": [t.w.copy()], "none": None, "fewer": [],
               "more": [t.w, t.w], "string": "w", "array": t.w}[how]


def caught(call, error):
    """The error ``call()`` raises (so an oracle can read its attributes), else the result."""
    try:
        return call()
    except error as exc:
        return exc


def divergence(v, exc) -> bool:
    return isinstance(exc, validation.DivergenceError) and exc.step == 7 and \
        exc.history == {"batch_loss": [0.5]} and same_number(exc.loss, float(v)) and \
        "step 7" in str(exc)


def supervised_loss(v, out) -> bool:
    value, grads = out
    net = model()
    return value == net.loss_and_grads(*XY, "binary_crossentropy") and \
        all(np.array_equal(grads[k], net.grads[k]) for k in net.grads)


TARGETS: list[Target] = [
    # the Trainable protocol and the loop's helpers
    Target("callbacks.Trainable: train.train_loop(trainable=...)",
           lambda v: train_loop(v, lambda e: [None], "adam", 2),
           ("trainable", "Trainable", "params", "loss_and_grads", "loss", "grads", "gradient",
            "gradients"), BROKEN),
    Target("callbacks.trainable_arrays(trainable=...)", lambda v: trainable_arrays(v),
           ("params",), st.one_of(st.sampled_from(["int", "list", "python list"]).map(Broken),
                                  st.none(), st.just(Odd()))),
    Target("callbacks.ordered_grads(grads=..., names, owner)",
           lambda v: ordered_grads(v, ["w"], "Params"), ("grads", "gradients"),
           st.one_of(GRAD_LISTS, st.just({"v": G}), st.just((G,))),
           lambda v, out: len(out) == 1 and out[0] is G),
    Target("callbacks.global_norm(grads=...)", lambda v: global_norm(v), ("grads",), GRAD_LISTS,
           lambda v, out: same_number(out, norm_by_hand(v))),
    Target("callbacks.GradientStats().on_step(step, loss, grads=..., clipped)",
           lambda v: (lambda h: (GradientStats().on_step(0, 1.0, v, v, h), h)[1])({}),
           ("grads",), GRAD_LISTS,
           lambda v, h: same_number(h["grad_norm"][0], norm_by_hand(v))
           and h["clipped"] == [False]),
    Target("callbacks.progress_enabled(progress=...)", lambda v: progress_enabled(v),
           ("progress",), BAD_FLAG.filter(lambda v: v is not None)),
    Target("callbacks.progress_bar(total=..., progress)", lambda v: progress_bar(v, False),
           ("total",), BAD_COUNT),
    Target("callbacks.progress_bar(total, progress=...)", lambda v: progress_bar(2, v),
           ("progress",), BAD_FLAG.filter(lambda v: v is not None)),
    Target("callbacks.progress_bar(total, progress, desc=...)",
           lambda v: progress_bar(2, False, v), ("desc",), st.one_of(st.none(), st.just(["a"]))),
    Target("callbacks.Callback subclass: train_loop(callbacks=[on_epoch_end -> ...])",
           lambda v: two_epochs(Answer(v)), ("on_epoch_end",),
           st.one_of(st.sampled_from([None, True, False, np.False_, "no", "", 1, 0.0, [True]]),
                     st.just(Odd())),
           lambda v, h: (v is None or isinstance(v, (bool, np.bool_)))
           and len(h["batch_loss"]) == (1 if v else 2)),
    Target("callbacks.EpochMeanLoss: train_loop(batches=...)", mean_loss_run,
           ("batches", "batch_loss"), st.sampled_from([0, 1, 3, "shared generator"]),
           epoch_means),
    Target("callbacks.EpochMeanLoss().on_epoch_end(epoch, history=...)",
           lambda v: (lambda h: (EpochMeanLoss().on_epoch_end(0, h), h))(copy.deepcopy(v)),
           ("history", "batch_loss"),
           st.sampled_from([{}, None, "batch_loss", {"batch_loss": []}, {"batch_loss": "ab"},
                            {"batch_loss": [1.0, 3.0]}]),
           lambda v, out: out[0] is False and out[1]["loss"] == [2.0]),
    Target("train.clip_gradients(grads=...)", lambda v: clip_gradients(v), ("grads",),
           GRAD_LISTS, lambda v, out: isinstance(v, (list, tuple)) and len(out) == len(v)
           and all(a is b for a, b in zip(out, v))),     # no clipping asked: the same arrays
    Target("train.clip_gradients(grads, clipvalue=...)",
           lambda v: clip_gradients([G], clipvalue=v), ("clipvalue",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1.0])),
           lambda v, out: v is None and out[0] is G),
    Target("train.clip_gradients(grads, clipnorm=...)",
           lambda v: clip_gradients([G], clipnorm=v), ("clipnorm",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1.0])),
           lambda v, out: v is None and out[0] is G),
    Target("train.check_loss(value=..., step)", lambda v: check_loss(v, 0), ("loss",),
           st.one_of(SCALAR_JUNK, st.just(np.ones(3)), st.just(np.float32(0.5)),
                     st.just(np.array(0.5)), st.sampled_from([np.nan, np.inf])),
           lambda v, out: out is None and np.isfinite(v)),
    Target("validation.DivergenceError <- train.check_loss(value=..., step, history)",
           lambda v: caught(lambda: check_loss(v, 7, 0.1, {"batch_loss": [0.5]}),
                            validation.DivergenceError), ("loss",),
           st.sampled_from([np.nan, np.inf, -np.inf, np.float32(np.nan)]), divergence),
    Target("train.check_data(x=..., name)", lambda v: check_data(v, "x"), ("x",),
           bad_arrays((8, 2)), lambda v, out: np.size(v) > 0 and np.isfinite(v).all()
           and np.array_equal(out, v)),                  # any shape of finite numbers is data
    Target("train.check_same_arrays(trainable, params=...)",
           lambda v: check_same_arrays(*params_for(v)), ("params",),
           st.sampled_from(["own", "copies", "none", "fewer", "more", "string", "array"]),
           lambda v, out: v == "own" and out is None),
    Target("train.check_same_arrays(trainable=..., params)",
           lambda v: check_same_arrays(v, [Params().w]), ("params",),
           st.sampled_from(["copies", "int", "list"]).map(Broken)),
    Target("train.Supervised(model=..., loss)", lambda v: Supervised(v, "mse"), ("model",),
           st.one_of(st.none(), st.just(Odd()), st.just("dense"), st.just(Dense(2)),
                     st.just(Params()))),
    Target("train.Supervised(model, loss=...)", lambda v: Supervised(model(), v), ("loss",),
           st.one_of(st.none(), st.text(max_size=3), st.just(losses.BinaryCrossentropy),
                     st.just(NoCallLoss()))),
    Target("train.Supervised.loss_and_grads(batch=...)",
           lambda v: Supervised(model(), "binary_crossentropy").loss_and_grads(v),
           ("batch",), st.one_of(st.none(), st.just(XY[0]), st.just(XY[:1]), st.just(XY + XY),
                                 st.just("xy"), st.just(XY)), supervised_loss),
    Target("train.Evaluation(model, loss, x=..., y)",
           lambda v: Evaluation(model(), "binary_crossentropy", v, XY[1]), ("x",),
           bad_arrays((8, 2))),
    Target("train.Evaluation(model, loss, x, y, validation_data=...)",
           lambda v: Evaluation(model(), "binary_crossentropy", *XY, v),
           ("validation_data", "validation"),
           st.one_of(st.just(XY[0]), st.just(XY[:1]), st.text(max_size=2),
                     st.just((np.zeros((4, 3)), XY[1][:4])),
                     st.just((np.full((8, 2), np.nan), XY[1])))),
    Target("train.Evaluation(model=..., loss, x, y)",
           lambda v: Evaluation(v, "binary_crossentropy", *XY), ("model", "x"),
           st.one_of(st.none(), st.just(Odd()), st.just(Params()),
                     st.just(Sequential([Dense(1)], input_shape=(3,), seed=0)))),
    # abstract bases broken by a subclass, where they are used
    Target("losses.Loss subclass: train.fit(loss=...)",
           lambda v: fit(model(), *XY, v, "sgd", epochs=2, seed=0), ("loss", "Loss", "dout"),
           BAD_LOSSES, lambda v, h: isinstance(v, BareLoss) and np.allclose(
               h["batch_loss"], fit(model(), *XY, "mse", "sgd", epochs=2, seed=0)["batch_loss"])),
    Target("optim.Optimizer subclass: train_loop(optimizer=...)",
           lambda v: train_loop(Params(), lambda e: [None], v, 2),
           ("optimizer", "Optimizer", "update", "_update_one", "loss"),
           st.one_of(st.just(NoUpdate()), st.just(optim.Optimizer()), st.just(optim.Adam),
                     st.sampled_from([np.ones(3), None, "0.1", np.array([np.nan, 0.0])])
                     .map(Constant))),
    Target("optim.LearningRateSchedule subclass: optim.SGD(learning_rate=...).update",
           lambda v: optim.SGD(learning_rate=v).update([G], {"step": 0}),
           ("learning_rate", "schedule", "LearningRateSchedule"),
           st.one_of(st.sampled_from([np.nan, -0.1, "0.1", None, [0.1, 0.2], np.inf, 0.05])
                     .map(Schedule), st.just(NoCallSchedule()),
                     st.just(optim.ExponentialDecay)),
           lambda v, out: getattr(v, "value", None) == 0.05
           and np.array_equal(out[0][0], -0.05 * G)),
    Target("regularizers.Regularizer subclass: Dense(kernel_regularizer=...) in fit",
           regularised_fit, ("Regularizer", "kernel_regularizer"),
           st.one_of(st.just(PenaltyOnly()), st.just(GradientOnly()),
                     st.just(regularizers.Regularizer()), st.just(regularizers.L2),
                     st.just(lambda w: 0.0), st.just(Quadratic())), same_as_l2),
    Target("threads.blas_threads(n=...)", lambda v: blas_threads(v), ("n",), BAD_COUNT),
    # shared helpers appended to validation.py for these checks
    Target("validation.check_array_list(value=...)",
           lambda v: validation.check_array_list(v, "grads"), ("grads",), GRAD_LISTS,
           lambda v, out: isinstance(v, (list, tuple)) and all(a is b for a, b in zip(out, v))
           and all(np.asarray(g).dtype.kind in "iuf" for g in v)),
    Target("validation.check_real(value=...)", lambda v: validation.check_real(v, "loss"),
           ("loss",), st.one_of(SCALAR_JUNK, st.just(np.ones(2)), st.just(np.array(2.5))),
           lambda v, out: isinstance(v, np.ndarray) and v.shape == () and out == 2.5),
    Target("validation.check_pair(value=...)", lambda v: validation.check_pair(v, "batch"),
           ("batch",), st.one_of(SCALAR_JUNK, st.just((1, 2, 3)), st.just(XY)),
           lambda v, out: isinstance(v, (list, tuple)) and len(v) == len(out) == 2
           and all(a is b for a, b in zip(out, v))),
]


# --- companion.data: records, errors and the argument-free loaders --------------------------
def _wv():
    return word_vectors.WordVectors(["king", "queen", "man", "woman"],
                                    np.random.default_rng(0).standard_normal((4, 3)))


QUESTION = ("king", "queen", "man", "woman")    # with a, b, c excluded, only "woman" is left


def unknown_word(v, exc) -> bool:
    wv = _wv()
    return isinstance(exc, word_vectors.UnknownWordError) and isinstance(exc, ValueError) \
        and exc.word == v and repr(v) in str(exc) and set(exc.suggestions) <= set(wv.words) \
        and (v.lower() not in wv or exc.suggestions == [v.lower()])


def report(**counts):
    base = {"total": {"a": 2}, "covered": {"a": 1}, "correct": {"a": 1}}
    return word_vectors.AnalogyReport(**{**base, **counts})


def load_dates(n_dev):
    return dates.load_dates(n_train=20, n_dev=n_dev, n_test=5, n_hard=5, seed=0)


def date_data(v, d) -> bool:
    held = set(d.held_out_years)
    return isinstance(d, dates.DateData) and v == 0 and (len(d.train), len(d.dev), len(
        d.test), len(d.hard_test)) == (20, 0, 5, 5) and all(
        int(iso[:4]) in held for _, iso in d.hard_test) and not any(
        int(iso[:4]) in held for _, iso in d.train)


def descr_table(descr: str) -> np.ndarray:
    """The (min, max) rows of a scikit-learn data set's documented summary statistics."""
    rows = re.findall(r"^[a-z][a-z ()]+:\s+(-?[\d.]+)\s+(-?[\d.]+)", descr, re.MULTILINE)
    return np.array(rows, dtype=float)


def iris_as_documented(out) -> bool:
    from sklearn.datasets import load_iris
    X, y, features, classes = out
    documented = descr_table(load_iris().DESCR)       # 4 rows: min, max in cm
    return X.shape == (150, 4) and "150 (50 in each of three classes)" in load_iris().DESCR \
        and np.bincount(y).tolist() == [50, 50, 50] and len(features) == 4 and \
        [c[:4] for c in classes] == ["seto", "vers", "virg"] and \
        np.allclose(np.c_[X.min(0), X.max(0)], documented, atol=1e-9)


def breast_cancer_as_documented(out) -> bool:
    from sklearn.datasets import load_breast_cancer
    X, y, features = out
    descr = load_breast_cancer().DESCR
    documented = descr_table(descr)                   # 30 rows, in the features' order
    return X.shape == (569, 30) and len(features) == 30 and documented.shape == (30, 2) and \
        "212 - Malignant, 357 - Benign" in descr and int((y == 1).sum()) == 357 and \
        np.allclose(np.c_[X.min(0), X.max(0)], documented, rtol=5e-3, atol=1e-3)


def topics_as_documented(t) -> bool:                  # assets/corpus/README.md
    return len(t) == 79 and list(t) == sorted(t) and {"assert", "if"} <= set(t) and \
        all(isinstance(v, str) and v for v in t.values())


def corpus_as_documented(tokens) -> bool:             # assets/corpus/README.md
    counts = Counter(tokens)
    return len(tokens) == 64262 and sum(c >= 5 for c in counts.values()) == 1304 and \
        all(re.fullmatch(r"[a-z]+('[a-z]+)?", w) for w in counts)


def source_vocabulary_covers(v) -> bool:
    days = [dates.FIRST + np.timedelta64(k, "D").astype(object) for k in range(0, 36524, 37)]
    written = {dates.write_date(d, f) for d in days for f in dates.FORMATS}
    return v.itos[:3] == [text.EOS, text.UNK, text.PAD] and \
        all(c in v for s in written for c in s)


def target_vocabulary_is_iso(v) -> bool:
    days = [dates.FIRST + np.timedelta64(k, "D").astype(object) for k in range(0, 36524, 101)]
    return v.itos[:3] == [text.EOS, text.UNK, text.PAD] and len(v) == 14 and \
        set(v.words) == set("0123456789-") and all(c in v for d in days for c in d.isoformat())


def gpl_as_documented(t) -> bool:                     # assets/text/README.md
    return "GNU GENERAL PUBLIC LICENSE" in t[:200] and "Version 3, 29 June 2007" in t[:200] \
        and round(len(t.split()), -2) == 5600


def census_as_documented(out) -> bool:                # assets/names/README.md
    names, labels, freq = out
    ix = {n: i for i, n in enumerate(names)}
    return len(names) == 1219 + 4275 - 331 and names == sorted(names) and \
        all(n.isalpha() and n.islower() for n in names) and labels.dtype == np.int64 and \
        1219 - 331 <= labels.sum() <= 1219 and labels[ix["james"]] == 1 and \
        freq[ix["james"]] == 3.318 and labels[ix["mary"]] == 0


def split_as_documented(out) -> bool:
    train, val, test, vocab = out
    everything = set(text.names_by_sex()[0])
    parts = [set(train), set(val), set(test)]
    return [len(p) for p in parts] == [4130, 516, 517] and sum(map(len, parts)) == \
        len(everything) == 1219 + 4275 - 331 and set().union(*parts) == everything and \
        all(c in vocab for n in train for c in n)


def loader_targets(name: str, loader, oracle) -> list[Target]:
    """An argument-free loader: what it returns, against an oracle; an extra argument."""
    return [Target(f"{name}() returns what its documentation states",
                   lambda v: loader(), (), st.just(None), lambda v, out: oracle(out)),
            Target(f"{name}(<an unexpected positional argument>)", lambda v: loader(v),
                   (name.split(".")[1],), st.one_of(SCALAR_JUNK, st.integers(0, 3)))]


DATA_TARGETS: list[Target] = [
    *loader_targets("corpus.load_topics", corpus.load_topics, topics_as_documented),
    *loader_targets("corpus.load_corpus", corpus.load_corpus, corpus_as_documented),
    *loader_targets("datasets.iris", datasets.iris, iris_as_documented),
    *loader_targets("datasets.breast_cancer", datasets.breast_cancer,
                    breast_cancer_as_documented),
    *loader_targets("dates.source_vocabulary", dates.source_vocabulary,
                    source_vocabulary_covers),
    *loader_targets("dates.target_vocabulary", dates.target_vocabulary,
                    target_vocabulary_is_iso),
    *loader_targets("text.load_text", text.load_text, gpl_as_documented),
    *loader_targets("text.names_by_sex", text.names_by_sex, census_as_documented),
    *loader_targets("text.names_split", text.names_split, split_as_documented),
    Target("dates.load_dates(n_dev=...) -> DateData", load_dates, ("n_dev",), BAD_COUNT,
           date_data),
    Target("word_vectors.UnknownWordError <- wv.id(word=...)",
           lambda v: caught(lambda: _wv().id(v), word_vectors.UnknownWordError), ("word",),
           st.one_of(st.text(min_size=1, max_size=6).filter(lambda w: w not in _wv()),
                     st.sampled_from(["King", "kingg", "quen", " man"]), st.none(),
                     st.integers()), unknown_word),
    Target("word_vectors.evaluate_analogies(wv, sections=...) -> AnalogyReport",
           lambda v: word_vectors.evaluate_analogies(_wv(), v), ("sections", "AnalogyReport"),
           st.sampled_from([{}, {"a": []}, "sections", [QUESTION], {"a": [QUESTION[:2]]},
                            {"a": [QUESTION]}]),
           lambda v, r: (r.total, r.covered, r.correct, r.accuracy, r.coverage) == (
               {"a": 1}, {"a": 1}, {"a": 1}, 1.0, 1.0)),
    Target("word_vectors.AnalogyReport(total=..., covered, correct)",
           lambda v: report(total=v), ("AnalogyReport",),
           st.sampled_from([{}, {"a": 0}, {"a": -1}, "abc", {"b": 2}, {"a": 2}]),
           lambda v, r: v == {"a": 2} and (r.coverage, r.accuracy) == (0.5, 1.0)),
    Target("word_vectors.AnalogyReport.section_accuracy(section=...)",
           lambda v: report().section_accuracy(v), ("section",),
           st.one_of(st.text(max_size=3), st.none(), st.integers(), st.just(["a"])),
           lambda v, out: v == "a" and out == 1.0),
]
TARGETS += DATA_TARGETS

(test_target_ids_are_distinct,
 test_wrong_value_gets_a_clear_error_or_a_correct_result) = target_tests(TARGETS)
