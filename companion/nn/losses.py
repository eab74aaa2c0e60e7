"""Loss functions. Each call returns ``(loss, dloss/dy_pred)``; the loss is a mean over examples.

Reductions follow Keras' default (``sum_over_batch_size``): per-example losses are averaged over
every leading axis (batch, and time for sequences), and element-wise losses (binary
cross-entropy, MSE) are first averaged over the last axis. Probabilities are clipped to
``[EPSILON, 1 - EPSILON]`` as Keras does, so log(0) never happens.

Cross-entropy after a sigmoid/softmax output has the famous simple gradient with respect to the
pre-activation, ``dz = (p - y) / m``. ``dlogits`` returns it, and the model uses it instead of
dividing by p(1-p) and multiplying back, which is exact and numerically safer.

Keras semantics kept: a loss computes in at least float32 (Keras' losses compute in
``floatx()``, float32, so float16 predictions give a finite loss where float16 arithmetic would
give log(0)); categorical cross-entropy divides each row of ``y_pred`` by its sum first, as
Keras does, so rows that do not sum to 1 give Keras' value (a row summing to 0 is refused).
Documented difference: float64 inputs stay float64 here (gradient checks), where Keras would
compute them in float32.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import (
    as_array,
    check_finite,
    check_interval,
    check_labels,
    check_nonempty,
)

EPSILON = 1e-7   # keras.config.epsilon()


def _match(y_true, y_pred, name):
    y_pred = check_nonempty(as_array(y_pred, "y_pred"), f"{name}: y_pred")
    y_pred = y_pred.astype(_compute_dtype(y_pred.dtype), copy=False)
    y_true = as_array(y_true, "y_true").astype(y_pred.dtype, copy=False)
    if y_true.shape != y_pred.shape:
        hint = ("; for integer labels use sparse_categorical_crossentropy or one_hot(y)"
                if name == "categorical_crossentropy" and y_true.shape == y_pred.shape[:-1]
                else " (one column per output)")
        raise ValueError(f"{name}: y_true has shape {y_true.shape} but y_pred has shape "
                         f"{y_pred.shape}; they must match{hint}")
    return check_finite(y_true, f"{name}: y_true"), y_pred


def _compute_dtype(dtype) -> np.dtype:
    """float64 stays float64; anything narrower (float16, ints, bools) computes in float32,
    as Keras' losses do (their dtype is ``floatx()``)."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _normalised_rows(p, name):
    """p / p.sum(-1) as Keras' categorical cross-entropy does, and the row sums."""
    total = p.sum(axis=-1, keepdims=True)
    if np.any(total == 0):
        first = tuple(int(i) for i in np.argwhere(total[..., 0] == 0)[0])
        raise ValueError(f"{name}: y_pred row {first} sums to 0; expected probabilities (the "
                         "output of a softmax) with a positive sum in every row")
    return p / total, total


def _probabilities(p, name, activation):
    """Cross-entropies take probabilities; raw scores would be clipped into silent nonsense.
    (NaN passes, so that a diverging run is reported by the training loop with its step.)"""
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{name}: y_pred must be probabilities in [0, 1] (the output of a "
                         f"{activation}), got values from {p.min():.3g} to {p.max():.3g}")
    return p


def _check_unit_interval(y, name):
    """Binary targets are probabilities: hard 0/1 labels or soft ones in between."""
    if y.size and (y.min() < 0 or y.max() > 1):
        shown = np.unique(y)
        raise ValueError(f"{name}: y_true must lie in [0, 1] (labels 0/1 or probabilities), "
                         f"got values {shown[:5]}{' ...' if len(shown) > 5 else ''}"
                         " (for -1/+1 labels use (y + 1) / 2; for several classes use "
                         "categorical or sparse categorical cross-entropy)")
    return y


class Loss:
    """Base class: ``loss(y_true, y_pred) -> (value, dvalue/dy_pred)``."""
    name = "loss"
    fused_activation: str | None = None   # output activation whose dz has a closed form

    def __call__(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} is a Loss without __call__(y_true, "
                                  "y_pred) -> (loss, dloss/dy_pred): define it")

    def dlogits(self, y_true, y_pred):
        """dL/dz for z the pre-activation of ``fused_activation`` (y_pred = activation(z))."""
        raise NotImplementedError(f"{self.name} has no fused output gradient")

    def __repr__(self):
        return f"{type(self).__name__}()"


class BinaryCrossentropy(Loss):
    """-mean[y log p + (1 - y) log(1 - p)]  for y in [0, 1] (0/1 or soft) and p in (0, 1).

    Input shape: (N, k) or (N,) probabilities. Output: a scalar.
    """
    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def _targets(self, y_true, y_pred):
        y, p = _match(y_true, y_pred, self.name)
        return _check_unit_interval(y, self.name), _probabilities(p, self.name, "sigmoid")

    def __call__(self, y_true, y_pred):
        y, p = self._targets(y_true, y_pred)
        lo, hi = p.dtype.type(EPSILON), p.dtype.type(1 - EPSILON)   # bounds in p's dtype
        pc = np.clip(p, lo, hi)
        loss = -np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))
        # the clip's gradient is zero strictly outside [lo, hi] and passes through on the
        # bounds themselves (TensorFlow's clip_by_value, which Keras' loss uses)
        inside = (p >= lo) & (p <= hi)
        grad = np.where(inside, (pc - y) / (pc * (1 - pc)), 0.0) / p.size
        return float(loss), grad.astype(p.dtype, copy=False)

    def dlogits(self, y_true, y_pred):
        y, p = self._targets(y_true, y_pred)
        return (p - y) / p.size


class CategoricalCrossentropy(Loss):
    """-mean over examples of sum_k y_k log p_k. Shapes (..., K).

    y is usually one-hot, but soft (label smoothing) and unnormalised rows are accepted, as in
    Keras: the loss is linear in y, and ``dlogits`` is exact for any y.
    """
    name = "categorical_crossentropy"
    fused_activation = "softmax"

    def __call__(self, y_true, y_pred):
        y, p = _match(y_true, y_pred, self.name)
        p = _probabilities(p, self.name, "softmax")
        m = p.size // p.shape[-1]
        q, total = _normalised_rows(p, self.name)           # Keras: output / sum(output)
        qc = np.clip(q, EPSILON, 1 - EPSILON)
        loss = -np.sum(y * np.log(qc)) / m
        inside = (q > EPSILON) & (q < 1 - EPSILON)
        dq = np.where(inside, -y / qc, 0.0) / m
        grad = (dq - np.sum(dq * q, axis=-1, keepdims=True)) / total   # through q = p / sum p
        return float(loss), grad.astype(p.dtype, copy=False)

    def dlogits(self, y_true, y_pred):
        """dL/dz_j = (p_j * sum_k y_k - y_j) / m: the familiar p - y when each row sums to 1."""
        y, p = _match(y_true, y_pred, self.name)
        return (p * np.sum(y, axis=-1, keepdims=True) - y) / (p.size // p.shape[-1])


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer labels: y_true shape (...,), y_pred (..., K)."""
    name = "sparse_categorical_crossentropy"
    fused_activation = "softmax"

    def _onehot(self, y_true, y_pred):
        p = check_nonempty(as_array(y_pred, "y_pred"), f"{self.name}: y_pred")
        y = check_labels(y_true, p.shape[-1], "y_true")
        if y.shape != p.shape[:-1]:
            raise ValueError(f"{self.name}: y_true has shape {y.shape}, expected {p.shape[:-1]} "
                             f"(one integer label per row of y_pred {p.shape})")
        return np.eye(p.shape[-1], dtype=p.dtype)[y], p

    def __call__(self, y_true, y_pred):
        return CategoricalCrossentropy()(*self._onehot(y_true, y_pred))

    def dlogits(self, y_true, y_pred):
        return CategoricalCrossentropy().dlogits(*self._onehot(y_true, y_pred))


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2) over every element."""
    name = "mean_squared_error"

    def __call__(self, y_true, y_pred):
        y, p = _match(y_true, y_pred, self.name)
        diff = p - y
        return float(np.mean(diff ** 2)), 2.0 * diff / p.size


class PerceptronLoss(Loss):
    """The notes' perceptron criterion: L = -sum over misclassified i of y_i * score_i.

    ``y_true`` in {-1, +1}, ``y_pred`` the raw scores w.x + b. A point counts as misclassified
    when y * score <= 0 (a point on the boundary is not yet correct). It is a sum, not a mean,
    as in the notes, so its gradient is -y_i on each misclassified point and 0 elsewhere.
    """
    name = "perceptron"

    def __call__(self, y_true, y_pred):
        y, s = _match(y_true, y_pred, self.name)
        if not np.all(np.isin(y, (-1, 1))):
            raise ValueError("perceptron: y_true must hold -1 and +1 labels, "
                             f"got values {np.unique(y)[:5]}")
        wrong = y * s <= 0
        return float(-np.sum(y * s * wrong)), np.where(wrong, -y, 0.0)


_LOSSES = {cls.name: cls for cls in (BinaryCrossentropy, CategoricalCrossentropy,
                                     SparseCategoricalCrossentropy, MeanSquaredError,
                                     PerceptronLoss)}
_LOSSES["mse"] = MeanSquaredError


def get(loss) -> Loss:
    """A ``Loss`` from an instance or its Keras name (``"binary_crossentropy"``, ``"mse"``...).
    An instance must implement ``__call__``, and ``dlogits`` if it names a ``fused_activation``
    (the model would call it)."""
    if isinstance(loss, Loss):
        cls = type(loss)
        if cls.__call__ is Loss.__call__:
            raise TypeError(f"loss: {cls.__name__} is a Loss without __call__(y_true, y_pred) "
                            "-> (loss, dloss/dy_pred)")
        if loss.fused_activation is not None and cls.dlogits is Loss.dlogits:
            raise TypeError(f"loss: {cls.__name__} sets fused_activation="
                            f"{loss.fused_activation!r} but has no dlogits(y_true, y_pred) "
                            "(the model calls it for that output): define it, or set "
                            "fused_activation = None")
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        raise TypeError(f"loss: got the class {loss.__name__}; pass an instance, "
                        f"{loss.__name__}()")
    if not isinstance(loss, str) or loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(_LOSSES)}")
    return _LOSSES[loss]()


def sequence_crossentropy(p, y, mask=None, floor: float = 1e-30) -> tuple[float, np.ndarray]:
    """The masked sequence loss of every sequence model in the course.

    ``p`` (N, T, V) softmax probabilities, ``y`` (N, T) target ids, ``mask`` (N, T) 1 where a
    target counts (None: all). Returns the mean of -log p[n, t, y[n, t]] over the counted
    positions (log floored at ``floor``) and its gradient with respect to the softmax's
    logits, (p - one_hot(y)) * mask / count, 0 on padding.
    """
    p, y = as_array(p, "p", ndim=3), np.asarray(y)
    if y.shape != p.shape[:2] or y.dtype.kind not in "iu" or (y.size and not (
            0 <= y.min() and y.max() < p.shape[-1])):
        raise ValueError(f"y: expected (N, T) = {p.shape[:2]} integer ids in 0..{p.shape[-1] - 1}"
                         f", got {y.dtype} of shape {y.shape}")
    N, T = y.shape
    rows = (np.arange(N)[:, None], np.arange(T)[None, :], y)
    w = np.ones((N, T), dtype=p.dtype) if mask is None else np.asarray(mask).astype(p.dtype)
    n = float(w.sum())
    if n == 0:
        raise ValueError("sequence_crossentropy: the mask leaves no position to count")
    loss = -np.sum(np.log(np.maximum(p[rows], floor)) * w) / n
    dz = p.copy()
    dz[rows] -= 1.0
    dz *= (w / n)[..., None]
    return float(loss), dz


def smoothed_sequence_crossentropy(p, y, mask=None, label_smoothing: float = 0.0,
                                   floor: float = 1e-30) -> tuple[float, np.ndarray]:
    """``sequence_crossentropy`` against smoothed targets (Szegedy et al. 2016), as Keras'
    ``CategoricalCrossentropy(label_smoothing=eps)``: q = (1 - eps) one_hot(y) + eps / V.

    Returns the mean over counted positions of -sum_v q_v log p_v and its gradient with
    respect to the logits, (p - q) * mask / count. ``label_smoothing=0`` is the plain loss.
    """
    eps = check_interval(label_smoothing, "label_smoothing", 0, 1)
    loss, dz = sequence_crossentropy(p, y, mask, floor)
    if eps == 0.0:
        return loss, dz
    w = np.ones(y.shape, dtype=p.dtype) if mask is None else np.asarray(mask).astype(p.dtype)
    n, V = float(w.sum()), p.shape[-1]
    uniform = -np.sum(np.log(np.maximum(p, floor)).sum(-1) * w) / (n * V)
    dz = (1 - eps) * dz + eps * (p - 1.0 / V) * (w / n)[..., None]
    return float((1 - eps) * loss + eps * uniform), dz
