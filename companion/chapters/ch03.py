"""Chapter 3: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- The notes' shallow network, exactly as drawn, with explicit forward and backward passes.
"""

from __future__ import annotations

import numpy as np

from companion.nn import activations, optim
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.threads import blas_threads
from companion.nn.train import Callback, check_loss, train_loop
from companion.nn.shape_checks import check_same_length
from companion.nn.validation import as_array, check_int, check_positive, rng_from

PARAM_NAMES = ("W1", "b1", "W2", "b2")
BUGS = ("no_activation_derivative", "forgot_mean", "bias_mean")


def init_params(n_x: int, n_h: int, n_y: int = 1, rng=None, init: str = "random",
                scale: float = 0.01) -> dict:
    """W ~ N(0, 1) * scale (``init="random"``) or all zeros (``init="zeros"``); biases zero."""
    if init not in ("random", "zeros"):
        raise ValueError(f"init must be 'random' or 'zeros', got {init!r}")
    for name, v in (("n_x", n_x), ("n_h", n_h), ("n_y", n_y)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    draw = ((lambda s: rng_from(rng).standard_normal(s) * scale) if init == "random"
            else np.zeros)
    W1 = draw((n_x, n_h))
    return {"W1": W1, "b1": np.zeros(n_h), "W2": draw((n_h, n_y)), "b2": np.zeros(n_y)}


def targets(y, output: str = "sigmoid", n_classes: int | None = None) -> np.ndarray:
    """Labels (N,) -> Y: a (N, 1) column of 0/1 for sigmoid, one-hot (N, K) for softmax."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(np.float64)
    if output == "sigmoid":
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"y: a sigmoid output needs 0/1 labels, got {np.unique(y)[:5]}")
        return y.reshape(-1, 1).astype(np.float64)
    from companion.data.datasets import one_hot
    return one_hot(y, n_classes)


def forward(X, params: dict, activation: str = "tanh", output: str = "sigmoid"):
    """Z1 = X W1 + b1; A1 = g(Z1); Z2 = A1 W2 + b2; A2 = sigmoid(Z2) (or softmax).

    X: (N, n_x). Returns (A2 (N, n_y), cache) with cache = (X, Z1, A1, Z2, A2).
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"X: expected shape (N, {params['W1'].shape[0]}), got {X.shape}")
    Z1 = X @ params["W1"] + params["b1"]
    A1 = activations.forward(activation, Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = activations.forward(output, Z2)
    return A2, (X, Z1, A1, Z2, A2)


def loss(Z2, Y, output: str = "sigmoid") -> float:
    """Cross-entropy computed from the logits Z2 (no log(0)), a mean over the N examples.

    sigmoid: mean_i [log(1 + e^z_i) - y_i z_i]  (= -mean[y log a + (1-y) log(1-a)])
    softmax: mean_i [logsumexp(z_i) - sum_k y_ik z_ik]
    """
    if output == "sigmoid":
        return float(np.mean(np.logaddexp(0.0, Z2) - Y * Z2))
    zmax = Z2.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.sum(np.exp(Z2 - zmax), axis=1))
    return float(np.mean(lse - np.sum(Y * Z2, axis=1)))


def backward(params: dict, cache, Y, activation: str = "tanh", bug: str | None = None) -> dict:
    """Gradients of the mean cross-entropy, by the chain rule from the loss back to W1.

        dZ2 = (A2 - Y) / N          (sigmoid + binary CE, or softmax + categorical CE)
        dW2 = A1^T dZ2   (n_h, n_y)       db2 = sum_i dZ2   (n_y,)
        dA1 = dZ2 W2^T   (N, n_h)
        dZ1 = dA1 * g'(Z1)                 (tanh: 1 - A1^2, sigmoid: A1 (1 - A1), relu: Z1 > 0)
        dW1 = X^T dZ1    (n_x, n_h)       db1 = sum_i dZ1   (n_h,)

    ``bug`` plants a classic mistake (one of ``BUGS``) so a gradient check can catch it.
    """
    X, Z1, A1, _, A2 = cache
    Y = as_array(Y, "Y", ndim=2)
    if Y.shape != A2.shape:
        raise ValueError(f"Y: expected shape {A2.shape} (like the output), got {Y.shape}")
    if bug is not None and bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {BUGS}")
    dZ2 = (A2 - Y) if bug == "forgot_mean" else (A2 - Y) / len(X)
    dA1 = dZ2 @ params["W2"].T
    dZ1 = dA1 if bug == "no_activation_derivative" else \
        activations.backward(activation, dA1, Z1, A1)
    bias = (lambda d: d.mean(axis=0)) if bug == "bias_mean" else (lambda d: d.sum(axis=0))
    return {"W1": X.T @ dZ1, "b1": bias(dZ1), "W2": A1.T @ dZ2, "b2": bias(dZ2)}


def loss_and_grads(X, Y, params, activation="tanh", output="sigmoid", bug=None):
    """(loss, grads) for one batch."""
    _, cache = forward(X, params, activation, output)
    return loss(cache[3], Y, output), backward(params, cache, Y, activation, bug)


def gradient_errors(X, Y, params, activation="tanh", output="sigmoid", bug=None,
                    h: float = 1e-6) -> dict[str, float]:
    """Relative error between ``backward`` and two-sided numerical gradients, per parameter.

    Needs float64 parameters (they are perturbed in place and restored).
    """
    _, grads = loss_and_grads(X, Y, params, activation, output, bug)

    def f():
        return loss(forward(X, params, activation, output)[1][3], Y, output)
    return {k: rel_error(grads[k], numerical_gradient(f, params[k], h)) for k in PARAM_NAMES}


# --- the same network, one number at a time ("why NumPy") ---------------------------------
def forward_loop(X, params: dict, activation: str = "tanh") -> np.ndarray:
    """The forward pass with Python loops over examples, units and inputs (sigmoid output)."""
    g = activations.get(activation).fn
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    N, (n_x, n_h), n_y = len(X), W1.shape, W2.shape[1]
    A2 = np.zeros((N, n_y))
    for i in range(N):
        a1 = [0.0] * n_h
        for j in range(n_h):
            z = b1[j]
            for k in range(n_x):
                z += X[i, k] * W1[k, j]
            a1[j] = float(g(np.float64(z)))
        for o in range(n_y):
            z = b2[o]
            for j in range(n_h):
                z += a1[j] * W2[j, o]
            A2[i, o] = 1.0 / (1.0 + np.exp(-z))
    return A2


# --- training ------------------------------------------------------------------------------
class ShallowNet:
    """The notes' network with its parameter dict, as a ``Trainable`` of ``companion.nn.train``:
    a batch is (X (N, n_x), Y (N, n_y)); ``params``/``grads`` dicts in ``PARAM_NAMES`` order."""

    def __init__(self, params: dict, activation: str = "tanh", output: str = "sigmoid"):
        self.params = {k: np.array(params[k], dtype=float) for k in PARAM_NAMES}  # a copy
        self.activation, self.output = activation, output
        self.grads: dict[str, np.ndarray] = {}

    def loss_and_grads(self, batch):
        X, Y = batch
        value, grads = loss_and_grads(X, Y, self.params, self.activation, self.output)
        self.grads = {k: grads[k] for k in PARAM_NAMES}
        return value, self.grads


class _Record(Callback):
    """history["iteration"], history["loss"]: the loss before every ``every``-th update."""

    def __init__(self, every: int):
        self.every = every

    def on_step(self, step, loss, grads, clipped, history):
        if step % self.every == 0:
            history["iteration"].append(step)
            history["loss"].append(loss)


def train(X, y, n_h: int = 4, activation: str = "tanh", learning_rate: float = 1.2,
          iterations: int = 2000, seed=0, init: str = "random", scale: float = 0.01,
          output: str = "sigmoid", record_every: int = 10, params: dict | None = None):
    """Full-batch gradient descent (plain SGD on the whole set, with the package's one
    training loop, ``companion.nn.train.train_loop``). y: labels (N,) or targets Y (N, n_y).

    Returns (params, history) with history = {"iteration": [...], "loss": [...]}, recorded
    every ``record_every`` iterations and after the last one. ``params`` given as a start is
    not modified. A NaN/inf loss raises DivergenceError naming the step.
    """
    X = as_array(X, "X", ndim=2)
    Y = targets(y, output)
    check_same_length(X, Y, "X", "y")
    lr = check_positive(learning_rate, "learning_rate")
    iterations = check_int(iterations, "iterations", minimum=0)
    if params is None:
        params = init_params(X.shape[1], n_h, Y.shape[1], seed, init, scale)
    net = ShallowNet(params, activation, output)
    hist: dict[str, list] = {"iteration": [], "loss": []}
    with blas_threads(1):          # small matrices: extra BLAS threads only wait (busy CPUs)
        if iterations:
            train_loop(net, lambda epoch: [(X, Y)], optim.SGD(lr), iterations,
                       [_Record(record_every)], history=hist)
        with np.errstate(over="ignore", invalid="ignore"):
            value, _ = net.loss_and_grads((X, Y))               # after the last update
        check_loss(value, iterations, lr, hist)
    hist.pop("batch_loss", None)
    hist["iteration"].append(iterations)
    hist["loss"].append(value)
    return net.params, hist


def predict(X, params, activation: str = "tanh", output: str = "sigmoid") -> np.ndarray:
    """Class labels: A2 > 0.5 for a sigmoid output, argmax for softmax. Shape (N,)."""
    A2, _ = forward(X, params, activation, output)
    return (A2[:, 0] > 0.5).astype(np.int64) if output == "sigmoid" else A2.argmax(axis=1)


def to_weights(params: dict) -> list[np.ndarray]:
    """[W1, b1, W2, b2]: the order of ``Sequential.set_weights`` and Keras' ``set_weights``."""
    return [params[k] for k in PARAM_NAMES]


def as_sequential(params: dict, activation: str = "tanh", output: str = "sigmoid"):
    """The equivalent ``companion.Sequential([Dense(n_h, g), Dense(n_y, output)])``."""
    from companion.nn.layers import Dense
    from companion.nn.model import Sequential
    n_x, n_h = params["W1"].shape
    model = Sequential([Dense(n_h, activation), Dense(params["W2"].shape[1], output)],
                       input_shape=(n_x,), seed=0)
    model.set_weights([p.copy() for p in to_weights(params)])
    return model


def collapsed(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """With a linear hidden layer, (X W1 + b1) W2 + b2 = X (W1 W2) + (b1 W2 + b2):
    returns the one-layer (W (n_x, n_y), b (n_y,)) of the logistic regression it equals."""
    return params["W1"] @ params["W2"], params["b1"] @ params["W2"] + params["b2"]


def keras_sgd_steps(params: dict, X, Y, activation: str = "tanh", output: str = "sigmoid",
                    learning_rate: float = 0.5, steps: int = 5) -> list[list[np.ndarray]]:
    """Train the Keras twin (float32) with full-batch SGD; the weights after each step."""
    from companion import keras_twin as reference
    keras = reference.import_keras()
    kmodel = reference.twin(as_sequential(params, activation, output))
    opt = keras.optimizers.SGD(learning_rate=learning_rate)
    kloss = "binary_crossentropy" if output == "sigmoid" else "categorical_crossentropy"
    out = []
    for _ in range(int(steps)):
        _, _, _, grads = reference.loss_gradients(kmodel, X, Y, kloss)
        reference.apply_gradients(opt, kmodel, grads)
        out.append(kmodel.get_weights())
    return out


# --- the chapter's explorer -----------------------------------------------------------------
def explore(n_h: int = 4, activation: str = "tanh", learning_rate: float = 1.2,
            iterations: int = 1000, seed: int = 0) -> dict:
    """Train on the flower data and report the training accuracy (the explorer's compute)."""
    from companion.data.datasets import flower
    X, y = flower(seed=0)
    params, hist = train(X, y, n_h, activation, learning_rate, iterations, seed=seed)
    acc = float(np.mean(predict(X, params, activation) == y))
    return {"X": X, "y": y, "params": params, "history": hist, "accuracy": acc,
            "activation": activation,
            "summary": f"{n_h} {activation} unit{'s' if n_h != 1 else ''}, learning rate {learning_rate:g}, "
                       f"{iterations} iterations: loss {hist['loss'][-1]:.4f}, "
                       f"training accuracy {acc:.1%}"}


def draw(result):
    """The decision boundary on the flower data and the loss curve."""
    import matplotlib.pyplot as plt

    from companion.lab.plots import decision_boundary
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    act, params = result["activation"], result["params"]
    decision_boundary(lambda P: forward(P, params, act)[0], result["X"], result["y"], ax=ax,
                      steps=120, title=f"accuracy {result['accuracy']:.1%}")
    ax.set(xlabel="x1", ylabel="x2")
    ax2.plot(result["history"]["iteration"], result["history"]["loss"])
    ax2.set(xlabel="iteration", ylabel="loss", title="training loss")
    fig.tight_layout()
    return fig


def explorer():
    """Sliders over hidden units, learning rate and iterations; a dropdown over activations."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {"n_h": w.IntSlider(value=4, min=1, max=50, description="hidden units"),
                "activation": w.Dropdown(options=["tanh", "sigmoid", "relu", "linear"],
                                         value="tanh", description="activation"),
                "learning_rate": w.FloatLogSlider(value=1.2, base=10, min=-2, max=1,
                                                  description="learning rate"),
                "iterations": w.IntSlider(value=1000, min=10, max=5000, step=10,
                                          description="iterations")}
    return Explorer(explore, draw, controls, title="Shallow network explorer")


def accuracy_curves(X, y, X_dev, y_dev, n_h: int, learning_rate: float, iterations: int,
                    every: int = 25, seed=0, activation: str = "tanh", scale: float = 0.1) -> dict:
    """Train a softmax-output network with ``train`` and record its training and dev accuracy
    every ``every`` iterations (and at 0). X: (N, n_x), y: (N,) integer labels.

    Returns {"iteration", "train", "dev"} (arrays) and the final ``params``.
    """
    every = check_int(every, "every", minimum=1)
    n_y = int(max(np.max(y), np.max(y_dev))) + 1
    params = init_params(X.shape[1], n_h, n_y, seed, "random", scale)
    out: dict = {"iteration": [], "train": [], "dev": []}
    done = 0
    while True:
        out["iteration"].append(done)
        out["train"].append(float(np.mean(predict(X, params, activation, "softmax") == y)))
        out["dev"].append(float(np.mean(predict(X_dev, params, activation, "softmax") == y_dev)))
        if done >= iterations:
            break
        step = min(every, iterations - done)
        params, _ = train(X, np.eye(n_y)[y], n_h, activation, learning_rate, step,
                          output="softmax", params=params, record_every=step)
        done += step
    return {**{k: np.asarray(v) for k, v in out.items()}, "params": params}
