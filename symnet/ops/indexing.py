"""Indexing ops: basic indexing with constant or symbolic ints and slices, picking by integer
arrays (``take``, ``take_along_axis``) and ``arange``; each with its gradient."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError
from symnet.ops.base import Op
from symnet.ops.shape import Dynamic, _check_bounds, resolve
from symnet.tensor_type import TensorType, broadcast_shapes, upcast


# -- basic indexing ----------------------------------------------------------------------
# An index spec is a tuple of entries: an int, a (start, stop, step) slice triple, or None
# for a new axis. Ellipsis is expanded when the spec is built (symnet.expr.getitem). The
# bound inputs follow x (Subtensor) or x and y (IncSubtensor).


def _numpy_index(spec: tuple, bounds=()) -> tuple:
    spec = resolve(spec, [int(b) for b in bounds])
    return tuple(slice(*e) if isinstance(e, tuple) else e for e in spec)


def _spec_text(spec: tuple) -> str:
    parts = []
    for e in spec:
        if e is None:
            parts.append("None")
        elif isinstance(e, tuple):
            parts.append(":".join("" if v is None else str(v) for v in e).rstrip(":") or ":")
        else:
            parts.append(str(e))
    return ", ".join(parts)


@dataclass(frozen=True)
class Subtensor(Op):
    """``x[spec]`` with ints, slices and new axes; ints and bounds constant or ``Dynamic``."""

    spec: tuple
    name = "subtensor"

    def output_types(self, x, *bounds):
        _check_bounds(bounds)
        consumed = sum(e is not None for e in self.spec)
        if consumed > x.ndim:
            raise IndexError(f"too many indices ({consumed}) for a {x.ndim}-d tensor")
        shape, axis = [], 0
        for e in self.spec + ((0, None, None),) * (x.ndim - consumed):
            if e is None:
                shape.append(1)
                continue
            size = x.shape[axis]
            axis += 1
            if isinstance(e, tuple):
                known = size is not None and not any(isinstance(v, Dynamic) for v in e)
                shape.append(len(range(*slice(*e).indices(size))) if known else None)
            elif size is not None and not isinstance(e, Dynamic) and not -size <= e < size:
                raise IndexError(f"index {e} is out of bounds for an axis of size {size}")
        return [TensorType(x.dtype, tuple(shape))]

    def infer_shape(self, node, sizes):
        spec = resolve(self.spec, [sizes.value(v, node) for v in node.inputs[1:]])
        return [sizes.subtensor(spec, sizes.of(node.inputs[0]), node)]

    def evaluate(self, x, *bounds):
        return [np.asarray(x[_numpy_index(self.spec, bounds)])]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        x, bounds = node.inputs[0], node.inputs[1:]
        return [None if g is None else IncSubtensor(self.spec)(T.zeros_like(x), g, *bounds)] + [None] * len(bounds)

    def __str__(self) -> str:
        return f"subtensor[{_spec_text(self.spec)}]"


@dataclass(frozen=True)
class IncSubtensor(Op):
    """A copy of ``x`` with ``y`` added into ``x[spec]``."""

    spec: tuple
    name = "inc_subtensor"

    def output_types(self, x, y, *bounds):
        (target,) = Subtensor(self.spec).output_types(x, *bounds)
        broadcast_shapes(target.shape, y.shape)
        if y.ndim > target.ndim:
            raise ShapeError(f"cannot add a {y.ndim}-d value into a {target.ndim}-d slice")
        return [TensorType(upcast(x.dtype, y.dtype), x.shape)]

    @staticmethod
    def target(node):
        """The type of the slice of ``node``'s x that y is added into."""
        return Subtensor(node.op.spec).output_types(node.inputs[0].type, *(v.type for v in node.inputs[2:]))[0]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x, y, *bounds):
        out = np.array(x, dtype=np.result_type(x, y))
        out[_numpy_index(self.spec, bounds)] += y
        return [out]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        x, y, bounds = node.inputs[0], node.inputs[1], node.inputs[2:]
        if g is None:
            return [None] * len(node.inputs)
        gy = T.cast(T.sum_to(Subtensor(self.spec)(g, *bounds), y.type), y.dtype)
        return [T.cast(g, x.dtype), gy] + [None] * len(bounds)


@dataclass(frozen=True)
class SetSubtensor(Op):
    """A copy of ``x`` with ``x[spec]`` replaced by ``y`` (broadcast; x's dtype)."""

    spec: tuple
    name = "set_subtensor"

    def output_types(self, x, y, *bounds):
        IncSubtensor(self.spec).output_types(x, y, *bounds)
        return [x]

    target = IncSubtensor.target
    infer_shape = IncSubtensor.infer_shape

    def evaluate(self, x, y, *bounds):
        out = np.array(x)
        out[_numpy_index(self.spec, bounds)] = y
        return [out]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        y, bounds = node.inputs[1], node.inputs[2:]
        if g is None:
            return [None] * len(node.inputs)
        gx = SetSubtensor(self.spec)(g, T.constant(0, g.dtype), *bounds)  # what y overwrote gets nothing
        gy = T.cast(T.sum_to(Subtensor(self.spec)(g, *bounds), y.type), y.dtype)
        return [gx, gy] + [None] * len(bounds)


# -- integer-array indexing ----------------------------------------------------------------


def _check_index_dtype(idx) -> None:
    if not idx.dtype.startswith("int"):
        raise TypeError(f"indices must be integers, got {idx.dtype}")


@dataclass(frozen=True)
class Take(Op):
    """``np.take(x, idx, axis)``: rows (or slices along ``axis``) picked by an int array."""

    axis: int = 0
    name = "take"

    def output_types(self, x, idx):
        _check_index_dtype(idx)
        return [TensorType(x.dtype, x.shape[: self.axis] + idx.shape + x.shape[self.axis + 1 :])]

    def infer_shape(self, node, sizes):
        x, idx = (sizes.of(v) for v in node.inputs)
        return [x[: self.axis] + idx + x[self.axis + 1 :]]

    def evaluate(self, x, idx):
        return [np.take(x, idx, axis=self.axis)]

    def pullback(self, node, cotangents):
        (g,) = cotangents
        x, idx = node.inputs
        return [None if g is None else TakeGrad(self.axis)(x, idx, g), None]


@dataclass(frozen=True)
class TakeGrad(Op):
    """Zeros shaped like ``x`` with ``g`` summed into the picked slices (repeats add up)."""

    axis: int = 0
    name = "take_grad"

    def value_inputs(self, node):
        return node.inputs[1:]  # x gives only the shape

    def output_types(self, x, idx, g):
        return [TensorType(g.dtype, x.shape)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x, idx, g):
        out = np.zeros(x.shape, dtype=g.dtype)
        moved = np.moveaxis(out, self.axis, 0)
        np.add.at(moved, idx, np.moveaxis(g, list(range(self.axis, self.axis + idx.ndim)), list(range(idx.ndim))))
        return [out]

    def pullback(self, node, cotangents):
        """The scatter's transpose is the gather (an inc_subtensor by integer arrays)."""
        (c,) = cotangents
        return [None, None, None if c is None else Take(self.axis)(c, node.inputs[1])]


@dataclass(frozen=True)
class TakeAlongAxis(Op):
    """``np.take_along_axis(x, idx, axis)`` (idx has x's ndim; the gather of sparse losses)."""

    axis: int
    name = "take_along_axis"

    def output_types(self, x, idx):
        _check_index_dtype(idx)
        if idx.ndim != x.ndim:
            raise TypeError(f"take_along_axis needs indices with {x.ndim} dims, got {idx.ndim}")
        # the other axes broadcast; along ``axis`` the sizes are independent
        def others(shape):
            return shape[: self.axis] + shape[self.axis + 1 :]

        shape = list(broadcast_shapes(others(x.shape), others(idx.shape)))
        shape.insert(self.axis, idx.shape[self.axis])
        return [TensorType(x.dtype, tuple(shape))]

    def infer_shape(self, node, sizes):
        x, idx = node.inputs
        return [tuple(
            sizes.of(idx)[k] if k == self.axis else sizes.broadcast_axis([(x, k), (idx, k)], node) for k in range(x.ndim)
        )]

    def evaluate(self, x, idx):
        return [np.take_along_axis(x, idx, axis=self.axis)]

    def pullback(self, node, cotangents):
        """g scattered back to the gathered positions, summed over the axes where x broadcast."""
        from symnet import expr as T

        (g,) = cotangents
        x, idx = node.inputs
        return [None if g is None else T.sum_to(TakeAlongAxisGrad(self.axis)(x, idx, g), x.type), None]


@dataclass(frozen=True)
class TakeAlongAxisGrad(Op):
    """Zeros shaped like ``g`` but with x's size along ``axis`` (x broadcast against the
    indices), with ``g`` summed into the gathered positions."""

    axis: int
    name = "take_along_axis_grad"

    def value_inputs(self, node):
        return node.inputs[1:]  # x gives only the shape

    def output_types(self, x, idx, g):
        return [TensorType(g.dtype, g.shape[: self.axis] + (x.shape[self.axis],) + g.shape[self.axis + 1 :])]

    def infer_shape(self, node, sizes):
        x, g = sizes.of(node.inputs[0]), sizes.of(node.inputs[2])
        return [tuple(x[k] if k == self.axis else g[k] for k in range(len(g)))]

    def evaluate(self, x, idx, g):
        out = np.zeros(g.shape[: self.axis] + (x.shape[self.axis],) + g.shape[self.axis + 1 :], dtype=g.dtype)
        grid = list(np.ix_(*[np.arange(n) for n in g.shape]))
        grid[self.axis] = np.broadcast_to(idx, g.shape)
        np.add.at(out, tuple(grid), g)
        return [out]


# -- ranges -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ARange(Op):
    """``np.arange(start, stop, step)`` of integer scalars (constants or known per call)."""

    dtype: str
    name = "arange"

    def value_inputs(self, node):
        return []  # the driver reads their values when it sizes buffers

    def output_types(self, start, stop, step):
        _check_bounds((start, stop, step))
        return [TensorType(self.dtype, (None,))]

    def infer_shape(self, node, sizes):
        start, stop, step = (sizes.value(v, node) for v in node.inputs)
        sizes.check(f"{step} == 0", f"arange: step cannot be zero\n  in {sizes.literal(node.where())}")
        up = f"max(0, ({stop} - {start} + {step} - 1) // {step})"
        down = f"max(0, ({start} - {stop} - {step} - 1) // -({step}))"
        return [(sizes.local(f"({up} if {step} > 0 else {down})"),)]

    def evaluate(self, start, stop, step):
        return [np.arange(int(start), int(stop), int(step), dtype=self.dtype)]

    def pullback(self, node, cotangents):
        return [None, None, None]
