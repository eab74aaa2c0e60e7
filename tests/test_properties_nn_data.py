"""Property-based wrong calls (issue 23) over the last names of ``companion.nn`` and
``companion.data``: the Trainable protocol and the loop's helpers, the callbacks, the abstract
bases (``Loss``, ``Optimizer``, ``LearningRateSchedule``, ``Regularizer``, ``Callback``) broken
by a subclass where they are used, the records and errors, and the argument-free loaders. The
rules are those of ``property_checks.py``; the broken subclasses are in ``broken_protocols.py``,
the loaders' oracles in ``documented_data.py``.

An argument-free loader has nothing to call wrongly but an extra argument: its targets are a
wrong call (an unexpected positional argument must get Python's TypeError naming the loader)
and a call whose result is checked against an oracle that does not come from the loader's
code: the counts and ranges that ``assets/*/README.md`` states, or the documentation text
(``DESCR``) that scikit-learn ships with its data sets.
"""
from __future__ import annotations

import copy

import numpy as np
from broken_protocols import (
    BAD_LOSSES,
    BROKEN,
    GRAD_LISTS,
    Answer,
    BareLoss,
    Broken,
    Constant,
    G,
    GradientOnly,
    NoCallLoss,
    NoCallSchedule,
    NoUpdate,
    PenaltyOnly,
    Quadratic,
    Schedule,
    caught,
    divergence,
    epoch_means,
    mean_loss_answer,
    mean_loss_run,
    norm_by_hand,
    params_for,
    regularised_fit,
    same_as_l2,
    same_number,
    stats_history,
    supervised_loss,
    two_epochs,
)
from documented_data import (
    QUESTION,
    breast_cancer_as_documented,
    census_as_documented,
    corpus_as_documented,
    date_data,
    gpl_as_documented,
    iris_as_documented,
    load_dates,
    loader_targets,
    report,
    small_vectors,
    source_vocabulary_covers,
    split_as_documented,
    target_vocabulary_is_iso,
    topics_as_documented,
    unknown_word,
)
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
    check_weights,
    clip_gradients,
    fit,
    train_loop,
)

TARGETS: list[Target] = [
    # the Trainable protocol and the loop's helpers
    Target("callbacks.Trainable: train.train_loop(trainable=...)",
           lambda v: train_loop(v, lambda e: [None], "adam", 2),
           ("trainable", "Trainable", "params", "loss_and_grads", "loss", "grads", "gradient",
            "gradients"), BROKEN,                    # "ok": one Adam step of lr 0.001 by hand
           lambda v, h: getattr(v, "how", "") == "ok"
           and np.allclose(h["batch_loss"], [2.0, 2 * 0.999 ** 2], rtol=1e-6, atol=0)),
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
           lambda v: stats_history(v),
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
           lambda v: mean_loss_answer(copy.deepcopy(v)),
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
    Target("train.check_weights(names, params=..., step)",
           lambda v: check_weights(["w", "b"], v, 3), ("params",),
           st.sampled_from([[G, np.ones(2)], [G, np.array([np.nan, 1.0])],
                            [np.array([np.inf, 0.0]), np.ones(2)], [G, np.full(2, -np.inf)],
                            [np.float32([1.0, 2.0]), np.float32([np.nan, 0.0])],
                            "ab", None, G, [G], [G, None], [G, "b"], (G, np.ones(2))]),
           lambda v, out: out is None and isinstance(v, (list, tuple)) and len(v) == 2
           and all(np.isfinite(p).all() for p in v)),
    Target("optim.Optimizer subclass: train_loop(optimizer=..., epochs=1)",
           lambda v: train_loop(Params(), lambda e: [None], v, 1),
           ("params", "update"),
           st.sampled_from([np.array([np.nan, 0.0]), np.array([0.0, np.inf]),
                            np.full(2, -0.1)]).map(Constant),
           lambda v, h: np.array_equal(v.update_value, [-0.1, -0.1])
           and h["batch_loss"] == [2.0]),
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
                     st.sampled_from([np.ones(3), None, "0.1", np.array([np.nan, 0.0]),
                                      np.full(2, -0.1)]).map(Constant)),
           lambda v, h: isinstance(v, Constant) and np.array_equal(v.update_value, [-0.1, -0.1])
           and np.allclose(h["batch_loss"], [2.0, 2 * 0.9 ** 2], rtol=1e-12, atol=0)),
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
    Target("dates.load_dates(n_dev=...) -> DateData", load_dates, ("n_dev",),
           st.one_of(st.just(0), BAD_COUNT), date_data),
    Target("word_vectors.UnknownWordError <- wv.id(word=...)",
           lambda v: caught(lambda: small_vectors().id(v), word_vectors.UnknownWordError),
           ("word",),
           st.one_of(st.text(min_size=1, max_size=6).filter(lambda w: w not in small_vectors()),
                     st.sampled_from(["King", "kingg", "quen", " man"]), st.none(),
                     st.integers()), unknown_word),
    Target("word_vectors.evaluate_analogies(wv, sections=...) -> AnalogyReport",
           lambda v: word_vectors.evaluate_analogies(small_vectors(), v),
           ("sections", "AnalogyReport"),
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
           st.one_of(st.just("a"), st.text(max_size=3), st.none(), st.integers(),
                     st.just(["a"])), lambda v, out: v == "a" and out == 1.0),
]
TARGETS += DATA_TARGETS

(test_target_ids_are_distinct,
 test_wrong_value_gets_a_clear_error_or_a_correct_result) = target_tests(TARGETS)
