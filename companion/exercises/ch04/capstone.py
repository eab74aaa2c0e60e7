"""Chapter 4's capstone, the end of part one: the learner's own functions train the digits
network.

``capstone(namespace)`` takes the notebook's names (``globals()``) and uses the learner's
``deep_forward``, ``deep_backward``, ``l2_gradients`` and ``early_stopping`` where each one
passes its checker; for any that is missing or does not pass yet it borrows the package's and
says so, so the run always completes. The network: 64 pixels -> 32 ReLU -> 10 sigmoid outputs
(one per digit, one-vs-rest), the mean over examples of the summed binary cross-entropies,
full-batch gradient descent with the notes' L2 penalty, early stopping on the dev loss.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from .network import (
    _backward,
    _early_stopping,
    _forward,
    _l2,
    check_deep_backward,
    check_deep_forward,
    check_early_stopping,
    check_l2_gradients,
)

PARTS = {"deep_forward": (check_deep_forward, _forward),
         "deep_backward": (check_deep_backward, _backward),
         "l2_gradients": (check_l2_gradients, _l2),
         "early_stopping": (check_early_stopping, _early_stopping)}


def choose(namespace: dict) -> tuple[dict, dict]:
    """({name: function to use}, {name: "yours" or why the package's was borrowed}); the
    checkers run silently, and a function is used only if its checker passes."""
    chosen, why = {}, {}
    for name, (checker, package) in PARTS.items():
        fn = namespace.get(name)
        if not callable(fn):
            chosen[name], why[name] = package, "borrowed the package's (yours is not defined)"
            continue
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            ok = checker(fn)
        if ok:
            chosen[name], why[name] = fn, "yours"
        else:
            reason = buf.getvalue().strip().split(": ", 1)[-1]
            chosen[name], why[name] = package, f"borrowed the package's (yours: {reason})"
    return chosen, why


def digits_split(seed: int = 0):
    """The 8x8 digits scaled to [0, 1], split 60/20/20; labels also one-hot (N, 10)."""
    from companion import data
    X, y = data.digits()
    splits = data.train_dev_test_split(X / 16.0, y, seed=seed)
    return [(x, np.eye(10)[t], t) for x, t in splits]


def _loss(forward, X, Y, params) -> float:
    """Mean over the examples of the 10 outputs' summed binary cross-entropies."""
    A = np.clip(forward(X, params), 1e-12, 1 - 1e-12)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / len(X))


def train_digits(fns: dict, hidden: int = 32, learning_rate: float = 1.0, lambd: float = 1.0,
                 patience: int = 10, max_epochs: int = 300, seed: int = 0) -> dict:
    """Train the 64-``hidden``-10 network with the functions in ``fns``; return the accuracies,
    the best epoch and the number of epochs run."""
    from companion.chapters.ch04 import deep_params
    (Xtr, Ytr, ytr), (Xdv, Ydv, ydv), (Xte, Yte, yte) = digits_split(seed)
    forward, backward = fns["deep_forward"], fns["deep_backward"]

    def train_epoch(params):
        grads = fns["l2_gradients"](backward(Xtr, Ytr, params), params, lambd, len(Xtr))
        return {k: params[k] - learning_rate * grads[k] for k in params}

    params, best_epoch, epochs = fns["early_stopping"](
        train_epoch, lambda p: _loss(forward, Xdv, Ydv, p), deep_params([64, hidden, 10], seed),
        patience, max_epochs)

    def acc(X, y):
        return float(np.mean(np.argmax(forward(X, params), axis=1) == y))
    return {"train": acc(Xtr, ytr), "dev": acc(Xdv, ydv), "test": acc(Xte, yte),
            "best_epoch": int(best_epoch), "epochs": int(epochs),
            "dev_loss": _loss(forward, Xdv, Ydv, params)}


def capstone(namespace: dict, **kwargs) -> dict:
    """Print which functions are the learner's and which were borrowed, train, print the
    accuracies; return the result of ``train_digits`` with ``"borrowed"`` (a list of names)."""
    fns, why = choose(namespace)
    for name, reason in why.items():
        print(f"{name:15s} {reason}")
    try:
        result = train_digits(fns, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the learner's functions may fail on 10 outputs
        print(f"training with your functions raised {type(exc).__name__}: {exc}; "
              "training with the package's instead")
        fns = {name: package for name, (_, package) in PARTS.items()}
        why = {name: "borrowed" for name in PARTS}
        result = train_digits(fns, **kwargs)
    result["borrowed"] = [name for name, reason in why.items() if reason != "yours"]
    print(f"stopped after {result['epochs']} epochs (best dev loss at epoch "
          f"{result['best_epoch']}): train {result['train']:.1%}, dev {result['dev']:.1%}, "
          f"test {result['test']:.1%}")
    return result
