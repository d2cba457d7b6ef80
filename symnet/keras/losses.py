"""``keras.losses``: losses called as Keras calls them, ``loss(y_true, y_pred)``, each the mean
over the last axis (one value per example); ``compile`` also takes their names."""

from __future__ import annotations

import symnet as _sn
from symnet.nn import losses as _losses
from symnet.nn.models import LOGITS
from symnet.unsupported import module_getattr


def binary_crossentropy(y_true, y_pred):
    return _sn.mean(_losses.binary_crossentropy(y_pred, y_true), axis=-1)


def categorical_crossentropy(y_true, y_pred):
    return _losses.categorical_crossentropy(y_pred, y_true)


def sparse_categorical_crossentropy(y_true, y_pred):
    return _losses.sparse_categorical_crossentropy(y_pred, y_true)


def mean_squared_error(y_true, y_pred):
    return _sn.mean(_losses.mse(y_pred, y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    return _sn.mean(_losses.mae(y_pred, y_true), axis=-1)


def hinge(y_true, y_pred):
    return _sn.mean(_losses.hinge(y_pred, y_true), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


class _Loss(_losses.Loss):
    """A Keras loss object: ``compile(loss=...)`` takes it by name (with ``from_logits``), and
    called on ``(y_true, y_pred)`` expressions it is the mean loss."""

    name = ""

    def __init__(self, from_logits: bool = False, name: str | None = None):
        super().__init__(self.name, from_logits)

    def __call__(self, y_true, y_pred):
        prediction = LOGITS[self.loss_name](y_pred) if self.from_logits else y_pred
        return _sn.mean(_FUNCTIONS[self.loss_name](y_true, prediction))


class BinaryCrossentropy(_Loss):
    name = "binary_crossentropy"


class CategoricalCrossentropy(_Loss):
    name = "categorical_crossentropy"


class SparseCategoricalCrossentropy(_Loss):
    name = "sparse_categorical_crossentropy"


class MeanSquaredError(_Loss):
    name = "mse"

    def __init__(self, name: str | None = None):
        super().__init__(False, name)


class MeanAbsoluteError(MeanSquaredError):
    name = "mae"


class Hinge(MeanSquaredError):
    name = "hinge"


_FUNCTIONS = {"binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
              "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "mse": mean_squared_error,
              "mae": mean_absolute_error, "hinge": hinge}

__getattr__ = module_getattr(__name__)
