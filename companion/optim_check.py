"""Feed the same gradients to one of our optimisers and to its Keras counterpart.

    grads = gradient_sequence(120)               # [[g_W, g_b], ...] mixed scales, some zeros
    ours = run(opt, grads)                       # parameters after 120 steps
    theirs = run_keras(optim.keras_optimizer(opt, keras), keras, grads)

Keras variables are float64 (``keras.Variable(..., dtype="float64")``), so what is left is
Keras keeping the learning rate and Python-float constants in float32 (see chapter 5).
"""
from __future__ import annotations

import numpy as np

from . import optim

SHAPES = ((3, 4), (4,))


def gradient_sequence(steps: int = 120, seed: int = 0, shapes=SHAPES) -> list[list[np.ndarray]]:
    """Random gradients of mixed scale (1e-3 to 5), 10 % exact zeros (where epsilon matters)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        gs = []
        for s in shapes:
            g = rng.standard_normal(s) * rng.choice([1e-3, 0.1, 1.0, 5.0], size=s)
            g[rng.random(s) < 0.1] = 0.0
            gs.append(g)
        out.append(gs)
    return out


def initial_params(seed: int = 1, shapes=SHAPES) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def run(opt: optim.Optimizer, grads_seq, params=None) -> list[np.ndarray]:
    """Our optimiser: parameters after applying every gradient in ``grads_seq``."""
    params = [p.copy() for p in (initial_params() if params is None else params)]
    state = opt.init(params)
    for grads in grads_seq:
        updates, state = opt.update(grads, state, params)
        optim.apply_updates(params, updates)
    return params


def run_keras(kopt, keras, grads_seq, params=None, dtype: str = "float64") -> list[np.ndarray]:
    """The Keras optimiser on ``keras.Variable``s of ``dtype`` fed the same gradients."""
    kvars = [keras.Variable(p, dtype=dtype) for p in (initial_params() if params is None else params)]
    for grads in grads_seq:
        kopt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype=dtype), v)
                              for g, v in zip(grads, kvars)])
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in kvars]


def relative_error(ours, theirs) -> float:
    """max |a - b| / max |b| over all arrays (the measure of ``reference.compare``)."""
    a = np.concatenate([np.ravel(x) for x in ours]).astype(np.float64)
    b = np.concatenate([np.ravel(x) for x in theirs]).astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
