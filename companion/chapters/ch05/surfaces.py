"""Chapter 5: 2-D test surfaces for optimisers and a runner that records an optimiser's path
(each step through the package's ``train_loop``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from companion.nn import optim
from companion.nn.train import train_loop
from companion.nn.validation import DivergenceError


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


class _Left(Exception):
    """The point left the finite range (raised inside the loop, caught by ``run_path``)."""


class PathRecorder:
    """A ``Trainable`` on a surface: each step records the point the last update reached
    (stopping when it left the finite range) and returns the loss and gradient there."""

    def __init__(self, surface: Surface, start, limit: float, noise: float, seed: int):
        self.surface, self.limit, self.noise = surface, limit, noise
        self.rng = np.random.default_rng(seed)
        p = np.array(surface.start if start is None else start, dtype=np.float64)
        self._params, self.points, self.losses, self.steps = [p], [p.copy()], [surface(p)], 0

    def record(self) -> None:
        """Append the current point (after an update); raise ``_Left`` if it left the range."""
        p = self._params[0]
        if not np.all(np.isfinite(p)) or np.max(np.abs(p)) > self.limit:
            raise _Left
        self.points.append(p.copy())
        self.losses.append(self.surface(p))

    def loss_and_grads(self, step) -> tuple[float, list[np.ndarray]]:
        if step > 0:
            self.record()
        self.steps = step
        g = self.surface.grad(self._params[0])
        if self.noise:
            g = g + self.noise * self.rng.standard_normal(g.shape)
        return self.losses[-1], [g]

    def params(self) -> list[np.ndarray]:
        return self._params

    def grads(self) -> list[np.ndarray]:
        return []


def run_path(optimizer: optim.Optimizer, surface: Surface, steps: int = 100, start=None,
             limit: float = 1e6, noise: float = 0.0, seed: int = 0) -> Path:
    """Run ``optimizer`` from ``start`` (default: the surface's) for ``steps`` steps of
    ``train_loop``.

    ``noise`` > 0 adds N(0, noise^2) to each gradient component (a stand-in for mini-batch
    gradients). A run whose point becomes non-finite or leaves |p| < ``limit`` stops there and
    records ``diverged_at`` instead of raising (explorers show it as text)."""
    rec = PathRecorder(surface, start, limit, noise, seed)
    try:
        train_loop(rec, lambda epoch: range(int(steps)), optimizer, 1)
        if int(steps) > 0:
            rec.record()                  # the point the last update reached
    except (_Left, DivergenceError):
        return Path(np.array(rec.points), np.array(rec.losses), diverged_at=rec.steps)
    return Path(np.array(rec.points), np.array(rec.losses))


def distance_to_minimum(path: Path, surface: Surface) -> float:
    """Euclidean distance from the last point to the nearest minimum (saddle: either one)."""
    m = np.array(surface.minimum, dtype=float)
    last = path.points[-1]
    if surface.name == "saddle":
        return float(min(np.linalg.norm(last - m), np.linalg.norm(last - m * [1, -1])))
    return float(np.linalg.norm(last - m))
