"""Keras twins: the same model in Keras 3, filled with our weights, and its gradients.

Keras is imported here, on first use, never at ``import companion`` time. Only the public
Keras 3 API is used (layers, ops, optimizers, ``Model.stateless_call``) plus one small gradient
helper with a branch per backend, so the cross-checks run under TensorFlow (the default), JAX
or PyTorch: set ``KERAS_BACKEND`` before the first import.
"""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

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
    except Exception:      # device discovery must never break a cross-check
        pass
    return f"{name} ({b} backend)"


def keras_layer(layer):
    """The Keras layer equivalent to one of ours (weights not yet copied)."""
    keras = import_keras()
    from companion.nn.layers.dense import Dense
    if isinstance(layer, Dense):
        reg = None
        r = layer.kernel_regularizer
        if r is not None:
            reg = keras.regularizers.L1L2(l1=r.l1, l2=r.l2)
        return keras.layers.Dense(layer.units, activation=layer.activation,
                                  use_bias=layer.use_bias, kernel_regularizer=reg)
    if hasattr(layer, "keras_layer"):
        return layer.keras_layer(keras)
    raise TypeError(f"no Keras twin known for {type(layer).__name__}; give the layer a "
                    "keras_layer(keras) method returning the equivalent Keras layer")


def twin(model, dtype: str = "float32"):
    """A ``keras.Sequential`` with the same layers and a copy of our weights (cast to dtype)."""
    keras = import_keras()
    inputs = keras.Input(shape=model.input_shape, dtype=dtype)
    kmodel = keras.Sequential([inputs] + [keras_layer(layer) for layer in model.layers])
    copy_weights(model, kmodel)
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


def _to_numpy(t) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu()
    return np.asarray(t)


def gradients(kmodel, x, scalar_fn, training: bool = False):
    """Gradient of ``scalar_fn(outputs) + sum(model.losses)`` w.r.t. the input and weights.

    ``scalar_fn`` maps the model's output tensor (or list of tensors) to a scalar using
    ``keras.ops``. Returns ``(value, outputs, dx, dweights)`` as NumPy arrays, with
    ``dweights`` in ``kmodel.trainable_weights`` order. ``x`` may be a list of arrays for a
    functional model with several inputs (e.g. a sequence and an initial state); ``dx`` is
    then the list of their gradients. This is the package's one backend-specific helper.
    """
    keras = import_keras()
    ops = keras.ops
    b = keras.backend.backend()
    dtype = kmodel.inputs[0].dtype if getattr(kmodel, "inputs", None) else "float32"
    multi = isinstance(x, (list, tuple))
    xs = [np.asarray(a, dtype=dtype) for a in (x if multi else [x])]
    pack = (lambda seq: list(seq)) if multi else (lambda seq: seq[0])  # noqa: E731
    if b == "tensorflow":
        import tensorflow as tf
        xts = [tf.convert_to_tensor(a) for a in xs]
        with tf.GradientTape() as tape:
            for xt in xts:
                tape.watch(xt)
            out = kmodel(pack(xts), training=training)
            value = scalar_fn(out) + (ops.sum(ops.stack(kmodel.losses)) if kmodel.losses else 0.0)
        grads = tape.gradient(value, xts + list(kmodel.trainable_weights))
        dx, dw = pack(grads[:len(xts)]), grads[len(xts):]
    elif b == "jax":
        import jax
        tv = [v.value for v in kmodel.trainable_variables]
        ntv = [v.value for v in kmodel.non_trainable_variables]

        def f(xx, tvars):
            o, _, losses_ = kmodel.stateless_call(tvars, ntv, pack(xx), training=training,
                                                 return_losses=True)
            return scalar_fn(o) + sum(losses_), o
        (value, out), (dxs, dw) = jax.value_and_grad(f, argnums=(0, 1), has_aux=True)(
            [jax.numpy.asarray(a) for a in xs], tv)
        dx = pack(dxs)
    elif b == "torch":
        import torch
        xts = [torch.tensor(a, requires_grad=True) for a in xs]
        for v in kmodel.trainable_weights:
            v.value.grad = None
        out = kmodel(pack(xts), training=training)
        value = scalar_fn(out) + (sum(kmodel.losses) if kmodel.losses else 0.0)
        value.backward()
        dx, dw = pack([xt.grad for xt in xts]), [v.value.grad for v in kmodel.trainable_weights]
    else:
        raise RuntimeError(f"gradients: unsupported Keras backend {b!r}")
    if isinstance(out, (list, tuple)):
        outs = [_to_numpy(o) for o in out]
    else:
        outs = _to_numpy(out)
    dx = [_to_numpy(g) for g in dx] if multi else _to_numpy(dx)
    return float(_to_numpy(value)), outs, dx, [_to_numpy(g) for g in dw]


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
    dtype = kmodel.inputs[0].dtype if getattr(kmodel, "inputs", None) else "float32"
    y_t = np.asarray(y)
    if y_t.dtype.kind == "f" or not isinstance(loss_obj, keras.losses.SparseCategoricalCrossentropy):
        y_t = y_t.astype(dtype)
    return gradients(kmodel, x, lambda out: loss_obj(y_t, out), training=training)


def backward(kmodel, x, dout, training: bool = False):
    """Keras' answer to our ``backward(dout)``: gradients of sum(output * dout)."""
    keras = import_keras()
    dtype = kmodel.inputs[0].dtype if getattr(kmodel, "inputs", None) else "float32"
    if isinstance(dout, (list, tuple)):
        douts = [np.asarray(d, dtype=dtype) for d in dout]
        fn = lambda outs: sum(keras.ops.sum(o * d) for o, d in zip(outs, douts))  # noqa: E731
    else:
        d = np.asarray(dout, dtype=dtype)
        fn = lambda out: keras.ops.sum(out * d)  # noqa: E731
    return gradients(kmodel, x, fn, training=training)


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
