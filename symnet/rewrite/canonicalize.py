"""Canonicalize: drop algebraic no-ops and merge shape ops, so later patterns see one spelling."""

from __future__ import annotations

from symnet import expr as T
from symnet.graph import Constant
from symnet.ops import elementwise as ew
from symnet.ops.reduction import Reduce, ShapeI
from symnet.ops.shape import BroadcastLike, DimShuffle, Reshape, ReshapeLike, StopGradient
from symnet.rewrite.pattern import Const, Rule, node, x, y

one, zero = Const(1), Const(0)


def _same_type(candidate, out):
    """``candidate`` if it has exactly ``out``'s type (no broadcasting hidden in the no-op)."""
    return candidate if candidate.type == out.type else None


def _bound(pattern):
    return node(pattern.op, *pattern.inputs, bind="out")


def _compose_dimshuffle(x, y, out):
    inner, outer = x.owner.op.order, out.owner.op.order
    return DimShuffle(tuple(o if o == "x" else inner[o] for o in outer))(y)


def _identity_dimshuffle(x, out):
    return x if out.owner.op.order == tuple(range(x.ndim)) else None


def _identity_elemwise(x, out):
    """An elementwise op whose expression is its only input (e.g. the gradient of x + y)."""
    op = out.owner.op
    if op.key[:1] != ("expr",):  # built-in ops are never identities (cast to the same dtype is not built)
        return None
    symbols, expr = op.expression()
    if op.nin == 1 and expr == symbols[0]:
        return _same_type(out.owner.inputs[0], out)
    return None


def _known_shape(out):
    x = out.owner.inputs[0]
    size = x.type.shape[out.owner.op.i]
    return None if size is None else Constant(size, "int64")


def _one_minus_sigmoid(x):
    return T.sigmoid(-x)


CANONICALIZE = [
    Rule("mul_by_one", _bound(node(ew.mul, x, one)), lambda x, out: _same_type(x, out)),
    Rule("one_mul", _bound(node(ew.mul, one, x)), lambda x, out: _same_type(x, out)),
    Rule("add_zero", _bound(node(ew.add, x, zero)), lambda x, out: _same_type(x, out)),
    Rule("zero_add", _bound(node(ew.add, zero, x)), lambda x, out: _same_type(x, out)),
    Rule("sub_zero", _bound(node(ew.sub, x, zero)), lambda x, out: _same_type(x, out)),
    Rule("zero_sub", _bound(node(ew.sub, zero, x)), lambda x, out: _same_type(T.neg(x), out)),
    Rule("div_by_one", _bound(node(ew.true_div, x, one)), lambda x, out: _same_type(x, out)),
    Rule("pow_one", _bound(node(ew.power, x, one)), lambda x, out: _same_type(x, out)),
    Rule("neg_neg", node(ew.neg, node(ew.neg, x)), lambda x: x),
    Rule("sub_neg", node(ew.sub, x, node(ew.neg, y)), lambda x, y: T.add(x, y)),
    Rule("add_neg", node(ew.add, x, node(ew.neg, y)), lambda x, y: T.sub(x, y)),
    Rule("one_minus_sigmoid", node(ew.sub, one, node(ew.sigmoid, x)), _one_minus_sigmoid),
    Rule("identity_elemwise", node(ew.Elemwise, x, bind="out"), _identity_elemwise),
    Rule("dimshuffle_dimshuffle", _bound(node(DimShuffle, node(DimShuffle, y, bind="x"))), _compose_dimshuffle),
    Rule("identity_dimshuffle", _bound(node(DimShuffle, x)), _identity_dimshuffle),
    Rule("reshape_reshape", _bound(node(Reshape, node(Reshape, x))), lambda x, out: out.owner.op(x)),
    Rule("reshape_like_same", _bound(node(ReshapeLike, x, y)), lambda x, y, out: _same_type(x, out)),
    Rule("broadcast_like_same", _bound(node(BroadcastLike, x, y)), lambda x, y, out: _same_type(x, out)),
    Rule("reduce_no_axes", _bound(node(Reduce, x)), lambda x, out: x if not out.owner.op.axes else None),
    Rule("known_shape", node(ShapeI, x, bind="out"), lambda x, out: _known_shape(out)),
]

# After gradients are taken, stop_gradient is an identity.
REMOVE_STOP_GRADIENT = [Rule("stop_gradient", node(StopGradient, x), lambda x: x)]
