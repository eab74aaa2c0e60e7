"""Accuracy for the three output conventions the course uses."""

from __future__ import annotations

import numpy as np

from companion.nn.validation import as_array, check_nonempty


def predict_classes(y_pred) -> np.ndarray:
    """Class labels from outputs: threshold 0.5 for one sigmoid column, argmax otherwise."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        return np.argmax(y_pred, axis=-1)
    return (y_pred.reshape(y_pred.shape[:-1] if y_pred.ndim >= 2 else y_pred.shape) > 0.5
            ).astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    """Fraction correct. ``y_true`` may be integer labels, a (N, 1) column or one-hot rows."""
    y_true = as_array(y_true, "y_true")
    y_pred = check_nonempty(as_array(y_pred, "y_pred"), "y_pred")
    pred = predict_classes(y_pred)
    if y_true.shape == y_pred.shape and y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        y_true = np.argmax(y_true, axis=-1)
    if y_true.size != pred.size:
        raise ValueError(f"accuracy: y_true has shape {y_true.shape} but y_pred {y_pred.shape} "
                         f"makes {pred.size} predictions; expected one label per prediction "
                         "(integer labels, a column, or one-hot rows)")
    return float(np.mean(pred == y_true.reshape(pred.shape)))
