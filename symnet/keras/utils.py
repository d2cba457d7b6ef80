"""``keras.utils``: ``to_categorical`` and ``set_random_seed``."""

from __future__ import annotations

import numpy as np

from symnet.nn.functional import set_random_seed  # noqa: F401
from symnet.unsupported import module_getattr


def to_categorical(x, num_classes=None):
    """One-hot rows (float32) of the integer labels ``x``, classes 0 … num_classes - 1 (the
    largest label + 1 by default), as Keras' ``to_categorical``."""
    labels = np.asarray(x)
    if labels.size and (labels.dtype.kind not in "iub" and not np.all(labels == np.round(labels))):
        raise ValueError("to_categorical takes integer class labels")
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"to_categorical: labels must be in [0, {classes}), got values from {labels.min()} to {labels.max()}")
    return np.eye(classes, dtype=np.float32)[labels]


__getattr__ = module_getattr(__name__)
