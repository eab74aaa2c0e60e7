"""Chapter 4, section 8: vanishing and exploding signals in a deep ReLU network at
initialisation, ours and Keras', against the theory.
"""

from __future__ import annotations

import numpy as np

from companion.nn.validation import rng_from

from .network import deep_network


INITS = ("zeros", "standard_normal", "small_random", "glorot_uniform", "he_normal")


def layer_statistics(model, x, dout=None, seed=0) -> dict:
    """Forward ``x`` through ``model`` and backpropagate ``dout`` (random N(0,1) if None).

    Returns arrays (one value per Dense layer, first layer first): ``act_std`` (std of each
    layer's output activations), ``grad_std`` (std of dL/dW for each kernel) and
    ``weight_std`` (std of each kernel).
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = model.forward(x, training=False)
        acts = [layer._cache[2] for layer in model.layers if "kernel" in layer.params]
        if dout is None:
            dout = rng_from(seed).standard_normal(out.shape)
        model.backward(dout)
    dense = [layer for layer in model.layers if "kernel" in layer.params]
    return {"act_std": np.array([np.std(a) for a in acts]),
            "grad_std": np.array([np.std(layer.grads["kernel"]) for layer in dense]),
            "weight_std": np.array([np.std(layer.params["kernel"]) for layer in dense])}


def deep_relu(initializer, depth: int = 50, width: int = 100, n_in: int = 100, seed=0):
    """``depth`` ReLU Dense layers of ``width`` units (no output non-linearity on the last)."""
    sizes = [n_in] + [width] * depth
    return deep_network(sizes, activations="relu", output_activation="relu",
                        initializer=initializer, seed=seed)


def compare_initializers(inits=INITS, depth: int = 50, width: int = 100, n: int = 256,
                         seed=0) -> dict:
    """``layer_statistics`` of a deep ReLU stack for each initialiser, on the same N(0,1) input."""
    x = rng_from(seed).standard_normal((n, width))
    return {name: layer_statistics(deep_relu(name, depth, width, width, seed), x, seed=seed)
            for name in inits}


def keras_statistics(keras, initializer: str, depth: int = 50, width: int = 100, n: int = 256,
                     seed=0) -> np.ndarray:
    """Per-layer activation std of the same ReLU stack built in Keras with a Keras initialiser
    (e.g. "he_normal", "glorot_uniform"), on the same input as ``compare_initializers``."""
    x = rng_from(seed).standard_normal((n, width)).astype("float32")
    inputs = keras.Input(shape=(width,))
    h, outs = inputs, []
    for i in range(depth):
        init = keras.initializers.get({"class_name": initializer, "config": {"seed": seed + i}})
        h = keras.layers.Dense(width, activation="relu", kernel_initializer=init)(h)
        outs.append(h)
    model = keras.Model(inputs, outs)
    return np.array([np.std(np.asarray(a)) for a in model(x)])


def predicted_act_std(weight_var: float, n_in: int, depth: int, x_second_moment: float = 1.0):
    """The theory above: std of a ReLU stack's activations at each layer (layer 1 first)."""
    layers = np.arange(1, depth + 1)
    second = x_second_moment * (n_in * weight_var / 2) ** layers      # E[a^2]
    # for a rectified Gaussian, Var(a) = E[a^2] (1 - 1/pi)
    return np.sqrt(second * (1 - 1 / np.pi))
