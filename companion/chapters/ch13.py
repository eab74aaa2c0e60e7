"""Chapter 13 (sequence to sequence, and attention): the experiments, figures and explorer.

    run = train_run(data, attention=True, seed=0, epochs=3)   # one model, its CPU time
    table = compare(data, seeds=[0, 1, 2], epochs=8)          # plain vs attention, early stopping
    accuracy_by_format(runs, years)           # exact match per written format
    plot_attention(model, ["3/3/98"])         # where the decoder looks, character by character
    beam_sweep(model, pairs, widths=[1, 3])   # exact match and CPU time per beam width
    search_or_model(model, pairs, k=3)        # beam-search error analysis
    translation_explorer(runs)                # type a date, pick the beam width
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from companion.data.dates import FORMATS, DateData, make_pairs
from companion.lab.plots import draw_attention  # one copy, in lab: chapter 18 draws it too
from companion.models.bleu import corpus_bleu
from companion.models.decoding import error_analysis, length_normalised
from companion.models.seq2seq import Seq2Seq, beam_search, evaluate, train
from companion.nn.train import EarlyStopping


def train_run(data: DateData, attention: bool, seed: int = 0, epochs: int = 3, units: int = 32,
              patience: int | None = None, monitor: str = "val_loss") -> dict:
    """Train one encoder-decoder on ``data.train`` (Adam 0.01, batches of 64, clipnorm 5).

    With ``patience``, early stopping on ``data.dev`` (``monitor``, best weights restored).
    Returns {"model", "history", "cpu_s" (time.process_time of training), "epochs" (run),
    "best_epoch" (1-based, the weights kept), "params" (number of parameters)}.
    """
    model = Seq2Seq(data.source_vocab, data.target_vocab, units=units, attention=attention,
                    seed=seed)
    stop = [EarlyStopping(monitor=monitor, patience=patience)] if patience is not None else []
    start = time.process_time()
    history = train(model, data.train, validation_data=data.dev if stop else None,
                    epochs=epochs, seed=seed, callbacks=stop)
    cpu = time.process_time() - start
    ran = len(history["loss"])
    return {"model": model, "history": history, "cpu_s": cpu, "epochs": ran,
            "best_epoch": stop[0].best_epoch + 1 if stop else ran,
            "params": sum(p.size for p in model.params.values())}


def compare(data: DateData, seeds: Sequence[int], epochs: int = 8, patience: int = 1,
            units: int = 32) -> dict:
    """Plain and attention models, each seed trained for at most ``epochs`` with early stopping
    on the dev split's loss. Returns {name: {"runs": [run...], "test", "held_out" (exact match
    per seed), "epochs", "cpu_s" (per seed)}}."""
    out = {}
    for name, att in (("plain", False), ("attention", True)):
        runs = [train_run(data, att, seed, epochs, units, patience) for seed in seeds]
        out[name] = {"runs": runs,
                     "test": [evaluate(r["model"], data.test)["exact"] for r in runs],
                     "held_out": [evaluate(r["model"], data.hard_test)["exact"] for r in runs],
                     "epochs": [r["best_epoch"] for r in runs],
                     "cpu_s": [r["cpu_s"] for r in runs], "params": runs[0]["params"]}
    return out


def mean_spread(values: Sequence[float]) -> tuple[float, float]:
    """(mean, half the range): the spread shown as mean ± (max - min) / 2."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float((v.max() - v.min()) / 2)


def comparison_table(table: dict) -> str:
    """The comparison as aligned text, one row per model, mean ± half-range over seeds."""
    def cell(values, fmt):
        m, s = mean_spread(values)
        return f"{fmt.format(m)} ± {fmt.format(s)}"
    lines = [f"{'model':10} {'params':>7} {'test exact':>16} {'held-out years':>16} "
             f"{'epochs kept':>12} {'CPU s':>12}"]
    for name, r in table.items():
        lines.append(f"{name:10} {r['params']:7d} {cell(r['test'], '{:.1%}'):>16} "
                     f"{cell(r['held_out'], '{:.1%}'):>16} {cell(r['epochs'], '{:.1f}'):>12} "
                     f"{cell(r['cpu_s'], '{:.1f}'):>12}")
    return "\n".join(lines)


def accuracy_by_format(runs: dict, years: Sequence[int], n: int = 200, seed: int = 0) -> dict:
    """{format: {model name: exact match}} on ``n`` fresh dates per format from ``years``."""
    rng = np.random.default_rng(seed)
    table = {}
    for fmt in FORMATS:
        pairs = make_pairs(rng, n, years, [fmt])
        table[fmt] = {name: evaluate(run["model"], pairs)["exact"] for name, run in runs.items()}
    return table


def year_alignment(model: Seq2Seq, pairs: Sequence[tuple[str, str]], slack: int = 1) -> float:
    """Share of the 4 output year digits whose attention peaks within ``slack`` characters of
    the same digit in the source (over the pairs that write the year in 4 digits)."""
    hits = total = 0
    for text, target in pairs:
        j = text.find(target[:4])
        if j < 0:
            continue
        _, w = model.greedy(model.source_ids([text]))
        offset = w.shape[2] - len(text)                          # left padding
        peaks = w[0, :4].argmax(axis=1) - offset
        hits += int(np.sum(np.abs(peaks - (j + np.arange(4))) <= slack))
        total += 4
    return hits / total


def attention_map(model: Seq2Seq, text: str, beam_width: int = 1):
    """(translation, weights (one row per output step, len(text))) over the real input
    characters, for the best hypothesis of a beam of ``beam_width``."""
    best = beam_search(model, [text], beam_width)[0][0]
    return best.text, best.weights[:, best.weights.shape[1] - len(text):]


def beam_sweep(model: Seq2Seq, pairs, widths: Sequence[int], alpha: float = 0.7) -> dict:
    """{k: {"exact", "bleu" (character BLEU), "cpu_s", "cut_off"}} of beam search of each
    width on ``pairs``."""
    out = {}
    for k in widths:
        start = time.process_time()
        hyps = beam_search(model, [s for s, _ in pairs], k, alpha=alpha)
        cpu = time.process_time() - start
        pred = [h[0].text for h in hyps]
        out[k] = {"exact": float(np.mean([p == t for p, (_, t) in zip(pred, pairs)])),
                  "bleu": corpus_bleu([list(p) for p in pred],
                                      [[list(t)] for _, t in pairs])["bleu"],
                  "cpu_s": cpu, "cut_off": sum(not h[0].finished for h in hyps)}
    return out


def search_or_model(model: Seq2Seq, pairs, k: int = 3, alpha: float = 0.7) -> dict:
    """Beam-search error analysis: for each wrong output ŷ, is the search objective
    log P(y|x) / len^alpha of the true y* above ŷ's (the search's fault) or not (the model's)?
    A cut-off ŷ (no <EOS>) ranks below any finished one, so against it y* always wins.
    Returns error_analysis's dict plus "pred", "true_scores", "output_scores"."""
    texts, truth = [s for s, _ in pairs], [t for _, t in pairs]
    best = [h[0] for h in beam_search(model, texts, k, alpha=alpha)]
    true = length_normalised(model.log_prob(texts, truth), [len(t) + 1 for t in truth], alpha)
    out = np.array([h.score if h.finished else -np.inf for h in best])
    r = error_analysis(true, out, [h.text != t for h, t in zip(best, truth)])
    return {**r, "pred": [h.text for h in best], "true_scores": true, "output_scores": out}


def plot_attention(model: Seq2Seq, texts: Sequence[str]):
    """One heatmap per written date: rows are the output characters, columns the input's."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(texts), figsize=(5.0 * len(texts), 3.6))
    for ax, text in zip(np.atleast_1d(axes), texts):
        out, w = attention_map(model, text)
        draw_attention(ax, text, out, w)
    fig.tight_layout()
    return fig


def plot_training(runs: dict, table: dict):
    """Left: the training loss per step; right: exact match per format for both models."""
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 1.6]})
    for name, run in runs.items():
        a.plot(run["history"]["batch_loss"], label=f"{name} ({run['epochs']} epochs, "
                                                   f"{run['cpu_s']:.0f} s CPU)", lw=1)
    a.set(yscale="log", xlabel="step", ylabel="cross-entropy per character")
    a.legend(fontsize=8)
    x = np.arange(len(table))
    for i, name in enumerate(runs):
        b.bar(x + 0.4 * i - 0.2, [table[f][name] for f in table], 0.4, label=name)
    b.set_xticks(x, list(table), rotation=60, ha="right", fontsize=7)
    b.set(ylabel="exact match", ylim=(0, 1.02))
    b.legend(fontsize=8)
    fig.tight_layout()
    return fig


def translation_explorer(runs: dict):
    """Type a date, choose the model and the beam width: the hypotheses and the attention map."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer

    def compute(text, model, beam_width):
        text = text.strip()
        if not text:
            raise ValueError("type a date, e.g. 'the 3rd of March 1998'")
        hyps = beam_search(runs[model]["model"], [text], beam_width)[0]
        lines = [f"{i + 1}. {h.text}  (score {h.score:.3f}"
                 f"{'' if h.finished else ', cut off: no <EOS>'})" for i, h in enumerate(hyps)]
        return {"text": text, "hypotheses": hyps, "summary": "\n".join(lines)}

    def draw(result):
        best, weights = result["hypotheses"][0].text, result["hypotheses"][0].weights
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        if weights is None:                       # no map to draw: show the beam instead
            hyps = result["hypotheses"]
            ax.barh(range(len(hyps)), [h.score for h in hyps], color="tab:gray")
            ax.set_yticks(range(len(hyps)), [h.text for h in hyps], family="monospace")
            ax.invert_yaxis()
            ax.set(xlabel="beam score (length-normalised log-probability)",
                   title="plain encoder-decoder: no attention map\n(every output character "
                         "sees the same s_0); the beam's hypotheses")
        else:
            text = result["text"]
            draw_attention(ax, text, best, weights[:, weights.shape[1] - len(text):])
        fig.tight_layout()
        return fig

    controls = {"text": w.Text(value="Sunday, the 1st of August 2049", description="date"),
                "model": w.Dropdown(options=list(runs), value=next(iter(runs)),
                                    description="model"),
                "beam_width": w.IntSlider(value=3, min=1, max=6, description="beam width")}
    return Explorer(compute, draw, controls, title="Translate a date")
