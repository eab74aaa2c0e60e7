"""2-D test surfaces for optimisers and a runner that records an optimiser's path.

Each surface has a vectorised ``f(x, y)``, its gradient, a start point, plot limits and the
minimum. ``run_path(optimizer, surface, steps)`` uses the optimisers' own init/update API, so
the paths come from the very code that trains the networks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import optim


@dataclass(frozen=True)
class Surface:
    name: str
    f: Callable                      # f(x, y) -> value, works on arrays
    grad: Callable                   # grad(p) -> (2,), p = (x, y)
    start: tuple
    xlim: tuple
    ylim: tuple
    minimum: tuple
    log_levels: bool = False

    def __call__(self, p) -> float:
        return float(self.f(p[0], p[1]))


def quadratic(condition: float = 25.0) -> Surface:
    """f = (x^2 + condition * y^2) / 2: curvatures 1 and ``condition`` (a long narrow valley)."""
    return Surface(f"quadratic (condition {condition:g})",
                   lambda x, y: 0.5 * (x * x + condition * y * y),
                   lambda p: np.array([p[0], condition * p[1]]),
                   start=(-4.0, 1.0), xlim=(-4.5, 4.5), ylim=(-1.5, 1.5), minimum=(0.0, 0.0))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """f = (a - x)^2 + b (y - x^2)^2: a curved, flat-bottomed valley; minimum at (a, a^2)."""
    return Surface("Rosenbrock", lambda x, y: (a - x) ** 2 + b * (y - x * x) ** 2,
                   lambda p: np.array([-2 * (a - p[0]) - 4 * b * p[0] * (p[1] - p[0] ** 2),
                                       2 * b * (p[1] - p[0] ** 2)]),
                   start=(-1.2, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), minimum=(a, a * a),
                   log_levels=True)


def saddle() -> Surface:
    """f = x^2 / 2 + y^4 / 4 - y^2 / 2: a saddle at (0, 0) between minima at (0, +-1).

    Started just off the ridge (y = 1e-3), the gradient along y is tiny for many steps: a
    plateau, which is what slows training in practice (not bad local minima)."""
    return Surface("saddle", lambda x, y: 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y,
                   lambda p: np.array([p[0], p[1] ** 3 - p[1]]),
                   start=(1.5, 1e-3), xlim=(-2.0, 2.0), ylim=(-1.6, 1.6), minimum=(0.0, 1.0))


SURFACES = {"quadratic": quadratic, "rosenbrock": rosenbrock, "saddle": saddle}


@dataclass
class Path:
    points: np.ndarray               # (steps + 1, 2), the start included
    losses: np.ndarray               # (steps + 1,)
    diverged_at: int | None = None   # first step whose point left the finite range


def run_path(optimizer: optim.Optimizer, surface: Surface, steps: int = 100, start=None,
             limit: float = 1e6, noise: float = 0.0, seed: int = 0) -> Path:
    """Run ``optimizer`` from ``start`` (default: the surface's) for ``steps`` steps.

    ``noise`` > 0 adds N(0, noise^2) to each gradient component (a stand-in for mini-batch
    gradients). A run whose point becomes non-finite or leaves |p| < ``limit`` stops there and
    records ``diverged_at`` instead of raising (explorers show it as text)."""
    p = np.array(surface.start if start is None else start, dtype=np.float64)
    params = [p]
    state = optimizer.init(params)
    points, losses = [p.copy()], [surface(p)]
    rng = np.random.default_rng(seed)
    for step in range(int(steps)):
        g = surface.grad(params[0])
        if noise:
            g = g + noise * rng.standard_normal(g.shape)
        updates, state = optimizer.update([g], state, params)
        optim.apply_updates(params, updates)
        if not np.all(np.isfinite(params[0])) or np.max(np.abs(params[0])) > limit:
            return Path(np.array(points), np.array(losses), diverged_at=step)
        points.append(params[0].copy())
        losses.append(surface(params[0]))
    return Path(np.array(points), np.array(losses))


def distance_to_minimum(path: Path, surface: Surface) -> float:
    """Euclidean distance from the last point to the nearest minimum (saddle: either one)."""
    m = np.array(surface.minimum, dtype=float)
    last = path.points[-1]
    if surface.name == "saddle":
        return float(min(np.linalg.norm(last - m), np.linalg.norm(last - m * [1, -1])))
    return float(np.linalg.norm(last - m))
