"""Chapter 4, section 2: bias and variance, measured (retrain one model on many training sets
drawn afresh), learning curves and the notes' diagnosis table.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.nn.validation import check_positive, rng_from

from .network import deep_network, train_and_score


def target(x):
    """The 1-D regression function used in the chapter: f(x) = sin(2 pi x) on [0, 1]."""
    return np.sin(2 * np.pi * x)


def sample(n: int, noise_std: float, rng, f: Callable = target):
    """n points x ~ U(0, 1) with y = f(x) + N(0, noise_std^2). Shapes: (n,), (n,)."""
    x = rng.uniform(0.0, 1.0, n)
    return x, f(x) + rng.normal(0.0, noise_std, n)


def polynomial_model(degree: int, ridge: float = 0.0) -> Callable:
    """fit_predict(x_train, y_train, x_test) for a least-squares polynomial of ``degree``
    (with an optional ridge penalty ``ridge * sum(w^2)`` on the non-constant coefficients)."""
    def fit_predict(x, y, x_test):
        def features(t):
            return np.vander(2 * t - 1, degree + 1, increasing=True)   # on [-1, 1]: well scaled
        A = features(x)
        penalty = ridge * np.eye(degree + 1)
        penalty[0, 0] = 0.0
        w = np.linalg.solve(A.T @ A + penalty + 1e-12 * np.eye(degree + 1), A.T @ y)
        return features(x_test) @ w
    fit_predict.__name__ = f"polynomial(degree={degree}, ridge={ridge:g})"
    return fit_predict


def network_model(hidden: int = 32, epochs: int = 300, l2: float = 0.0,
                  learning_rate: float = 0.03, seed: int = 0) -> Callable:
    """fit_predict for a 1-hidden-layer tanh network trained full-batch with Adam on MSE
    (the input is rescaled from [0, 1] to [-1, 1])."""
    from companion.nn.optim import Adam
    from companion.nn.regularizers import L2
    from companion.nn.train import fit

    def fit_predict(x, y, x_test):
        model = deep_network([1, hidden, 1], activations="tanh", output_activation=None,
                             initializer="glorot_uniform", regularizer=L2(l2) if l2 else None,
                             seed=seed)
        fit(model, 2 * x[:, None] - 1, y[:, None], "mse", Adam(learning_rate), epochs=epochs,
            batch_size=None, seed=seed)
        return model.predict(2 * x_test[:, None] - 1)[:, 0]
    return fit_predict


def decompose(fit_predict: Callable, n_train: int = 30, noise_std: float = 0.3,
              n_sets: int = 200, n_test: int = 200, seed=0, f: Callable = target) -> dict:
    """Monte Carlo bias^2 / variance / noise of ``fit_predict`` and the measured error.

    Trains on ``n_sets`` training sets of ``n_train`` points; evaluates on ``n_test`` fixed
    points x_test (a grid on [0, 1]) with a fresh noisy target per training set.
    Returns floats ``bias2, variance, noise, total`` (= their sum) and ``measured``, plus
    ``x_test`` and the predictions (n_sets, n_test).
    """
    check_positive(noise_std, "noise_std")
    rng = rng_from(seed)
    x_test = np.linspace(0.0, 1.0, n_test)
    f_test = f(x_test)
    preds = np.empty((n_sets, n_test))
    sq_err = np.empty(n_sets)
    for s in range(n_sets):
        x, y = sample(n_train, noise_std, rng, f)
        preds[s] = fit_predict(x, y, x_test)
        y_test = f_test + rng.normal(0.0, noise_std, n_test)          # new noise, same x
        sq_err[s] = np.mean((y_test - preds[s]) ** 2)
    mean_pred = preds.mean(axis=0)
    bias2 = float(np.mean((mean_pred - f_test) ** 2))
    variance = float(np.mean(preds.var(axis=0)))
    noise = float(noise_std ** 2)
    return {"bias2": bias2, "variance": variance, "noise": noise,
            "total": bias2 + variance + noise, "measured": float(sq_err.mean()),
            "measured_se": float(sq_err.std(ddof=1) / np.sqrt(n_sets)),
            "x_test": x_test, "predictions": preds}


def learning_curve(train_and_score: Callable[[int], tuple[float, float]], values) -> dict:
    """Call ``train_and_score(v) -> (train_error, dev_error)`` for each v (a training-set size
    or a model size); returns {"values", "train_error", "dev_error"} as arrays."""
    rows = np.array([train_and_score(v) for v in values], dtype=float)
    return {"values": np.asarray(list(values)), "train_error": rows[:, 0],
            "dev_error": rows[:, 1]}


def diagnose(train_error: float, dev_error: float, target_error: float = 0.0,
             tol: float = 0.02) -> str:
    """The notes' diagnosis table as a rule of thumb on (train, dev) errors.

    high bias: train error far above the target (Bayes) error -> bigger model, train longer,
    other architecture. High variance: dev error far above train error -> more data,
    regularisation, other architecture.
    """
    bias, variance = train_error - target_error > tol, dev_error - train_error > tol
    if bias and variance:
        return "high bias and high variance"
    if bias:
        return "high bias: bigger model, train longer, try another architecture"
    if variance:
        return "high variance: more data, regularisation, try another architecture"
    return "low bias and low variance"


def classifier_errors(train, dev, n_train: int | None = None, hidden: int = 32,
                      epochs: int = 100, learning_rate: float = 0.01, seed=0) -> tuple:
    """(train error, dev error) of a one-hidden-layer ReLU softmax network trained full-batch
    with Adam on the first ``n_train`` training examples (labels as integers).

    The point of a learning curve: vary ``n_train`` (data) or ``hidden`` (model size).
    """
    from companion.nn.optim import Adam
    x, y = train
    n = len(x) if n_train is None else int(n_train)
    if not 1 <= n <= len(x):
        raise ValueError(f"n_train must lie in [1, {len(x)}], got {n_train!r}")
    k = int(max(np.max(y), np.max(dev[1]))) + 1
    model = deep_network([x.shape[1], int(hidden), k], output_activation="softmax", seed=seed)
    out = train_and_score(model, (x[:n], y[:n]), dev, loss="sparse_categorical_crossentropy",
                          optimizer=Adam(learning_rate), epochs=epochs, seed=seed,
                          validate=False)
    return 1.0 - out["train_acc"], 1.0 - out["dev_acc"]
