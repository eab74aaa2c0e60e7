"""Chapter 6 exercises: a random search that samples the learning rate and 1 - beta on log
scales (with the rng it is given) and keeps the best trial; batch normalisation's training-mode
forward and backward passes, and the whole layer's forward pass in both modes with its moving
statistics.

The batch-norm checkers compare with ``nn.layers.batchnorm`` (Keras' BatchNormalization, checked
against Keras in the package tests) and name the likely mistake.
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import (
    Case,
    Fail,
    call,
    check,
    feedback,
    hints,
    planted,
    rng_rule,
    run_check,
)

HINTS = hints("ch06")


# --- random search on the right scales (a statistical check) ----------------------------------------
def _toy_score(learning_rate, beta):
    """Higher is better; best near learning_rate 1e-2 and beta 0.99 (1 - beta = 1e-2)."""
    return float(-(np.log10(learning_rate) + 2) ** 2 - 3 * (np.log10(1 - beta) + 2) ** 2)


def _search(score, n_trials, rng, lr_scale="log", beta_scale="one minus log", pick=np.argmax,
            global_rng=False):
    """The reference search with switches that plant the mistakes the checker names."""
    r = np.random if global_rng else rng
    lrs = 10 ** r.uniform(-4, 0, n_trials) if lr_scale == "log" else r.uniform(1e-4, 1, n_trials)
    betas = {"one minus log": lambda: 1 - 10 ** r.uniform(-3, -1, n_trials),
             "uniform": lambda: r.uniform(0.9, 0.999, n_trials),
             "log": lambda: 10 ** r.uniform(-3, -1, n_trials)}[beta_scale]()
    scores = np.array([score(lr, b) for lr, b in zip(lrs, betas)])
    i = int(pick(scores))
    return lrs[i], betas[i], scores


SEARCH_HINTS = HINTS["random_search"]          # also the sentences of the statistical checks
SEARCH_MISTAKES = planted({
    "linear lr": lambda s, n, rng: _search(s, n, rng, lr_scale="linear"),
    "uniform beta": lambda s, n, rng: _search(s, n, rng, beta_scale="uniform"),
    "log beta": lambda s, n, rng: _search(s, n, rng, beta_scale="log"),
    "worst": lambda s, n, rng: _search(s, n, rng, pick=np.argmin),
}, SEARCH_HINTS)


def _run_search(random_search, n: int) -> tuple[list, float, float, np.ndarray]:
    """The learner's search on the toy score; (the (lr, beta) pairs tried, best lr, best beta,
    scores), or :class:`Fail` for a result of the wrong kind."""
    tried = []

    def score(learning_rate, beta):
        tried.append((learning_rate, beta))
        return _toy_score(learning_rate, beta)
    got = call(random_search, score, n, np.random.default_rng(0),
               returns="the tuple (best_learning_rate, best_beta, scores)")
    if not isinstance(got, tuple) or len(got) != 3:
        raise Fail(f"returned {type(got).__name__}: return the tuple (best_learning_rate, "
                   "best_beta, scores)")
    lr, beta, scores = got
    if isinstance(lr, (int, np.integer)) and not isinstance(lr, (bool, np.bool_)):
        raise Fail(f"best_learning_rate is an int ({lr}): return the best trial's learning "
                   "rate, not its index")
    for name, v in (("best_learning_rate", lr), ("best_beta", beta)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (float, int, np.floating,
                                                               np.integer)):
            raise Fail(f"{name} is {type(v).__name__}: return a number")
    if not isinstance(scores, np.ndarray) or scores.dtype.kind not in "iuf":
        raise Fail(f"scores is {type(scores).__name__}: return a NumPy array of the n_trials "
                   "scores")
    if scores.shape != (n,):
        raise Fail(f"scores has shape {scores.shape}, expected ({n},) (one per trial)")
    if len(tried) != n:
        raise Fail(f"`score` was called {len(tried)} times for n_trials = {n}: call it once per "
                   "trial")
    if not np.allclose(scores, [_toy_score(*t) for t in tried]):
        raise Fail("scores are not what `score` returned, in the order of the trials")
    return tried, float(lr), float(beta), scores


def _scales(lrs: np.ndarray, betas: np.ndarray) -> None:
    """Fail with the hint for learning rates or betas drawn on the wrong scale."""
    from companion.chapters.ch06 import decade_shares
    if lrs.min() < 1e-4 or lrs.max() > 1:
        raise Fail(f"learning rates span [{lrs.min():.2g}, {lrs.max():.2g}], outside [1e-4, 1]")
    if not np.allclose(decade_shares(lrs, 1e-4, 1), 0.25, atol=0.03):
        shares = ", ".join(f"{v:.0%}" for v in decade_shares(lrs, 1e-4, 1))
        raise Fail(SEARCH_HINTS["linear lr"] if decade_shares(lrs, 1e-4, 1)[-1] > 0.8 else
                   f"the learning rates' shares per decade 1e-4..1 are {shares}, expected 25% "
                   "each")
    if betas.max() < 0.9:
        raise Fail(SEARCH_HINTS["log beta"])
    if betas.min() < 0.9 or betas.max() > 0.999:
        raise Fail(f"betas span [{betas.min():.4g}, {betas.max():.4g}], outside [0.9, 0.999]")
    window = np.mean(betas > 0.99)                   # 1 - beta in [1e-3, 1e-2)
    if abs(window - 0.5) > 0.03:
        raise Fail(SEARCH_HINTS["uniform beta"] if window < 0.15 else
                   f"{window:.0%} of the betas are above 0.99, expected 50% (1 - beta "
                   "log-uniform in [1e-3, 1e-1])")


def check_random_search(random_search) -> bool:
    """``random_search(score, n_trials, rng) -> (best_learning_rate, best_beta, scores (n,))``:
    learning rates log-uniform in [1e-4, 1], 1 - beta log-uniform in [1e-3, 1e-1], drawn from
    ``rng``; ``score(lr, beta)`` called once per trial; the best is the highest score."""
    def body():
        tried, lr, beta, scores = _run_search(random_search, 4000)
        pairs = np.array(tried, dtype=float)
        _scales(pairs[:, 0], pairs[:, 1])
        if (lr, beta) != tuple(pairs[int(np.argmax(scores))]):
            raise Fail(SEARCH_HINTS["worst"] if (lr, beta) == tuple(pairs[int(np.argmin(
                scores))]) else "(best_learning_rate, best_beta) is not the trial with the "
                "highest score")
        one = _run_search(random_search, 1)          # a single trial is its own best
        if (one[1], one[2]) != tuple(one[0][0]):
            raise Fail("with n_trials = 1 the best is the only trial (case: n_trials = 1)")
        rng_rule(random_search, (_toy_score, 50, np.random.default_rng(0)))
        return feedback(True, "random search: log-scale learning rates and 1 - beta, the best "
                        "trial kept (4000 and 1 trials)")
    return run_check("random search", body)


# --- batch normalisation ------------------------------------------------------------------------------
def _bn_case(seed: int, shape=(6, 4)):
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, shape)
    c = shape[-1]
    return x, rng.uniform(0.5, 2, c), rng.standard_normal(c)


def _bn_forward(x, gamma, beta, epsilon):
    from companion.nn.layers.batchnorm import batchnorm_forward
    return batchnorm_forward(x, gamma, beta, epsilon)[0]


def _bn_bug(kind: str):
    def bn(x, gamma, beta, epsilon):
        axis = 1 if kind == "axis" else 0
        mean = x.mean(axis, keepdims=True)
        var = x.var(axis, ddof=1 if kind == "ddof" else 0, keepdims=True)
        x_hat = (x - mean) / (np.sqrt(var) + epsilon if kind == "eps" else
                              np.sqrt(var + epsilon))
        return x_hat if kind == "no affine" else gamma * x_hat + beta
    return bn


BN_FORWARD_MISTAKES = planted(_bn_bug, HINTS["bn_forward"])


def check_batchnorm_forward(bn_forward) -> bool:
    """``bn_forward(x (m, C), gamma (C,), beta (C,), epsilon) -> out (m, C)`` in training mode:
    x_hat = (x - mean) / sqrt(var + epsilon) with the batch's mean and biased variance (axis 0),
    out = gamma * x_hat + beta."""
    cases = [Case(_bn_case(3) + (1e-3,), label="m=6, C=4"),
             Case(_bn_case(4, (2, 3)) + (1e-3,), label="m=2"),
             Case(_bn_case(5, (16, 1)) + (0.5,), label="one feature, epsilon 0.5")]
    return check("batch-norm forward", bn_forward, _bn_forward, cases, BN_FORWARD_MISTAKES,
                 returns="the normalised array out, shaped like x", names=("out",))


def _bn_backward(dout, x, gamma, epsilon):
    from companion.nn.layers.batchnorm import batchnorm_backward, batchnorm_forward
    _, cache = batchnorm_forward(x, gamma, np.zeros_like(gamma), epsilon)
    dx, (dgamma, dbeta) = batchnorm_backward(dout, cache)
    return dx, dgamma, dbeta


def _bn_backward_bug(kind: str):
    def backward(dout, x, gamma, epsilon):
        m = len(x)
        inv_std = 1 / np.sqrt(x.var(0) + epsilon)
        x_hat = (x - x.mean(0)) * inv_std
        dx_hat = dout if kind == "no gamma" else dout * gamma
        if kind == "constants":
            dx = dx_hat * inv_std
        else:
            dx = inv_std / m * (m * dx_hat - dx_hat.sum(0) - x_hat * (dx_hat * x_hat).sum(0))
        dgamma = dout.sum(0) if kind == "dgamma" else (dout * x_hat).sum(0)
        dbeta = dout.mean(0) if kind == "dbeta mean" else dout.sum(0)
        return dx, dgamma, dbeta
    return backward


BN_BACKWARD_MISTAKES = planted(_bn_backward_bug, HINTS["bn_backward"])


def _bn_paths(bn_backward) -> str | None:
    """Which path of dx is wrong, found by choosing dout so that each path alone would cancel:
    dout constant over the batch (the mean path cancels the direct one: dx = 0) and dout
    proportional to x_hat (the variance path cancels it: dx = 0)."""
    x, gamma, _ = _bn_case(21, (8, 3))
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-12)     # unit variance to ~1e-12
    zero = []
    for dout in (np.ones_like(x) * np.array([1.0, -2.0, 0.5]), x_hat * np.array([1.0, -2.0, 0.5])):
        dx = call(bn_backward, dout, x, gamma, 1e-12, returns="the tuple (dx, dgamma, dbeta)")[0]
        zero.append(isinstance(dx, np.ndarray) and dx.shape == x.shape and
                    np.allclose(dx, 0, atol=1e-8))
    return {(True, False): "dx cancels for a dout constant over the batch but not for dout "
                           "proportional to x_hat: look at the path through the variance",
            (False, True): "dx cancels for dout proportional to x_hat but not for a dout "
                           "constant over the batch: look at the path through the mean",
            (False, False): "dx should vanish for a dout constant over the batch and for dout "
                            "proportional to x_hat, and does for neither: look at the paths "
                            "through the mean and the variance",
            (True, True): "both paths through the batch statistics cancel as they should: "
                          "look at the direct path, dout * gamma / sqrt(var + epsilon)"}[
        tuple(zero)]


def check_batchnorm_backward(bn_backward) -> bool:
    """``bn_backward(dout (m, C), x (m, C), gamma (C,), epsilon) -> (dx (m, C), dgamma (C,),
    dbeta (C,))`` for the training-mode forward pass (recompute x_hat from x)."""
    cases = []
    for seed, shape, eps, label in ((6, (6, 4), 1e-3, "m=6, C=4"), (7, (2, 3), 1e-3, "m=2"),
                                    (8, (10, 1), 0.1, "one feature, epsilon 0.1")):
        x, gamma, _ = _bn_case(seed, shape)
        dout = np.random.default_rng(seed + 10).standard_normal(shape)
        cases.append(Case((dout, x, gamma, eps), label=label))
    return check("batch-norm backward", bn_backward, _bn_backward, cases, BN_BACKWARD_MISTAKES,
                 returns="the tuple (dx, dgamma, dbeta)", names=("dx", "dgamma", "dbeta"),
                 diagnose=_bn_paths)


# --- the batch-norm layer's forward pass, training and inference -----------------------------------
def _moving(moving_mean, moving_var, x, momentum):
    from companion.nn.layers.batchnorm import BatchNormalization
    layer = BatchNormalization(momentum=momentum)
    layer.build(x.shape[1:])
    layer.state["moving_mean"][...] = moving_mean
    layer.state["moving_variance"][...] = moving_var
    layer.forward(x, training=True)
    return layer.state["moving_mean"].copy(), layer.state["moving_variance"].copy()


def _bn_inference(x, gamma, beta, moving_mean, moving_var, epsilon):
    from companion.nn.layers.batchnorm import batchnorm_inference
    return batchnorm_inference(x, gamma, beta, moving_mean, moving_var, epsilon)[0]


def _bn_layer(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon):
    if training:
        return (_bn_forward(x, gamma, beta, epsilon),) + _moving(moving_mean, moving_var, x,
                                                                 momentum)
    return (_bn_inference(x, gamma, beta, moving_mean, moving_var, epsilon), moving_mean.copy(),
            moving_var.copy())


def _bn_layer_bug(kind: str):
    def layer(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon):
        mean, var = x.mean(0), x.var(0, ddof=1 if kind == "ddof" else 0)
        use_batch = training if kind not in ("always batch", "always moving") else \
            kind == "always batch"
        a, b = (mean, var) if use_batch else (moving_mean, moving_var)
        new_mean, new_var = moving_mean, moving_var
        if training or kind == "update at inference":
            w_old = 1 - momentum if kind == "swapped" else momentum
            new_mean = w_old * moving_mean + (1 - w_old) * mean
            new_var = w_old * moving_var + (1 - w_old) * var
            if kind == "normalise with new":
                a, b = new_mean, new_var
        out = gamma * (x - a) / np.sqrt(b + epsilon) + beta
        return out, new_mean, new_var
    return layer


BN_LAYER_MISTAKES = planted(_bn_layer_bug, HINTS["bn_layer"])


def check_batchnorm_layer(bn_layer_forward) -> bool:
    """``bn_layer_forward(x (m, C), gamma, beta, moving_mean, moving_var (C,), training,
    momentum, epsilon) -> (out (m, C), moving_mean (C,), moving_var (C,))``: in training mode
    normalise with the batch's statistics and return the updated moving ones; at inference
    normalise with the moving statistics and return them unchanged; never change the arrays
    passed in."""
    cases = []
    for seed, shape, training, mom, eps in ((12, (6, 4), True, 0.9, 1e-3),
                                            (13, (1, 3), False, 0.99, 1e-3),
                                            (14, (2, 2), True, 0.5, 0.5),
                                            (15, (5, 3), False, 0.9, 0.25)):
        x, gamma, beta = _bn_case(seed, shape)
        rng = np.random.default_rng(seed)
        cases.append(Case((x, gamma, beta, rng.normal(3, 1, shape[1]),
                           rng.uniform(2, 6, shape[1]), training, mom, eps),
                          label=f"m={shape[0]}, {'training' if training else 'inference'}, "
                                f"momentum {mom}, epsilon {eps}"))
    return check("batch-norm layer forward", bn_layer_forward, _bn_layer, cases,
                 BN_LAYER_MISTAKES, returns="the tuple (out, moving_mean, moving_var)",
                 names=("out", "moving_mean", "moving_var"))
