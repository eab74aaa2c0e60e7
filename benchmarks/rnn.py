"""Forward + backward time of our LSTM and GRU against Keras' layers on the CPU, one run.

    .venv/bin/python benchmarks/rnn.py            # the table
    .venv/bin/python benchmarks/rnn.py --quick    # fewer repeats

Course-sized shapes (batch N, time steps T, features D, units u), float32, return_sequences=True
(one output per step, as a language model uses), gradient of ones with respect to the input and
every weight. The time is the best of several repeats. Keras runs its layer inside a compiled
gradient function (``tf.function`` under TensorFlow, ``jax.jit`` under JAX), the fastest way
it offers on this machine. Ours: one matmul projects x for all steps, then a Python loop over
time with one (N, u) x (u, k u) matmul per step forward and two backward. Target: within 3x.

``--threads`` (default 1) caps both sides alike: NumPy's BLAS (through threadpoolctl, which
scikit-learn installs) and TensorFlow's intra-/inter-op pools; ``--threads 0`` leaves both at
their defaults. (Our layers run their time loop with one BLAS thread in any case, see
``rnn_base.one_blas_thread``: on a busy 2-core machine a multi-threaded BLAS made the loop
10-70x slower, waiting for its threads on matrices far too small to share.)
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

from companion.nn.layers.gru import GRU
from companion.nn.layers.lstm import LSTM

SHAPES = [(32, 20, 16, 32), (64, 20, 28, 64), (32, 50, 64, 64), (64, 50, 32, 128),
          (64, 30, 64, 128)]


def best_time(fn, repeats: int) -> float:
    fn()                                                    # warm-up (and compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def build(cell, shape, rng):
    _, t, d, u = shape
    layer = GRU(u, return_sequences=True) if cell == "GRU" else LSTM(u, return_sequences=True)
    layer.build((t, d), rng)
    layer.params = {k: v.astype(np.float32) for k, v in layer.params.items()}
    return layer


def ours(layer, x):
    def step():
        out = layer.forward(x)
        return layer.backward(np.ones_like(out))
    return step


def keras_step(keras, layer, x):
    klayer = layer.keras_layer(keras)
    klayer.build(x.shape)
    klayer.set_weights(layer.get_weights())
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        xt = tf.constant(x)

        @tf.function
        def grad():
            with tf.GradientTape() as tape:
                tape.watch(xt)
                loss = tf.reduce_sum(klayer(xt))
            return tape.gradient(loss, [xt] + klayer.trainable_weights)
        return lambda: [g.numpy() for g in grad()]
    if backend == "jax":
        import jax
        tv = [v.value for v in klayer.trainable_variables]

        @jax.jit
        def grad(xx, tvars):
            f = lambda xx, tv: klayer.stateless_call(tv, [], xx)[0].sum()
            return jax.grad(f, argnums=(0, 1))(xx, tvars)
        return lambda: jax.block_until_ready(grad(x, tv))
    raise SystemExit(f"benchmark supports the tensorflow and jax backends, not {backend}")


def limit_threads(n: int) -> None:
    """Cap BLAS and TensorFlow threads (before TensorFlow creates its thread pools)."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(n)
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for BLAS and TensorFlow (0: library defaults)")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 7
    if args.threads:
        limit_threads(args.threads)
    from companion.keras_twin import device, import_keras
    keras = import_keras()
    print(f"float32, return_sequences=True, forward + backward; best of {repeats}; "
          f"Keras on {device()}; {os.cpu_count()} CPU cores visible; threads: "
          f"{args.threads or 'library defaults'}")
    head = f"{'cell':6}{'N x T x D -> u':20}{'ours ms':>9}{'keras ms':>10}{'ours/keras':>12}"
    print(head)
    print("-" * len(head))
    rng = np.random.default_rng(0)
    for cell in ("LSTM", "GRU"):
        for shape in SHAPES:
            n, t, d, u = shape
            layer = build(cell, shape, rng)
            x = rng.standard_normal((n, t, d)).astype(np.float32)
            t_ours = best_time(ours(layer, x), repeats)
            t_keras = best_time(keras_step(keras, layer, x), repeats)
            print(f"{cell:6}{f'{n}x{t}x{d} -> {u}':20}{t_ours * 1e3:9.2f}{t_keras * 1e3:10.2f}"
                  f"{t_ours / t_keras:11.2f}x")


if __name__ == "__main__":
    main()
