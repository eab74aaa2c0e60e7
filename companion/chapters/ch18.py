"""Chapter 18 (the transformer translator): chapter 13's dates translated by an encoder-decoder
transformer and by the attention GRU under one budget, greedy against beam search, attention
dropout with and without, the cross-attention maps and the translation explorer.

    data = dates(n_train=1600)                               # chapter 13's dates, a training subset
    table = compare(data, epochs=4, lrs=(3e-3, 1e-2))        # each model's lr tuned on dev, 3 seeds
    decoding_table(table, data.test[:200], widths=(1, 3))    # greedy vs beam exact match
    plot_cross_attention(model, ["3/3/98"])                  # where the decoder reads the source
    translation_explorer(table)                              # type a date, pick model, beam, head
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np

from companion.data.dates import DateData, load_dates
from companion.lab.plots import draw_attention
from companion.models.seq2seq import Seq2Seq, evaluate, train
from companion.models.transformer import TransformerTranslator, train_translator
from companion.nn import optim
from companion.nn.metrics import mean_spread

GRU_UNITS = 24            # 25,430 parameters: the closest GRU to the transformer's 24,238
TRANSFORMER = {"d_model": 32, "num_heads": 2, "num_layers": 1, "ff_dim": 64}


def dates(n_train: int = 1600, n_eval: int = 300) -> DateData:
    """Chapter 13's split (``load_dates`` with its seed 0 and sizes): the first ``n_train`` of
    its 6000 training dates, its 500 dev dates, the first ``n_eval`` of its test and
    held-out-year dates."""
    data = load_dates(n_train=6000, n_dev=500, n_test=1000, n_hard=1000, seed=0)
    return dataclasses.replace(data, train=data.train[:n_train], test=data.test[:n_eval],
                               hard_test=data.hard_test[:n_eval])


def count_params(model) -> int:
    return int(sum(p.size for p in model.params.values()))


def make_model(kind: str, data: DateData, seed: int, **kwargs):
    """"GRU": chapter 13's attention model with ``GRU_UNITS`` units; "transformer": a
    ``TransformerTranslator`` of ``TRANSFORMER``'s sizes (``kwargs``: attention_dropout, ...)."""
    if kind == "GRU":
        return Seq2Seq(data.source_vocab, data.target_vocab, units=GRU_UNITS, attention=True,
                       seed=seed, **kwargs)
    if kind == "transformer":
        return TransformerTranslator(data.source_vocab, data.target_vocab, seed=seed,
                                     **TRANSFORMER, **kwargs)
    raise ValueError(f"kind must be 'GRU' or 'transformer', got {kind!r}")


def train_run(kind: str, data: DateData, seed: int, lr: float, epochs: int, dev: bool = False,
              **kwargs) -> dict:
    """One model trained with Adam(lr), batches of 64, clipnorm 5 (chapter 13's settings but
    the learning rate) for ``epochs`` epochs. Returns {"model", "cpu_s" (process time of the
    training), "params", "dev" (with ``dev``: greedy exact match on the dev dates, else None)}."""
    model = make_model(kind, data, seed, **kwargs)
    fit = train_translator if kind == "transformer" else train
    start = time.process_time()
    fit(model, data.train, optimizer=optim.Adam(lr), epochs=epochs, seed=seed)
    cpu = time.process_time() - start
    return {"model": model, "cpu_s": cpu, "params": count_params(model),
            "dev": evaluate(model, data.dev)["exact"] if dev else None}


def compare(data: DateData, epochs: int = 4, seeds: Sequence[int] = (0, 1, 2),
            lrs: Sequence[float] = (3e-3, 1e-2), variants: dict | None = None) -> dict:
    """The GRU and the transformer at the same epochs. Each model's learning rate is chosen by
    one procedure: train seed ``seeds[0]`` with every rate of ``lrs``, keep the best greedy
    exact match on the dev dates; then the other seeds with it. Each of ``variants`` (name ->
    transformer keyword arguments) is trained with the transformer's chosen rate.

    Returns name -> {"lr", "dev_by_lr" ({lr: dev exact, seed 0}), "params", "epochs",
    "cpu" / "test" / "held_out" (one per seed: CPU seconds, exact match), "models"}."""
    table: dict = {}
    for kind in ("GRU", "transformer"):
        first = {lr: train_run(kind, data, seeds[0], lr, epochs, dev=True) for lr in lrs}
        best = max(lrs, key=lambda lr: first[lr]["dev"])
        runs = [first[best]] + [train_run(kind, data, s, best, epochs) for s in seeds[1:]]
        table[kind] = _row(runs, data, best, epochs, {lr: r["dev"] for lr, r in first.items()})
    lr = table["transformer"]["lr"]
    for name, kwargs in (variants or {}).items():
        runs = [train_run("transformer", data, s, lr, epochs, **kwargs) for s in seeds]
        table[name] = _row(runs, data, lr, epochs, {})
    return table


def _row(runs: list, data: DateData, lr: float, epochs: int, dev_by_lr: dict) -> dict:
    return {"lr": lr, "dev_by_lr": dev_by_lr, "params": runs[0]["params"], "epochs": epochs,
            "cpu": [r["cpu_s"] for r in runs], "models": [r["model"] for r in runs],
            "test": [evaluate(r["model"], data.test)["exact"] for r in runs],
            "held_out": [evaluate(r["model"], data.hard_test)["exact"] for r in runs]}


def table_text(table: dict) -> str:
    """The comparison as aligned text: mean ± half the range over the seeds."""
    def cell(values, fmt):
        m, s = mean_spread(values)
        return f"{fmt.format(m)} ± {fmt.format(s)}"
    lines = [(f"{'model (3 seeds)':34} {'params':>6} {'lr':>6} {'epochs':>6} {'CPU s/run':>11} "
              f"{'test exact':>15} {'held-out years':>15}")]
    for name, r in table.items():
        lines.append(f"{name:34} {r['params']:6d} {r['lr']:6g} {r['epochs']:6d} "
                     f"{cell(r['cpu'], '{:.1f}'):>11} {cell(r['test'], '{:.1%}'):>15} "
                     f"{cell(r['held_out'], '{:.1%}'):>15}")
    return "\n".join(lines)


def decoding_table(table: dict, pairs, widths: Sequence[int] = (1, 3),
                   names: Sequence[str] = ("GRU", "transformer")) -> dict:
    """{name: {width: [exact match per seed]}}: each model's translations of ``pairs``, greedy
    (width 1) or the best finished hypothesis of the shared beam search
    (``companion.models.decoding.beam_search``, through each model's ``translate``)."""
    texts, truth = [s for s, _ in pairs], [t for _, t in pairs]
    out: dict = {}
    for name in names:
        for k in widths:
            out.setdefault(name, {})[k] = [
                float(np.mean([p == t for p, t in zip(m.translate(texts, beam_width=k), truth)]))
                for m in table[name]["models"]]
    return out


def cross_attention(model: TransformerTranslator, text: str, beam_width: int = 1):
    """(translation, weights (heads, output steps incl. <EOS>, len(text))): the last decoder
    block's cross-attention while the decoder re-reads its own output."""
    out = model.translate([text], beam_width=beam_width)[0]
    src = model.source_ids([text])
    y = np.array([[model.tgt.index(c) for c in out] + [model.tgt.eos]])
    model.logits(src, y)
    w = model.decoder[-1].sublayers["cross_attention"].attention_weights[0]   # (h, T, S)
    return out, w[:, :, w.shape[2] - len(text):]


def plot_cross_attention(model: TransformerTranslator, texts: Sequence[str], head=None):
    """One map per date: rows the output characters (queries), columns the input's (keys);
    ``head`` None averages the heads."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(texts), figsize=(5.0 * len(texts), 3.6))
    for ax, text in zip(np.atleast_1d(axes), texts):
        out, w = cross_attention(model, text)
        draw_attention(ax, text, out, w.mean(0) if head is None else w[head])
        ax.set_title(f"{text!r} -> {out}, " + ("heads averaged" if head is None else
                                              f"head {head}"), fontsize=9)
    fig.tight_layout()
    return fig


def translation_explorer(table: dict):
    """Type a date, choose the model (a seed-0 run of the table), the beam width and the head:
    the translation and, for the transformer, its cross-attention map."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer

    def compute(text, model, beam_width, head):
        text = text.strip()
        if not text:
            raise ValueError("type a date, e.g. 'the 3rd of March 1998'")
        m = table[model]["models"][0]
        greedy = m.translate([text])[0]
        if isinstance(m, TransformerTranslator):
            out, weights = cross_attention(m, text, beam_width)
            weights = weights.mean(0) if head == "mean" else weights[int(head)]
        else:
            out, weights = m.translate([text], beam_width=beam_width)[0], None
        return {"text": text, "out": out, "weights": weights, "model": model,
                "summary": f"{model}: {text!r} -> {out} (beam {beam_width}); greedy: {greedy}"}

    def draw(r):
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        if r["weights"] is None:
            ax.axis("off")
            ax.text(0.5, 0.5, f"{r['text']!r}\n-> {r['out']}\n(the GRU's additive attention "
                    "maps are chapter 13's explorer)", ha="center", va="center")
            ax.set_title(r["model"])
        else:
            draw_attention(ax, r["text"], r["out"], r["weights"])
        fig.tight_layout()
        return fig

    controls = {"text": w.Text(value="Sunday, the 1st of August 2049", description="date"),
                "model": w.Dropdown(options=list(table), value="transformer",
                                    description="model"),
                "beam_width": w.IntSlider(value=1, min=1, max=5, description="beam width"),
                "head": w.Dropdown(options=["mean", "0", "1"], value="mean",
                                   description="head")}
    return Explorer(compute, draw, controls, title="Translate a date: cross-attention")
