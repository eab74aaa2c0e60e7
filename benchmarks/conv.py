"""Forward + backward of Conv2D and of pooling: our layers against Keras', equal work, one table.

    .venv/bin/python benchmarks/conv.py                # one thread each (the headline)
    .venv/bin/python benchmarks/conv.py --threads 0    # each library's default threads
    .venv/bin/python benchmarks/conv.py --onednn default  # TensorFlow's own kernel choice
    .venv/bin/python benchmarks/conv.py --quick        # fewer repeats

float32, 'same' padding, N=64 course shapes. Both sides compute the same thing from the same
arguments: the output and the gradients with respect to the input, the kernel and the bias for
a given upstream gradient ``dout`` (random, not ones). Keras runs its layer in one
``tf.function`` that takes ``x`` and ``dout`` as arguments and returns everything; ours is
``Conv2D.forward`` then ``Conv2D.backward``. The two results are checked to agree. Rules
(``benchmarks/fair.py``): same threads on both sides, contenders interleaved, medians, the load
average printed. GFLOP/s counts 2 N Ho Wo kh kw Cin Cout per forward and three times that for
forward + backward (from the wall-clock medians); "cpu r." is the ratio of the CPU-time
medians, the steadier figure on a loaded machine at one thread each; "%pk" divides by the single-thread float32 matmul rate measured between
the contenders of the same row ("peak GF/s"). "ours MiB" is the peak memory our forward +
backward allocates (tracemalloc).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fair

# (N, H=W, Cin, Cout, kernel, stride): the course shapes of issue 13
CONV_SHAPES = [(64, 28, 1, 8, 5, 1), (64, 28, 8, 16, 3, 1), (64, 28, 16, 32, 3, 1),
               (64, 28, 32, 32, 5, 1), (64, 28, 64, 64, 3, 1), (64, 28, 16, 32, 3, 2)]
# (layer, N, H=W, C, pool)
POOL_SHAPES = [("MaxPooling2D", 64, 28, 32, 2), ("AveragePooling2D", 64, 28, 32, 2),
               ("MaxPooling2D", 64, 28, 64, 3)]


def ours_step(layer, x, dout):
    """Our forward + backward: (out, dx, *grads in Keras order)."""
    def step():
        out = layer.forward(x)
        dx = layer.backward(dout)
        return [out, dx] + [layer.grads[k] for k in layer.params]
    return step


def check_same(ours: list, theirs: list, what: str) -> float:
    """Largest difference relative to each array's scale; fails loudly above float32 noise."""
    worst = 0.0
    for a, b in zip(ours, theirs):
        err = float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30))
        worst = max(worst, err)
    if worst > 1e-4:
        raise SystemExit(f"{what}: ours and Keras disagree (relative difference {worst:.1e})")
    return worst


def float32_layer(cls, args: tuple, kwargs: dict, input_shape, rng):
    """``cls(*args, dtype="float32", **kwargs)`` built for ``input_shape``.

    (A layer from before layers took a ``dtype`` is built as it was and its weights cast, so
    the script also measures the old code.)
    """
    try:
        layer = cls(*args, dtype="float32", **kwargs)
    except TypeError:
        layer = cls(*args, **kwargs)
    layer.build(input_shape, rng)
    layer.params = {k: v.astype(np.float32) for k, v in layer.params.items()}
    return layer


def conv_row(keras, shape, rng, repeats):
    from companion.nn.layers import Conv2D
    n, hw, c, f, k, s = shape
    layer = float32_layer(Conv2D, (f, k), {"strides": s, "padding": "same"}, (hw, hw, c), rng)
    x = rng.standard_normal((n, hw, hw, c)).astype(np.float32)
    dout = rng.standard_normal((n,) + layer.output_shape).astype(np.float32)
    from companion.keras_twin import keras_layer
    klayer = keras_layer(layer)
    klayer.build(x.shape)
    return layer, x, dout, klayer


def measure(layer, x, dout, klayer, repeats) -> dict:
    """Wall and CPU medians of both sides (s), the single-thread peak (GFLOP/s), our peak
    memory (MiB) and the largest relative difference between the two results."""
    import tensorflow as tf
    ours = ours_step(layer, x, dout)
    theirs = fair.keras_vjp(klayer, layer.get_weights())
    xt, dt = tf.constant(x), tf.constant(dout)
    err = check_same(ours(), theirs(xt, dt), repr(layer))
    probe, flop = fair.matmul_probe()
    t = fair.interleaved_times({"ours": ours, "keras": lambda: theirs(xt, dt), "peak": probe},
                               repeats)
    return {"ours": median(t["ours"]["wall"]), "keras": median(t["keras"]["wall"]),
            "cpu_ratio": median(t["ours"]["cpu"]) / median(t["keras"]["cpu"]),
            "peak": flop / min(t["peak"]["wall"]) / 1e9, "mib": fair.peak_mib(ours), "err": err}


def timing(m: dict) -> str:
    """The ms, ratio and CPU-time ratio columns."""
    return (f"{m['ours'] * 1e3:9.2f}{m['keras'] * 1e3:9.2f}{m['ours'] / m['keras']:6.2f}x"
            f"{m['cpu_ratio']:7.2f}x")


HEAD_TIMES = f"{'ours ms':>9}{'keras ms':>9}{'ratio':>7}{'cpu r.':>8}"


def conv_table(keras, rng, repeats, shapes=CONV_SHAPES):
    head = (f"{'N x H x W x Cin -> Cout, k, s':32}" + HEAD_TIMES + HEAD_RATES)
    print(head + "\n" + "-" * len(head))
    for shape in shapes:
        n, hw, c, f, k, s = shape
        layer, x, dout, klayer = conv_row(keras, shape, rng, repeats)
        m = measure(layer, x, dout, klayer, repeats)
        ho, wo, _ = layer.output_shape
        gflop = 3 * 2 * n * ho * wo * k * k * c * f / 1e9
        label = f"{n}x{hw}x{hw}x{c} -> {f}, {k}x{k}, s{s}"
        print(f"{label:32}" + timing(m) + rates(gflop, m))


HEAD_RATES = (f"{'ours GF/s':>10}{'keras GF/s':>11}{'peak GF/s':>10}{'ours %pk':>9}"
              f"{'keras %pk':>10}{'ours MiB':>9}{'max diff':>10}")


def rates(gflop: float, m: dict) -> str:
    """The GF/s, peak GF/s, share-of-peak, memory and difference columns."""
    o, k, peak = gflop / m["ours"], gflop / m["keras"], m["peak"]
    return (f"{o:10.1f}{k:11.1f}{peak:10.0f}{100 * o / peak:8.0f}%{100 * k / peak:9.0f}%"
            f"{m['mib']:9.1f}{m['err']:10.1e}")


def pool_table(keras, rng, repeats, shapes=POOL_SHAPES):
    from companion.nn.layers import pool
    head = f"{'pooling, N x H x W x C, window':40}" + HEAD_TIMES + f"{'ours MiB':>9}{'max diff':>10}"
    print("\n" + head + "\n" + "-" * len(head))
    for kind, n, hw, c, p in shapes:
        layer = float32_layer(getattr(pool, kind), (p,), {}, (hw, hw, c), rng)
        x = rng.standard_normal((n, hw, hw, c)).astype(np.float32)
        dout = rng.standard_normal((n,) + layer.output_shape).astype(np.float32)
        from companion.keras_twin import keras_layer
        klayer = keras_layer(layer)
        klayer.build(x.shape)
        m = measure(layer, x, dout, klayer, repeats)
        label = f"{kind} {n}x{hw}x{hw}x{c}, {p}x{p}"
        print(f"{label:40}" + timing(m) + f"{m['mib']:9.1f}{m['err']:10.1e}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fair.add_arguments(ap)
    ap.add_argument("--only", choices=("conv", "pool"), default=None)
    args = ap.parse_args(argv)
    fair.require_tensorflow()
    fair.set_onednn(args.onednn)
    repeats = 1 if args.smoke else 5 if args.quick else 11
    threads = fair.limit_threads(args.threads)
    from companion.keras_twin import import_keras
    keras = import_keras()
    fair.header("Conv2D/pooling forward + backward, float32, 'same'", threads, repeats)
    rng = np.random.default_rng(0)
    if args.only != "pool":
        conv_table(keras, rng, repeats, CONV_SHAPES[:1] if args.smoke else CONV_SHAPES)
    if args.only != "conv":
        pool_table(keras, rng, repeats, POOL_SHAPES[:1] if args.smoke else POOL_SHAPES)
    print(f"(at the end: {fair.load()})")


if __name__ == "__main__":
    main()
