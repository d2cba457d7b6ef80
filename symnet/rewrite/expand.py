"""Expand: ops that compiled targets build from primitives (softmax → max, exp, sum, div).

The interpreter evaluates softmax directly; kernels get the expansion, which fusion turns
into two reductions and one elementwise loop.
"""

from __future__ import annotations

from symnet import expr as T
from symnet.ops.indexing import Take, TakeGrad
from symnet.ops.nnet import LogSoftmax, Softmax
from symnet.ops.shape import DimShuffle
from symnet.rewrite.pattern import Bind, Rule, node, x, y

g = Bind("g")


def _softmax(x, out):
    axis = out.owner.op.axis
    x = T.cast(x, out.dtype)  # softmax of integers is a float
    e = T.exp(x - T.max(x, axis, keepdims=True))
    return e / T.sum(e, axis, keepdims=True)


def _log_softmax(x, out):
    axis = out.owner.op.axis
    x = T.cast(x, out.dtype)
    shifted = x - T.max(x, axis, keepdims=True)
    return shifted - T.log(T.sum(T.exp(shifted), axis, keepdims=True))


def _to_front(ndim: int, axis: int) -> tuple:
    return (axis,) + tuple(j for j in range(ndim) if j != axis)


def _take_on_first_axis(x, y, out):
    """A gather on axis k as one on axis 0 of x with k moved first (views), its result's index
    axes moved back to k: the back ends gather rows only."""
    k, m = out.owner.op.axis, y.ndim
    if k == 0:
        return None
    taken = Take(0)(DimShuffle(_to_front(x.ndim, k))(x), y)
    rest = list(range(m, taken.ndim))
    return DimShuffle(tuple(rest[:k] + list(range(m)) + rest[k:]))(taken)


def _take_grad_on_first_axis(x, y, g, out):
    """The scatter of a gather on axis k, likewise as one on axis 0."""
    k, m = out.owner.op.axis, y.ndim
    if k == 0:
        return None
    front = _to_front(x.ndim, k)
    g_front = DimShuffle(tuple(range(k, k + m)) + tuple(range(k)) + tuple(range(k + m, g.ndim)))(g)
    scattered = TakeGrad(0)(DimShuffle(front)(x), y, g_front)
    return DimShuffle(tuple(front.index(j) for j in range(x.ndim)))(scattered)


EXPAND = [
    Rule("take_on_first_axis", node(Take, x, y, bind="out"), _take_on_first_axis),
    Rule("take_grad_on_first_axis", node(TakeGrad, x, y, g, bind="out"), _take_grad_on_first_axis),
    Rule("expand_softmax", node(Softmax, x, bind="out"), _softmax),
    Rule("expand_log_softmax", node(LogSoftmax, x, bind="out"), _log_softmax),
]
