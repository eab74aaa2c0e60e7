"""Chapter 11: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections:

- Long-range dependencies: the adding problem, gradient flow through time, and a trainer.
- The GRU in the notes' notation: memory cell c, candidate c~, update gate Γu, relevance gate Γr.
- Checks of recurrent layers used by the tests and by chapter 11: numerical gradients through
  whole sequences (initial and final states included) and the Keras twins.
- The capstone: an LSTM layer whose steps are computed by given functions (the learner's),
  trained as the names language model for an epoch.
"""

from __future__ import annotations

import numpy as np

from companion import keras_twin
from companion.nn import optim
from companion.nn.activations import sigmoid
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers.dense import Dense
from companion.nn.model import Sequential
from companion.nn.train import Supervised, train_loop
from companion.nn.validation import rng_from

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

    def batches(epoch):
        return (adding_problem(batch_size, T, rng) for _ in range(steps))
    losses = train_loop(Supervised(model, "mse"), batches, optim.Adam(learning_rate), 1,
                        clipnorm=clipnorm)["batch_loss"]
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
    from companion.nn.layers.gru import GRU
    from companion.nn.layers.lstm import LSTM
    from companion.nn.layers.recurrent import SimpleRNN
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

    from companion.lab.explorer import Explorer

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

    from companion.lab.explorer import Explorer

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


def notes_gru_step_forward(x, c_prev, params):
    """x (N, n_x), c_prev (N, n_a) -> (c (N, n_a), cache). Full GRU when params has Wr."""
    full = "Wr" in params
    cx = np.concatenate([c_prev, x], axis=1)                       # [c<t-1>, x<t>] as rows
    gu = sigmoid(cx @ params["Wu"].T + params["bu"])
    gr = sigmoid(cx @ params["Wr"].T + params["br"]) if full else None
    cx_c = np.concatenate([gr * c_prev, x], axis=1) if full else cx
    c_tilde = np.tanh(cx_c @ params["Wc"].T + params["bc"])
    c = gu * c_tilde + (1.0 - gu) * c_prev
    return c, (cx, cx_c, c_prev, gu, gr, c_tilde, params)


def notes_gru_step_backward(dc, cache):
    """dc (N, n_a) -> (dx, dc_prev, dparams) with dparams keyed like params."""
    cx, cx_c, c_prev, gu, gr, c_tilde, params = cache
    n_a = c_prev.shape[1]
    da_c = dc * gu * (1.0 - c_tilde ** 2)                          # through tanh
    da_u = dc * (c_tilde - c_prev) * gu * (1.0 - gu)               # through σ
    grads = {"Wc": da_c.T @ cx_c, "bc": da_c.sum(0), "Wu": da_u.T @ cx, "bu": da_u.sum(0)}
    dcx_c = da_c @ params["Wc"]
    dcx = da_u @ params["Wu"]
    dc_prev = dc * (1.0 - gu)
    if gr is None:
        dcx = dcx + dcx_c
    else:
        d_rc = dcx_c[:, :n_a]                                       # d(Γr * c_prev)
        da_r = d_rc * c_prev * gr * (1.0 - gr)
        grads.update(Wr=da_r.T @ cx, br=da_r.sum(0))
        dcx = dcx + da_r @ params["Wr"]
        dcx[:, n_a:] += dcx_c[:, n_a:]
        dc_prev = dc_prev + d_rc * gr
    return dcx[:, n_a:], dc_prev + dcx[:, :n_a], grads


def keras_gru_to_notes(kernel, recurrent_kernel, bias):
    """Keras GRU weights (reset_after=False: kernel (n_x, 3u), recurrent (u, 3u), bias (3u,))
    -> the notes' {Wu, bu, Wr, br, Wc, bc}, with the update gate flipped (Γu = 1 - z)."""
    u = recurrent_kernel.shape[0]
    if np.ndim(bias) != 1:
        raise ValueError(f"bias has shape {np.shape(bias)}: the notes' GRU is Keras' "
                         f"reset_after=False form, whose bias has shape ({3 * u},)")
    W = np.concatenate([recurrent_kernel, kernel], axis=0).T       # (3u, u + n_x): [c, x] cols
    return {"Wu": -W[:u], "bu": -bias[:u],                          # σ(-a) = 1 - σ(a)
            "Wr": W[u:2 * u], "br": bias[u:2 * u],
            "Wc": W[2 * u:], "bc": bias[2 * u:]}


def notes_to_keras_gru(params):
    """Inverse of ``keras_gru_to_notes``: returns [kernel, recurrent_kernel, bias]."""
    u = params["Wu"].shape[0]
    W = np.concatenate([-params["Wu"], params["Wr"], params["Wc"]], axis=0).T
    bias = np.concatenate([-params["bu"], params["br"], params["bc"]])
    return [W[u:], W[:u], bias]


def perturb(layer, rng, scale=0.5):
    """Move the weights away from their initial values (zero biases hide bias bugs)."""
    for k in layer.params:
        layer.params[k] = layer.params[k] + scale * rng.standard_normal(layer.params[k].shape)


def state_list(state):
    return list(state) if isinstance(state, list) else [state]


def sequence_gradient_errors(layer, x, states0, rng):
    """Check dx, every parameter and every initial state of a layer built with
    return_state=True against numerical gradients of sum(out*d0) + sum(state_T * d_i)."""
    outs = layer.forward(x, initial_state=states0)
    douts = [rng.standard_normal(o.shape) for o in outs]
    dx = layer.backward(douts)
    analytic = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}
    analytic.update({f"state{i}": g for i, g in enumerate(state_list(layer.dinitial_state))})

    def f():
        return float(sum(np.sum(o * d) for o, d in
                         zip(layer.forward(x, initial_state=states0), douts)))

    arrays = {"x": x, **layer.params, **{f"state{i}": s for i, s in
                                         enumerate(state_list(states0))}}
    return {k: rel_error(analytic[k], numerical_gradient(f, a)) for k, a in arrays.items()}


def keras_state_check(layer, x, states0, rng, keras=None, tol=1e-5, quiet=True, label=""):
    """Our layer (return_state=True) against its Keras twin fed the same initial states:
    outputs, final states, dx, d(initial states) and weight gradients (float32)."""
    keras = keras or keras_twin.import_keras()
    x = x.astype(np.float32)
    states0 = [s.astype(np.float32) for s in states0]
    T, D = x.shape[1:]
    x_in = keras.Input((T, D))
    s_in = [keras.Input(s.shape[1:]) for s in states0]
    klayer = keras_twin.keras_layer(layer)
    kmodel = keras.Model([x_in, *s_in], klayer(x_in, initial_state=s_in))
    klayer.set_weights(layer.get_weights())
    init = states0 if len(states0) > 1 else states0[0]
    outs = layer.forward(x.astype(np.float64), initial_state=init)
    douts = [rng.standard_normal(o.shape).astype(np.float32) for o in outs]
    dx = layer.backward(douts)
    _, k_outs, k_dxs, k_dw = keras_twin.backward(kmodel, [x, *states0], douts)
    names = ["output"] + [f"final state {i}" for i in range(len(outs) - 1)]
    errs = {n: keras_twin.compare(label + n, o, k, tol, quiet=quiet)
            for n, o, k in zip(names, outs, k_outs)}
    errs["dx"] = keras_twin.compare(label + "dx", dx, k_dxs[0], tol, quiet=quiet)
    for i, (g, kg) in enumerate(zip(state_list(layer.dinitial_state), k_dxs[1:])):
        errs[f"d initial state {i}"] = keras_twin.compare(f"{label}d initial state {i}", g, kg,
                                                         tol, quiet=quiet)
    for k, kg in zip(layer.params, k_dw):
        errs[k] = keras_twin.compare(label + k, layer.grads[k], kg, tol, quiet=quiet)
    return errs


def keras_model_check(model, x, rng, tol=1e-5, quiet=True, label=""):
    """A Sequential of our layers against keras_twin.twin: output, dx and every gradient."""
    kmodel = keras_twin.twin(model)
    out = model.forward(x.astype(np.float64))
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx = model.backward(dout)
    _, k_out, k_dx, k_dw = keras_twin.backward(kmodel, x.astype(np.float32), dout)
    errs = {"output": keras_twin.compare(label + "output", out, k_out, tol, quiet=quiet),
            "dx": keras_twin.compare(label + "dx", dx, k_dx, tol, quiet=quiet)}
    for (name, g), kg in zip(model.grads.items(), k_dw):
        errs[name] = keras_twin.compare(label + name, g, kg, tol, quiet=quiet)
    return errs


# --- the capstone: an LSTM run by the learner's step functions ---------------------------------
def _lstm_class():
    from companion.nn.layers.lstm import LSTM
    return LSTM


class _StepLSTMMixin:
    """The loops of an LSTM layer whose every step calls ``step`` and ``step_backward``."""

    def _run_forward(self, x, states0):
        p, (h, c), saved, hs = self.params, states0, [], []
        for t in range(x.shape[1]):
            saved.append((x[:, t], h, c))
            h, c = self.step(x[:, t], h, c, p["kernel"], p["recurrent_kernel"], p["bias"])
            hs.append(h)
        return np.stack(hs, axis=1), [h, c], saved

    def _run_backward(self, dhs, dfinal, saved):
        p = self.params
        names = ("kernel", "recurrent_kernel", "bias")
        grads = {k: np.zeros_like(p[k]) for k in names}
        dh = np.zeros_like(saved[0][1])
        dc = np.zeros_like(dh) if dfinal[1] is None else dfinal[1]
        dxs = []
        for t in range(len(saved) - 1, -1, -1):
            x_t, h_prev, c_prev = saved[t]
            dx_t, dh, dc, *dw = self.step_backward(dh + dhs[:, t], dc, x_t, h_prev, c_prev,
                                                   *(p[k] for k in names))
            for k, g in zip(names, dw):
                grads[k] += g
            dxs.append(dx_t)
        return np.stack(dxs[::-1], axis=1), [dh, dc], grads


def step_lstm(units: int, step, step_backward, **kwargs):
    """An ``LSTM(units, ...)`` layer (same parameters, initialisation and Keras layout) whose
    forward pass calls ``step(x (N, D), h_prev, c_prev (N, u), kernel, recurrent_kernel, bias)
    -> (h, c)`` at every step and whose backward pass calls ``step_backward(dh, dc, x, h_prev,
    c_prev, kernel, recurrent_kernel, bias) -> (dx, dh_prev, dc_prev, dkernel,
    drecurrent_kernel, dbias)``, adding the weights' gradients over the steps."""
    cls = type("StepLSTM", (_StepLSTMMixin, _lstm_class()), {})
    layer = cls(units, **kwargs)
    layer.step, layer.step_backward = step, step_backward
    return layer


def train_step_lstm_lm(step, step_backward, vocab, train_names, val_names, units: int = 48,
                       epochs: int = 1, seed: int = 0):
    """The names language model of the chapter (``units`` LSTM units, Adam, batches of 64,
    clipnorm 5) with its LSTM computed by ``step`` / ``step_backward``, trained for
    ``epochs``. Returns (model, history) as ``train`` does."""
    from companion.models.char_lm import CharLanguageModel, train
    lm = CharLanguageModel(vocab, units=units, cell=step_lstm, seed=seed, step=step,
                           step_backward=step_backward)
    hist = train(lm, train_names, epochs=epochs, batch_size=64, clipnorm=5.0, seed=seed,
                 validation_data=val_names, progress=None)
    return lm, hist
