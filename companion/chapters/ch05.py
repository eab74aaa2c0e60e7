"""Chapter 5: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- Measure the notes' claim that mini-batch sizes of 2^n are "computationally optimal".
- Exponentially weighted (moving) averages, with and without bias correction.
- Feed the same gradients to one of our optimisers and to its Keras counterpart.
- Chapter 5's explorer: pick an optimiser and its settings, see its path and loss curve on a.
- The notes' optimiser formulas, written exactly as the notes give them, beside the mappings.
- 2-D test surfaces for optimisers and a runner that records an optimiser's path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from companion.nn import optim
from companion.nn.layers import Dense
from companion.nn.model import Sequential
from companion.nn.optim import Adagrad, Optimizer
from companion.nn.threads import blas_threads
from companion.nn.train import Supervised, minibatches, train_loop
from companion.nn.validation import as_array, rng_from


def around_powers_of_two(powers=(4, 5, 6, 7, 8), offsets=(-1, 0, 1)) -> list[int]:
    return [2 ** p + o for p in powers for o in offsets]


def one_epoch(model, opt, X, y, batch_size, rng, loss="sparse_categorical_crossentropy") -> dict:
    """One epoch of mini-batch training with the package's loop (``train_loop``), nothing
    else (no per-epoch evaluation, unlike ``fit``): what the batch-size timing measures."""
    def batches(epoch):
        return ((X[idx], y[idx]) for idx in minibatches(len(X), batch_size, rng))
    return train_loop(Supervised(model, loss), batches, opt, 1)


def epoch_times(sizes, X, y, hidden: int = 256, rounds: int = 5, seed: int = 0,
                threads: int | None = 1) -> dict:
    """{batch_size: best seconds per epoch over ``rounds`` interleaved rounds}.

    ``threads`` limits NumPy's BLAS threads (1: on a shared 2-core machine, multi-threaded
    BLAS mostly measures the other processes; None: leave the library's default)."""
    if threads is None:
        return _epoch_times(sizes, X, y, hidden, rounds, seed)
    with blas_threads(threads):
        return _epoch_times(sizes, X, y, hidden, rounds, seed)


def _epoch_times(sizes, X, y, hidden, rounds, seed):
    best = {b: np.inf for b in sizes}
    setups = {}
    for b in sizes:
        model = Sequential([Dense(hidden, "relu"), Dense(int(y.max()) + 1, "softmax")],
                           input_shape=X.shape[1:], seed=seed)
        setups[b] = (model, optim.SGD(0.01, momentum=0.9))
    for r in range(rounds):
        for b in (sizes if r % 2 == 0 else sizes[::-1]):
            model, opt = setups[b]
            rng = np.random.default_rng(r)
            start = time.perf_counter()
            one_epoch(model, opt, X, y, b, rng)
            best[b] = min(best[b], time.perf_counter() - start)
    return best


def compare_to_neighbours(times: dict, n_examples: int) -> list[dict]:
    """For each 2^n with both neighbours measured: microseconds per example for 2^n - 1, 2^n,
    2^n + 1, and the ratio of 2^n's time to the mean of its neighbours (< 1: faster)."""
    rows = []
    for b in sorted(times):
        if b & (b - 1) == 0 and b - 1 in times and b + 1 in times:
            per = {k: times[k] / n_examples * 1e6 for k in (b - 1, b, b + 1)}
            rows.append({"power": b, "us_minus": per[b - 1], "us_power": per[b],
                         "us_plus": per[b + 1],
                         "ratio": per[b] / ((per[b - 1] + per[b + 1]) / 2)})
    return rows


def format_table(rows) -> str:
    lines = [f"{'2^n':>5} {'2^n-1':>10} {'2^n':>10} {'2^n+1':>10}  {'2^n vs neighbours':>18}",
             f"{'':>5} {'µs/example':>10} {'µs/example':>10} {'µs/example':>10}"]
    for r in rows:
        lines.append(f"{r['power']:>5} {r['us_minus']:>10.2f} {r['us_power']:>10.2f} "
                     f"{r['us_plus']:>10.2f}  {r['ratio']:>17.2f}x")
    return "\n".join(lines)


def _check_beta(beta: float) -> float:
    if not 0 <= beta < 1:
        raise ValueError(f"beta must lie in [0, 1), got {beta!r}")
    return float(beta)


def ewa(theta, beta: float, bias_correction: bool = False) -> np.ndarray:
    """Moving average of ``theta`` (T, ...) along axis 0; returns v_1..v_T, same shape."""
    theta, beta = as_array(theta, "theta"), _check_beta(beta)
    v, out = np.zeros(theta.shape[1:]), np.empty_like(theta)
    for t in range(len(theta)):
        v = beta * v + (1 - beta) * theta[t]
        out[t] = v / (1 - beta ** (t + 1)) if bias_correction else v
    return out


def notes_ewa(theta, beta: float) -> np.ndarray:
    """The notes' formula taken literally: the corrected value is what the next step averages."""
    theta, beta = as_array(theta, "theta"), _check_beta(beta)
    v, out = np.zeros(theta.shape[1:]), np.empty_like(theta)
    for t in range(len(theta)):
        v = (beta * v + (1 - beta) * theta[t]) / (1 - beta ** (t + 1))
        out[t] = v
    return out


def weights(beta: float, t: int) -> np.ndarray:
    """The weight v_t gives to theta_t, theta_{t-1}, ..., theta_1: (1 - beta) beta^k (newest first)."""
    beta = _check_beta(beta)
    return (1 - beta) * beta ** np.arange(t)


def effective_window(beta: float) -> float:
    """1 / (1 - beta): about how many recent values the average spans (weights above 1/e)."""
    return 1.0 / (1.0 - _check_beta(beta))


def noisy_series(n: int = 200, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A seasonal 'daily temperature' series: (t (n,), values (n,)), mean around 10-25."""
    rng = rng_from(seed)
    t = np.arange(1, n + 1)
    clean = 15 - 10 * np.cos(2 * np.pi * t / n)          # one 'year' over the n days
    return t, clean + rng.normal(0, 3, n)

SHAPES = ((3, 4), (4,))


def gradient_sequence(steps: int = 120, seed: int = 0, shapes=SHAPES) -> list[list[np.ndarray]]:
    """Random gradients of mixed scale (1e-3 to 5), 10 % exact zeros (where epsilon matters)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        gs = []
        for s in shapes:
            g = rng.standard_normal(s) * rng.choice([1e-3, 0.1, 1.0, 5.0], size=s)
            g[rng.random(s) < 0.1] = 0.0
            gs.append(g)
        out.append(gs)
    return out


def initial_params(seed: int = 1, shapes=SHAPES) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def run(opt: optim.Optimizer, grads_seq, params=None) -> list[np.ndarray]:
    """Our optimiser: parameters after applying every gradient in ``grads_seq``."""
    params = [p.copy() for p in (initial_params() if params is None else params)]
    state = opt.init(params)
    for grads in grads_seq:
        updates, state = opt.update(grads, state, params)
        optim.apply_updates(params, updates)
    return params


def run_keras(kopt, keras, grads_seq, params=None, dtype: str = "float64") -> list[np.ndarray]:
    """The Keras optimiser on ``keras.Variable``s of ``dtype`` fed the same gradients."""
    kvars = [keras.Variable(p, dtype=dtype) for p in (initial_params() if params is None else params)]
    for grads in grads_seq:
        kopt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype=dtype), v)
                              for g, v in zip(grads, kvars)])
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in kvars]


def relative_error(ours, theirs) -> float:
    """max |a - b| / max |b| over all arrays (the measure of ``reference.compare``)."""
    a = np.concatenate([np.ravel(x) for x in ours]).astype(np.float64)
    b = np.concatenate([np.ravel(x) for x in theirs]).astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "Adam (notes)")


def make_optimizer(name: str, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                   decay: float = 0.0, decay_steps: int = 10) -> optim.Optimizer:
    """An optimiser by display name. ``beta_1`` is the momentum of Momentum/Nesterov and Adam's
    beta_1; ``beta_2`` is RMSprop's rho and Adam's beta_2; ``decay`` > 0 wraps the rate in
    InverseTimeDecay(learning_rate, decay_steps, decay)."""
    lr = optim.InverseTimeDecay(learning_rate, decay_steps, decay) if decay > 0 else learning_rate
    table = {"SGD": lambda: optim.SGD(lr),
             "Momentum": lambda: optim.SGD(lr, momentum=beta_1),
             "Nesterov": lambda: optim.SGD(lr, momentum=beta_1, nesterov=True),
             "Adagrad": lambda: optim.Adagrad(lr),
             "RMSprop": lambda: optim.RMSprop(lr, rho=beta_2),
             "Adam": lambda: optim.Adam(lr, beta_1=beta_1, beta_2=beta_2),
             "Adam (notes)": lambda: NotesAdam(lr, beta_1=beta_1, beta_2=beta_2)}
    if name not in table:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(table)}")
    return table[name]()


def compute_paths(optimizer: str = "Adam", surface: str = "rosenbrock", learning_rate=0.05,
                  beta_1=0.9, beta_2=0.999, decay=0.0, steps: int = 200,
                  compare_with: str | None = "SGD") -> dict:
    """Run ``optimizer`` (and ``compare_with`` at the same rate) on ``surface``."""
    surf = SURFACES[surface]()
    names = [optimizer] + ([compare_with] if compare_with and compare_with != optimizer else [])
    paths = {n: run_path(make_optimizer(n, learning_rate, beta_1, beta_2, decay),
                                  surf, steps) for n in names}
    p = paths[optimizer]
    status = (f"diverged at step {p.diverged_at}" if p.diverged_at is not None else
              f"final loss {p.losses[-1]:.3g}, distance to minimum "
              f"{distance_to_minimum(p, surf):.3g}")
    return {"surface": surf, "paths": paths, "summary": f"{optimizer} on {surf.name}: {status}"}


def draw_paths(result: dict):
    import matplotlib.pyplot as plt

    from companion.lab.plots import contour_path
    surf, paths = result["surface"], result["paths"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    contour_path(surf.f, {k: p.points for k, p in paths.items()}, surf.xlim, surf.ylim, ax=a1,
                 log_levels=surf.log_levels, title=surf.name)
    a1.plot(*surf.minimum, "r*", ms=10)
    a1.get_legend().remove()                 # the loss panel's legend names the paths
    a1.set(xlabel="x", ylabel="y")
    for name, p in paths.items():
        shift = -min(0.0, np.min(p.losses)) + 1e-12 if surf.name == "saddle" else 0.0
        a2.semilogy(p.losses + shift + 1e-12, label=name + (" (+0.25)" if shift else ""))
    a2.set(xlabel="step", ylabel="f" + (" + 0.25" if surf.name == "saddle" else ""),
           title="loss along each path")
    a2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def explorer():
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {
        "optimizer": w.Dropdown(options=OPTIMIZERS, value="Adam", description="optimizer"),
        "surface": w.Dropdown(options=list(SURFACES), value="rosenbrock",
                              description="surface"),
        "learning_rate": w.FloatLogSlider(value=0.05, base=10, min=-4, max=0, step=0.1,
                                          description="learning rate"),
        "beta_1": w.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="beta_1"),
        "beta_2": w.FloatSlider(value=0.999, min=0.5, max=0.999, step=0.001,
                                description="beta_2", readout_format=".3f"),
        "decay": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="decay"),
        "steps": w.IntSlider(value=200, min=20, max=1000, step=20, description="steps"),
    }
    return Explorer(compute_paths, draw_paths, controls,
                    title="Optimiser paths (compared with plain SGD at the same rate)")


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


@dataclass(frozen=True)
class Surface:
    name: str
    f: Callable                      # f(x, y) -> value, works on arrays
    grad: Callable                   # grad(p) -> (2,), p = (x, y)
    start: tuple
    xlim: tuple
    ylim: tuple
    minimum: tuple
    log_levels: bool = False

    def __call__(self, p) -> float:
        return float(self.f(p[0], p[1]))


def quadratic(condition: float = 25.0) -> Surface:
    """f = (x^2 + condition * y^2) / 2: curvatures 1 and ``condition`` (a long narrow valley)."""
    return Surface(f"quadratic (condition {condition:g})",
                   lambda x, y: 0.5 * (x * x + condition * y * y),
                   lambda p: np.array([p[0], condition * p[1]]),
                   start=(-4.0, 1.0), xlim=(-4.5, 4.5), ylim=(-1.5, 1.5), minimum=(0.0, 0.0))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """f = (a - x)^2 + b (y - x^2)^2: a curved, flat-bottomed valley; minimum at (a, a^2)."""
    return Surface("Rosenbrock", lambda x, y: (a - x) ** 2 + b * (y - x * x) ** 2,
                   lambda p: np.array([-2 * (a - p[0]) - 4 * b * p[0] * (p[1] - p[0] ** 2),
                                       2 * b * (p[1] - p[0] ** 2)]),
                   start=(-1.2, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), minimum=(a, a * a),
                   log_levels=True)


def saddle() -> Surface:
    """f = x^2 / 2 + y^4 / 4 - y^2 / 2: a saddle at (0, 0) between minima at (0, +-1).

    Started just off the ridge (y = 1e-3), the gradient along y is tiny for many steps: a
    plateau, which is what slows training in practice (not bad local minima)."""
    return Surface("saddle", lambda x, y: 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y,
                   lambda p: np.array([p[0], p[1] ** 3 - p[1]]),
                   start=(1.5, 1e-3), xlim=(-2.0, 2.0), ylim=(-1.6, 1.6), minimum=(0.0, 1.0))


SURFACES = {"quadratic": quadratic, "rosenbrock": rosenbrock, "saddle": saddle}


@dataclass
class Path:
    points: np.ndarray               # (steps + 1, 2), the start included
    losses: np.ndarray               # (steps + 1,)
    diverged_at: int | None = None   # first step whose point left the finite range


def run_path(optimizer: optim.Optimizer, surface: Surface, steps: int = 100, start=None,
             limit: float = 1e6, noise: float = 0.0, seed: int = 0) -> Path:
    """Run ``optimizer`` from ``start`` (default: the surface's) for ``steps`` steps.

    ``noise`` > 0 adds N(0, noise^2) to each gradient component (a stand-in for mini-batch
    gradients). A run whose point becomes non-finite or leaves |p| < ``limit`` stops there and
    records ``diverged_at`` instead of raising (explorers show it as text)."""
    p = np.array(surface.start if start is None else start, dtype=np.float64)
    params = [p]
    state = optimizer.init(params)
    points, losses = [p.copy()], [surface(p)]
    rng = np.random.default_rng(seed)
    for step in range(int(steps)):
        g = surface.grad(params[0])
        if noise:
            g = g + noise * rng.standard_normal(g.shape)
        updates, state = optimizer.update([g], state, params)
        optim.apply_updates(params, updates)
        if not np.all(np.isfinite(params[0])) or np.max(np.abs(params[0])) > limit:
            return Path(np.array(points), np.array(losses), diverged_at=step)
        points.append(params[0].copy())
        losses.append(surface(params[0]))
    return Path(np.array(points), np.array(losses))


def distance_to_minimum(path: Path, surface: Surface) -> float:
    """Euclidean distance from the last point to the nearest minimum (saddle: either one)."""
    m = np.array(surface.minimum, dtype=float)
    last = path.points[-1]
    if surface.name == "saddle":
        return float(min(np.linalg.norm(last - m), np.linalg.norm(last - m * [1, -1])))
    return float(np.linalg.norm(last - m))
