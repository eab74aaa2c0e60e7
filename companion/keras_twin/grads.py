"""Gradients of a Keras model: the one backend-specific helper (TensorFlow, JAX, PyTorch), the
optimiser step with NumPy gradients, and ``compare``, the printed cross-check."""

from __future__ import annotations

import numpy as np

from companion.keras_twin.core import import_keras
from companion.keras_twin.registry import layer_twin
from companion.nn.validation import as_array, check_bool, check_finite, check_positive


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
    check_kmodel(kmodel)
    training = check_bool(training, "training")
    if not callable(scalar_fn):
        raise TypeError(f"scalar_fn: expected a function of the model's output, got "
                        f"{type(scalar_fn).__name__}")
    multi = isinstance(x, (list, tuple))
    xs = [as_array(a, "x").astype(d) for a, d in zip(
        x if multi else [x], _input_dtypes(kmodel, len(x) if multi else 1))]
    _check_input_shapes(kmodel, xs)
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


def check_kmodel(kmodel, name: str = "kmodel"):
    """A Keras model (callable, with trainable weights), e.g. ``twin(model)``."""
    if not (callable(kmodel) and hasattr(kmodel, "trainable_weights")):
        raise TypeError(f"{name}: expected a Keras model (e.g. twin(model)), got "
                        f"{type(kmodel).__name__} {kmodel!r:.40}")
    return kmodel


def _check_input_shapes(kmodel, xs) -> None:
    """Each input's shape against the model's declared ``inputs`` (None matches any size)."""
    inputs = getattr(kmodel, "inputs", None) or []
    if len(inputs) != len(xs):
        return
    for i, (t, a) in enumerate(zip(inputs, xs)):
        want = tuple(t.shape)
        if a.ndim != len(want) or any(w is not None and w != s for w, s in zip(want, a.shape)):
            raise ValueError(f"x{'' if len(xs) == 1 else f'[{i}]'} has shape {a.shape}, but the "
                             f"Keras model expects {want}")


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
    if not (isinstance(loss, str) or callable(loss)):
        raise TypeError(f"loss: expected a loss name or a Keras loss, got {type(loss).__name__} "
                        f"{loss!r:.40}")
    loss_obj = keras.losses.get(loss) if isinstance(loss, str) else loss
    if isinstance(loss, str):
        loss_obj = {"binary_crossentropy": keras.losses.BinaryCrossentropy(),
                    "categorical_crossentropy": keras.losses.CategoricalCrossentropy(),
                    "sparse_categorical_crossentropy":
                        keras.losses.SparseCategoricalCrossentropy(),
                    "mse": keras.losses.MeanSquaredError(),
                    "mean_squared_error": keras.losses.MeanSquaredError()}.get(loss, loss_obj)
    y_t = as_array(y, "y")
    n = len(x[0] if isinstance(x, (list, tuple)) else x)
    if y_t.ndim == 0 or len(y_t) != n:
        raise ValueError(f"y has shape {y_t.shape}: expected one target per example of x ({n})")
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
        d = ops.convert_to_tensor(as_array(dout, "dout").astype(dtype))

        def fn(out):
            if tuple(out.shape) != tuple(d.shape):
                raise ValueError(f"backward: dout has shape {tuple(d.shape)}, but the Keras "
                                 f"model's output has shape {tuple(out.shape)}")
            return ops.sum(out * d)
    return gradients(kmodel, x, fn, training=training)


def embedding_gradients(layer, ids, dout) -> tuple[np.ndarray, np.ndarray]:
    """Keras' Embedding with our matrix (float32): its output and d sum(out * dout) / dE.

    ids: (N, ...) integers; dout: (N, ..., output_dim). Returns (out (N, ..., output_dim),
    dE (input_dim, output_dim)). Under TensorFlow the gradient of a gather comes back as
    ``IndexedSlices`` (the used rows and their gradients: the scatter-add, kept sparse);
    ``gradients`` densifies it, summing repeated rows into the (n_words, n_features) matrix
    that we compare with.
    """
    ids = as_array(ids, "ids")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"ids: expected integer word ids, got dtype {ids.dtype}")
    kmodel = layer_twin(layer, input_dtype="int32")
    if ids.shape[1:] != tuple(layer.input_shape):
        raise ValueError(f"ids has shape {ids.shape}, expected (N, *{tuple(layer.input_shape)})")
    _, out, _, (dE,) = backward(kmodel, ids.astype(np.int32), dout)
    return out, dE


def apply_gradients(optimizer, kmodel, grads) -> None:
    """``optimizer.apply_gradients`` with the NumPy gradients ``gradients`` returns.

    Each gradient becomes a tensor of its variable's dtype on Keras' device first: the
    PyTorch backend's optimisers accept tensors only.
    """
    ops = import_keras().ops
    weights = check_kmodel(kmodel).trainable_weights
    if len(grads) != len(weights):
        raise ValueError(f"apply_gradients: {len(grads)} gradients for {len(weights)} "
                         "trainable weights")
    for i, (g, v) in enumerate(zip(grads, weights)):
        g = check_finite(as_array(g, f"grads[{i}]"), f"grads[{i}]")
        if g.shape != tuple(v.shape):
            raise ValueError(f"grads[{i}] has shape {g.shape}, expected {tuple(v.shape)} (its "
                             "weight's shape)")
    optimizer.apply_gradients([(ops.convert_to_tensor(np.asarray(g), dtype=v.dtype), v)
                               for g, v in zip(grads, weights)])


def compare(name: str, ours, theirs, tol: float = 1e-5, quiet: bool = False) -> float:
    """Print ``name: max relative error 2.1e-07 < 1e-05 ✓`` (vs. Keras) and raise past ``tol``.

    The relative error is max|a - b| / max(max|b|, 1e-8): the worst entry, scaled by the
    size of the reference values, which is what float32 agreement means in practice.
    """
    a, b = as_array(ours, "ours").astype(np.float64), as_array(theirs, "theirs").astype(np.float64)
    tol = check_positive(tol, "tol")
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
