"""Forward + backward time of a 2-D convolution: our vectorised (im2col) Conv2D, our naive loop
version (small shapes only) and Keras' Conv2D, measured in one run on this machine's CPU.

    .venv/bin/python benchmarks/conv.py            # the table
    .venv/bin/python benchmarks/conv.py --quick    # fewer repeats

Everything runs in float32 with 'same' padding and stride 1; the time is the best of several
repeats of forward + backward (gradients with respect to the input, kernel and bias) for a
gradient of ones. Keras runs its layer inside a compiled gradient function (``tf.function``
under TensorFlow, ``jax.jit`` under JAX), which is the fastest way Keras offers; the naive
version is timed once on a slice of the batch and scaled up (it is linear in the batch).
Targets: vectorised within 3x of Keras, and at least 100x faster than the naive loops.
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

from companion.nn.layers.conv import (
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
)

# (batch, image size, in channels, filters, kernel)
SHAPES = [(64, 8, 1, 8, 3), (64, 8, 16, 32, 3), (64, 8, 32, 64, 5),
          (64, 28, 1, 8, 5), (64, 28, 8, 16, 3), (64, 28, 16, 32, 3), (64, 28, 32, 32, 5),
          (64, 28, 64, 64, 3)]
NAIVE_MAX = 64 * 8 * 8 * 64            # naive loops only where N*H*W*F is at most this


def best_time(fn, repeats: int) -> float:
    fn()                                                    # warm-up (and compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def ours(x, W, b):
    def step():
        out, cache = conv2d_forward(x, W, b, 1, "same")
        return conv2d_backward(np.ones_like(out), cache)
    return step


def naive(x, W, b):
    def step():
        out = conv2d_forward_naive(x, W, b, 1, "same")
        return conv2d_backward_naive(np.ones_like(out), x, W, 1, "same")
    return step


def keras_step(keras, x, W, b):
    """A compiled forward+backward of keras.layers.Conv2D with our weights."""
    layer = keras.layers.Conv2D(W.shape[-1], W.shape[:2], padding="same")
    layer.build(x.shape)
    layer.set_weights([W, b])
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        xt = tf.constant(x)

        @tf.function
        def grad():
            with tf.GradientTape() as tape:
                tape.watch(xt)
                loss = tf.reduce_sum(layer(xt))
            return tape.gradient(loss, [xt] + layer.trainable_weights)
        return lambda: [g.numpy() for g in grad()]
    if backend == "jax":
        import jax
        tv = [v.value for v in layer.trainable_variables]

        @jax.jit
        def grad(xx, tvars):
            f = lambda xx, tv: layer.stateless_call(tv, [], xx)[0].sum()
            return jax.grad(f, argnums=(0, 1))(xx, tvars)
        return lambda: jax.block_until_ready(grad(x, tv))
    raise SystemExit(f"benchmark supports the tensorflow and jax backends, not {backend}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--threads", type=int, default=None,
                    help="limit both NumPy's BLAS and TensorFlow to this many threads "
                         "(default: each library's own choice)")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 7
    threads = "library default threads"
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
        if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
            import tensorflow as tf  # before Keras starts TensorFlow's thread pools
            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        threads = f"{args.threads} thread(s) each"
    from companion.keras_twin import device, import_keras
    keras = import_keras()
    print(f"float32, padding='same', stride 1; best of {repeats}; Keras on {device()}; "
          f"{os.cpu_count()} CPU cores visible, {threads}; load average "
          f"{os.getloadavg()[0]:.1f}")
    head = (f"{'N x H x W x C -> F, k':28}{'ours ms':>9}{'keras ms':>10}{'naive ms':>10}"
            f"{'ours/keras':>12}{'naive/ours':>12}")
    print(head)
    print("-" * len(head))
    rng = np.random.default_rng(0)
    for n, hw, c, f, k in SHAPES:
        x = rng.standard_normal((n, hw, hw, c)).astype(np.float32)
        W = (rng.standard_normal((k, k, c, f)) / np.sqrt(k * k * c)).astype(np.float32)
        b = np.zeros(f, np.float32)
        t_ours = best_time(ours(x, W, b), repeats)
        t_keras = best_time(keras_step(keras, x, W, b), repeats)
        t_naive = None
        if n * hw * hw * f <= NAIVE_MAX:
            m = 4                                           # time 4 examples, scale to n
            t_naive = best_time(naive(x[:m], W, b), 1) * n / m
        label = f"{n}x{hw}x{hw}x{c} -> {f}, {k}x{k}"
        naive_cols = (f"{t_naive * 1e3:10.0f}{t_naive / t_ours:11.0f}x" if t_naive
                      else f"{'-':>10}{'-':>12}")
        print(f"{label:28}{t_ours * 1e3:9.2f}{t_keras * 1e3:10.2f}"
              f"{naive_cols[:10]}{t_ours / t_keras:11.2f}x{naive_cols[10:]}")


if __name__ == "__main__":
    main()
