"""``keras.optimizers``: symnet.nn's optimizers by Keras' names."""

from __future__ import annotations

from symnet.nn.optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop, get  # noqa: F401
from symnet.unsupported import module_getattr

__getattr__ = module_getattr(__name__)
