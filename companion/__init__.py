"""companion: the NumPy implementations behind the deep-learning course.

Every algorithm of the course lives here, tested against numerical gradients and a Keras twin.
Importing the package loads NumPy only; Keras, matplotlib and ipywidgets are imported by the
functions that need them (``companion.reference``, ``companion.plots``, ``companion.widgets``).

Modules, by chapter (import them as ``from companion import perceptron`` etc.):

- core: errors, activations, losses, initializers, regularizers, layers (dense, activation,
  dropout, batchnorm, conv, pool, composite/residual/inception, recurrent/gru/lstm,
  bidirectional, embedding), model (Sequential), optim, train, metrics, gradcheck, data,
  reference (Keras twins), plots, widgets (Explorer), display (show_source), exercises, course
- 01-03: perceptron, gradient_descent, shallow
- 04: deep, sparsity, bias_variance, augment, ensemble, init_stats, input_scaling,
  regularization_explorer
- 05-06: optim_notes, optim_check, ewa, surfaces, optim_explorer, batch_timing, hyperparams,
  bn_study
- 07-08: cnn
- 09-11: text, sequences, language_model, notes_gru, rnn_checks, long_range, reservoir
- 12: embeddings, skipgram, word_categories, embedding_plots
"""
from . import activations, data, gradcheck, initializers, layers, losses, metrics, optim
from . import regularizers, train
from .errors import DivergenceError
from .gradcheck import numerical_gradient, rel_error
from .layers import Dense
from .model import Sequential
from .train import EarlyStopping, fit

__version__ = "0.1.0"
__all__ = ["activations", "data", "gradcheck", "initializers", "layers", "losses", "metrics",
           "optim", "regularizers", "train", "Dense", "Sequential", "fit", "EarlyStopping",
           "DivergenceError", "numerical_gradient", "rel_error"]
