"""Chapter 13 (sequence to sequence, and attention): the experiments, figures and explorer.

    runs = train_models(data)                 # the attention and the plain encoder-decoder
    accuracy_by_format(runs, years)           # exact match per written format
    plot_attention(model, ["3/3/98"])         # where the decoder looks, character by character
    translation_explorer(runs)                # type a date, pick the beam width
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from companion.data.dates import FORMATS, DateData, make_pairs
from companion.models.seq2seq import Seq2Seq, beam_search, evaluate, train


def train_models(data: DateData, units: int = 32, epochs: int = 3, plain_epochs: int = 6,
                 seed: int = 0) -> dict:
    """Train the encoder-decoder with and without attention on ``data.train``.

    The plain model gets ``plain_epochs`` (by default about the same CPU time as the
    attention model's ``epochs``: it is cheaper per step). Returns {name: {"model",
    "history", "cpu_s", "epochs"}} with the CPU seconds (``time.process_time``) of training.
    """
    runs = {}
    for name, att, ep in (("attention", True, epochs), ("plain", False, plain_epochs)):
        model = Seq2Seq(data.source_vocab, data.target_vocab, units=units, attention=att,
                        seed=seed)
        start = time.process_time()
        history = train(model, data.train, epochs=ep, seed=seed)
        runs[name] = {"model": model, "history": history, "epochs": ep,
                      "cpu_s": time.process_time() - start}
    return runs


def seed_spread(data: DateData, seeds: Sequence[int], units: int = 32, epochs: int = 3) -> dict:
    """{seed: (test exact, held-out-years exact)} of the attention model trained per seed."""
    out = {}
    for seed in seeds:
        model = Seq2Seq(data.source_vocab, data.target_vocab, units=units, seed=seed)
        train(model, data.train, epochs=epochs, seed=seed)
        out[seed] = (evaluate(model, data.test)["exact"], evaluate(model, data.hard_test)["exact"])
    return out


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
    """(translation, weights (len(translation) + 1, len(text))) over the real input characters."""
    best, _, w = beam_search(model, text, beam_width)[0]
    return best, w[:, w.shape[1] - len(text):]


def draw_attention(ax, text: str, output: str, weights) -> None:
    ax.imshow(weights, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(text)), list(text), fontsize=8)
    labels = (list(output) + ["<EOS>"] + ["?"] * len(weights))[:len(weights)]
    ax.set_yticks(range(len(weights)), labels, fontsize=8)
    ax.set_title(f"{text!r} -> {output}", fontsize=9)


def plot_attention(model: Seq2Seq, texts: Sequence[str]):
    """One heatmap per written date: rows are the output characters, columns the input's."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(texts), figsize=(4.2 * len(texts), 3.4))
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
        hyps = beam_search(runs[model]["model"], text, beam_width)
        lines = [f"{i + 1}. {h[0]}  (score {h[1]:.3f})" for i, h in enumerate(hyps)]
        return {"text": text, "hypotheses": hyps, "summary": "\n".join(lines)}

    def draw(result):
        best, _, weights = result["hypotheses"][0]
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        if weights is None:                       # no map to draw: show the beam instead
            hyps = result["hypotheses"]
            ax.barh(range(len(hyps)), [h[1] for h in hyps], color="tab:gray")
            ax.set_yticks(range(len(hyps)), [h[0] for h in hyps], family="monospace")
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
