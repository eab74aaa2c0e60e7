"""The simple recurrent layer: a<t> = g(x<t> Wx + a<t-1> Wh + b), run over the time axis.

The notes write the cell with column vectors, one example at a time:

    a<t> = g1(Waa a<t-1> + Wax x<t> + ba)        Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1)
    y<t> = g2(Wya a<t> + by)                     Wya (n_y, n_a), by (n_y, 1)

We store a batch as rows (N, T, D), batch first, and the weights in Keras' layout, so that the
same arrays go into ``keras.layers.SimpleRNN.set_weights`` unchanged:

    kernel = Wax.T (n_x, n_a)    recurrent_kernel = Waa.T (n_a, n_a)    bias = ba.ravel() (n_a,)
    a<t> (N, n_a) = g1(x<t> @ kernel + a<t-1> @ recurrent_kernel + bias)

(each row of ours is the transpose of one of the notes' columns: (W a)^T = a^T W^T). The output
y<t> = g2(Wya a<t> + by) is a ``Dense(n_y, "softmax")`` applied to the (N, T, n_a) sequence of
states, with Dense.kernel = Wya.T.

Interface shared by every recurrent layer of the package (SimpleRNN here, GRU and LSTM in
chapter 11), which is what ``companion.models.char_lm`` relies on:

    layer.forward(x (N, T, D), training=False, initial_state=None)
        -> (N, T, units) if return_sequences else (N, units); sets ``layer.final_state``
           (the state to pass as ``initial_state`` to carry on: here an (N, units) array)
    layer.backward(dout) -> dx (N, T, D); fills ``layer.grads`` and ``layer.dinitial_state``

With ``return_state=True`` (Keras' option) ``forward`` returns ``[output, h_T]`` and ``backward``
takes ``[dout, dh_T]`` (either may be None), as the chapter-11 layers do.
"""

from __future__ import annotations

import numpy as np

from companion.nn import activations, initializers
from companion.nn.layers.base import Layer
from companion.nn.layers.rnn_base import (
    batch_first,
    input_gradients,
    project_inputs,
    recurrent_gradient,
    time_major,
    with_final_gradient,
)
from companion.nn.threads import blas_threads
from companion.nn.shape_checks import check_cache, check_dims, check_dout
from companion.nn.validation import as_array, check_bool, check_int, check_shape


def rnn_step_forward(x_t, h_prev, Wx, Wh, b, activation: str = "tanh"):
    """One time step for a batch: h = g(x_t Wx + h_prev Wh + b).

    x_t: (N, D); h_prev: (N, H); Wx: (D, H); Wh: (H, H); b: (H,). Returns (h (N, H), cache).
    """
    (x_t, h_prev, Wx, Wh, b), _ = check_dims("rnn_step_forward", x_t=(x_t, "N D"), h_prev=(
        h_prev, "N H"), Wx=(Wx, "D H"), Wh=(Wh, "H H"), b=(b, "H"))
    z = x_t @ Wx + h_prev @ Wh + b                             # (N, H)
    h = activations.forward(activation, z)
    return h, (x_t, h_prev, Wx, Wh, z, h, activation)


def rnn_step_backward(dh, cache):
    """Gradients of one step given dL/dh (N, H).

    Returns ((dx_t (N, D), dh_prev (N, H)), (dWx (D, H), dWh (H, H), db (H,))).
    """
    x_t, h_prev, Wx, Wh, z, h, activation = check_cache(cache, "cache", 7, "rnn_step_forward")
    dh = check_dout(dh, h.shape, "dh")
    dz = activations.backward(activation, dh, z, h)            # tanh: dh * (1 - h**2)
    return (dz @ Wx.T, dz @ Wh.T), (x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0))


def rnn_forward(x, h0, Wx, Wh, b, activation: str = "tanh"):
    """Run the cell over all T steps. x: (N, T, D); h0: (N, H).

    Returns (h (N, T, H), cache). The inputs of every step are projected in one matrix
    product first (x W + b for all t), so the loop only does the recurrence h_{t-1} Wh.
    """
    (x, h0, Wx, Wh, b), _ = check_dims("rnn_forward", x=(x, "N T D"), h0=(h0, "N H"),
                                       Wx=(Wx, "D H"), Wh=(Wh, "H H"), b=(b, "H"))
    activations.get(activation)                                # an unknown name fails here
    xw, xt = project_inputs(x, Wx, b)                          # (T, N, H)
    hs = np.empty_like(xw)
    h = h0.astype(xw.dtype, copy=False)
    for t, z in enumerate(xw):                                 # z (N, H): step t's x W + b
        z += h @ Wh                                            # pre-activation, kept in xw
        h = hs[t] = activations.forward(activation, z)
    return batch_first(hs), (x.shape, xt, Wx, Wh, xw, hs, h0, activation)


def rnn_backward(dh, cache):
    """Backpropagation through time.

    dh: (N, T, H), the gradient of the loss with respect to every state h<t> *from above*
    (the outputs); the gradient flowing back through h<t+1> is added step by step.
    Returns ((dx (N, T, D), dh0 (N, H)), (dWx, dWh, db)): the weight gradients are sums over
    time, because the same weights are used at every step; each is one matrix product over
    all steps after the loop.
    """
    shape, xt, Wx, Wh, zs, hs, h0, activation = check_cache(cache, "cache", 8, "rnn_forward")
    T, N, H = hs.shape
    dh = check_dout(dh, (N, T, H), "dh")
    dh = time_major(dh)
    dz = np.empty_like(hs)
    dnext = np.zeros((N, H), dtype=hs.dtype)                   # dL/dh<t> from step t+1
    Wht = np.ascontiguousarray(Wh.T)
    for t in reversed(range(T)):
        dz[t] = activations.backward(activation, dh[t] + dnext, zs[t], hs[t])
        dnext = dz[t] @ Wht
    dWh = recurrent_gradient(h0, hs, dz)
    dx, dWx, db = input_gradients(dz, xt, Wx, shape)
    return (dx, dnext), (dWx, dWh, db)


class SimpleRNN(Layer):
    """SimpleRNN(units, activation="tanh", return_sequences=False): Keras' layer of that name.

    Parameters (Keras order): ``kernel`` (D, units), ``recurrent_kernel`` (units, units),
    ``bias`` (units,). Input shape: (N, T, D). Output shape: (N, T, units) with
    ``return_sequences`` else (N, units) (the last state). The initial state is zeros unless
    ``initial_state`` (N, units) is given; its gradient is ``dinitial_state`` after backward.
    """

    def __init__(self, units: int, activation: str = "tanh", return_sequences: bool = False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_state: bool = False, name: str | None = None,
                 dtype="float64"):
        super().__init__(name, dtype)
        self.units = check_int(units, f"{type(self).__name__}: units")
        self.activation = activations.get(activation).name
        self.return_sequences = check_bool(return_sequences, "SimpleRNN: return_sequences")
        self.return_state = check_bool(return_state, "SimpleRNN: return_state")
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.recurrent_initializer = initializers.get(recurrent_initializer,
                                                      "recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.final_state = None
        self.dinitial_state = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: expected inputs of shape (N, T, D), so input_shape "
                             f"(T, D); got input_shape {tuple(input_shape)}")
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def build(self, input_shape, rng=None):
        D, H = input_shape[-1], self.units
        self.params = {}
        self.add_weight("kernel", self.kernel_initializer((D, H), rng))
        self.add_weight("recurrent_kernel", self.recurrent_initializer((H, H), rng))
        self.add_weight("bias", self.bias_initializer((H,), rng))
        return super().build(input_shape, rng)

    def _initial_state(self, x, initial_state):
        N = x.shape[0]
        if initial_state is None:
            return np.zeros((N, self.units), dtype=self.dtype)
        h0 = as_array(initial_state, f"{self.name}: initial_state")
        check_shape(h0, (N, self.units), f"{self.name}: initial_state")
        return h0.astype(self.dtype, copy=False)

    def forward(self, x, training=False, initial_state=None):
        self._require_built()
        x = self._check_input(x)
        if x.shape[1] < 1:
            raise ValueError(f"{self.name}: x has shape {x.shape}: a sequence needs T >= 1 steps")
        h0 = self._initial_state(x, initial_state)
        p = self.params
        with blas_threads(1):                                  # small products in a loop
            h, cache = rnn_forward(x, h0, p["kernel"], p["recurrent_kernel"], p["bias"],
                                   self.activation)
        self._cache = (cache, h.shape)
        self.final_state = h[:, -1]
        out = h if self.return_sequences else h[:, -1]
        return [out, self.final_state] if self.return_state else out

    def backward(self, dout):
        cache, shape = self._cache
        dstate = None
        if self.return_state:
            dout, dstate = dout
        dhs, dlast = None, None
        if dout is not None:
            dout = as_array(dout, f"{self.name}: dout")
            check_shape(dout, shape if self.return_sequences else (shape[0], shape[2]),
                        f"{self.name}: dout")
            dhs, dlast = (dout, None) if self.return_sequences else (None, dout)
        if dstate is not None:
            check_shape(as_array(dstate, f"{self.name}: dstate"), (shape[0], shape[2]),
                        f"{self.name}: dstate")
            dlast = dstate if dlast is None else dlast + dstate
        if dhs is not None:
            dhs = np.asarray(dhs, dtype=self.dtype)
        dh = with_final_gradient(dhs, dlast, shape, self.dtype)   # never writes into dout
        with blas_threads(1):
            (dx, dh0), (dWx, dWh, db) = rnn_backward(dh, cache)
        self.grads = {"kernel": dWx, "recurrent_kernel": dWh, "bias": db}
        self.dinitial_state = dh0
        return dx

    def __repr__(self):
        seq = ", return_sequences=True" if self.return_sequences else ""
        return f"SimpleRNN({self.units}, activation={self.activation!r}{seq})"
