"""Is a mini-batch size of 2^n "computationally optimal" (the notes' claim)? Time per epoch and
per example for batch sizes around powers of two, on this machine's CPU.

    .venv/bin/python benchmarks/batch_size.py             # NumPy table (digits, 64-256-10 MLP)
    .venv/bin/python benchmarks/batch_size.py --keras     # plus Keras (compiled train step)
    .venv/bin/python benchmarks/batch_size.py --quick     # fewer rounds

Each size trains the same network for one epoch; rounds are interleaved across sizes and the
best round is kept, so background load affects every size alike. The NumPy runs use one BLAS
thread (``--threads`` to change). Keras times ``model.fit(..., epochs=1)`` after a warm-up
epoch (so tracing/compilation is excluded), with the same number of threads (``--threads``
caps TensorFlow's intra- and inter-op pools too, see ``benchmarks/fair.py``). The two tables
compare batch sizes within each framework, not the frameworks with each other.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from companion.chapters import ch05 as bt
from companion.chapters.ch06 import digits_split


def keras_times(sizes, X, y, hidden, rounds, threads):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fair
    print(f"Keras: {fair.limit_threads(threads)}; {fair.load()}")   # the same threads as NumPy
    from companion.keras_twin import import_keras
    keras = import_keras()
    best = {}
    for b in sizes:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(hidden, "relu"),
                                  keras.layers.Dense(10, "softmax")])
        model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy")
        model.fit(X, y, batch_size=b, epochs=1, verbose=0)           # warm-up: trace/compile
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            model.fit(X, y, batch_size=b, epochs=1, verbose=0)
            times.append(time.perf_counter() - start)
        best[b] = min(times)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keras", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    rounds = 3 if args.quick else 9
    (X, y), _, _ = digits_split()
    sizes = bt.around_powers_of_two((3, 4, 5, 6, 7, 8, 9))
    print(f"digits train set: {len(X)} examples, network 64-{args.hidden}-10, "
          f"best of {rounds} interleaved rounds; load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    times = bt.epoch_times(sizes, X.astype(np.float64), y, hidden=args.hidden, rounds=rounds,
                           threads=args.threads)
    print(f"NumPy (float64, {args.threads} BLAS thread(s)): time per epoch")
    print(f"{'batch':>6} {'steps':>6} {'ms/epoch':>9} {'µs/example':>11}")
    for b in sizes:
        print(f"{b:>6} {int(np.ceil(len(X) / b)):>6} {times[b] * 1e3:>9.2f} "
              f"{times[b] / len(X) * 1e6:>11.2f}")
    print("\n" + bt.format_table(bt.compare_to_neighbours(times, len(X))))
    if args.keras:
        kt = keras_times(sizes, X.astype(np.float32), y, args.hidden, max(rounds // 3, 2),
                         args.threads)
        print("\nKeras (float32, model.fit one epoch, compiled)")
        print(bt.format_table(bt.compare_to_neighbours(kt, len(X))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
