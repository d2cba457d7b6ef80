"""Expand: ops that compiled targets build from primitives (softmax → max, exp, sum, div).

The interpreter evaluates softmax directly; kernels get the expansion, which fusion turns
into two reductions and one elementwise loop.
"""

from __future__ import annotations

from symnet import expr as T
from symnet.ops.nnet import LogSoftmax, Softmax
from symnet.rewrite.pattern import Rule, node, x


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


EXPAND = [
    Rule("expand_softmax", node(Softmax, x, bind="out"), _softmax),
    Rule("expand_log_softmax", node(LogSoftmax, x, bind="out"), _log_softmax),
]
