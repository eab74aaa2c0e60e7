"""companion: the NumPy implementations behind the deep-learning course.

Every algorithm of the course lives here, tested against numerical gradients and a Keras twin.
The package is split by role (see ARCHITECTURE.md):

- ``companion.nn``: the library (layers, Sequential, losses, optimisers, fit, gradient checks);
- ``companion.data``: offline datasets, splits and scaling, text, word vectors;
- ``companion.models``: complete models several chapters use (character LM, skip-gram, ESN);
- ``companion.keras_twin``: the only module that imports Keras (each layer's twin);
- ``companion.lab``: plots, the widget Explorer, source display, the course catalogue;
- ``companion.chapters.chNN``: what only one chapter uses;
- ``companion.exercises.chNN``: the checkers of the chapters' build-it exercises.

Importing the package loads NumPy only; Keras, matplotlib and ipywidgets are imported by the
functions that need them.
"""
from companion.nn import (DivergenceError, EarlyStopping, Sequential, fit, numerical_gradient,
                          rel_error)
from companion.nn.layers import Dense

__version__ = "0.1.0"
__all__ = ["Dense", "DivergenceError", "EarlyStopping", "Sequential", "fit", "numerical_gradient",
           "rel_error"]
