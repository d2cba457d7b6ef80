"""Ops that move data without arithmetic: axes, reshapes, broadcasting, joining (indexing is
``symnet.ops.indexing``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError
from symnet.ops.base import Op
from symnet.tensor_type import TensorType, broadcast_shapes, upcast


# -- sizes and bounds given when the function is called -----------------------------------
# An index spec (Subtensor, IncSubtensor) or a target shape (Reshape) may hold ``Dynamic(k)``
# entries: the value of the op's k-th bound input, an integer scalar, read by the driver
# before any kernel runs (symnet.codegen.shapes.ShapeEnv.value).


@dataclass(frozen=True)
class Dynamic:
    """A spec entry that is the value of the op's k-th bound input."""

    k: int

    def __str__(self) -> str:
        return f"${self.k}"


def resolve(spec: tuple, values) -> tuple:
    """``spec`` with each ``Dynamic(k)`` replaced by ``values[k]`` (numbers, or size code)."""

    def one(e):
        return values[e.k] if isinstance(e, Dynamic) else e

    return tuple(tuple(one(v) for v in e) if isinstance(e, tuple) else one(e) for e in spec)


def _check_bounds(bounds) -> None:
    for t in bounds:
        if t.ndim != 0 or not t.dtype.startswith("int"):
            raise TypeError(f"an index or slice bound must be an integer scalar, got {t}")


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
    """Reshape to ``shape`` (ints, at most one -1; a size may be ``Dynamic``), C order."""

    shape: tuple
    name = "reshape"

    def output_types(self, x, *bounds):
        _check_bounds(bounds)
        static = [s for s in self.shape if not isinstance(s, Dynamic)]
        if sum(s == -1 for s in static) > 1 or any(s < -1 for s in static):
            raise ShapeError(f"invalid reshape target {self.shape}")
        known = math.prod(s for s in static if s != -1)
        total = None if None in x.shape else math.prod(x.shape)
        out = [None if isinstance(s, Dynamic) else s for s in self.shape]
        if len(static) < len(self.shape):
            if -1 in out:
                out[out.index(-1)] = None
        elif -1 in out:
            missing = total // known if total is not None and known else None
            if total is not None and known and total % known:
                raise ShapeError(f"cannot reshape {x.shape} to {self.shape}")
            out[out.index(-1)] = missing
        elif total is not None and total != known:
            raise ShapeError(f"cannot reshape {x.shape} ({total} elements) to {self.shape}")
        return [TensorType(x.dtype, tuple(out))]

    def infer_shape(self, node, sizes):
        total = " * ".join(sizes.of(node.inputs[0])) or "1"
        shape = resolve(self.shape, [sizes.value(v, node) for v in node.inputs[1:]])
        where = sizes.literal(node.where())
        for s in shape:
            if not isinstance(s, int):
                sizes.check(f"{s} < -1", f"reshape: a size is {{}}\n  in {where}", (s,))
        given = [str(s) for s in shape if s != -1]
        known = " * ".join(given) or "1"
        # the target as the user wrote it, with each symbolic size's value
        target = "(" + ", ".join("{}" if isinstance(s, Dynamic) else str(s) for s in self.shape) + ("," if len(shape) == 1 else "") + ")"
        dynamic = tuple(str(s) for s, e in zip(shape, self.shape) if isinstance(e, Dynamic))
        if -1 not in shape:
            sizes.check(f"({total}) != {known}", f"cannot reshape {{}} elements to {target}\n  in {where}", (f"({total})",) + dynamic)
            return [tuple(str(s) for s in shape)]
        if known == "0":
            raise NotImplementedError("reshape with -1 and a zero size")
        total, known = sizes.local(f"({total})"), sizes.local(f"({known})")
        if not known.isdigit():
            sizes.check(f"{known} <= 0", f"reshape: a size is -1 or 0 besides the -1 (their product is {{}})\n  in {where}", (known,))
        sizes.check(f"{total} % {known} != 0", f"cannot reshape {{}} elements to {target}\n  in {where}", (total,) + dynamic)
        missing = sizes.local(f"{total} // {known}")
        return [tuple(missing if s == -1 else str(s) for s in shape)]

    def evaluate(self, x, *bounds):
        return [np.reshape(x, resolve(self.shape, [int(b) for b in bounds]))]

    def pullback(self, node, cotangents):
        (g,) = cotangents
        return [None if g is None else ReshapeLike()(g, node.inputs[0])] + [None] * (len(node.inputs) - 1)

    def __str__(self) -> str:
        return f"reshape{{{', '.join(map(str, self.shape))}}}"


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
        out = [sizes.of(ref)[k] if not ref.type.broadcastable[k] or k < lead else sizes.of(x)[k - lead] for k in range(ref.ndim)]
        for k in range(x.ndim):  # only size-1 axes broadcast (the Theano rule)
            if not x.type.broadcastable[k]:
                out[lead + k] = sizes.equal([sizes.of(x)[k], out[lead + k]], node, "broadcast")
        return [tuple(out)]

    def evaluate(self, x, ref):
        return [np.array(np.broadcast_to(x, ref.shape))]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        return [None if g is None else T.sum_to(g, node.inputs[0].type), None]


@dataclass(frozen=True)
class Empty(Op):
    """An uninitialized bool array of ``shape`` (ints or ``Dynamic``): the shape that
    ``alloc`` broadcasts its value to (``broadcast_like(value, empty)``); never read."""

    shape: tuple
    name = "empty"

    def value_inputs(self, node):
        return []

    def output_types(self, *bounds):
        _check_bounds(bounds)
        if any(not isinstance(s, Dynamic) and s < 0 for s in self.shape):
            raise ShapeError(f"negative size in shape {self.shape}")
        return [TensorType("bool", tuple(None if isinstance(s, Dynamic) else s for s in self.shape))]

    def infer_shape(self, node, sizes):
        shape = resolve(self.shape, [sizes.value(v, node) for v in node.inputs])
        for s in shape:
            if not isinstance(s, int):
                sizes.check(f"{s} < 0", f"a size is negative: {{}}\n  in {sizes.literal(node.where())}", (s,))
        return [tuple(str(s) for s in shape)]

    def evaluate(self, *bounds):
        shape = resolve(self.shape, [int(b) for b in bounds])
        if any(s < 0 for s in shape):
            raise ShapeError(f"a size is negative: {shape}")
        return [np.zeros(shape, bool)]

    def pullback(self, node, cotangents):
        return [None] * len(node.inputs)

    def __str__(self) -> str:
        return f"empty{{{', '.join(map(str, self.shape))}}}"


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
