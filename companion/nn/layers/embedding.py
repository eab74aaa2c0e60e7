"""The embedding layer: a trainable (n_words, n_features) matrix read by row.

A word id i picks row i of E. Written with one-hot vectors, o_i E = E[i]: the lookup *is* a
matrix product, but indexing costs O(n_features) instead of O(n_words * n_features).
Backward: only the rows that were looked up receive gradient, and a row used several times
receives the sum of its upstream gradients (a scatter-add, ``np.add.at``), exactly what
one-hot^T @ dout computes.
"""

from __future__ import annotations

import numpy as np

from companion.nn import initializers
from companion.nn.layers.base import Layer
from companion.nn.shape_checks import check_cache, check_operand, check_size
from companion.nn.validation import check_finite, check_int, check_number, rng_from


def _check_ids(ids, name: str, n_rows: int, shape: tuple = (), any_leading: bool = True):
    """Integer ids (any shape ending in ``shape``) in 0..n_rows - 1 (a negative id would
    silently read a row from the end)."""
    ids = check_operand(ids, name, shape, any_leading)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= n_rows):
        raise ValueError(f"{name} must lie in 0..{n_rows - 1}, got values from {ids.min()} "
                         f"to {ids.max()}")
    return ids


def embedding_forward(ids: np.ndarray, E: np.ndarray):
    """out = E[ids].  ids: (N, ...) integers in [0, n_words); E: (n_words, n_features).

    Returns (out (N, ..., n_features), cache = (ids, n_words)).
    """
    E = check_operand(E, "embedding_forward: E", (None, None))
    ids = _check_ids(ids, "embedding_forward: ids", len(E))
    return E[ids], (ids, len(E))


def scatter_add_rows(n_rows: int, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """out[i] = sum of values[j] over the j with ids[j] == i, out (n_rows, D): the scatter-add
    of every embedding gradient. The same as ``np.add.at(zeros, ids, values)``, computed as one
    ``np.bincount`` over the flattened (row, column) positions (about three times faster), in
    float64, returned in ``values``' dtype. ids: (M,) integers; values: (M, D)."""
    n_rows = check_int(n_rows, "scatter_add_rows: n_rows")
    ids = _check_ids(ids, "scatter_add_rows: ids", n_rows, (None,), any_leading=False)
    values = check_operand(values, "scatter_add_rows: values", (len(ids), None),
                           why="(one row per entry of ids)")
    D = values.shape[-1]
    flat = (np.asarray(ids)[:, None] * D + np.arange(D)).ravel()
    out = np.bincount(flat, weights=values.ravel(), minlength=n_rows * D).reshape(n_rows, D)
    return out.astype(values.dtype, copy=False)


def embedding_backward(dout: np.ndarray, cache):
    """Gradient of out = E[ids] given dL/dout (N, ..., n_features) and the forward cache.

    Returns (dids, grads): dids zeros of the ids' shape (ids are not differentiable) and
    grads the tuple (dE,), dE (n_words, n_features) zero except the used rows, which sum
    their upstream gradients. ``dE[ids] += dout`` would be wrong: with a repeated id,
    fancy-index assignment keeps only one of the contributions; a scatter-add
    (``scatter_add_rows``, or ``np.add.at``) accumulates every one of them.
    """
    ids, n_words, dout = _checked_gradient(dout, cache, "embedding_backward")
    dE = scatter_add_rows(n_words, ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return np.zeros(ids.shape, dtype=dout.dtype), (dE,)


def embedding_backward_onehot(dout: np.ndarray, cache):
    """The same gradient written as one-hot^T @ dout: (n_words, M) @ (M, n_features).
    Same arguments and returns as ``embedding_backward``."""
    ids, n_words, dout = _checked_gradient(dout, cache, "embedding_backward_onehot")
    check_finite(dout, "embedding_backward_onehot: dout")   # 0 * NaN would reach every row
    onehot = np.eye(n_words, dtype=dout.dtype)[ids.reshape(-1)]          # (M, n_words)
    return np.zeros(ids.shape, dtype=dout.dtype), (onehot.T @ dout.reshape(-1, dout.shape[-1]),)


def _checked_gradient(dout, cache, where: str):
    """(ids, n_words, dout) after checking the cache and that dout is (*ids.shape, D)."""
    ids, n_words = check_cache(cache, f"{where}: cache", (np.ndarray, (int, np.integer)),
                               "embedding_forward")
    dout = check_operand(dout, f"{where}: dout", ids.shape + (None,))
    return ids, n_words, dout


def random_uniform(shape, rng, minval: float = -0.05, maxval: float = 0.05) -> np.ndarray:
    """Keras' ``"uniform"`` initializer (RandomUniform(-0.05, 0.05)), Embedding's default."""
    shape = check_size(shape, "random_uniform: shape")
    if check_number(minval, "random_uniform: minval") > check_number(maxval,
                                                                     "random_uniform: maxval"):
        raise ValueError(f"random_uniform: minval must be <= maxval, got {minval} and {maxval}")
    return rng_from(rng).uniform(minval, maxval, size=shape)


class Embedding(Layer):
    """Embedding(input_dim, output_dim): Keras' layer of the same name (no masking).

    Parameter: ``embeddings`` (input_dim, output_dim) = (n_words, n_features).
    Input shape: (N, ...) integer ids in [0, input_dim). Output shape: (N, ..., output_dim).
    ``embeddings_initializer`` is a callable ``(shape, rng) -> array`` or an array to start
    from (pretrained vectors).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer=random_uniform,
                 name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        self.input_dim = check_int(input_dim, "Embedding: input_dim")
        self.output_dim = check_int(output_dim, "Embedding: output_dim")
        if isinstance(embeddings_initializer, str):
            embeddings_initializer = initializers.get(embeddings_initializer,
                                                      "embeddings_initializer")
        self.embeddings_initializer = embeddings_initializer

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def build(self, input_shape, rng=None):
        shape = (self.input_dim, self.output_dim)
        init = self.embeddings_initializer
        E = np.asarray(init(shape, rng) if callable(init) else init, dtype=self.dtype)
        if E.shape != shape:
            raise ValueError(f"{self.name}: embeddings_initializer has shape {E.shape}, "
                             f"expected (input_dim, output_dim) = {shape}")
        self.params = {}
        self.add_weight("embeddings", E.copy())
        return super().build(input_shape, rng)

    def _check_ids(self, x) -> np.ndarray:
        ids = np.asarray(x)
        if ids.dtype.kind == "f" and np.all(np.mod(ids, 1) == 0):
            ids = ids.astype(np.int64)            # ids that travelled as floats (as in Keras)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"{self.name}: expected integer word ids, got dtype {ids.dtype}")
        want = self.input_shape                   # None entries: any length (a sequence)
        if want is not None and (ids.ndim != len(want) + 1 or any(
                w is not None and w != s for w, s in zip(want, ids.shape[1:]))):
            raise ValueError(f"{self.name}: ids have shape {ids.shape}, expected "
                             f"(N, {', '.join('T' if w is None else str(w) for w in want)})")
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(f"{self.name}: ids must lie in 0..{self.input_dim - 1} "
                             f"(input_dim={self.input_dim}), got values from {ids.min()} "
                             f"to {ids.max()}")
        return ids

    def forward(self, x, training=False):
        self._require_built()
        ids = self._check_ids(x)
        out, self._cache = embedding_forward(ids, self.params["embeddings"])
        return out

    def backward(self, dout):
        ids = self._cached()[0]
        dout = np.asarray(dout, dtype=self.dtype)
        if dout.shape != ids.shape + (self.output_dim,):
            raise ValueError(f"{self.name}: dout has shape {dout.shape}, expected "
                             f"{ids.shape + (self.output_dim,)}")
        dids, (dE,) = embedding_backward(dout, self._cache)
        self.grads = {"embeddings": dE}
        return dids                              # zeros: ids are not differentiable

    def __repr__(self):
        return f"Embedding({self.input_dim}, {self.output_dim})"
