"""Convolutions (Conv1D, Conv2D) and poolings (1-D, 2-D, global) on channels-last or
channels-first examples; symnet's ops are NCHW, so channels-last calls transpose (views)."""

from __future__ import annotations


import symnet as sn
from symnet.nn import regularizers
from symnet.nn.layers.base import (
    Layer, _data_format, _from_nchw, _image, _pair, _single_int, _spatial, _to_nchw, pad_edges, positive_int,
    same_padding,
)
from symnet.nn.layers.base import activation as resolve_activation
from symnet.ops.conv import out_size


class Conv2D(Layer):
    """activation(conv2d(x, kernel) + bias) on images (height, width, channels), or (channels,
    height, width) with ``data_format="channels_first"``; kernel (kh, kw, channels, filters),
    as Keras'.

    ``padding="same"`` gives ceil(size / stride) outputs per axis with zero padding split as
    Keras does (an odd total puts the extra row or column after); ``"valid"`` uses none.
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 data_format="channels_last", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_regularizer, self.bias_regularizer = regularizers.get(kernel_regularizer), regularizers.get(bias_regularizer)
        self.data_format = _data_format(data_format, "Conv2D")
        self.filters, self.use_bias = positive_int(filters, "Conv2D: filters"), bool(use_bias)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding
        self.activation_name = activation
        self.activation = resolve_activation(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape, rng):
        channels, h, w = _spatial(input_shape, self)
        if self.padding == "same":
            # the op pads symmetrically by `before`; an odd total adds one zero row/column after
            sides = [same_padding(n, k, s) for n, k, s in zip((h, w), self.kernel_size, self.strides)]
            self.pads = tuple(before for before, _ in sides)
            self.extra = tuple(after - before for before, after in sides)
        else:
            self.pads, self.extra = (0, 0), (0, 0)
        out = [out_size(n + e, k, s, p) for n, e, k, s, p in zip((h, w), self.extra, self.kernel_size, self.strides, self.pads)]
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.filters), self.kernel_initializer, rng,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, rng,
                                    regularizer=self.bias_regularizer) if self.use_bias else None
        return _image(self.data_format, self.filters, *out)

    def call(self, x, training):
        x = _to_nchw(x, self.data_format)
        for axis, extra in zip((2, 3), self.extra):
            x = pad_edges(x, axis, 0, extra, 0.0)
        z = sn.conv2d(x, self.kernel.dimshuffle(3, 2, 0, 1), self.strides, self.pads)
        z = z + sn.reshape(self.bias, 1, self.filters, 1, 1) if self.bias is not None else z
        return self.activation(_from_nchw(z, self.data_format))

    def config(self):
        self.named(self.activation_name, (self.kernel_initializer, self.bias_initializer))
        return {**super().config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "activation": self.activation_name,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer, "data_format": self.data_format,
                "kernel_regularizer": regularizers.config(self.kernel_regularizer),
                "bias_regularizer": regularizers.config(self.bias_regularizer)}


class _Pooling2D(Layer):
    kind = ""

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        what = type(self).__name__
        self.data_format = _data_format(data_format, what)
        self.pool_size = _pair(pool_size, "pool_size", what)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", what)
        if padding not in ("valid", "same"):
            raise ValueError(f"{what}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding

    def build(self, input_shape, rng):
        channels, h, w = _spatial(input_shape, self)
        self.sides = [same_padding(n, k, s) if self.padding == "same" else (0, 0)
                      for n, k, s in zip((h, w), self.pool_size, self.strides)]
        out = [out_size(n + sum(side), k, s, 0) for n, side, k, s in zip((h, w), self.sides, self.pool_size, self.strides)]
        return _image(self.data_format, channels, *out)

    def call(self, x, training):
        # Keras' "same": max ignores the padding, the mean is over the window's cells inside the image
        mode = "max" if self.kind == "max" else "average_exc_pad"
        pooled = sn.pool2d(_to_nchw(x, self.data_format), self.pool_size, self.strides, tuple(self.sides), mode)
        return _from_nchw(pooled, self.data_format)

    def config(self):
        return {**super().config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window; strides default to pool_size."""

    kind = "max"


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window; strides default to pool_size."""

    kind = "avg"


class Conv1D(Layer):
    """activation(conv1d(x, kernel) + bias) over (steps, channels) sequences (or (channels,
    steps) channels-first); kernel (k, channels, filters), as Keras'. ``padding``: "valid",
    "same" or "causal" (zeros before the sequence only: output t sees inputs up to t)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.use_bias = positive_int(filters, "Conv1D: filters"), bool(use_bias)
        self.kernel_size = _single_int(kernel_size, "kernel_size", "Conv1D")
        self.strides = _single_int(strides, "strides", "Conv1D")
        if padding not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        self.padding, self.data_format = padding, _data_format(data_format, "Conv1D")
        self.activation_name = activation
        self.activation = resolve_activation(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape, rng):
        if len(input_shape) != 2:
            raise ValueError(f"Conv1D layer {self.name} takes sequences (steps, channels), got examples of shape {input_shape}")
        steps, channels = input_shape if self.data_format == "channels_last" else input_shape[::-1]
        if steps is None:
            raise ValueError(f"Conv1D layer {self.name} needs the number of steps, got examples of shape {input_shape}")
        k, s = self.kernel_size, self.strides
        if self.padding == "same":
            self.sides = same_padding(steps, k, s)
        elif self.padding == "causal":
            self.sides = (k - 1, 0)
        else:
            self.sides = (0, 0)
        out = out_size(steps + sum(self.sides), k, s, 0)
        self.kernel = self.add_weight("kernel", (k, channels, self.filters), self.kernel_initializer, rng)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, rng) if self.use_bias else None
        return (out, self.filters) if self.data_format == "channels_last" else (self.filters, out)

    def call(self, x, training):
        x = x.dimshuffle(0, 2, "x", 1) if self.data_format == "channels_last" else x.dimshuffle(0, 1, "x", 2)
        x = pad_edges(x, 3, *self.sides, 0.0)
        z = sn.conv2d(x, self.kernel.dimshuffle(2, 1, "x", 0), (1, self.strides), (0, 0))[:, :, 0, :]  # (batch, filters, steps)
        z = z + sn.reshape(self.bias, 1, self.filters, 1) if self.bias is not None else z
        return self.activation(z.dimshuffle(0, 2, 1) if self.data_format == "channels_last" else z)

    def config(self):
        self.named(self.activation_name, (self.kernel_initializer, self.bias_initializer))
        return {**super().config(), "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "bias_initializer": self.bias_initializer,
                "data_format": self.data_format}


class _Pooling1D(Layer):
    kind = "max"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        what = type(self).__name__
        self.pool_size = _single_int(pool_size, "pool_size", what)
        self.strides = self.pool_size if strides is None else _single_int(strides, "strides", what)
        if padding not in ("valid", "same"):
            raise ValueError(f"{what}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding, self.data_format = padding, _data_format(data_format, what)

    def build(self, input_shape, rng):
        if len(input_shape) != 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} takes sequences (steps, channels), got {input_shape}")
        steps, channels = input_shape if self.data_format == "channels_last" else input_shape[::-1]
        self.sides = same_padding(steps, self.pool_size, self.strides) if self.padding == "same" else (0, 0)
        out = out_size(steps + sum(self.sides), self.pool_size, self.strides, 0)
        return (out, channels) if self.data_format == "channels_last" else (channels, out)

    def call(self, x, training):
        images = x.dimshuffle(0, 2, "x", 1) if self.data_format == "channels_last" else x.dimshuffle(0, 1, "x", 2)
        mode = "max" if self.kind == "max" else "average_exc_pad"
        pooled = sn.pool2d(images, (1, self.pool_size), (1, self.strides), ((0, 0), self.sides), mode)[:, :, 0, :]
        return pooled.dimshuffle(0, 2, 1) if self.data_format == "channels_last" else pooled

    def config(self):
        return {**super().config(), "pool_size": self.pool_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format}


class MaxPooling1D(_Pooling1D):
    """The maximum of each window of pool_size steps; strides default to pool_size."""


class AveragePooling1D(_Pooling1D):
    """The mean of each window of pool_size steps; strides default to pool_size."""

    kind = "avg"


class _GlobalPooling(Layer):
    """The mean or maximum over every axis but the batch and the channels."""

    kind, rank = "avg", 1

    def __init__(self, data_format="channels_last", keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def axes(self) -> tuple:
        return tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else tuple(range(2, self.rank + 2))

    def build(self, input_shape, rng):
        if len(input_shape) != self.rank + 1:
            raise ValueError(f"{type(self).__name__} layer {self.name} takes examples of {self.rank + 1} axes, got {input_shape}")
        reduced = {a - 1 for a in self.axes()}
        return tuple(1 if k in reduced else n for k, n in enumerate(input_shape)) if self.keepdims else \
            tuple(n for k, n in enumerate(input_shape) if k not in reduced)

    def call(self, x, training):
        mask = getattr(x, "keras_mask", None)
        if self.kind == "max":
            return sn.max(x, self.axes(), keepdims=self.keepdims)
        if mask is None or self.rank != 1:
            return sn.mean(x, self.axes(), keepdims=self.keepdims)
        # the mean over the steps that are not padding
        weights = sn.cast(mask, x.dtype)[:, :, None] if self.data_format == "channels_last" else sn.cast(mask, x.dtype)[:, None, :]
        total = sn.sum(x * weights, self.axes(), keepdims=self.keepdims)
        return total / sn.maximum(sn.sum(weights, self.axes(), keepdims=self.keepdims), 1)

    def config(self):
        return {**super().config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps of (steps, channels) examples (the steps not masked as padding)."""


class GlobalMaxPooling1D(_GlobalPooling):
    kind = "max"


class GlobalAveragePooling2D(_GlobalPooling):
    rank = 2


class GlobalMaxPooling2D(_GlobalPooling):
    kind, rank = "max", 2
