"""Layers: forward/backward pairs holding Keras-layout weights."""
from companion.nn.layers.base import Layer
from companion.nn.layers.dense import Dense, dense_backward, dense_forward
from companion.nn.layers.dropout import Dropout, dropout_backward, dropout_forward

__all__ = ["Layer", "Dense", "dense_forward", "dense_backward"]
__all__ += ["Dropout", "dropout_forward", "dropout_backward"]
from companion.nn.layers.gru import GRU, gru_step_backward, gru_step_forward
from companion.nn.layers.lstm import LSTM, lstm_step_backward, lstm_step_forward

__all__ += ["GRU", "gru_step_forward", "gru_step_backward",
            "LSTM", "lstm_step_forward", "lstm_step_backward"]
from companion.nn.layers.batchnorm import BatchNormalization, batchnorm_backward, batchnorm_forward

__all__ += ["BatchNormalization", "batchnorm_forward", "batchnorm_backward"]
from companion.nn.layers.recurrent import (SimpleRNN, rnn_backward, rnn_forward, rnn_step_backward,
                                           rnn_step_forward)

__all__ += ["SimpleRNN", "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]
from companion.nn.layers.conv import Conv2D, conv2d_backward, conv2d_forward
from companion.nn.layers.inception import InceptionModule
from companion.nn.layers.pool import AveragePooling2D, Flatten, MaxPooling2D
from companion.nn.layers.residual import PlainBlock, ResidualBlock

__all__ += ["Conv2D", "conv2d_forward", "conv2d_backward", "MaxPooling2D", "AveragePooling2D",
            "Flatten", "ResidualBlock", "PlainBlock", "InceptionModule"]
from companion.nn.layers.activation import Activation

__all__ += ["Activation"]
from companion.nn.layers.embedding import Embedding, embedding_backward, embedding_forward

__all__ += ["Embedding", "embedding_forward", "embedding_backward"]
from companion.nn.layers.bidirectional import Bidirectional

__all__ += ["Bidirectional"]
