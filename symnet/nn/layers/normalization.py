"""BatchNormalization (moving statistics as non-trainable weights the train step updates)
and LayerNormalization."""

from __future__ import annotations


import symnet as sn
from symnet.nn.layers.base import Layer


class _Normalization(Layer):
    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon, self.center, self.scale = int(axis), float(epsilon), bool(center), bool(scale)

    def feature_axis(self, input_shape) -> int:
        """The normalized axis of the batch (Keras counts the batch axis: -1 is the last)."""
        rank = len(input_shape) + 1
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank or input_shape[axis - 1] is None:
            raise ValueError(f"{type(self).__name__} layer {self.name}: axis {self.axis} does not fit examples of shape "
                             f"{input_shape} (it must have a known size)")
        return axis

    def affine(self, normalized, shape):
        out = normalized
        if self.scale:
            out = out * sn.reshape(self.gamma, shape)
        if self.center:
            out = out + sn.reshape(self.beta, shape)
        return out

    def config(self):
        return {**super().config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


class BatchNormalization(_Normalization):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta per feature (``axis``): while training,
    the batch's mean and variance, and the moving statistics move toward them by
    ``momentum`` inside the compiled step (moving = moving * momentum + batch * (1 -
    momentum)); at predict and evaluate, the moving statistics. Weights: gamma, beta,
    moving_mean, moving_variance (the last two not trained), as Keras'."""

    def __init__(self, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, **kwargs)
        self.momentum = float(momentum)

    def build(self, input_shape, rng):
        self.feature = self.feature_axis(input_shape)
        n = input_shape[self.feature - 1]
        self.gamma = self.add_weight("gamma", (n,), "ones", rng) if self.scale else None
        self.beta = self.add_weight("beta", (n,), "zeros", rng) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", (n,), "zeros", rng, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (n,), "ones", rng, trainable=False)
        return input_shape

    def call(self, x, training):
        shape = tuple(-1 if k == self.feature else 1 for k in range(x.ndim))
        if training:
            axes = tuple(k for k in range(x.ndim) if k != self.feature)
            mean = sn.mean(x, axes)
            variance = sn.mean(sn.square(x - sn.reshape(mean, shape)), axes)
            m = self.momentum
            self.pending_updates = [(self.moving_mean, self.moving_mean * m + mean * (1 - m)),
                                    (self.moving_variance, self.moving_variance * m + variance * (1 - m))]
        else:
            mean, variance = self.moving_mean, self.moving_variance
        normalized = (x - sn.reshape(mean, shape)) / sn.sqrt(sn.reshape(variance, shape) + self.epsilon)
        return self.affine(normalized, shape)

    def config(self):
        return {**super().config(), "momentum": self.momentum}


class LayerNormalization(_Normalization):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, the statistics of each example over
    ``axis`` (the last by default), gamma and beta per feature of that axis."""

    keeps_mask = True

    def build(self, input_shape, rng):
        self.feature = self.feature_axis(input_shape)
        n = input_shape[self.feature - 1]
        self.gamma = self.add_weight("gamma", (n,), "ones", rng) if self.scale else None
        self.beta = self.add_weight("beta", (n,), "zeros", rng) if self.center else None
        return input_shape

    def call(self, x, training):
        mean = sn.mean(x, self.feature, keepdims=True)
        variance = sn.mean(sn.square(x - mean), self.feature, keepdims=True)
        shape = tuple(-1 if k == self.feature else 1 for k in range(x.ndim))
        return self.affine((x - mean) / sn.sqrt(variance + self.epsilon), shape)
