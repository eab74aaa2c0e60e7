"""Chapter 16 (training the transformer): warmup and the placement of layer normalisation,
label smoothing and dropout, the cost per step against the sequence length, and the
learning-rate schedule explorer.

    warmup_experiment(train, test, vocab)
    time_per_step([16, 64, 256])
    schedule_explorer()
"""

from __future__ import annotations

import numpy as np

from companion.data.text import names_split  # noqa: F401  (the split the notebook uses)
from companion.models.transformer import TransformerLM, train_lm
from companion.nn.metrics import mean_spread  # noqa: F401  (the notebook's summary)


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
