"""Chapter 15 (the transformer against the recurrent models, at equal budgets): the
comparison's drivers.

    train, val, test, vocab = names_split()        # chapter 10's names and split
    compare_language_models(train, test, vocab, epochs=4)
    mean_spread(values)                            # mean ± half the range over seeds
    paired_difference(a, b)                        # per-seed differences of two models
    results_explorer(rows, bigram)                 # the comparison's bars, by metric and seed
"""

from __future__ import annotations

from companion.data.text import names_split  # noqa: F401  (the split the notebook uses)
from companion.models.transformer import TransformerLM, train_lm
from companion.nn.metrics import mean_spread  # noqa: F401  (the notebook's summary)


def _lm_contenders(vocab, seed: int) -> dict:
    """The character language models compared, built afresh for one seed: name -> (model,
    its training function(epochs))."""
    from companion.models.char_lm import CharLanguageModel, train
    from companion.nn.layers.gru import GRU
    from companion.nn.layers.lstm import LSTM

    def recurrent(units, cell, batch_size):
        m = CharLanguageModel(vocab, units=units, cell=cell, seed=seed)
        return m, lambda names, epochs: train(m, names, epochs=epochs, batch_size=batch_size,
                                              clipnorm=5.0, seed=seed, progress=False)

    def transformer(positional):
        m = TransformerLM(vocab, d_model=32, num_heads=2, num_layers=2, ff_dim=64,
                          positional=positional, seed=seed)
        return m, lambda names, epochs: train_lm(m, names, epochs=epochs, seed=seed)
    return {"GRU (48 units)": recurrent(48, GRU, 64),
            "LSTM (48 units)": recurrent(48, LSTM, 64), "transformer": transformer(True),
            "transformer, no positions": transformer(False)}


def count_params(model) -> int:
    """The number of weights of a model with a ``params`` dict (name -> array)."""
    return int(sum(p.size for p in model.params.values()))


def compare_language_models(train_names, test_names, vocab, epochs: int, seeds=(0, 1, 2),
                            extra_epochs: dict | None = None) -> dict:
    """Train every contender of ``_lm_contenders`` for ``epochs`` epochs (a contender named in
    ``extra_epochs`` for that many instead, under the name "<name>, <k> epochs") with each seed.

    Returns name -> {"loss": [test nats/char per seed], "cpu": [CPU seconds per seed],
    "params": parameter count, "epochs": epochs, "model": the last seed's trained model}.
    """
    import time
    rows: dict = {}
    for seed in seeds:
        plan = [(name, m, fit, epochs) for name, (m, fit) in _lm_contenders(vocab, seed).items()]
        for name, k in (extra_epochs or {}).items():
            m, fit = _lm_contenders(vocab, seed)[name]
            plan.append((f"{name}, {k} epochs", m, fit, k))
        for name, model, fit, k in plan:
            start = time.process_time()
            fit(train_names, k)
            cpu = time.process_time() - start
            row = rows.setdefault(name, {"loss": [], "cpu": [], "params": count_params(model),
                                         "epochs": k})
            row["loss"].append(model.loss(test_names))
            row["cpu"].append(cpu)
            row["model"] = model
    return rows


def paired_difference(a, b) -> tuple[float, float, int]:
    """Two models' results on the same seeds, a[i] and b[i] (lists or (S,) arrays, S >= 1):
    (mean of a - b, half the range of a - b, the number of seeds with a[i] < b[i])."""
    import numpy as np
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired_difference: a and b must be two equal-length, non-empty lists "
                         f"of per-seed results, got shapes {a.shape} and {b.shape}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("paired_difference: a or b contains NaN")
    d = a - b
    return float(d.mean()), float((d.max() - d.min()) / 2), int(np.sum(a < b))


METRICS = {"held-out nats/char": "loss", "CPU seconds per run": "cpu"}


def _bars(rows: dict, metric: str, seed: str) -> dict:
    """The bar heights and error bars of ``rows`` for one metric and one seed (or "all")."""
    import numpy as np

    from companion.nn.metrics import mean_spread as spread
    names = list(rows)
    if metric == "parameters":
        return {"names": names, "values": [rows[n]["params"] for n in names], "errors": None}
    key = METRICS[metric]
    if seed == "all":
        pairs = [spread(rows[n][key]) for n in names]
        return {"names": names, "values": [m for m, _ in pairs], "errors": [s for _, s in pairs]}
    return {"names": names, "values": [float(np.asarray(rows[n][key])[int(seed)]) for n in names],
            "errors": None}


def results_explorer(rows: dict, bigram: float):
    """An Explorer over ``compare_language_models``'s ``rows`` (nothing is retrained): pick the
    metric (held-out loss, CPU seconds, parameters) and the seed ("all": mean ± half range)."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer
    n_seeds = len(next(iter(rows.values()))["loss"])

    def compute(metric, seed):
        bars = _bars(rows, metric, seed)
        best = (min if metric == "held-out nats/char" else max)(
            range(len(bars["names"])), key=bars["values"].__getitem__)
        which = "mean over seeds" if seed == "all" or metric == "parameters" else f"seed {seed}"
        word = "lowest" if metric == "held-out nats/char" else "highest"
        bars["summary"] = (f"{metric} ({which}): {word} {bars['names'][best]} "
                           f"({bars['values'][best]:.3f})" if metric != "parameters" else
                           f"parameters: most {bars['names'][best]} ({bars['values'][best]})")
        bars["metric"] = metric
        return bars

    def draw(r):
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.barh(range(len(r["names"])), r["values"], xerr=r["errors"], color="tab:blue",
                alpha=0.7, label="mean ± half range" if r["errors"] else "one value per model")
        if r["metric"] == "held-out nats/char":
            ax.axvline(bigram, color="tab:red", ls="--", label=f"bigram {bigram:.3f}")
            ax.set_xlim(1.9, 2.4)
        ax.set_yticks(range(len(r["names"])), r["names"])
        ax.set(xlabel=r["metric"], title="Character language models at equal budgets")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return fig

    controls = {"metric": w.Dropdown(options=[*METRICS, "parameters"],
                                     value="held-out nats/char", description="metric"),
                "seed": w.Dropdown(options=["all"] + [str(i) for i in range(n_seeds)],
                                   value="all", description="seed")}
    return Explorer(compute, draw, controls, title="The comparison, by metric and seed")
