"""Chapter 5: the notes' optimiser formulas, written exactly as the notes give them, beside
the mappings to Keras' forms."""

from __future__ import annotations

import numpy as np

from companion.nn.optim import Adagrad, Optimizer


class NotesMomentum(Optimizer):
    """update = gamma * update + eta * grad; w = w - update (the notes' momentum)."""
    slots = ("update",)

    def __init__(self, learning_rate=0.01, gamma: float = 0.9):
        super().__init__(learning_rate)
        self.gamma = float(gamma)

    def _update_one(self, g, slots, lr, t):
        u = self.gamma * slots["update"] + lr * g
        return -u, {"update": u}


class EWAMomentum(Optimizer):
    """v = beta * v + (1 - beta) * grad; w = w - lr * v (momentum as a moving average)."""
    slots = ("v",)

    def __init__(self, learning_rate=0.1, beta: float = 0.9):
        super().__init__(learning_rate)
        self.beta = float(beta)

    def _update_one(self, g, slots, lr, t):
        v = self.beta * slots["v"] + (1 - self.beta) * g
        return -lr * v, {"v": v}


def notes_adagrad(learning_rate=0.01, epsilon: float = 1e-7) -> Adagrad:
    """The notes' AdaGrad (G starts at 0, epsilon inside the root) = Keras Adagrad with
    initial_accumulator_value=0."""
    return Adagrad(learning_rate, initial_accumulator_value=0.0, epsilon=epsilon)


class NotesRMSProp(Optimizer):
    """s = beta s + (1 - beta) g^2 (or s = s + g^2 when accumulate="sum"); w -= lr g / sqrt(s).

    ``epsilon`` defaults to 0, as in the notes: a zero gradient at the first step gives 0/0.
    With epsilon > 0 it is added outside the root, lr g / (sqrt(s) + epsilon).
    """
    slots = ("s",)

    def __init__(self, learning_rate=0.001, beta: float = 0.9, accumulate: str = "average",
                 epsilon: float = 0.0):
        super().__init__(learning_rate)
        if accumulate not in ("average", "sum"):
            raise ValueError(f"accumulate must be 'average' or 'sum', got {accumulate!r}")
        self.beta, self.accumulate, self.epsilon = float(beta), accumulate, float(epsilon)

    def _update_one(self, g, slots, lr, t):
        if self.accumulate == "sum":
            s = slots["s"] + g * g
        else:
            s = self.beta * slots["s"] + (1 - self.beta) * g * g
        with np.errstate(divide="ignore", invalid="ignore"):     # 0/0 is the point shown
            return -lr * g / (np.sqrt(s) + self.epsilon), {"s": s}


class BiasCorrectedAdam(Optimizer):
    """Adam as in the paper: m-hat = m / (1 - beta_1^t), v-hat = v / (1 - beta_2^t),
    w -= lr * m-hat / (sqrt(v-hat) + epsilon); m and v themselves stay uncorrected."""
    slots = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update_one(self, g, slots, lr, t):
        m = self.beta_1 * slots["m"] + (1 - self.beta_1) * g
        v = self.beta_2 * slots["v"] + (1 - self.beta_2) * g * g
        m_hat, v_hat = m / (1 - self.beta_1 ** t), v / (1 - self.beta_2 ** t)
        return -lr * m_hat / (np.sqrt(v_hat) + self.epsilon), {"m": m, "v": v}


class NotesAdam(BiasCorrectedAdam):
    """The notes' pseudocode as written: vdW = vdW / (1 - beta1^t) and sdW = sdW / (1 - beta2^t)
    *overwrite* the averages, so the next step averages the corrected values. sdW grows by a
    factor ~ beta_2 / (1 - beta_2^t) per step early on and overflows to inf (steps become 0)."""

    def _update_one(self, g, slots, lr, t):
        with np.errstate(over="ignore", invalid="ignore"):
            v = (self.beta_1 * slots["m"] + (1 - self.beta_1) * g) / (1 - self.beta_1 ** t)
            s = (self.beta_2 * slots["v"] + (1 - self.beta_2) * g * g) / (1 - self.beta_2 ** t)
            return -lr * v / (np.sqrt(s) + self.epsilon), {"m": v, "v": s}


def lookahead_nesterov(grad, start, learning_rate: float, momentum: float, steps: int):
    """Nesterov as usually written: the gradient is taken at the look-ahead point w + mu v,
        v = mu v - lr grad(w + mu v);   w = w + v.
    Returns (points w_t, look-ahead points w_t + mu v_t), each (steps + 1, 2). Keras' SGD
    (nesterov=True) stores the look-ahead point as its variable: its path equals the second."""
    w = np.array(start, dtype=np.float64)
    v = np.zeros_like(w)
    points, ahead = [w.copy()], [w.copy()]
    for _ in range(int(steps)):
        v = momentum * v - learning_rate * grad(w + momentum * v)
        w = w + v
        points.append(w.copy())
        ahead.append(w + momentum * v)
    return np.array(points), np.array(ahead)


NOTES_FORMS = {"momentum (notes)": NotesMomentum, "momentum (EWA form)": EWAMomentum,
               "RMSProp (notes)": NotesRMSProp, "Adam (notes, as written)": NotesAdam,
               "Adam (paper)": BiasCorrectedAdam}
