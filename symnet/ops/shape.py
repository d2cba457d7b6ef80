"""Ops that move data without arithmetic: axes, reshapes, broadcasting, indexing, joining."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError
from symnet.ops.base import Op
from symnet.tensor_type import TensorType, broadcast_shapes, upcast


@dataclass(frozen=True)
class DimShuffle(Op):
    """Permute axes, insert broadcastable axes ('x') and drop size-1 axes, in one op.

    ``order[j]`` names the input axis that becomes output axis j, or 'x' for a new axis of
    size 1; input axes missing from ``order`` are dropped and must have size 1.
    """

    order: tuple
    name = "dimshuffle"

    def output_types(self, x):
        kept = [o for o in self.order if o != "x"]
        if sorted(set(kept)) != sorted(kept) or any(not 0 <= o < x.ndim for o in kept):
            raise TypeError(f"invalid axes {self.order} for a {x.ndim}-d tensor")
        for axis in set(range(x.ndim)) - set(kept):
            if x.shape[axis] != 1:
                raise ShapeError(f"cannot drop axis {axis} of size {x.shape[axis]} (only size-1 axes)")
        return [TensorType(x.dtype, tuple(1 if o == "x" else x.shape[o] for o in self.order))]

    def infer_shape(self, node, sizes):
        x = sizes.of(node.inputs[0])
        return [tuple("1" if o == "x" else x[o] for o in self.order)]

    def evaluate(self, x):
        kept = [o for o in self.order if o != "x"]
        dropped = tuple(sorted(set(range(x.ndim)) - set(kept)))
        squeezed = np.squeeze(x, axis=dropped) if dropped else x
        rank = {axis: r for r, axis in enumerate(sorted(kept))}
        moved = np.transpose(squeezed, [rank[o] for o in kept])
        new_axes = tuple(j for j, o in enumerate(self.order) if o == "x")
        return [np.expand_dims(moved, new_axes) if new_axes else moved]

    def pullback(self, node, cotangents):
        """The inverse shuffle: new axes dropped, dropped axes restored, permutation undone."""
        (g,) = cotangents
        (x,) = node.inputs
        if g is None:
            return [None]
        position = {o: j for j, o in enumerate(self.order) if o != "x"}
        inverse = tuple(position.get(axis, "x") for axis in range(x.ndim))
        return [DimShuffle(inverse)(g)]

    def __str__(self) -> str:
        return f"dimshuffle{{{','.join(map(str, self.order))}}}"


@dataclass(frozen=True)
class Reshape(Op):
    """Reshape to ``shape`` (ints, at most one -1), C order."""

    shape: tuple
    name = "reshape"

    def output_types(self, x):
        if sum(s == -1 for s in self.shape) > 1 or any(s < -1 for s in self.shape):
            raise ShapeError(f"invalid reshape target {self.shape}")
        known = math.prod(s for s in self.shape if s != -1)
        total = None if None in x.shape else math.prod(x.shape)
        out = list(self.shape)
        if -1 in out:
            missing = total // known if total is not None and known else None
            if total is not None and known and total % known:
                raise ShapeError(f"cannot reshape {x.shape} to {self.shape}")
            out[out.index(-1)] = missing
        elif total is not None and total != known:
            raise ShapeError(f"cannot reshape {x.shape} ({total} elements) to {self.shape}")
        return [TensorType(x.dtype, tuple(out))]

    def infer_shape(self, node, sizes):
        total = " * ".join(sizes.of(node.inputs[0])) or "1"
        known = math.prod(s for s in self.shape if s != -1)
        if -1 not in self.shape:
            sizes.check(f"({total}) != {known}", f"cannot reshape {{}} elements to {self.shape}\n  in {sizes.literal(node.where())}", (f"({total})",))
            return [tuple(str(s) for s in self.shape)]
        if known == 0:
            raise NotImplementedError("reshape with -1 and a zero size")
        total = sizes.local(f"({total})")
        sizes.check(f"{total} % {known} != 0", f"cannot reshape {{}} elements to {self.shape}\n  in {sizes.literal(node.where())}", (total,))
        missing = sizes.local(f"{total} // {known}")
        return [tuple(missing if s == -1 else str(s) for s in self.shape)]

    def evaluate(self, x):
        return [np.reshape(x, self.shape)]

    def pullback(self, node, cotangents):
        (g,) = cotangents
        return [None if g is None else ReshapeLike()(g, node.inputs[0])]

    def __str__(self) -> str:
        return f"reshape{{{self.shape}}}"


@dataclass(frozen=True)
class ReshapeLike(Op):
    """Reshape ``x`` to the (run-time) shape of ``ref``."""

    name = "reshape_like"

    def value_inputs(self, node):
        return node.inputs[:1]

    def output_types(self, x, ref):
        if None not in x.shape + ref.shape and math.prod(x.shape) != math.prod(ref.shape):
            raise ShapeError(f"cannot reshape {x.shape} to {ref.shape}")
        return [TensorType(x.dtype, ref.shape)]

    def infer_shape(self, node, sizes):
        x, ref = (sizes.of(v) for v in node.inputs)
        have, want = f"({' * '.join(x) or '1'})", f"({' * '.join(ref) or '1'})"
        sizes.check(f"{have} != {want}", f"cannot reshape {{}} elements to {{}}\n  in {sizes.literal(node.where())}", (have, want))
        return [ref]

    def evaluate(self, x, ref):
        return [np.reshape(x, ref.shape)]

    def pullback(self, node, cotangents):
        (g,) = cotangents
        return [None if g is None else ReshapeLike()(g, node.inputs[0]), None]


@dataclass(frozen=True)
class BroadcastLike(Op):
    """Broadcast ``x`` to the (run-time) shape of ``ref``."""

    name = "broadcast_like"

    def value_inputs(self, node):
        return node.inputs[:1]

    def output_types(self, x, ref):
        if x.ndim > ref.ndim:
            raise ShapeError(f"cannot broadcast {x} to the shape of {ref}")
        shape = broadcast_shapes(x.shape, ref.shape)
        return [TensorType(x.dtype, tuple(r if r is not None else s for s, r in zip(shape, ref.shape)))]

    def infer_shape(self, node, sizes):
        x, ref = node.inputs
        lead = ref.ndim - x.ndim
        return [tuple(
            sizes.of(ref)[k] if not ref.type.broadcastable[k] or k < lead else sizes.of(x)[k - lead] for k in range(ref.ndim)
        )]

    def evaluate(self, x, ref):
        return [np.array(np.broadcast_to(x, ref.shape))]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        return [None if g is None else T.sum_to(g, node.inputs[0].type), None]


@dataclass(frozen=True)
class StopGradient(Op):
    """Identity whose pullback is zero (removed by canonicalize once gradients are taken)."""

    name = "stop_gradient"

    def output_types(self, x):
        return [x]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x):
        return [x]

    def pullback(self, node, cotangents):
        return [None]


# -- basic indexing ----------------------------------------------------------------------
# An index spec is a tuple of entries: an int, a (start, stop, step) slice triple, or None
# for a new axis. Ellipsis is expanded when the spec is built (symnet.expr.getitem).


def _numpy_index(spec: tuple) -> tuple:
    return tuple(slice(*e) if isinstance(e, tuple) else e for e in spec)


@dataclass(frozen=True)
class Subtensor(Op):
    """``x[spec]`` with constant ints, slices and new axes."""

    spec: tuple
    name = "subtensor"

    def output_types(self, x):
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
                shape.append(None if size is None else len(range(*slice(*e).indices(size))))
            elif size is not None and not -size <= e < size:
                raise IndexError(f"index {e} is out of bounds for an axis of size {size}")
        return [TensorType(x.dtype, tuple(shape))]

    def infer_shape(self, node, sizes):
        return [sizes.subtensor(self.spec, sizes.of(node.inputs[0]), node)]

    def evaluate(self, x):
        return [np.asarray(x[_numpy_index(self.spec)])]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        x = node.inputs[0]
        return [None if g is None else IncSubtensor(self.spec)(T.zeros_like(x), g)]

    def __str__(self) -> str:
        parts = []
        for e in self.spec:
            if e is None:
                parts.append("None")
            elif isinstance(e, tuple):
                parts.append(":".join("" if v is None else str(v) for v in e).rstrip(":") or ":")
            else:
                parts.append(str(e))
        return f"subtensor[{', '.join(parts)}]"


@dataclass(frozen=True)
class IncSubtensor(Op):
    """A copy of ``x`` with ``y`` added into ``x[spec]``."""

    spec: tuple
    name = "inc_subtensor"

    def output_types(self, x, y):
        (target,) = Subtensor(self.spec).output_types(x)
        broadcast_shapes(target.shape, y.shape)
        if y.ndim > target.ndim:
            raise ShapeError(f"cannot add a {y.ndim}-d value into a {target.ndim}-d slice")
        return [TensorType(upcast(x.dtype, y.dtype), x.shape)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x, y):
        out = np.array(x, dtype=np.result_type(x, y))
        out[_numpy_index(self.spec)] += y
        return [out]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None, None]
        x, y = node.inputs
        return [T.cast(g, x.dtype), T.cast(T.sum_to(Subtensor(self.spec)(g), y.type), y.dtype)]


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


# -- joining ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Concatenate(Op):
    """Join tensors of equal ndim along ``axis``."""

    axis: int
    name = "concatenate"

    def output_types(self, *xs):
        if not xs:
            raise TypeError("concatenate needs at least one tensor")
        if len({x.ndim for x in xs}) != 1:
            raise TypeError(f"concatenate needs equal ndim, got {[x.ndim for x in xs]}")
        shape = []
        for axis, sizes in enumerate(zip(*(x.shape for x in xs))):
            if axis == self.axis:
                shape.append(None if None in sizes else sum(sizes))
                continue
            known = {s for s in sizes if s is not None}
            if len(known) > 1:
                raise ShapeError(f"concatenate: sizes {sizes} differ on axis {axis}")
            shape.append(known.pop() if known else None)
        return [TensorType(upcast(*(x.dtype for x in xs)), tuple(shape))]

    def infer_shape(self, node, sizes):
        parts = [sizes.of(v) for v in node.inputs]
        return [tuple(
            sizes.local(" + ".join(p[k] for p in parts))
            if k == self.axis
            else sizes.equal(list(dict.fromkeys(p[k] for p in parts)), node, "concatenate")
            for k in range(len(parts[0]))
        )]

    def evaluate(self, *xs):
        return [np.concatenate(xs, axis=self.axis).astype(upcast(*(x.dtype.name for x in xs)))]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None] * len(node.inputs)
        return [T.cast(SplitPart(self.axis, k)(g, *node.inputs), x.dtype) for k, x in enumerate(node.inputs)]


@dataclass(frozen=True)
class SplitPart(Op):
    """Piece ``k`` of ``g`` cut along ``axis`` at the sizes of ``parts`` (inverse of concatenate)."""

    axis: int
    k: int
    name = "split_part"

    def value_inputs(self, node):
        return node.inputs[:1]

    def output_types(self, g, *parts):
        return [TensorType(g.dtype, parts[self.k].shape)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[1 + self.k])]

    def evaluate(self, g, *parts):
        start = sum(p.shape[self.axis] for p in parts[: self.k])
        stop = start + parts[self.k].shape[self.axis]
        index = [slice(None)] * g.ndim
        index[self.axis] = slice(start, stop)
        return [np.array(g[tuple(index)])]

    def pullback(self, node, cotangents):
        """The piece goes back to its place; zeros elsewhere."""
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None] * len(node.inputs)
        parts = node.inputs[1:]
        pieces = [g if j == self.k else T.zeros_like(T.cast(p, g.dtype)) for j, p in enumerate(parts)]
        return [T.concatenate(pieces, self.axis)] + [None] * len(parts)
