"""Layers: forward/backward pairs holding Keras-layout weights."""
from .base import Layer
from .dense import Dense, dense_backward, dense_forward
from .dropout import Dropout, dropout_backward, dropout_forward

__all__ = ["Layer", "Dense", "dense_forward", "dense_backward"]
__all__ += ["Dropout", "dropout_forward", "dropout_backward"]
from .gru import GRU, gru_step_backward, gru_step_forward
from .lstm import LSTM, lstm_step_backward, lstm_step_forward

__all__ += ["GRU", "gru_step_forward", "gru_step_backward",
            "LSTM", "lstm_step_forward", "lstm_step_backward"]
from .batchnorm import BatchNormalization, batchnorm_backward, batchnorm_forward

__all__ += ["BatchNormalization", "batchnorm_forward", "batchnorm_backward"]
from .recurrent import SimpleRNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__all__ += ["SimpleRNN", "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]
from .conv import Conv2D, conv2d_backward, conv2d_forward
from .pool import AveragePooling2D, Flatten, MaxPooling2D
from .residual import PlainBlock, ResidualBlock
from .inception import InceptionModule

__all__ += ["Conv2D", "conv2d_forward", "conv2d_backward", "MaxPooling2D", "AveragePooling2D",
            "Flatten", "ResidualBlock", "PlainBlock", "InceptionModule"]
from .activation import Activation

__all__ += ["Activation"]
from .embedding import Embedding, embedding_backward, embedding_forward

__all__ += ["Embedding", "embedding_forward", "embedding_backward"]
from .bidirectional import Bidirectional

__all__ += ["Bidirectional"]
