"""Canonicalize: drop algebraic no-ops and merge shape ops, so later patterns see one spelling."""

from __future__ import annotations

from symnet import expr as T
from symnet.graph import Constant
from symnet.ops import elementwise as ew
from symnet.ops.ifelse import IfElse
from symnet.ops.reduction import Reduce, ShapeI
from symnet.ops.shape import BroadcastLike, DimShuffle, Reshape, ReshapeLike, StopGradient
from symnet.ops.indexing import IncSubtensor, Subtensor
from symnet.rewrite.pattern import AnyInputs, Bind, Const, Rule, node, x, y

one, zero = Const(1), Const(0)


def _same_type(candidate, out):
    """``candidate`` if it has exactly ``out``'s type (no broadcasting hidden in the no-op)."""
    return candidate if candidate.type == out.type else None


def _same_shape(candidate, out):
    """``candidate`` where its type shows it has ``out``'s shape: the same type, and at most
    one size unknown (a reshape keeps the element count, which fixes that one)."""
    if candidate.type != out.type or sum(s is None for s in out.type.shape) > 1:
        return None
    return candidate


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


def _decided_ifelse(out):
    """The branch an ifelse with a constant condition takes."""
    node = out.owner
    condition = node.inputs[0]
    if not isinstance(condition, Constant):
        return None
    return node.inputs[1 + out.index + (0 if condition.data else node.op.n)]


def _one_minus_sigmoid(x):
    return T.sigmoid(-x)


def _squeeze_order(spec, x) -> tuple | None:
    """The DimShuffle order equal to ``x[spec]`` when the index keeps every element: full
    slices, new axes, and 0/-1 on axes known to have size 1. None for any other index."""
    order, axis = [], 0
    for e in spec + ((None, None, None),) * (x.ndim - sum(e is not None for e in spec)):
        if e is None:
            order.append("x")
            continue
        if isinstance(e, tuple):
            start, stop, step = e
            if start not in (None, 0) or stop is not None or step not in (None, 1):
                return None
            order.append(axis)
        elif not (x.type.shape[axis] == 1 and e in (0, -1)):
            return None
        axis += 1
    return tuple(order)


def _squeeze_subtensor(x, out):
    order = _squeeze_order(out.owner.op.spec, x)
    return None if order is None else _same_type(DimShuffle(order)(x), out)


def _whole_inc_subtensor(x, y, out):
    """x with y added into a view of all of x: x + y, y reshaped to x's axes."""
    order = _squeeze_order(out.owner.op.spec, x)
    if order is None:
        return None
    # y broadcasts against the view: right-align it, then map view axes back to x's axes
    lead = len(order) - y.ndim
    if lead < 0:
        return None
    y_axis = {k: j - lead for j, k in enumerate(order) if k != "x" and j >= lead}
    if any(y.type.shape[j - lead] != 1 for j, k in enumerate(order) if k == "x" and j >= lead):
        return None
    # view axes that are new ('x') have size 1 in y: drop them, then place y's axes on x's
    dropped = [j - lead for j, k in enumerate(order) if k == "x" and j >= lead]
    if dropped:
        y = DimShuffle(tuple(j for j in range(y.ndim) if j not in dropped))(y)
        kept = [k for j, k in enumerate(order) if j >= lead and k != "x"]
        y_axis = {k: i for i, k in enumerate(kept)}
    expanded = DimShuffle(tuple(y_axis.get(a, "x") for a in range(x.ndim)))(y)
    return _same_type(T.add(x, expanded), out)


def _add_into(x, y, inc, zeros_of, out):
    """x + (zeros with y added into a slice) → x with y added into that slice: the
    gradient of several slices of one value (an LSTM's gates) becomes one buffer that each
    slice's gradient is added into, not a zero-filled copy per slice and a sum of them."""
    if x.type != out.type or inc.type != out.type:
        return None  # a broadcast hides in the add
    return _same_type(IncSubtensor(inc.owner.op.spec)(x, y, *inc.owner.inputs[2:]), out)


def _lift_dimshuffle(out):
    """op(dimshuffle(y), constants) → dimshuffle(op(y, constants)): the elementwise chain
    stays unbroken, for stabilizing patterns (log of a sliced sigmoid) and for fusion."""
    node = out.owner
    views = [v for v in node.inputs if v.owner is not None and isinstance(v.owner.op, DimShuffle)]
    if len(views) != 1 or any(v is not views[0] and not (isinstance(v, Constant) and v.ndim == 0) for v in node.inputs):
        return None
    (view,) = views
    y = view.owner.inputs[0]
    if y.owner is None or not isinstance(y.owner.op, ew.Elemwise):
        return None  # lifting only pays where it joins two elementwise ops
    inner = node.op(*[y if v is view else v for v in node.inputs])
    return _same_type(DimShuffle(view.owner.op.order)(inner), out)


# zeros with y added into a slice: the pullback of a subtensor
_zeros_inc = node(IncSubtensor, node(ew.zeros_like, Bind("zeros_of")), y, bind="inc")

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
    Rule("reshape_reshape", _bound(node(Reshape, node(Reshape, x))), lambda x, out: out.owner.op(x, *out.owner.inputs[1:])),
    Rule("reshape_like_same", _bound(node(ReshapeLike, x, y)), lambda x, y, out: _same_shape(x, out)),
    Rule("broadcast_like_same", _bound(node(BroadcastLike, x, y)), lambda x, y, out: _same_type(x, out)),
    Rule("reduce_no_axes", _bound(node(Reduce, x)), lambda x, out: x if not out.owner.op.axes else None),
    Rule("known_shape", node(ShapeI, x, bind="out"), lambda x, out: _known_shape(out)),
    Rule("squeeze_subtensor", _bound(node(Subtensor, x)), _squeeze_subtensor),
    Rule("whole_inc_subtensor", _bound(node(IncSubtensor, x, y)), _whole_inc_subtensor),
    Rule("lift_dimshuffle", AnyInputs(ew.Elemwise, "out"), _lift_dimshuffle),
    Rule("decided_ifelse", AnyInputs(IfElse, "out"), _decided_ifelse),
    Rule("add_into_slice", _bound(node(ew.add, x, _zeros_inc)), _add_into),
    Rule("add_into_slice_left", _bound(node(ew.add, _zeros_inc, x)), _add_into),
]

# After gradients are taken, stop_gradient is an identity.
REMOVE_STOP_GRADIENT = [Rule("stop_gradient", node(StopGradient, x), lambda x: x)]
