"""User-facing indexing: ``x[...]`` as NumPy does it (ints, slices and their symbolic bounds,
integer arrays), ``sn.arange``, ``sn.set_subtensor`` and ``sn.inc_subtensor``."""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from symnet.expr import (
    _axis,
    _bound,
    add,
    as_tensor,
    broadcast_like,
    cast,
    ge,
    gt,
    lt,
    maximum,
    mul,
    ones_like,
    reshape,
    shape_i,
    where,
)
from symnet.graph import Constant, Variable
from symnet.ops.indexing import ARange, IncSubtensor, SetSubtensor, Subtensor, Take, TakeAlongAxis, TakeGrad
from symnet.ops.shape import ReshapeLike
from symnet.tensor_type import normalize_dtype


def getitem(x, index):
    x = as_tensor(x)
    if isinstance(index, Variable) or _is_int_array(index):
        return Take(0)(x, as_tensor(index))
    index = index if isinstance(index, tuple) else (index,)
    if builtins.any(isinstance(e, Variable) and e.ndim > 0 or _is_int_array(e) for e in index):
        picked, sliced = _advanced_index(x, index)
        picked.picked_from = (x, sliced)  # for inc_subtensor(x[a, b], y)
        return picked
    bounds: list = []
    spec = _index_spec(x, index, bounds)
    return Subtensor(spec)(x, *bounds)


def _is_int_array(e) -> bool:
    return isinstance(e, (list, np.ndarray)) and np.asarray(e).dtype.kind in "iu"


def _advanced_index(x, index: tuple):
    """NumPy's indexing by integer arrays in one run of adjacent axes (``p[sn.arange(n), y]``,
    ``x[:, rows, cols]``): the run's axes are joined into one and picked by one flat index,
    so the gather and its gradient are ``take``'s. Ints in the run broadcast like 0-d arrays.
    Returns the result and ``x`` with the other axes' slices applied (what is picked from)."""
    if builtins.sum(e is Ellipsis for e in index) > 1:
        raise IndexError("an index can only have a single ellipsis")
    if builtins.any(e is None for e in index):
        raise NotImplementedError("indexing by integer arrays together with None (a new axis) is not supported; "
                                  "index first, then add the axis with sn.expand_dims")
    filled = []
    for e in index:
        filled.extend([slice(None)] * (x.ndim - len(index) + 1) if e is Ellipsis else [e])
    if len(filled) > x.ndim:
        raise IndexError(f"too many indices ({len(filled)}) for a {x.ndim}-d tensor")
    picked = [k for k, e in enumerate(filled) if not isinstance(e, slice)]
    first, last = picked[0], picked[-1]
    if len(picked) != last - first + 1:
        raise NotImplementedError(
            "integer arrays (and ints among them) must index adjacent axes, as in x[a, b] or x[:, a, b]; "
            "a slice between them moves the picked axes first in NumPy, which symnet does not do: transpose first"
        )
    arrays = []
    for e in filled[first : last + 1]:
        v = as_tensor(e)
        if v.dtype == "bool":
            raise NotImplementedError("indexing by a boolean mask has a data-dependent size; use sn.where(mask, x, 0) instead")
        if not v.dtype.startswith("int"):
            raise TypeError(f"indices must be integers, got {v.type}")
        arrays.append(cast(v, "int64"))
    # the slices of the other axes first (they keep every axis)
    if builtins.any(e != slice(None) for e in filled):
        x = getitem(x, tuple(slice(None) if k in picked else e for k, e in enumerate(filled)))
    if len(arrays) == 1:
        return Take(first)(x, arrays[0]), x
    sizes = [shape_i(x, first + j) for j in range(len(arrays))]
    flat, valid = None, None
    for idx, n in zip(arrays, sizes):
        idx = where(lt(idx, 0), idx + n, idx)  # NumPy counts negative indices from the end
        inside = mul(ge(idx, 0), lt(idx, n))
        flat = idx if flat is None else flat * n + idx
        valid = inside if valid is None else mul(valid, inside)
    total = sizes[0]
    for n in sizes[1:]:
        total = total * n
    # an index out of its axis would pick another row's element: send it out of the joined
    # axis, where take raises IndexError
    flat = where(valid, flat, total)
    joined = reshape(x, tuple(shape_i(x, a) for a in range(first)) + (total,) + tuple(shape_i(x, a) for a in range(last + 1, x.ndim)))
    return Take(first)(joined, flat), x


def set_subtensor(view, y):
    """``x`` with ``view = x[index]`` replaced by ``y`` (Theano's ``set_subtensor(x[i], y)``).
    With integer arrays, an element indexed more than once gets the mean of the values sent
    to it (NumPy leaves which one wins unspecified; the mean is one rule on every target)."""
    return _into_subtensor(view, y, "set_subtensor")


def inc_subtensor(view, y):
    """``x`` with ``y`` added into ``view = x[index]``; with integer arrays, repeated indices
    add up (``np.add.at``)."""
    return _into_subtensor(view, y, "inc_subtensor")


def _into_subtensor(view, y, what: str):
    node = view.owner if isinstance(view, Variable) else None
    if node is None or not isinstance(node.op, (Subtensor, Take)):
        raise TypeError(f"{what}: the first argument must be an index of a tensor, as in {what}(x[2:5], y)")
    x, sliced = getattr(view, "picked_from", (node.inputs[0], node.inputs[0]))
    y = as_tensor(y, x, what=f"{what}'s value")
    if y.dtype != x.dtype:
        if not np.can_cast(y.dtype, x.dtype, "same_kind"):
            raise TypeError(f"{what}: a {y.dtype} value cannot be written into {x.label()} of dtype {x.dtype}")
        y = cast(y, x.dtype)
    if isinstance(node.op, Subtensor):
        op = SetSubtensor(node.op.spec) if what == "set_subtensor" else IncSubtensor(node.op.spec)
        return op(x, y, *node.inputs[1:])
    # x[idx] is take of x (sliced on other axes) or of its joined axes (several arrays): y goes
    # in through take's gradient, which sums repeated indices, shaped back as the sliced x
    taken, idx = node.inputs[0], node.inputs[1]
    scatter = TakeGrad(node.op.axis)
    if what == "set_subtensor":
        work = "int64" if x.dtype == "bool" else x.dtype
        values = cast(broadcast_like(y, view), work)
        hits = scatter(taken, idx, ones_like(values))  # how many values each element gets
        sums = scatter(taken, idx, values)
        mean = sums / maximum(hits, 1) if work.startswith("float") else sums // maximum(hits, 1)
        new = cast(where(gt(hits, 0), mean, cast(taken, work)), x.dtype)
    else:
        new = scatter(taken, idx, broadcast_like(y, view))
    new = ReshapeLike()(new, sliced) if new.ndim != sliced.ndim or taken is not sliced else new
    if sliced is x:
        return new if what == "set_subtensor" else add(x, new)
    op = SetSubtensor if what == "set_subtensor" else IncSubtensor
    return op(sliced.owner.op.spec)(x, new, *sliced.owner.inputs[1:])


def arange(start, stop=None, step=1, dtype="int64"):
    """``np.arange`` of integers; each bound may be an integer scalar (``sn.arange(x.shape[0])``)."""
    if stop is None:
        start, stop = 0, start
    dtype = normalize_dtype(dtype)
    bounds = [as_tensor(v, what=f"arange's {name}") for v, name in zip((start, stop, step), ("start", "stop", "step"))]
    if builtins.all(isinstance(v, Constant) for v in bounds):
        values = [v.data[()] for v in bounds]
        if builtins.any(np.asarray(v).dtype.kind not in "iu" for v in values):
            raise TypeError(f"arange takes integers, got {start!r}, {stop!r}, {step!r}")
        if int(values[2]) == 0:
            raise ValueError("arange: step cannot be zero")
        return Constant(np.arange(*(int(v) for v in values), dtype=dtype))
    return ARange(dtype)(*bounds)


def _index_spec(x, index: tuple, bounds: list) -> tuple:
    if builtins.sum(e is Ellipsis for e in index) > 1:
        raise IndexError("an index can only have a single ellipsis")
    consumed = builtins.sum(e is not None and e is not Ellipsis for e in index)
    spec = []
    for e in index:
        if e is Ellipsis:
            spec.extend([(None, None, None)] * (x.ndim - consumed))
        elif e is None:
            spec.append(None)
        elif isinstance(e, slice):
            if isinstance(e.step, numbers.Integral) and e.step == 0:
                raise ValueError("slice step cannot be zero")
            spec.append(tuple(None if v is None else _bound(v, bounds, "a slice bound") for v in (e.start, e.stop, e.step)))
        elif (isinstance(e, numbers.Integral) and not isinstance(e, bool)) or (isinstance(e, Variable) and e.ndim == 0):
            spec.append(_bound(e, bounds, "an index"))
        else:
            raise TypeError(
                f"unsupported index {e!r}: use ints, integer scalars, slices, None, ... "
                "or one integer array (sn.take_along_axis for one index per row)"
            )
    return tuple(spec)


def take_along_axis(x, idx, axis: int):
    x = as_tensor(x)
    return TakeAlongAxis(_axis(axis, x.ndim))(x, as_tensor(idx))
