"""What every benchmark that compares us with Keras shares, so that both sides do equal work.

- Threads: ``limit_threads(n)`` caps NumPy's BLAS (threadpoolctl) and TensorFlow's intra- and
  inter-op pools alike, before TensorFlow starts; ``n=0`` leaves both at their defaults.
- The framework side is one compiled function (``tf.function``) that takes the input, the
  weights and the upstream gradient as *arguments* and returns the output and every gradient
  (``keras_vjp``); our side returns the same tuple.
- Contenders are timed interleaved (A, B, A, B, ...) and the median of each is reported
  (``interleaved_times``), with the load average (``load``) printed beside the table.
- TensorFlow's kernels: ``set_onednn("on")`` (the default of the scripts) turns on oneDNN,
  TensorFlow's fastest CPU convolutions, before TensorFlow starts. TensorFlow turns it on by
  itself only on CPUs with AVX-512 VNNI/BF16 or AMX; elsewhere (an AVX2 AMD EPYC, say) its own
  default kernels are slower, and comparing with them would flatter us. ``--onednn default``
  measures what TensorFlow picks by itself; the header says what ran (``machine``).
- Throughput is set against the measured single-thread float32 matrix product rate, timed
  interleaved with the contenders of each row (``matmul_probe``), so it sees the same load;
  ``peak_mib`` measures the peak memory our side allocates
  (tracemalloc, which sees NumPy's buffers).
"""
from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def limit_threads(n: int) -> str:
    """Cap BLAS and TensorFlow to ``n`` threads each (0: library defaults); returns a label."""
    if not n:
        return f"library default threads ({os.cpu_count()} cores visible)"
    from threadpoolctl import threadpool_limits
    threadpool_limits(n)
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf  # before Keras starts TensorFlow's pools
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    return f"{n} thread(s) each (BLAS and TensorFlow intra/inter-op)"


ONEDNN_CHOICES = ("on", "off", "default")


def set_onednn(mode: str) -> None:
    """oneDNN for TensorFlow's CPU kernels: "on", "off", or "default" (TensorFlow decides, or
    TF_ENABLE_ONEDNN_OPTS as already set). Must run before TensorFlow is imported."""
    if mode not in ONEDNN_CHOICES:
        raise ValueError(f"onednn must be one of {ONEDNN_CHOICES}, got {mode!r}")
    import sys
    if "tensorflow" in sys.modules:
        raise RuntimeError("set_onednn must run before TensorFlow is imported")
    if mode != "default":
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if mode == "on" else "0"


def onednn_state() -> str:
    """Whether the running TensorFlow uses oneDNN, and who decided."""
    from tensorflow.python.util import _pywrap_util_port
    state = "on" if _pywrap_util_port.IsMklEnabled() else "off"
    how = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    return f"TensorFlow oneDNN {state} " + (f"(TF_ENABLE_ONEDNN_OPTS={how})" if how is not None
                                           else "(TensorFlow's own choice for this CPU)")


def machine() -> str:
    """The CPU model, the cores visible and the per-core L2 / shared L3 cache sizes."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    caches = []
    for level in (2, 3):
        for index in range(4):
            base = f"/sys/devices/system/cpu/cpu0/cache/index{index}/"
            try:
                with open(base + "level") as f:
                    if int(f.read()) != level:
                        continue
                with open(base + "size") as f:
                    caches.append(f"L{level} {f.read().strip()}")
            except OSError:
                continue
    return f"{model}, {os.cpu_count()} cores" + (f", {' / '.join(caches)}" if caches else "")


def load() -> str:
    """The 1/5/15-minute load averages as text."""
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def matmul_probe(n: int = 1024) -> tuple[Callable, float]:
    """(probe, flop): a float32 (n x n) @ (n x n) product on ONE BLAS thread, to be timed
    interleaved with the contenders, so the single-thread peak is measured under the same
    load as they are. (The thread controller is built once: building one scans the loaded
    libraries, which would be timed too.)"""
    from threadpoolctl import ThreadpoolController
    controller = ThreadpoolController()
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))

    def probe():
        with controller.limit(limits=1, user_api="blas"):
            a @ b
    return probe, 2.0 * n ** 3


def _seconds(fn: Callable) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one call; CPU time counts every thread of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved_times(contenders: dict[str, Callable], repeats: int) -> dict[str, dict]:
    """{name: {"wall": [s, ...], "cpu": [s, ...]}}: each contender timed A, B, A, B, ... after
    one warm-up each.

    Report medians (``statistics.median``). With one thread each, the CPU time is the work
    done and barely depends on the load, while the wall-clock time also counts the waits for
    a core a busy machine imposes. Add ``matmul_probe()[0]`` as a contender to measure the
    single-thread peak under the same load (its best time is the peak rate)."""
    for fn in contenders.values():
        fn()                                       # warm-up (and tf.function tracing)
    times = {k: {"wall": [], "cpu": []} for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            wall, cpu = _seconds(fn)
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
    return times


def peak_mib(fn: Callable) -> float:
    """Peak memory (MiB) that NumPy allocates during one call of ``fn`` (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - base) / 2 ** 20
    finally:
        tracemalloc.stop()


def keras_vjp(layer, weights: list[np.ndarray]) -> Callable:
    """A compiled ``f(x, dout) -> (out, dx, *dweights)`` for a built Keras layer (TensorFlow).

    The weights are copied into the layer; ``x`` and ``dout`` are arguments of the compiled
    function, and everything it returns is converted to NumPy, so no work can be skipped.
    """
    import tensorflow as tf
    layer.set_weights(weights)

    @tf.function
    def step(x, dout):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x)
        grads = tape.gradient(out, [x] + layer.trainable_weights, output_gradients=dout)
        return [out] + grads

    def run(x, dout):
        return [t.numpy() for t in step(x, dout)]
    return run


def require_tensorflow() -> None:
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        raise SystemExit(f"the fair benchmarks compile the Keras side with tf.function; "
                         f"KERAS_BACKEND={backend} is not supported")


def header(what: str, threads: str, repeats: int) -> None:
    from companion.keras_twin import device
    print(f"{what}; median of {repeats} interleaved repeats; Keras on {device()}; "
          f"{onednn_state()}; {threads}; {load()}\n{machine()}; '%pk': share of the "
          "single-thread float32 matmul rate ('peak GF/s', the best of a 1024^3 product timed "
          "between the contenders of each row)")


def add_arguments(ap) -> None:
    """The options every fair benchmark shares: --quick, --smoke, --threads and --onednn."""
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--smoke", action="store_true",
                    help="one shape per table, one repeat: checks that the script runs (the "
                         "test suite uses it); its numbers mean nothing")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for BLAS and TensorFlow alike (0: each library's default)")
    ap.add_argument("--onednn", choices=ONEDNN_CHOICES, default="on",
                    help="TensorFlow's oneDNN kernels (default: on, its fastest on the CPU)")
