"""Chapter 4: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- Bias and variance, measured: retrain one model on many training sets drawn afresh.
- An L-layer network from the notes' layer sizes n[0], n[1], ..., n[L] (later chapters reuse it).
- Ensembles: train several networks that differ only in their random start (and the order of.
- Vanishing and exploding signals in a deep network at initialisation.
- Why normalising inputs speeds up gradient descent, on a problem small enough to see whole.
- Chapter 4's explorer: lambda, keep probability, initialiser and depth on a noisy 2-D set.
- L1's sparsity, shown honestly: subgradient steps versus proximal (soft-threshold) steps.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from companion.nn import losses as losses_mod
from companion.nn import optim
from companion.nn.layers.dense import Dense
from companion.nn.layers.dropout import Dropout
from companion.nn.metrics import accuracy
from companion.nn.model import Sequential
from companion.nn.regularizers import L1, Regularizer, from_notes_lambda, soft_threshold
from companion.nn.train import fit
from companion.nn.validation import DivergenceError, as_array, check_positive, rng_from


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


def _per_layer(value, n: int, name: str) -> list:
    """A scalar (or None) repeated n times, or a list of exactly n values."""
    if value is None or isinstance(value, (str, int, float, Regularizer)) or callable(value):
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(f"{name}: expected one value per hidden layer ({n}), got {len(value)}")
    return value


def deep_network(layer_sizes: Sequence[int], activations="relu", output_activation="sigmoid",
                 initializer="he_normal", regularizer: Regularizer | None = None,
                 keep_probs=None, seed=0) -> Sequential:
    """A built ``Sequential`` with L = len(layer_sizes) - 1 Dense layers.

    layer_sizes: [n_x, n_1, ..., n_L] (n_x = input features, n_L = output units).
    activations: one name for every hidden layer, or one per hidden layer (L - 1 values).
    initializer: a name from ``companion.nn.initializers`` (or a callable), for every kernel.
    regularizer: one penalty for every kernel (``L2(...)``, ``L1(...)``...), or one per layer.
    keep_probs: None (no dropout), one keep probability for every hidden layer, or one per
        hidden layer; dropout acts on the hidden activations, never on the inputs or output.
    Input shape: (N, n_x). Output shape: (N, n_L).
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes must list at least two positive sizes [n_x, ..., n_L], "
                         f"got {list(layer_sizes)}")
    n_hidden = len(sizes) - 2
    acts = _per_layer(activations, n_hidden, "activations")
    keeps = _per_layer(1.0 if keep_probs is None else keep_probs, n_hidden, "keep_probs")
    regs = _per_layer(regularizer, len(sizes) - 1, "regularizer")
    layers = []
    for i, units in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        layers.append(Dense(units, output_activation if last else acts[i],
                            kernel_initializer=initializer, kernel_regularizer=regs[i]))
        if not last:
            keep = float(keeps[i])
            if not 0.0 < keep <= 1.0:
                raise ValueError(f"keep_probs: each keep probability must lie in (0, 1], "
                                 f"got {keep!r} for hidden layer {i + 1}")
            if keep < 1.0:
                layers.append(Dropout(1.0 - keep))
    return Sequential(layers, input_shape=(sizes[0],), seed=seed)


def train_and_score(model: Sequential, train: tuple, dev: tuple, loss="binary_crossentropy",
                    optimizer="adam", epochs: int = 200, batch_size: int | None = None,
                    seed=0, validate: bool = True, **fit_kwargs) -> dict:
    """Fit ``model`` on ``train`` and return its history with final train/dev accuracies.

    ``train`` and ``dev`` are (X, y) pairs; accuracies are measured in inference mode (no
    dropout). ``validate=False`` skips the per-epoch dev evaluation (faster; the history then
    has no val_* curves). Returns ``{"history", "train_acc", "dev_acc", "model"}``.
    """
    x, y = train
    history = fit(model, x, y, loss, optimizer, epochs=epochs, batch_size=batch_size,
                  validation_data=dev if validate else None, seed=seed, **fit_kwargs)
    return {"history": history, "model": model,
            "train_acc": accuracy(y, model.predict(x)),
            "dev_acc": accuracy(dev[1], model.predict(dev[0]))}


def kernel_norms(model: Sequential) -> np.ndarray:
    """sqrt(sum w^2) of every Dense kernel, first layer first (how L2 shrinks the weights)."""
    return np.array([np.linalg.norm(layer.params["kernel"]) for layer in model.layers
                     if isinstance(layer, Dense)])


def data_loss(model: Sequential, x, y, loss) -> float:
    """The loss without penalties, in inference mode."""
    value, _ = losses_mod.get(loss)(y, model.predict(x))
    return float(value)


def train_ensemble(make_model: Callable[[int], object], train_fn: Callable, seeds) -> list:
    """Build ``make_model(seed)`` for each seed and train it with ``train_fn(model, seed)``."""
    models = []
    for seed in seeds:
        model = make_model(int(seed))
        train_fn(model, int(seed))
        models.append(model)
    return models


def bootstrap(x, y, seed) -> tuple:
    """A bootstrap resample of (x, y): len(x) examples drawn with replacement (bagging).

    Training each member on its own resample makes the members' errors less alike, so
    averaging them removes more variance than different initialisations alone.
    """
    idx = rng_from(seed).integers(0, len(x), len(x))
    return x[idx], np.asarray(y)[idx]


def ensemble_predict(models, x) -> np.ndarray:
    """The members' predicted probabilities, averaged. Shape: that of one member's output."""
    if not models:
        raise ValueError("ensemble_predict needs at least one model")
    return np.mean([m.predict(x) for m in models], axis=0)


def ensemble_report(models, x, y) -> dict:
    """Accuracy of each member and of the averaged ensemble on (x, y)."""
    members = [accuracy(y, m.predict(x)) for m in models]
    return {"members": members, "mean_member": float(np.mean(members)),
            "best_member": float(np.max(members)),
            "ensemble": accuracy(y, ensemble_predict(models, x))}

INITS = ("zeros", "standard_normal", "small_random", "glorot_uniform", "he_normal")


def layer_statistics(model, x, dout=None, seed=0) -> dict:
    """Forward ``x`` through ``model`` and backpropagate ``dout`` (random N(0,1) if None).

    Returns arrays (one value per Dense layer, first layer first): ``act_std`` (std of each
    layer's output activations), ``grad_std`` (std of dL/dW for each kernel) and
    ``weight_std`` (std of each kernel).
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = model.forward(x, training=False)
        acts = [layer._cache[2] for layer in model.layers if "kernel" in layer.params]
        if dout is None:
            dout = rng_from(seed).standard_normal(out.shape)
        model.backward(dout)
    dense = [layer for layer in model.layers if "kernel" in layer.params]
    return {"act_std": np.array([np.std(a) for a in acts]),
            "grad_std": np.array([np.std(layer.grads["kernel"]) for layer in dense]),
            "weight_std": np.array([np.std(layer.params["kernel"]) for layer in dense])}


def deep_relu(initializer, depth: int = 50, width: int = 100, n_in: int = 100, seed=0):
    """``depth`` ReLU Dense layers of ``width`` units (no output non-linearity on the last)."""
    sizes = [n_in] + [width] * depth
    return deep_network(sizes, activations="relu", output_activation="relu",
                        initializer=initializer, seed=seed)


def compare_initializers(inits=INITS, depth: int = 50, width: int = 100, n: int = 256,
                         seed=0) -> dict:
    """``layer_statistics`` of a deep ReLU stack for each initialiser, on the same N(0,1) input."""
    x = rng_from(seed).standard_normal((n, width))
    return {name: layer_statistics(deep_relu(name, depth, width, width, seed), x, seed=seed)
            for name in inits}


def keras_statistics(keras, initializer: str, depth: int = 50, width: int = 100, n: int = 256,
                     seed=0) -> np.ndarray:
    """Per-layer activation std of the same ReLU stack built in Keras with a Keras initialiser
    (e.g. "he_normal", "glorot_uniform"), on the same input as ``compare_initializers``."""
    x = rng_from(seed).standard_normal((n, width)).astype("float32")
    inputs = keras.Input(shape=(width,))
    h, outs = inputs, []
    for i in range(depth):
        init = keras.initializers.get({"class_name": initializer, "config": {"seed": seed + i}})
        h = keras.layers.Dense(width, activation="relu", kernel_initializer=init)(h)
        outs.append(h)
    model = keras.Model(inputs, outs)
    return np.array([np.std(np.asarray(a)) for a in model(x)])


def predicted_act_std(weight_var: float, n_in: int, depth: int, x_second_moment: float = 1.0):
    """The theory above: std of a ReLU stack's activations at each layer (layer 1 first)."""
    layers = np.arange(1, depth + 1)
    second = x_second_moment * (n_in * weight_var / 2) ** layers      # E[a^2]
    # for a rectified Gaussian, Var(a) = E[a^2] (1 - 1/pi)
    return np.sqrt(second * (1 - 1 / np.pi))

SCALINGS = ("raw", "divide by variance", "standardised")


def scale(X, how: str, stats_from=None):
    """Centre X and divide by nothing ("raw", centring only), the variance, or the std.

    The mean and std are taken from ``stats_from`` (the training set) when given.
    """
    X = as_array(X, "X", ndim=2)
    ref = X if stats_from is None else as_array(stats_from, "stats_from", ndim=2)
    mu, sd = ref.mean(axis=0), ref.std(axis=0)
    if how == "raw":
        return X - mu
    if how == "divide by variance":
        return (X - mu) / sd ** 2
    if how == "standardised":
        return (X - mu) / sd
    raise ValueError(f"how must be one of {SCALINGS}, got {how!r}")


def hessian(X) -> np.ndarray:
    """Hessian of the MSE of a linear model in its weights: 2 X_c^T X_c / m. Shape (d, d)."""
    Xc = X - X.mean(axis=0)
    return 2.0 * Xc.T @ Xc / len(X)


def conditioning(X) -> dict:
    """lambda_max, lambda_min, condition number and the largest stable learning rate 2/lambda_max."""
    eig = np.linalg.eigvalsh(hessian(X))
    return {"lambda_max": float(eig[-1]), "lambda_min": float(eig[0]),
            "condition": float(eig[-1] / eig[0]), "max_learning_rate": float(2.0 / eig[-1])}


def mse(X, y, W):
    """J at many weight vectors: W (K, d) -> (K,), with the bias at its optimum (centred data)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    r = Xc @ W.T - yc[:, None]                                   # (m, K)
    return np.mean(r * r, axis=0)


def gradient_descent(X, y, learning_rate: float, steps: int, w0=None) -> np.ndarray:
    """Full-batch gradient descent on J from w0 (zeros); returns the path (steps + 1, d)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.zeros(X.shape[1]) if w0 is None else np.asarray(w0, dtype=float).copy()
    path = [w.copy()]
    for _ in range(int(steps)):
        w = w - learning_rate * 2.0 * Xc.T @ (Xc @ w - yc) / len(X)
        path.append(w.copy())
    return np.array(path)


def steps_to_converge(X, y, learning_rate: float, rel_tol: float = 1e-3,
                      max_steps: int = 100_000) -> int:
    """Gradient-descent steps until J - J* <= rel_tol * (J(0) - J*); max_steps if never."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w_star = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    j_star = np.mean((Xc @ w_star - yc) ** 2)
    w = np.zeros(X.shape[1])
    gap0 = np.mean(yc ** 2) - j_star
    for step in range(1, max_steps + 1):
        w = w - learning_rate * 2.0 * Xc.T @ (Xc @ w - yc) / len(X)
        with np.errstate(over="ignore", invalid="ignore"):
            gap = np.mean((Xc @ w - yc) ** 2) - j_star
        if not np.isfinite(gap) or gap > 1e12 * gap0:             # diverged
            return max_steps
        if gap <= rel_tol * gap0:
            return step
    return max_steps

EXPLORER_INITS = ("he_normal", "glorot_uniform", "small_random", "standard_normal", "zeros")


def noisy_moons(n: int = 1000, noise: float = 0.25, flip: float = 0.1, n_train: int = 150,
                n_dev: int = 500, seed=1):
    """Moons with Gaussian noise and a fraction ``flip`` of labels flipped.

    Returns ((X_train, y_train), (X_dev, y_dev)) with y of shape (N, 1).
    """
    from companion.data.datasets import moons
    X, y = moons(n, noise=noise, seed=seed)
    flipped = rng_from(seed + 4).random(n) < flip
    y = np.where(flipped, 1 - y, y)[:, None]
    if n_train + n_dev > n:
        raise ValueError(f"n_train + n_dev = {n_train + n_dev} exceeds n = {n}")
    return (X[:n_train], y[:n_train]), (X[n_train:n_train + n_dev], y[n_train:n_train + n_dev])


def run(train, dev, lam: float = 0.0, keep_prob: float = 1.0, initializer: str = "he_normal",
        depth: int = 2, width: int = 64, epochs: int = 200, learning_rate: float = 0.01,
        seed: int = 0) -> dict:
    """Train a ``depth``-hidden-layer ReLU network with the notes' L2 lambda (lam/2m sum w^2)
    and one keep probability for every hidden layer; return accuracies and the model."""
    m = len(train[0])
    reg = from_notes_lambda(lam, m) if lam > 0 else None
    model = deep_network([train[0].shape[1]] + [width] * int(depth) + [1], activations="relu",
                         initializer=initializer, regularizer=reg, keep_probs=keep_prob,
                         seed=seed)
    try:
        out = train_and_score(model, train, dev, optimizer=optim.Adam(learning_rate),
                              epochs=epochs, seed=seed, validate=False)
    except DivergenceError as exc:
        return {"model": None, "train_acc": float("nan"), "dev_acc": float("nan"),
                "summary": f"diverged: {exc}"}
    out["summary"] = (f"lambda={lam:g} (Keras l2={reg.l2 if reg else 0:.2g}), "
                      f"keep_prob={keep_prob:g}, {initializer}, depth {depth}: "
                      f"train {out['train_acc']:.3f}, dev {out['dev_acc']:.3f}, "
                      f"gap {out['train_acc'] - out['dev_acc']:+.3f}")
    return out


def explorer(train=None, dev=None, epochs: int = 200):
    """Sliders over lambda, keep_prob, initialiser and depth; redraws the boundary."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    from companion.lab.plots import decision_boundary
    if train is None:
        train, dev = noisy_moons()

    def compute(lam, keep_prob, initializer, depth):
        return run(train, dev, lam=lam, keep_prob=keep_prob, initializer=initializer,
                   depth=depth, epochs=epochs)

    def draw(result):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 4))
        if result["model"] is not None:
            decision_boundary(result["model"].predict, train[0], train[1][:, 0], ax=ax,
                              steps=120)
            ax.set_title(f"train {result['train_acc']:.2f} / dev {result['dev_acc']:.2f}")
            ax.set(xlabel="x1", ylabel="x2")
        return fig

    controls = {
        "lam": w.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.25, description="lambda"),
        "keep_prob": w.FloatSlider(value=1.0, min=0.2, max=1.0, step=0.1,
                                   description="keep_prob"),
        "initializer": w.Dropdown(options=EXPLORER_INITS, value="he_normal",
                                  description="init"),
        "depth": w.IntSlider(value=2, min=1, max=10, description="depth"),
    }
    return Explorer(compute, draw, controls, title="Regularisation and initialisation")


def fit_l1(model, x, y, loss, l1: float, learning_rate: float = 0.1, epochs: int = 200,
           method: str = "proximal") -> list[float]:
    """Full-batch gradient descent on data loss + l1 * sum|kernel| for every Dense kernel.

    ``method`` is "subgradient" or "proximal". Biases are not penalised. Trains ``model`` in
    place; returns the per-epoch objective (data loss + penalty).
    """
    if method not in ("subgradient", "proximal"):
        raise ValueError(f"method must be 'subgradient' or 'proximal', got {method!r}")
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    for layer in dense:
        layer.kernel_regularizer = L1(l1) if method == "subgradient" else None
    history = []
    for _ in range(int(epochs)):
        value = model.loss_and_grads(x, y, loss, training=True)
        for layer in model.layers:
            for k, g in layer.grads.items():
                layer.params[k] -= learning_rate * g
        if method == "proximal":
            for layer in dense:
                layer.params["kernel"] = soft_threshold(layer.params["kernel"], learning_rate * l1)
            value += l1 * sum(np.abs(layer.params["kernel"]).sum() for layer in dense)
        history.append(float(value))
    for layer in dense:
        layer.kernel_regularizer = None
    return history


def sparsity_report(weights: np.ndarray, small: float = 1e-3) -> dict:
    """How many weights are exactly 0 and how many are merely small (|w| < ``small``)."""
    w = np.asarray(weights)
    return {"size": int(w.size), "exact_zeros": int(np.sum(w == 0.0)),
            "near_zero": int(np.sum(np.abs(w) < small)), "max_abs": float(np.max(np.abs(w)))}


# --- an L-layer network written out by hand (the reference of the build-it exercises) -----------
def deep_params(layer_sizes: Sequence[int], seed=0) -> dict:
    """He-initialised {"W1": (n0, n1), "b1": (n1,), ..., "WL", "bL"} for layer_sizes n0..nL."""
    rng = rng_from(seed)
    params = {}
    for l, (n_in, n_out) in enumerate(itertools.pairwise(layer_sizes), start=1):
        params[f"W{l}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        params[f"b{l}"] = rng.standard_normal(n_out) * 0.1
    return params


def deep_forward(X, params: dict) -> tuple[np.ndarray, list]:
    """ReLU hidden layers, a sigmoid output: A_l = g(A_{l-1} W_l + b_l), A_0 = X (N, n0).

    Returns (AL (N, nL), caches) with caches[l-1] = (A_{l-1}, Z_l) for l = 1..L.
    """
    from companion.nn.activations import relu, sigmoid
    L = len(params) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        caches.append((A, Z))
        A = sigmoid(Z) if l == L else relu(Z)
    return A, caches


def deep_backward(AL, Y, params: dict, caches: list, lambd: float = 0.0) -> dict:
    """Gradients of the mean binary cross-entropy (plus (lambd / 2N) sum ||W_l||^2 when
    lambd > 0) for ``deep_forward``: dZ_L = (AL - Y) / N; dW_l = A_{l-1}^T dZ_l
    (+ lambd / N W_l); db_l = sum_i dZ_l; dA_{l-1} = dZ_l W_l^T; dZ = dA * (Z > 0) below L."""
    N, L = len(Y), len(caches)
    dZ, grads = (AL - Y) / N, {}
    for l in range(L, 0, -1):
        A_prev = caches[l - 1][0]
        grads[f"W{l}"] = A_prev.T @ dZ + (lambd / N) * params[f"W{l}"]
        grads[f"b{l}"] = dZ.sum(axis=0)
        if l > 1:                                    # dA_{l-1} times ReLU'(Z_{l-1})
            dZ = (dZ @ params[f"W{l}"].T) * (caches[l - 2][1] > 0)
    return grads


def deep_loss(AL, Y, params: dict, lambd: float = 0.0) -> float:
    """Mean binary cross-entropy of AL (N, 1) against Y, plus (lambd / 2N) sum_l ||W_l||^2."""
    N = len(Y)
    ce = -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    return float(ce + lambd / (2 * N) * sum(np.sum(params[k] ** 2) for k in params
                                            if k.startswith("W")))
