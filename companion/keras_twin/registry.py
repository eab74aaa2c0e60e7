"""The registry: each of our layer classes -> a builder of its Keras counterpart, and twins of
whole models with our weights copied in.

``TWINS`` maps our layer class to ``builder(layer, keras) -> Keras layer``; a new layer registers
its builder with ``@register(MyLayer)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from companion.keras_twin.core import import_keras
from companion.nn.layers import (
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
    Flatten,
    InceptionModule,
    MaxPooling2D,
    ResidualBlock,
    SimpleRNN,
)
from companion.nn.model import Sequential

# -- the registry: our layer class -> its Keras counterpart ---------------------------------
Builder = Callable[[Any, Any], Any]          # (our layer, the keras module) -> Keras layer
TWINS: dict[type, Builder] = {}


def register(*classes: type) -> Callable[[Builder], Builder]:
    """Decorator: ``builder(layer, keras)`` builds the Keras twin of these layer classes."""
    for cls in classes:
        if not isinstance(cls, type):
            raise TypeError(f"register: expected layer classes (e.g. register(MyLayer)), got "
                            f"{type(cls).__name__} {cls!r:.40}")
    def decorate(builder: Builder) -> Builder:
        for cls in classes:
            TWINS[cls] = builder
        return builder
    return decorate


def keras_layer(layer):
    """The Keras layer equivalent to one of ours (weights not yet copied).

    Looks the layer's class up in ``TWINS``, then its base classes (a subclass that changes
    nothing Keras sees shares its parent's twin).
    """
    return build_layer(layer, import_keras())


def build_layer(layer, keras):
    """The Keras twin of ``layer`` (weights not copied) from ``keras``, the module
    ``import_keras()`` returns."""
    if not hasattr(keras, "layers"):
        raise TypeError(f"keras: expected the keras module (import_keras()), got "
                        f"{type(keras).__name__} {keras!r:.40}")
    for cls in type(layer).__mro__:
        if cls in TWINS:
            return TWINS[cls](layer, keras)
    raise TypeError(f"layer: no Keras twin known for {type(layer).__name__}: register a builder with "
                    "@keras_twin.register(" + type(layer).__name__ + ") returning the "
                    "equivalent Keras layer")


def regularizer(reg, keras):
    """Our kernel regulariser (None or an ``L1L2``: L1, L2 are L1L2s) as Keras' ``L1L2``."""
    if reg is None:
        return None
    if not (hasattr(reg, "l1") and hasattr(reg, "l2")):
        raise TypeError(f"no Keras twin known for the regulariser {reg!r}: expected None or an "
                        "L1L2 (L1, L2) from companion.nn.regularizers")
    return keras.regularizers.L1L2(l1=float(reg.l1), l2=float(reg.l2))


@register(Dense)
def _dense(layer, keras):
    return keras.layers.Dense(layer.units, activation=layer.activation, use_bias=layer.use_bias,
                              kernel_regularizer=regularizer(layer.kernel_regularizer, keras))


@register(Conv2D)
def _conv2d(layer, keras):
    return keras.layers.Conv2D(layer.filters, layer.kernel_size, strides=layer.strides,
                               padding=layer.padding, activation=layer.activation,
                               use_bias=layer.use_bias,
                               kernel_regularizer=regularizer(layer.kernel_regularizer, keras))


@register(MaxPooling2D, AveragePooling2D)
def _pool(layer, keras):
    cls = keras.layers.MaxPooling2D if isinstance(layer, MaxPooling2D) else \
        keras.layers.AveragePooling2D
    return cls(layer.pool_size, strides=layer.strides, padding=layer.padding)


@register(Flatten)
def _flatten(layer, keras):
    return keras.layers.Flatten()


@register(Activation)
def _activation(layer, keras):
    return keras.layers.Activation(layer.activation)


@register(Dropout)
def _dropout(layer, keras):
    return keras.layers.Dropout(layer.rate, seed=layer.seed)


@register(BatchNormalization)
def _batchnorm(layer, keras):
    return keras.layers.BatchNormalization(momentum=layer.momentum, epsilon=layer.epsilon,
                                           center=layer.center, scale=layer.scale)


@register(Embedding)
def _embedding(layer, keras):
    return keras.layers.Embedding(layer.input_dim, layer.output_dim)


def _recurrent_kwargs(layer) -> dict:
    return {"units": layer.units, "return_sequences": layer.return_sequences,
            "return_state": getattr(layer, "return_state", False),
            "go_backwards": getattr(layer, "go_backwards", False)}


@register(SimpleRNN)
def _simple_rnn(layer, keras):
    return keras.layers.SimpleRNN(activation=layer.activation, **_recurrent_kwargs(layer))


@register(GRU)
def _gru(layer, keras):
    return keras.layers.GRU(reset_after=layer.reset_after, use_bias=layer.use_bias,
                            **_recurrent_kwargs(layer))


@register(LSTM)
def _lstm(layer, keras):
    return keras.layers.LSTM(unit_forget_bias=layer.unit_forget_bias, use_bias=layer.use_bias,
                             **_recurrent_kwargs(layer))


@register(Bidirectional)
def _bidirectional(layer, keras):
    return keras.layers.Bidirectional(build_layer(layer.layer, keras), merge_mode=layer.merge_mode)


@register(Sequential)
def _sequential(model, keras):
    return keras.Sequential([build_layer(layer, keras) for layer in model.layers], name=model.name)


def _functional(block, keras, graph: Callable) -> Any:
    """A block as a functional ``keras.Model``: ``graph(keras, x)`` maps its input to its output."""
    inputs = keras.Input(shape=block.input_shape)
    return keras.Model(inputs, graph(keras, inputs), name=block.name)


@register(ResidualBlock)
def _residual(block, keras):
    """conv1 -> conv2 (+ the shortcut: x or proj(x)) -> activation; PlainBlock has no shortcut."""
    def graph(keras, x):
        y = build_layer(block.conv2, keras)(build_layer(block.conv1, keras)(x))
        if block.residual:
            s = x if block.proj is None else build_layer(block.proj, keras)(x)
            y = keras.layers.Add()([y, s])
        return keras.layers.Activation(block.activation)(y)
    return _functional(block, keras, graph)


@register(InceptionModule)
def _inception(block, keras):
    """Each branch's layers applied in turn, the branches concatenated along the channels."""
    def graph(keras, x):
        outs = []
        for branch in block.branches:
            y = x
            for layer in branch.layers:
                y = build_layer(layer, keras)(y)
            outs.append(y)
        return keras.layers.Concatenate(axis=-1)(outs)
    return _functional(block, keras, graph)


# -- twins with our weights ------------------------------------------------------------------
def check_dtype(dtype, kinds: str, name: str) -> str:
    """A NumPy dtype name of one of ``kinds`` ("f": float, "i": int), e.g. "float32": an int
    input would truncate float data without a word."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dtype is None or dt is None or dt.kind not in kinds:
        want = " or ".join({"f": "a float dtype", "i": "an int dtype"}[k] for k in kinds)
        raise TypeError(f"{name}: expected {want} such as 'float32', got {dtype!r}")
    return dt.name


def twin(model, dtype: str = "float32"):
    """A ``keras.Sequential`` with the same layers and a copy of our weights (cast to dtype)."""
    if not isinstance(model, Sequential) or not model.built:
        raise TypeError(f"twin: expected a built companion Sequential (input_shape= given), got "
                        f"{type(model).__name__} {model!r:.60}; for one layer use layer_twin")
    keras = import_keras()
    inputs = keras.Input(shape=model.input_shape, dtype=check_dtype(dtype, "f", "dtype"))
    kmodel = keras.Sequential([inputs] + [build_layer(layer, keras) for layer in model.layers])
    copy_weights(model, kmodel)
    return kmodel


def layer_twin(layer, input_dtype: str = "float32"):
    """One built layer of ours as a one-layer ``keras.Sequential`` with a copy of its weights.

    Input shape: (N, *layer.input_shape), of ``input_dtype`` ("int32" for word ids).
    """
    if getattr(layer, "input_shape", None) is None:
        raise ValueError(f"layer_twin: layer {layer!r:.60} is not built; call "
                         "build(input_shape, rng) first")
    input_dtype = check_dtype(input_dtype, "fi", "input_dtype")
    keras = import_keras()
    kmodel = keras.Sequential([keras.Input(shape=layer.input_shape, dtype=input_dtype),
                               build_layer(layer, keras)])
    if layer.params:
        kmodel.layers[-1].set_weights(layer.get_weights())
    return kmodel


def copy_weights(model, kmodel) -> None:
    """Copy our weights into the Keras model, layer by layer, in Keras' own order."""
    if not hasattr(kmodel, "layers") or not hasattr(model, "layers"):
        raise TypeError(f"copy_weights(model, kmodel): expected our Sequential and a Keras "
                        f"model, got {type(model).__name__} and {type(kmodel).__name__}")
    klayers = [kl for kl in kmodel.layers if kl.weights]
    ours = [layer for layer in model.layers if layer.params]
    if len(klayers) != len(ours):
        raise ValueError(f"{len(ours)} of our layers have weights but {len(klayers)} Keras "
                         "layers do")
    for layer, kl in zip(ours, klayers):
        kl.set_weights(layer.get_weights())
