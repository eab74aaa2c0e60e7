"""Chapter 6: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- Chapter 6's batch-norm experiments: a deeper network on the digits with and without batch.
- Hyper-parameter search: random against grid, log-scale sampling, coarse-to-fine, and the.
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from companion.nn import optim
from companion.nn.layers import Activation, BatchNormalization, Dense
from companion.nn.layers.batchnorm import batchnorm_forward
from companion.nn.model import Sequential
from companion.nn.threads import blas_threads
from companion.nn.train import fit
from companion.nn.validation import DivergenceError, rng_from


def deep_model(bn: bool, depth: int = 6, width: int = 64, n_in: int = 64, n_out: int = 10,
               seed: int = 0) -> Sequential:
    """``depth`` hidden layers Dense -> [BatchNormalization] -> ReLU, then a softmax layer.

    With BN the hidden Dense layers have no bias: BN subtracts the batch mean, so a bias
    before it would cancel out (beta plays its role)."""
    layers = []
    for _ in range(depth):
        layers.append(Dense(width, use_bias=not bn))
        if bn:
            layers.append(BatchNormalization())
        layers.append(Activation("relu"))
    layers.append(Dense(n_out, "softmax"))
    return Sequential(layers, input_shape=(n_in,), seed=seed)


def train_run(data, bn: bool, learning_rate: float, batch_size: int = 32, epochs: int = 8,
              momentum: float = 0.0, seed: int = 0, depth: int = 6, progress=False,
              threads: int | None = 1) -> dict:
    """Train ``deep_model(bn)`` with SGD; returns the history plus ``diverged_at`` (step or None)
    and ``dev_accuracy`` (last epoch; chance level if it diverged). ``threads=1`` runs NumPy's
    BLAS on one thread, faster for matrices this small (None: the library's default)."""
    if threads is not None:
        with blas_threads(threads):
            return train_run(data, bn, learning_rate, batch_size, epochs, momentum, seed, depth,
                             progress, threads=None)
    (Xtr, ytr), dev = data[0], data[1]
    model = deep_model(bn, depth=depth, seed=seed)
    try:
        hist = fit(model, Xtr, ytr, "sparse_categorical_crossentropy",
                   optim.SGD(learning_rate, momentum=momentum), epochs=epochs,
                   batch_size=batch_size, validation_data=dev, seed=seed, progress=progress)
        hist.update(diverged_at=None, dev_accuracy=hist["val_accuracy"][-1], model=model)
    except DivergenceError as exc:
        hist = {"diverged_at": exc.step, "dev_accuracy": 0.1, "model": model}
    return hist


def lr_sweep(data, learning_rates, epochs: int = 8, batch_size: int = 32, seed: int = 0) -> dict:
    """{(bn, learning_rate): dev accuracy} for both variants."""
    return {(bn, lr): train_run(data, bn, lr, batch_size, epochs, seed=seed)["dev_accuracy"]
            for bn in (False, True) for lr in learning_rates}


def bn_noise(X, batch_sizes=(4, 16, 64, 256), draws: int = 200, example: int = 0, seed=0):
    """How much one example's normalised value moves when its mini-batch companions change.

    For each batch size m: put ``X[example]`` in ``draws`` random batches of m - 1 others,
    batch-normalise (gamma 1, beta 0) and return the standard deviation of its normalised
    features, averaged over features. Roughly ~ 1/sqrt(m): BN's noise fades with batch size."""
    rng = np.random.default_rng(seed)
    others = np.delete(np.arange(len(X)), example)
    out = {}
    c = X.shape[1]
    for m in batch_sizes:
        vals = np.empty((draws, c))
        for d in range(draws):
            idx = np.r_[example, rng.choice(others, m - 1, replace=False)]
            vals[d] = batchnorm_forward(X[idx], np.ones(c), np.zeros(c))[0][0]
        out[m] = float(vals.std(axis=0).mean())
    return out


def compute_training(data, batch_size: int = 32, learning_rate: float = 0.1,
                     batch_norm: bool = True, epochs: int = 6) -> dict:
    """Explorer callback: one run with the chosen settings (and the other BN setting beside it)."""
    runs = {bn: train_run(data, bn, learning_rate, batch_size, epochs) for bn in (batch_norm,
                                                                                 not batch_norm)}
    r = runs[batch_norm]
    tag = "with BN" if batch_norm else "without BN"
    status = (f"diverged at step {r['diverged_at']}" if r["diverged_at"] is not None else
              f"dev accuracy {r['dev_accuracy']:.3f}")
    other = runs[not batch_norm]
    other_s = (f"diverged at step {other['diverged_at']}" if other["diverged_at"] is not None
               else f"dev accuracy {other['dev_accuracy']:.3f}")
    return {"runs": runs, "batch_norm": batch_norm,
            "summary": f"{tag}: {status}   (the other setting: {other_s})"}


def draw_training(result: dict):
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
    for bn, r in result["runs"].items():
        label = "BN" if bn else "no BN"
        style = "-" if bn == result["batch_norm"] else ":"
        if "batch_loss" in r:
            a1.plot(r["batch_loss"], style, lw=0.8, label=label)
            a2.plot(np.arange(1, len(r["val_accuracy"]) + 1), r["val_accuracy"], style + "o",
                    label=label)
    a1.set(xlabel="step", ylabel="mini-batch loss", yscale="log")
    a2.set(xlabel="epoch", ylabel="dev accuracy", ylim=(0, 1))
    a1.legend()
    a2.legend()
    fig.tight_layout()
    return fig


def explorer(data):
    import functools

    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {
        "batch_size": w.Dropdown(options=[8, 16, 32, 64, 128, 256], value=32,
                                 description="batch size"),
        "learning_rate": w.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5, step=0.25,
                                          description="learning rate"),
        "batch_norm": w.Checkbox(value=True, description="batch norm"),
    }
    return Explorer(functools.partial(compute_training, data), draw_training, controls,
                    title="A 6-hidden-layer ReLU network on the digits, plain SGD")


# --- distributions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, n)

    def grid(self, k):
        return np.linspace(self.low, self.high, k)

    def zoom(self, values, widen=0.1):
        lo, hi = np.min(values), np.max(values)
        pad = widen * (hi - lo)
        return Uniform(max(self.low, lo - pad), min(self.high, hi + pad))


@dataclass(frozen=True)
class LogUniform(Uniform):
    """log10(value) uniform in [log10(low), log10(high)]: each decade gets the same share."""

    def __post_init__(self):
        if not 0 < self.low < self.high:
            raise ValueError(f"LogUniform needs 0 < low < high, got low={self.low}, high={self.high}")

    def sample(self, rng, n):
        return 10 ** rng.uniform(np.log10(self.low), np.log10(self.high), n)

    def grid(self, k):
        return np.geomspace(self.low, self.high, k)

    def zoom(self, values, widen=0.1):
        lo, hi = np.log10(np.min(values)), np.log10(np.max(values))
        pad = widen * (hi - lo) + 0.05
        return LogUniform(max(self.low, 10 ** (lo - pad)), min(self.high, 10 ** (hi + pad)))


@dataclass(frozen=True)
class OneMinusLogUniform(Uniform):
    """beta in [low, high] with 1 - beta log-uniform: as many samples in [0.9, 0.99] as in
    [0.99, 0.999], where the average's window 1 / (1 - beta) changes the most."""

    def __post_init__(self):
        if not 0 <= self.low < self.high < 1:
            raise ValueError(f"OneMinusLogUniform needs 0 <= low < high < 1, got {self.low}, {self.high}")

    def _inner(self):
        return LogUniform(1 - self.high, 1 - self.low)

    def sample(self, rng, n):
        return 1 - self._inner().sample(rng, n)

    def grid(self, k):
        return 1 - self._inner().grid(k)[::-1]

    def zoom(self, values, widen=0.1):
        z = self._inner().zoom(1 - np.asarray(values), widen)
        return OneMinusLogUniform(1 - z.high, 1 - z.low)


@dataclass(frozen=True)
class Choice:
    values: tuple

    def sample(self, rng, n):
        return [self.values[i] for i in rng.integers(0, len(self.values), n)]

    def grid(self, k):
        return list(self.values)

    def zoom(self, values, widen=0.1):
        return Choice(tuple(v for v in self.values if v in set(values)))


# --- configurations -------------------------------------------------------------------------
def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def random_configs(space: dict, n: int, seed=0) -> list[dict]:
    """``n`` configurations drawn independently from ``space``; each gets a ``seed``."""
    rng = rng_from(seed)
    cols = {k: list(d.sample(rng, n)) for k, d in space.items()}
    return [{**{k: _plain(cols[k][i]) for k in space}, "seed": i} for i in range(n)]


def grid_configs(space: dict, per_axis: int | dict) -> list[dict]:
    """Every combination of ``per_axis`` values per parameter (log-spaced for log scales)."""
    k = per_axis if isinstance(per_axis, dict) else {name: per_axis for name in space}
    axes = [list(d.grid(k[name])) for name, d in space.items()]
    return [{**{name: _plain(v) for name, v in zip(space, combo)}, "seed": i}
            for i, combo in enumerate(itertools.product(*axes))]


def distinct_values(configs: list[dict], key: str) -> int:
    return len({round(float(c[key]), 12) for c in configs})


def decade_shares(values, low: float, high: float) -> np.ndarray:
    """Fraction of ``values`` in each decade [10^k, 10^(k+1)) between low and high."""
    edges = 10.0 ** np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    counts, _ = np.histogram(values, bins=edges)
    return counts / max(len(values), 1)


# --- running trials ---------------------------------------------------------------------------
@dataclass
class Trial:
    config: dict
    score: float
    seconds: float


_SHARED = None      # what ``evaluate(..., shared=...)`` sent to this worker process


def _timed(objective, config):
    start = time.perf_counter()
    score = objective(config) if _SHARED is None else objective(config, _SHARED)
    return Trial(config, float(score), time.perf_counter() - start)


def _init_worker(shared):
    """Each worker uses one BLAS thread (two workers share two cores without fighting) and
    keeps ``shared`` (e.g. the data set), received once instead of reloaded per trial."""
    global _SHARED
    _SHARED = shared
    blas_threads(1)


def evaluate(objective: Callable[..., float], configs: list[dict], processes: int = 1,
             shared=None) -> list[Trial]:
    """Score every config: ``objective(config)`` or, with ``shared``, ``objective(config, shared)``.

    ``processes > 1`` trains that many models at once ("caviar") in a pool of fresh (spawned)
    processes, so ``objective`` must be a module-level function; ``shared`` is sent to each
    worker once. Results come back in the order of ``configs``."""
    global _SHARED
    if processes <= 1:
        old, _SHARED = _SHARED, shared
        try:
            with blas_threads(1):           # one core, like each worker of the pool
                return [_timed(objective, c) for c in configs]
        finally:
            _SHARED = old
    import multiprocessing as mp
    with ProcessPoolExecutor(processes, mp_context=mp.get_context("spawn"),
                             initializer=_init_worker, initargs=(shared,)) as pool:
        return list(pool.map(functools.partial(_timed, objective), configs))


def best(trials: list[Trial]) -> Trial:
    """The highest score; ties go to the earliest trial."""
    return max(trials, key=lambda t: (t.score, -trials.index(t)))


def zoom(space: dict, trials: list[Trial], top_k: int = 5, widen: float = 0.1) -> dict:
    """A narrower space spanning the ``top_k`` best trials' values (coarse-to-fine)."""
    top = sorted(trials, key=lambda t: -t.score)[:top_k]
    return {k: d.zoom([t.config[k] for t in top], widen) for k, d in space.items()}


def coarse_to_fine(objective, space: dict, n_coarse: int, n_fine: int, top_k: int = 5,
                   seed=0, processes: int = 1, shared=None):
    """Random search, zoom on the best ``top_k``, random search again inside the zoomed space.

    Returns ``(coarse_trials, fine_space, fine_trials)``."""
    coarse = evaluate(objective, random_configs(space, n_coarse, seed), processes, shared)
    fine_space = zoom(space, coarse, top_k)
    fine_cfgs = random_configs(fine_space, n_fine, (seed, 1) if isinstance(seed, int) else seed)
    fine_cfgs = [{**c, "seed": n_coarse + c["seed"]} for c in fine_cfgs]
    return coarse, fine_space, evaluate(objective, fine_cfgs, processes, shared)


# --- the real task: a one-hidden-layer network on the digits --------------------------------
@functools.lru_cache(maxsize=1)
def digits_split(seed: int = 0):
    """Standardised digits: (train, dev, test) with 60/20/20 stratified splits."""
    from companion.data.datasets import Standardizer, digits, train_dev_test_split
    X, y = digits()
    (Xtr, ytr), (Xdv, ydv), (Xte, yte) = train_dev_test_split(X, y, seed=seed)
    s = Standardizer().fit(Xtr)
    return (s.transform(Xtr), ytr), (s.transform(Xdv), ydv), (s.transform(Xte), yte)


def digits_model(config: dict):
    from companion.nn.layers import Dense
    from companion.nn.model import Sequential
    return Sequential([Dense(int(config.get("hidden_units", 64)), "relu"),
                       Dense(10, "softmax")], input_shape=(64,), seed=config.get("seed", 0))


def digits_objective(config: dict, data=None, epochs: int = 8) -> float:
    """Dev accuracy of ``digits_model(config)`` after ``epochs`` epochs of SGD with momentum.

    Keys: learning_rate, momentum (default 0.9), hidden_units (64), batch_size (32), seed.
    ``data`` is ``digits_split()`` (loaded here when not given). A diverging run scores 0
    (its accuracy would be chance anyway)."""
    from companion.nn.optim import SGD
    from companion.nn.train import fit
    from companion.nn.validation import DivergenceError
    (Xtr, ytr), dev, _ = digits_split() if data is None else data
    model = digits_model(config)
    opt = SGD(config["learning_rate"], momentum=config.get("momentum", 0.9))
    try:
        hist = fit(model, Xtr, ytr, "sparse_categorical_crossentropy", opt, epochs=epochs,
                   batch_size=int(config.get("batch_size", 32)), validation_data=dev,
                   seed=config.get("seed", 0))
    except DivergenceError:
        return 0.0
    return float(hist["val_accuracy"][-1])


def toy_response(config: dict) -> float:
    """A made-up 'dev accuracy' that depends sharply on log10(learning_rate) and barely on
    ``epsilon``: the case where grid search wastes its budget (random vs grid demo)."""
    lr_term = np.exp(-3.0 * (np.log10(config["learning_rate"]) + 1.3) ** 2)
    return float(0.5 + 0.45 * lr_term + 0.01 * np.sin(np.log10(config["epsilon"])))


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
