"""``keras.models``: functional and sequential models whose losses are Keras' functions,
``loss(y_true, y_pred)`` (symnet.nn's take the prediction first)."""

from __future__ import annotations

from symnet.nn import losses as _losses
from symnet.nn import models as _models
from symnet.nn.saving import load_model  # noqa: F401
from symnet.unsupported import module_getattr


class _KerasLosses:
    """compile() with a loss function called as Keras calls it: ``fn(y_true, y_pred)``."""

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, target=None, **kwargs):
        for name in kwargs:
            raise TypeError(f"keras.Model.compile: the argument {name!r} is not supported by symnet.keras")
        return super().compile(optimizer, _flipped(loss), metrics, loss_weights, target)


def _flipped(loss):
    if isinstance(loss, _losses.Loss):  # a loss object: compile takes it by name
        return loss
    if isinstance(loss, dict):
        return {k: _flipped(v) for k, v in loss.items()}
    if isinstance(loss, (list, tuple)):
        return [_flipped(v) for v in loss]
    if callable(loss):
        return lambda prediction, target: loss(target, prediction)
    return loss


class Model(_KerasLosses, _models.Model):
    """``keras.Model(inputs, outputs)``."""


class Sequential(_KerasLosses, _models.Sequential):
    """``keras.Sequential(layers)``."""


__getattr__ = module_getattr(__name__)
