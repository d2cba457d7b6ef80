"""Reductions over axes: sum, max, min (one op, by kind), argmax, and the static size helper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet.ops.base import Op
from symnet.tensor_type import TensorType


def reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


@dataclass(frozen=True)
class Reduce(Op):
    """``kind`` (sum, prod, max, min) over ``axes`` (sorted, non-negative)."""

    kind: str
    axes: tuple
    keepdims: bool = False

    @property
    def name(self) -> str:
        return self.kind

    def output_types(self, x):
        dtype = x.dtype
        if self.kind in ("sum", "prod") and dtype in ("bool", "int32"):
            dtype = "int64"  # as NumPy's sum and prod do
        return [TensorType(dtype, reduced_shape(x.shape, self.axes, self.keepdims))]

    def infer_shape(self, node, sizes):
        return [sizes.reduced(node, self.axes, self.keepdims, nonempty=self.kind in ("max", "min"))]

    def flops(self, node, values) -> int:
        return int(np.size(values[node.inputs[0]]))

    def evaluate(self, x):
        fn = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}[self.kind]
        out = fn(x, axis=self.axes, keepdims=self.keepdims)
        return [np.asarray(out, dtype=self.output_types(TensorType(x.dtype.name, x.shape))[0].dtype)]

    def pullback(self, node, cotangents):
        """sum: g broadcast back over the reduced axes; max/min: g routed to the extrema."""
        from symnet import expr as T

        (g,) = cotangents
        (x,) = node.inputs
        if g is None:
            return [None]
        if not self.keepdims:
            g = T.expand_dims(g, self.axes)
        if self.kind == "sum":
            return [T.broadcast_like(g, x)]
        if self.kind == "prod":
            return [g * _product_of_the_others(x, self.axes)]
        y = node.outputs[0] if self.keepdims else T.expand_dims(node.outputs[0], self.axes)
        return [T.where(T.eq(x, y), g, T.zeros_like(g))]

    def __str__(self) -> str:
        keep = ", keepdims" if self.keepdims else ""
        return f"{self.kind}{{axes={self.axes}{keep}}}"


def _product_of_the_others(x, axes):
    """d prod / d x_i: the product of the other elements, exact where x has zeros (one zero:
    its own is the product of the nonzero rest; two or more: all are 0)."""
    from symnet import expr as T

    zero = T.eq(x, 0)
    nonzero = T.where(zero, T.ones_like(x), x)
    rest = Reduce("prod", axes, True)(nonzero)
    zeros = Reduce("sum", axes, True)(T.cast(zero, "int64"))
    return T.where(zero, T.where(T.eq(zeros, 1), rest, T.zeros_like(rest)), T.where(T.eq(zeros, 0), rest / nonzero, T.zeros_like(rest)))


@dataclass(frozen=True)
class Cumulate(Op):
    """The running sum or product along ``axis`` (NumPy's cumsum, cumprod)."""

    kind: str  # "sum" or "prod"
    axis: int

    @property
    def name(self) -> str:
        return f"cum{self.kind}"

    def output_types(self, x):
        dtype = "int64" if x.dtype in ("bool", "int32") else x.dtype  # as NumPy's
        return [TensorType(dtype, x.shape)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x):
        fn = np.cumsum if self.kind == "sum" else np.cumprod
        return [fn(x, axis=self.axis, dtype=self.output_types(TensorType(x.dtype.name, x.shape))[0].dtype)]

    def pullback(self, node, cotangents):
        """cumsum: the running sum of g from the end; cumprod: that of g * out, over x
        (Theano's formula: NaN where x is 0)."""
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None]
        x, out = node.inputs[0], node.outputs[0]
        flip = (slice(None),) * self.axis + (slice(None, None, -1),)
        weighted = g if self.kind == "sum" else g * out
        back = T.getitem(Cumulate("sum", self.axis)(T.getitem(weighted, flip)), flip)
        return [back if self.kind == "sum" else back / x]

    def __str__(self) -> str:
        return f"cum{self.kind}{{axis={self.axis}}}"


@dataclass(frozen=True)
class Argsort(Op):
    """The indices that sort ``axis`` ascending, stably (ties in order; NaN last), int64."""

    axis: int
    name = "argsort"

    def output_types(self, x):
        return [TensorType("int64", x.shape)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x):
        return [np.argsort(x, axis=self.axis, kind="stable").astype(np.int64)]

    def pullback(self, node, cotangents):
        return [None]

    def __str__(self) -> str:
        return f"argsort{{axis={self.axis}}}"


@dataclass(frozen=True)
class Argmax(Op):
    """Index of the first maximum along ``axis`` (None: of the flattened array); int64."""

    axis: int | None
    keepdims: bool = False
    name = "argmax"

    def output_types(self, x):
        if self.axis is None:
            shape = (1,) * x.ndim if self.keepdims else ()
        else:
            shape = reduced_shape(x.shape, (self.axis,), self.keepdims)
        return [TensorType("int64", shape)]

    def infer_shape(self, node, sizes):
        axes = tuple(range(node.inputs[0].ndim)) if self.axis is None else (self.axis,)
        return [sizes.reduced(node, axes, self.keepdims, nonempty=True)]

    def evaluate(self, x):
        return [np.asarray(np.argmax(x, axis=self.axis, keepdims=self.keepdims), dtype=np.int64)]

    def pullback(self, node, cotangents):
        return [None]


@dataclass(frozen=True)
class ShapeI(Op):
    """The size of axis ``i`` as an int64 scalar."""

    i: int
    name = "shape_i"

    def value_inputs(self, node):
        return []

    def output_types(self, x):
        if not 0 <= self.i < x.ndim:
            raise TypeError(f"shape index {self.i} out of range for a {x.ndim}-d tensor")
        return [TensorType("int64", ())]

    def infer_shape(self, node, sizes):
        return [()]

    def evaluate(self, x):
        return [np.asarray(x.shape[self.i], dtype=np.int64)]

    def pullback(self, node, cotangents):
        return [None]

    def __str__(self) -> str:
        return f"shape_i{{{self.i}}}"
