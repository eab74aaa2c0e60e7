"""Long-range dependencies: the adding problem, gradient flow through time, and a trainer.

The adding problem (Hochreiter & Schmidhuber, 1997): each step carries a random value in [0, 1]
and a marker; exactly two steps are marked, one in each half of the sequence, and the target
is the sum of the two marked values. Predicting the mean (1.0) gives a mean squared error of
about 0.167; a network that solves the task must carry the first marked value across up to T
steps of distracting input, the dependency that vanishing gradients make hard to learn.
"""
from __future__ import annotations

import numpy as np

from . import optim
from .errors import rng_from
from .layers.dense import Dense
from .model import Sequential
from .train import check_finite, clip_by_global_norm

BASELINE_MSE = 1 / 6          # Var(u1 + u2) for two independent U(0, 1) values


def adding_problem(n: int, T: int, rng):
    """n sequences of length T: x (n, T, 2) = (value, marker), y (n, 1) = sum of marked values."""
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2 steps, got T={T}")
    rng = rng_from(rng)
    values = rng.uniform(0.0, 1.0, (n, T))
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, rng.integers(0, T // 2, n)] = 1.0           # one in the first half
    marks[rows, rng.integers(T // 2, T, n)] = 1.0           # one in the second half
    return np.stack([values, marks], axis=-1), np.sum(values * marks, axis=1, keepdims=True)


def regressor(cell, units: int, T: int, seed=0, **cell_kwargs) -> Sequential:
    """cell(units) reading (T, 2) sequences, then Dense(1): the model for the adding problem."""
    return Sequential([cell(units, **cell_kwargs), Dense(1)], input_shape=(T, 2), seed=seed)


def train_adding(model: Sequential, T: int, steps: int = 250, batch_size: int = 64,
                 learning_rate: float = 0.01, clipnorm: float | None = 1.0, seed=0,
                 n_test: int = 500) -> dict:
    """Adam on fresh random batches (an endless training set), then a held-out test.

    Returns ``{"loss": per-step MSE, "test_mse", "solved": fraction of test sequences with
    |error| < 0.04}`` (the usual success criterion for this task)."""
    rng = rng_from(seed)
    opt = optim.Adam(learning_rate)
    params = model.params()
    state = opt.init(params)
    losses = []
    for step in range(steps):
        x, y = adding_problem(batch_size, T, rng)
        value = model.loss_and_grads(x, y, "mse")
        check_finite(value, step, learning_rate)
        grads = model.grads()
        if clipnorm is not None:
            grads = clip_by_global_norm(grads, clipnorm)
        updates, state = opt.update(grads, state, params)
        optim.apply_updates(params, updates)
        losses.append(value)
    x, y = adding_problem(n_test, T, rng_from(10_000 + T))
    err = model.predict(x) - y
    return {"loss": np.array(losses), "test_mse": float(np.mean(err ** 2)),
            "solved": float(np.mean(np.abs(err) < 0.04))}


def gradient_through_time(layer, T: int = 50, n: int = 64, seed=0) -> np.ndarray:
    """||d h_T / d x_t|| averaged over a batch, for t = 1..T: how much the last state still
    'hears' each input. Uses the layer's own backward pass with dout = a random unit vector."""
    rng = rng_from(seed)
    x, _ = adding_problem(n, T, rng)
    if not layer.built:
        layer.build((T, 2), rng)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dout /= np.linalg.norm(dout, axis=-1, keepdims=True)
    dx = layer.backward(dout)                                  # (n, T, 2)
    return np.linalg.norm(dx, axis=-1).mean(axis=0)


def cell_class(name: str):
    """'SimpleRNN', 'GRU' or 'LSTM' -> the layer class."""
    from .layers.gru import GRU
    from .layers.lstm import LSTM
    from .layers.recurrent import SimpleRNN
    cells = {"SimpleRNN": SimpleRNN, "GRU": GRU, "LSTM": LSTM}
    if name not in cells:
        raise ValueError(f"cell must be one of {sorted(cells)}, got {name!r}")
    return cells[name]


def accuracy_against_length(cells, lengths, units: int = 16, steps: int = 250, seed=0,
                            **train_kwargs) -> dict:
    """Train each cell on the adding problem at each length (same seeds and budget).

    Returns {(cell name, T): result of ``train_adding`` plus the trained ``model``}."""
    results = {}
    for T in lengths:
        for name in cells:
            model = regressor(cell_class(name), units, T, seed=seed)
            r = train_adding(model, T, steps=steps, seed=seed, **train_kwargs)
            results[name, T] = {**r, "model": model}
    return results


def adding_explorer(steps: int = 150):
    """Cell type, hidden size, sequence length and clipping threshold against the adding problem
    (trains on Run: a couple of seconds)."""
    import ipywidgets as w

    from .widgets import Explorer

    def compute(cell, units, T, clipnorm):
        model = regressor(cell_class(cell), units, T, seed=0)
        r = train_adding(model, T, steps=steps, clipnorm=clipnorm if clipnorm > 0 else None)
        r["summary"] = (f"{cell}({units}), T={T}: test MSE {r['test_mse']:.4f} "
                        f"(predicting 1.0: {BASELINE_MSE:.3f}), solved {r['solved']:.0%}")
        r["cell"], r["T"] = cell, T
        return r

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.semilogy(r["loss"], lw=1, label=f"{r['cell']}, T={r['T']}")
        ax.axhline(BASELINE_MSE, color="gray", ls="--", label="predict 1.0")
        ax.set(xlabel="training step", ylabel="batch MSE")
        ax.legend()
        fig.tight_layout()
        return fig

    controls = {"cell": w.Dropdown(options=["SimpleRNN", "GRU", "LSTM"], value="GRU",
                                   description="cell"),
                "units": w.IntSlider(16, min=4, max=64, step=4, description="units"),
                "T": w.IntSlider(10, min=4, max=100, step=2, description="T"),
                "clipnorm": w.FloatLogSlider(1.0, base=10, min=-2, max=2, step=0.25,
                                             description="clipnorm")}
    return Explorer(compute, draw, controls, title="The adding problem", run_button=True)


def gradient_explorer():
    """||dh_T/dx_t|| against t for the three cells at initialisation, for T and units."""
    import ipywidgets as w

    from .widgets import Explorer

    def compute(T, units, seed):
        norms = {name: gradient_through_time(cell_class(name)(units), T, seed=seed)
                 for name in ("SimpleRNN", "GRU", "LSTM")}
        first = ", ".join(f"{k} {v[0] / v[-1]:.1e}" for k, v in norms.items())
        return {"norms": norms, "T": T,
                "summary": f"||dh_T/dx_1|| / ||dh_T/dx_T|| over {T} steps: {first}"}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3))
        for name, v in r["norms"].items():
            ax.semilogy(np.arange(1, r["T"] + 1), v, label=name)
        ax.set(xlabel="input step t", ylabel="||dh_T / dx_t||")
        ax.legend()
        fig.tight_layout()
        return fig

    controls = {"T": w.IntSlider(50, min=5, max=200, step=5, description="T"),
                "units": w.IntSlider(32, min=4, max=128, step=4, description="units"),
                "seed": w.IntSlider(0, min=0, max=9, description="seed")}
    return Explorer(compute, draw, controls, title="Gradient flow through time at initialisation")


def next_symbol_task(n: int, T: int, K: int = 4, rng=0):
    """A tagging task that only later context decides: symbols s<t> in 0..K-1 (one-hot
    x (n, T, K)); the tag of step t is the symbol that FOLLOWS it, s<t+1>, and K ("end") at the
    last step. A left-to-right reader has not seen s<t+1> when it must tag step t, so it can
    do no better than chance (1/K) there; a bidirectional one reads it from its backward half."""
    rng = rng_from(rng)
    s = rng.integers(0, K, (n, T))
    tags = np.concatenate([s[:, 1:], np.full((n, 1), K)], axis=1)
    return np.eye(K)[s], tags
