"""Chapter 5: the notes' claim that mini-batch sizes of 2^n are "computationally optimal",
measured (epochs timed through the package's ``train_loop``)."""

from __future__ import annotations

import time

import numpy as np

from companion.nn import optim
from companion.nn.layers import Dense
from companion.nn.model import Sequential
from companion.nn.threads import blas_threads
from companion.nn.train import Supervised, minibatches, train_loop


def around_powers_of_two(powers=(4, 5, 6, 7, 8), offsets=(-1, 0, 1)) -> list[int]:
    return [2 ** p + o for p in powers for o in offsets]


def one_epoch(model, opt, X, y, batch_size, rng, loss="sparse_categorical_crossentropy") -> dict:
    """One epoch of mini-batch training with the package's loop (``train_loop``), nothing
    else (no per-epoch evaluation, unlike ``fit``): what the batch-size timing measures."""
    def batches(epoch):
        return ((X[idx], y[idx]) for idx in minibatches(len(X), batch_size, rng))
    return train_loop(Supervised(model, loss), batches, opt, 1)


def epoch_times(sizes, X, y, hidden: int = 256, rounds: int = 5, seed: int = 0,
                threads: int | None = 1) -> dict:
    """{batch_size: best seconds per epoch over ``rounds`` interleaved rounds}.

    ``threads`` limits NumPy's BLAS threads (1: on a shared 2-core machine, multi-threaded
    BLAS mostly measures the other processes; None: leave the library's default)."""
    if threads is None:
        return _epoch_times(sizes, X, y, hidden, rounds, seed)
    with blas_threads(threads):
        return _epoch_times(sizes, X, y, hidden, rounds, seed)


def _epoch_times(sizes, X, y, hidden, rounds, seed):
    best = {b: np.inf for b in sizes}
    setups = {}
    for b in sizes:
        model = Sequential([Dense(hidden, "relu"), Dense(int(y.max()) + 1, "softmax")],
                           input_shape=X.shape[1:], seed=seed)
        setups[b] = (model, optim.SGD(0.01, momentum=0.9))
    for r in range(rounds):
        for b in (sizes if r % 2 == 0 else sizes[::-1]):
            model, opt = setups[b]
            rng = np.random.default_rng(r)
            start = time.perf_counter()
            one_epoch(model, opt, X, y, b, rng)
            best[b] = min(best[b], time.perf_counter() - start)
    return best


def compare_to_neighbours(times: dict, n_examples: int) -> list[dict]:
    """For each 2^n with both neighbours measured: microseconds per example for 2^n - 1, 2^n,
    2^n + 1, and the ratio of 2^n's time to the mean of its neighbours (< 1: faster)."""
    rows = []
    for b in sorted(times):
        if b & (b - 1) == 0 and b - 1 in times and b + 1 in times:
            per = {k: times[k] / n_examples * 1e6 for k in (b - 1, b, b + 1)}
            rows.append({"power": b, "us_minus": per[b - 1], "us_power": per[b],
                         "us_plus": per[b + 1],
                         "ratio": per[b] / ((per[b - 1] + per[b + 1]) / 2)})
    return rows


def format_table(rows) -> str:
    lines = [f"{'2^n':>5} {'2^n-1':>10} {'2^n':>10} {'2^n+1':>10}  {'2^n vs neighbours':>18}",
             f"{'':>5} {'µs/example':>10} {'µs/example':>10} {'µs/example':>10}"]
    for r in rows:
        lines.append(f"{r['power']:>5} {r['us_minus']:>10.2f} {r['us_power']:>10.2f} "
                     f"{r['us_plus']:>10.2f}  {r['ratio']:>17.2f}x")
    return "\n".join(lines)
