"""Keras twins: the same model in Keras 3, filled with our weights, and its gradients.

Keras is imported here, on first use, never at ``import companion`` time; this is the only
module of the package that imports it. Every layer's Keras counterpart comes from one registry,
``TWINS`` (our layer class -> ``builder(layer, keras) -> Keras layer``), Dense included; a new
layer registers its builder with ``@register(MyLayer)``. Only the public Keras 3 API is used
(layers, ops, optimizers, ``Model.stateless_call``) plus one small gradient helper with a
branch per backend, so the cross-checks run under TensorFlow (the default), JAX or PyTorch, on
whatever device that backend sees: set ``KERAS_BACKEND`` before the first import.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

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
    LayerNormalization,
    MaxPooling2D,
    MultiHeadAttention,
    ResidualBlock,
    SimpleRNN,
)
from companion.nn.model import Sequential

_KERAS = None


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence C++ start-up logs (absl/oneDNN/CUDA probes) written straight to file descriptor 2.

    TensorFlow 2.21 prints them before its log level applies; Python exceptions still propagate.
    """
    try:
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:                      # no real stderr (some embedded interpreters)
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    """Import Keras quietly (no TensorFlow start-up chatter) and return the module."""
    global _KERAS
    if _KERAS is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        with warnings.catch_warnings(), _quiet_native_stderr():
            warnings.simplefilter("ignore")
            import keras
            keras.ops.convert_to_numpy(keras.ops.zeros(()))   # device start-up, also quiet
        try:
            import absl.logging
            absl.logging.set_verbosity(absl.logging.ERROR)
        except ImportError:
            pass
        _KERAS = keras
    return _KERAS


def backend() -> str:
    return import_keras().backend.backend()


def device() -> str:
    """Where Keras computes, in words: e.g. 'CPU (tensorflow backend)' or 'GPU:0 (jax backend)'."""
    b = backend()
    name = "CPU"
    try:
        if b == "tensorflow":
            import tensorflow as tf
            gpus = tf.config.list_logical_devices("GPU")
            name = gpus[0].name.replace("/device:", "") if gpus else "CPU"
        elif b == "jax":
            import jax
            d = jax.devices()[0]
            name = f"{d.platform.upper()}:{d.id}" if d.platform != "cpu" else "CPU"
        elif b == "torch":
            import torch
            name = f"GPU:0 ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "CPU"
    except Exception:  # noqa: BLE001, S110 (device discovery must never break a cross-check)
        pass
    return f"{name} ({b} backend)"


# -- the registry: our layer class -> its Keras counterpart ---------------------------------
Builder = Callable[[Any, Any], Any]          # (our layer, the keras module) -> Keras layer
TWINS: dict[type, Builder] = {}


def register(*classes: type) -> Callable[[Builder], Builder]:
    """Decorator: ``builder(layer, keras)`` builds the Keras twin of these layer classes."""
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
    return _build(layer, import_keras())


def _build(layer, keras):
    for cls in type(layer).__mro__:
        if cls in TWINS:
            return TWINS[cls](layer, keras)
    raise TypeError(f"no Keras twin known for {type(layer).__name__}: register a builder with "
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


@register(LayerNormalization)
def _layer_norm(layer, keras):
    return keras.layers.LayerNormalization(epsilon=layer.epsilon)


@register(MultiHeadAttention)
def _multi_head_attention(layer, keras):
    """Called as Keras' layer is: ``mha(query, value, key, attention_mask=...)``."""
    return keras.layers.MultiHeadAttention(layer.num_heads, layer.key_dim)


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
    return keras.layers.Bidirectional(_build(layer.layer, keras), merge_mode=layer.merge_mode)


@register(Sequential)
def _sequential(model, keras):
    return keras.Sequential([_build(layer, keras) for layer in model.layers], name=model.name)


def _functional(block, keras, graph: Callable) -> Any:
    """A block as a functional ``keras.Model``: ``graph(keras, x)`` maps its input to its output."""
    inputs = keras.Input(shape=block.input_shape)
    return keras.Model(inputs, graph(keras, inputs), name=block.name)


@register(ResidualBlock)
def _residual(block, keras):
    """conv1 -> conv2 (+ the shortcut: x or proj(x)) -> activation; PlainBlock has no shortcut."""
    def graph(keras, x):
        y = _build(block.conv2, keras)(_build(block.conv1, keras)(x))
        if block.residual:
            s = x if block.proj is None else _build(block.proj, keras)(x)
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
                y = _build(layer, keras)(y)
            outs.append(y)
        return keras.layers.Concatenate(axis=-1)(outs)
    return _functional(block, keras, graph)


# -- twins with our weights ------------------------------------------------------------------
def twin(model, dtype: str = "float32"):
    """A ``keras.Sequential`` with the same layers and a copy of our weights (cast to dtype)."""
    keras = import_keras()
    inputs = keras.Input(shape=model.input_shape, dtype=dtype)
    kmodel = keras.Sequential([inputs] + [_build(layer, keras) for layer in model.layers])
    copy_weights(model, kmodel)
    return kmodel


def layer_twin(layer, input_dtype: str = "float32"):
    """One built layer of ours as a one-layer ``keras.Sequential`` with a copy of its weights.

    Input shape: (N, *layer.input_shape), of ``input_dtype`` ("int32" for word ids).
    """
    if getattr(layer, "input_shape", None) is None:
        raise ValueError(f"layer_twin: {layer!r} is not built; call build(input_shape, rng) "
                         "first")
    keras = import_keras()
    kmodel = keras.Sequential([keras.Input(shape=layer.input_shape, dtype=input_dtype),
                               _build(layer, keras)])
    if layer.params:
        kmodel.layers[-1].set_weights(layer.get_weights())
    return kmodel


def copy_weights(model, kmodel) -> None:
    """Copy our weights into the Keras model, layer by layer, in Keras' own order."""
    klayers = [kl for kl in kmodel.layers if kl.weights]
    ours = [layer for layer in model.layers if layer.params]
    if len(klayers) != len(ours):
        raise ValueError(f"{len(ours)} of our layers have weights but {len(klayers)} Keras "
                         "layers do")
    for layer, kl in zip(ours, klayers):
        kl.set_weights(layer.get_weights())


# -- gradients: the one backend-specific helper ----------------------------------------------
def _to_numpy(t) -> np.ndarray | None:
    if t is None:
        return None
    if hasattr(t, "detach"):                       # torch: leave the graph, come to the CPU
        t = t.detach().cpu()
    return np.asarray(t)


def _input_dtypes(kmodel, n: int) -> list[str]:
    inputs = getattr(kmodel, "inputs", None) or []
    return [str(getattr(t, "dtype", "float32")) for t in inputs] if len(inputs) == n else \
        ["float32"] * n


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def gradients(kmodel, x, scalar_fn, training: bool = False):
    """Gradient of ``scalar_fn(outputs) + sum(model.losses)`` w.r.t. the input and weights.

    ``scalar_fn`` maps the model's output tensor (or list of tensors) to a scalar using
    ``keras.ops``. Returns ``(value, outputs, dx, dweights)`` as NumPy arrays, with
    ``dweights`` in ``kmodel.trainable_weights`` order. ``x`` may be a list of arrays for a
    functional model with several inputs (e.g. a sequence and an initial state); ``dx`` is
    then the list of their gradients. An integer input (word ids) gets ``None`` as gradient.
    With ``training=True`` the model's state moves as a Keras training step moves it (batch
    normalisation's moving statistics, dropout's seed) under every backend.
    """
    keras = import_keras()
    multi = isinstance(x, (list, tuple))
    xs = [np.asarray(a, dtype=d) for a, d in zip(x if multi else [x],
                                                 _input_dtypes(kmodel, len(x) if multi else 1))]
    pack = (lambda seq: list(seq)) if multi else (lambda seq: seq[0])
    run = {"tensorflow": _grads_tensorflow, "jax": _grads_jax,
           "torch": _grads_torch}.get(keras.backend.backend())
    if run is None:
        raise RuntimeError(f"gradients: unsupported Keras backend {keras.backend.backend()!r}; "
                           "expected tensorflow, jax or torch")
    value, out, dxs, dw = run(keras, kmodel, xs, pack, scalar_fn, training)
    outs = [_to_numpy(o) for o in out] if isinstance(out, (list, tuple)) else _to_numpy(out)
    dx = pack([_to_numpy(g) for g in dxs])
    return float(_to_numpy(value)), outs, dx, [_to_numpy(g) for g in dw]


def _total(keras, scalar_fn, out, losses):
    """scalar_fn(out) plus the layers' regularisation losses."""
    return scalar_fn(out) + (keras.ops.sum(keras.ops.stack(losses)) if losses else 0.0)


def _grads_tensorflow(keras, kmodel, xs, pack, scalar_fn, training):
    import tensorflow as tf
    xts = [tf.convert_to_tensor(a) for a in xs]
    with tf.GradientTape() as tape:
        for xt in xts:
            if _is_float(xt.dtype.as_numpy_dtype):
                tape.watch(xt)
        out = kmodel(pack(xts), training=training)
        value = _total(keras, scalar_fn, out, kmodel.losses)
    grads = tape.gradient(value, xts + list(kmodel.trainable_weights))
    # a gather's gradient comes back as IndexedSlices (the used rows): densify, summing repeats
    grads = [None if g is None else tf.convert_to_tensor(g) for g in grads]
    dxs = [g if _is_float(a.dtype) else None for g, a in zip(grads, xs)]
    return value, out, dxs, grads[len(xts):]


def _grads_jax(keras, kmodel, xs, pack, scalar_fn, training):
    """``stateless_call`` returns the new non-trainable state (moving statistics, seeds): it is
    written back, as a stateful call would, so the twin's state moves as Keras' training does."""
    import jax
    tv = [v.value for v in kmodel.trainable_variables]
    ntv = [v.value for v in kmodel.non_trainable_variables]
    floats = [i for i, a in enumerate(xs) if _is_float(a.dtype)]

    def f(xf, tvars):
        xx = list(xs)
        for i, a in zip(floats, xf):
            xx[i] = a
        o, new_ntv, losses = kmodel.stateless_call(tvars, ntv, pack(xx), training=training,
                                                   return_losses=True)
        return _total(keras, scalar_fn, o, losses), (o, new_ntv)
    (value, (out, new_ntv)), (dxf, dw) = jax.value_and_grad(f, argnums=(0, 1), has_aux=True)(
        [jax.numpy.asarray(xs[i]) for i in floats], tv)
    for v, new in zip(kmodel.non_trainable_variables, new_ntv):
        v.assign(new)
    dxs = [None] * len(xs)
    for i, g in zip(floats, dxf):
        dxs[i] = g
    return value, out, dxs, dw


def _grads_torch(keras, kmodel, xs, pack, scalar_fn, training):
    xts = [keras.ops.convert_to_tensor(a) for a in xs]          # on Keras' device
    for xt in xts:
        if xt.is_floating_point():
            xt.requires_grad_(True)
    for v in kmodel.trainable_weights:
        v.value.grad = None
    out = kmodel(pack(xts), training=training)
    value = _total(keras, scalar_fn, out, kmodel.losses)
    value.backward()
    return value, out, [xt.grad for xt in xts], [v.value.grad for v in kmodel.trainable_weights]


def loss_gradients(kmodel, x, y, loss, training: bool = False):
    """Gradients of a Keras loss (by name or instance) plus regularisation, averaged over the batch."""
    keras = import_keras()
    loss_obj = keras.losses.get(loss) if isinstance(loss, str) else loss
    if isinstance(loss, str):
        loss_obj = {"binary_crossentropy": keras.losses.BinaryCrossentropy(),
                    "categorical_crossentropy": keras.losses.CategoricalCrossentropy(),
                    "sparse_categorical_crossentropy":
                        keras.losses.SparseCategoricalCrossentropy(),
                    "mse": keras.losses.MeanSquaredError(),
                    "mean_squared_error": keras.losses.MeanSquaredError()}.get(loss, loss_obj)
    y_t = np.asarray(y)
    if y_t.dtype.kind == "f" or not isinstance(loss_obj, keras.losses.SparseCategoricalCrossentropy):
        y_t = y_t.astype(_input_dtypes(kmodel, 1)[0])
    y_t = keras.ops.convert_to_tensor(y_t)
    return gradients(kmodel, x, lambda out: loss_obj(y_t, out), training=training)


def backward(kmodel, x, dout, training: bool = False):
    """Keras' answer to our ``backward(dout)``: gradients of sum(output * dout)."""
    ops = import_keras().ops
    dtype = _input_dtypes(kmodel, 1)[0]
    dtype = dtype if _is_float(dtype) else "float32"          # the output of an int input
    if isinstance(dout, (list, tuple)):
        douts = [ops.convert_to_tensor(np.asarray(d, dtype=dtype)) for d in dout]
        fn = lambda outs: sum(ops.sum(o * d) for o, d in zip(outs, douts))
    else:
        d = ops.convert_to_tensor(np.asarray(dout, dtype=dtype))
        fn = lambda out: ops.sum(out * d)
    return gradients(kmodel, x, fn, training=training)


def embedding_gradients(layer, ids, dout) -> tuple[np.ndarray, np.ndarray]:
    """Keras' Embedding with our matrix (float32): its output and d sum(out * dout) / dE.

    ids: (N, ...) integers; dout: (N, ..., output_dim). Returns (out (N, ..., output_dim),
    dE (input_dim, output_dim)). Under TensorFlow the gradient of a gather comes back as
    ``IndexedSlices`` (the used rows and their gradients: the scatter-add, kept sparse);
    ``gradients`` densifies it, summing repeated rows into the (n_words, n_features) matrix
    that we compare with.
    """
    kmodel = layer_twin(layer, input_dtype="int32")
    _, out, _, (dE,) = backward(kmodel, np.asarray(ids, dtype=np.int32), dout)
    return out, dE


def apply_gradients(optimizer, kmodel, grads) -> None:
    """``optimizer.apply_gradients`` with the NumPy gradients ``gradients`` returns.

    Each gradient becomes a tensor of its variable's dtype on Keras' device first: the
    PyTorch backend's optimisers accept tensors only.
    """
    ops = import_keras().ops
    weights = kmodel.trainable_weights
    if len(grads) != len(weights):
        raise ValueError(f"apply_gradients: {len(grads)} gradients for {len(weights)} "
                         "trainable weights")
    optimizer.apply_gradients([(ops.convert_to_tensor(np.asarray(g), dtype=v.dtype), v)
                               for g, v in zip(grads, weights)])


def compare(name: str, ours, theirs, tol: float = 1e-5, quiet: bool = False) -> float:
    """Print ``name: max relative error 2.1e-07 < 1e-05 ✓`` (vs. Keras) and raise past ``tol``.

    The relative error is max|a - b| / max(max|b|, 1e-8): the worst entry, scaled by the
    size of the reference values, which is what float32 agreement means in practice.
    """
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{name}: our shape {a.shape} differs from Keras' {b.shape}")
    err = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-8)) if a.size else 0.0
    ok = err < tol
    if not quiet:
        print(f"{name}: max relative error {err:.1e} {'<' if ok else '>='} {tol:.0e} "
              f"{'✓' if ok else '✗'}")
    if not ok:
        raise AssertionError(f"{name}: differs from Keras by {err:.3e} (tolerance {tol:.0e})")
    return err
