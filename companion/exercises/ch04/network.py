"""Chapter 4 exercises, part 1: an L-layer network's forward and backward passes, the L2 term
of the gradient, inverted dropout (forward and backward with one mask), early stopping.

The network exercises compare with ``chapters.ch04.deep_forward`` / ``deep_backward`` (checked
against numerical gradients in the tests) and name the likely mistake.
"""

from __future__ import annotations

import copy

import numpy as np

from companion.exercises.checker import ROW, Case, Fail, check, hints, planted

HINTS = hints("ch04")


# --- the L-layer network --------------------------------------------------------------------------
def _net(sizes, n: int, seed: int):
    from companion.chapters.ch04 import deep_params
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    Y = (rng.random((n, 1)) < 0.5).astype(float)
    return X, Y, deep_params(sizes, seed)


def _net_cases():
    return [Case(_net([3, 5, 4, 1], 7, 0), label="3 layers (3-5-4-1), N=7"),
            Case(_net([2, 1], 5, 1), label="L=1: logistic regression"),
            Case(_net([4, 6, 6, 6, 3, 1], 1, 2), label="5 layers, N=1"),
            Case(_net([3, 8, 1], 9, 3), label="2 layers (3-8-1), N=9")]


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _relu(z):
    return np.maximum(z, 0)


def _forward(X, params):
    from companion.chapters.ch04 import deep_forward
    return deep_forward(X, params)[0]


def _forward_bug(hidden=_relu, out=_sig, layers=lambda L: L, bias=True, depth=None):
    def forward(X, params):
        L, A = depth or len(params) // 2, X
        for l in range(1, layers(L) + 1):
            Z = A @ params[f"W{l}"] + (params[f"b{l}"] if bias else 0)
            A = out(Z) if l == L else hidden(Z)
        return A
    return forward


FORWARD_MISTAKES = planted({
    "relu output": _forward_bug(out=_relu),
    "sigmoid hidden": _forward_bug(hidden=_sig),
    "one layer short": _forward_bug(layers=lambda L: L - 1),
    "two layers": _forward_bug(depth=2),
    "no bias": _forward_bug(bias=False),
}, HINTS["forward"])


def check_deep_forward(deep_forward) -> bool:
    """``deep_forward(X (N, n0), params) -> AL (N, 1)``: ReLU on layers 1..L-1, sigmoid on
    layer L, with params {"W1": (n0, n1), "b1": (n1,), ..., "WL", "bL"}, any depth L."""
    cases = [Case(c.args[::2], label=c.label) for c in _net_cases()]
    return check("L-layer forward", _column(deep_forward), _forward, cases, FORWARD_MISTAKES,
                 returns="AL, the (N, 1) array of output probabilities", names=("AL",))


def _backward(X, Y, params, lambd=0.0):
    from companion.chapters.ch04 import deep_backward, deep_forward
    AL, caches = deep_forward(X, params)
    return deep_backward(AL, Y, params, caches, lambd)


def _backward_bug(kind: str):
    def backward(X, Y, params):
        from companion.chapters.ch04 import deep_forward
        AL, caches = deep_forward(X, params)
        L, N = len(caches), len(X)
        dZ = (AL - Y) / (1 if kind == "no mean" else N)
        if kind == "sigmoid again":
            dZ = dZ * AL * (1 - AL)
        grads = {}
        for l in range(L, 0, -1):
            grads[f"W{l}"] = caches[l - 1][0].T @ dZ
            grads[f"b{l}"] = dZ.mean(axis=0) if kind == "mean bias" else dZ.sum(axis=0)
            if l > 1:
                dZ = dZ @ params[f"W{l}"].T
                dZ = dZ if kind == "no relu'" else dZ * (caches[l - 2][1] > 0)
        return grads
    return backward


BACKWARD_MISTAKES = planted(_backward_bug, HINTS["backward"])


def check_deep_backward(deep_backward) -> bool:
    """``deep_backward(X (N, n0), Y (N, 1), params) -> {"W1": dW1, "b1": db1, ...}`` for the
    mean binary cross-entropy of ``deep_forward``, any depth."""
    return check("L-layer backward", deep_backward, _backward, _net_cases(), BACKWARD_MISTAKES,
                 returns='the dict of gradients {"W1": dW1, "b1": db1, ..., "bL": dbL}',
                 accept={f"b{i}": ROW for i in range(1, 10)})        # (1, n) biases allowed


# --- the L2 term of the gradient ----------------------------------------------------------------
def _l2(grads, params, lambd, m):
    return {k: g + (lambd / m) * params[k] if k.startswith("W") else g
            for k, g in grads.items()}


def _l2_bug(factor=lambda lambd, m: lambd / m, biases=False):
    def l2(grads, params, lambd, m):
        return {k: g + factor(lambd, m) * params[k] if (k.startswith("W") or biases) else g
                for k, g in grads.items()}
    return l2


L2_MISTAKES = planted({
    "lambda": _l2_bug(factor=lambda lam, m: lam),
    "2 lambda / m": _l2_bug(factor=lambda lam, m: 2 * lam / m),
    "lambda / 2m": _l2_bug(factor=lambda lam, m: lam / (2 * m)),
    "biases": _l2_bug(biases=True),
}, HINTS["l2"])


def check_l2_gradients(l2_gradients) -> bool:
    """``l2_gradients(grads, params, lambd, m) -> grads``: the gradients of
    cost + (lambd / 2m) sum_l ||W_l||^2, i.e. dW_l + (lambd / m) W_l, db_l unchanged."""
    cases = []
    for c, lambd in zip(_net_cases()[:3], (0.7, 3.0, 0.1)):
        X, Y, params = c.args
        cases.append(Case((_backward(X, Y, params), params, lambd, len(X)),
                          label=f"{c.label}, lambda = {lambd}"))
    return check("L2 term of the gradient", _no_dict_edits(l2_gradients, ("grads", "params")),
                 _l2, cases, L2_MISTAKES,
                 returns='the dict of regularised gradients {"W1": ..., "b1": ..., ...}')


# --- inverted dropout ----------------------------------------------------------------------------
def _dropout_run(dropout):
    """The learner's ``dropout(a, keep_prob, rng) -> (out, backward)`` as a function of arrays:
    (a, dout, keep_prob, seed) -> (out, backward(dout))."""
    def run(a, dout, keep_prob, seed):
        got = dropout(a, keep_prob, np.random.default_rng(seed))
        if got is None:
            return None
        if not isinstance(got, tuple) or len(got) != 2 or not callable(got[1]):
            raise Fail("return the tuple (out, backward), with backward(dout) -> da a "
                       "function that uses the forward pass's mask")
        return got[0], got[1](dout)
    run.__name__ = getattr(dropout, "__name__", "dropout")
    return run


def _dropout_ref(a, keep_prob, rng):
    from companion.nn.layers.dropout import dropout_backward, dropout_forward, dropout_mask
    out, cache = dropout_forward(a, dropout_mask(a.shape, keep_prob, rng), keep_prob)
    return out, lambda dout: dropout_backward(dout, cache)[0]


def _dropout_bug(kind: str):
    def dropout(a, keep_prob, rng):
        mask = rng.random(a.shape) < keep_prob
        if kind == "inverted mask":
            mask = ~mask
        scale = 1.0 if kind == "no scale" else 1 / keep_prob

        def backward(dout):
            if kind == "fresh mask":
                return dout * (rng.random(a.shape) < keep_prob) / keep_prob
            return dout * mask * (1.0 if kind == "backward unscaled" else scale)
        return a * mask * scale, backward
    return dropout


DROPOUT_MISTAKES = planted(lambda bug: _dropout_run(_dropout_bug(bug)), HINTS["dropout"])


def check_dropout(dropout) -> bool:
    """``dropout(a, keep_prob, rng) -> (out, backward)``: mask = rng.random(a.shape) <
    keep_prob (one draw), out = a * mask / keep_prob, backward(dout) = dout * mask / keep_prob."""
    rng = np.random.default_rng(7)
    cases = [Case((rng.standard_normal((5, 4)), rng.standard_normal((5, 4)), 0.8, 0),
                  label="(5, 4), keep_prob 0.8"),
             Case((rng.standard_normal((1, 6)), rng.standard_normal((1, 6)), 0.5, 1),
                  label="N=1, keep_prob 0.5"),
             Case((rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 4)), 0.3, 2),
                  label="(3, 2, 4), keep_prob 0.3")]
    return check("inverted dropout", _uses_rng(_dropout_run(dropout)), _dropout_run(_dropout_ref),
                 cases,
                 DROPOUT_MISTAKES, returns="the tuple (out, backward)", names=("out", "da"))


# --- early stopping ------------------------------------------------------------------------------
def _early_stopping(train_epoch, val_loss, params, patience, max_epochs):
    """Keras' rule: an epoch improves when its loss is below the best so far; stop after
    ``patience`` epochs without improvement; restore the best epoch's weights at the end."""
    best, best_epoch, best_params, epoch = np.inf, 0, params, 0
    for epoch in range(1, max_epochs + 1):
        params = train_epoch(params)
        loss = val_loss(params)
        if loss < best:
            best, best_epoch, best_params = loss, epoch, params
        elif epoch - best_epoch >= patience:
            break
    return best_params, best_epoch, epoch


def _es_bug(kind: str):
    def es(train_epoch, val_loss, params, patience, max_epochs):
        best, best_epoch, best_params, epoch, waited = np.inf, 0, params, 0, 0
        for epoch in range(1, max_epochs + 1):
            params = train_epoch(params)
            loss = val_loss(params)
            if loss < best or (kind == "ties" and loss == best):
                best, best_epoch, best_params = loss, epoch, params
                waited = 0 if kind != "no reset" else waited
            else:
                waited += 1
                if waited >= patience + (0 if kind != "late" else 1) or \
                        (kind == "early" and waited >= patience - 1):
                    break
        return (params if kind == "no restore" else best_params), best_epoch, epoch
    return es


ES_MISTAKES = planted(_es_bug, HINTS["es"])


def _counter_case(losses, patience, max_epochs, label):
    """Weights are the epoch counter [t]; the validation loss of epoch t is losses[t - 1]."""
    table = np.asarray(losses, dtype=float)
    return Case((lambda p: p + 1, lambda p: float(table[int(p[0]) - 1]), np.zeros(1), patience,
                 max_epochs), label=label)


def check_early_stopping(early_stopping) -> bool:
    """``early_stopping(train_epoch, val_loss, params, patience, max_epochs) -> (best_params,
    best_epoch, epochs_run)``: params = train_epoch(params) then loss = val_loss(params) each
    epoch (1, 2, ...); stop after `patience` epochs in a row without a lower loss."""
    u = [1.0, 0.8, 0.6, 0.55, 0.57, 0.56, 0.6, 0.62, 0.7, 0.8]
    cases = [_counter_case(u, 3, 10, "minimum at epoch 4, patience 3"),
             _counter_case([1.0, 0.9, 0.95, 0.85, 0.9, 0.91, 0.92, 0.5], 2, 8,
                           "a dip at epoch 4, patience 2"),
             _counter_case([1.0, 0.9, 0.8, 0.7, 0.6], 2, 5, "always improving: all epochs"),
             _counter_case([0.5, 0.5, 0.5, 0.6, 0.7], 3, 5, "equal losses are no improvement"),
             _counter_case([0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.8, 0.9], 2, 8,
                           "improvements every other epoch, patience 2")]
    return check("early stopping", early_stopping, _early_stopping, cases, ES_MISTAKES,
                 returns="the tuple (best_params, best_epoch, epochs_run)",
                 names=("best_params", "best_epoch", "epochs_run"))


# --- what the comparison alone would let through ---------------------------------------------
def _column(deep_forward):
    """The learner's forward, refusing an (N,) result where the scaffold promises (N, 1)."""
    def forward(X, params):
        out = deep_forward(X, params)
        if isinstance(out, np.ndarray) and out.ndim == 1:
            raise Fail(f"AL has shape {out.shape}, expected ({len(X)}, 1): keep the output "
                       "column (Y is (N, 1), and (N,) - (N, 1) broadcasts to (N, N))")
        return out
    forward.__name__ = getattr(deep_forward, "__name__", "deep_forward")
    return forward


def _no_dict_edits(fn, names: tuple[str, ...]):
    """The learner's function, failing when it changes an array inside a dict argument."""
    def pure(*args):
        before = copy.deepcopy(args)
        out = fn(*args)
        for name, arg, old in zip(names, args, before):
            if isinstance(arg, dict):
                for k, v in old.items():
                    if isinstance(v, np.ndarray) and not np.array_equal(arg.get(k), v):
                        raise Fail(f"you changed {name}[{k!r}] in place: return a new dict "
                                   f"(g + ... builds a new array; {name}[k] += ... edits the "
                                   "caller's)")
        return out
    pure.__name__ = getattr(fn, "__name__", "your function")
    return pure


def _uses_rng(run):
    """``_dropout_run``'s function, first checking that the mask comes from ``rng``: the same
    seed must give the same output, different seeds different ones."""
    def checked(a, dout, keep_prob, seed):
        first = run(a, dout, keep_prob, seed)
        if first is None:
            return first
        again, other = run(a, dout, keep_prob, seed), run(a, dout, keep_prob, seed + 100)
        if not np.array_equal(np.asarray(first[0]), np.asarray(again[0])) or \
                np.array_equal(np.asarray(first[0]), np.asarray(other[0])):
            raise Fail("draw the mask with the rng you are given (rng.random(a.shape)), not "
                       "np.random: the same seed must give the same mask")
        return first
    checked.__name__ = run.__name__
    return checked
