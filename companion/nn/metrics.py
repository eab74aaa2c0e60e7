"""Accuracy for the three output conventions the course uses."""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array, check_finite, check_nonempty


def predict_classes(y_pred) -> np.ndarray:
    """Class labels from outputs: threshold 0.5 for one sigmoid column, argmax otherwise.

    y_pred (N,) or (N, 1) -> (N,) 0/1 labels; y_pred (N, K) -> (N,) argmax labels.
    NaN outputs are refused (a NaN is neither above nor below 0.5).

    >>> predict_classes(np.array([[0.2], [0.7]])).tolist()
    [0, 1]
    >>> predict_classes(np.array([[0.1, 0.6, 0.3]])).tolist()
    [1]
    """
    y_pred = check_finite(check_nonempty(as_array(y_pred, "y_pred"), "y_pred"), "y_pred")
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        return np.argmax(y_pred, axis=-1)
    return (y_pred.reshape(y_pred.shape[:-1] if y_pred.ndim >= 2 else y_pred.shape) > 0.5
            ).astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    """Fraction correct. ``y_true`` may be integer labels, a (N, 1) column or one-hot rows.

    As in Keras, a column of soft targets is compared with the 0/1 predictions as it is, and
    one-hot (or soft) rows by their argmax. A NaN in ``y_pred`` (a diverged model) makes the
    accuracy NaN, not a count of class 0; NaN labels and empty sets are refused.

    >>> accuracy([0, 1, 1], np.array([[0.2], [0.9], [0.4]]))
    0.6666666666666666
    >>> accuracy([0, 1], np.array([[np.nan], [0.9]]))
    nan
    """
    y_true = check_finite(as_array(y_true, "y_true"), "y_true")
    y_pred = check_nonempty(as_array(y_pred, "y_pred"), "y_pred")
    if y_true.shape == y_pred.shape and y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        y_true = np.argmax(y_true, axis=-1)
    n_pred = y_pred.size // y_pred.shape[-1] if y_pred.ndim >= 2 and y_pred.shape[-1] > 1 \
        else y_pred.size
    if y_true.size != n_pred:
        raise ValueError(f"accuracy: y_true has shape {y_true.shape} but y_pred {y_pred.shape} "
                         f"makes {n_pred} predictions; expected one label per prediction "
                         "(integer labels, a column, or one-hot rows)")
    _check_label_range(y_true, y_pred)
    if np.isnan(y_pred).any():
        return float("nan")
    pred = predict_classes(y_pred)
    return float(np.mean(pred == y_true.reshape(pred.shape)))


def _check_label_range(y_true, y_pred) -> None:
    """Labels a prediction can equal: 0..K-1 for K outputs, [0, 1] for one sigmoid column."""
    k = y_pred.shape[-1] if y_pred.ndim >= 2 and y_pred.shape[-1] > 1 else 2
    if y_true.size and (y_true.min() < 0 or y_true.max() > k - 1):
        hint = " (for -1/+1 labels use (y + 1) / 2)" if k == 2 else ""
        raise ValueError(f"accuracy: y_true must lie in 0..{k - 1} for y_pred of shape "
                         f"{y_pred.shape}, got values from {y_true.min():g} to "
                         f"{y_true.max():g}{hint}")


def mean_spread(values) -> tuple[float, float]:
    """(mean, half the range) of a few runs: mean ± spread covers every run."""
    v = check_nonempty(as_array(values, "values", ndim=1), "values").astype(float)
    return float(v.mean()), float((v.max() - v.min()) / 2)
