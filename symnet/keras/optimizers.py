"""``keras.optimizers``: symnet.nn's optimizers by Keras' names."""

from __future__ import annotations

from symnet.nn.optimizers import (  # noqa: F401
    SGD, Adadelta, Adagrad, Adam, AdamW, Nadam, Optimizer, RMSprop, get,
)
from symnet.keras import schedules  # noqa: F401,E402
from symnet.unsupported import module_getattr

__getattr__ = module_getattr(__name__)
