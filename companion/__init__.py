"""companion: the NumPy implementations behind the deep-learning course.

Every algorithm of the course lives here, tested against numerical gradients and a Keras twin.
Importing the package loads NumPy only; Keras, matplotlib and ipywidgets are imported by the
functions that need them (``companion.reference``, ``companion.plots``, ``companion.widgets``).

Submodules: activations, losses, initializers, regularizers, layers, model, optim, train,
metrics, gradcheck, data, reference (Keras twins), plots, widgets, and one module per later
chapter's idea.
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
