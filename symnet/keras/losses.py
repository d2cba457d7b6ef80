"""``keras.losses``: losses called as Keras calls them, ``loss(y_true, y_pred)``, each the mean
over the last axis (one value per example); ``compile`` also takes their names."""

from __future__ import annotations

import symnet as _sn
from symnet.nn import losses as _losses
from symnet.unsupported import module_getattr


def binary_crossentropy(y_true, y_pred):
    return _sn.mean(_losses.binary_crossentropy(y_pred, y_true), axis=-1)


def categorical_crossentropy(y_true, y_pred):
    return _losses.categorical_crossentropy(y_pred, y_true)


def sparse_categorical_crossentropy(y_true, y_pred):
    return _losses.sparse_categorical_crossentropy(y_pred, y_true)


def mean_squared_error(y_true, y_pred):
    return _sn.mean(_losses.mse(y_pred, y_true), axis=-1)


mse = MSE = mean_squared_error

__getattr__ = module_getattr(__name__)
