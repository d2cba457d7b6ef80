"""``keras.callbacks``: symnet.nn's callbacks by Keras' names."""

from __future__ import annotations

from symnet.nn.callbacks import Callback, CSVLogger, EarlyStopping, History, ModelCheckpoint, ReduceLROnPlateau  # noqa: F401
from symnet.unsupported import module_getattr

__getattr__ = module_getattr(__name__)
