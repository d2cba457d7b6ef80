"""``theano.tensor`` (``T``): tensor types by Theano's names and the tensor functions,
each symnet's where the meaning is the same, adapted where Theano's signature differs."""

from __future__ import annotations

import symnet as _sn
from symnet import expr as _T
from symnet.config import config as _config
from symnet.theano import grad as _grad
from symnet.unsupported import module_getattr
from symnet.theano.tensor import nnet, shared_randomstreams, signal  # noqa: F401  (T.nnet, T.signal, ...)

# -- types ---------------------------------------------------------------------------------------
_PREFIX = {"i": "int32", "l": "int64", "f": "float32", "d": "float64"}
_SHAPES = {"scalar": (), "vector": (None,), "row": (1, None), "col": (None, 1), "matrix": (None, None),
           "tensor3": (None,) * 3, "tensor4": (None,) * 4}


class TensorType:
    """``T.TensorType(dtype, broadcastable)``: called with a name, it makes an input whose
    axes marked True have size 1 (they broadcast)."""

    def __init__(self, dtype, broadcastable):
        self.dtype = dtype
        self.broadcastable = tuple(bool(b) for b in broadcastable)

    def __call__(self, name=None):
        return _sn.tensor(name, self.dtype, shape=tuple(1 if b else None for b in self.broadcastable))


def _constructor(kind: str, dtype):
    def make(name=None, dtype=dtype):
        return _sn.tensor(name, dtype or _config.floatX, shape=_SHAPES[kind])

    make.__name__ = kind
    return make


def _several(make):
    """Theano's plural constructors (``T.scalars("a", "b")``, ``T.matrices(2)``): one input
    per name, or per character of a single string of several (``T.scalars("xy")``), or ``n``
    unnamed ones; a single name gives the input itself."""
    def several(*names, dtype=None):
        def one(name):
            return make(name) if dtype is None else make(name, dtype)

        if len(names) == 1 and isinstance(names[0], int):
            return [one(None) for _ in range(names[0])]
        if len(names) == 1:
            names = names[0]
        if len(names) == 1:
            return one(names[0] if isinstance(names, (list, tuple)) else names)
        return [one(name) for name in names]

    return several


for _kind in _SHAPES:
    _plural = "matrices" if _kind == "matrix" else _kind + "s"
    globals()[_kind] = _constructor(_kind, None)
    globals()[_plural] = _several(globals()[_kind])
    for _p, _dtype in _PREFIX.items():
        globals()[_p + _kind] = _constructor(_kind, _dtype)
        globals()[_p + _plural] = _several(globals()[_p + _kind])

as_tensor_variable = _sn.as_tensor
constant = _sn.constant

# -- elementwise ---------------------------------------------------------------------------------
exp, log, log1p, expm1, sqrt, tanh, sin, cos, erf = _T.exp, _T.log, _T.log1p, _T.expm1, _T.sqrt, _T.tanh, _T.sin, _T.cos, _T.erf
abs_, sqr, sgn, floor, ceil, round = _T.abs, _T.square, _T.sign, _T.floor, _T.ceil, _T.round
maximum, minimum, clip, switch, where, cast = _T.maximum, _T.minimum, _T.clip, _T.where, _T.where, _T.cast
eq, neq, lt, gt, le, ge = _T.eq, _T.neq, _T.lt, _T.gt, _T.le, _T.ge
pow, mod, floor_div, int_div = _T.power, _T.mod, _T.floor_div, _T.floor_div
zeros_like, ones_like, zeros, ones, alloc, arange = _T.zeros_like, _T.ones_like, _T.zeros, _T.ones, _T.alloc, _T.arange
set_subtensor, inc_subtensor = _T.set_subtensor, _T.inc_subtensor
dot, concatenate, stack, transpose, dimshuffle = _T.dot, _T.concatenate, _T.stack, _T.transpose, _T.dimshuffle
grad = _grad
jacobian, hessian, Rop, Lop = _sn.jacobian, _sn.hessian, _sn.Rop, _sn.Lop
cumsum, cumprod = _sn.cumsum, _sn.cumprod


def sort(a, axis=-1, kind="quicksort", order=None):
    return _sn.sort(a, axis)


def argsort(a, axis=-1, kind="quicksort", order=None):
    return _sn.argsort(a, axis)
var, std, outer, tensordot, batched_dot = _sn.var, _sn.std, _sn.outer, _sn.tensordot, _sn.batched_dot
eye, tril, triu, diag, tile, repeat = _sn.eye, _sn.tril, _sn.triu, _sn.diag, _sn.tile, _sn.repeat


# -- reductions and shapes: Theano's argument order (dtype before keepdims) -----------------------
def _reduced(x, dtype, value):
    return value if dtype is None else _T.cast(value, dtype)


def sum(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    return _reduced(x, dtype, _T.sum(x, axis, keepdims))


def mean(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    return _reduced(x, dtype, _T.mean(x, axis, keepdims))


def prod(x, axis=None, dtype=None, keepdims=False, acc_dtype=None, no_zeros_in_input=False):
    return _reduced(x, dtype, _T.prod(x, axis, keepdims))


def max(x, axis=None, keepdims=False):
    return _T.max(x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    return _T.min(x, axis, keepdims)


def argmax(x, axis=None, keepdims=False):
    return _T.argmax(x, axis, keepdims)


def reshape(x, newshape, ndim=None):
    out = _T.reshape(x, newshape)
    if ndim is not None and out.ndim != ndim:
        raise ValueError(f"reshape: ndim={ndim} but the new shape has {out.ndim} dims")
    return out


def flatten(x, ndim=1, outdim=None):
    return _T.flatten(x, outdim if outdim is not None else ndim)


__getattr__ = module_getattr(__name__)
