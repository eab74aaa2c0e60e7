"""Chapter 5's explorer: pick an optimiser and its settings, see its path and loss curve on a
test surface."""

from __future__ import annotations

import numpy as np

from companion.chapters.ch05.notes_forms import NotesAdam
from companion.chapters.ch05.surfaces import SURFACES, distance_to_minimum, run_path
from companion.nn import optim

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "Adam (notes)")


def make_optimizer(name: str, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                   decay: float = 0.0, decay_steps: int = 10) -> optim.Optimizer:
    """An optimiser by display name. ``beta_1`` is the momentum of Momentum/Nesterov and Adam's
    beta_1; ``beta_2`` is RMSprop's rho and Adam's beta_2; ``decay`` > 0 wraps the rate in
    InverseTimeDecay(learning_rate, decay_steps, decay)."""
    lr = optim.InverseTimeDecay(learning_rate, decay_steps, decay) if decay > 0 else learning_rate
    table = {"SGD": lambda: optim.SGD(lr),
             "Momentum": lambda: optim.SGD(lr, momentum=beta_1),
             "Nesterov": lambda: optim.SGD(lr, momentum=beta_1, nesterov=True),
             "Adagrad": lambda: optim.Adagrad(lr),
             "RMSprop": lambda: optim.RMSprop(lr, rho=beta_2),
             "Adam": lambda: optim.Adam(lr, beta_1=beta_1, beta_2=beta_2),
             "Adam (notes)": lambda: NotesAdam(lr, beta_1=beta_1, beta_2=beta_2)}
    if name not in table:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(table)}")
    return table[name]()


def compute_paths(optimizer: str = "Adam", surface: str = "rosenbrock", learning_rate=0.05,
                  beta_1=0.9, beta_2=0.999, decay=0.0, steps: int = 200,
                  compare_with: str | None = "SGD") -> dict:
    """Run ``optimizer`` (and ``compare_with`` at the same rate) on ``surface``."""
    surf = SURFACES[surface]()
    names = [optimizer] + ([compare_with] if compare_with and compare_with != optimizer else [])
    paths = {n: run_path(make_optimizer(n, learning_rate, beta_1, beta_2, decay),
                                  surf, steps) for n in names}
    p = paths[optimizer]
    status = (f"diverged at step {p.diverged_at}" if p.diverged_at is not None else
              f"final loss {p.losses[-1]:.3g}, distance to minimum "
              f"{distance_to_minimum(p, surf):.3g}")
    return {"surface": surf, "paths": paths, "summary": f"{optimizer} on {surf.name}: {status}"}


def draw_paths(result: dict):
    import matplotlib.pyplot as plt

    from companion.lab.plots import contour_path
    surf, paths = result["surface"], result["paths"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    contour_path(surf.f, {k: p.points for k, p in paths.items()}, surf.xlim, surf.ylim, ax=a1,
                 log_levels=surf.log_levels, title=surf.name)
    a1.plot(*surf.minimum, "r*", ms=10)
    a1.get_legend().remove()                 # the loss panel's legend names the paths
    a1.set(xlabel="x", ylabel="y")
    for name, p in paths.items():
        shift = -min(0.0, np.min(p.losses)) + 1e-12 if surf.name == "saddle" else 0.0
        a2.semilogy(p.losses + shift + 1e-12, label=name + (" (+0.25)" if shift else ""))
    a2.set(xlabel="step", ylabel="f" + (" + 0.25" if surf.name == "saddle" else ""),
           title="loss along each path")
    a2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def explorer():
    import ipywidgets as w

    from companion.lab.explorer import Explorer
    controls = {
        "optimizer": w.Dropdown(options=OPTIMIZERS, value="Adam", description="optimizer"),
        "surface": w.Dropdown(options=list(SURFACES), value="rosenbrock",
                              description="surface"),
        "learning_rate": w.FloatLogSlider(value=0.05, base=10, min=-4, max=0, step=0.1,
                                          description="learning rate"),
        "beta_1": w.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="beta_1"),
        "beta_2": w.FloatSlider(value=0.999, min=0.5, max=0.999, step=0.001,
                                description="beta_2", readout_format=".3f"),
        "decay": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="decay"),
        "steps": w.IntSlider(value=200, min=20, max=1000, step=20, description="steps"),
    }
    return Explorer(compute_paths, draw_paths, controls,
                    title="Optimiser paths (compared with plain SGD at the same rate)")
