"""Chapter 4: does the notebook's regularisation result hold beyond one seed?

Trains the chapter's 2-100-100-1 ReLU network on the noisy moons (10% flipped labels, 150
training / 500 dev points) without regularisation, with L2 (notes' lambda = 1.5) and with
dropout (keep_prob = 0.4), for several initialisation/shuffling seeds and several draws of the
data set, and prints train/dev accuracy and the share of the train-dev gap closed.

    .venv/bin/python benchmarks/regularisation_seeds.py [n_seeds]
"""
from __future__ import annotations

import sys

import numpy as np

from companion.chapters.ch04 import deep_network, noisy_moons, train_and_score
from companion.nn import optim
from companion.nn.regularizers import from_notes_lambda

SETTINGS = {"none": {}, "L2 lambda=1.5": {"regularizer": from_notes_lambda(1.5, 150)},
            "dropout keep=0.4": {"keep_probs": 0.4}}


def main(n_seeds: int = 3) -> None:
    rows = {name: [] for name in SETTINGS}
    for data_seed in range(1, n_seeds + 1):
        train, dev = noisy_moons(seed=data_seed)
        for seed in range(n_seeds):
            for name, kwargs in SETTINGS.items():
                r = train_and_score(deep_network([2, 100, 100, 1], seed=seed, **kwargs),
                                    train, dev, optimizer=optim.Adam(0.01), epochs=300,
                                    seed=seed, validate=False)
                rows[name].append((r["train_acc"], r["dev_acc"]))
    base = np.array(rows["none"])
    base_gap = base[:, 0] - base[:, 1]
    print(f"{n_seeds} data sets x {n_seeds} seeds")
    print(f"{'setting':18s} {'train':>14s} {'dev':>14s} {'gap closed (median, min)':>26s}")
    for name, vals in rows.items():
        v = np.array(vals)
        closed = 1 - (v[:, 0] - v[:, 1]) / base_gap
        print(f"{name:18s} {v[:, 0].mean():.3f} ± {v[:, 0].std():.3f} "
              f"{v[:, 1].mean():.3f} ± {v[:, 1].std():.3f} "
              f"{np.median(closed):12.0%} {closed.min():8.0%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
