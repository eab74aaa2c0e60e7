"""Layers: forward/backward pairs holding Keras-layout weights."""
from .base import Layer
from .dense import Dense, dense_backward, dense_forward

__all__ = ["Layer", "Dense", "dense_forward", "dense_backward"]
