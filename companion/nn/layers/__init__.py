"""Layers: forward/backward pairs holding Keras-layout weights, one file per layer family.

Every layer: ``build(input_shape, rng)``, ``forward(x, training=False)``, ``backward(dout)``,
``params``/``grads`` dicts, ``get_weights``/``set_weights`` in Keras order, a ``dtype``.
Pure functions: ``name_forward(x, params..., ...) -> (out, cache)`` and
``name_backward(dout, cache) -> (dx, grads)``.
"""
from companion.nn.layers.activation import Activation, activation_backward, activation_forward
from companion.nn.layers.attention import (
    BahdanauAttention,
    LayerNormalization,
    MultiHeadAttention,
    additive_attention_backward,
    additive_attention_forward,
    layer_norm_backward,
    layer_norm_forward,
    multi_head_attention_backward,
    multi_head_attention_forward,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from companion.nn.layers.base import Layer
from companion.nn.layers.batchnorm import BatchNormalization, batchnorm_backward, batchnorm_forward
from companion.nn.layers.bidirectional import Bidirectional
from companion.nn.layers.composite import Block
from companion.nn.layers.conv import Conv2D, conv2d_backward, conv2d_forward
from companion.nn.layers.dense import Dense, dense_backward, dense_forward
from companion.nn.layers.dropout import Dropout, dropout_backward, dropout_forward
from companion.nn.layers.embedding import Embedding, embedding_backward, embedding_forward
from companion.nn.layers.gru import GRU, gru_step_backward, gru_step_forward
from companion.nn.layers.inception import InceptionModule
from companion.nn.layers.lstm import LSTM, lstm_step_backward, lstm_step_forward
from companion.nn.layers.pool import AveragePooling2D, Flatten, MaxPooling2D
from companion.nn.layers.recurrent import (
    SimpleRNN,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from companion.nn.layers.residual import PlainBlock, ResidualBlock
from companion.nn.layers.transformer import DecoderBlock, PositionalEmbedding, TransformerBlock

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_architecture.py checks)
           "Activation", "AveragePooling2D", "BahdanauAttention", "BatchNormalization",
           "Bidirectional", "Block", "Conv2D", "DecoderBlock", "Dense", "Dropout",
           "Embedding", "Flatten", "GRU", "InceptionModule", "LSTM", "Layer",
           "LayerNormalization", "MaxPooling2D", "MultiHeadAttention", "PlainBlock",
           "PositionalEmbedding", "ResidualBlock", "SimpleRNN", "TransformerBlock",
           "activation_backward", "activation_forward", "additive_attention_backward",
           "additive_attention_forward", "batchnorm_backward", "batchnorm_forward",
           "conv2d_backward", "conv2d_forward", "dense_backward", "dense_forward",
           "dropout_backward", "dropout_forward", "embedding_backward",
           "embedding_forward", "gru_step_backward", "gru_step_forward",
           "layer_norm_backward", "layer_norm_forward", "lstm_step_backward",
           "lstm_step_forward", "multi_head_attention_backward",
           "multi_head_attention_forward", "rnn_backward", "rnn_forward",
           "rnn_step_backward", "rnn_step_forward",
           "scaled_dot_product_attention_backward",
           "scaled_dot_product_attention_forward"]
