"""Checks of recurrent layers used by the tests and by chapter 11: numerical gradients through
whole sequences (inputs, weights and initial states) and Keras twins fed the same initial states.

Each ``*_check`` returns ``{what: error}``; with ``quiet=False`` it prints one line per entry in
the fixed formats of ``gradcheck.check`` / ``reference.compare`` and raises past the tolerance.
Keras is imported only by the Keras checks.
"""
from __future__ import annotations

import numpy as np

from . import reference
from .gradcheck import numerical_gradient, rel_error


def perturb(layer, rng, scale=0.5):
    """Move the weights away from their initial values (zero biases hide bias bugs)."""
    for k in layer.params:
        layer.params[k] = layer.params[k] + scale * rng.standard_normal(layer.params[k].shape)


def state_list(state):
    return list(state) if isinstance(state, list) else [state]


def sequence_gradient_errors(layer, x, states0, rng):
    """Check dx, every parameter and every initial state of a layer built with
    return_state=True against numerical gradients of sum(out*d0) + sum(state_T * d_i)."""
    outs = layer.forward(x, initial_state=states0)
    douts = [rng.standard_normal(o.shape) for o in outs]
    dx = layer.backward(douts)
    analytic = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}
    analytic.update({f"state{i}": g for i, g in enumerate(state_list(layer.dinitial_state))})

    def f():
        return float(sum(np.sum(o * d) for o, d in
                         zip(layer.forward(x, initial_state=states0), douts)))

    arrays = {"x": x, **layer.params, **{f"state{i}": s for i, s in
                                         enumerate(state_list(states0))}}
    return {k: rel_error(analytic[k], numerical_gradient(f, a)) for k, a in arrays.items()}


def keras_state_check(layer, x, states0, rng, keras=None, tol=1e-5, quiet=True, label=""):
    """Our layer (return_state=True) against its Keras twin fed the same initial states:
    outputs, final states, dx, d(initial states) and weight gradients (float32)."""
    keras = keras or reference.import_keras()
    x = x.astype(np.float32)
    states0 = [s.astype(np.float32) for s in states0]
    T, D = x.shape[1:]
    x_in = keras.Input((T, D))
    s_in = [keras.Input(s.shape[1:]) for s in states0]
    klayer = layer.keras_layer(keras)
    kmodel = keras.Model([x_in, *s_in], klayer(x_in, initial_state=s_in))
    klayer.set_weights(layer.get_weights())
    init = states0 if len(states0) > 1 else states0[0]
    outs = layer.forward(x.astype(np.float64), initial_state=init)
    douts = [rng.standard_normal(o.shape).astype(np.float32) for o in outs]
    dx = layer.backward(douts)
    _, k_outs, k_dxs, k_dw = reference.backward(kmodel, [x, *states0], douts)
    names = ["output"] + [f"final state {i}" for i in range(len(outs) - 1)]
    errs = {n: reference.compare(label + n, o, k, tol, quiet=quiet)
            for n, o, k in zip(names, outs, k_outs)}
    errs["dx"] = reference.compare(label + "dx", dx, k_dxs[0], tol, quiet=quiet)
    for i, (g, kg) in enumerate(zip(state_list(layer.dinitial_state), k_dxs[1:])):
        errs[f"d initial state {i}"] = reference.compare(f"{label}d initial state {i}", g, kg,
                                                         tol, quiet=quiet)
    for k, kg in zip(layer.params, k_dw):
        errs[k] = reference.compare(label + k, layer.grads[k], kg, tol, quiet=quiet)
    return errs


def keras_model_check(model, x, rng, tol=1e-5, quiet=True, label=""):
    """A Sequential of our layers against reference.twin: output, dx and every gradient."""
    kmodel = reference.twin(model)
    out = model.forward(x.astype(np.float64))
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx = model.backward(dout)
    _, k_out, k_dx, k_dw = reference.backward(kmodel, x.astype(np.float32), dout)
    errs = {"output": reference.compare(label + "output", out, k_out, tol, quiet=quiet),
            "dx": reference.compare(label + "dx", dx, k_dx, tol, quiet=quiet)}
    for (name, _), g, kg in zip(model.named_params(), model.grads(), k_dw):
        errs[name] = reference.compare(label + name, g, kg, tol, quiet=quiet)
    return errs
