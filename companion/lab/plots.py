"""Figures the chapters share. matplotlib is imported inside each function, not at import time.

Every function draws on an ``ax`` it is given (or a new one) and returns the ``ax``, so a
notebook can compose panels and a test can call it on the Agg backend.
"""

from __future__ import annotations

import numpy as np

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _ax(ax=None, figsize=(4.5, 4)):
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def grid_for(X, margin: float = 0.5, steps: int = 200):
    """A mesh over the bounding box of the 2-D points X: returns (xx, yy, points (steps^2, 2))."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    return xx, yy, np.c_[xx.ravel(), yy.ravel()]


def scatter_classes(X, y, ax=None, s: float = 14, alpha: float = 0.9, labels=None):
    ax = _ax(ax)
    for k in np.unique(y):
        lab = labels[int(k)] if labels is not None else f"class {k}"
        ax.scatter(X[y == k, 0], X[y == k, 1], s=s, alpha=alpha, label=lab,
                   color=CLASS_COLORS[int(k) % len(CLASS_COLORS)], edgecolors="white",
                   linewidths=0.3)
    return ax


def decision_boundary(predict, X, y, ax=None, title: str | None = None, steps: int = 200,
                      margin: float = 0.5):
    """Shade the regions ``predict`` assigns to each class and overlay the points.

    ``predict`` maps (M, 2) points to class scores: (M,) / (M, 1) probabilities or (M, K).
    """
    from companion.nn.metrics import predict_classes
    ax = _ax(ax)
    xx, yy, pts = grid_for(X, margin, steps)
    out = np.asarray(predict(pts))
    if out.ndim == 1:
        out = out[:, None]
    zz = predict_classes(out).reshape(xx.shape)
    from matplotlib.colors import ListedColormap
    k = max(int(zz.max()), int(np.max(y))) + 1
    ax.contourf(xx, yy, zz, levels=np.arange(-0.5, k), alpha=0.25,
                cmap=ListedColormap(CLASS_COLORS[:k]))
    scatter_classes(X, y, ax)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    if title:
        ax.set_title(title)
    return ax


def loss_curves(history: dict, ax=None, keys=("loss", "val_loss"), title: str | None = None,
                logy: bool = False):
    """Plot per-epoch curves from a ``fit`` history (any keys present are drawn)."""
    ax = _ax(ax, figsize=(5, 3.5))
    for key in keys:
        if key in history and len(history[key]):
            ax.plot(np.arange(1, len(history[key]) + 1), history[key], label=key)
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def contour_path(f, paths: dict | None = None, xlim=(-2, 2), ylim=(-2, 2), ax=None,
                 levels=30, log_levels: bool = False, title: str | None = None, steps: int = 200):
    """Contours of a 2-D function ``f(x, y)`` (vectorised) with optimiser paths drawn on top.

    ``paths`` maps a label to an array (n_steps, 2) of points visited.
    """
    ax = _ax(ax, figsize=(5, 4))
    xx, yy = np.meshgrid(np.linspace(*xlim, steps), np.linspace(*ylim, steps))
    zz = f(xx, yy)
    if log_levels:
        lo = max(np.min(zz[zz > 0]), 1e-8) if np.any(zz > 0) else 1e-8
        levels = np.geomspace(lo, np.max(zz), levels if isinstance(levels, int) else 30)
    ax.contour(xx, yy, zz, levels=levels, cmap="viridis", linewidths=0.7)
    for i, (label, path) in enumerate((paths or {}).items()):
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.2, label=label,
                color=CLASS_COLORS[i % len(CLASS_COLORS)])
        ax.plot(*path[0], "ko", ms=4)
    if paths:
        ax.legend(fontsize=8)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)
    return ax


def image_grid(images, titles=None, ncols: int = 8, cmap="gray", figsize_per=1.2, suptitle=None):
    """Show a batch of 2-D images (or (H, W, 1)) in a grid; returns the figure."""
    import matplotlib.pyplot as plt
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * figsize_per, nrows * figsize_per),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def draw_attention(ax, text: str, output: str, weights):
    """One attention map on ``ax`` (rows: output steps, the queries; columns: the input
    characters, the keys), with its colour bar."""
    image = ax.imshow(weights, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="attention weight α")
    ax.set(xlabel="input character (key j)", ylabel="output character (query t)")
    ax.set_xticks(range(len(text)), list(text), fontsize=8)
    labels = (list(output) + ["<EOS>"] + ["?"] * len(weights))[:len(weights)]
    ax.set_yticks(range(len(weights)), labels, fontsize=8)
    ax.set_title(f"{text!r} -> {output}", fontsize=9)
    return image
