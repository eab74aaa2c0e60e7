"""Bidirectional(layer): one copy of a recurrent layer reads x left to right, another right to
left, and their outputs are merged (Keras' wrapper of the same name).

    out_f = forward_layer(x)                      a^{->}_t sees x_1..x_t
    out_b = reverse_t(backward_layer(reverse_t(x)))   a^{<-}_t sees x_t..x_T
    out   = concat([out_f, out_b], axis=-1)        merge_mode "concat" (or "sum", "ave", "mul")

Because out_b at step t depends on every later input, the whole sequence must be known before
the first output exists: fine for tagging a finished sentence, not for live speech.

Parameters (Keras ``get_weights()`` order): the forward layer's, then the backward layer's, named
``forward_<name>`` and ``backward_<name>``. Works with any of our recurrent layers (SimpleRNN,
GRU, LSTM). With ``layer.return_state=True`` (GRU/LSTM) ``forward`` returns
``[out, *forward_states, *backward_states]`` as Keras does, and ``backward`` takes the
matching list; ``initial_state`` is the list of forward states followed by the backward ones.
Input shape: (N, T, D). Output: (N, T, 2u) or (N, 2u) for concat, u for the other modes.
"""

from __future__ import annotations

import copy

import numpy as np

from companion.nn.layers.base import Layer

MERGE_MODES = ("concat", "sum", "ave", "mul")


class Bidirectional(Layer):
    """Bidirectional(layer, merge_mode="concat"): see the module docstring. ``dtype`` (default:
    the wrapped layer's) is passed down to both copies."""

    def __init__(self, layer: Layer, merge_mode: str = "concat", name: str | None = None,
                 dtype=None):
        if not isinstance(layer, Layer) or not hasattr(layer, "return_sequences") or \
                not hasattr(layer, "units"):
            raise TypeError(f"Bidirectional wraps a recurrent layer, got {type(layer).__name__}")
        super().__init__(name or f"bidirectional_{layer.name}",
                         dtype if dtype is not None else layer.dtype)
        if dtype is not None:
            layer._set_dtype(dtype)
        if not isinstance(merge_mode, str) or merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {MERGE_MODES}, "
                             f"got {merge_mode!r}")
        if getattr(layer, "go_backwards", False):
            raise ValueError("Bidirectional: pass the layer with go_backwards=False; the "
                             "wrapper reverses the sequence for its backward copy itself")
        self.layer = layer
        self.merge_mode = merge_mode
        self.forward_layer = layer
        self.backward_layer = copy.deepcopy(layer)
        self.forward_layer.name, self.backward_layer.name = "forward", "backward"
        self.return_sequences = layer.return_sequences
        self.return_state = getattr(layer, "return_state", False)
        self.units = layer.units * (2 if merge_mode == "concat" else 1)

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        return shape[:-1] + (self.units,)

    def build(self, input_shape, rng=None):
        self.forward_layer.build(input_shape, rng)
        self.backward_layer.build(input_shape, rng)
        self.params = {f"{side}_{k}": v for side, sub in self._sides()
                       for k, v in sub.params.items()}
        return super().build(input_shape, rng)

    def _sides(self):
        return (("forward", self.forward_layer), ("backward", self.backward_layer))

    def _push_params(self):
        """The sublayers compute with our arrays (an optimiser or set_weights may replace them)."""
        for side, sub in self._sides():
            sub.params = {k: self.params[f"{side}_{k}"] for k in sub.params}

    def _reverse(self, out):
        return out[:, ::-1] if self.return_sequences else out

    # -- passes ---------------------------------------------------------------------------
    def forward(self, x, training=False, initial_state=None):
        if not self.built:
            raise RuntimeError(f"{self.name}: build(input_shape, rng) the layer first")
        x = self._check_input_sequence(x)
        self._push_params()
        init_f = init_b = None
        if initial_state is not None:
            states = list(initial_state)
            if len(states) % 2:
                raise ValueError(f"{self.name}: initial_state lists the forward layer's states "
                                 f"then the backward layer's: an even number, got {len(states)}")
            half = len(states) // 2
            init_f, init_b = states[:half], states[half:]
            if half == 1:
                init_f, init_b = init_f[0], init_b[0]
        of = self.forward_layer.forward(x, training, initial_state=init_f)
        ob = self.backward_layer.forward(x[:, ::-1], training, initial_state=init_b)
        sf = sb = []
        if self.return_state:
            (of, *sf), (ob, *sb) = of, ob
        ob = self._reverse(ob)
        self._cache = (of, ob)
        if self.merge_mode == "concat":
            out = np.concatenate([of, ob], axis=-1)
        elif self.merge_mode == "sum":
            out = of + ob
        elif self.merge_mode == "ave":
            out = (of + ob) / 2
        else:
            out = of * ob
        return [out, *sf, *sb] if self.return_state else out

    def _check_input_sequence(self, x):
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[2] != self.input_shape[-1]:
            raise ValueError(f"{self.name}: x has shape {x.shape}, expected (N, T, "
                             f"{self.input_shape[-1]})")
        return x

    def backward(self, dout):
        dstates_f = dstates_b = []
        if self.return_state:
            dout, *dstates = dout
            half = len(dstates) // 2
            dstates_f, dstates_b = dstates[:half], dstates[half:]
        of, ob = self._cache
        dout = np.asarray(dout)
        if dout.shape[-1] != self.units or dout.shape[:-1] != of.shape[:-1]:
            raise ValueError(f"{self.name}: dout has shape {dout.shape}, expected "
                             f"{of.shape[:-1] + (self.units,)}")
        u = of.shape[-1]
        if self.merge_mode == "concat":
            df, db = dout[..., :u], dout[..., u:]
        elif self.merge_mode == "sum":
            df = db = dout
        elif self.merge_mode == "ave":
            df = db = dout / 2
        else:
            df, db = dout * ob, dout * of
        db = self._reverse(db)
        if self.return_state:
            df, db = [df, *dstates_f], [db, *dstates_b]
        dx = self.forward_layer.backward(df) + self.backward_layer.backward(db)[:, ::-1]
        self.grads = {f"{side}_{k}": g for side, sub in self._sides()
                      for k, g in sub.grads.items()}
        return dx

    @property
    def final_state(self):
        """[forward state(s)..., backward state(s)...] after ``forward``."""
        return _as_list(self.forward_layer.final_state) + _as_list(self.backward_layer.final_state)

    @property
    def dinitial_state(self):
        return (_as_list(self.forward_layer.dinitial_state)
                + _as_list(self.backward_layer.dinitial_state))

    def regularization_loss(self):
        return self.forward_layer.regularization_loss() + \
            self.backward_layer.regularization_loss()

    def __repr__(self):
        return f"Bidirectional({self.layer!r})"


def _as_list(state):
    if state is None:
        return []
    return list(state) if isinstance(state, list) else [state]
