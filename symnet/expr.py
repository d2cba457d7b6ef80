"""User-facing expression builders: inputs, constants, NumPy-like math, shapes (``sn.*``)."""

from __future__ import annotations

import builtins
import numbers
from typing import Callable, Sequence

import numpy as np

from symnet.config import config
from symnet.errors import ShapeError
from symnet.graph import Constant, SharedVariable, Variable, clone
from symnet.ops import elementwise as ew
from symnet.ops.conv import Conv2d, Pool2d
from symnet.ops.linalg import Matmul
from symnet.ops.nnet import LogSoftmax, OneHot, Softmax
from symnet.ops.reduction import Argmax, Argsort, Cumulate, Reduce, ShapeI
from symnet.ops.shape import BroadcastLike, Concatenate, DimShuffle, Dynamic, Empty, Reshape, StopGradient
from symnet.tensor_type import TensorType, is_float, normalize_dtype

# -- inputs, constants, state ------------------------------------------------------------------


def tensor(name=None, dtype=None, ndim=None, shape=None) -> Variable:
    """A symbolic input; ``shape`` may give known sizes (None where unknown)."""
    if shape is None:
        if ndim is None:
            raise TypeError("tensor() needs ndim= or shape=")
        shape = (None,) * ndim
    elif ndim is not None and ndim != len(shape):
        raise TypeError(f"ndim={ndim} does not match shape={shape}")
    return Variable(TensorType(dtype or config.floatX, tuple(shape)), name=name)


def scalar(name=None, dtype=None) -> Variable:
    return tensor(name, dtype, ndim=0)


def vector(name=None, dtype=None) -> Variable:
    return tensor(name, dtype, ndim=1)


def matrix(name=None, dtype=None) -> Variable:
    return tensor(name, dtype, ndim=2)


def tensor3(name=None, dtype=None) -> Variable:
    return tensor(name, dtype, ndim=3)


def tensor4(name=None, dtype=None) -> Variable:
    return tensor(name, dtype, ndim=4)


def constant(value, dtype=None, name=None) -> Constant:
    if isinstance(value, Variable):
        raise TypeError("constant() takes a number or an array, not a symbolic variable")
    return Constant(value, dtype, name)


def shared(value, name=None, borrow: bool = False) -> SharedVariable:
    """State kept across calls; ``borrow=True`` keeps ``value``'s own array (not a copy)
    where its dtype is supported as it is, so updates are seen in it."""
    return SharedVariable(value, name, borrow)


def as_tensor(value, like: Variable | None = None, what: str = "a value") -> Variable:
    """A Variable for ``value``; Python numbers take the dtype of ``like`` where their kind
    fits (NumPy's weak-scalar rule: ``x_float32 * 2.0`` stays float32). ``what`` names the
    argument in the error for something that is neither an expression nor numbers."""
    if isinstance(value, Variable):
        return value
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a symbolic expression or numbers, got {value!r}")
    if isinstance(value, (bool, np.bool_)):
        return Constant(value, "bool")
    if isinstance(value, numbers.Integral):
        if like is not None and like.dtype != "bool":
            return Constant(value, like.dtype)
        return Constant(value, "int64")
    if isinstance(value, numbers.Real) and not isinstance(value, np.floating):
        return Constant(value, like.dtype if like is not None and is_float(like.dtype) else config.floatX)
    return Constant(np.asarray(value))


def _pair(a, b):
    a_var = a if isinstance(a, Variable) else None
    b_var = b if isinstance(b, Variable) else None
    return as_tensor(a, b_var), as_tensor(b, a_var)


def _binary(op):
    def build(a, b):
        return op(*_pair(a, b))

    build.__name__ = op.name
    return build


# -- elementwise -------------------------------------------------------------------------------

add = _binary(ew.add)
sub = _binary(ew.sub)
mul = _binary(ew.mul)
true_div = _binary(ew.true_div)
lt = _binary(ew.lt)
le = _binary(ew.le)
gt = _binary(ew.gt)
ge = _binary(ew.ge)
eq = _binary(ew.eq)
neq = _binary(ew.neq)
maximum = _binary(ew.maximum)
minimum = _binary(ew.minimum)
floor_div = _binary(ew.floor_div)  # a // b
mod = _binary(ew.mod)  # a % b, with the sign of b (NumPy's remainder)


def power(a, b):
    """a ** b; a constant scalar exponent is part of the op (x ** 2 differentiates to 2x)."""
    if isinstance(a, Variable) and not isinstance(b, Variable) and np.ndim(b) == 0:
        value = float(b)
        if value.is_integer() or is_float(a.dtype):
            return ew.power_const(value)(a)
    return ew.power(*_pair(a, b))


def neg(x):
    return ew.neg(as_tensor(x))


def where(condition, a, b):
    a, b = _pair(a, b)
    return ew.where(as_tensor(condition), a, b)


switch = where  # Theano's name


def clip(x, lo, hi):
    x = as_tensor(x)
    return ew.clip(x, as_tensor(lo, x), as_tensor(hi, x))


def _unary(op):
    def build(x):
        return op(as_tensor(x))

    build.__name__ = op.name
    return build


exp = _unary(ew.exp)
log = _unary(ew.log)
log1p = _unary(ew.log1p)
expm1 = _unary(ew.expm1)
sqrt = _unary(ew.sqrt)
square = _unary(ew.square)
sin = _unary(ew.sin)
cos = _unary(ew.cos)
tanh = _unary(ew.tanh)
erf = _unary(ew.erf)
sigmoid = _unary(ew.sigmoid)
softplus = _unary(ew.softplus)
relu = _unary(ew.relu)
gelu = _unary(ew.gelu)
abs = _unary(ew.abs_)
zeros_like = _unary(ew.zeros_like)
ones_like = _unary(ew.ones_like)


sign = _unary(ew.sign)


def _integral(op):
    """An op that leaves integers as they are (NumPy keeps their dtype too)."""

    def build(x):
        x = as_tensor(x)
        return x if not is_float(x.dtype) else op(x)

    build.__name__ = op.name
    return build


floor = _integral(ew.floor)
ceil = _integral(ew.ceil)
_ROUNDINGS = {"half_to_even": _integral(ew.round_half_even), "half_away_from_zero": _integral(ew.round_half_away)}


def round(x, mode: str = "half_to_even"):
    """The nearest integer (same dtype); halves go to the even one as in NumPy, or away from
    zero with ``mode="half_away_from_zero"`` (Theano's two modes)."""
    if mode not in _ROUNDINGS:
        raise ValueError(f"round: mode must be 'half_to_even' or 'half_away_from_zero', got {mode!r}")
    return _ROUNDINGS[mode](x)


def leaky_relu(x, alpha: float = 0.01):
    return ew.leaky_relu(alpha)(as_tensor(x))


def elu(x, alpha: float = 1.0):
    return ew.elu(alpha)(as_tensor(x))


def cast(x, dtype):
    x = as_tensor(x)
    dtype = normalize_dtype(dtype)
    return x if x.dtype == dtype else ew.cast(dtype)(x)


def elementwise(fn: Callable, name: str = "elementwise") -> Callable:
    """A new elementwise function from a sympy formula; its gradient and fusion come for free.

    ``swish = sn.elementwise(lambda z: z / (1 + sympy.exp(-z)), name="swish")``
    """
    op = ew.user_elementwise(fn, name)

    def apply(*args):
        if len(args) != op.nin:
            raise TypeError(f"{name} takes {op.nin} arguments, got {len(args)}")
        like = next((a for a in args if isinstance(a, Variable)), None)
        return op(*(as_tensor(a, like) for a in args))

    apply.__name__ = name
    apply.op = op
    return apply


def clone_replace(outputs, replace=None):
    """``outputs`` (one expression or a list) rebuilt with each variable of ``replace``
    (``{variable: expression}`` or pairs) swapped for its expression; the originals are
    left as they are (Theano's ``clone_replace``)."""
    single = not isinstance(outputs, (list, tuple))
    outs = [as_tensor(o, what="an output of clone_replace") for o in ([outputs] if single else outputs)]
    pairs = list((replace or {}).items() if isinstance(replace, dict) or replace is None else replace)
    swap = {}
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[0], Variable):
            raise TypeError(f"clone_replace: replace must map symbolic variables to expressions, got {pair!r}")
        var, value = pair
        new = as_tensor(value, var, what=f"the replacement of {var.label()}")
        if new.ndim != var.ndim:
            raise TypeError(f"clone_replace: {var.label()} is {var.type} but its replacement is {new.type}")
        swap[var] = new
    cloned = clone(outs, swap)
    return cloned[0] if single else cloned


def stop_gradient(x):
    """``x``, treated as a constant by ``grad``."""
    return StopGradient()(as_tensor(x))


# -- reductions --------------------------------------------------------------------------------


def _axes(x: Variable, axis) -> tuple:
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not -x.ndim <= a < builtins.max(x.ndim, 1):
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for a {x.ndim}-d tensor")
        out.append(a % x.ndim if x.ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def _axis(axis: int, ndim: int) -> int:
    """``axis`` as an index into ``ndim`` axes; NumPy's AxisError where it is out of range."""
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"axis {axis} is out of bounds for a {ndim}-d tensor")
    return axis % ndim


def _reduce(kind: str, x, axis, keepdims):
    x = as_tensor(x)
    return Reduce(kind, _axes(x, axis), keepdims)(x)


def sum(x, axis=None, keepdims=False):
    return _reduce("sum", x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    return _reduce("max", x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    """The product over ``axis`` (1 over no elements); its gradient is exact at zeros."""
    return _reduce("prod", x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    return _reduce("min", x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    total = sum(x, axis, keepdims)
    return true_div(total, cast(size(x, axis), total.dtype if is_float(total.dtype) else config.floatX))


def _cumulate(kind: str, x, axis):
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, -1), 0  # NumPy's and Theano's: over the flattened array
    return Cumulate(kind, _axis(axis, builtins.max(x.ndim, 1)))(x)


def cumsum(x, axis=None):
    """The running sum along ``axis`` (of the flattened x by default)."""
    return _cumulate("sum", x, axis)


def cumprod(x, axis=None):
    """The running product along ``axis``; its gradient divides by x (as Theano's)."""
    return _cumulate("prod", x, axis)


def argsort(x, axis=-1):
    """The indices that sort x along ``axis`` (None: the flattened x), stably; NaN last."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    return Argsort(_axis(axis, builtins.max(x.ndim, 1)))(x)


def sort(x, axis=-1):
    """x sorted along ``axis`` (None: flattened): picked by argsort, so it differentiates."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    return take_along_axis(x, argsort(x, axis), axis)  # symnet.indexing's, imported below


def size(x, axis=None):
    """Number of elements over ``axis`` (all axes by default), an int64 scalar."""
    x = as_tensor(x)
    n = as_tensor(1, None)
    for a in _axes(x, axis):
        n = n * shape_i(x, a)
    return n


def argmax(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return Argmax(None if axis is None else _axes(x, axis)[0], keepdims)(x)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) computed with the max shifted out, so it neither overflows nor underflows."""
    x = as_tensor(x)
    if not is_float(x.dtype):
        x = cast(x, config.floatX)  # like exp: integers give floatX
    axes = _axes(x, axis)
    shift = stop_gradient(max(x, axes, keepdims=True))
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else squeeze(out, axes)


def shape_i(x, i: int):
    x = as_tensor(x)
    if x.type.shape[i] is not None:
        return Constant(x.type.shape[i], "int64")
    return ShapeI(i)(x)


# -- shapes ---------------------------------------------------------------------------------------


def transpose(x, *axes):
    x = as_tensor(x)
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    axes = axes or tuple(reversed(range(x.ndim)))
    if sorted(a % builtins.max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(f"axes {axes} are not a permutation of {x.ndim} axes")
    return DimShuffle(tuple(a % x.ndim for a in axes))(x)


def swapaxes(x, a: int = -2, b: int = -1):
    x = as_tensor(x)
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    return DimShuffle(tuple(order))(x)


def expand_dims(x, axes: Sequence[int]):
    """Insert size-1 axes so that they sit at ``axes`` of the result."""
    x = as_tensor(x)
    ndim = x.ndim + len(axes)
    new = {a % ndim for a in axes}
    inputs = iter(range(x.ndim))
    return DimShuffle(tuple("x" if j in new else next(inputs) for j in range(ndim)))(x)


def squeeze(x, axes: Sequence[int]):
    x = as_tensor(x)
    drop = {a % x.ndim for a in axes}
    return DimShuffle(tuple(a for a in range(x.ndim) if a not in drop))(x)


def reshape(x, *shape):
    """x with ``shape`` (ints or integer scalars such as ``y.shape[0]``; one -1 at most)."""
    x = as_tensor(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    spec, bounds = _sizes(shape, "a reshape size")
    return Reshape(spec)(x, *bounds)


def flatten(x, ndim: int = 1):
    """x with its first ``ndim - 1`` axes kept and the others joined into one (Theano's)."""
    x = as_tensor(x)
    if isinstance(ndim, bool) or not isinstance(ndim, numbers.Integral) or not 1 <= ndim <= builtins.max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be between 1 and {builtins.max(x.ndim, 1)} for a {x.ndim}-d tensor, got {ndim!r}")
    return reshape(x, tuple(shape_i(x, a) for a in range(ndim - 1)) + (-1,))


def dimshuffle(x, *pattern):
    """Theano's dimshuffle: ``pattern`` lists input axes in their new order and 'x' for new
    broadcastable axes; axes left out must have size 1 (``x.dimshuffle(0, 'x', 1)``)."""
    x = as_tensor(x)
    if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
        pattern = tuple(pattern[0])
    if any(not (p == "x" or (isinstance(p, numbers.Integral) and not isinstance(p, bool))) for p in pattern):
        raise TypeError(f"dimshuffle: the pattern holds axis numbers and 'x', got {pattern!r}")
    return DimShuffle(tuple(p if p == "x" else int(p) for p in pattern))(x)


def norm(x, L=2, axis=None, keepdims=False):
    """The L-norm over ``axis`` (all axes by default): L=1, 2, any p > 0, or inf (max |x|)."""
    x = as_tensor(x)
    if L == 1:
        return sum(abs(x), axis, keepdims)
    if L == 2:
        return sqrt(sum(square(x), axis, keepdims))
    if L == np.inf:
        return max(abs(x), axis, keepdims)
    if not isinstance(L, numbers.Real) or isinstance(L, bool) or not L > 0:
        raise ValueError(f"norm: L must be a positive number or inf, got {L!r}")
    return power(sum(power(abs(x), L), axis, keepdims), 1.0 / L)


def broadcast_like(x, ref):
    return BroadcastLike()(as_tensor(x), as_tensor(ref))


def sum_to(x: Variable, target: TensorType) -> Variable:
    """Sum ``x`` over the axes that broadcasting added to reach it from ``target``: the one
    un-broadcasting helper every pullback uses."""
    lead = x.ndim - target.ndim
    if lead < 0:
        raise ShapeError(f"cannot sum {x.type} down to {target}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, t in enumerate(target.shape) if t == 1 and x.type.shape[lead + i] != 1
    )
    if axes:
        x = Reduce("sum", axes, keepdims=True)(x)
    if lead:
        x = DimShuffle(tuple(range(lead, x.ndim)))(x)
    return x


# -- products, joining ---------------------------------------------------------------------


def matmul(a, b):
    return Matmul()(*_pair(a, b))


def dot(a, b):
    """``np.dot``: a scalar operand multiplies; up to 2 dims a matrix product; beyond, the sum
    over a's last axis and b's second-to-last (its only axis for a vector)."""
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim > 2 or b.ndim > 2:
        from symnet.composite import tensordot

        return tensordot(a, b, axes=([a.ndim - 1], [builtins.max(b.ndim - 2, 0)]))
    return Matmul()(a, b)


def _sizes(shape, what: str) -> tuple:
    """(spec, bounds) of a shape given as an int, an integer scalar or a sequence of them."""
    if isinstance(shape, Variable) and shape.ndim == 1:
        raise TypeError(f"{what}: give the sizes as a tuple (x.shape is one), not as a symbolic vector")
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    bounds: list = []
    return tuple(_bound(s, bounds, what) for s in shape), bounds


def alloc(value, *shape):
    """``value`` broadcast to ``shape`` (Theano's alloc): sizes are ints or integer scalars."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    value = as_tensor(value, what="alloc's value")
    spec, bounds = _sizes(shape, "an alloc size")
    if value.ndim > len(spec):
        raise ShapeError(f"alloc: a {value.ndim}-d value cannot be broadcast to {len(spec)} dims")
    return BroadcastLike()(value, Empty(spec)(*bounds))


def zeros(shape, dtype=None):
    """An array of zeros of ``shape`` (ints or integer scalars such as ``x.shape[0]``)."""
    return alloc(Constant(0, normalize_dtype(dtype or config.floatX)), shape)


def ones(shape, dtype=None):
    return alloc(Constant(1, normalize_dtype(dtype or config.floatX)), shape)


def _bound(v, bounds: list, what: str):
    """An int, or ``Dynamic(k)`` for a symbolic integer scalar (appended to ``bounds``)."""
    if isinstance(v, Constant) and v.ndim == 0 and v.dtype.startswith("int"):
        return int(v.data)  # a known size (x.shape[k] of a known axis is one): keeps the type's sizes
    if isinstance(v, Variable):
        if v.ndim != 0 or not v.dtype.startswith("int"):
            raise TypeError(f"{what} must be an integer scalar, got {v.label()}: {v.type}")
        bounds.append(v)
        return Dynamic(len(bounds) - 1)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{what} must be an int or an integer scalar, got {v!r}")
    return int(v)


def concatenate(xs, axis: int = 0):
    xs = [as_tensor(x) for x in xs]
    if not xs:
        raise TypeError("concatenate needs at least one tensor")
    return Concatenate(_axis(axis, xs[0].ndim))(*xs)


def stack(xs, axis: int = 0):
    xs = [as_tensor(x) for x in xs]
    if not xs:
        raise TypeError("stack needs at least one tensor")
    axis = _axis(axis, xs[0].ndim + 1)
    return concatenate([expand_dims(x, (axis,)) for x in xs], axis)


def one_hot(idx, n: int, dtype=None):
    return OneHot(int(n), normalize_dtype(dtype or config.floatX))(as_tensor(idx))


def softmax(x, axis: int = -1):
    x = as_tensor(x)
    return Softmax(_axis(axis, x.ndim))(x)


def log_softmax(x, axis: int = -1):
    x = as_tensor(x)
    return LogSoftmax(_axis(axis, x.ndim))(x)


def _int_pair(value, what: str) -> tuple:
    """(a, b) from an int or a pair of ints, each checked to be >= the least allowed."""
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) for v in pair):
        raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
    least = 0 if what == "padding" else 1
    if any(v < least for v in pair):
        raise ValueError(f"{what} must be >= {least}, got {value!r}")
    return tuple(int(v) for v in pair)


def conv2d(x, w, stride=1, padding=0):
    """Cross-correlation of x (N, C, H, W) with kernels w (F, C, kh, kw): (N, F, Ho, Wo)."""
    return Conv2d(_int_pair(stride, "stride"), _int_pair(padding, "padding"))(as_tensor(x), as_tensor(w))


def _pool(kind: str, x, size, stride):
    size = _int_pair(size, "size")
    stride = size if stride is None else _int_pair(stride, "stride")
    return Pool2d(kind, size, stride)(as_tensor(x))


def max_pool2d(x, size, stride=None):
    """The maximum of each (kh, kw) window of x (N, C, H, W); stride defaults to the size."""
    return _pool("max", x, size, stride)


def avg_pool2d(x, size, stride=None):
    """The mean of each (kh, kw) window of x (N, C, H, W); stride defaults to the size."""
    return _pool("avg", x, size, stride)


# indexing (x[...], sn.arange, set/inc_subtensor) and random streams have modules of their own;
# they build on the functions above, so they are imported last
from symnet.indexing import arange, getitem, inc_subtensor, set_subtensor, take_along_axis  # noqa: E402, F401
from symnet.random import RandomStream  # noqa: E402, F401
