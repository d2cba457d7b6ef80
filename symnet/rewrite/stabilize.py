"""Stabilize: replace expressions that overflow or lose precision by equal, stable ones."""

from __future__ import annotations

from symnet import expr as T
from symnet.ops import elementwise as ew
from symnet.ops.nnet import Softmax
from symnet.ops.reduction import Reduce
from symnet.ops.shape import StopGradient
from symnet.rewrite.pattern import Const, Rule, node, x

one = Const(1)


def _log_softmax(x, s):
    return T.log_softmax(x, s.owner.op.axis)


def _logsumexp(x, total):
    op = total.owner.op
    if op.kind != "sum" or _is_max_shifted(x):
        return None
    return T.logsumexp(x, op.axes, op.keepdims)


def _is_max_shifted(v) -> bool:
    """v = a - max(a) (maybe under stop_gradient): exp(v) cannot overflow; the form
    logsumexp itself builds."""
    if v.owner is None or v.owner.op != ew.sub:
        return False
    a, shift = v.owner.inputs
    while shift.owner is not None and isinstance(shift.owner.op, StopGradient):
        shift = shift.owner.inputs[0]
    return shift.owner is not None and shift.owner.op.name == "max" and shift.owner.inputs[0] is a


STABILIZE = [
    # log(sigmoid(x)) = -log(1 + exp(-x)) = -softplus(-x): finite for x -> -inf.
    Rule("log_sigmoid", node(ew.log, node(ew.sigmoid, x)), lambda x: -T.softplus(-x)),
    # log(1 - sigmoid(x)) arrives here as log(sigmoid(-x)) (canonicalize); log1p(-s) too:
    Rule("log1p_neg_sigmoid", node(ew.log1p, node(ew.neg, node(ew.sigmoid, x))), lambda x: -T.softplus(x)),
    Rule("log_softmax", node(ew.log, node(Softmax, x, bind="s")), _log_softmax),
    Rule("logsumexp", node(ew.log, node(Reduce, node(ew.exp, x), bind="total")), _logsumexp),
    Rule("log1p_exp", node(ew.log1p, node(ew.exp, x)), lambda x: T.softplus(x)),
    Rule("log_exp", node(ew.log, node(ew.exp, x)), lambda x: x),
    # log(1 + x) loses x below machine epsilon; log1p does not. Likewise exp(x) - 1.
    Rule("log1p", node(ew.log, node(ew.add, one, x)), lambda x: T.log1p(x)),
    Rule("log1p_right", node(ew.log, node(ew.add, x, one)), lambda x: T.log1p(x)),
    Rule("expm1", node(ew.sub, node(ew.exp, x), one), lambda x: T.expm1(x)),
]
