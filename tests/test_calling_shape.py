"""One calling shape for every pure pair of the library (issue 22), as ARCHITECTURE.md states:

    out, cache = name_forward(inputs..., params..., options...)
    dinputs, grads = name_backward(dout, cache)

``grads`` is always a tuple in the order of the parameters (empty when there are none);
``dinputs`` is the input's gradient, a tuple when there are several inputs, None when the only
inputs are integer ids. The static test finds every ``*_backward`` of ``companion.nn`` and
``companion.models``; the dynamic one runs each pair it knows on small inputs.
"""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import companion.models
import companion.nn
from companion.models import skipgram
from companion.nn.layers import (
    activation,
    attentive_gru,
    batchnorm,
    conv,
    dense,
    dropout,
    embedding,
    gru,
    lstm,
    pool,
    recurrent,
)


def backward_functions():
    found = {}
    for pkg in (companion.nn, companion.models):
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            module = importlib.import_module(m.name)
            for name, fn in vars(module).items():
                if (name.endswith("_backward") and not name.startswith("_")
                        and inspect.isfunction(fn) and fn.__module__ == module.__name__):
                    found[f"{module.__name__}.{name}"] = fn
    return found


def test_there_are_backward_functions_to_check():
    assert len(backward_functions()) >= 20


@pytest.mark.parametrize("qualname", sorted(backward_functions()))
def test_every_backward_takes_dout_and_cache(qualname):
    fn = backward_functions()[qualname]
    required = [p for p in inspect.signature(fn).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(required) == 2, (f"{qualname}{inspect.signature(fn)}: a backward takes "
                                "(dout, cache) and nothing else that is required")


def _differentiable(result, n):
    """A forward whose outputs after the first ``n`` are not differentiated (attention weights)."""
    out, cache = result
    return out[:n], cache


rng = np.random.default_rng(0)
r = rng.standard_normal
PAIRS = {   # name -> (forward call, dout shape or None for "like the output", parameters)
    "dense": (lambda: dense.dense_forward(r((2, 3)), r((3, 4)), r(4)), 2),
    "activation": (lambda: activation.activation_forward(r((2, 3)), "tanh"), 0),
    "dropout": (lambda: dropout.dropout_forward(r((2, 3)), np.ones((2, 3)), 0.5), 0),
    "batchnorm": (lambda: batchnorm.batchnorm_forward(r((4, 3)), np.ones(3), np.zeros(3)), 2),
    "batchnorm_inference": (lambda: batchnorm.batchnorm_inference(
        r((4, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)), 2),
    "embedding": (lambda: embedding.embedding_forward(np.array([[1, 2]]), r((5, 3))), 1),
    "max_pool": (lambda: pool.max_pool_forward(r((1, 4, 4, 2))), 0),
    "avg_pool": (lambda: pool.avg_pool_forward(r((1, 4, 4, 2))), 0),
    "conv2d": (lambda: conv.conv2d_forward(r((1, 4, 4, 2)), r((3, 3, 2, 2)), r(2)), 2),
    "conv2d_naive": (lambda: conv.conv2d_forward_naive(r((1, 4, 4, 2)), r((3, 3, 2, 2)), r(2)),
                     2),
    "rnn_step": (lambda: recurrent.rnn_step_forward(r((2, 3)), r((2, 4)), r((3, 4)),
                                                    r((4, 4)), r(4)), 3),
    "rnn": (lambda: recurrent.rnn_forward(r((2, 5, 3)), r((2, 4)), r((3, 4)), r((4, 4)), r(4)),
            3),
    "gru_step": (lambda: gru.gru_step_forward(r((2, 3)), r((2, 4)), r((3, 12)), r((4, 12)),
                                              r((2, 12))), 3),
    "gru": (lambda: gru.gru_forward(r((2, 5, 3)), r((2, 4)), r((3, 12)), r((4, 12)),
                                    r((2, 12))), 3),
    "lstm_step": (lambda: lstm.lstm_step_forward(r((2, 3)), r((2, 4)), r((2, 4)), r((3, 16)),
                                                 r((4, 16)), r(16)), 3),
    "lstm": (lambda: lstm.lstm_forward(r((2, 5, 3)), r((2, 4)), r((2, 4)), r((3, 16)),
                                       r((4, 16)), r(16)), 3),
    "attentive_gru": (lambda: _differentiable(attentive_gru.attentive_gru_forward(
        r((2, 3, 5)), r((2, 4)), r((2, 6, 4)), None,
        {"kernel": r((9, 12)), "recurrent_kernel": r((4, 12)), "bias": r((2, 12))}, {}, "dot"),
        2), 3),
    "sgns": (lambda: skipgram.sgns_forward(r((6, 3)), r((6, 3)), np.array([0, 1]),
                                           np.array([2, 3]), np.array([[4], [5]])), 2),
}
BACKWARD = {"dense": dense.dense_backward, "activation": activation.activation_backward,
            "dropout": dropout.dropout_backward, "batchnorm": batchnorm.batchnorm_backward,
            "batchnorm_inference": batchnorm.batchnorm_inference_backward,
            "embedding": embedding.embedding_backward, "max_pool": pool.max_pool_backward,
            "avg_pool": pool.avg_pool_backward, "conv2d": conv.conv2d_backward,
            "conv2d_naive": conv.conv2d_backward_naive, "rnn_step": recurrent.rnn_step_backward,
            "rnn": recurrent.rnn_backward, "gru_step": gru.gru_step_backward,
            "gru": gru.gru_backward, "lstm_step": lstm.lstm_step_backward,
            "lstm": lstm.lstm_backward, "sgns": skipgram.sgns_backward,
            "attentive_gru": attentive_gru.attentive_gru_backward}


def like(out):
    if isinstance(out, tuple):
        return tuple(like(o) for o in out)
    return np.ones_like(out) if isinstance(out, np.ndarray) else 1.0


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_backward_returns_dinputs_and_a_tuple_of_grads(name):
    forward, n_params = PAIRS[name]
    out, cache = forward()
    result = BACKWARD[name](like(out), cache)
    assert isinstance(result, tuple) and len(result) == 2, "returns (dinputs, grads)"
    dinputs, grads = result
    assert isinstance(grads, tuple) and len(grads) == n_params
    assert all(g is None or isinstance(g, np.ndarray) for g in grads)
    assert dinputs is None or isinstance(dinputs, np.ndarray) or (
        isinstance(dinputs, tuple) and all(isinstance(d, np.ndarray) for d in dinputs))
