"""Every Layer subclass of the package keeps the whole layer protocol (issue 22).

The test walks ``Layer.__subclasses__()`` after importing every module of the package, so a new
layer without an entry in ``CASES`` fails here until it is given one. For each layer:
build -> output shape; forward/backward shapes; ``params``/``grads`` dicts with the same names
and shapes, ``state`` for weights without a gradient; ``get_weights``/``set_weights`` round trip
in place; float32 end to end; a float64 gradient check; the Keras twin's forward pass where one
is registered.
"""
import importlib
import pkgutil

import numpy as np
import pytest

import companion
from companion import keras_twin
from companion.nn import layers as L
from companion.nn.gradcheck import layer_gradient_errors
from companion.nn.layers.base import Layer
from companion.nn.model import Sequential

for _m in pkgutil.walk_packages(companion.__path__, "companion."):
    if not _m.name.startswith("companion.keras_twin"):
        importlib.import_module(_m.name)

ABSTRACT = {"Block", "_Pool2D", "RecurrentBase", "_Model"}
# layers with several inputs (query, value, mask) have their own protocol tests; the transformer
# models (ids in, trained through loss_and_grads) are tested in tests/test_transformer.py
MULTI_INPUT = {"BahdanauAttention", "MultiHeadAttention", "DecoderBlock", "TransformerLM",
               "TransformerTranslator", "LuongAttention", "_LearnersAttention"}


def _ids(rng, shape, high):
    return rng.integers(0, high, shape)


# name -> (factory(dtype), input shape without the batch axis, input maker or None)
CASES = {
    "Dense": (lambda dt: L.Dense(3, "tanh", dtype=dt), (4,), None),
    "Activation": (lambda dt: L.Activation("sigmoid", dtype=dt), (3, 2), None),
    "Dropout": (lambda dt: L.Dropout(0.0, dtype=dt), (5,), None),
    "BatchNormalization": (lambda dt: L.BatchNormalization(dtype=dt), (3,), None),
    "LayerNormalization": (lambda dt: L.LayerNormalization(dtype=dt), (2, 4), None),
    "Embedding": (lambda dt: L.Embedding(7, 3, dtype=dt), (4,), lambda rng, s: _ids(rng, s, 7)),
    "Conv2D": (lambda dt: L.Conv2D(2, 3, strides=2, padding="same", dtype=dt), (5, 5, 2), None),
    "MaxPooling2D": (lambda dt: L.MaxPooling2D(2, dtype=dt), (4, 4, 2), None),
    "AveragePooling2D": (lambda dt: L.AveragePooling2D(2, dtype=dt), (4, 4, 2), None),
    "Flatten": (lambda dt: L.Flatten(dtype=dt), (2, 3, 2), None),
    "SimpleRNN": (lambda dt: L.SimpleRNN(3, return_sequences=True, dtype=dt), (4, 2), None),
    "GRU": (lambda dt: L.GRU(3, dtype=dt), (4, 2), None),
    "LSTM": (lambda dt: L.LSTM(3, return_sequences=True, dtype=dt), (4, 2), None),
    "Bidirectional": (lambda dt: L.Bidirectional(L.GRU(2, return_sequences=True), dtype=dt),
                      (3, 2), None),
    "ResidualBlock": (lambda dt: L.ResidualBlock(2, dtype=dt), (4, 4, 2), None),
    "PlainBlock": (lambda dt: L.PlainBlock(2, dtype=dt), (4, 4, 2), None),
    "InceptionModule": (lambda dt: L.InceptionModule(1, (1, 2), (1, 1), 1, dtype=dt),
                        (4, 4, 2), None),
    "TransformerBlock": (lambda dt: L.TransformerBlock(4, 2, 6, dtype=dt), (3, 4), None),
    "PositionalEmbedding": (lambda dt: L.PositionalEmbedding(7, 4, max_len=8, dtype=dt), (5,),
                            lambda rng, s: _ids(rng, s, 7)),
    "Sequential": (lambda dt: Sequential([L.Dense(3, "relu"), L.BatchNormalization(),
                                          L.Dense(2)], dtype=dt), (4,), None),
}


def all_layers():
    def subs(cls):
        for s in cls.__subclasses__():
            yield s
            yield from subs(s)
    # private subclasses (a capstone's layer running the learner's functions) are not the
    # library's; they inherit its protocol
    return sorted({c.__name__ for c in subs(Layer) if c.__module__.startswith("companion.")
                   and not c.__name__.startswith("_")})


def test_every_layer_has_a_case():
    missing = [n for n in all_layers() if n not in CASES and n not in ABSTRACT | MULTI_INPUT]
    assert not missing, f"add {missing} to CASES: every layer must keep the protocol"


def make(name, dtype="float64", seed=0):
    factory, shape, maker = CASES[name]
    rng = np.random.default_rng(seed)
    layer = factory(dtype)
    out_shape = layer.build(shape, rng)
    x = maker(rng, (2, *shape)) if maker else rng.standard_normal((2, *shape))
    if x.dtype.kind == "f":
        x = x.astype(dtype)
    for p in layer.weights().values():           # away from zero biases / unit statistics
        p[...] = p + 0.1 * rng.standard_normal(p.shape).astype(p.dtype)
    if "moving_variance" in layer.weights():
        for k, p in layer.weights().items():
            if k.endswith("moving_variance"):
                p[...] = np.abs(p) + 0.5
    return layer, shape, out_shape, x


@pytest.mark.parametrize("name", sorted(CASES))
def test_build_forward_backward_and_the_dicts(name):
    layer, shape, out_shape, x = make(name)
    assert layer.input_shape == tuple(shape) and layer.output_shape == tuple(out_shape)
    assert all(isinstance(d, dict) for d in (layer.params, layer.grads, layer.state))
    out = layer.forward(x, training=True)
    assert out.shape == (2, *out_shape)
    dx = layer.backward(np.ones_like(out))
    if x.dtype.kind == "f":
        assert dx.shape == x.shape
    assert list(layer.grads) == list(layer.params) or set(layer.grads) == set(layer.params)
    for k, p in layer.params.items():
        assert layer.grads[k].shape == p.shape, k
    assert not set(layer.params) & set(layer.state)
    assert layer.count_params() == sum(p.size for p in layer.weights().values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_weights_round_trip_in_place(name):
    layer, *_ = make(name)
    arrays = list(layer.weights().values())
    new = [w + 1.0 for w in layer.get_weights()]
    layer.set_weights(new)
    for old, got, want in zip(arrays, layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    assert all(a is b for a, b in zip(arrays, layer.weights().values()))   # same arrays
    with pytest.raises(ValueError, match="set_weights expected"):
        layer.set_weights(new[:-1] if new else [np.zeros(1)])


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_end_to_end(name):
    layer, _, _, x = make(name, "float32")
    assert all(p.dtype == np.float32 for p in layer.weights().values())
    out = layer.forward(x, training=True)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == np.float32
    assert x.dtype.kind != "f" or dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


@pytest.mark.parametrize("name", sorted(set(CASES) - {"MaxPooling2D"}))
def test_gradient_check(name):
    layer, _, _, x = make(name)
    errors = layer_gradient_errors(layer, x, training=False)
    if x.dtype.kind != "f":
        errors.pop("x", None)
    if name == "TransformerBlock":   # the key bias adds q.b to every score of a row: its
        errors.pop("attention.key_bias")               # gradient is 0 (rounding on both sides)
        assert np.abs(layer.grads["attention.key_bias"]).max() < 1e-12
    assert errors and max(errors.values()) < 1e-6, errors


def test_gradient_check_max_pooling_away_from_ties():
    layer, _, _, x = make("MaxPooling2D")
    x = np.arange(x.size, dtype=float).reshape(x.shape) / x.size    # no two equal values
    errors = layer_gradient_errors(layer, x)
    assert errors["x"] < 1e-6


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_twin_computes_the_same_forward_pass(name, keras):
    layer, shape, _, x = make(name, "float32")
    try:
        kmodel = keras_twin.layer_twin(layer, "float32" if x.dtype.kind == "f" else "int32")
    except TypeError as exc:
        pytest.skip(str(exc))
    ours = layer.forward(x, training=False)
    theirs = keras.ops.convert_to_numpy(kmodel(x, training=False))
    keras_twin.compare(name, ours, theirs, 1e-5, quiet=True)
