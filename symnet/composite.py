"""Tensor functions made of other ops (NumPy's and Theano's ``var``, ``std``, ``outer``,
``tensordot``, ``batched_dot``, ``eye``, ``tril``/``triu``, ``diag``, ``tile``, ``repeat``):
their gradients, fusion and kernels are those of the ops they are built from."""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from symnet.config import config
from symnet.expr import (
    _axes,
    _axis,
    alloc,
    as_tensor,
    cast,
    concatenate,
    eq,
    expand_dims,
    ge,
    matmul,
    maximum,
    mean,
    minimum,
    reshape,
    shape_i,
    size,
    sqrt,
    square,
    sum,
    transpose,
    where,
)
from symnet.errors import ShapeError
from symnet.graph import Constant
from symnet.indexing import arange, getitem, inc_subtensor
from symnet.tensor_type import is_float, normalize_dtype


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return int(value)


def var(x, axis=None, ddof=0, keepdims=False):
    """The variance over ``axis``: the mean squared deviation, divided by n - ddof."""
    x = as_tensor(x)
    x = x if is_float(x.dtype) else cast(x, config.floatX)
    deviation = square(x - mean(x, axis, keepdims=True))
    if ddof == 0:
        return mean(deviation, axis, keepdims)
    n = cast(size(x, axis), x.dtype)
    return sum(deviation, axis, keepdims) / (n - _int(ddof, "var: ddof"))


def std(x, axis=None, ddof=0, keepdims=False):
    return sqrt(var(x, axis, ddof, keepdims))


def outer(a, b):
    """a_i b_j for every element of the flattened a and b."""
    a, b = as_tensor(a), as_tensor(b)
    return reshape(a, -1)[:, None] * reshape(b, -1)[None, :]


def tensordot(a, b, axes=2):
    """NumPy's tensordot: the sum over ``axes`` of a (its last ``axes``, or the listed ones)
    against b's (its first, or the listed ones), as one matrix product."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(axes, numbers.Integral):
        n = _int(axes, "tensordot: axes")
        a_axes, b_axes = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        a_axes, b_axes = ([x] if isinstance(x, numbers.Integral) else list(x) for x in axes)
    a_axes = [_axis(k, a.ndim) for k in a_axes]
    b_axes = [_axis(k, b.ndim) for k in b_axes]
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: {len(a_axes)} axes of a against {len(b_axes)} of b")
    for i, j in zip(a_axes, b_axes):
        n, m = a.type.shape[i], b.type.shape[j]
        if n is not None and m is not None and n != m:
            raise ShapeError(f"tensordot: the inner sizes differ: axis {i} of a has {n}, axis {j} of b has {m}")
    a_free = [k for k in range(a.ndim) if k not in a_axes]
    b_free = [k for k in range(b.ndim) if k not in b_axes]
    joined = _product([shape_i(a, k) for k in a_axes])
    left = reshape(transpose(a, a_free + a_axes), (_product([shape_i(a, k) for k in a_free]), joined))
    right = reshape(transpose(b, b_axes + b_free), (joined, _product([shape_i(b, k) for k in b_free])))
    return reshape(matmul(left, right), tuple(shape_i(a, k) for k in a_free) + tuple(shape_i(b, k) for k in b_free))


def _product(sizes):
    """The product of sizes: an int where all are known (the types keep it), else a scalar."""
    known = [int(s.data) for s in sizes if isinstance(s, Constant)]
    out = int(np.prod(known, dtype=np.int64)) if known else 1
    for s in sizes:
        if not isinstance(s, Constant):
            out = out * s
    return out


def batched_dot(a, b):
    """One product per entry of the first axis: (B, n, m) with (B, m, p) gives (B, n, p);
    (B, n) with (B, n, p), (B, n, m) with (B, m) and (B, n) with (B, n) drop the vector axes."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim not in (2, 3) or b.ndim not in (2, 3):
        raise TypeError(f"batched_dot takes 2-d or 3-d operands, got {a.type} and {b.type}")
    if a.ndim == 2 and b.ndim == 2:
        return sum(a * b, axis=1)
    left = a[:, None, :] if a.ndim == 2 else a
    right = b[:, :, None] if b.ndim == 2 else b
    out = matmul(left, right)
    if a.ndim == 2:
        out = out[:, 0]
    return out[..., 0] if b.ndim == 2 else out


def eye(n, m=None, k=0, dtype=None):
    """Ones on the k-th diagonal of an (n, m) matrix; sizes may be integer scalars."""
    dtype = normalize_dtype(dtype or config.floatX)
    m = n if m is None else m
    k = _int(k, "eye: k")
    if isinstance(n, numbers.Integral) and isinstance(m, numbers.Integral):
        return Constant(np.eye(int(n), int(m), k, dtype=dtype))
    return cast(eq(arange(n)[:, None] + k, arange(m)[None, :]), dtype)


def _triangle(x, k: int, lower: bool):
    """x with zeros above (``lower``) or below the k-th diagonal of its last two axes."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise TypeError(f"{'tril' if lower else 'triu'} needs at least 2 dims, got {x.type}")
    rows, cols = arange(shape_i(x, x.ndim - 2))[:, None] + k, arange(shape_i(x, x.ndim - 1))[None, :]
    return where(ge(rows, cols) if lower else ge(cols, rows), x, Constant(0, x.dtype))


def tril(x, k=0):
    """x with the elements above the k-th diagonal (of the last two axes) zero."""
    return _triangle(x, _int(k, "tril: k"), lower=True)


def triu(x, k=0):
    """x with the elements below the k-th diagonal (of the last two axes) zero."""
    return _triangle(x, _int(k, "triu: k"), lower=False)


def diag(v, k=0):
    """NumPy's diag: a vector's matrix with it on the k-th diagonal, or a matrix's k-th diagonal."""
    v = as_tensor(v)
    k = _int(k, "diag: k")
    if v.ndim == 1:
        n = shape_i(v, 0) + builtins.abs(k)
        positions = arange(shape_i(v, 0))
        return inc_subtensor(getitem(alloc(Constant(0, v.dtype), n, n), (positions + builtins.max(-k, 0), positions + builtins.max(k, 0))), v)
    if v.ndim == 2:
        length = maximum(minimum(shape_i(v, 0) - builtins.max(-k, 0), shape_i(v, 1) - builtins.max(k, 0)), 0)
        positions = arange(length)
        return getitem(v, (positions + builtins.max(-k, 0), positions + builtins.max(k, 0)))
    raise TypeError(f"diag takes a vector or a matrix, got {v.type}")


def tile(x, reps):
    """NumPy's tile with int repetitions: x repeated ``reps[i]`` times along axis i."""
    x = as_tensor(x)
    reps = (reps,) if isinstance(reps, numbers.Integral) else tuple(reps)
    reps = tuple(_int(r, "tile: reps") for r in reps)
    if builtins.any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be >= 0, got {reps}")
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + tuple(shape_i(x, k) for k in range(x.ndim)))
    reps = (1,) * (x.ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        if r != 1:
            x = concatenate([x] * r, axis) if r else getitem(x, (slice(None),) * axis + (slice(0, 0),))
    return x


def repeat(x, repeats, axis=None):
    """NumPy's repeat with an int count: each element (along ``axis``; of the flattened x by
    default) ``repeats`` times in a row."""
    x = as_tensor(x)
    r = _int(repeats, "repeat: repeats")
    if r < 0:
        raise ValueError(f"repeat: repeats must be >= 0, got {r}")
    if axis is None:
        x, axis = reshape(x, -1), 0
    (axis,) = _axes(x, axis)
    sizes = [shape_i(x, k) for k in range(x.ndim)]
    spread = alloc(expand_dims(x, (axis + 1,)), *(sizes[: axis + 1] + [r] + sizes[axis + 1 :]))
    return reshape(spread, tuple(sizes[:axis]) + (sizes[axis] * r,) + tuple(sizes[axis + 1 :]))
