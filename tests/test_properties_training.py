"""Property-based wrong calls (issue 23) over what ``test_properties.py`` leaves out of
``companion.nn``: the training loop and ``fit``, the optimisers and schedules, callbacks,
``Sequential``, the attention layers and the transformer's blocks, the regularisers and the
activations a chapter shows. The rules are those of ``test_properties.py``
(see ``property_checks.py``).

``test_properties_coverage.py`` checks that every public name of ``nn`` and ``data`` has a
target here or in the other property files (or is listed as not covered yet).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from property_checks import (
    BAD_COUNT,
    BAD_FLAG,
    BAD_NUMBER,
    BAD_RATE,
    SCALAR_JUNK,
    Odd,
    Target,
    bad_arrays,
    built,
    rng,
    target_tests,
)

from companion.nn import (
    Dense,
    EarlyStopping,
    Sequential,
    activations,
    gradcheck,
    initializers,
    losses,
    metrics,
    optim,
    regularizers,
    validation,
)
from companion.nn.callbacks import (
    EpochMetric,
    ProgressBar,
    check_callbacks,
    restore,
    snapshot,
)
from companion.nn.layers import attentive_gru
from companion.nn.layers.attention import (
    BahdanauAttention,
    MultiHeadAttention,
    causal_mask,
    padding_mask,
)
from companion.nn.layers.layer_norm import LayerNormalization
from companion.nn.layers.luong import LuongAttention
from companion.nn.layers.transformer import (
    DecoderBlock,
    PositionalEmbedding,
    TransformerBlock,
    positional_encoding,
)
from companion.nn.train import (
    check_batch_size,
    clip_by_global_norm,
    clip_by_value,
    evaluate,
    fit,
    minibatches,
    seeded,
    train_loop,
)

XY = np.random.default_rng(0).standard_normal((8, 2)), np.tile([[0.0], [1.0]], (4, 1))
Q = np.random.default_rng(1).standard_normal((2, 3, 4))
BAD_GRADS = st.one_of(st.just([np.array([np.nan, 1.0])]), st.just([np.array([np.inf, 0.0])]),
                      st.just([np.ones(3)]), st.just([np.array(["a", "b"])]), st.just([None]))


def model():
    return Sequential([Dense(3, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)


def quick_fit(**kw):
    args = {"epochs": 1, "seed": 0}
    args.update(kw)
    return fit(model(), XY[0], XY[1], "binary_crossentropy", "sgd", **args)


class Params:
    """A Trainable with one parameter and a fixed gradient."""
    def __init__(self):
        self.w = np.ones(2)

    @property
    def params(self):
        return {"w": self.w}

    def loss_and_grads(self, batch):
        return float(self.w @ self.w), {"w": 2 * self.w}


def mha():
    return built(MultiHeadAttention(2, 2), (3, 4))


def bahdanau():
    layer = BahdanauAttention(2)
    layer.build(((None, 4), (None, 4)), rng())
    return layer


def _initialise(name):
    return lambda v: initializers.get(name)(v, rng())


def _activation(name):
    return lambda v: getattr(activations, name)(v)


def adam_update(grads):
    opt = optim.Adam()
    return opt.update(grads, opt.init([np.zeros(2)]))


def _attentive_gru_args():
    """x (2, 3, 2), s0 (2, 3), H (2, 4, 3), no mask, a GRU of 3 units reading [x ; context]."""
    r = np.random.default_rng(0).standard_normal
    gru = {"kernel": r((5, 9)), "recurrent_kernel": r((3, 9)), "bias": r((2, 9))}
    return r((2, 3, 2)), r((2, 3)), r((2, 4, 3)), None, gru, {}


TARGETS: list[Target] = [
    # chapter 17's decoder that attends before its step: the score's name and the gradients
    Target("attentive_gru.attend(score=...)",
           lambda v: attentive_gru.attend(v, np.zeros((2, 3)), np.zeros((2, 4, 3)), {}),
           ("score",), st.one_of(st.text(max_size=6), st.none(), st.integers(), st.just(["dot"]))),
    Target("attentive_gru.attentive_gru_forward(score=...)",
           lambda v: attentive_gru.attentive_gru_forward(*_attentive_gru_args(), score=v),
           ("score",), st.one_of(st.text(max_size=6), st.none(), st.integers(), st.just(["dot"]))),
    Target("attentive_gru.attentive_gru_backward(dout=...)",
           lambda v: attentive_gru.attentive_gru_backward(v, attentive_gru.attentive_gru_forward(
               *_attentive_gru_args(), score="dot")[1]), ("dout",),
           st.one_of(st.none(), st.just(np.ones((2, 3, 3))), st.just([np.ones((2, 3, 3))] * 2),
                     st.just((np.ones((2, 3, 3)), np.ones((2, 3, 3)), np.ones((2, 3, 4)))))),
    # activations shown in the chapters
    Target("activations.sign(z=...)", lambda v: activations.sign(v), ("z",), bad_arrays((2, 3)),
           lambda v, out: np.shape(out) == np.shape(v) and np.isfinite(v).all()),
    Target("activations.log_softmax(z=...)", lambda v: activations.log_softmax(v), ("z",),
           bad_arrays((2, 3)), lambda v, out: np.shape(out) == np.shape(v)),
    Target("activations.sample_from_logits(logits, temperature=...)",
           lambda v: activations.sample_from_logits(np.zeros((2, 3)), v, rng()),
           ("temperature",), st.one_of(SCALAR_JUNK, st.sampled_from([-1.0, float("nan")]))),
    # optimisers and schedules
    Target("optim.SGD.update(grads=...) then apply_updates",
           lambda v: optim.apply_updates([np.zeros(2)], optim.SGD().update(v, {"step": 0})[0]),
           ("gradient", "update"), BAD_GRADS),
    Target("optim.Adagrad.update(grads=...)",
           lambda v: optim.Adagrad().update(v, optim.Adagrad().init([np.zeros(2)])),
           ("gradient",), BAD_GRADS),
    Target("optim.RMSprop.update(grads=...)",
           lambda v: optim.RMSprop().update(v, optim.RMSprop().init([np.zeros(2)])),
           ("gradient",), BAD_GRADS),
    Target("optim.Adam.update(grads=...)", lambda v: adam_update(v), ("gradient",), BAD_GRADS),
    Target("optim.Adam(learning_rate=...)", lambda v: optim.Adam(v), ("learning_rate",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -0.1]))),
    Target("optim.SGD(momentum=...)", lambda v: optim.SGD(momentum=v), ("momentum",), BAD_RATE),
    Target("optim.SGD(nesterov=...)", lambda v: optim.SGD(nesterov=v), ("nesterov",), BAD_FLAG),
    Target("optim.ProximalL1.update(grads=...)",
           lambda v: optim.ProximalL1().update(v, {"step": 0}, [np.zeros(2)]), ("gradient",),
           BAD_GRADS),
    Target("optim.apply_updates(params, updates=...)",
           lambda v: optim.apply_updates([np.zeros(2)], v), ("update", "apply_updates"),
           st.one_of(st.just([np.ones(3)]), st.just([]), st.just([np.ones((2, 1))]))),
    Target("optim.Stateful.step(params, grads=...)",
           lambda v: optim.Stateful(optim.Adam()).step([np.zeros(2)], v), ("gradient",),
           BAD_GRADS),
    Target("optim.ExponentialDecay(decay_steps=...)",
           lambda v: optim.ExponentialDecay(0.1, v, 0.5), ("decay_steps",), BAD_COUNT,
           lambda v, out: v == 2.5),                      # a fractional step count is fine
    Target("optim.InverseTimeDecay(decay_rate=...)",
           lambda v: optim.InverseTimeDecay(0.1, 10, v), ("decay_rate",),
           st.one_of(BAD_NUMBER, st.just(-1.0))),
    Target("optim.PiecewiseConstantDecay(boundaries=...)",
           lambda v: optim.PiecewiseConstantDecay(v, [1.0, 0.5]), ("boundaries",),
           st.one_of(st.just([5, 5]), st.just("5"), st.none(), st.just([-1]))),
    Target("optim.per_epoch_decay(steps_per_epoch=...)",
           lambda v: optim.per_epoch_decay(0.1, 1.0, v), ("steps_per_epoch",), BAD_COUNT),
    Target("optim.InverseSqrtSchedule(warmup_steps=...)",
           lambda v: optim.InverseSqrtSchedule(16, v), ("warmup_steps",), BAD_COUNT,
           lambda v, out: v == 2.5),
    Target("optim.CosineDecay(decay_steps=...)", lambda v: optim.CosineDecay(0.1, v),
           ("decay_steps",), BAD_COUNT, lambda v, out: v == 2.5),
    Target("optim.get(opt=...)", lambda v: optim.get(v), ("optimizer",),
           st.one_of(st.none(), st.text(max_size=4), st.integers(), st.just(Odd()))),
    # the training loop, fit, callbacks
    Target("train.fit(x=...)", lambda v: fit(model(), v, XY[1], "binary_crossentropy", "sgd",
                                             epochs=1, seed=0), ("x",), bad_arrays((8, 2))),
    Target("train.fit(epochs=...)", lambda v: quick_fit(epochs=v), ("epochs",), BAD_COUNT),
    Target("train.fit(batch_size=...)", lambda v: quick_fit(batch_size=v), ("batch_size",),
           BAD_COUNT.filter(lambda v: v is not None)),
    Target("train.fit(shuffle=...)", lambda v: quick_fit(shuffle=v), ("shuffle",), BAD_FLAG),
    Target("train.fit(progress=...)", lambda v: quick_fit(progress=v), ("progress",),
           BAD_FLAG.filter(lambda v: v is not None)),
    Target("train.fit(validation_data=...)", lambda v: quick_fit(validation_data=v),
           ("validation_data",), st.one_of(st.just(XY[0]), st.just((XY[0],)), st.text(max_size=2),
                                           st.just((np.zeros((4, 3)), XY[1][:4])))),
    Target("train.fit(callbacks=...)", lambda v: quick_fit(callbacks=v), ("callbacks",),
           st.one_of(st.just(EarlyStopping()), st.just([print]), st.just([5]),
                     st.just([EarlyStopping]))),
    Target("train.train_loop(trainable, batches=...)",
           lambda v: train_loop(Params(), v, "sgd", 1), ("batches",),
           st.one_of(st.just([None]), st.none(), st.text(max_size=2))),
    Target("train.train_loop(trainable, batches, optimizer, epochs=...)",
           lambda v: train_loop(Params(), lambda e: [None], "sgd", v), ("epochs",), BAD_COUNT),
    Target("train.train_loop(trainable, ..., clipnorm=...)",
           lambda v: train_loop(Params(), lambda e: [None], "sgd", 1, clipnorm=v), ("clipnorm",),
           st.one_of(BAD_NUMBER.filter(lambda v: v is not None), st.sampled_from([0, -1.0]))),
    Target("train.minibatches(n, batch_size=...)", lambda v: list(minibatches(8, v, 0)),
           ("batch_size",), BAD_COUNT.filter(lambda v: v is not None)),
    Target("train.minibatches(n=...)", lambda v: list(minibatches(v, 4, 0)), ("n",), BAD_COUNT),
    Target("train.clip_by_global_norm(grads, max_norm=...)",
           lambda v: clip_by_global_norm([np.ones(2)], v), ("max_norm",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1.0]))),
    Target("train.clip_by_value(grads, clipvalue=...)",
           lambda v: clip_by_value([np.ones(2)], v), ("clipvalue",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1.0]))),
    Target("callbacks.EarlyStopping(patience=...)", lambda v: EarlyStopping(patience=v),
           ("patience",), st.one_of(BAD_COUNT.filter(lambda v: v != 0), st.just(-1))),
    Target("callbacks.EarlyStopping(monitor=...)", lambda v: EarlyStopping(monitor=v),
           ("monitor",), st.one_of(st.none(), st.integers(), st.just(["val_loss"]))),
    Target("callbacks.EarlyStopping(restore_best_weights=...)",
           lambda v: EarlyStopping(restore_best_weights=v), ("restore_best_weights",), BAD_FLAG),
    Target("model.Sequential(layers=...)", lambda v: Sequential(v), ("Sequential", "layers"),
           st.one_of(st.none(), st.just([]), st.just(Dense(2)), st.just(["dense"]),
                     st.text(max_size=3))),
    Target("model.Sequential(layers, input_shape=...)",
           lambda v: Sequential([Dense(2)], input_shape=v, seed=0), ("input_shape",),
           st.one_of(st.text(min_size=1, max_size=3), st.just((0,)), st.just((-1, 2)),
                     st.just((2.5,)), st.just(Odd()))),
    Target("model.Sequential.predict(x=...)", lambda v: model().predict(v), ("x",),
           bad_arrays((4, 2)), lambda v, out: np.shape(v)[1:] == (2,) and out.shape == (
               len(v), 1) and np.isfinite(v).all()),       # another batch size is fine
    # regularisers shown in chapter 4
    Target("regularizers.L1L2(l1=...)", lambda v: regularizers.L1L2(l1=v), ("l1",),
           st.one_of(BAD_NUMBER, st.just(-0.1))),
    Target("regularizers.L1L2()(w=...)", lambda v: regularizers.L1L2(0.1, 0.1)(v), ("w",),
           bad_arrays((2, 3)), lambda v, out: np.isfinite(out) == np.isfinite(v).all()),
    Target("regularizers.soft_threshold(w, threshold=...)",
           lambda v: regularizers.soft_threshold(np.ones(3), v), ("threshold",),
           st.one_of(BAD_NUMBER, st.just(-0.1))),
    Target("regularizers.from_notes_lambda(lam=..., m)",
           lambda v: regularizers.from_notes_lambda(v, 10), ("lam",),
           st.one_of(BAD_NUMBER, st.just(-0.1))),
    # initialisers, metrics, losses, gradient checks, helpers of the loop and the checks
    *[Target(f"initializers.{f}(shape=...)",
             _initialise(f), ("shape",),
             st.one_of(st.none(), st.text(max_size=3), st.just((0, 3)), st.just((2, -1)),
                       st.just((2.5, 3)), st.just(Odd())))
      for f in ("ones", "random_normal", "small_random",
                "standard_normal", "glorot_normal", "he_normal_untruncated", "he_uniform",
                "lecun_normal")],
    Target("initializers.truncated_normal(shape, std=...)",
           lambda v: initializers.truncated_normal((2, 3), v, rng()), ("std",),
           st.one_of(BAD_NUMBER, st.sampled_from([0, -1.0])),
           lambda v, out: v == 0 and not out.any()),          # std 0: zeros, as asked
    Target("initializers.fans(shape=...)", lambda v: initializers.fans(v), ("shape",),
           st.one_of(st.none(), st.text(max_size=3), st.just((0, 3)), st.just((2.5, 3)))),
    Target("metrics.predict_classes(y_pred=...)", lambda v: metrics.predict_classes(v),
           ("y_pred",), bad_arrays((2, 3)),                   # (N,), (N, 1), (N, K), (..., K)
           lambda v, out: np.size(v) > 0 and np.isfinite(v).all() and len(out) == len(v)),
    Target("metrics.mean_spread(values=...)", lambda v: metrics.mean_spread(v), ("values",),
           st.one_of(st.none(), st.just([]), st.just([1.0, np.nan]), st.text(min_size=1, max_size=2)),
           lambda v, out: np.isnan(out).all()),           # a NaN run: NaN, not a number
    Target("losses.PerceptronLoss()(y_true=..., y_pred)",
           lambda v: losses.PerceptronLoss()(v, np.zeros((2, 1))), ("y_true",),
           st.one_of(bad_arrays((2, 1)), st.just(np.array([[0.5], [1.0]])))),
    Target("losses.sequence_crossentropy(p, y=...)",
           lambda v: losses.sequence_crossentropy(np.full((1, 2, 3), 1 / 3), v), ("y",),
           st.one_of(st.just(np.array([[0, 3]])), st.just(np.array([[0.5, 1.0]])),
                     st.just(np.array([0, 1])), st.none())),
    Target("losses.smoothed_sequence_crossentropy(p, y, label_smoothing=...)",
           lambda v: losses.smoothed_sequence_crossentropy(np.full((1, 2, 3), 1 / 3),
                                                           np.array([[0, 1]]), None, v),
           ("label_smoothing",), st.one_of(BAD_NUMBER, st.sampled_from([-0.1, 1.5]))),
    Target("activations.softmax_backward(dout=..., s)",
           lambda v: activations.softmax_backward(v, np.full((2, 3), 1 / 3)), ("dout",),
           bad_arrays((2, 3)),
           lambda v, out: np.shape(v) == (2, 3) and not np.isfinite(v).all()),
    *[Target(f"activations.{f}(z=...)", _activation(f), ("z",), bad_arrays((2, 3)),
             lambda v, out: np.shape(out) == np.shape(v) and bool(
                 np.all(np.isnan(out) == np.isnan(np.asarray(v, float)))))
      for f in ("sigmoid_grad", "tanh_grad", "relu_grad", "linear_grad")],
    Target("gradcheck.layer_gradient_errors(layer=..., x)",
           lambda v: gradcheck.layer_gradient_errors(v, np.ones((2, 3))), ("layer",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=2), st.just(Dense(2)))),
    Target("gradcheck.model_gradient_errors(model, x=..., y, loss)",
           lambda v: gradcheck.model_gradient_errors(model(), v, XY[1], "binary_crossentropy"),
           ("x",), bad_arrays((8, 2))),
    Target("train.check_batch_size(batch_size=...)", lambda v: check_batch_size(v),
           ("batch_size",), BAD_COUNT.filter(lambda v: v is not None)),
    Target("train.seeded(seed=..., rng)", lambda v: seeded(v, rng()), ("seed", "rng"),
           st.one_of(st.integers(0, 3), st.text(max_size=2))),
    Target("train.evaluate(model, x=..., y, loss)",
           lambda v: evaluate(model(), v, XY[1], "binary_crossentropy"), ("x",),
           bad_arrays((8, 2))),
    Target("callbacks.check_callbacks(callbacks=...)", lambda v: check_callbacks(v),
           ("callbacks",), st.one_of(st.just(EarlyStopping()), st.just([print]), st.just([5]),
                                     st.just("early"), st.just([EarlyStopping]))),
    Target("callbacks.restore(model, weights=...)", lambda v: restore(model(), v),
           ("weights", "set_weights"),
           st.one_of(st.just([]), st.just([np.zeros((3, 2))] * 4), st.none(),
                     st.just([np.zeros((2, 3))]))),
    Target("callbacks.snapshot(model=...)", lambda v: snapshot(v), ("model", "Trainable"),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=2))),
    Target("callbacks.EpochMetric(name=..., compute)", lambda v: EpochMetric(v, lambda: 0.0),
           ("name", "EpochMetric"), st.one_of(st.none(), st.integers(), st.just(["val"]))),
    Target("callbacks.ProgressBar(epochs, progress=...)", lambda v: ProgressBar(2, v),
           ("progress",), BAD_FLAG.filter(lambda v: v is not None)),
    Target("validation.check_gradients(grads=...)",
           lambda v: validation.check_gradients(v, [(2,)], "Adam.update", 3), ("gradient", "gradients"),
           st.one_of(BAD_GRADS, st.just([np.ones(2), np.ones(2)]))),
    # attention and the transformer's blocks
    Target("attention.MultiHeadAttention(num_heads=...)",
           lambda v: MultiHeadAttention(v, 2), ("num_heads",), BAD_COUNT),
    Target("attention.MultiHeadAttention.forward(q, attention_mask=...)",
           lambda v: mha().forward(Q, attention_mask=v), ("attention_mask",),
           st.one_of(st.just(np.where(np.tri(3, dtype=bool), 0.0, -np.inf)[None].repeat(2, 0)),
                     st.just(np.ones(3, bool)), st.just(np.full((2, 3), 2)),
                     st.just(np.ones((2, 4), bool)), st.just(np.zeros((2, 3))))),
    Target("attention.MultiHeadAttention.forward(q, use_causal_mask=...)",
           lambda v: mha().forward(Q, use_causal_mask=v), ("use_causal_mask",), BAD_FLAG),
    Target("attention.MultiHeadAttention.forward(q, value=...)",
           lambda v: mha().forward(Q, v), ("value", "query"),
           st.one_of(st.just(Q[:1]), st.just(np.ones((2, 3, 5))), st.just(np.ones((2, 3))))),
    Target("attention.BahdanauAttention.forward(q, keys, mask=...)",
           lambda v: bahdanau().forward(Q, Q, v), ("mask",),
           st.one_of(st.just(np.ones((2, 3, 3), bool)), st.just(np.zeros((2, 3))),
                     st.just(np.full((2, 3), 2)), st.just(np.ones(3, bool)))),
    Target("luong.LuongAttention(score=...)", lambda v: LuongAttention(v), ("score",),
           SCALAR_JUNK),
    Target("attention.padding_mask(lengths=..., T)", lambda v: padding_mask(v, 4), ("lengths",),
           st.one_of(st.just([2, -1]), st.just([2, 9]), st.just([1.5]), st.just("ab"),
                     st.just([[1]]))),
    Target("attention.causal_mask(Tq=...)", lambda v: causal_mask(v), ("Tq", "T"),
           BAD_COUNT),
    Target("layer_norm.LayerNormalization(epsilon=...)", lambda v: LayerNormalization(v),
           ("epsilon",), st.one_of(BAD_NUMBER, st.sampled_from([0, -1e-3]))),
    Target("layer_norm.LayerNormalization.forward(x=...)",
           lambda v: built(LayerNormalization(), (3,)).forward(v), ("x",), bad_arrays((2, 3)),
           lambda v, out: np.shape(v)[1:] == (3,) and np.size(v) > 0
           and (~np.isfinite(out)).any() == (~np.isfinite(v)).any()),
    Target("transformer.positional_encoding(T=..., d)", lambda v: positional_encoding(v, 4),
           ("T",), BAD_COUNT),
    Target("transformer.TransformerBlock(d_model=...)",
           lambda v: TransformerBlock(v, 2, 8), ("d_model",),
           st.one_of(BAD_COUNT, st.just(7))),
    Target("transformer.TransformerBlock.forward(x, causal=...)",
           lambda v: built(TransformerBlock(4, 2, 8), (None, 4)).forward(Q, causal=v),
           ("causal",), BAD_FLAG),
    Target("transformer.TransformerBlock.forward(x, mask=...)",
           lambda v: built(TransformerBlock(4, 2, 8), (None, 4)).forward(Q, mask=v), ("mask",),
           st.one_of(st.just(np.zeros((2, 3))), st.just(np.ones(3, bool)),
                     st.just(np.full((2, 3), 2)))),
    Target("transformer.DecoderBlock.forward(x, context=...)",
           lambda v: built(DecoderBlock(4, 2, 8), (None, 4)).forward(Q, v), ("context",),
           st.one_of(st.none(), st.just(Q[:1]), st.just(np.ones((2, 3, 5))))),
    Target("transformer.PositionalEmbedding(positional=...)",
           lambda v: PositionalEmbedding(5, 4, 8, v), ("positional",), BAD_FLAG),
    Target("transformer.PositionalEmbedding.forward(ids=...)",
           lambda v: built(PositionalEmbedding(5, 4, 8), (None,)).forward(v), ("ids",),
           st.one_of(st.just(np.full((2, 3), 7)), st.just(np.ones((2, 9), int)),
                     st.just(np.ones((2, 3)) / 2), st.none())),
]

(test_target_ids_are_distinct,
 test_wrong_value_gets_a_clear_error_or_a_correct_result) = target_tests(TARGETS)
