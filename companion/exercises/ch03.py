"""Chapter 3 exercise: the backward pass of the shallow network (tanh hidden, sigmoid output)."""

from __future__ import annotations

import numpy as np

from companion.exercises import feedback, run_check

MISTAKES = {"no_activation_derivative": "you forgot to multiply dA1 by tanh'(Z1) = 1 - A1^2",
            "forgot_mean": "you forgot to divide dZ2 by the number of examples N",
            "bias_mean": "the bias gradients are sums over examples (dZ already carries 1/N), "
                         "not means"}


def check_backward(backward) -> bool:
    """``backward(X, Y, params) -> {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``."""
    from companion.chapters import ch03 as shallow

    def run(*_):
        rng = np.random.default_rng(3)
        X = rng.standard_normal((7, 3))
        Y = rng.integers(0, 2, (7, 1)).astype(float)
        params = shallow.init_params(3, 5, 1, rng, scale=1.0)
        _, cache = shallow.forward(X, params, "tanh")
        want = shallow.backward(params, cache, Y, "tanh")
        got = backward(X, Y, {k: v.copy() for k, v in params.items()})
        for k in shallow.PARAM_NAMES:
            if k not in got:
                return feedback(False, "shallow backward", f"no gradient for {k!r}")
            g = np.asarray(got[k], dtype=float)
            if g.shape != want[k].shape:
                return feedback(False, "shallow backward", f"d{k} has shape {g.shape}, expected "
                                f"{want[k].shape} (the shape of {k})")
        if all(np.allclose(got[k], want[k]) for k in shallow.PARAM_NAMES):
            return feedback(True, "shallow backward matches the package for every parameter")
        for bug, hint in MISTAKES.items():
            buggy = shallow.backward(params, cache, Y, "tanh", bug=bug)
            if all(np.allclose(got[k], buggy[k]) for k in shallow.PARAM_NAMES):
                return feedback(False, "shallow backward", hint)
        wrong = [k for k in shallow.PARAM_NAMES if not np.allclose(got[k], want[k])]
        return feedback(False, "shallow backward", f"gradients differ for {', '.join(wrong)}")
    return run_check("shallow backward", run)
