"""Chapter 5: feed the same gradients to one of our optimisers (through ``train_loop``) and
to its Keras counterpart."""

from __future__ import annotations

import numpy as np

from companion.nn import optim
from companion.nn.train import train_loop

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


class Replay:
    """A ``Trainable`` whose gradients are given in advance: batch k *is* the k-th list of
    gradients (its loss is 0), so ``train_loop`` applies exactly those updates."""

    def __init__(self, params: list[np.ndarray]):
        self._params = params

    def loss_and_grads(self, batch) -> tuple[float, list[np.ndarray]]:
        return 0.0, list(batch)

    def params(self) -> list[np.ndarray]:
        return self._params

    def grads(self) -> list[np.ndarray]:
        return []


def run(opt: optim.Optimizer, grads_seq, params=None) -> list[np.ndarray]:
    """Our optimiser: parameters after applying every gradient in ``grads_seq`` (one epoch of
    ``train_loop`` over them)."""
    params = [p.copy() for p in (initial_params() if params is None else params)]
    train_loop(Replay(params), lambda epoch: iter(grads_seq), opt, 1)
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
