"""Chapter 17 (the date translators at equal budgets): every variant trained to convergence with
early stopping on the dev split, three seeds, parameters, epochs and CPU time stated.

    data = load()                                          # 1000 training dates, SETUP's splits
    runs = run_variants(data, ["plain", "additive"], seeds=[0, 1, 2])
    rows = summarise(runs, data)                           # per variant: mean ± half range
    print(table(rows))
    held_out_split(predictions, targets, held_out_years)   # exact / year right, seen vs unseen
    early_stopping_loop(train_epoch, dev_loss, params, 40, 2, 0.005)   # the loop, by hand
    results_explorer(rows)                                 # pick a metric: bars and seeds
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from companion.data.dates import DateData, encode_targets, load_dates
from companion.models.seq2seq import Seq2Seq, evaluate, train
from companion.nn import optim
from companion.nn.activations import softmax
from companion.nn.callbacks import Callback
from companion.nn.layers.attentive_gru import attend
from companion.nn.layers.luong import luong_attention_backward, luong_attention_forward
from companion.nn.losses import sequence_crossentropy
from companion.nn.metrics import mean_spread
from companion.nn.train import EarlyStopping

SETUP = {"n_train": 1000, "n_dev": 200, "n_test": 500, "n_hard": 500, "units": 16,
         "batch_size": 64, "learning_rate": 0.02, "max_epochs": 40, "patience": 2,
         "min_delta": 0.005}

VARIANTS = {"plain": {"attention": False},
            "additive": {"score": "additive"},
            "general": {"score": "general"},
            "dot": {"score": "dot"},
            "dot, context before": {"score": "dot", "placement": "before"}}


def load(seed: int = 0, setup: dict = SETUP) -> DateData:
    """The dates with SETUP's split sizes (ten held-out years, as in chapter 13)."""
    return load_dates(n_train=setup["n_train"], n_dev=setup["n_dev"], n_test=setup["n_test"],
                      n_hard=setup["n_hard"], seed=seed)


class DevLoss(Callback):
    """history["val_loss"] after each epoch: the teacher-forced cross-entropy per character on
    the dev pairs (what early stopping monitors; unlike ``train``'s ``validation_data`` it does
    not also decode the dev dates, which this chapter's fifteen runs cannot afford)."""

    def __init__(self, model: Seq2Seq, pairs):
        self.batch = (model.source_ids([s for s, _ in pairs]),
                      encode_targets(model.tgt, [t for _, t in pairs]))

    def on_epoch_end(self, epoch, history):
        loss, _ = sequence_crossentropy(softmax(self.model.logits(*self.batch)), self.batch[1])
        history.setdefault("val_loss", []).append(float(loss))
        return False


def train_variant(data: DateData, name: str, seed: int, setup: dict = SETUP) -> dict:
    """One model of ``VARIANTS[name]`` trained on ``data.train`` with Adam, clipnorm 5, until its
    dev loss stops improving by ``min_delta`` for ``patience`` epochs (best weights restored).

    Returns {"model", "history", "cpu_s" (training, time.process_time), "epochs" (run),
    "best_epoch" (1-based), "params", "test" and "held_out" (greedy predictions)}."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {list(VARIANTS)}, got {name!r}")
    model = Seq2Seq(data.source_vocab, data.target_vocab, units=setup["units"], seed=seed,
                    **VARIANTS[name])
    stop = EarlyStopping(monitor="val_loss", patience=setup["patience"],
                         min_delta=setup["min_delta"])
    start = time.process_time()
    history = train(model, data.train, optimizer=optim.Adam(setup["learning_rate"]),
                    epochs=setup["max_epochs"], batch_size=setup["batch_size"], seed=seed,
                    callbacks=[DevLoss(model, data.dev), stop])
    cpu = time.process_time() - start
    return {"model": model, "history": history, "cpu_s": cpu, "epochs": len(history["loss"]),
            "best_epoch": stop.best_epoch + 1,
            "params": int(sum(p.size for p in model.params.values())),
            "test": evaluate(model, data.test)["predictions"],
            "held_out": evaluate(model, data.hard_test)["predictions"]}


def run_variants(data: DateData, names: Sequence[str], seeds: Sequence[int],
                 setup: dict = SETUP) -> dict:
    """{name: [train_variant(data, name, seed) for each seed]}."""
    return {name: [train_variant(data, name, s, setup) for s in seeds] for name in names}


def held_out_split(predictions: Sequence[str], targets: Sequence[str],
                   held_out_years: Sequence[int]) -> tuple[float, float, float, float]:
    """Exact match and "year right" (the first four characters), split by the TRUE date's year:
    (exact on seen years, exact on held-out years, year right on seen, year right on held-out).
    A side with no date gives NaN."""
    if len(predictions) != len(targets):
        raise ValueError(f"held_out_split: {len(predictions)} predictions for {len(targets)} "
                         "targets")
    held = np.array([int(t[:4]) in set(held_out_years) for t in targets], dtype=bool)
    exact = np.array([p == t for p, t in zip(predictions, targets)], dtype=float)
    year = np.array([p[:4] == t[:4] for p, t in zip(predictions, targets)], dtype=float)

    def share(v, rows):
        return float(v[rows].mean()) if rows.any() else float("nan")
    return share(exact, ~held), share(exact, held), share(year, ~held), share(year, held)


def summarise(runs: dict, data: DateData) -> dict:
    """Per variant: params, seeds, epochs run and best epochs, CPU s per run, and per seed the
    four ``held_out_split`` numbers on test + held-out-year dates (mean ± half range: ``cell``)."""
    targets = [t for _, t in data.test] + [t for _, t in data.hard_test]
    rows = {}
    for name, rs in runs.items():
        split = np.array([held_out_split(r["test"] + r["held_out"], targets,
                                         data.held_out_years) for r in rs])
        rows[name] = {"params": rs[0]["params"], "seeds": len(rs),
                      "epochs": [r["epochs"] for r in rs], "best": [r["best_epoch"] for r in rs],
                      "cpu": [r["cpu_s"] for r in rs], "test": split[:, 0],
                      "held_out": split[:, 1], "year_seen": split[:, 2],
                      "year_held_out": split[:, 3]}
    return rows


def cell(values, fmt: str = "{:.1%}") -> str:
    """'mean ± half range' of per-seed values."""
    m, s = mean_spread(values)
    return f"{fmt.format(m)} ± {fmt.format(s)}"


def table(rows: dict, names: Sequence[str] | None = None) -> str:
    """The comparison as aligned text: one row per variant."""
    names = list(rows) if names is None else list(names)
    lines = [(f"{'variant':20} {'params':>6} {'seeds':>5} {'epochs':>6} {'CPU (mean)':>14} "
              f"{'test exact':>15} {'held-out exact':>15} {'year, seen':>15} "
              f"{'year, held-out':>15}")]
    for n in names:
        r = rows[n]
        lines.append(f"{n:20} {r['params']:6d} {r['seeds']:5d} {np.mean(r['epochs']):6.1f} "
                     f"{np.mean(r['cpu']):5.1f} s per run {cell(r['test']):>15} "
                     f"{cell(r['held_out']):>15} {cell(r['year_seen']):>15} "
                     f"{cell(r['year_held_out']):>15}")
    return "\n".join(lines)


def early_stopping_loop(train_epoch: Callable[[], None], dev_loss: Callable[[], float],
                        params: dict, max_epochs: int, patience: int,
                        min_delta: float = 0.0) -> tuple[int, int]:
    """The loop that ``EarlyStopping`` runs inside ``train_loop``, by hand.

    After each ``train_epoch()`` (which updates the arrays of ``params`` in place), the dev loss
    counts as an improvement when it is below best - min_delta; training stops after
    ``patience`` epochs without one (or at ``max_epochs``), and the best epoch's weights are
    copied back into ``params`` in place. Returns (epochs run, best epoch), both 1-based.
    (The callback restores when it stops; at ``max_epochs`` this loop restores too, so the two
    differ only when the cap is reached after a worse epoch, which no run of chapter 17 does.)"""
    best, best_epoch, saved = np.inf, 0, None
    for epoch in range(1, max_epochs + 1):
        train_epoch()
        loss = dev_loss()
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
            saved = {k: v.copy() for k, v in params.items()}
        elif epoch - best_epoch >= patience:
            break
    if saved is None:
        raise ValueError(f"early_stopping_loop: the dev loss was never finite ({loss})")
    for k, v in saved.items():
        params[k][...] = v
    return epoch, best_epoch


def general_attention(query, keys, W, mask, dcontext):
    """Luong's general score forward and backward in one call (exercise 3's reference).

    query (N, Tq, Dq), keys (N, Tv, Dk) (also the values), W (Dq, Dk), mask (N, Tv) booleans,
    dcontext (N, Tq, Dk) -> (context (N, Tq, Dk), weights (N, Tq, Tv), dquery (N, Tq, Dq),
    dkeys (N, Tv, Dk), dW (Dq, Dk))."""
    context, cache = luong_attention_forward(query, keys, W, mask)
    (dquery, dkeys), (dW,) = luong_attention_backward(dcontext, cache)
    return context, cache.weights, dquery, dkeys, dW


def step_before(s_prev, x, H, mask, gru_step: Callable):
    """One decoder step with the context BEFORE the cell, dot score (exercise 4's reference):
    c = softmax_j(s_prev . h_j) h_j, then s = gru_step([x ; c], s_prev).

    s_prev (N, u), x (N, V), H (N, Tx, u), mask (N, Tx) booleans; ``gru_step(inputs (N, V + u),
    h (N, u)) -> (N, u)``. Returns (s (N, u), context (N, u), weights (N, Tx))."""
    (context, weights), _ = attend("dot", s_prev, H, {}, mask)
    return gru_step(np.concatenate([x, context], axis=1), s_prev), context, weights


def plot_dev_curves(runs: dict, names: Sequence[str], ax=None):
    """Dev loss per epoch (log scale) for each variant and seed; a dot marks the kept epoch."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for i, name in enumerate(names):
        colour = f"C{i}"
        for j, r in enumerate(runs[name]):
            dev = r["history"]["val_loss"]
            ax.plot(range(1, len(dev) + 1), dev, color=colour, lw=1, alpha=0.8,
                    label=name if j == 0 else None)
            ax.plot(r["best_epoch"], dev[r["best_epoch"] - 1], "o", color=colour, ms=4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(yscale="log", xlabel="epoch", ylabel="dev cross-entropy per character",
           title="Each run until its dev loss stops improving (dot: weights kept)")
    ax.legend(fontsize=8)
    return ax


def plot_years(rows: dict, names: Sequence[str], ax=None):
    """The copying lesson: the share of dates whose year is right, seen years against held-out
    years, per variant (bars: the mean over seeds; dots: the seeds)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    x = np.arange(len(names))
    for k, (key, label) in enumerate((("year_seen", "years seen in training"),
                                      ("year_held_out", "held-out years"))):
        means = [np.mean(rows[n][key]) for n in names]
        ax.bar(x + 0.4 * k - 0.2, means, 0.4, label=label, color=f"C{k}", alpha=0.7)
        for i, n in enumerate(names):
            ax.plot(np.full(len(rows[n][key]), x[i] + 0.4 * k - 0.2), rows[n][key], "k.", ms=4)
    ax.set_xticks(x, names)
    ax.set(xlabel="variant", ylabel="year right (first 4 characters)", ylim=(0, 1.05),
           title="Writing a year it never saw: recall or copy (dots: seeds)")
    ax.legend(fontsize=8, loc="lower right")
    return ax


METRICS = {"test exact match": "test", "held-out-year exact match": "held_out",
           "year right, seen years": "year_seen", "year right, held-out years": "year_held_out",
           "epochs run": "epochs", "CPU seconds per run": "cpu"}


def _explore(rows: dict, metric: str) -> dict:
    key = METRICS[metric]
    names = list(rows)
    values = [np.asarray(rows[n][key], dtype=float) for n in names]
    means = [float(v.mean()) for v in values]
    best = int(np.argmax(means)) if key not in ("epochs", "cpu") else int(np.argmin(means))
    word = "highest" if key not in ("epochs", "cpu") else "lowest"
    return {"names": names, "values": values, "means": means, "metric": metric,
            "summary": f"{metric}, mean of {len(values[0])} seeds: {word} {names[best]} "
                       f"({means[best]:.3g}); range {min(means):.3g} to {max(means):.3g}"}


def results_explorer(rows: dict):
    """An Explorer over ``summarise``'s rows (nothing is retrained): pick a metric; bars are
    the means over seeds, dots the seeds."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer

    def draw(r):
        fig, ax = plt.subplots(figsize=(7, 3))
        y = np.arange(len(r["names"]))
        ax.barh(y, r["means"], color="tab:blue", alpha=0.6, label="mean over seeds")
        for i, v in enumerate(r["values"]):
            ax.plot(v, np.full(len(v), i), "k.", label="one seed" if i == 0 else None)
        ax.set_yticks(y, r["names"])
        ax.set(xlabel=r["metric"], ylabel="variant", title="The date translators at equal budgets")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return fig

    controls = {"metric": w.Dropdown(options=list(METRICS), value="test exact match",
                                     description="metric")}
    return Explorer(lambda metric: _explore(rows, metric), draw, controls,
                    title="The comparison, by metric")
