"""Forward + backward of our LSTM, GRU and SimpleRNN against Keras' layers, equal work.

    .venv/bin/python benchmarks/rnn.py                # one thread each (the headline)
    .venv/bin/python benchmarks/rnn.py --threads 0    # each library's default threads
    .venv/bin/python benchmarks/rnn.py --onednn default  # TensorFlow's own kernel choice
    .venv/bin/python benchmarks/rnn.py --quick        # fewer repeats

Course-sized shapes (batch N, time steps T, features D, units u), float32,
return_sequences=True (one output per step, as a language model uses). Both sides compute the
output and the gradients with respect to the input and every weight for a given random upstream
gradient; Keras in one ``tf.function`` taking ``x`` and ``dout`` as arguments, ours through the
layer's ``forward`` and ``backward``; the results are checked to agree. Same threads on both
sides, contenders interleaved, medians, the load average printed (``benchmarks/fair.py``).
GFLOP/s counts the matrix products, 2 N T (D + u) k u per forward for k gates (4 LSTM, 3 GRU,
1 SimpleRNN) and three times that for forward + backward; "cpu r." is the ratio of CPU-time
medians (steadier than wall-clock on a loaded machine at one thread each); "%pk" divides by the single-thread
float32 matmul rate measured between the contenders of the same row ("peak GF/s"). "ours
MiB": peak memory of our forward + backward.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fair
from conv import HEAD_RATES, HEAD_TIMES, float32_layer, measure, rates, timing

# (N, T, D, u)
SHAPES = [(32, 20, 16, 32), (64, 20, 28, 64), (32, 50, 64, 64), (64, 50, 32, 128),
          (64, 30, 64, 128)]
GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def row(keras, cell, shape, rng, repeats):
    from companion.nn import layers
    n, t, d, u = shape
    layer = float32_layer(getattr(layers, cell), (u,), {"return_sequences": True}, (t, d), rng)
    x = rng.standard_normal((n, t, d)).astype(np.float32)
    dout = rng.standard_normal((n, t, u)).astype(np.float32)
    from companion.keras_twin import keras_layer
    klayer = keras_layer(layer)
    klayer.build(x.shape)
    m = measure(layer, x, dout, klayer, repeats)
    gflop = 3 * 2 * n * t * (d + u) * GATES[cell] * u / 1e9
    print(f"{cell:10}{f'{n}x{t}x{d} -> {u}':18}" + timing(m) + rates(gflop, m))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fair.add_arguments(ap)
    ap.add_argument("--cells", nargs="+", choices=tuple(GATES), default=list(GATES))
    args = ap.parse_args(argv)
    fair.require_tensorflow()
    fair.set_onednn(args.onednn)
    repeats = 1 if args.smoke else 5 if args.quick else 11
    threads = fair.limit_threads(args.threads)
    from companion.keras_twin import import_keras
    keras = import_keras()
    fair.header("recurrent layers forward + backward, float32, return_sequences=True", threads,
                repeats)
    head = f"{'cell':10}{'N x T x D -> u':18}" + HEAD_TIMES + HEAD_RATES
    print(head + "\n" + "-" * len(head))
    rng = np.random.default_rng(0)
    for cell in args.cells:
        for shape in SHAPES[:1] if args.smoke else SHAPES:
            row(keras, cell, shape, rng, repeats)
    print(f"(at the end: {fair.load()})")


if __name__ == "__main__":
    main()
