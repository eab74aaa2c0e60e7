"""Keras twins: the same model in Keras 3, filled with our weights, and its gradients.

Keras is imported here, on first use, never at ``import companion`` time; this subpackage is
the only part of the package that imports it. Every layer's Keras counterpart comes from one
registry, ``TWINS`` (our layer class -> ``builder(layer, keras) -> Keras layer``), Dense
included; a new layer registers its builder with ``@register(MyLayer)``. Optimisers and
learning-rate schedules have their twins here too (``keras_optimizer``, ``keras_schedule``).
Only the public Keras 3 API is used (layers, ops, optimizers, ``Model.stateless_call``) plus
one small gradient helper with a branch per backend, so the cross-checks run under TensorFlow
(the default), JAX or PyTorch, on whatever device that backend sees: set ``KERAS_BACKEND``
before the first import.

    core.py        import_keras, backend, device
    registry.py    TWINS, register, keras_layer, twin, layer_twin, copy_weights, regularizer
    grads.py       gradients, loss_gradients, backward, embedding_gradients, apply_gradients,
                   compare
    optimizers.py  keras_optimizer, keras_schedule
    lockstep.py    train_in_lockstep: ours and Keras trained step by step on the same batches
    attention.py   the twins of MultiHeadAttention, LayerNormalization and the transformer's
                   blocks (registered), block_twin, bahdanau_twin (additive attention)
"""

from companion.keras_twin.attention import bahdanau_twin, block_twin
from companion.keras_twin.attentive_gru import attentive_gru_twin
from companion.keras_twin.core import backend, device, import_keras
from companion.keras_twin.grads import (
    apply_gradients,
    backward,
    compare,
    embedding_gradients,
    gradients,
    loss_gradients,
)
from companion.keras_twin.lockstep import train_in_lockstep
from companion.keras_twin.optimizers import keras_optimizer, keras_schedule
from companion.keras_twin.registry import (
    TWINS,
    build_layer,
    copy_weights,
    keras_layer,
    layer_twin,
    register,
    regularizer,
    twin,
)

__all__ = [
    "TWINS",
    "apply_gradients",
    "attentive_gru_twin",
    "backend",
    "backward",
    "bahdanau_twin",
    "block_twin",
    "build_layer",
    "compare",
    "copy_weights",
    "device",
    "embedding_gradients",
    "gradients",
    "import_keras",
    "keras_layer",
    "keras_optimizer",
    "keras_schedule",
    "layer_twin",
    "loss_gradients",
    "register",
    "regularizer",
    "train_in_lockstep",
    "twin",
]
