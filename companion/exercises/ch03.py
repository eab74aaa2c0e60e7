"""Chapter 3 exercises: the shallow network (tanh hidden layer, sigmoid output) by hand: its
forward pass, its cross-entropy, its backward pass and a complete training loop.

Each ``check_*`` compares the learner's function with the package (``chapters.ch03``) on
several cases and names the likely mistake (sigmoid' for tanh', a forgotten 1/N...).
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import ROW, Case, check, feedback, hints, planted

HINTS = hints("ch03")

NAMES = ("W1", "b1", "W2", "b2")
GRADS = 'the dict {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}'


def _problem(seed: int, n: int, n_x: int = 3, n_h: int = 5, scale: float = 1.0):
    from companion.chapters.ch03 import init_params
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_x))
    Y = rng.integers(0, 2, (n, 1)).astype(float)
    params = init_params(n_x, n_h, 1, rng, scale=scale)
    params["b1"], params["b2"] = rng.standard_normal(n_h) * 0.1, rng.standard_normal(1) * 0.1
    return X, Y, params


def _cases():
    return [Case(_problem(0, 7), label="N=7, 5 hidden units"),
            Case(_problem(1, 1), label="N=1"),
            Case(_problem(2, 12, n_x=2, n_h=1), label="one hidden unit")]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- forward ----------------------------------------------------------------------------------
def _forward(X, params):
    from companion.chapters.ch03 import forward
    _, (_, Z1, A1, Z2, A2) = forward(X, params, "tanh")
    return Z1, A1, Z2, A2


def _forward_bug(hidden=np.tanh, out=_sigmoid, bias: bool = True):
    def forward(X, p):
        Z1 = X @ p["W1"] + (p["b1"] if bias else 0)
        A1 = hidden(Z1)
        Z2 = A1 @ p["W2"] + (p["b2"] if bias else 0)
        return Z1, A1, Z2, out(Z2)
    return forward


FORWARD_MISTAKES = planted({
    "sigmoid hidden": _forward_bug(hidden=_sigmoid),
    "no output sigmoid": _forward_bug(out=lambda z: z),
    "tanh output": _forward_bug(out=np.tanh),
    "no biases": _forward_bug(bias=False),
}, HINTS["forward"])


def check_forward(shallow_forward) -> bool:
    """``shallow_forward(X (N, n_x), params) -> (Z1 (N, n_h), A1, Z2 (N, 1), A2)`` with
    Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, A2 = sigmoid(Z2)."""
    cases = [Case(c.args[::2], label=c.label) for c in _cases()]
    return check("shallow forward", shallow_forward, _forward, cases, FORWARD_MISTAKES,
                 returns="the tuple (Z1, A1, Z2, A2)", names=("Z1", "A1", "Z2", "A2"))


# --- the cross-entropy ------------------------------------------------------------------------
def _cross_entropy(A2, Y):
    from companion.chapters.ch03 import loss
    return loss(np.log(A2) - np.log1p(-A2), Y)


def _ce_bug(kind: str):
    def ce(A2, Y):
        terms = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
        if kind == "half":
            terms = Y * np.log(A2)
        value = -np.sum(terms) if kind == "sum" else -np.mean(terms)
        return -value if kind == "sign" else value
    return ce


CE_MISTAKES = planted(_ce_bug, HINTS["ce"])


def check_cross_entropy(cross_entropy) -> bool:
    """``cross_entropy(A2 (N, 1), Y (N, 1)) -> float``:
    -(1/N) sum_i [y_i log a_i + (1 - y_i) log(1 - a_i)]."""
    rng = np.random.default_rng(4)
    cases = [Case((rng.uniform(0.05, 0.95, (8, 1)), rng.integers(0, 2, (8, 1)).astype(float)),
                  label="N=8"),
             Case((np.array([[0.3]]), np.array([[0.0]])), label="N=1, y = 0"),
             Case((np.array([[0.9], [0.2], [0.6]]), np.array([[1.0], [0.0], [0.0]])),
                  label="N=3")]
    return check("cross-entropy", cross_entropy, _cross_entropy, cases, CE_MISTAKES,
                 returns="the loss, a number", names=("the loss",))


# --- backward ---------------------------------------------------------------------------------
def _backward(X, Y, params, bug=None):
    from companion.chapters.ch03 import backward, forward
    _, cache = forward(X, params, "tanh")
    return backward(params, cache, Y, "tanh", bug=bug)


def _backward_sigmoid_grad(X, Y, p):
    from companion.chapters.ch03 import backward, forward
    _, cache = forward(X, p, "tanh")
    return backward(p, cache, Y, "sigmoid")       # A1 (1 - A1) in place of 1 - A1^2


BACKWARD_MISTAKES = planted({
    "no tanh'": lambda X, Y, p: _backward(X, Y, p, "no_activation_derivative"),
    "sigmoid'": _backward_sigmoid_grad,
    "no 1/N": lambda X, Y, p: _backward(X, Y, p, "forgot_mean"),
    "bias mean": lambda X, Y, p: _backward(X, Y, p, "bias_mean"),
}, HINTS["backward"])


def check_backward(shallow_backward) -> bool:
    """``shallow_backward(X, Y (N, 1), params) -> {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``
    for the mean cross-entropy; each gradient has its parameter's shape (a bias of shape
    (1, n) is accepted for (n,))."""
    return check("shallow backward", shallow_backward, _backward, _cases(), BACKWARD_MISTAKES,
                 returns=GRADS, accept={"b1": ROW, "b2": ROW})      # (1, n) biases allowed


# --- the training loop ------------------------------------------------------------------------
def _train(X, Y, params, learning_rate, iterations):
    from companion.chapters.ch03 import train
    return train(X, Y, learning_rate=learning_rate, iterations=iterations, params=params)[0]


def _train_bug(kind: str):
    def loop(X, Y, params, learning_rate, iterations):
        p = {k: v.copy() for k, v in params.items()}
        for _ in range(iterations):
            grads = _backward(X, Y, p)
            for k in NAMES:
                if kind == "ascent":
                    p[k] = p[k] + learning_rate * grads[k]
                elif not (kind == "weights only" and k.startswith("b")):
                    p[k] = p[k] - learning_rate * grads[k]
        if kind == "one more":
            grads = _backward(X, Y, p)
            p = {k: p[k] - learning_rate * grads[k] for k in NAMES}
        return p
    return loop


TRAIN_MISTAKES = planted(_train_bug, HINTS["train"])


def _changes_params(train_shallow, X, Y, params) -> str | None:
    """The first key of ``params`` whose array the learner's loop changed in place, or None
    (also when it raises: the comparison with the reference then reports that)."""
    mine = {k: v.copy() for k, v in params.items()}
    try:
        with np.errstate(all="ignore"):
            train_shallow(X, Y, mine, 0.5, 2)
    except Exception:  # noqa: BLE001 - reported by the comparison that follows
        return None
    return next((k for k in mine if not np.array_equal(mine[k], params[k])), None)


def check_train(train_shallow) -> bool:
    """``train_shallow(X, Y (N, 1), params, learning_rate, iterations) -> params``: full-batch
    gradient descent from the given params (your forward and backward in a loop)."""
    from companion import data
    X_flower, y_flower = data.flower(seed=0)
    (X_tr, y_tr), _, _ = data.train_dev_test_split(X_flower, y_flower, (0.8, 0.0, 0.2), seed=0)
    from companion.chapters.ch03 import init_params
    flower = (X_tr, y_tr[:, None].astype(float), init_params(2, 5, 1, 1), 1.2, 2000)
    X, Y, params = _problem(3, 10)
    changed = _changes_params(train_shallow, X, Y, params)
    if changed:
        return feedback(False, "shallow training loop", f"you changed the caller's "
                        f"params[{changed!r}] in place: build new arrays (params[k] - "
                        "learning_rate * grads[k] into a new dict), not params[k] -= ...")
    cases = [Case((X, Y, params, 0.5, 5), label="N=10, 5 steps"),
             Case((X[:1], Y[:1], params, 0.1, 1), label="N=1, one step"),
             Case((X, Y, params, 0.5, 0), label="iterations = 0"),
             Case(flower, label="the flower, 5 hidden units, 2000 steps (94.4% in the chapter)")]
    return check("shallow training loop", train_shallow, _train, cases, TRAIN_MISTAKES,
                 returns='the dict of trained parameters {"W1": ..., "b2": ...}',
                 rtol=1e-6, atol=1e-7)
