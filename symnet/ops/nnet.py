"""Neural-net ops with their own stable evaluation and pullback: softmax, log_softmax, one_hot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet.config import config
from symnet.ops.base import Op
from symnet.tensor_type import TensorType, is_float


def _float_type(x: TensorType) -> TensorType:
    return x if is_float(x.dtype) else x.with_dtype(config.floatX)


@dataclass(frozen=True)
class Softmax(Op):
    """exp(x - max) / sum(exp(x - max)) along ``axis``."""

    axis: int
    name = "softmax"

    def output_types(self, x):
        return [_float_type(x)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def flops(self, node, values) -> int:
        return 5 * int(np.size(values[node.outputs[0]]))  # max, subtract, exp, sum, divide (or log)

    def evaluate(self, x):
        dtype = _float_type(TensorType(x.dtype.name, x.shape)).dtype
        e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        return [(e / np.sum(e, axis=self.axis, keepdims=True)).astype(dtype)]

    def pullback(self, node, cotangents):
        """dx = s * (g - sum(g * s, axis))."""
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None]
        s = node.outputs[0]
        return [s * (g - T.sum(g * s, self.axis, keepdims=True))]

    def __str__(self) -> str:
        return f"softmax{{axis={self.axis}}}"


@dataclass(frozen=True)
class LogSoftmax(Op):
    """x - max - log(sum(exp(x - max))) along ``axis``."""

    axis: int
    name = "log_softmax"

    def output_types(self, x):
        return [_float_type(x)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def flops(self, node, values) -> int:
        return 5 * int(np.size(values[node.outputs[0]]))  # max, subtract, exp, sum, divide (or log)

    def evaluate(self, x):
        dtype = _float_type(TensorType(x.dtype.name, x.shape)).dtype
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        return [(shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))).astype(dtype)]

    def pullback(self, node, cotangents):
        """dx = g - exp(y) * sum(g, axis)."""
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None]
        y = node.outputs[0]
        return [g - T.exp(y) * T.sum(g, self.axis, keepdims=True)]

    def __str__(self) -> str:
        return f"log_softmax{{axis={self.axis}}}"


@dataclass(frozen=True)
class OneHot(Op):
    """``idx[..., None] == arange(n)`` as floats; out-of-range indices give all zeros."""

    n: int
    dtype: str
    name = "one_hot"

    def output_types(self, idx):
        if not idx.dtype.startswith("int"):
            raise TypeError(f"one_hot needs integer indices, got {idx.dtype}")
        return [TensorType(self.dtype, idx.shape + (self.n,))]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0]) + (str(self.n),)]

    def evaluate(self, idx):
        return [(idx[..., None] == np.arange(self.n)).astype(self.dtype)]

    def pullback(self, node, cotangents):
        return [None]

    def __str__(self) -> str:
        return f"one_hot{{{self.n}}}"
