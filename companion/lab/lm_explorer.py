"""An explorer for sampling a trained character language model at several temperatures
(chapters 10 and 11).
"""

from __future__ import annotations

import numpy as np


# --- the language model's explorers ------------------------------------------------------------
def temperature_explorer(lm, seed: int = 0):
    """Samples from a trained language model and its first-letter distribution at a temperature."""
    import ipywidgets as w

    from companion.lab.explorer import Explorer

    def compute(temperature, n):
        samples = lm.sample(np.random.default_rng(seed), n=n, temperature=temperature)
        p, _ = lm.next_distribution(np.zeros((1, len(lm.vocab))))
        p = p[0].copy()
        p[lm.vocab.unk] = 0
        q = p ** (1 / temperature) if temperature > 0 else (p == p.max()).astype(float)
        q /= q.sum()
        entropy = float(-(q[q > 0] * np.log(q[q > 0])).sum())
        return {"samples": samples, "first": q, "entropy": entropy,
                "summary": f"T = {temperature:.2f}: " + ", ".join(samples)}

    def draw(r):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.bar(range(len(lm.vocab)), r["first"])
        ax.set_xticks(range(len(lm.vocab)), ["<E>", "<U>"] + lm.vocab.itos[2:])
        ax.set(ylabel="P(first letter)", title=f"entropy {r['entropy']:.2f} nats")
        fig.tight_layout()
        return fig

    controls = {"temperature": w.FloatSlider(1.0, min=0.0, max=2.0, step=0.1,
                                             description="temperature"),
                "n": w.IntSlider(8, min=1, max=20, description="samples")}
    return Explorer(compute, draw, controls, title="Sampling with temperature")
