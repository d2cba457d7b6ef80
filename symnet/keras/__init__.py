"""Keras' module layout over ``symnet.nn``: ``import symnet.keras as keras`` is the one change a
Keras example needs (``keras.Input``, ``keras.Model``, ``keras.Sequential``, ``keras.layers``,
``keras.models``, ``keras.optimizers``, ``keras.losses``, ``keras.callbacks``, ``keras.utils``).
A Keras name symnet does not support raises an error that says so."""

from __future__ import annotations

from symnet.keras import callbacks, layers, losses, metrics, models, optimizers, regularizers, utils
from symnet.keras.models import Model, Sequential
from symnet.nn.layers import Input
from symnet.unsupported import module_getattr

__all__ = ["Input", "Model", "Sequential", "callbacks", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils"]
__getattr__ = module_getattr(__name__)
