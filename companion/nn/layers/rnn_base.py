"""What every gated recurrent layer shares: shapes, the time direction, states in and out.

A recurrent layer maps a batch of sequences ``x`` (N, T, D) to

    (N, T, units)   when ``return_sequences=True``  (one hidden vector per time step)
    (N, units)      otherwise                       (the last hidden vector, as in Keras)

``forward(x, training=False, initial_state=None)``: ``initial_state`` is ``h0`` (N, units)
for a GRU, ``[h0, c0]`` for an LSTM (zeros when None, as in Keras).

``return_state=True`` (Keras' option): ``forward`` returns a list ``[output, *final_states]``
(``[out, h_T]`` for a GRU, ``[out, h_T, c_T]`` for an LSTM) and ``backward`` then takes the
matching list ``[dout, dh_T(, dc_T)]`` (any entry may be None for "no gradient"). A layer built
this way is used on its own (or in our Bidirectional), not inside ``Sequential``, which passes
one array between layers. Whatever the option, ``layer.final_state`` holds the final state(s)
after ``forward`` and ``layer.dinitial_state`` the gradient w.r.t. the initial state(s) after
``backward``, shaped like ``initial_state``: one (N, units) array for a GRU (as for SimpleRNN),
a list ``[h, c]`` for an LSTM.

Subclasses supply ``n_gates`` (3 for GRU, 4 for LSTM), ``n_states`` (1 or 2), weight creation
in ``_make_params`` (through ``add_weight``, in the layer's ``dtype``) and the two sequence
functions ``_run_forward(x, states0) -> (hs (N, T, u), final states, cache)`` /
``_run_backward(dhs (N, T, u), dfinal, cache) -> (dx, dstates0, grads)``; ``dhs`` already
holds the gradient on the final h (``with_final_gradient``), ``dfinal`` the others (c_T).
The pure sequence functions run time-major inside (step t is a contiguous (N, u) block) and
return batch-first views.
"""

from __future__ import annotations

import numpy as np

from companion.nn import initializers
from companion.nn.layers.base import Layer
from companion.nn.shape_checks import check_dims, check_dout
from companion.nn.threads import blas_threads
from companion.nn.validation import as_array, check_bool, check_int


class RecurrentBase(Layer):
    n_gates = 1
    n_states = 1

    def __init__(self, units: int, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 name: str | None = None, dtype="float64"):
        super().__init__(name, dtype)
        kind = type(self).__name__
        self.units = check_int(units, f"{kind}: units")
        self.return_sequences = check_bool(return_sequences, f"{kind}: return_sequences")
        self.return_state = check_bool(return_state, f"{kind}: return_state")
        self.go_backwards = check_bool(go_backwards, f"{kind}: go_backwards")
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.recurrent_initializer = initializers.get(recurrent_initializer,
                                                      "recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.final_state: list[np.ndarray] | None = None
        self.dinitial_state: list[np.ndarray] | None = None

    # -- shapes ---------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: input_shape must be (T, D) (time steps, features), "
                             f"got {tuple(input_shape)}")
        T = input_shape[0]
        return (T, self.units) if self.return_sequences else (self.units,)

    def build(self, input_shape, rng=None):
        self.compute_output_shape(input_shape)
        self.params = {}
        self._make_params(int(input_shape[-1]), rng)          # fills params via add_weight
        return super().build(input_shape, rng)

    def _check_sequence(self, x):
        x = as_array(x, f"{self.name}: x")
        want_d = self.input_shape[-1] if self.input_shape else None
        if x.ndim != 3 or (want_d is not None and x.shape[2] != want_d):
            raise ValueError(f"{self.name}: x has shape {x.shape}, expected (N, T, "
                             f"{want_d if want_d is not None else 'D'})")
        if x.shape[1] < 1:
            raise ValueError(f"{self.name}: x has shape {x.shape}: a sequence needs T >= 1 steps")
        return x.astype(self.dtype, copy=False)

    def _initial_states(self, initial_state, n, dtype):
        if initial_state is None:
            return [np.zeros((n, self.units), dtype) for _ in range(self.n_states)]
        if not isinstance(initial_state, (np.ndarray, list, tuple)):
            raise TypeError(f"{self.name}: initial_state must be an (N, units) array or a list "
                            f"of {self.n_states}, got {type(initial_state).__name__}")
        states = [initial_state] if isinstance(initial_state, np.ndarray) else list(initial_state)
        if len(states) != self.n_states:
            raise ValueError(f"{self.name}: initial_state needs {self.n_states} array(s), "
                             f"got {len(states)}")
        out = []
        for i, s in enumerate(states):
            s = as_array(s, f"{self.name}: initial_state[{i}]")
            if s.shape != (n, self.units):
                raise ValueError(f"{self.name}: initial_state[{i}] has shape {s.shape}, "
                                 f"expected ({n}, {self.units})")
            out.append(s.astype(dtype, copy=False))
        return out

    # -- passes ---------------------------------------------------------------------------
    def forward(self, x, training=False, initial_state=None):
        """x (N, T, D) -> (N, T, units) or (N, units); a list with the states if return_state."""
        if not self.built:
            raise RuntimeError(f"{self.name}: build(input_shape, rng) the layer first")
        x = self._check_sequence(x)
        states0 = self._initial_states(initial_state, x.shape[0], self.dtype)
        if self.go_backwards:
            x = x[:, ::-1]
        with blas_threads(1):
            hs, final, cache = self._run_forward(x, states0)        # hs: (N, T, units)
        self._cache = (x.shape, cache)
        self.final_state = final[0] if self.n_states == 1 else final
        out = hs if self.return_sequences else final[0]
        return [out, *final] if self.return_state else out

    def backward(self, dout):
        """dout like forward's output -> dx (N, T, D); fills grads and dinitial_state."""
        if self._cache is None:
            raise RuntimeError(f"{self.name}: call forward before backward")
        dfinal = [None] * self.n_states
        if self.return_state:
            dout, *rest = dout
            dfinal = list(rest) + [None] * (self.n_states - len(rest))
        dhs = None
        N, T = self._cache[0][:2]
        if dout is not None:
            dout = as_array(dout, f"{self.name}: dout").astype(self.dtype, copy=False)
            want = (N, T, self.units) if self.return_sequences else (N, self.units)
            if dout.shape != want:
                raise ValueError(f"{self.name}: dout has shape {dout.shape}, expected {want} "
                                 "(the shape forward returned)")
            if self.return_sequences:
                dhs = dout
            else:
                dfinal[0] = dout if dfinal[0] is None else dfinal[0] + dout
        dhs = with_final_gradient(dhs, dfinal[0], (N, T, self.units), self.dtype)
        with blas_threads(1):
            dx, dstates0, grads = self._run_backward(dhs, dfinal, self._cache[1])
        self.grads = grads
        self.dinitial_state = dstates0[0] if self.n_states == 1 else dstates0
        return dx[:, ::-1] if self.go_backwards else dx

    # -- what a subclass supplies -----------------------------------------------------------
    def _make_params(self, d, rng):
        raise NotImplementedError(f"{type(self).__name__} must define _make_params(d, rng) "
                                  "(RecurrentBase leaves the weights to its subclass)")

    def _run_forward(self, x, states0):
        raise NotImplementedError(f"{type(self).__name__} must define _run_forward(x, states0) "
                                  "(RecurrentBase leaves the sequence function to its subclass)")

    def _run_backward(self, dhs, dfinal, cache):
        raise NotImplementedError(f"{type(self).__name__} must define _run_backward(dhs, dfinal, "
                                  "cache) (RecurrentBase leaves it to its subclass)")

    def __repr__(self):
        extra = ", return_sequences=True" if self.return_sequences else ""
        return f"{type(self).__name__}({self.units}{extra})"


def with_final_gradient(dhs, dh_last, shape, dtype):
    """dhs (N, T, u) or None plus a gradient dh_last (N, u) or None on the last state h_T,
    which is also hs[:, -1]: the one (N, T, u) array the sequence backward takes."""
    if not (isinstance(shape, tuple) and len(shape) == 3 and all(
            isinstance(k, (int, np.integer)) and k > 0 for k in shape)):
        raise TypeError(f"shape: expected (N, T, u) of positive integers, got {shape!r}")
    try:
        dtype = np.dtype(dtype) if isinstance(dtype, (str, type, np.dtype)) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise TypeError("dtype: expected a floating dtype such as 'float64'")
    if dhs is not None:
        dhs = check_dout(dhs, shape, "dhs")
    if dh_last is not None:
        dh_last = check_dout(dh_last, (shape[0], shape[2]), "dh_last")
    if dh_last is None:
        return dhs if dhs is not None else np.zeros(shape, dtype)
    out = np.zeros(shape, dtype) if dhs is None else np.array(dhs, dtype=dtype)   # a copy
    out[:, -1] += dh_last
    return out


def batch_first(hs):
    """(T, N, u) time-major storage -> (N, T, u) view (no copy)."""
    if type(hs) is not np.ndarray or hs.ndim != 3:
        raise ValueError(f"hs: expected a 3-D array (T, N, u), got {_described(hs)}")
    return hs.transpose(1, 0, 2)


def time_major(dhs):
    """(N, T, u) -> (T, N, u) view (no copy): step t is dhs[t]."""
    if type(dhs) is not np.ndarray or dhs.ndim != 3:
        raise ValueError(f"dhs: expected a 3-D array (N, T, u), got {_described(dhs)}")
    return dhs.transpose(1, 0, 2)


def previous_states(s0, ss):
    """The state before each step: s0 (N, u) and ss (T, N, u) -> (T, N, u) [s0, s_1..s_{T-1}]."""
    if not (type(ss) is np.ndarray is type(s0) and ss.ndim == 3 and ss.shape[1:] == s0.shape
            and ss.dtype.kind == "f" and s0.dtype.kind in "fiu" and ss.size):
        check_dims("previous_states", ss=(ss, "T N u"), s0=(s0, "N u"))
    return np.concatenate([s0[None].astype(ss.dtype, copy=False), ss[:-1]])


def recurrent_gradient(h0, hs, dpre):
    """The recurrent kernel's gradient summed over all steps, without stacking the states:
    h0 (N, u), hs (T, N, u), dpre (T, N, k u) the gradient of each step's pre-activations ->
    sum_t h_{t-1}^T dpre_t (u, k u) = h0^T dpre_0 + hs[:-1]^T dpre[1:] (two products)."""
    (hs, h0, dpre), _ = check_dims("recurrent_gradient", hs=(hs, "T N u"), h0=(h0, "N u"),
                                   dpre=(dpre, "T N K"))
    T, N, u = hs.shape
    d = dpre.reshape(T, N, -1)
    out = h0.astype(d.dtype, copy=False).T @ d[0]
    if T > 1:
        out += hs[:-1].reshape((T - 1) * N, u).T @ d[1:].reshape((T - 1) * N, -1)
    return out


def project_inputs(x, kernel, bias):
    """x W + b for every time step in one matmul, laid out time-major.

    x (N, T, D), kernel (D, k u), bias (k u,) or None -> (T, N, k u), contiguous per step.
    """
    if type(x) is np.ndarray is type(kernel) and x.ndim == 3 and kernel.ndim == 2 and \
            x.shape[2] == kernel.shape[0] and x.dtype.kind in "fiu" and \
            kernel.dtype.kind == "f" and (bias is None or type(bias) is np.ndarray and
                                          bias.shape == kernel.shape[1:] and
                                          bias.dtype.kind in "fiu") and x.size:
        pass                                       # the common case, in well under a microsecond
    elif bias is None:
        (x, kernel), _ = check_dims("project_inputs", x=(x, "N T D"), kernel=(kernel, "D K"))
    else:
        (x, kernel, bias), _ = check_dims("project_inputs", x=(x, "N T D"),
                                          kernel=(kernel, "D K"), bias=(bias, "K"))
    N, T, D = x.shape
    xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(T * N, D)
    xw = xt @ kernel
    if bias is not None:
        xw += bias
    return xw.reshape(T, N, -1), xt


def input_gradients(dxw, xt, kernel, shape):
    """Backward of ``project_inputs``: dxw (T, N, k u) -> (dx (N, T, D), dkernel, dbias)."""
    if not (type(dxw) is np.ndarray is type(xt) is type(kernel) and isinstance(shape, tuple)
            and dxw.ndim == 3 and kernel.ndim == 2 and dxw.shape[2] == kernel.shape[1] and
            shape == (dxw.shape[1], dxw.shape[0], kernel.shape[0]) and
            xt.shape == (dxw.shape[0] * dxw.shape[1], kernel.shape[0]) and
            dxw.dtype.kind == kernel.dtype.kind == xt.dtype.kind == "f"):
        (dxw, kernel, xt), sizes = check_dims("input_gradients", dxw=(dxw, "T N K"),
                                              kernel=(kernel, "D K"), xt=(xt, "TN D"))
        if not isinstance(shape, tuple) or shape != (sizes["N"], sizes["T"], sizes["D"]) or \
                xt.shape[0] != sizes["T"] * sizes["N"]:
            raise ValueError(f"shape: expected x's shape (N, T, D) = ({sizes['N']}, "
                             f"{sizes['T']}, {sizes['D']}) with xt ({sizes['T'] * sizes['N']}, "
                             f"D), got shape {shape!r} and xt {xt.shape}")
    N, T, D = shape
    d2 = dxw.reshape(T * N, -1)
    dx = (d2 @ kernel.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, xt.T @ d2, d2.sum(axis=0)


def _described(value) -> str:
    return (f"shape {value.shape}" if isinstance(value, np.ndarray)
            else f"{type(value).__name__}")
