"""Tensor functions made of other ops (NumPy's and Theano's ``var``, ``std``, ``outer``,
``tensordot``, ``batched_dot``, ``eye``, ``tril``/``triu``, ``diag``, ``tile``, ``repeat``;
pooling with padding and partial windows, ``pool2d``): their gradients, fusion and kernels
are those of the ops they are built from."""

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
    avg_pool2d,
    cast,
    concatenate,
    eq,
    expand_dims,
    ge,
    matmul,
    max_pool2d,
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
from symnet.indexing import arange, getitem, inc_subtensor, set_subtensor
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


POOL_MODES = ("max", "sum", "average_exc_pad", "average_inc_pad")


def pool2d(x, size, stride=None, padding=0, mode="max", partial=False):
    """Pooling of x (N, C, H, W) over (kh, kw) windows every ``stride`` (the size by default)
    with ``padding`` around H and W (an int, (ph, pw), or ((top, bottom), (left, right)); each
    pad smaller than the window). ``mode``: "max", "sum", "average_exc_pad" (the mean of the
    window's elements inside x) or "average_inc_pad" (padding counted as zeros). ``partial``
    keeps the last windows that reach past the padded edge, each over its part inside
    (Theano's ``ignore_border=False``; Keras' "same" is ``padding`` with whole windows).
    Built as a pooling of x written into a padded grid, whose padding max never picks and a
    mask's pooling counts, so gradients and kernels are the pools'."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise TypeError(f"pool2d takes (N, C, H, W), got {x.type}")
    if mode not in POOL_MODES:
        raise ValueError(f"pool2d: mode must be one of {', '.join(map(repr, POOL_MODES))}, got {mode!r}")
    size = _two("pool2d: size", size)
    stride = size if stride is None else _two("pool2d: stride", stride)
    pads = _pads(padding)
    if builtins.any(p >= w for (a, b), w in zip(pads, size) for p in (a, b)):
        raise ValueError(f"pool2d: padding {pads} must be smaller than the window {size} on each side")
    area = float(size[0] * size[1])
    if pads == ((0, 0), (0, 0)) and not partial:
        pooled = max_pool2d(x, size, stride) if mode == "max" else avg_pool2d(x, size, stride)
        return pooled * area if mode == "sum" else pooled
    sizes = [x.type.shape[k] if x.type.shape[k] is not None else shape_i(x, k) for k in range(4)]
    extents, grid = [], []
    for n, (before, after), w, s in zip(sizes[2:], pads, size, stride):
        extent = n + before + after
        if partial:  # every window that starts inside, up to the first that reaches the end
            out = _minimum((extent + s - 1) // s, _maximum(0, (extent - w + s - 1) // s) + 1)
        else:
            out = _maximum(0, (extent - w) // s + 1)
        extents.append(extent)
        grid.append(_maximum((out - 1) * s + w, extent))
    inside = (slice(None), slice(None)) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes[2:]))
    if mode == "max":
        lowest = -np.inf if is_float(x.dtype) else (np.iinfo(x.dtype).min if x.dtype != "bool" else False)
        padded = set_subtensor(getitem(alloc(Constant(lowest, x.dtype), *sizes[:2], *grid), inside), x)
        return max_pool2d(padded, size, stride)
    padded = set_subtensor(getitem(alloc(Constant(0, x.dtype), *sizes[:2], *grid), inside), x)
    sums = avg_pool2d(padded, size, stride) * area
    if mode == "sum":
        return sums
    counted = inside if mode == "average_exc_pad" else (slice(None), slice(None)) + tuple(slice(0, e) for e in extents)
    mask = set_subtensor(getitem(alloc(Constant(0, sums.dtype), 1, 1, *grid), counted), 1.0)
    return sums / (avg_pool2d(mask, size, stride) * area)


def _two(what: str, value) -> tuple:
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{what} takes an int or two, got {value!r}")
    pair = tuple(_int(v, what) for v in pair)
    if builtins.any(v < 1 for v in pair):
        raise ValueError(f"{what} must be positive, got {value!r}")
    return pair


def _pads(padding) -> tuple:
    if isinstance(padding, numbers.Integral):
        padding = (padding, padding)
    padding = tuple(padding)
    if len(padding) != 2:
        raise ValueError(f"pool2d: padding takes an int, (ph, pw) or ((top, bottom), (left, right)), got {padding!r}")
    pads = tuple((p, p) if isinstance(p, numbers.Integral) else tuple(p) for p in padding)
    if builtins.any(len(p) != 2 for p in pads):
        raise ValueError(f"pool2d: padding takes an int, (ph, pw) or ((top, bottom), (left, right)), got {padding!r}")
    pads = tuple(tuple(_int(v, "pool2d: padding") for v in p) for p in pads)
    if builtins.any(v < 0 for p in pads for v in p):
        raise ValueError(f"pool2d: padding must be >= 0, got {padding!r}")
    return pads


def _maximum(a, b):
    return builtins.max(a, b) if isinstance(a, int) and isinstance(b, int) else maximum(as_tensor(a), as_tensor(b))


def _minimum(a, b):
    return builtins.min(a, b) if isinstance(a, int) and isinstance(b, int) else minimum(as_tensor(a), as_tensor(b))
