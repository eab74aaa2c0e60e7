"""Chapter 14 (the transformer): the experiments, figures and explorer.

    softmax_saturation([4, 64, 256])      # why the scores are divided by sqrt(d_k)
    names_split()                         # chapter 10's names and split
    plot_heads(lm, "christopher")         # what each head of each layer attends to
    transformer_explorer(train, val, vocab)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from companion.data.text import char_vocabulary, load_names
from companion.models.transformer import TransformerLM, train_lm
from companion.nn.activations import softmax


def softmax_saturation(d_ks: Sequence[int], n: int = 2000, T: int = 10, seed: int = 0) -> dict:
    """Mean largest attention weight over ``n`` queries against T keys, entries N(0, 1),
    with the scores q.k (``raw``) and q.k / sqrt(d_k) (``scaled``), per d_k.

    q.k has variance d_k, so raw scores spread as sqrt(d_k) and the softmax saturates
    (one weight near 1, gradients near 0); scaled scores have variance 1 whatever d_k."""
    rng = np.random.default_rng(seed)
    out = {"raw": [], "scaled": []}
    for d in d_ks:
        q, k = rng.standard_normal((n, 1, d)), rng.standard_normal((n, T, d))
        s = (q @ k.transpose(0, 2, 1))[:, 0]                      # (n, T)
        out["raw"].append(float(softmax(s).max(axis=1).mean()))
        out["scaled"].append(float(softmax(s / np.sqrt(d)).max(axis=1).mean()))
    return out


def names_split():
    """Chapter 10's split of the names: (train 4130, validation 516, test 517, vocabulary)."""
    names = load_names()
    order = np.random.default_rng(0).permutation(len(names))
    train = [names[i] for i in order[:4130]]
    val = [names[i] for i in order[4130:4646]]
    test = [names[i] for i in order[4646:]]
    return train, val, test, char_vocabulary(train)


def _attention_axes(ax, m, labels, title: str):
    """One attention map: rows the queries (output positions), columns the keys (inputs)."""
    im = ax.imshow(m[:len(labels), :len(labels)], cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("key (input position)", fontsize=7)
    ax.set_ylabel("query (output position)", fontsize=7)
    ax.set_title(title, fontsize=8)
    return im


def plot_heads(lm: TransformerLM, name: str):
    """One heatmap per layer and head: row t is the query reading position t (<EOS> first)."""
    import matplotlib.pyplot as plt
    maps = lm.attention_maps(name)
    heads = maps[0].shape[0]
    fig, axes = plt.subplots(len(maps), heads, figsize=(2.9 * heads + 0.6, 2.7 * len(maps)),
                             squeeze=False)
    labels = ["<s>"] + list(name)
    for layer, m in enumerate(maps):
        for h in range(heads):
            im = _attention_axes(axes[layer, h], m[h], labels, f"layer {layer + 1}, head {h + 1}")
    fig.colorbar(im, ax=axes, label="attention weight", shrink=0.8)
    return fig


def transformer_explorer(train_names, val_names, vocab, n_train: int = 1500, epochs: int = 3):
    """Heads, layers, width and positions of a small language model: press Run to train it
    (``n_train`` names, ``epochs`` epochs) and see the validation loss and the attention."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer

    def compute(num_heads, num_layers, d_model, positional, name):
        lm = TransformerLM(vocab, d_model=d_model, num_heads=num_heads, num_layers=num_layers,
                           ff_dim=2 * d_model, positional=positional, seed=0)
        hist = train_lm(lm, train_names[:n_train], validation_data=val_names, epochs=epochs)
        name = name.strip().lower() or "anna"
        return {"history": hist, "maps": lm.attention_maps(name), "name": name,
                "summary": f"validation loss {hist['val_loss'][-1]:.3f} nats/char after "
                           f"{epochs} epochs on {n_train} names"}

    def draw(r):
        from matplotlib.ticker import MaxNLocator
        maps, labels = r["maps"], ["<s>"] + list(r["name"])
        fig, axes = plt.subplots(1, 1 + len(maps), figsize=(3.4 * (1 + len(maps)) + 0.6, 3.1))
        axes[0].plot(range(1, len(r["history"]["val_loss"]) + 1), r["history"]["val_loss"], "o-")
        axes[0].set(xlabel="epoch", ylabel="validation nats/char", title="validation loss")
        axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
        for ax, m, i in zip(axes[1:], maps, range(len(maps))):
            im = _attention_axes(ax, m.mean(axis=0), labels, f"layer {i + 1} (heads averaged)")
        fig.colorbar(im, ax=list(axes[1:]), label="attention weight", shrink=0.8)
        return fig

    controls = {"num_heads": w.Dropdown(options=[1, 2, 4], value=2, description="heads"),
                "num_layers": w.IntSlider(value=1, min=1, max=3, description="layers"),
                "d_model": w.Dropdown(options=[8, 16, 32], value=16, description="width"),
                "positional": w.Checkbox(value=True, description="positional encoding"),
                "name": w.Text(value="christopher", description="name")}
    return Explorer(compute, draw, controls, title="A small transformer language model",
                    run_button=True)


# -- chapter 14b: the comparisons at equal budgets ------------------------------------------------
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
    return int(sum(p.size for p in model.params.values()))


def compare_language_models(train_names, test_names, vocab, epochs: int, seeds=(0, 1, 2),
                            extra_epochs: dict | None = None) -> dict:
    """Train every contender of ``_lm_contenders`` for ``epochs`` epochs (a contender named in
    ``extra_epochs`` for that many instead, under the name "<name>, <k> epochs") with each seed.

    Returns name -> {"loss": [test nats/char per seed], "cpu": [CPU seconds per seed],
    "params": parameter count, "epochs": epochs}.
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
    return rows


def mean_spread(values) -> tuple[float, float]:
    """(mean, half the range) of a few runs: mean ± spread covers every run."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float((v.max() - v.min()) / 2)


# -- chapter 14c: training the transformer ---------------------------------------------------------
def warmup_experiment(train_names, test_names, vocab, learning_rate: float = 3e-2,
                      epochs: int = 2, warmup_steps: int = 30, seeds=(0, 1, 2),
                      variants: dict | None = None) -> dict:
    """Post-LN and pre-LN language models trained at a high peak ``learning_rate`` with a
    cosine decay, with and without a linear warmup of ``warmup_steps`` steps; each of
    ``variants`` (name -> TransformerLM keyword arguments, e.g. dropout=0.1) as post-LN with
    warmup.

    Returns {(norm "post-LN"/"pre-LN", "warmup"/"no warmup" or the variant's name):
    [test nats/char per seed]}."""
    from companion.nn import optim
    steps = epochs * int(np.ceil(len(train_names) / 64))
    out: dict = {}
    plan = [(nf, warm, {}, ("pre-LN" if nf else "post-LN", "warmup" if warm else "no warmup"))
            for nf in (False, True) for warm in (False, True)]
    plan += [(False, True, kw, ("post-LN", name)) for name, kw in (variants or {}).items()]
    for norm_first, warm, kw, key in plan:
        for seed in seeds:
            lr = optim.CosineDecay(0.0, steps - warmup_steps, warmup_target=learning_rate,
                                   warmup_steps=warmup_steps) if warm else \
                optim.CosineDecay(learning_rate, steps)
            lm = TransformerLM(vocab, d_model=32, num_heads=2, num_layers=2, ff_dim=64,
                               norm_first=norm_first, seed=seed, **kw)
            train_lm(lm, train_names, optimizer=optim.Adam(lr), epochs=epochs, seed=seed)
            out.setdefault(key, []).append(lm.loss(test_names))
    return out


def time_per_step(lengths, d: int = 32, N: int = 8, repeats: int = 3, seed: int = 0) -> dict:
    """CPU seconds of one forward + backward pass over N sequences of each length T, for a
    self-attention layer (MultiHeadAttention, 2 heads of d/2) and for a GRU(d) layer, float32,
    the best of ``repeats``. Returns {"attention": [...], "GRU": [...]} (one time per T)."""
    import time

    from companion.nn.layers.attention import MultiHeadAttention
    from companion.nn.layers.gru import GRU
    rng = np.random.default_rng(seed)
    out: dict = {"attention": [], "GRU": []}
    for T in lengths:
        x = rng.standard_normal((N, T, d)).astype(np.float32)
        mha = MultiHeadAttention(2, d // 2, dtype="float32")
        mha.build((T, d), rng)
        gru = GRU(d, return_sequences=True, dtype="float32")
        gru.build((T, d), rng)
        for name, step in (("attention", lambda m=mha, x=x: m.backward(m.forward(x))),
                           ("GRU", lambda g=gru, x=x: g.backward(g.forward(x)))):
            best = np.inf
            for _ in range(repeats):
                start = time.process_time()
                step()
                best = min(best, time.process_time() - start)
            out[name].append(best)
    return out


def schedule_explorer():
    """The two warmup schedules' learning rate against the step, for chosen settings."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from companion.lab.explorer import Explorer
    from companion.nn import optim

    def compute(d_model, warmup_steps, peak):
        steps = np.arange(2000)
        return {"steps": steps,
                "inverse": optim.InverseSqrtSchedule(d_model, warmup_steps)(steps),
                "cosine": optim.CosineDecay(0.0, 2000 - warmup_steps, warmup_target=peak,
                                            warmup_steps=warmup_steps)(steps),
                "summary": f"inverse-sqrt peak {1 / np.sqrt(d_model * warmup_steps):.2e} at "
                           f"step {warmup_steps - 1}"}

    def draw(r):
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot(r["steps"], r["inverse"], label="inverse square root (Vaswani et al.)")
        ax.plot(r["steps"], r["cosine"], label="linear warmup + cosine")
        ax.set(xlabel="step", ylabel="learning rate", title="Warmup schedules")
        ax.legend(fontsize=8)
        return fig

    controls = {"d_model": w.Dropdown(options=[32, 128, 512], value=128, description="d_model"),
                "warmup_steps": w.IntSlider(value=200, min=10, max=1000, step=10,
                                            description="warmup"),
                "peak": w.FloatLogSlider(value=3e-3, base=10, min=-4, max=-1,
                                         description="cosine peak")}
    return Explorer(compute, draw, controls, title="Learning-rate warmup")
