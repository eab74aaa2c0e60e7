"""Echo state networks: reservoir computing, not "RNNs with recurrent dropout".

An echo state network (Jaeger, 2001) is a plain tanh RNN whose input and recurrent weights are
drawn at random **and never trained**:

    a<t> = (1 - leak) a<t-1> + leak * tanh(x<t> W_in + a<t-1> W + b)      (the reservoir)
    y<t> = [a<t>, 1] W_out                                              (the read-out)

Only W_out is fitted, by ridge (least-squares) regression on the collected states: one linear
solve, no backpropagation through time, so no vanishing or exploding gradients at all. The
recurrent matrix is rescaled to a spectral radius below about 1 so that the state forgets its
start ("echo state property") while still holding a fading memory of recent inputs.

Recurrent dropout (Gal & Ghahramani, 2016; Keras' ``recurrent_dropout``) is something else: a
regulariser for a *trained* RNN that drops units of a<t-1> with one mask per sequence.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import (
    as_array,
    check_bool,
    check_finite,
    check_int,
    check_interval,
    check_non_negative,
    check_nonempty,
    check_positive,
    rng_from,
)


class EchoStateNetwork:
    """Fixed random reservoir + ridge-regression read-out.

    Input shape: (N, T, D) sequences; targets (N, T, K) per step (``fit(x, y)``) or (N, K) for
    the last step (``fit(x, y, last_only=True)``). The first ``washout`` steps are not fitted.
    """

    def __init__(self, units: int = 100, spectral_radius: float = 0.9,
                 input_scale: float = 1.0, leak: float = 1.0, ridge: float = 1e-6,
                 washout: int = 0, seed=0):
        self.units = check_int(units, "units")
        self.spectral_radius = check_positive(spectral_radius, "spectral_radius")
        self.input_scale = check_positive(input_scale, "input_scale")
        self.leak = check_interval(leak, "leak", 0.0, 1.0, "(]")
        self.ridge = check_non_negative(ridge, "ridge")
        self.washout = check_int(washout, "washout", minimum=0)
        self.rng = rng_from(seed)
        W = self.rng.standard_normal((self.units, self.units))
        self.W = W * (self.spectral_radius / np.max(np.abs(np.linalg.eigvals(W))))
        self.W_in = None
        self.b = self.rng.uniform(-0.2, 0.2, self.units)
        self.W_out = None

    def states(self, x) -> np.ndarray:
        """Run the (untrained) reservoir: x (N, T, D) -> a (N, T, units)."""
        x = check_finite(check_nonempty(as_array(x, "x", ndim=3), "x"), "x")
        if x.shape[1] < 1:
            raise ValueError(f"x has shape {x.shape}: a sequence needs T >= 1 steps")
        if self.W_in is not None and x.shape[2] != self.W_in.shape[0]:
            raise ValueError(f"x has shape {x.shape}, expected (N, T, {self.W_in.shape[0]}) (the "
                             "number of features the reservoir was first run with)")
        if self.W_in is None:
            self.W_in = self.rng.uniform(-self.input_scale, self.input_scale,
                                         (x.shape[2], self.units))
        xw = x @ self.W_in + self.b
        a = np.zeros((x.shape[0], self.units))
        out = np.empty(x.shape[:2] + (self.units,))
        for t in range(x.shape[1]):
            a = (1 - self.leak) * a + self.leak * np.tanh(xw[:, t] + a @ self.W)
            out[:, t] = a
        return out

    def _design(self, a):
        return np.concatenate([a, np.ones(a.shape[:-1] + (1,))], axis=-1)

    def fit(self, x, y, last_only: bool = False) -> EchoStateNetwork:
        """Solve (A^T A + ridge I) W_out = A^T Y for the read-out; the reservoir stays fixed."""
        last_only = check_bool(last_only, "last_only")
        a = self.states(x)
        y = check_finite(as_array(y, "y", ndim=2 if last_only else 3), "y").astype(np.float64)
        want = a.shape[:1] if last_only else a.shape[:2]
        if y.shape[:len(want)] != want:
            raise ValueError(f"y has shape {y.shape}, expected ({', '.join(map(str, want))}, K) "
                             f"for x of shape {tuple(a.shape[:2]) + (x.shape[-1],)}"
                             f"{' with last_only=True' if last_only else ''}")
        if not last_only and self.washout >= a.shape[1]:
            raise ValueError(f"washout={self.washout} leaves no step of the {a.shape[1]} to fit: "
                             "expected washout < T")
        if last_only:
            A, Y = self._design(a[:, -1]), y
        else:
            A = self._design(a[:, self.washout:]).reshape(-1, self.units + 1)
            Y = y[:, self.washout:].reshape(len(A), -1)
        reg = self.ridge * np.eye(self.units + 1)
        self.W_out = np.linalg.solve(A.T @ A + reg, A.T @ Y)
        return self

    def predict(self, x, last_only: bool = False) -> np.ndarray:
        if self.W_out is None:
            raise RuntimeError("fit the read-out first")
        last_only = check_bool(last_only, "last_only")
        a = self.states(x)
        return self._design(a[:, -1] if last_only else a) @ self.W_out


def delay_task(T: int = 2000, max_delay: int = 40, seed=0):
    """One random input stream u<t> ~ U(-0.5, 0.5) and targets u<t-k> for k = 1..max_delay.

    Returns x (1, T, 1) and y (1, T, max_delay). The first max_delay steps have no valid
    targets (fit with washout >= max_delay)."""
    T, max_delay = check_int(T, "T"), check_int(max_delay, "max_delay")
    if T <= max_delay:
        raise ValueError(f"T={T} must exceed max_delay={max_delay}: every delay needs steps "
                         "with a valid target")
    u = rng_from(seed).uniform(-0.5, 0.5, T)
    y = np.zeros((T, max_delay))
    for k in range(1, max_delay + 1):
        y[k:, k - 1] = u[:-k]
    return u[None, :, None], y[None]


def memory_curve(esn: EchoStateNetwork, T: int = 2000, max_delay: int = 40, seed=0):
    """Squared correlation between u<t-k> and the ESN's read-out for it, k = 1..max_delay, on a
    fresh test stream (Jaeger's memory capacity is the sum of this curve)."""
    if not isinstance(esn, EchoStateNetwork):
        raise TypeError(f"esn: expected an EchoStateNetwork, got {type(esn).__name__}")
    if check_int(T, "T") < check_int(max_delay, "max_delay") + 2:
        raise ValueError(f"T={T} must be at least max_delay + 2 = {max_delay + 2}: a "
                         "correlation needs two steps after the washout")
    x, y = delay_task(T, max_delay, seed)
    esn.washout = max(esn.washout, max_delay)
    esn.fit(x, y)
    xt, yt = delay_task(T, max_delay, seed + 1)
    pred = esn.predict(xt)[0, max_delay:]
    yt = yt[0, max_delay:]
    return np.array([np.corrcoef(pred[:, k], yt[:, k])[0, 1] ** 2 for k in range(max_delay)])
