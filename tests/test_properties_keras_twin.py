"""Property-based wrong calls (issue 23) over ``companion.keras_twin``: every public function of
every module, one argument at a time, with the rules of ``test_properties.py`` (see
``property_checks.py``). Marked ``keras`` (they import Keras) and kept fast: few examples, small
models, and the checks raise before a Keras model is built wherever they can.
``test_every_public_name_is_covered`` fails when a module gains a public name that no target
calls (or that ``EXEMPT`` does not list with a reason).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from property_checks import (
    BAD_FLAG,
    SCALAR_JUNK,
    SETTINGS,
    Odd,
    Target,
    assert_clear_or_correct,
    bad_arrays,
    public_names,
    rng,
)

import companion.keras_twin
from companion import keras_twin as kt
from companion.nn import Dense, Embedding, Sequential, optim
from companion.nn.layers.attention import BahdanauAttention
from companion.nn.layers.transformer import TransformerBlock

pytestmark = pytest.mark.keras
FEW = settings(SETTINGS, max_examples=6)
X = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
Y = np.array([[0.0], [1.0], [1.0], [0.0]])
BAD_MODEL = st.one_of(st.none(), st.text(max_size=3), st.just(Odd()), st.integers())
BAD_DTYPE = st.one_of(st.none(), st.sampled_from(["int32", "bool", "abc", 3, "<U1"]))
BAD_TOL = st.one_of(SCALAR_JUNK, st.sampled_from([0, -1e-5, float("nan")]))

EXEMPT = {
    "core.import_keras": "takes no argument",
    "core.backend": "takes no argument",
    "core.device": "takes no argument",
}


def model():
    return Sequential([Dense(3, "tanh"), Dense(1, "sigmoid")], input_shape=(2,), seed=0)


_TWIN: dict = {}


def kmodel():
    """One twin for the whole module (building one costs a second)."""
    if "k" not in _TWIN:
        _TWIN["k"] = kt.twin(model())
    return _TWIN["k"]


def embedding():
    layer = Embedding(5, 2)
    layer.build((3,), rng())
    return layer


def block():
    b = TransformerBlock(4, 1, 4)
    b.build((None, 4), rng())
    return b


def bahdanau():
    layer = BahdanauAttention(2)
    layer.build(((None, 3), (None, 3)), rng())
    return layer


def compare_answer(call):
    """``compare`` answers a failed comparison with AssertionError: that is its verdict."""
    try:
        return call()
    except AssertionError:
        return "differs"


TARGETS: list[Target] = [
    # registry
    Target("registry.register(classes=...)", lambda v: kt.register(v)(lambda layer, keras: None),
           ("register",), st.one_of(BAD_MODEL, st.just("Dense"))),
    Target("registry.keras_layer(layer=...)", lambda v: kt.keras_layer(v), ("layer",), BAD_MODEL),
    Target("registry.build_layer(layer, keras=...)",
           lambda v: kt.build_layer(Dense(2), v), ("keras",), BAD_MODEL),
    Target("registry.regularizer(reg=...)", lambda v: kt.regularizer(v, kt.import_keras()),
           ("regulariser", "reg"), st.one_of(st.text(min_size=1, max_size=3), st.integers(),
                                             st.just(Odd()), st.just(0.01))),
    Target("registry.twin(model=...)", lambda v: kt.twin(v), ("model", "twin"),
           st.one_of(BAD_MODEL, st.just(Sequential([Dense(2)])))),
    Target("registry.twin(model, dtype=...)", lambda v: kt.twin(model(), v), ("dtype",),
           BAD_DTYPE),
    Target("registry.layer_twin(layer=...)", lambda v: kt.layer_twin(v), ("layer",),
           st.one_of(BAD_MODEL, st.just(Dense(2)))),
    Target("registry.layer_twin(layer, input_dtype=...)",
           lambda v: kt.layer_twin(embedding(), v), ("input_dtype",),
           st.one_of(st.none(), st.sampled_from(["bool", "abc", 3, "<U1"]))),
    Target("registry.copy_weights(model, kmodel=...)",
           lambda v: kt.copy_weights(model(), v), ("kmodel", "copy_weights"), BAD_MODEL),
    Target("registry.check_dtype(dtype=...)", lambda v: kt.registry.check_dtype(v, "f", "dtype"),
           ("dtype",), BAD_DTYPE),
    # grads
    Target("grads.gradients(kmodel=...)",
           lambda v: kt.gradients(v, X, lambda out: out.sum()), ("kmodel",), BAD_MODEL),
    Target("grads.gradients(kmodel, x=...)",
           lambda v: kt.gradients(kmodel(), v, lambda out: out.sum()), ("x",),
           st.one_of(st.none(), st.just(Odd()), st.text(max_size=3), st.just(np.ones((4, 3))),
                     st.just(np.ones(2)), st.just(np.full((4, 2), "a")))),
    Target("grads.gradients(kmodel, x, scalar_fn=...)",
           lambda v: kt.gradients(kmodel(), X, v), ("scalar_fn",), BAD_MODEL),
    Target("grads.gradients(kmodel, x, scalar_fn, training=...)",
           lambda v: kt.gradients(kmodel(), X, lambda out: out.sum(), training=v),
           ("training",), BAD_FLAG),
    Target("grads.check_kmodel(kmodel=...)", lambda v: kt.grads.check_kmodel(v), ("kmodel",),
           st.one_of(BAD_MODEL, st.just(model()))),
    Target("grads.loss_gradients(kmodel, x, y=...)",
           lambda v: kt.loss_gradients(kmodel(), X, v, "binary_crossentropy"), ("y",),
           st.one_of(st.none(), st.text(max_size=2), st.just(np.ones((3, 1))),
                     st.just(np.float64(1.0)), st.just(Odd()))),
    Target("grads.loss_gradients(kmodel, x, y, loss=...)",
           lambda v: kt.loss_gradients(kmodel(), X, Y, v), ("loss",),
           st.one_of(st.none(), st.text(min_size=1, max_size=4), st.integers())),
    Target("grads.backward(kmodel, x, dout=...)",
           lambda v: kt.backward(kmodel(), X, v), ("dout",), bad_arrays((4, 1)),
           lambda v, out: not np.isfinite(np.asarray(v, float)).all()),   # NaN in, NaN out
    Target("grads.embedding_gradients(layer, ids=..., dout)",
           lambda v: kt.embedding_gradients(embedding(), v, np.ones((2, 3, 2))), ("ids",),
           st.one_of(st.none(), st.just(np.full((2, 3), 0.5)), st.text(max_size=2),
                     st.just(np.ones((2, 4), int)))),
    Target("grads.embedding_gradients(layer=..., ids, dout)",
           lambda v: kt.embedding_gradients(v, np.zeros((2, 3), int), np.ones((2, 3, 2))),
           ("layer",), st.one_of(BAD_MODEL, st.just(Embedding(5, 2)))),
    Target("grads.apply_gradients(optimizer, kmodel, grads=...)",
           lambda v: kt.apply_gradients(kt.keras_optimizer(optim.SGD(0.1), kt.import_keras()),
                                        kt.twin(model()), v), ("grads", "apply_gradients"),
           st.one_of(st.just([np.full((2, 3), np.nan), np.zeros(3), np.zeros((3, 1)),
                              np.zeros(1)]),
                     st.just([np.zeros((3, 2)), np.zeros(3), np.zeros((3, 1)), np.zeros(1)]),
                     st.just([np.zeros((2, 3))]), st.just([None] * 4))),
    Target("grads.compare(name, ours=..., theirs)",
           lambda v: compare_answer(lambda: kt.compare("x", v, np.ones((2, 3)), quiet=True)),
           ("ours", "x"), bad_arrays((2, 3)),
           lambda v, out: out == "differs"),          # NaN or inf never passes a comparison
    Target("grads.compare(name, ours, theirs, tol=...)",
           lambda v: kt.compare("x", np.ones(2), np.ones(2), tol=v, quiet=True), ("tol",),
           BAD_TOL),
    # lockstep
    Target("lockstep.train_in_lockstep(model, optimizer, batches=...)",
           lambda v: kt.train_in_lockstep(model(), "sgd", v, "binary_crossentropy", 1e-4),
           ("batches",), st.one_of(st.just((X, Y)), st.just([]), st.none(), st.just([X]))),
    Target("lockstep.train_in_lockstep(model, optimizer, batches, loss, tol=...)",
           lambda v: kt.train_in_lockstep(model(), "sgd", [(X, Y)], "binary_crossentropy", v),
           ("tol",), BAD_TOL),
    # optimizers
    Target("optimizers.keras_optimizer(opt=...)",
           lambda v: kt.keras_optimizer(v, kt.import_keras()), ("optimizer", "opt"),
           st.one_of(st.none(), st.text(min_size=1, max_size=3), st.just(Odd()),
                     st.just(optim.ProximalL1()))),
    Target("optimizers.keras_schedule(schedule=...)",
           lambda v: kt.keras_schedule(v, kt.import_keras()), ("schedule", "keras_schedule"),
           st.one_of(st.none(), st.just(0.1), st.just(lambda step: 0.1), st.just(Odd()))),
    # attention
    Target("attention.block_twin(block=...)", lambda v: kt.block_twin(v, 3), ("block",),
           st.one_of(BAD_MODEL, st.just(TransformerBlock(4, 1, 4)))),
    Target("attention.block_twin(block, T, causal=...)",
           lambda v: kt.block_twin(block(), 3, causal=v), ("causal",), BAD_FLAG),
    Target("attention.block_twin(block, T=...)", lambda v: kt.block_twin(block(), v), ("T",),
           st.one_of(st.none(), st.just(0), st.just(2.5), st.text(max_size=2))),
    Target("attention.bahdanau_twin(layer=...)", lambda v: kt.bahdanau_twin(v, 2, 3),
           ("layer",), st.one_of(BAD_MODEL, st.just(BahdanauAttention(2)), st.just(Dense(2)))),
    Target("attention.bahdanau_twin(layer, Tq=...)",
           lambda v: kt.bahdanau_twin(bahdanau(), v, 3), ("Tq",),
           st.one_of(st.none(), st.just(0), st.just(2.5), st.text(max_size=2))),
    Target("attentive_gru.attentive_gru_twin(gru, att, score=...)",
           lambda v: kt.attentive_gru_twin(_gru(), {}, v, 2, 3, 4), ("score",),
           st.one_of(st.none(), st.just("cosine"), st.integers(), st.just(["dot"]))),
    Target("attentive_gru.attentive_gru_twin(gru=...)",
           lambda v: kt.attentive_gru_twin(v, {}, "dot", 2, 3, 4), ("gru",),
           st.one_of(BAD_MODEL, st.just({"kernel": np.zeros((5, 6))}))),
    Target("attentive_gru.attentive_gru_twin(gru, att, score, T=...)",
           lambda v: kt.attentive_gru_twin(_gru(), {}, "dot", v, 3, 4), ("T",),
           st.one_of(st.none(), st.just(0), st.just(2.5), st.text(max_size=2))),
]


def _gru():
    """A 2-unit GRU reading [x (3) ; context (2)] (float32, Keras' reset_after layout)."""
    r = np.random.default_rng(0).standard_normal
    return {"kernel": r((5, 6)).astype("f4"), "recurrent_kernel": r((2, 6)).astype("f4"),
            "bias": r((2, 6)).astype("f4")}


def test_every_public_name_is_covered():
    covered = {".".join(t.id.split("(")[0].split(".")[:2]) for t in TARGETS}
    names = public_names(companion.keras_twin)
    assert len(names) > 20
    missing = [n for n in names if n not in covered and n not in EXEMPT]
    assert not missing, f"public names of companion.keras_twin with no property target: {missing}"
    assert not [n for n in EXEMPT if n in covered or n not in names]


def test_target_ids_are_distinct():
    ids = [t.id for t in TARGETS]
    assert len(ids) == len(set(ids))


def test_registering_a_wrong_class_leaves_the_registry_as_it_was():
    before = dict(kt.TWINS)
    with pytest.raises(TypeError, match="register: expected layer classes"):
        kt.register("Dense")
    assert kt.TWINS == before


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
@FEW
@given(data=st.data())
def test_wrong_value_gets_a_clear_error_or_a_correct_result(keras, target: Target, data):
    value = data.draw(target.values, label=target.id)
    correct = None if target.correct is None else (lambda out: target.correct(value, out))
    assert_clear_or_correct(lambda: target.call(value), target.names, correct)
