"""The library the chapters build on: layers, the Sequential model, losses, activations,
initialisers, regularisers, optimisers and schedules, the training loop, gradient checks and
metrics, the callbacks. It imports NumPy only, and nothing from ``companion.data``, ``models``, ``lab``,
``chapters`` or the Keras twin.

    from companion.nn import Conv2D, Dense, Sequential, fit
"""
from companion.nn import (
    activations,
    callbacks,
    gradcheck,
    initializers,
    layers,
    losses,
    metrics,
    optim,
    regularizers,
    shape_checks,
    train,
    validation,
)
from companion.nn.gradcheck import numerical_gradient, rel_error
from companion.nn.layers import (
    GRU,
    LSTM,
    Activation,
    AveragePooling2D,
    BahdanauAttention,
    BatchNormalization,
    Bidirectional,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    InceptionModule,
    Layer,
    LayerNormalization,
    MaxPooling2D,
    MultiHeadAttention,
    PlainBlock,
    ResidualBlock,
    SimpleRNN,
)
from companion.nn.model import Sequential
from companion.nn.callbacks import Callback, EarlyStopping, Trainable
from companion.nn.train import Supervised, fit, train_loop
from companion.nn.validation import DivergenceError

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_architecture.py checks)
           "Activation", "AveragePooling2D", "BahdanauAttention", "BatchNormalization",
           "Bidirectional", "Callback", "Conv2D", "Dense", "DivergenceError", "Dropout",
           "EarlyStopping", "Embedding", "Flatten", "GRU", "InceptionModule", "LSTM", "Layer",
           "LayerNormalization", "MaxPooling2D", "MultiHeadAttention", "PlainBlock",
           "ResidualBlock", "Sequential", "SimpleRNN", "Supervised", "Trainable", "activations",
           "callbacks", "fit", "gradcheck", "initializers", "layers", "losses", "metrics", "numerical_gradient",
           "optim", "regularizers", "rel_error", "shape_checks", "train", "train_loop",
           "validation"]
