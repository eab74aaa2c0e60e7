"""Chapter 4 exercise: softmax with the categorical cross-entropy, forward and backward.

``softmax_cross_entropy(Z (N, K), Y (N, K) one-hot) -> (loss, dZ)``: P = softmax(Z) along each
row, shifted by the row's maximum; loss = -(1/N) sum_i sum_k Y_ik log P_ik (one number);
dZ = (P - Y) / N, shape (N, K). The reference is the package's (``nn.activations.softmax``
and ``nn.losses.CategoricalCrossentropy``). The checker names the usual mistakes: no max shift
(NaN at large scores), the wrong axis, a max or sum without ``keepdims`` (wrong only when
N == K), a missing 1/N, a loss per example, a sign slip, and changing Z or Y in place.
"""

from __future__ import annotations

import numpy as np

from companion.exercises.checker import Fail, feedback, hints, planted, run_check

TITLE = "softmax + cross-entropy"


def reference(Z, Y):
    """The package's softmax and categorical cross-entropy: (loss, dZ)."""
    from companion.nn.activations import softmax
    from companion.nn.losses import CategoricalCrossentropy
    P = softmax(Z, axis=1)
    loss, _ = CategoricalCrossentropy()(Y, P)
    return loss, CategoricalCrossentropy().dlogits(Y, P)


def _variant(kind: str):
    """A planted mistake with the reference's signature."""
    def fn(Z, Y):
        N = len(Z)
        if kind == "no shift":
            E = np.exp(Z)
        elif kind == "no keepdims":
            E = np.exp(Z - Z.max(axis=1))                 # (N,) broadcast along the rows
        elif kind == "axis 0":
            E = np.exp(Z - Z.max(axis=0, keepdims=True))
        else:
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
        P = E / E.sum(axis=0 if kind == "axis 0" else 1, keepdims=True)
        losses = -np.sum(Y * np.log(P), axis=1)
        loss = losses if kind == "per example" else np.mean(losses)
        if kind == "sum loss":
            loss = np.sum(losses)
        dZ = {"no 1/N": P - Y, "sign": (Y - P) / N, "no Y": P / N}.get(kind, (P - Y) / N)
        return loss, dZ
    fn.__name__ = "softmax_cross_entropy"
    return fn


HINTS = hints("ch04")["softmax_cross_entropy"]
MISTAKES = planted(_variant, HINTS)


def _cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(4)

    def onehot(n, k):
        return np.eye(k)[rng.integers(0, k, n)]
    return [("N=4, K=3", rng.standard_normal((4, 3)), onehot(4, 3)),
            ("a batch of one, K=5", rng.standard_normal((1, 5)) * 2, onehot(1, 5)),
            ("N=K=3 (a square batch)", rng.standard_normal((3, 3)) * 3, onehot(3, 3)),
            ("large scores, around 1000", 1000 + 2 * rng.standard_normal((5, 4)), onehot(5, 4)),
            ("N=6, K=10, one row around -1000", np.r_[rng.standard_normal((5, 10)),
                                                      -1000 + rng.standard_normal((1, 10))],
             onehot(6, 10))]


def _same(a, b) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-9)


def _diagnose(loss, dZ, Z, Y) -> str | None:
    """The hint of the planted mistake whose (loss, dZ) the learner's output matches."""
    for kind, hint in HINTS.items():
        try:
            with np.errstate(all="ignore"):
                m_loss, m_dZ = _variant(kind)(Z, Y)
        except ValueError:                 # "no keepdims" cannot broadcast when N != K
            continue
        loss_ok = np.allclose(loss, m_loss, equal_nan=True) if np.size(loss) == np.size(
            m_loss) else False
        if loss_ok and np.allclose(dZ, m_dZ, equal_nan=True, rtol=1e-6, atol=1e-9):
            return hint
    return None


def _one_case(fn, label: str, Z: np.ndarray, Y: np.ndarray) -> None:
    N, K = Z.shape
    Zc, Yc = Z.copy(), Y.copy()
    try:
        out = fn(Zc, Yc)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise Fail(f"{HINTS['no keepdims']} (your code raised ValueError: {exc}; "
                       f"case: {label})") from None
        raise
    if out is None:
        raise Fail("`softmax_cross_entropy` returned None: return the tuple (loss, dZ)")
    if not isinstance(out, tuple) or len(out) != 2:
        raise Fail(f"`softmax_cross_entropy` returned {type(out).__name__}: return the tuple "
                   "(loss, dZ)")
    loss, dZ = out
    for name, before, after in (("Z", Z, Zc), ("Y", Y, Yc)):
        if not np.array_equal(before, after):
            raise Fail(f"you changed the argument {name} in place: work on a new array "
                       f"({name} = {name} - ..., not {name} -= ...) (case: {label})")
    if not isinstance(dZ, np.ndarray):
        raise Fail(f"dZ is a {type(dZ).__name__}: return a NumPy array of shape (N, K)")
    if np.ndim(loss) != 0:
        hint = HINTS["per example"] if np.size(loss) == N else "the loss must be one number"
        raise Fail(f"{hint}; got shape {np.shape(loss)} (case: {label})")
    if isinstance(loss, (str, bytes)) or not np.isreal(loss):
        raise Fail(f"the loss is {type(loss).__name__}: return a number")
    if dZ.shape != (N, K):
        t = " (transposed?)" if dZ.shape == (K, N) else ""
        raise Fail(f"dZ has shape {dZ.shape}, expected Z's shape {(N, K)}{t} (case: {label})")
    want_loss, want_dZ = reference(Z, Y)
    if _same(float(loss), want_loss) and _same(dZ, want_dZ):
        return
    hint = _diagnose(float(loss), dZ, Z, Y)
    if hint is None and not (np.isfinite(loss) and np.all(np.isfinite(dZ))):
        hint = ("your result has NaN or inf: " + HINTS["no shift"]) if abs(Z).max() > 100 \
            else "your result has NaN or inf"
    if hint is None:
        part = "dZ is right but the loss is not" if _same(dZ, want_dZ) else \
            "the loss is right but dZ is not" if _same(float(loss), want_loss) else \
            "both the loss and dZ differ"
        hint = f"{part}: loss {float(loss):.6g}, expected {want_loss:.6g}"
    raise Fail(f"{hint} (case: {label})")


def check_softmax_cross_entropy(fn) -> bool:
    """``fn(Z (N, K), Y (N, K)) -> (loss, dZ)``, checked on five cases (a batch of one, a
    square batch, large positive and negative scores); one line, never a traceback."""
    def body():
        cases = _cases()
        for label, Z, Y in cases:
            _one_case(fn, label, Z, Y)
        return feedback(True, f"{TITLE} ({len(cases)}/{len(cases)} cases agree)")
    return run_check(TITLE, body)
